package steps

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
)

func upgradeRunbook() *Runbook {
	return &Runbook{
		Name: "upgrade", Title: "Postgres major-version upgrade",
		Summary: "Upgrade the engine to a new major version: targets come from the version AWS really runs, " +
			"pending maintenance is dealt with first, the rest of the stack is checked for compatibility, " +
			"and the upgrade is watched in RDS events because it can fail without Pulumi noticing.",
		Secret: secretVars,
		Decisions: []Decision{
			{Var: "target", Flag: "--target"},
			{Var: "maintenance-action", Values: []string{"apply-first", "schedule", "ignore"}},
		},
		Steps: []*Step{
			identityStep(),
			stackStep(),
			versionDriftStep(),
			targetsStep(),
			chooseTargetStep(),
			pendingMaintenanceStep(),
			manualStep("compat-hasura", "Check Hasura supports the target version", PhasePrepare,
				"Look up the Hasura version we run and its supported Postgres versions. Hasura talks to the "+
					"database for every request, so an unsupported major breaks the API first.", nil),
			manualStep("compat-sharedb", "Check ShareDB's connection and SSL settings", PhasePrepare,
				"ShareDB connects with its own SSL settings. Our parameter group turns `rds.force_ssl` off; a new "+
					"major needs a parameter group of the new family, and if `rds.force_ssl` comes back on "+
					"(the default), ShareDB connections without SSL are refused.", nil),
			manualStep("compat-metabase", "Check Metabase supports the target version", PhasePrepare,
				"Metabase reads the database for dashboards; check its supported Postgres versions.", nil),
			manualStep("compat-docker", "Bump the Postgres Docker images and test locally and on pizzas", PhasePrepare,
				"Local development and pizza (preview) environments run Postgres in Docker: move their image to "+
					"the target major and run the test suites there before touching staging.", nil,
				"grep -rn 'postgres:' docker-compose*.yml"),
			explainStep("explain-before", "Save EXPLAIN ANALYZE spot checks (before)",
				"Paste the output of a few `EXPLAIN ANALYZE` queries you care about (end with an empty line), or "+
					"leave empty to skip. The same queries are asked for after the upgrade and the execution times "+
					"compared."),
			stagingFirstStep(),
			bumpVersionStep(),
			refreshStep("refresh", false),
			previewStep("preview", "Preview the upgrade", func(x *Exec, p pulumiPlan) error {
				if replacesInstance(p) {
					return errors.New("the plan replaces the instance: an engine upgrade must update it in place. Check that allowMajorVersionUpgrade is true and that nothing else forces a replacement")
				}
				if !hasChanges(p) {
					return fmt.Errorf("the plan changes nothing: is engineVersion %s really in the program?", x.Get("target"))
				}
				return nil
			}),
			gateUpStep("gate", nil, "`pulumi up` will upgrade the engine in place. Expect a few minutes of downtime in the middle (about 3 minutes in February 2025)."),
			upgradeUpStep(),
			verifyVersionStep(),
			explainStep("explain-after", "Compare EXPLAIN ANALYZE spot checks (after)",
				"Paste the output of the same `EXPLAIN ANALYZE` queries now (end with an empty line), or leave empty to skip."),
			manualStep("extensions", "Plan the Postgres extension upgrades", PhaseVerify,
				"Extensions (pg_tle, pg_stat_statements, pg_cron...) are not upgraded with the engine. Plan their "+
					"upgrade as a separate Hasura migration (`ALTER EXTENSION ... UPDATE`).", nil,
				"psql -c 'SELECT name, installed_version, default_version FROM pg_available_extensions WHERE installed_version IS NOT NULL'"),
		},
	}
}

