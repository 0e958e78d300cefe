package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

var (
	restoring   = []engine.Cond{{Var: "method", Values: []string{"pulumi", "console"}}}
	viaPulumi   = []engine.Cond{{Var: "method", Values: []string{"pulumi"}}}
	viaConsole  = []engine.Cond{{Var: "method", Values: []string{"console"}}}
	maintenance = []engine.Cond{{Var: "maintenance", Values: []string{"on"}}}
)

func and(a []engine.Cond, b ...engine.Cond) []engine.Cond {
	return append(append([]engine.Cond(nil), a...), b...)
}

func restoreRunbook() *engine.Runbook {
	oldExists := engine.Cond{Var: "exists", Values: []string{"yes"}}
	return &engine.Runbook{
		Name: "restore", Title: "Restore the database from a snapshot or to a point in time",
		Short:    "Restore the database from a snapshot or to a point in time (--to), by Pulumi replacement or beside it (console method)",
		Line:     "bring the database back from a snapshot (wizard first)",
		Examples: []string{"datalayer restore --stack staging", "datalayer restore --stack production --method pulumi --lost critical"},
		Urgent:   true,
		Summary: "A wizard first: what was lost, whether the instance still exists, which method, when the damage " +
			"happened. Then the point to restore (a time just before the damage, or a snapshot), a fresh snapshot " +
			"of what is there now, and either a Pulumi-managed replacement or a restore beside the old instance " +
			"followed by a rename swap.",
		Secret:  secretVars,
		Path:    restorePath,
		Results: func(_ engine.RunInfo, vars map[string]string) string { return restoreReport(vars) },
		Flags:   restoreFlags,
		Decisions: []engine.Decision{
			{Var: "lost", Values: lostValues},
			{Var: "exists", Values: []string{"yes", "no"}},
			{Var: "method", Values: methodValues},
			{Var: "maintenance", Values: []string{"on", "off"}},
			{Var: "restore-from", Values: []string{fromTime, fromSnapshot}},
		},
		Steps: []*engine.Step{
			identityStep(),
			stackStep(emptyDroppedInstance),
			lostStep(),
			existsStep(),
			methodStep(),
			maintenanceDecisionStep(),
			maintenanceStep("maintenance-on", "on"),
			engine.ManualStep("no-restore", "Repair without a restore", PhaseApply,
				"No snapshot restore is needed. For a table we sync nightly from production to staging "+
					"(e.g. `teams`), import it back from staging, especially when the newest snapshot is older "+
					"than the last sync. Tick this with a note of what was repaired.",
				[]engine.Cond{{Var: "method", Values: []string{"none"}}},
				"pg_dump --data-only --table=teams \"$STAGING_DATABASE_URL\" | psql \"$PRODUCTION_DATABASE_URL\""),
			damageTimeStep(),
			restorePointStep(),
			pickSnapshotStep(),
			freshSnapshotStep(and(restoring, oldExists)),
			// Pulumi method.
			patchProgramStep(),
			engineVersionStep("engine-version", restoring, versionOfSnapshot),
			withIf(refreshStep("refresh", false), viaPulumi),
			confirmStackStep(),
			withIf(previewStep("preview", "Preview the restore", checkRestorePlan), viaPulumi),
			finalSnapshotStep("final-snapshot-guard", and(viaPulumi, oldExists)),
			restoreGateStep(),
			upRestoreStep(),
			prepareAppStep(),
			waitNewStep(),
			redeployAppStep(),
			withIf(oldGoneStep(), and(viaPulumi, oldExists)),
			// Console method.
			exportStep(),
			consoleRestoreStep(),
			waitRestoredStep(),
			laterSettingsStep(),
			diffSettingsStep(),
			renameGateStep(and(viaConsole, oldExists)),
			renameOldStep(and(viaConsole, oldExists)),
			renameNewStep(and(viaConsole, oldExists)),
			stateCheckStep(),
			repairStateStep(),
			maintenanceStep("maintenance-off", "off"),
			engine.ManualStep("verify-app", "Check the application works", PhaseVerify,
				"Open the application, log in, load a flow, and check the data that was lost is back.", restoring),
		},
	}
}

// withIf sets a step's conditions and returns it.
func withIf(s *engine.Step, c []engine.Cond) *engine.Step {
	s.If = c
	return s
}

func lostStep() *engine.Step {
	return &engine.Step{
		ID: "lost", Title: "What was lost?", Kind: engine.KindDecision, Phase: PhaseDecide, Produces: []string{"lost"},
		Explanation: "The answer chooses the method. The whole database or feature-critical tables (flows, " +
			"teams, users, lowcal_sessions) call for a Pulumi-managed restore and maintenance mode; isolated " +
			"tables (feedback, analytics) or logs can be restored beside the current database and repaired " +
			"table by table; sometimes no restore is needed at all.",
		Do: func(x *engine.Exec) error {
			v, err := x.Choose("lost", "What was lost?", "", x.Flag("lost"), []engine.Option{
				{Value: "whole", Label: "The whole database (deleted, or all data gone)"},
				{Value: "critical", Label: "Feature-critical tables (flows, teams, users, lowcal_sessions)"},
				{Value: "isolated", Label: "Isolated tables (feedback, analytics) or audit/application logs"},
				{Value: "none", Label: "Maybe nothing needs a restore (e.g. a table synced nightly from staging)"},
			})
			if err != nil {
				return err
			}
			x.Set("lost", v)
			return nil
		},
	}
}

func existsStep() *engine.Step {
	return &engine.Step{
		ID: "exists", Title: "Does the instance still exist?", Kind: engine.KindDecision, Phase: PhaseDecide,
		Needs: []string{"instance"}, Produces: []string{"exists"},
		Commands: []string{"aws rds describe-db-instances --db-instance-identifier {instance}"},
		Explanation: "Asked of AWS rather than of you. When the instance is still there, a fresh snapshot of it " +
			"is taken first, and the console method has to rename it out of the way.",
		Do: func(x *engine.Exec) error {
			in, err := deps(x).AWS.Instance(x.Ctx(), x.Get("instance"))
			switch {
			case err == nil:
				x.Say("%s exists (%s, postgres %s, resource id %s)", in.ID, in.Status, in.EngineVersion, in.ResourceID)
				x.Set("exists", "yes")
				x.Set("old-resource-id", in.ResourceID)
			case IsNotFound(err):
				x.Warn("%s does not exist any more", x.Get("instance"))
				x.Set("exists", "no")
			default:
				return fmt.Errorf("look up %s: %w", x.Get("instance"), err)
			}
			return nil
		},
	}
}

// recommendMethod is the runbook's rule of thumb.
func recommendMethod(lost, exists string) (string, map[string]string) {
	reasons := map[string]string{
		"pulumi":  "the controlled way: Pulumi creates the restored instance and deletes the old one after a final snapshot",
		"console": "restores beside the current instance, which is kept, so lost tables can be repaired one by one; the application needs no redeploy",
		"none":    "no restore: e.g. re-import a nightly-synced table from staging",
	}
	switch lost {
	case "whole":
		reasons["pulumi"] = "the whole database is gone: always restore through Pulumi"
		return "pulumi", reasons
	case "critical":
		reasons["pulumi"] = "feature-critical tables were lost: restore through Pulumi, with maintenance mode on"
		return "pulumi", reasons
	case "isolated":
		if exists == "no" {
			reasons["pulumi"] = "the instance is gone, so nothing can be repaired in place: restore through Pulumi"
			return "pulumi", reasons
		}
		reasons["console"] = "only isolated tables were lost: restore beside the current database and repair table by table"
		return "console", reasons
	}
	reasons["none"] = "nothing may need a restore: repair from staging if the table is synced nightly"
	return "none", reasons
}

