package runbooks

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
)

func upgradeRunbook() *engine.Runbook {
	return &engine.Runbook{
		Name: "upgrade", Title: "Postgres major-version upgrade",
		Short:    "Upgrade Postgres to a new major version, watching RDS events for silent failures",
		Line:     "move Postgres to a new major version, watching RDS events",
		Examples: []string{"datalayer upgrade --stack staging"},
		Summary: "Upgrade the engine to a new major version: targets come from the version AWS really runs, " +
			"the parameter group is carried to the target family (RDS refuses the upgrade otherwise), " +
			"pending maintenance is dealt with first, the rest of the stack is checked for compatibility, " +
			"EXPLAIN ANALYZE spot checks run before and after, a manual snapshot is the way back, and the " +
			"upgrade is watched in RDS events because it can fail without Pulumi noticing.",
		Secret:  secretVars,
		Results: upgradeReport,
		Tables:  upgradeTables,
		Flags:   upgradeFlags,
		Decisions: []engine.Decision{
			{Var: "target"},
			{Var: "maintenance-action", Values: []string{"apply-first", "schedule", "ignore"}},
		},
		Steps: []*engine.Step{
			identityStep(),
			stackStep(emptyNeedsDeploy),
			versionDriftStep(),
			targetsStep(),
			chooseTargetStep(),
			parameterGroupStep(),
			pendingMaintenanceStep(),
			engine.ManualStep("compat-hasura", "Check Hasura supports the target version", PhasePrepare,
				"Look up the Hasura version we run and its supported Postgres versions. Hasura talks to the "+
					"database for every request, so an unsupported major breaks the API first.", nil),
			engine.ManualStep("compat-sharedb", "Check ShareDB's connection and SSL settings", PhasePrepare,
				"ShareDB connects with its own SSL settings. Our parameter group turns `rds.force_ssl` off; a new "+
					"major needs a parameter group of the new family, and if `rds.force_ssl` comes back on "+
					"(the default), ShareDB connections without SSL are refused.", nil),
			engine.ManualStep("compat-metabase", "Check Metabase supports the target version", PhasePrepare,
				"Metabase reads the database for dashboards; check its supported Postgres versions.", nil),
			engine.ManualStep("compat-docker", "Bump the Postgres Docker images and test locally and on pizzas", PhasePrepare,
				"Local development and pizza (preview) environments run Postgres in Docker: move their image to "+
					"the target major and run the test suites there before touching staging.", nil,
				"grep -rn 'postgres:' docker-compose*.yml"),
			extensionsStep(false),
			spotCheckStep(false),
			stagingFirstStep(),
			snapshotBeforeStep(),
			upgradeProgramStep(),
			engineVersionStep("engine-version", nil, versionOfInstance),
			refreshStep("refresh", false),
			previewStep("preview", "Preview the upgrade", func(x *engine.Exec, p pulumiPlan) error {
				if replacesInstance(p) {
					return errors.New("the plan replaces the instance: an engine upgrade must update it in place. Check that allowMajorVersionUpgrade is true and that nothing else forces a replacement")
				}
				return checkUpgradePlan(x, p)
			}),
			gateUpStep("gate", nil, "`pulumi up` will create the parameter group of the target family and upgrade the engine in place, pointing the instance at the new group. Expect a few minutes of downtime in the middle (about 3 minutes in February 2025). The way back is the snapshot taken before."),
			upgradeUpStep(),
			verifyUpgradeStep(),
			spotCheckStep(true),
			extensionsStep(true),
			removeOldGroupStep(),
		},
	}
}

func versionDriftStep() *engine.Step {
	return &engine.Step{
		ID: "version-drift", Title: "Compare the engine version in AWS with the code", Kind: engine.KindCheck, Phase: PhasePrepare,
		Needs:    []string{"instance"},
		Produces: []string{"current-version", "instance-arn", "engine"},
		Commands: []string{"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].EngineVersion'", "grep engineVersion index.ts"},
		Explanation: "AWS applies minor versions on its own between our deployments, so the version in " +
			"`index.ts` can be older than the real one (the team once had 12.17 in code and 12.19 in AWS). " +
			"Upgrade targets depend on the real version, so that is the one used.",
		Do: func(x *engine.Exec) error {
			in, err := deps(x).AWS.Instance(x.Ctx(), x.Get("instance"))
			if err != nil {
				return fmt.Errorf("read instance %s: %w", x.Get("instance"), err)
			}
			code := x.Get("code-version")
			if p := deps(x).Editor; p != nil {
				if ps, err := p.Settings(); err == nil && ps.EngineVersion != "" {
					code = ps.EngineVersion
				}
			}
			x.Set("current-version", in.EngineVersion)
			x.Set("engine", orDefault(in.Engine, "postgres"))
			x.Set("instance-arn", in.ARN)
			x.Set("code-version", code)
			if code != "" && code != in.EngineVersion {
				x.Warn("version drift: AWS runs %s %s but the code says %s; upgrade targets are taken from %s", in.Engine, in.EngineVersion, code, in.EngineVersion)
			} else {
				x.Say("AWS runs %s %s, the same as the code", in.Engine, in.EngineVersion)
			}
			return nil
		},
	}
}