func versionDriftStep() *Step {
	return &Step{
		ID: "version-drift", Title: "Compare the engine version in AWS with the code", Kind: KindCheck, Phase: PhasePrepare,
		Needs:    []string{"instance"},
		Produces: []string{"current-version", "instance-arn", "engine"},
		Commands: []string{"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].EngineVersion'", "grep engineVersion index.ts"},
		Explanation: "AWS applies minor versions on its own between our deployments, so the version in " +
			"`index.ts` can be older than the real one (the team once had 12.17 in code and 12.19 in AWS). " +
			"Upgrade targets depend on the real version, so that is the one used.",
		Do: func(x *Exec) error {
			in, err := x.Deps().AWS.Instance(x.Ctx(), x.Get("instance"))
			if err != nil {
				return fmt.Errorf("read instance %s: %w", x.Get("instance"), err)
			}
			code := x.Get("code-version")
			if p := x.Deps().Program; p != nil {
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

func targetsStep() *Step {
	return &Step{
		ID: "targets", Title: "List the valid major-version targets", Kind: KindCheck, Phase: PhasePrepare,
		Needs:    []string{"current-version"},
		Produces: []string{"targets"},
		Commands: []string{"aws rds describe-db-engine-versions --engine postgres --engine-version {current-version} --query 'DBEngineVersions[0].ValidUpgradeTarget[?IsMajorVersionUpgrade==`true`].EngineVersion'"},
		Explanation: "Asks AWS which versions the running version may move to and keeps the major upgrades. " +
			"The list for the code's version is shown too when it differs, to make the drift visible.",
		Do: func(x *Exec) error {
			api := x.Deps().AWS
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

func chooseTargetStep() *Step {
	return &Step{
		ID: "choose-target", Title: "Choose the target version", Kind: KindDecision, Phase: PhaseDecide,
		Needs: []string{"targets"}, Produces: []string{"target"},
		Explanation: "Pick the version to move to. The newest valid target of the next major is recommended; " +
			"test it on staging first.",
		Do: func(x *Exec) error {
			ts := strings.Split(x.Get("targets"), ",")
			var opts []Option
			for i, t := range ts {
				o := Option{Value: t, Label: "postgres " + t}
				if i == len(ts)-1 {
					o.Recommended = true
					o.Reason = "the newest valid target"
				}
				opts = append(opts, o)
			}
			v, err := x.Choose("target", "Upgrade to which version?", "Valid major targets from "+x.Get("current-version")+".", x.Options().Target, opts)
			if err != nil {
				return err
			}
			x.Set("target", v)
			return nil
		},
	}
}

func pendingMaintenanceStep() *Step {
	return &Step{
		ID: "pending-maintenance", Title: "Deal with pending maintenance first", Kind: KindDecision, Phase: PhasePrepare,
		Needs: []string{"instance-arn"}, Produces: []string{"maintenance-action"},
		Commands: []string{
			"aws rds describe-pending-maintenance-actions --resource-identifier {instance-arn}",
			"aws rds apply-pending-maintenance-action --resource-identifier {instance-arn} --apply-action system-update --opt-in-type immediate",
		},
		Explanation: "Pending maintenance actions once made a real major upgrade fail: RDS refused it with " +
			"\"Database instance is in a state that cannot be upgraded\" while Pulumi reported success. Apply " +
			"them first (and wait), or schedule them for the maintenance window and upgrade afterwards.",
		Do: func(x *Exec) error {
			api := x.Deps().AWS
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
			v, err := x.Choose("action", "Pending maintenance on "+x.Get("instance"), strings.Join(lines, "\n"), "", []Option{
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
						x.Issue(key, map[string]string{"arn": arn, "action": a.Action, "opt-in": "immediate"})
						if err := api.ApplyMaintenance(x.Ctx(), arn, a.Action, "immediate"); err != nil {
							return fmt.Errorf("apply %s: %w", a.Action, err)
						}
					}
				}
				// Give AWS a moment to pick the action up before waiting.
				if err := x.Sleep(30 * time.Second); err != nil {
					return err
				}
				if _, err := x.waitAvailable(x.Get("instance"), waitMaintenance); err != nil {
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
						x.Issue(key, map[string]string{"arn": arn, "action": a.Action, "opt-in": "next-maintenance"})
						if err := api.ApplyMaintenance(x.Ctx(), arn, a.Action, "next-maintenance"); err != nil {
							return fmt.Errorf("schedule %s: %w", a.Action, err)
						}
					}
				}
				return &StopError{Reason: "maintenance scheduled for the next maintenance window; run the upgrade after it"}
			case "ignore":
				x.Warn("upgrading with pending maintenance: RDS may refuse the upgrade (RDS-EVENT-0158); the run watches for it")
			}
			return nil
		},
	}
}

var execTimeRE = regexp.MustCompile(`(?i)execution time:\s*([0-9.]+)\s*ms`)

// executionTimes returns every "Execution Time: N ms" of pasted EXPLAIN
// ANALYZE output.
func executionTimes(s string) []float64 {
	var out []float64
	for _, m := range execTimeRE.FindAllStringSubmatch(s, -1) {
		if v, err := strconv.ParseFloat(m[1], 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

func explainStep(id, title, body string) *Step {
	phase := PhasePrepare
	if id == "explain-after" {
		phase = PhaseVerify
	}
	return &Step{
		ID: id, Title: title, Kind: KindManual, Phase: phase,
		Commands: []string{"psql \"$DATABASE_URL\" -c 'EXPLAIN ANALYZE SELECT ...'"},
		Explanation: "Optional performance spot checks: the same queries before and after the upgrade, " +
			"compared by execution time. Query plans can change with a new major.",
		Do: func(x *Exec) error {
			txt, err := x.Text("paste", title, body, "")
			if err != nil {
				return err
			}
			times := executionTimes(txt)
			if strings.TrimSpace(txt) == "" {
				return Skip("no spot checks pasted")
			}
			if len(times) == 0 {
				x.Warn("no \"Execution Time: N ms\" line found in what was pasted; kept as text only")
			}
			var parts []string
			for _, t := range times {
				parts = append(parts, strconv.FormatFloat(t, 'f', -1, 64))
			}
			x.Set(id+"-ms", strings.Join(parts, ","))
			if id != "explain-after" {
				x.Say("saved %d execution times: %s ms", len(times), strings.Join(parts, ", "))
				return nil
			}
			before := strings.Split(x.Get("explain-before-ms"), ",")
			for i, a := range times {
				if i >= len(before) || before[i] == "" {
					break
				}
				b, _ := strconv.ParseFloat(before[i], 64)
				if b <= 0 {
					continue
				}
				ratio := a / b
				line := fmt.Sprintf("query %d: %.3g ms before, %.3g ms after (x%.2f)", i+1, b, a, ratio)
				if ratio > 1.5 {
					x.Warn("%s: slower after the upgrade; check its plan (ANALYZE may need to run)", line)
				} else {
					x.Say("%s", line)
				}
			}
			return nil
		},
	}
}

func stagingFirstStep() *Step {
	return &Step{
		ID: "staging-first", Title: "Upgrade staging before production", Kind: KindCheck, Phase: PhasePrepare,
		Explanation: "On production, the same upgrade must have run on staging first. The tool looks for a " +
			"finished staging upgrade in its state directory; without one it asks you to confirm it by hand.",
		Do: func(x *Exec) error {
			if !x.Production() {
				return Skip("this is not production: this run is the rehearsal")
			}
			if t := loadTimings(x.Options().StateDir, "upgrade"); len(t) > 0 {
				x.Say("a finished staging upgrade is recorded in the state directory")
				return nil
			}
			_, err := x.Manual("staging", "Confirm staging was upgraded to "+x.Get("target")+" first",
				"No finished staging upgrade is recorded here. Upgrade staging first, or tick this with a note saying where it was done.")
			return err
		},
	}
}

func bumpVersionStep() *Step {
	return &Step{
		ID: "bump-version", Title: "Bump engineVersion in the program", Kind: KindAction, Phase: PhasePlan,
		Needs:    []string{"target"},
		Commands: []string{"sed -i 's/engineVersion: \".*\"/engineVersion: \"{target}\"/' index.ts", "git commit -am 'chore(data): upgrade postgres to {target} [skip pizza]'"},
		Explanation: "Writes the target into `engineVersion` in `index.ts` and commits it. A new major also " +
			"needs a parameter group of the new family (e.g. postgres17) with the same `rds.force_ssl = 0`.",
		Do: func(x *Exec) error {
			p := x.Deps().Program
			t := x.Get("target")
			if p == nil {
				_, err := x.Manual("edit", "Set engineVersion to "+t+" in index.ts and commit", "No program editor is configured: edit index.ts by hand.")
				return err
			}
			diff, err := p.SetEngineVersion(t)
			if err != nil {
				return fmt.Errorf("set engineVersion %s: %w", t, err)
			}
			for _, l := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
				x.Say("%s", l)
			}
			c, err := p.Commit("chore(data): upgrade postgres to " + t + " [skip pizza]")
			if err != nil {
				return fmt.Errorf("commit the program change: %w", err)
			}
			if c == "" {
				x.Say("the program directory is not a git repository: commit the change by hand")
			} else {
				x.Say("committed %s", c)
			}
			return nil
		},
	}
}

// upgradeFailedEvent is the RDS event of a refused upgrade.
const upgradeFailedEvent = "RDS-EVENT-0158"

func isUpgradeRefused(e awsclient.Event) bool {
	return e.ID == upgradeFailedEvent || strings.Contains(e.Message, "cannot be upgraded")
}

func upgradeUpStep() *Step {
	return &Step{
		ID: "up", Title: "Upgrade (pulumi up) while watching RDS events", Kind: KindAction, Phase: PhaseApply,
		Needs:    []string{"target", "instance"},
		Commands: []string{"pulumi up --stack {stack}", "aws rds describe-events --source-type db-instance --source-identifier {instance} --duration 60"},
		Explanation: "Runs the update and reads the instance's RDS events meanwhile. RDS can refuse a major " +
			"upgrade (RDS-EVENT-0158, \"Database instance is in a state that cannot be upgraded\") after " +
			"Pulumi has already reported success; the version simply stays. Such an event or an unchanged " +
			"version fails this step loudly.",
		Do: func(x *Exec) error {
			api := x.Deps().AWS
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
			_, _, err := runUp(x, x.Deps().Data, nil)
			close(stop)
			<-watched
			if err != nil {
				return err
			}
			in, werr := x.waitAvailable(id, waitUpgrade)
			check()
			mu.Lock()
			defer mu.Unlock()
			if len(refused) > 0 {
				return fmt.Errorf("the upgrade failed although Pulumi reported success: %s (%s). Usually pending maintenance is the cause: apply or schedule it, then run the upgrade again",
					refused[0].Message, upgradeFailedEvent)
			}
			if werr != nil {
				return werr
			}
			if in.EngineVersion != x.Get("target") {
				return fmt.Errorf("the upgrade did not happen although Pulumi reported success: the instance still runs %s, not %s; read the RDS events and pg_upgrade logs", in.EngineVersion, x.Get("target"))
			}
			x.Say("%s now runs %s", id, in.EngineVersion)
			return nil
		},
	}
}

func verifyVersionStep() *Step {
	return &Step{
		ID: "verify", Title: "Verify the new version", Kind: KindCheck, Phase: PhaseVerify,
		Needs:       []string{"target", "instance"},
		Commands:    []string{"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].[DBInstanceStatus,EngineVersion]'"},
		Explanation: "The instance must be `available` on the target version, with its parameter group in sync.",
		Do: func(x *Exec) error {
			in, err := x.WaitAvailable(x.Get("instance"))
			if err != nil {
				return err
			}
			if in.EngineVersion != x.Get("target") {
				return fmt.Errorf("instance %s runs %s, not %s", in.ID, in.EngineVersion, x.Get("target"))
			}
			if in.ParameterApplyStatus != "" && in.ParameterApplyStatus != "in-sync" {
				x.Warn("parameter group %s is %s: a reboot may be needed", in.ParameterGroup, in.ParameterApplyStatus)
			}
			x.Say("%s is available on %s with parameter group %s", in.ID, in.EngineVersion, in.ParameterGroup)
			return nil
		},
	}
}