func methodStep() *engine.Step {
	return &engine.Step{
		ID: "method", Title: "Choose the restore method", Kind: engine.KindDecision, Phase: PhaseDecide,
		Needs: []string{"lost", "exists"}, Produces: []string{"method"},
		Explanation: "Pulumi is preferred: it is the more controlled way, though the new instance gets a new name " +
			"and the application must be pointed at it. The console method (done here through the API) keeps the " +
			"old instance until the swap and keeps the name, at the price of reproducing every setting by hand.",
		Do: func(x *engine.Exec) error {
			rec, reasons := recommendMethod(x.Get("lost"), x.Get("exists"))
			// The console method copies every setting from the stack's state:
			// a state that dropped the instance has none to copy, while the
			// program still declares them all.
			dropped := x.Get("state-dropped") == "yes"
			if dropped && x.Flag("method") == "console" {
				return fmt.Errorf("--method console cannot restore %s: the stack's state no longer holds the instance, so it has none of the settings (parameter group, security groups, subnet group…) a restore through the API must repeat. Nothing was changed. "+
					"Restore through Pulumi instead (`--method pulumi`): the program declares every setting, and the restored instance is tracked by the stack again", x.Get("instance"))
			}
			var opts []engine.Option
			for _, m := range []struct{ v, label string }{
				{"pulumi", "Through Pulumi (snapshotIdentifier, replace)"},
				{"console", "Through the API, as in the console (restore beside, then rename swap)"},
				{"none", "No restore"},
			} {
				if dropped && m.v == "console" {
					continue
				}
				opts = append(opts, engine.Option{Value: m.v, Label: m.label, Recommended: m.v == rec, Reason: reasons[m.v]})
			}
			v, err := x.Choose("method", "Restore how?", "", x.Flag("method"), opts)
			if err != nil {
				return err
			}
			if v == "console" && x.Get("exists") == "no" {
				x.Say("the instance is gone: the restored one takes its name directly, no rename needed")
			}
			x.Set("method", v)
			return nil
		},
	}
}

func maintenanceDecisionStep() *engine.Step {
	return &engine.Step{
		ID: "maintenance", Title: "Maintenance mode?", Kind: engine.KindDecision, Phase: PhaseDecide,
		Needs: []string{"lost", "method"}, Produces: []string{"maintenance"},
		Explanation: "Feature-critical data loss or a whole-database restore means the application should show " +
			"a maintenance page while the data is put back. For isolated tables it can stay up.",
		Do: func(x *engine.Exec) error {
			on := x.Get("lost") == "whole" || x.Get("lost") == "critical"
			reason := "isolated or no data loss: the application can stay up"
			if on {
				reason = "users would see missing or inconsistent core data while the restore runs"
			}
			v, err := x.Choose("maintenance", "Turn maintenance mode on?", "", "", []engine.Option{
				{Value: "on", Label: "Yes, turn maintenance mode on", Recommended: on, Reason: reasonIf(on, reason)},
				{Value: "off", Label: "No, keep the application up", Recommended: !on, Reason: reasonIf(!on, reason)},
			})
			if err != nil {
				return err
			}
			x.Set("maintenance", v)
			return nil
		},
	}
}

func reasonIf(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

func maintenanceStep(id, state string) *engine.Step {
	title := "Turn maintenance mode " + state
	phase := PhaseApply
	if state == "off" {
		phase = PhaseVerify
	}
	return &engine.Step{
		ID: id, Title: title, Kind: engine.KindManual, Phase: phase, If: maintenance,
		Automated: func(o engine.Options) bool { return o.Flag("maintenance-command") != "" },
		Explanation: "A manual step unless the team configured a command that flips maintenance mode " +
			"(for example their CDN's maintenance switch); then that command is run with \"" + state + "\".",
		Do: func(x *engine.Exec) error {
			if cmd := maintenanceCommand(x.Options()); len(cmd) > 0 {
				argv := append(append([]string(nil), cmd...), state)
				if err := x.Issue("maintenance:"+state, map[string]any{"command": argv}); err != nil {
					return err
				}
				return x.RunCommand(argv)
			}
			_, err := x.Manual("done", title, "Flip the maintenance switch "+state+" and tick this with a note of how.")
			return err
		},
	}
}

func pickSnapshotStep() *engine.Step {
	return &engine.Step{
		ID: "snapshot", Title: "Pick the snapshot", Kind: engine.KindDecision, Phase: PhaseDecide, If: and(restoring, viaSnapshot),
		Needs: []string{"instance"}, Produces: []string{"snapshot"},
		Commands: []string{"aws rds describe-db-snapshots --db-instance-identifier {instance} --query 'reverse(sort_by(DBSnapshots,&SnapshotCreateTime))[].[DBSnapshotIdentifier,SnapshotCreateTime,SnapshotType]'"},
		Explanation: "Newest first, with its age. Everything written after the snapshot was taken is lost by " +
			"restoring it, so the newest usable one is usually right. Use the name, not the ARN.",
		Do: func(x *engine.Exec) error {
			snaps, err := deps(x).AWS.Snapshots(x.Ctx(), x.Get("instance"))
			if err != nil {
				return fmt.Errorf("list snapshots of %s: %w", x.Get("instance"), err)
			}
			sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Created.After(snaps[j].Created) })
			now := x.Clock().Now()
			damage, damaged := time.Parse(time.RFC3339, x.Get("damage-time"))
			var opts []engine.Option
			recommended := false
			for _, s := range snaps {
				if s.Status != "available" {
					continue
				}
				age := now.Sub(s.Created)
				o := engine.Option{Value: s.ID, Label: fmt.Sprintf("%s — %s, %s; loses what was written since %s", s.ID, s.Type, snapshotAge(age), s.Created.UTC().Format("2006-01-02 15:04 MST"))}
				after := damaged == nil && !s.Created.Before(damage)
				if after {
					o.Label += " (taken after the damage)"
				}
				if !recommended && !after {
					recommended = true
					o.Recommended = true
					o.Reason = "the newest: the smallest data-loss window (" + lossWindow(age) + ")"
					if damaged == nil {
						o.Reason = "the newest before the damage: the smallest data-loss window (" + lossWindow(age) + ")"
					}
				}
				opts = append(opts, o)
			}
			if len(opts) == 0 {
				return fmt.Errorf("no available snapshot of %s", x.Get("instance"))
			}
			body := "1 snapshot."
			if len(opts) > 1 {
				body = fmt.Sprintf("%d snapshots, newest first.", len(opts))
			}
			v, err := x.Choose("snapshot", "Restore from which snapshot?", body, x.Flag("snapshot"), opts)
			if err != nil {
				return err
			}
			x.Set("snapshot", v)
			for _, s := range snaps {
				if s.ID == v {
					x.Set("data-loss", lossWords(now.Sub(s.Created))+" (since the snapshot was taken)")
				}
			}
			return nil
		},
	}
}

// snapshotAge says how old a snapshot is, for its label: "3h02m old", or
// "just taken" under a minute (also when the local clock is behind AWS's and
// the age comes out negative).
func snapshotAge(d time.Duration) string {
	if d < time.Minute {
		return "just taken"
	}
	return HumanAge(d) + " old"
}

// lossWindow is the data-loss window a restore from a snapshot of that age
// implies, in words.
func lossWindow(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	return HumanAge(d)
}

// HumanAge writes a duration the way a person reads a snapshot's age: the
// data-loss window a restore from it implies.
func HumanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

func freshSnapshotStep(conds []engine.Cond) *engine.Step {
	return &engine.Step{
		ID: "fresh-snapshot", Title: "Take a fresh snapshot of the current instance", Kind: engine.KindAction, Phase: PhasePrepare, If: conds,
		Needs: []string{"instance"}, Produces: []string{},
		Commands: []string{
			`snap={instance}-before-restore-$(date -u +%Y%m%d-%H%M)`,
			`aws rds create-db-snapshot --db-instance-identifier {instance} --db-snapshot-identifier "$snap"`,
			`aws rds wait db-snapshot-available --db-snapshot-identifier "$snap"`,
		},
		Explanation: "Even in a bad state, what is there now may hold data the snapshot does not. Keep a copy " +
			"before replacing anything. Declining needs a reason in words.",
		Do: func(x *engine.Exec) error {
			inst := x.Get("instance")
			name := ""
			if facts, ok := x.Issued("create-snapshot"); ok {
				var f map[string]string
				_ = json.Unmarshal([]byte(facts), &f)
				name = f["snapshot"]
			} else {
				take, err := x.Confirm("take", "Take a fresh snapshot of "+inst+" first?", "Recommended. It takes a few minutes.", true)
				if err != nil {
					return err
				}
				if !take {
					why, err := x.Text("why", "Why no fresh snapshot?", "Say in words why the current instance is not worth a snapshot.", "")
					if err != nil {
						return err
					}
					if len(strings.Fields(why)) < 2 {
						return errors.New("declining the fresh snapshot needs a reason in words; `datalayer resume` asks again")
					}
					return engine.Skip("declined: %s", why)
				}
				name = inst + "-before-restore-" + x.Clock().Now().UTC().Format("20060102-1504")
			}
			if _, err := takeSnapshot(x, "create-snapshot", inst, name); err != nil {
				return err
			}
			x.Set("fresh-snapshot", name)
			x.Say("snapshot %s is available", name)
			return nil
		},
	}
}

