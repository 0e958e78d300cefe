package runbooks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

func deployRunbook() *engine.Runbook {
	replaces := []engine.Cond{{Var: "replaces-instance", Values: []string{"yes"}}}
	changes := []engine.Cond{{Var: "changes", Values: []string{"yes"}}}
	return &engine.Runbook{
		Name: "deploy", Title: "Deploy the data layer",
		Short:    "Deploy the data layer: identity, refresh, preview, gate, up, verify",
		Line:     "roll out the data program: refresh, preview, typed gate, up, verify",
		Examples: []string{"datalayer deploy --stack staging", "datalayer deploy --stack production --plain"},
		Summary: "The data layer is never deployed by CI. An engineer checks who they are acting as, refreshes " +
			"to see drift, previews, confirms, runs `up`, and checks the instance afterwards.",
		Secret: secretVars,
		Steps: []*engine.Step{
			identityStep(),
			stackStep(emptyFirstDeploy),
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

func verifyDeployStep() *engine.Step {
	return &engine.Step{
		ID: "verify", Title: "Check AWS runs what the program asks for", Kind: engine.KindCheck, Phase: PhaseVerify,
		Needs: []string{"instance"},
		Commands: []string{
			"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].[DBInstanceStatus,EngineVersion,DBParameterGroups[0].DBParameterGroupName]'",
			"pulumi preview --stack {stack}   # must propose no change",
		},
		Explanation: "Waits for the instance to be `available`, then checks it against the program, never against " +
			"what was read before the update: the engine version AWS runs must be the program's (a later minor " +
			"is expected, AWS applies those on its own; one pending for the maintenance window is named), and a " +
			"preview must propose no change, so nothing the program asks for is left undone. The parameter group " +
			"must be the one Pulumi's state, written by this update, records. Changes AWS holds for the " +
			"maintenance window (the program leaves `applyImmediately` unset, Pulumi's default) are named with " +
			"the window's next date, and can be applied now behind a typed confirmation.",
		Do: func(x *engine.Exec) error {
			if x.Get("instance") == "" {
				// A first deploy: the update created the instance, and only
				// Pulumi's state, written by it, names it.
				if err := learnCreatedInstance(x); err != nil {
					return err
				}
			}
			in, err := waitAvailableNow(x, x.Get("instance"))
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
			x.Say("%s is available: postgres %s, %s, parameter group %s", in.ID, in.EngineVersion, in.Class, in.ParameterGroup)
			want := x.Get("code-version")
			if p := deps(x).Editor; p != nil {
				if ps, err := p.Settings(); err == nil && ps.EngineVersion != "" {
					want = ps.EngineVersion
				}
			}
			switch {
			case want == "" || versionSatisfies(in.EngineVersion, want):
			case in.Pending.EngineVersion != "" && versionSatisfies(in.Pending.EngineVersion, want):
				x.Say("engine version %s is pending for the maintenance window (AWS runs %s until then)", in.Pending.EngineVersion, in.EngineVersion)
			default:
				return fmt.Errorf("AWS runs postgres %s but the program asks for %s: the update did not reach AWS, or AWS refused it (read the RDS events of %s); nothing says it is done",
					in.EngineVersion, want, in.ID)
			}
			plan, err := previewStack(x, deps(x).Data, "to verify the deploy")
			if err != nil {
				return err
			}
			if hasChanges(plan) {
				return fmt.Errorf("a preview still proposes changes, so the program is not fully applied:\n%sapply them with `datalayer deploy --stack %s`",
					planText(plan), x.Options().Stack)
			}
			x.Say("a preview proposes no change: the program is applied")
			exp, err := deps(x).Data.Export(x.Ctx())
			if err != nil {
				return fmt.Errorf("read the stack export: %w", err)
			}
			if exp.ParameterGroup != "" && in.ParameterGroup != exp.ParameterGroup {
				return fmt.Errorf("parameter group is %s in AWS but Pulumi's state records %s", in.ParameterGroup, exp.ParameterGroup)
			}
			if firstDeploy(x) {
				pointAppNext(x, in.ID)
			}
			return nil
		},
	}
}

// pointAppNext says, after a first deploy, how to point the application at
// the instance it created, unless its db-host does already. The endpoint
// is secret: the command asks AWS for it rather than showing it.
func pointAppNext(x *engine.Exec, inst string) {
	app := deps(x).App
	if app == nil {
		return
	}
	if host, err := appHost(x); err == nil && endpointInstance(host) == inst {
		return
	}
	endpoint := "\"$(aws rds describe-db-instances --db-instance-identifier " + inst + " --query 'DBInstances[0].Endpoint.Address' --output text)\""
	if x.Options().Rehearsal {
		endpoint = "<its endpoint>" // the aws CLI does not reach a rehearsal's AWS
	}
	x.Say("next, by hand: point the application at %s: `pulumi config set --secret db-host %s --stack %s` in %s, then deploy the application",
		inst, endpoint, x.Options().AppStack, app.ProgramDir())
}

// learnCreatedInstance reads the instance a first deploy created from the
// stack's state, which the update wrote.
func learnCreatedInstance(x *engine.Exec) error {
	exp, err := deps(x).Data.Export(x.Ctx())
	if errors.Is(err, pulumiclient.ErrNoInstance) {
		return fmt.Errorf("the update ended, but Pulumi's state still holds no RDS instance: the program creates none, or the update did not create it (read the output above and `pulumi stack --stack %s`); nothing says the deploy is done",
			x.Options().Stack)
	}
	if err != nil {
		return fmt.Errorf("read the stack export: %w", err)
	}
	inst := exp.Identifier
	if inst == "" && !strings.HasPrefix(exp.ID, "db-") {
		inst = exp.ID
	}
	if inst == "" {
		return errors.New("the stack export has no RDS instance identifier after the update: is this the data stack?")
	}
	if exp.Address != "" {
		// Its endpoint is the application's db-host to be: hidden before
		// any look at the instance shows it.
		x.SetSecret("instance-host", exp.Address)
	}
	x.Say("the update created instance %s (state id %s)", inst, exp.ID)
	x.Set("instance", inst)
	x.Set("state-id", exp.ID)
	x.Set("final-snapshot", exp.FinalSnapshotIdentifier)
	x.Set("code-version", exp.EngineVersion)
	return nil
}

// versionSatisfies reports whether the version AWS runs is the one the
// program asks for: the same, a later minor of the same major (AWS applies
// those on its own), or any minor of a major-only request ("16").
func versionSatisfies(running, program string) bool {
	if running == program || strings.HasPrefix(running, program+".") {
		return true
	}
	return major(running) == major(program) && compareVersions(running, program) > 0
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