func targetsStep() *engine.Step {
	return &engine.Step{
		ID: "targets", Title: "List the valid major-version targets", Kind: engine.KindCheck, Phase: PhasePrepare,
		Needs:    []string{"current-version"},
		Produces: []string{"targets"},
		Commands: []string{"aws rds describe-db-engine-versions --engine postgres --engine-version {current-version} --query 'DBEngineVersions[0].ValidUpgradeTarget[?IsMajorVersionUpgrade==`true`].EngineVersion'"},
		Explanation: "Asks AWS which versions the running version may move to and keeps the major upgrades. " +
			"The list for the code's version is shown too when it differs, to make the drift visible.",
		Do: func(x *engine.Exec) error {
			api := deps(x).AWS
			cur := x.Get("current-version")
			ts, err := api.UpgradeTargets(x.Ctx(), x.Get("engine"), cur)
			if err != nil {
				return fmt.Errorf("list upgrade targets of %s: %w", cur, err)
			}
			majors := majorTargets(ts)
			if len(majors) == 0 {
				return fmt.Errorf("AWS lists no major-version target for %s", cur)
			}
			x.Say("valid major targets from %s: %s", cur, strings.Join(majors, ", "))
			if code := x.Get("code-version"); code != "" && code != cur {
				if cts, err := api.UpgradeTargets(x.Ctx(), x.Get("engine"), code); err == nil {
					x.Say("from the code's %s they would be: %s (not usable: AWS runs %s)", code, strings.Join(majorTargets(cts), ", "), cur)
				}
			}
			x.Set("targets", strings.Join(majors, ","))
			return nil
		},
	}
}

func majorTargets(ts []awsclient.UpgradeTarget) []string {
	var out []string
	for _, t := range ts {
		if t.Major {
			out = append(out, t.Version)
		}
	}
	sort.Slice(out, func(i, j int) bool { return compareVersions(out[i], out[j]) < 0 })
	return out
}

func chooseTargetStep() *engine.Step {
	return &engine.Step{
		ID: "choose-target", Title: "Choose the target version", Kind: engine.KindDecision, Phase: PhaseDecide,
		Needs: []string{"targets"}, Produces: []string{"target"},
		Explanation: "Pick the version to move to. The newest valid target of the next major is recommended; " +
			"test it on staging first.",
		Do: func(x *engine.Exec) error {
			ts := strings.Split(x.Get("targets"), ",")
			var opts []engine.Option
			for i, t := range ts {
				o := engine.Option{Value: t, Label: "postgres " + t}
				if i == len(ts)-1 {
					o.Recommended = true
					o.Reason = "the newest valid target"
				}
				opts = append(opts, o)
			}
			v, err := x.Choose("target", "Upgrade to which version?", "Valid major targets from "+x.Get("current-version")+".", x.Flag("target"), opts)
			if err != nil {
				return err
			}
			x.Set("target", v)
			return nil
		},
	}
}