func patchProgramStep() *engine.Step {
	return &engine.Step{
		ID: "patch-program", Title: "Add snapshotIdentifier or restoreToPointInTime to the program", Kind: engine.KindAction, Phase: PhasePlan, If: viaPulumi,
		Needs: []string{"restore-from"},
		Commands: []string{"# in index.ts, on the aws.rds.Instance: snapshotIdentifier: \"{snapshot}\",",
			"# or, to a point in time: restoreToPointInTime: { sourceDbInstanceIdentifier: \"{instance}\", restoreTime: \"{restore-time}\" },",
			"#   (sourceDbiResourceId: \"db-...\" when the instance was deleted; useLatestRestorableTime: true for the latest)",
			"git commit -am 'fix(data): restore db from {snapshot} [skip pizza]'"},
		Explanation: "The instance gets `snapshotIdentifier` set to the snapshot's name; that forces Pulumi to " +
			"create a new instance from it and delete the old one. The commit says `[skip pizza]` so CI does " +
			"not build preview environments for it. With a second engineer around, raise a PR and get it approved. " +
			"An `engineVersion` older than the snapshot's is raised to it by the next step, once you have seen the " +
			"diff: once the restored instance is up, Pulumi sets it to the program's version, and AWS refuses to " +
			"go back to an older one. A point-in-time restore sets `restoreToPointInTime` instead (the two exclude " +
			"each other): it is create-only and not computed, so it stays in the program afterwards — removing it " +
			"would replace the instance again.",
		Do: func(x *engine.Exec) error {
			p := deps(x).Editor
			snap := x.Get("snapshot")
			edit, what, msg := pulumiclient.SetSnapshot(snap), "snapshotIdentifier: \""+snap+"\"", "fix(data): restore the database from "+snap+" [skip pizza]"
			if x.Get("restore-from") == fromTime {
				pt := pointInTime(x)
				edit, what = pulumiclient.SetPointInTime(pt), "restoreToPointInTime ("+pt.String()+")"
				msg = "fix(data): restore the database to a point in time, " + pt.String() + " [skip pizza]"
			}
			if p == nil {
				_, err := x.Manual("edit", "Add "+what+" to the instance in index.ts and commit", "No program editor is configured: edit index.ts by hand.")
				return err
			}
			var diff string
			var err error
			if x.Get("restore-from") == fromTime {
				if diff, err = p.Propose(edit); err == nil {
					err = p.WriteProposed()
				}
			} else {
				diff, err = p.SetSnapshotIdentifier(snap)
			}
			if err != nil {
				return fmt.Errorf("add %s: %w", what, err)
			}
			for _, l := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
				x.Say("%s", l)
			}
			c, err := p.Commit(x.Ctx(), msg)
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

// olderVersion reports whether the program's engine version is below the
// one the instance runs (or the snapshot holds): a lower major, or the same
// major and a lower minor. A major alone ("16") stands for any of its
// minors, as the AWS provider reads it, and is never older than one of them.
func olderVersion(program, snapshot string) bool {
	pp, sp := strings.Split(program, "."), strings.Split(snapshot, ".")
	for i := range min(len(pp), len(sp)) {
		a, errA := strconv.Atoi(pp[i])
		b, errB := strconv.Atoi(sp[i])
		if errA != nil || errB != nil {
			return false
		}
		if a != b {
			return a < b
		}
	}
	return false
}

func confirmStackStep() *engine.Step {
	return &engine.Step{
		ID: "confirm-stack", Title: "Confirm the selected stack", Kind: engine.KindCheck, Phase: PhasePlan, If: viaPulumi,
		Commands:    []string{"pulumi stack"},
		Explanation: "Right before the preview, make absolutely sure the update targets the intended stack.",
		Do: func(x *engine.Exec) error {
			info, err := deps(x).Data.Info(x.Ctx())
			if err != nil {
				return fmt.Errorf("read stack: %w", err)
			}
			want := x.Options().Stack
			if info.Stack != want && !strings.HasSuffix(info.Stack, "/"+want) {
				return fmt.Errorf("the selected stack is %q, not %q: `pulumi stack select %s`", info.Stack, want, want)
			}
			x.Say("selected stack: %s", info.Stack)
			return nil
		},
	}
}

func restoreGateStep() *engine.Step {
	return &engine.Step{
		ID: "gate", Title: "Confirm the restore", Kind: engine.KindGate, Phase: PhaseApply, Destructive: true, If: viaPulumi,
		Needs: []string{"instance", "restore-from"},
		Explanation: "Nothing has changed yet. Type the name asked for to let Pulumi create the restored " +
			"instance and then, if the current one still exists, delete it (after its final snapshot).",
		Do: func(x *engine.Exec) error {
			inst := x.Get("instance")
			loss := ""
			if l := x.Get("data-loss"); l != "" {
				loss = "\n\nData-loss window: " + l + "."
			}
			body := fmt.Sprintf("`pulumi up` on stack **%s** will:\n\n1. create a new instance (new name app…) from **%s**;\n"+
				"2. delete **%s** after taking its final snapshot **%s**.\n\nThe application keeps using %s until its db-host is changed.%s\n\nThe plan:\n\n%s",
				x.Options().Stack, describePoint(x), inst, x.Get("final-snapshot"), inst, loss, x.Get("plan"))
			title := "Replace " + inst + "?"
			if x.Get("exists") == "no" {
				body = fmt.Sprintf("`pulumi up` on stack **%s** will create a new instance (new name app…) from **%s**. "+
					"Nothing is deleted: %s is already gone.%s\n\nThe plan:\n\n%s",
					x.Options().Stack, describePoint(x), inst, loss, x.Get("plan"))
				title = "Create the restored instance in place of " + inst + "?"
			}
			expect := x.GateExpect(inst)
			return x.Gate("confirm", title+" Type "+expect+" to go on", body, expect)
		},
	}
}

const groupSwitch = "pulumi-switch"

func upRestoreStep() *engine.Step {
	return &engine.Step{
		ID: "up", Title: "Create the restored instance (pulumi up)", Kind: engine.KindAction, Phase: PhaseApply, If: viaPulumi,
		Group: groupSwitch, Destructive: true, Needs: []string{"instance"}, Produces: []string{"new-instance"},
		Commands: []string{"pulumi up --stack {stack}"},
		Explanation: "Pulumi creates the new instance from the snapshot (about 7 minutes on staging), and once " +
			"the application has moved, deletes the old one after its final snapshot. The new instance's name " +
			"is taken from Pulumi's own account of its replacement step (the AWS provider names it before " +
			"asking AWS, so it is known early), never guessed from what AWS is creating: another instance may " +
			"be created in the account at the same time.",
		Do: func(x *engine.Exec) error {
			old := x.Get("instance")
			var once sync.Once
			named := func(p pulumiclient.Progress) {
				// A deleted instance is created, not replaced: the refresh
				// dropped it from the state.
				if p.Type != pulumiclient.InstanceType || p.Op != pulumiclient.OpCreateReplacement && p.Op != pulumiclient.OpCreate {
					return
				}
				id := replacementIdentifier(p)
				if id == "" || id == old {
					return
				}
				once.Do(func() {
					x.Say("Pulumi names the new instance %s (its %s step)", id, p.Op)
					x.Set("new-instance", id)
				})
			}
			_, resumed, err := runUpWith(x, deps(x).Data, upResume{created: restoreCreated(old)}, named)
			if err != nil {
				return err
			}
			if resumed {
				// The repaired, refreshed state names the replacement.
				exp, err := deps(x).Data.Export(x.Ctx())
				if err != nil {
					return fmt.Errorf("read the stack export for the replacement's name: %w", err)
				}
				if exp.Identifier != "" && exp.Identifier != old && exp.Identifier != x.Get("new-instance") {
					x.Say("the stack's state names the replacement %s", exp.Identifier)
					x.Set("new-instance", exp.Identifier)
				}
			}
			if !x.Has("new-instance") {
				// The update finished: the state names the replacement.
				exp, err := deps(x).Data.Export(x.Ctx())
				if err != nil {
					return fmt.Errorf("read the stack export for the replacement's name: %w", err)
				}
				if exp.Identifier == "" || exp.Identifier == old {
					return fmt.Errorf("pulumi up finished but neither its events nor the stack's state name a replacement of %s (state holds %q): check `pulumi stack export` before going on; nothing was written to the application", old, exp.Identifier)
				}
				x.Say("the stack's state names the replacement %s", exp.Identifier)
				x.Set("new-instance", exp.Identifier)
			}
			return nil
		},
	}
}

// restoreCreated finds, for a resume, the instance an interrupted restore
// asked AWS for when Pulumi's pending create does not name it: an instance
// created since the update began, restored from this snapshot. Several such
// cannot be told apart from AWS alone (known is false then).
func restoreCreated(old string) func(x *engine.Exec, op pulumiclient.PendingOperation) (string, bool, error) {
	return func(x *engine.Exec, op pulumiclient.PendingOperation) (string, bool, error) {
		if id := x.Get("new-instance"); id != "" {
			return id, true, nil // named by Pulumi's own events before the interruption
		}
		cands, err := restoreCandidates(x, old, upIssuedAt(x))
		if err != nil {
			return "", false, err
		}
		switch len(cands) {
		case 0:
			return "", true, nil
		case 1:
			return cands[0], true, nil
		}
		x.Warn("%d instances created since the update began could be the restore it asked for (%s): they cannot be told apart from AWS alone", len(cands), strings.Join(cands, ", "))
		return "", false, nil
	}
}

// replacementIdentifier picks the new instance's identifier out of a
// create-replacement event: its outputs once created, its checked inputs
// before (the AWS provider names the instance in Check), or its id where
// the provider tracks instances by identifier (@pulumi/aws before 6).
func replacementIdentifier(p pulumiclient.Progress) string {
	for _, m := range []map[string]any{p.Outputs, p.Inputs} {
		if v, ok := m["identifier"].(string); ok && v != "" {
			return v
		}
	}
	if p.Status == pulumiclient.StepDone && p.ID != "" && !strings.HasPrefix(p.ID, "db-") {
		return p.ID
	}
	return ""
}

// restoreEventPrefix starts the message of RDS-EVENT-0043, "Restored from
// snapshot <name>", which AWS records on an instance restored from a
// snapshot.
const restoreEventPrefix = "Restored from snapshot "

// restoredFrom returns the snapshot AWS says instance id was restored from
// (its RDS-EVENT-0043 since since), or "" when AWS shows no such event.
func restoredFrom(x *engine.Exec, id string, since time.Time) (string, error) {
	evs, err := deps(x).AWS.Events(x.Ctx(), id, since)
	if err != nil {
		return "", fmt.Errorf("read the RDS events of %s: %w", id, err)
	}
	for _, e := range evs {
		if e.ID == "RDS-EVENT-0043" || strings.HasPrefix(e.Message, restoreEventPrefix) {
			return strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(e.Message, restoreEventPrefix)), "."), nil
		}
	}
	return "", nil
}

