package steps

import (
	"fmt"
	"strings"
)

func deployRunbook() *Runbook {
	replaces := []Cond{{Var: "replaces-instance", Values: []string{"yes"}}}
	changes := []Cond{{Var: "changes", Values: []string{"yes"}}}
	return &Runbook{
		Name: "deploy", Title: "Deploy the data layer",
		Summary: "The data layer is never deployed by CI. An engineer checks who they are acting as, refreshes " +
			"to see drift, previews, confirms, runs `up`, and checks the instance afterwards.",
		Secret: secretVars,
		Steps: []*Step{
			identityStep(),
			stackStep(),
			engineVersionStep("engine-version", nil, versionOfInstance),
			refreshStep("refresh-preview", true),
			previewStep("preview", "Preview the update", warnDestructive),
			finalSnapshotStep("final-snapshot-guard", replaces),
			gateUpStep("gate", changes, "`pulumi up` will apply the changes below."),
			upStep("up", "Apply the update (pulumi up)"),
			verifyDeployStep(),
		},
	}
}

func verifyDeployStep() *Step {
	return &Step{
		ID: "verify", Title: "Check the instance is available with the expected settings", Kind: KindCheck, Phase: PhaseVerify,
		Needs:    []string{"instance"},
		Commands: []string{"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].[DBInstanceStatus,EngineVersion,DBParameterGroups[0].DBParameterGroupName]'"},
		Explanation: "Waits for the instance to be `available`, then compares the engine version and the " +
			"parameter group with what the stack says. A later minor version in AWS is expected (AWS applies " +
			"minors on its own) and only noted; another major or an older version is an error. Changes AWS " +
			"holds for the maintenance window (the program leaves `applyImmediately` unset, Pulumi's default) " +
			"are named with the window's next date, and can be applied now behind a typed confirmation.",
		Do: func(x *Exec) error {
			in, err := x.WaitAvailable(x.Get("instance"))
			if err != nil {
				return err
			}
			if in.Deferred() {
				// Available with changes held for the maintenance window:
				// waiting on would last until the window.
				if in, err = handleDeferred(x, in); err != nil {
					return err
				}
			}
			exp, err := x.Deps().Data.Export(x.Ctx())
			if err != nil {
				return fmt.Errorf("read the stack export: %w", err)
			}
			x.Say("%s is available: postgres %s, %s, parameter group %s", in.ID, in.EngineVersion, in.Class, in.ParameterGroup)
			if exp.EngineVersion != "" && in.EngineVersion != exp.EngineVersion && in.Pending.EngineVersion == exp.EngineVersion {
				x.Say("engine version %s is pending for the maintenance window (AWS runs %s until then)", exp.EngineVersion, in.EngineVersion)
			} else if exp.EngineVersion != "" && in.EngineVersion != exp.EngineVersion {
				cmp := compareVersions(in.EngineVersion, exp.EngineVersion)
				if major(in.EngineVersion) != major(exp.EngineVersion) || cmp < 0 {
					return fmt.Errorf("engine version is %s in AWS but the stack expects %s", in.EngineVersion, exp.EngineVersion)
				}
				x.Warn("AWS runs %s while the code says %s: AWS applied minor versions on its own (version drift); consider bumping engineVersion in index.ts", in.EngineVersion, exp.EngineVersion)
			}
			if exp.ParameterGroup != "" && in.ParameterGroup != exp.ParameterGroup {
				return fmt.Errorf("parameter group is %s in AWS but the stack expects %s", in.ParameterGroup, exp.ParameterGroup)
			}
			return nil
		},
	}
}

// major returns the major part of a postgres version ("16.13" -> "16").
func major(v string) string {
	if i := strings.Index(v, "."); i >= 0 {
		return v[:i]
	}
	return v
}

// compareVersions compares dotted numeric versions.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var na, nb int
		if i < len(pa) {
			fmt.Sscanf(pa[i], "%d", &na)
		}
		if i < len(pb) {
			fmt.Sscanf(pb[i], "%d", &nb)
		}
		if na != nb {
			if na < nb {
				return -1
			}
			return 1
		}
	}
	return 0
}