func pendingMaintenanceStep() *engine.Step {
	return &engine.Step{
		ID: "pending-maintenance", Title: "Deal with pending maintenance first", Kind: engine.KindDecision, Phase: PhasePrepare,
		Needs: []string{"instance-arn"}, Produces: []string{"maintenance-action"},
		Commands: []string{
			"aws rds describe-pending-maintenance-actions --resource-identifier {instance-arn}",
			"aws rds apply-pending-maintenance-action --resource-identifier {instance-arn} --apply-action system-update --opt-in-type immediate",
		},
		Explanation: "Pending maintenance actions once made a real major upgrade fail: RDS refused it with " +
			"\"Database instance is in a state that cannot be upgraded\" while Pulumi reported success. Apply " +
			"them first (and wait), or schedule them for the maintenance window and upgrade afterwards.",
		Do: func(x *engine.Exec) error {
			api := deps(x).AWS
			arn := x.Get("instance-arn")
			acts, err := api.PendingMaintenance(x.Ctx(), arn)
			if err != nil {
				return fmt.Errorf("list pending maintenance: %w", err)
			}
			if len(acts) == 0 {
				x.Say("no pending maintenance")
				x.Set("maintenance-action", "none")
				return nil
			}
			var lines []string
			for _, a := range acts {
				l := fmt.Sprintf("- %s: %s (opt-in %s", a.Action, a.Description, orDefault(a.OptInStatus, "none"))
				if !a.AutoAppliedAfter.IsZero() {
					l += ", auto-applied after " + a.AutoAppliedAfter.UTC().Format("2006-01-02")
				}
				lines = append(lines, l+")")
				x.Warn("pending maintenance: %s", strings.TrimPrefix(l+")", "- "))
			}
			v, err := x.Choose("action", "Pending maintenance on "+x.Get("instance"), strings.Join(lines, "\n"), "", []engine.Option{
				{Value: "apply-first", Label: "Apply it now and wait, then upgrade", Recommended: true, Reason: "pending maintenance made a real upgrade fail silently"},
				{Value: "schedule", Label: "Schedule it for the maintenance window and upgrade afterwards", Reason: "no extra downtime now; the run stops here"},
				{Value: "ignore", Label: "Upgrade anyway", Reason: "not recommended: RDS may refuse the upgrade while Pulumi reports success"},
			})
			if err != nil {
				return err
			}
			x.Set("maintenance-action", v)
			switch v {
			case "apply-first":
				for _, a := range acts {
					key := "apply-maintenance:" + a.Action
					if _, ok := x.Issued(key); !ok {
						if err := x.Issue(key, map[string]string{"arn": arn, "action": a.Action, "opt-in": "immediate"}); err != nil {
							return err
						}
						if err := api.ApplyMaintenance(x.Ctx(), arn, a.Action, "immediate"); err != nil {
							return fmt.Errorf("apply %s: %w", a.Action, err)
						}
					}
				}
				// Give AWS a moment to pick the action up before waiting.
				if err := x.Sleep(30 * time.Second); err != nil {
					return err
				}
				if _, err := waitAvailable(x, x.Get("instance"), waitMaintenance); err != nil {
					return err
				}
				left, err := api.PendingMaintenance(x.Ctx(), arn)
				if err != nil {
					return fmt.Errorf("list pending maintenance again: %w", err)
				}
				if len(left) > 0 {
					return fmt.Errorf("%d maintenance actions are still pending after applying them: wait and `datalayer resume`", len(left))
				}
				x.Say("maintenance applied; nothing pending")
			case "schedule":
				for _, a := range acts {
					key := "schedule-maintenance:" + a.Action
					if _, ok := x.Issued(key); !ok {
						if err := x.Issue(key, map[string]string{"arn": arn, "action": a.Action, "opt-in": "next-maintenance"}); err != nil {
							return err
						}
						if err := api.ApplyMaintenance(x.Ctx(), arn, a.Action, "next-maintenance"); err != nil {
							return fmt.Errorf("schedule %s: %w", a.Action, err)
						}
					}
				}
				return &engine.StopError{Reason: "maintenance scheduled for the next maintenance window; run the upgrade after it"}
			case "ignore":
				x.Warn("upgrading with pending maintenance: RDS may refuse the upgrade (RDS-EVENT-0158); the run watches for it")
			}
			return nil
		},
	}
}

func stagingFirstStep() *engine.Step {
	return &engine.Step{
		ID: "staging-first", Title: "Upgrade staging before production", Kind: engine.KindCheck, Phase: PhasePrepare,
		Explanation: "On production, the same upgrade must have run on staging first. The tool looks in its " +
			"state directory for a real (not rehearsed) upgrade of another stack that was verified on the same " +
			"target version; without one it asks you to confirm it by hand.",
		Do: func(x *engine.Exec) error {
			if !x.Production() {
				return engine.Skip("this is not production: this run is the staging upgrade that production waits for")
			}
			if run, ok := stagingUpgradeDone(x.Options().StateDir, x.Get("target")); ok {
				x.Say("staging was upgraded to %s by run %s (stack %s, %s)", x.Get("target"), run.Info.RunID, run.Info.Stack, run.Info.Started.UTC().Format(time.RFC3339))
				return nil
			}
			_, err := x.Manual("staging", "Confirm staging was upgraded to "+x.Get("target")+" first",
				"No finished staging upgrade is recorded here. Upgrade staging first, or tick this with a note saying where it was done.")
			return err
		},
	}
}

// upgradeFailedEvent is the RDS event of a refused upgrade.
const upgradeFailedEvent = "RDS-EVENT-0158"

func isUpgradeRefused(e awsclient.Event) bool {
	return e.ID == upgradeFailedEvent || strings.Contains(e.Message, "cannot be upgraded")
}