// restoreCandidates lists the instances that may be the restore asked for
// since since (from the snapshot picked, or to a point in time of the
// instance): not old, not being deleted, created since (or still
// creating), and not restored from anything else. Several candidates
// cannot be told apart from AWS alone.
func restoreCandidates(x *engine.Exec, old string, since time.Time) ([]string, error) {
	snap := x.Get("snapshot")
	ins, err := deps(x).AWS.Instances(x.Ctx())
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	var out []string
	for _, in := range ins {
		if in.ID == old || in.Status == "deleting" {
			continue
		}
		if !in.Created.IsZero() && in.Created.Before(since) {
			continue
		}
		from, err := restoredFrom(x, in.ID, since)
		if err != nil {
			return nil, err
		}
		src, err := restoredFromInstance(x, in.ID, since)
		if err != nil {
			return nil, err
		}
		if x.Get("restore-from") == fromTime {
			if from != "" || src != "" && src != x.Get("instance") {
				continue
			}
		} else if from != "" && from != snap || src != "" {
			continue
		}
		out = append(out, in.ID)
	}
	sort.Strings(out)
	return out, nil
}

// swapFirstLabel builds a host for newID from oldHost.
func swapFirstLabel(oldHost, newID string) (string, error) {
	i := strings.Index(oldHost, ".")
	if i <= 0 {
		return "", fmt.Errorf("db-host has no domain part to keep")
	}
	return newID + oldHost[i:], nil
}

func prepareAppStep() *engine.Step {
	return &engine.Step{
		ID: "prepare-app", Title: "Prepare the application's db-host", Kind: engine.KindAction, Phase: PhaseSwitch, If: viaPulumi,
		Group: groupSwitch, Needs: []string{"new-instance"}, Produces: []string{"new-db-host", "app-version-before"},
		Commands: []string{
			"cd infrastructure/application && pulumi config get db-host --stack {app-stack}",
			"aws rds describe-db-instances --db-instance-identifier {new-instance} --query 'DBInstances[0].Endpoint.Address'",
			"pulumi config set --secret db-host <new endpoint> --stack {app-stack}",
		},
		Explanation: "While the new instance is being created: read the application's `db-host`, swap its first " +
			"label (the old instance's name) for the new name, and check the result against the endpoint AWS " +
			"reports once it has one. Only a verified value is written to the application stack's config.",
		Do: func(x *engine.Exec) error {
			app := deps(x).App
			if app == nil {
				_, err := x.Manual("set", "Set the application's db-host to the new endpoint", "No application stack is configured: set db-host by hand.")
				return err
			}
			oldHost, _, err := app.GetConfig(x.Ctx(), "db-host")
			if err != nil {
				return fmt.Errorf("read the application's db-host: %w", err)
			}
			x.SetSecret("db-host", oldHost)
			newID := x.Get("new-instance")
			built, err := swapFirstLabel(oldHost, newID)
			if err != nil {
				return fmt.Errorf("build the new db-host: %w", err)
			}
			x.Say("built the new db-host from the old one by swapping %s for %s", x.Get("instance"), newID)
			c, err := watch(x, "instance", newID, waitPolicyFor(x, waitCreate), func(c awsclient.Change) (bool, error) {
				return c.Instance != nil && c.Instance.Address != "", nil
			})
			if err != nil {
				return err
			}
			if c.Instance.Address != built {
				return fmt.Errorf("the built db-host does not match the endpoint AWS reports for %s (%s): nothing was written; check the endpoint in the console", newID, c.Instance.Address)
			}
			x.SetSecret("new-db-host", built)
			x.Say("the built db-host matches the endpoint AWS reports for %s", newID)
			// The application's last update before the change: a CI deploy
			// of the change shows up after it in the stack's history. A DIY
			// backend (file, S3) numbers every update 0, so its start time
			// is kept too.
			if !x.Has("app-version-before") {
				hs, err := app.History(x.Ctx(), 1, false)
				if err != nil {
					return fmt.Errorf("read the application stack's history: %w", err)
				}
				v, start := 0, ""
				if len(hs) > 0 {
					v = hs[0].Version
					if !hs[0].Start.IsZero() {
						start = hs[0].Start.UTC().Format(time.RFC3339Nano)
					}
				}
				x.Set("app-version-before", strconv.Itoa(v))
				x.Set("app-update-before", start)
			}
			key := "set-config:db-host:" + newID
			if _, ok := x.Issued(key); !ok {
				if err := x.Issue(key, map[string]string{"stack": x.Options().AppStack, "instance": newID}); err != nil {
					return err
				}
			}
			if err := app.SetConfig(x.Ctx(), "db-host", built, true); err != nil {
				return fmt.Errorf("stage db-host in the application stack: %w", err)
			}
			x.Say("staged db-host (secret) in the application stack's config")
			if x.Flag("app-deploy") == "ci" {
				x.Say("next, by hand: commit Pulumi.%s.yaml with the new secret db-host and raise a PR (do not merge before the new instance is available)", x.Options().AppStack)
			}
			return nil
		},
	}
}

func waitNewStep() *engine.Step {
	return &engine.Step{
		ID: "wait-new", Title: "Wait for the new instance to be available", Kind: engine.KindWait, Phase: PhaseApply, If: viaPulumi,
		Group: groupSwitch, Needs: []string{"new-instance"}, Produces: []string{"new-available"},
		Commands:    []string{"aws rds wait db-instance-available --db-instance-identifier {new-instance}"},
		Explanation: "The application can move once the new instance is `available`.",
		Do: func(x *engine.Exec) error {
			id := x.Get("new-instance")
			in, err := waitAvailable(x, id, waitCreate)
			if err != nil {
				return err
			}
			// Cross-check Pulumi's word with AWS's: the instance it named
			// was restored from the snapshot picked, or to a point in time
			// of the instance.
			if x.Get("restore-from") == fromTime {
				src, err := restoredFromInstance(x, id, x.Info().Started)
				switch want := x.Get("instance"); {
				case err != nil:
					x.Warn("could not check what %s was restored from: %v", id, err)
				case src == "":
					x.Warn("AWS shows no \"Restored from DB instance\" event for %s yet; going on with Pulumi's word for it", id)
				case src != want:
					return fmt.Errorf("the replacement Pulumi named, %s, is a point-in-time restore of %s according to AWS, not of %s: nothing was switched to it. Compare `pulumi stack export` with the instances in AWS before going on", id, src, want)
				default:
					x.Say("AWS confirms %s is a point-in-time restore of %s (%s)", id, src, describePoint(x))
				}
				x.Set("new-resource-id", in.ResourceID)
				x.Set("new-available", "yes")
				return nil
			}
			from, err := restoredFrom(x, id, x.Info().Started)
			switch snap := x.Get("snapshot"); {
			case err != nil:
				x.Warn("could not check which snapshot %s was restored from: %v", id, err)
			case from == "":
				x.Warn("AWS shows no \"Restored from snapshot\" event for %s yet; going on with Pulumi's word for it", id)
			case from != snap:
				return fmt.Errorf("the replacement Pulumi named, %s, was restored from %s according to AWS, not from %s: nothing was switched to it. Compare `pulumi stack export` with the instances in AWS before going on", id, from, snap)
			default:
				x.Say("AWS confirms %s was restored from %s", id, from)
			}
			x.Set("new-resource-id", in.ResourceID)
			x.Set("new-available", "yes")
			return nil
		},
	}
}

func redeployAppStep() *engine.Step {
	return &engine.Step{
		ID: "redeploy-app", Title: "Redeploy the application layer", Kind: engine.KindAction, Phase: PhaseSwitch, If: viaPulumi,
		Group: groupSwitch, Destructive: true, Needs: []string{"new-available", "new-db-host"},
		Commands: []string{
			"gh workflow run cron-deploy-to-production.yml   # or merge the PR on staging",
			"cd infrastructure/application && pulumi stack history --stack {app-stack}   # a new successful update",
			"cd infrastructure/application && pulumi up --stack {app-stack}   # without CI",
		},
		Explanation: "With the new instance available, deploy the application with the new `db-host`. Normally " +
			"through CI (merge the PR, or run the production workflow): the program watches the application " +
			"stack's update history and goes on when a successful update has deployed the new db-host. With no " +
			"second engineer to approve, directly with `pulumi up` on the application stack.",
		Do: func(x *engine.Exec) error {
			app := deps(x).App
			if x.Flag("app-deploy") == "up" && app != nil {
				expect := x.Options().AppStack
				if err := x.Gate("confirm", "Deploy the application stack "+expect+"?",
					"`pulumi up` on the application stack **"+expect+"** points the application at **"+x.Get("new-instance")+"**.", expect); err != nil {
					return err
				}
				_, _, err := runUp(x, app, nil)
				return err
			}
			if app == nil {
				_, err := x.Manual("ci", "Deploy the application through CI",
					"Merge the PR (staging) or run the production workflow, and tick this when the deploy has finished. "+
						"No application stack is configured, so the program cannot see the deploy.")
				return err
			}
			body := "Commit Pulumi." + x.Options().AppStack + ".yaml with the new secret db-host if not done yet, raise the PR and " +
				"merge it (staging), or run the production workflow (production, after the PR to the production branch). " +
				"The program watches the application stack's update history and ticks this off itself when a successful " +
				"update has deployed the new db-host. Tick it yourself only if you deployed it another way."
			if x.Options().Rehearsal {
				body += "\n\nIn this rehearsal a simulated CI deploys the application a few minutes after db-host is staged."
			}
			note, err := x.ManualOrEvidence("ci", "Deploy the application through CI", body, "the application stack's update history", func(ctx context.Context) (string, error) {
				return watchAppDeploy(x, ctx)
			})
			if err != nil {
				return err
			}
			if !strings.HasPrefix(note, "seen by the program") {
				x.Warn("ticked by hand: the application stack's history does not show the deploy (yet)")
			}
			return nil
		},
	}
}

// laterUpdate reports whether update h came after the application's last
// update before db-host was staged: by number where the backend numbers
// updates (Pulumi Cloud), else by start time (a DIY backend, file or S3,
// numbers every update 0 in `pulumi stack history --json`); times are
// compared with the history's own, never with this machine's clock.
func laterUpdate(h pulumiclient.Update, beforeVersion int, beforeStart time.Time) bool {
	if beforeVersion > 0 && h.Version > 0 {
		return h.Version > beforeVersion
	}
	// No update before the change, or none numbered: by start time.
	return beforeStart.IsZero() || h.Start.After(beforeStart)
}

// updateName names an update of the application stack for a person: its
// number, or its start time where the backend does not number updates.
func updateName(h pulumiclient.Update) string {
	if h.Version > 0 {
		return fmt.Sprintf("update #%d", h.Version)
	}
	return "the update started " + h.Start.UTC().Format(time.RFC3339)
}

// watchAppDeploy watches the application stack's history until a
// successful update after the last one before the change ran with the new
// db-host (compared in memory, never shown), and returns what it saw.
func watchAppDeploy(x *engine.Exec, ctx context.Context) (string, error) {
	app := deps(x).App
	info, err := app.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("read the application stack: %w", err)
	}
	key := info.Project + ":db-host"
	before, _ := strconv.Atoi(x.Get("app-version-before"))
	beforeStart, _ := time.Parse(time.RFC3339Nano, x.Get("app-update-before"))
	want := x.Get("new-db-host")
	pol := waitPolicyFor(x, waitCI)
	start := x.Clock().Now()
	after := "the first update"
	switch {
	case before > 0:
		after = fmt.Sprintf("a deploy after update #%d", before)
	case !beforeStart.IsZero():
		after = "a deploy after the update started " + beforeStart.UTC().Format(time.RFC3339)
	}
	x.Say("watching the application stack's update history for %s (every 30s, for up to %s)", after, round(pol.limit))
	told := map[string]bool{}
	for {
		hs, err := app.History(ctx, 10, true)
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			x.Warn("could not read the application stack's history (%v); trying again", err)
		}
		for i := len(hs) - 1; i >= 0; i-- {
			h := hs[i]
			if !laterUpdate(h, before, beforeStart) || h.Kind != "update" {
				continue
			}
			tell := func(k, format string, args ...any) {
				if !told[k] {
					told[k] = true
					x.Say(format, args...)
				}
			}
			id := strconv.Itoa(h.Version) + "@" + h.Start.UTC().Format(time.RFC3339Nano)
			name := updateName(h)
			switch {
			case h.Result == "succeeded" && h.Config[key] == want:
				return fmt.Sprintf("%s of the application stack succeeded at %s with the new db-host", name, h.End.UTC().Format(time.RFC3339)), nil
			case h.Result == "succeeded":
				tell("other"+id, "%s of the application stack succeeded but did not deploy the new db-host: still waiting for the one that does (was the PR merged?)", name)
			case h.Result == "failed":
				tell("failed"+id, "%s of the application stack FAILED: look at the CI run; still watching for a successful one", name)
			default:
				tell("running"+id, "%s of the application stack is %s (started %s)", name, orDefault(h.Result, "running"), h.Start.UTC().Format(time.RFC3339))
			}
		}
		if el := x.Clock().Since(start); el >= pol.limit {
			return "", fmt.Errorf("no successful deploy of the new db-host in the application stack's history after %s (%s): check the CI run, or deploy with `pulumi up` on the application stack; then %s",
				round(el), pol.why, resumeHint(x, "", ""))
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-x.Clock().After(30 * time.Second):
		}
	}
}

func oldGoneStep() *engine.Step {
	return &engine.Step{
		ID: "old-gone", Title: "Watch the old instance go and its final snapshot appear", Kind: engine.KindWait, Phase: PhaseVerify, If: viaPulumi,
		Needs:    []string{"instance", "final-snapshot"},
		Commands: []string{"aws rds wait db-instance-deleted --db-instance-identifier {instance}", "aws rds describe-db-snapshots --db-snapshot-identifier {final-snapshot}"},
		Explanation: "`pulumi up` goes on until the old instance is deleted, which includes taking its final " +
			"snapshot. The restore is complete when the old instance is gone and that snapshot exists.",
		Do: func(x *engine.Exec) error {
			if err := waitGone(x, x.Get("instance")); err != nil {
				return err
			}
			x.Say("%s is deleted", x.Get("instance"))
			s, err := waitSnapshotDone(x, x.Get("final-snapshot"))
			if err != nil {
				return err
			}
			x.Say("final snapshot %s is %s", s.ID, s.Status)
			return nil
		},
	}
}