func upgradeUpStep() *engine.Step {
	return &engine.Step{
		ID: "up", Title: "Upgrade (pulumi up) while watching RDS events", Kind: engine.KindAction, Phase: PhaseApply,
		Needs: []string{"target", "instance"},
		Commands: []string{
			"pulumi up --stack {stack}",
			"aws rds describe-events --source-type db-instance --source-identifier {instance} --duration 60",
			"aws rds describe-db-log-files --db-instance-identifier {instance} --filename-contains pg_upgrade",
			"aws rds download-db-log-file-portion --db-instance-identifier {instance} --log-file-name <file> --starting-token 0 --output text",
		},
		Explanation: "Runs the update and reads the instance's RDS events meanwhile. RDS can refuse a major " +
			"upgrade (RDS-EVENT-0158, \"Database instance is in a state that cannot be upgraded\") after " +
			"Pulumi has already reported success; the version simply stays. Such an event or an unchanged " +
			"version fails this step loudly, and the pg_upgrade logs are fetched: the lines that say why are " +
			"shown and the files saved with the run.",
		Do: func(x *engine.Exec) error {
			api := deps(x).AWS
			id := x.Get("instance")
			since := x.Clock().Now().Add(-time.Minute)
			var mu sync.Mutex
			var refused []awsclient.Event
			seen := map[string]bool{}
			check := func() {
				evs, err := api.Events(x.Ctx(), id, since)
				if err != nil {
					return
				}
				for _, e := range evs {
					k := e.Time.String() + e.Message
					if seen[k] {
						continue
					}
					seen[k] = true
					x.Say("RDS event %s: %s", orDefault(e.ID, "-"), e.Message)
					if isUpgradeRefused(e) {
						x.Warn("RDS refused the upgrade: %s", e.Message)
						mu.Lock()
						refused = append(refused, e)
						mu.Unlock()
					}
				}
			}
			stop := make(chan struct{})
			watched := make(chan struct{})
			go func() {
				defer close(watched)
				for {
					select {
					case <-stop:
						return
					case <-x.Ctx().Done():
						return
					case <-x.Clock().After(30 * time.Second):
						check()
					}
				}
			}()
			_, _, err := runUp(x, deps(x).Data, nil)
			close(stop)
			<-watched
			if err != nil {
				// A refused upgrade can fail the update itself: the pg_upgrade
				// logs say why.
				check()
				fetchUpgradeLogs(x, id, since)
				return err
			}
			in, werr := waitAvailable(x, id, waitUpgrade)
			check()
			mu.Lock()
			defer mu.Unlock()
			if len(refused) > 0 {
				fetchUpgradeLogs(x, id, since)
				return fmt.Errorf("the upgrade failed although Pulumi reported success: %s (%s). The pg_upgrade log lines above say why; pending maintenance is the usual cause: apply or schedule it, then run the upgrade again",
					refused[0].Message, upgradeFailedEvent)
			}
			if werr != nil {
				return werr
			}
			if in.Deferred() && in.Pending.EngineVersion == x.Get("target") {
				// Not refused: held for the maintenance window (the program
				// leaves applyImmediately unset).
				if in, werr = handleDeferred(x, in); werr != nil {
					return werr
				}
				if in.EngineVersion != x.Get("target") {
					return &engine.StopError{Reason: fmt.Sprintf("the upgrade of %s to %s is pending for the maintenance window; run `datalayer upgrade` again after it to verify", id, x.Get("target"))}
				}
			}
			if in.EngineVersion != x.Get("target") {
				fetchUpgradeLogs(x, id, since)
				return fmt.Errorf("the upgrade did not happen although Pulumi reported success: the instance still runs %s, not %s; the pg_upgrade log lines above and the RDS events say why", in.EngineVersion, x.Get("target"))
			}
			x.Say("%s now runs %s", id, in.EngineVersion)
			return nil
		},
	}
}

// stagingUpgradeDone finds a finished real upgrade of a non-production stack
// that verified the target version. A rehearsal does not count: it proves
// the procedure, not that staging runs the new major.
func stagingUpgradeDone(stateDir, target string) (engine.RunSummary, bool) {
	runs, err := engine.ListRuns(stateDir)
	if err != nil {
		return engine.RunSummary{}, false
	}
	for _, r := range runs {
		if r.Info.Runbook != "upgrade" || r.Info.Rehearsal || r.Info.Production || !r.Finished || r.Failed {
			continue
		}
		evs, _ := engine.ReadJournalFile(r.Path)
		for _, e := range evs {
			if e.Type == engine.EventVariable && e.Name == "verified-version" && e.Value == target {
				return r, true
			}
		}
	}
	return engine.RunSummary{}, false
}