// exportedSettings is the part of the stack export a restore reproduces.
type exportedSettings struct {
	Class              string   `json:"class"`
	StorageType        string   `json:"storageType"`
	StorageEncrypted   bool     `json:"storageEncrypted"`
	ParameterGroup     string   `json:"parameterGroup"`
	SecurityGroups     []string `json:"securityGroups"`
	SubnetGroup        string   `json:"subnetGroup"`
	MultiAZ            bool     `json:"multiAz"`
	PubliclyAccessible bool     `json:"publiclyAccessible"`
	DeletionProtection bool     `json:"deletionProtection"`
	Port               int32    `json:"port"`
	URN                string   `json:"urn"`
	// What a restore is not given: set by a modify once it is available.
	MaintenanceWindow string `json:"maintenanceWindow,omitempty"`
	BackupRetention   int32  `json:"backupRetention,omitempty"`
}

// later is what of the settings a restore cannot be given.
func (s exportedSettings) later() awsclient.LaterSettings {
	return awsclient.LaterSettings{MaintenanceWindow: s.MaintenanceWindow, BackupRetention: s.BackupRetention}
}

func exportStep() *engine.Step {
	return &engine.Step{
		ID: "export", Title: "Read the instance's settings from the stack export", Kind: engine.KindCheck, Phase: PhasePlan, If: viaConsole,
		Produces: []string{"settings"},
		Commands: []string{"pulumi stack export --stack {stack} > stack.json", "jq '.deployment.resources[] | select(.type==\"aws:rds/instance:Instance\") | .outputs' stack.json"},
		Explanation: "A restore does not carry the parameter group, the security groups or Multi-AZ over: AWS " +
			"uses defaults (so `rds.force_ssl` comes back on, and the console even defaults to Multi-AZ). The " +
			"stack export is the reference for every setting; drift against the live instance is shown.",
		Do: func(x *engine.Exec) error {
			exp, err := deps(x).Data.Export(x.Ctx())
			if err != nil {
				return fmt.Errorf("read the stack export: %w", err)
			}
			s := exportedSettings{
				Class: exp.Class, StorageType: exp.StorageType, StorageEncrypted: exp.StorageEncrypted,
				ParameterGroup: exp.ParameterGroup, SecurityGroups: exp.SecurityGroups, SubnetGroup: exp.SubnetGroup,
				MultiAZ: exp.MultiAZ, PubliclyAccessible: exp.PubliclyAccessible, DeletionProtection: exp.DeletionProtection,
				Port: exp.Port, URN: exp.URN, MaintenanceWindow: exp.MaintenanceWindow, BackupRetention: exp.BackupRetention,
			}
			x.Say("class %s, storage %s encrypted=%v, parameter group %s, security groups %s, subnet group %s, Multi-AZ %v, public %v",
				s.Class, s.StorageType, s.StorageEncrypted, s.ParameterGroup, strings.Join(s.SecurityGroups, " "), s.SubnetGroup, s.MultiAZ, s.PubliclyAccessible)
			if x.Get("exists") == "yes" {
				if in, err := deps(x).AWS.Instance(x.Ctx(), x.Get("instance")); err == nil {
					for _, d := range diffSettings(s, in) {
						x.Warn("drift: %s is %s in AWS but %s in the stack export", d.Field, d.Got, d.Want)
					}
				}
			}
			b, _ := json.Marshal(s)
			x.Set("settings", string(b))
			x.Set("state-urn", exp.URN)
			return nil
		},
	}
}

func diffSettings(s exportedSettings, in awsclient.Instance) []awsclient.Difference {
	var out []awsclient.Difference
	add := func(field, want, got string) {
		if want != "" && want != got {
			out = append(out, awsclient.Difference{Field: field, Want: want, Got: got})
		}
	}
	add("instance class", s.Class, in.Class)
	add("storage type", s.StorageType, in.StorageType)
	add("parameter group", s.ParameterGroup, in.ParameterGroup)
	add("subnet group", s.SubnetGroup, in.SubnetGroup)
	add("security groups", sortedJoin(s.SecurityGroups), sortedJoin(in.SecurityGroups))
	add("Multi-AZ", fmt.Sprint(s.MultiAZ), fmt.Sprint(in.MultiAZ))
	add("publicly accessible", fmt.Sprint(s.PubliclyAccessible), fmt.Sprint(in.PubliclyAccessible))
	add("storage encrypted", fmt.Sprint(s.StorageEncrypted), fmt.Sprint(in.StorageEncrypted))
	if s.Port != 0 {
		add("port", fmt.Sprint(s.Port), fmt.Sprint(in.Port))
	}
	if l := awsclient.LaterSettingsToApply(s.later(), in); !l.Empty() {
		if l.MaintenanceWindow != "" {
			add("maintenance window", s.MaintenanceWindow, in.MaintenanceWindow)
		}
		if l.BackupRetention != 0 {
			add("backup retention (days)", fmt.Sprint(s.BackupRetention), fmt.Sprint(in.BackupRetention))
		}
	}
	return out
}

func sortedJoin(v []string) string {
	c := append([]string(nil), v...)
	sort.Strings(c)
	return strings.Join(c, ",")
}

func settings(x *engine.Exec) (exportedSettings, error) {
	var s exportedSettings
	if err := json.Unmarshal([]byte(x.Get("settings")), &s); err != nil {
		return s, fmt.Errorf("read the exported settings: %w", err)
	}
	return s, nil
}

func consoleRestoreStep() *engine.Step {
	return &engine.Step{
		ID: "restore", Title: "Restore with exactly the exported settings", Kind: engine.KindAction, Phase: PhaseApply, If: viaConsole,
		Needs: []string{"restore-from", "settings", "exists"}, Produces: []string{"new-instance"},
		Commands: []string{"aws rds restore-db-instance-from-db-snapshot --db-snapshot-identifier {snapshot} --db-instance-identifier {instance}-restored " +
			"--db-instance-class <class> --db-parameter-group-name <parameter group> --vpc-security-group-ids <sg-...> --db-subnet-group-name <subnet group> --no-multi-az --publicly-accessible",
			"# or, to a point in time (--source-dbi-resource-id db-... when the instance was deleted; --use-latest-restorable-time for the latest):",
			"aws rds restore-db-instance-to-point-in-time --source-db-instance-identifier {instance} --target-db-instance-identifier {instance}-restored --restore-time {restore-time} " +
				"--db-instance-class <class> --db-parameter-group-name <parameter group> --vpc-security-group-ids <sg-...> --db-subnet-group-name <subnet group> --no-multi-az --publicly-accessible"},
		Explanation: "Creates a new instance from the snapshot with every setting passed explicitly. While the " +
			"old instance exists the new one takes a temporary name; when the old one is gone it takes the " +
			"old name at once, so no rename is needed.",
		Do: func(x *engine.Exec) error {
			s, err := settings(x)
			if err != nil {
				return err
			}
			inst := x.Get("instance")
			newID := inst
			if x.Get("exists") == "yes" {
				newID = inst + "-restored"
			}
			api := deps(x).AWS
			if _, ok := x.Issued("restore"); ok {
				if in, err := api.Instance(x.Ctx(), newID); err == nil {
					x.Say("%s was already requested by the earlier session (%s): re-attaching", newID, in.Status)
					x.Set("new-instance", newID)
					return nil
				}
				x.Say("the earlier session's restore never reached AWS: issuing it now")
			}
			rs := awsclient.RestoreSettings{
				SnapshotID: x.Get("snapshot"), InstanceID: newID, Class: s.Class, StorageType: s.StorageType,
				ParameterGroup: s.ParameterGroup, SecurityGroups: s.SecurityGroups, SubnetGroup: s.SubnetGroup,
				MultiAZ: s.MultiAZ, PubliclyAccessible: s.PubliclyAccessible, DeletionProtection: s.DeletionProtection, Port: s.Port,
			}
			var in awsclient.Instance
			if x.Get("restore-from") == fromTime {
				rs.SnapshotID = ""
				ps, err := pointInTimeSettings(x, rs)
				if err != nil {
					return err
				}
				if err := x.Issue("restore", map[string]string{"point-in-time": describePoint(x), "instance": newID}); err != nil {
					return err
				}
				if in, err = api.RestoreToPointInTime(x.Ctx(), ps); err != nil {
					return fmt.Errorf("restore %s to %s: %w", newID, describePoint(x), err)
				}
			} else {
				if err := x.Issue("restore", map[string]string{"snapshot": rs.SnapshotID, "instance": newID}); err != nil {
					return err
				}
				var err error
				if in, err = api.Restore(x.Ctx(), rs); err != nil {
					return fmt.Errorf("restore %s from %s: %w", newID, rs.SnapshotID, err)
				}
			}
			x.Say("%s is %s", in.ID, in.Status)
			x.Set("new-instance", newID)
			return nil
		},
	}
}

func waitRestoredStep() *engine.Step {
	return &engine.Step{
		ID: "wait-restored", Title: "Wait for the restored instance", Kind: engine.KindWait, Phase: PhaseApply, If: viaConsole,
		Needs:       []string{"new-instance"},
		Commands:    []string{"aws rds wait db-instance-available --db-instance-identifier {new-instance}"},
		Explanation: "About 4–5 minutes on staging. It has no connections yet: the application still points at the old name.",
		Do: func(x *engine.Exec) error {
			in, err := waitAvailable(x, x.Get("new-instance"), waitCreate)
			if err != nil {
				return err
			}
			x.Set("new-resource-id", in.ResourceID)
			return nil
		},
	}
}

func laterSettingsStep() *engine.Step {
	return &engine.Step{
		ID: "later-settings", Title: "Set what the restore could not take", Kind: engine.KindAction, Phase: PhaseApply, If: viaConsole,
		Needs: []string{"new-instance", "settings"},
		Commands: []string{
			"aws rds modify-db-instance --db-instance-identifier {new-instance} --preferred-maintenance-window <the export's maintenanceWindow> --backup-retention-period <the export's backupRetentionPeriod> --apply-immediately",
			"aws rds wait db-instance-available --db-instance-identifier {new-instance}",
		},
		Explanation: "A restore from a snapshot cannot be given the maintenance window (RestoreDBInstanceFromDBSnapshot " +
			"has no such parameter; its backup retention is a recent addition): the restored instance gets RDS's " +
			"defaults. Left so, the stack's program and the instance disagree, and the preview that proves the " +
			"state repair proposes a change. One modify sets the export's values, at once; nothing else changes.",
		Do: func(x *engine.Exec) error {
			s, err := settings(x)
			if err != nil {
				return err
			}
			id := x.Get("new-instance")
			api := deps(x).AWS
			in, err := api.Instance(x.Ctx(), id)
			if err != nil {
				return fmt.Errorf("read %s: %w", id, err)
			}
			todo := awsclient.LaterSettingsToApply(s.later(), in)
			if todo.Empty() {
				if _, ok := x.Issued("later-settings"); ok {
					x.Say("%s has the export's maintenance window and backup retention (the earlier session's modify)", id)
				} else {
					x.Say("%s already has the export's maintenance window (%s) and backup retention (%d days)", id, in.MaintenanceWindow, in.BackupRetention)
				}
				return nil
			}
			if todo.MaintenanceWindow != "" {
				x.Say("maintenance window: %s after the restore, the export says %s", in.MaintenanceWindow, s.MaintenanceWindow)
			}
			if todo.BackupRetention != 0 {
				x.Say("backup retention: %d days after the restore, the export says %d", in.BackupRetention, s.BackupRetention)
			}
			if err := x.Issue("later-settings", map[string]string{"instance": id, "command": awsclient.LaterSettingsCommand(id, todo)}); err != nil {
				return err
			}
			if _, err := api.ApplyLaterSettings(x.Ctx(), id, todo); err != nil {
				return fmt.Errorf("set the maintenance window and backup retention of %s: %w; set them with `%s`, then `datalayer resume`", id, err, awsclient.LaterSettingsCommand(id, todo))
			}
			// AWS may answer before the instance shows the change: watch
			// until it is available with the settings and nothing pending.
			want := s.later()
			_, err = watch(x, "instance", id, waitPolicyFor(x, waitModify), func(c awsclient.Change) (bool, error) {
				if c.Gone {
					return false, nil
				}
				if why, bad := badStatuses[c.NewStatus]; bad {
					return false, fmt.Errorf("instance %s is %s: %s", id, c.NewStatus, why)
				}
				return c.NewStatus == "available" && c.Instance != nil && !c.Instance.Deferred() &&
					awsclient.LaterSettingsToApply(want, *c.Instance).Empty(), nil
			})
			if err != nil {
				return err
			}
			x.Say("%s now has the export's maintenance window and backup retention", id)
			return nil
		},
	}
}

func diffSettingsStep() *engine.Step {
	return &engine.Step{
		ID: "diff", Title: "Compare the restored instance with the export", Kind: engine.KindCheck, Phase: PhaseVerify, If: viaConsole,
		Needs:    []string{"new-instance", "settings"},
		Commands: []string{"aws rds describe-db-instances --db-instance-identifier {new-instance}"},
		Explanation: "Every setting of the stack export must hold on the restored instance before any traffic " +
			"moves to it: parameter group, security groups, subnet group, Multi-AZ, public access, class, storage.",
		Do: func(x *engine.Exec) error {
			s, err := settings(x)
			if err != nil {
				return err
			}
			in, err := deps(x).AWS.Instance(x.Ctx(), x.Get("new-instance"))
			if err != nil {
				return fmt.Errorf("read %s: %w", x.Get("new-instance"), err)
			}
			ds := diffSettings(s, in)
			if len(ds) == 0 {
				x.Say("the restored instance matches the export on every setting")
				return nil
			}
			var parts []string
			for _, d := range ds {
				parts = append(parts, fmt.Sprintf("%s: %s, export says %s", d.Field, d.Got, d.Want))
			}
			return fmt.Errorf("the restored instance differs from the export (%s); traffic has not moved. Fix it with `aws rds modify-db-instance --db-instance-identifier %s --apply-immediately ...`, then `datalayer resume`",
				strings.Join(parts, "; "), in.ID)
		},
	}
}

func renameGateStep(conds []engine.Cond) *engine.Step {
	return &engine.Step{
		ID: "gate-rename", Title: "Confirm renaming the old instance away", Kind: engine.KindGate, Phase: PhaseSwitch, Destructive: true, If: conds,
		Needs: []string{"instance", "new-instance"},
		Explanation: "The swap takes the old instance's name away; the application's connections to it drop " +
			"and come back on the restored instance once the rename has settled.",
		Do: func(x *engine.Exec) error {
			inst := x.Get("instance")
			body := fmt.Sprintf("1. rename **%s** to **%s-original** (AWS reboots it; its DNS name goes at once);\n"+
				"2. rename **%s** to **%s**, retrying while AWS still refuses the name.\n\nThe application reconnects to the restored data under the same name.",
				inst, inst, x.Get("new-instance"), inst)
			expect := x.GateExpect(inst)
			return x.Gate("confirm", "Rename "+inst+" away? Type "+expect+" to go on", body, expect)
		},
	}
}

func renameProgress(x *engine.Exec, newID string) func(awsclient.RenameProgress) {
	lastAttempt, lastPhase := 0, ""
	return func(p awsclient.RenameProgress) {
		first := p.Attempt != lastAttempt || p.Phase != lastPhase
		lastAttempt, lastPhase = p.Attempt, p.Phase
		// A countdown line per attempt and every 10 s of it, not every tick.
		if !first && p.NextTry%(10*time.Second) != 0 {
			return
		}
		if p.Phase == awsclient.RenameWaitingForName {
			x.Say("AWS accepted the rename; %s does not answer yet (look %d), looking again in %s", newID, p.Attempt, round(p.NextTry))
			return
		}
		why := "the name is still in use"
		if p.Err != nil {
			why = p.Err.Error()
		}
		x.Say("AWS does not accept the name %s yet (try %d: %s); not an error, trying again in %s", newID, p.Attempt, why, round(p.NextTry))
	}
}

// rename renames oldID to newID once: a rename recorded as issued by an
// earlier session is re-attached to when AWS already shows it.
func rename(x *engine.Exec, oldID, newID, key string) error {
	api := deps(x).AWS
	if _, ok := x.Issued(key); ok {
		if _, err := api.Instance(x.Ctx(), newID); err == nil {
			x.Say("the earlier session's rename of %s to %s has happened: re-attaching", oldID, newID)
			_, err := waitAvailable(x, newID, waitRename)
			return err
		}
		if in, err := api.Instance(x.Ctx(), oldID); err == nil && in.Pending.InstanceID == newID {
			x.Say("the rename of %s to %s is pending in AWS: re-attaching", oldID, newID)
			_, err := waitAvailable(x, newID, waitRename)
			return err
		}
	}
	if err := x.Issue(key, map[string]string{"from": oldID, "to": newID}); err != nil {
		return err
	}
	if _, err := api.Rename(x.Ctx(), oldID, newID, renameProgress(x, newID)); err != nil {
		return fmt.Errorf("rename %s to %s: %w", oldID, newID, err)
	}
	x.Say("rename of %s to %s accepted; waiting for it to settle", oldID, newID)
	_, err := waitAvailable(x, newID, waitRename)
	return err
}

func renameOldStep(conds []engine.Cond) *engine.Step {
	return &engine.Step{
		ID: "rename-old", Title: "Rename the old instance to <id>-original", Kind: engine.KindAction, Phase: PhaseSwitch, Destructive: true, If: conds,
		Needs:       []string{"instance"},
		Commands:    []string{"aws rds modify-db-instance --db-instance-identifier {instance} --new-db-instance-identifier {instance}-original --apply-immediately", "aws rds wait db-instance-available --db-instance-identifier {instance}-original"},
		Explanation: "Frees the name. The instance reboots to apply the rename; that takes a few minutes.",
		Do: func(x *engine.Exec) error {
			inst := x.Get("instance")
			if err := rename(x, inst, inst+"-original", "rename-old"); err != nil {
				return err
			}
			x.Set("original", inst+"-original")
			return nil
		},
	}
}

func renameNewStep(conds []engine.Cond) *engine.Step {
	return &engine.Step{
		ID: "rename-new", Title: "Rename the restored instance to the old name", Kind: engine.KindAction, Phase: PhaseSwitch, Destructive: true, If: conds,
		Needs:    []string{"instance", "new-instance"},
		Commands: []string{"aws rds modify-db-instance --db-instance-identifier {new-instance} --new-db-instance-identifier {instance} --apply-immediately"},
		Explanation: "AWS often refuses the old name for a few minutes after the first rename. That is not an " +
			"error: the tool retries with a growing wait and shows when the next try is.",
		Do: func(x *engine.Exec) error {
			return rename(x, x.Get("new-instance"), x.Get("instance"), "rename-new")
		},
	}
}

func repairStateStep() *engine.Step {
	return &engine.Step{
		ID: "repair-state", Title: "Point Pulumi's state at the restored instance", Kind: engine.KindAction, Phase: PhaseVerify, Destructive: true,
		If:    and(viaConsole, engine.Cond{Var: "state-follows", Values: []string{"original", "deleted"}}),
		Needs: []string{"instance"},
		Commands: []string{
			"pulumi stack export --stack {stack} --file state.json",
			"# in state.json, on the aws:rds/instance:Instance resource: \"id\" and outputs.resourceId become {new-resource-id}; identifier, arn, address and endpoint become the restored instance's",
			"pulumi stack import --stack {stack} --file state.json",
			"pulumi refresh --stack {stack} --yes",
			"pulumi preview --stack {stack}   # must propose no change",
		},
		Explanation: "Pulumi's state still tracks the original instance by its resource id (db-…): the original is " +
			"now called `{instance}-original` (the next update would act on it, not on the instance the " +
			"application uses), or it was deleted (a refresh would drop the instance from the state, and the " +
			"next update create another). Behind a typed confirmation the state's instance is pointed at the restored one " +
			"(its resource id and the outputs that name it), refreshed, and a preview must then propose no change. " +
			"Nothing changes in AWS; an original that still exists stays, outside Pulumi, for repairs table by table.",
		Do: func(x *engine.Exec) error {
			exp, err := deps(x).Data.Export(x.Ctx())
			if err != nil {
				return fmt.Errorf("read the stack export: %w", err)
			}
			tracked, found, err := trackedInstance(x, exp)
			if err != nil {
				return err
			}
			if !found {
				tracked = awsclient.Instance{ID: orDefault(exp.Identifier, "?"), ResourceID: exp.ID}
			}
			target, err := deps(x).AWS.Instance(x.Ctx(), x.Get("instance"))
			if err != nil {
				return fmt.Errorf("read the restored instance %s: %w", x.Get("instance"), err)
			}
			return repairState(x, target, tracked)
		},
	}
}

func stateCheckStep() *engine.Step {
	return &engine.Step{
		ID: "state", Title: "Check which instance Pulumi's state follows", Kind: engine.KindCheck, Phase: PhaseVerify, If: viaConsole,
		Needs: []string{"instance"}, Produces: []string{"state-follows"},
		Commands: []string{
			"pulumi stack export --stack {stack} | jq '.deployment.resources[] | select(.type==\"aws:rds/instance:Instance\") | {id, identifier: .outputs.identifier}'",
			"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].DbiResourceId'",
			"pulumi refresh --stack {stack} --yes   # only when the state follows the restored instance",
		},
		Explanation: "Old AWS providers tracked the instance by its name, so after the swap a refresh reported no " +
			"change. Newer ones track it by its resource id (db-…), which a rename does not move: the state " +
			"may still follow the original instance, now called `-original`, or (when the original was " +
			"deleted) an instance that is gone, which a refresh would drop from the state. This step asks AWS " +
			"which instance the state's id is, before any refresh; the next step repairs the state when needed.",
		Do: func(x *engine.Exec) error {
			exp, err := deps(x).Data.Export(x.Ctx())
			if errors.Is(err, pulumiclient.ErrNoInstance) {
				x.Set("state-follows", "none")
				return fmt.Errorf("the stack's state holds no RDS instance any more (an earlier refresh dropped the deleted original): import the restored %s under the logical name `app` before any deploy (`pulumi import aws:rds/instance:Instance app <its resource id>`, then a preview must propose no change), or Pulumi will create another database", x.Get("instance"))
			}
			if err != nil {
				return fmt.Errorf("read the stack export: %w", err)
			}
			inst := x.Get("instance")
			live, err := deps(x).AWS.Instance(x.Ctx(), inst)
			if err != nil {
				return fmt.Errorf("read %s: %w", inst, err)
			}
			x.Set("new-resource-id", live.ResourceID)
			if exp.URN != "" {
				x.Set("state-urn", exp.URN)
			}
			tracked, found, err := trackedInstance(x, exp)
			if err != nil {
				return err
			}
			switch {
			case found && tracked.ResourceID == live.ResourceID:
				x.Set("state-follows", "restored")
				x.Say("Pulumi's state follows the restored instance %s (state id %s); refreshing it", inst, exp.ID)
				if err := x.Issue("pulumi-refresh:"+x.StepID(), map[string]any{"program": deps(x).Data.ProgramDir()}); err != nil {
					return err
				}
				ch, wait := progress(x, nil)
				_, err := deps(x).Data.Refresh(x.Ctx(), false, ch)
				close(ch)
				wait()
				if err != nil {
					return fmt.Errorf("pulumi refresh: %w", err)
				}
			case found:
				x.Set("state-follows", "original")
				x.Warn("Pulumi's state follows the ORIGINAL instance, now called %s (state id %s), not the restored %s (%s): the provider tracks the resource id. The next step repairs it; no refresh before that",
					tracked.ID, exp.ID, inst, live.ResourceID)
			default:
				x.Set("state-follows", "deleted")
				x.Warn("Pulumi's state follows the deleted original (state id %s), not the restored %s (%s): a refresh now would drop the instance from the state. The next step repairs it; no refresh before that",
					exp.ID, inst, live.ResourceID)
			}
			return nil
		},
	}
}

// restorePath is the restore's checklist path from its pre-answers: the
// method recommended for what was lost when none is given, and maintenance
// mode as the wizard would set it.
func restorePath(pre map[string]string) (map[string]string, string) {
	vars := map[string]string{}
	lost, exists := pre["lost"], pre["exists"]
	if lost != "" {
		vars["lost"] = lost
	}
	if exists != "" {
		vars["exists"] = exists
	}
	if m := pre["method"]; m != "" {
		vars["method"] = m
	} else if lost != "" {
		vars["method"], _ = recommendMethod(lost, exists)
	}
	if pre["to"] != "" {
		vars["restore-from"] = fromTime
	}
	note := ""
	if len(vars) == 0 {
		note = "Every branch is shown; steps marked *only when* belong to one branch.\n\n"
	}
	if lost != "" {
		vars["maintenance"] = "off"
		if lost == "whole" || lost == "critical" {
			vars["maintenance"] = "on"
		}
		m, reasons := recommendMethod(lost, exists)
		note = fmt.Sprintf("Recommended method for lost=%s: **%s** — %s.\n\n", lost, m, reasons[m])
	}
	return vars, note
}
