package rehearsal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// restoreEvents lists the messages of the restore events AWS recorded in
// the last hour, through the AWS CLI.
func restoreEvents(t *testing.T, w *World) string {
	t.Helper()
	return awsCLI(t, w, "rds", "describe-events", "--source-type", "db-instance", "--duration", "60",
		"--query", "Events[?starts_with(Message, 'Restored from')].Message")
}

func pitrReport(t *testing.T, r result) string {
	t.Helper()
	events, err := engine.ReadJournalFile(r.run.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	return runbooks.Report(events)
}

// TestPitrRestoreBothMethods is `rehearse restore --lost critical --to 20m
// --plain --yes`, with each method: the restored instance is a
// point-in-time restore of the instance according to AWS (AWS CLI), made
// with RestoreDBInstanceToPointInTime (by the provider or by datalayer),
// and the report gives the point, the window and the data-loss window.
func TestPitrRestoreBothMethods(t *testing.T) {
	tests := []struct {
		method string
	}{{"pulumi"}, {"console"}}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			// The default rehearsal speed: its day of retention is 24
			// minutes of the wall clock, so 20 minutes ago is inside.
			r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Speed: DefaultSpeed, Flags: map[string]string{"lost": "critical", "method": tt.method, "to": "20m"}}, nil)
			if r.err != nil {
				t.Fatalf("run failed: %v\n%s", r.err, r.text())
			}
			if v, _ := r.run.Var("restore-from"); v != "time" {
				t.Fatalf("restore-from = %q, want time\n%s", v, r.text())
			}
			created := "app5ec7032-restored"
			if tt.method == "pulumi" {
				created, _ = r.run.Var("new-instance")
			}
			if ev := restoreEvents(t, r.world); !strings.Contains(ev, "Restored from DB instance app5ec7032 to "+created+".") || strings.Contains(ev, "Restored from snapshot") {
				t.Errorf("AWS's restore events = %q; want only a point-in-time restore of app5ec7032 to %s", ev, created)
			}
			ops, err := r.world.MutatingRequests()
			if err != nil {
				t.Fatal(err)
			}
			if ops["RestoreDBInstanceToPointInTime"] != 1 || ops["RestoreDBInstanceFromDBSnapshot"] != 0 {
				t.Errorf("restores = %v; want one RestoreDBInstanceToPointInTime", ops)
			}
			if got := awsCLI(t, r.world, "rds", "describe-db-instances", "--db-instance-identifier", orElse(tt.method == "pulumi", created, "app5ec7032"),
				"--query", "DBInstances[0].[DBInstanceStatus,DBParameterGroups[0].DBParameterGroupName]"); got != "available\tpostgres16-force-ssl-off" {
				t.Errorf("restored instance = %q; want available with the stack's parameter group", got)
			}
			rep := pitrReport(t, r)
			for _, want := range []string{"## Restore point", "- Restored to: 20", "(point in time, source app5ec7032)",
				"- Restorable window at ", "- Data-loss window: about 20 minutes"} {
				if !strings.Contains(rep, want) {
					t.Errorf("report lacks %q\n%s", want, rep)
				}
			}
			if tt.method == "pulumi" {
				prog, err := os.ReadFile(filepath.Join(r.world.Workspace.DataDir, "index.ts"))
				if err != nil {
					t.Fatal(err)
				}
				at, _ := r.run.Var("restore-time")
				if want := `restoreToPointInTime: { sourceDbInstanceIdentifier: "app5ec7032", restoreTime: "` + at + `" }`; !strings.Contains(string(prog), want) {
					t.Errorf("index.ts lacks %s", want)
				}
			}
		})
	}
}

func orElse(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// TestPitrRestoreDeletedInstance: the instance was deleted keeping its
// automated backups (and a final snapshot); the wizard finds the retained
// backups, says they reach later than the final snapshot, and restores
// from them by resource id under the old name.
func TestPitrRestoreDeletedInstance(t *testing.T) {
	var resourceID string
	deleted := func(w *World) {
		// Pulumi's state recorded the instance when it was deployed.
		if _, err := w.Data.Export(context.Background()); err != nil {
			t.Fatal(err)
		}
		resourceID = awsCLI(t, w, "rds", "describe-db-instances", "--db-instance-identifier", "app5ec7032", "--query", "DBInstances[0].DbiResourceId")
		awsCLI(t, w, "rds", "delete-db-instance", "--db-instance-identifier", "app5ec7032", "--final-db-snapshot-identifier", "app5ec7032-final",
			"--no-delete-automated-backups")
		awsCLI(t, w, "rds", "wait", "db-instance-deleted", "--db-instance-identifier", "app5ec7032")
	}
	r := runHeadlessIn(t, engine.Options{Runbook: "restore", Yes: true, Speed: DefaultSpeed, Flags: map[string]string{"lost": "whole", "method": "console", "to": "latest"}}, nil, deleted)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	if src, _ := r.run.Var("restore-source"); src != resourceID || !strings.HasPrefix(src, "db-") {
		t.Errorf("restore source = %q, want the deleted instance's resource id %q", src, resourceID)
	}
	// The final snapshot is taken at the deletion, the retained backups'
	// latest restorable time is the last log shipped before it: which is
	// newer depends on the seconds; the wizard says which.
	if !regexp.MustCompile(`app5ec7032 is gone: (the retained automated backups reach later than the final snapshot|the snapshot is newer than the latest restorable time of the retained automated backups) \(.+ against .+\)`).MatchString(r.text()) {
		t.Errorf("the wizard did not say which is newer\n%s", r.text())
	}
	if ev := restoreEvents(t, r.world); !strings.Contains(ev, "Restored from DB instance app5ec7032 to app5ec7032.") {
		t.Errorf("AWS's restore events = %q; want a point-in-time restore of the deleted app5ec7032", ev)
	}
	ops, err := r.world.MutatingRequests()
	if err != nil {
		t.Fatal(err)
	}
	if ops["RestoreDBInstanceToPointInTime"] != 1 || ops["RestoreDBInstanceFromDBSnapshot"] != 0 {
		t.Errorf("restores = %v; want one RestoreDBInstanceToPointInTime", ops)
	}
	rep := pitrReport(t, r)
	for _, want := range []string{"- Restored to: the latest restorable time (point in time, source " + resourceID + ")", "- Data-loss window: "} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q\n%s", want, rep)
		}
	}
}

// TestPitrWizard answers the damage-time question: a time inside the
// window recommends a point just before it (minutes lost, not hours); a
// time before the earliest restorable time warns and leaves the snapshot.
func TestPitrWizard(t *testing.T) {
	tests := []struct {
		name, when, from string
		speed            float64
		says, loss       string
	}{
		{"ten minutes ago", "10m", "time", DefaultSpeed, "the smaller loss: about 11 minutes instead of", "- Data-loss window: about 11 minutes"},
		{"before the window", "2d", "snapshot", 600, "is earlier than the earliest restorable time", "(since the snapshot was taken)"},
		// Refused, then asked again under a new prompt id (a resume replays
		// answers by id), which --yes answers with the default: now.
		{"a wrong answer is asked again", "after lunch", "time", 600, `"after lunch" is not a time: answer now, don't know`, "- Data-loss window: under a minute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Speed: tt.speed, Answers: map[string]string{"damage-time/when": tt.when}, Flags: map[string]string{"lost": "isolated", "method": "console"}}, nil)
			if r.err != nil {
				t.Fatalf("run failed: %v\n%s", r.err, r.text())
			}
			if v, _ := r.run.Var("restore-from"); v != tt.from {
				t.Errorf("restore-from = %q, want %q", v, tt.from)
			}
			var said strings.Builder
			for _, e := range r.events {
				said.WriteString(e.Text + "\n")
				if e.Prompt != nil {
					for _, o := range e.Prompt.Options {
						said.WriteString(o.Label + " / " + o.Reason + "\n")
					}
				}
			}
			if !strings.Contains(said.String(), tt.says) {
				t.Errorf("the wizard did not say %q\n%s", tt.says, said.String())
			}
			if rep := pitrReport(t, r); !strings.Contains(rep, tt.loss) {
				t.Errorf("report lacks %q\n%s", tt.loss, rep)
			}
		})
	}
}

// TestPitrRestoreRealPulumi is `rehearse restore --engine pulumi --lost
// critical --to 20m --yes`: the real pulumi CLI runs the YAML program with
// restoreToPointInTime against the simulated AWS provider, whose create is
// a point-in-time restore AWS records as such; the block stays in the
// program and the stack's state.
func TestPitrRestoreRealPulumi(t *testing.T) {
	tools := pulumitest.Tools(t)
	o := engine.Options{Runbook: "restore", Yes: true, Speed: DefaultSpeed, Flags: map[string]string{"lost": "critical", "method": "pulumi", "to": "20m"}}
	r := runHeadlessOn(t, o, nil, nil, Engine{Name: EnginePulumi, Pulumi: tools.Pulumi})
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	created, _ := r.run.Var("new-instance")
	if ev := restoreEvents(t, r.world); !strings.Contains(ev, "Restored from DB instance app5ec7032 to "+created+".") {
		t.Errorf("AWS's restore events = %q; want a point-in-time restore of app5ec7032 to %s", ev, created)
	}
	ops, err := r.world.MutatingRequests()
	if err != nil {
		t.Fatal(err)
	}
	if ops["RestoreDBInstanceToPointInTime"] != 1 || ops["RestoreDBInstanceFromDBSnapshot"] != 0 || ops["DeleteDBInstance"] != 1 {
		t.Errorf("AWS writes = %v; want one RestoreDBInstanceToPointInTime and the old instance's delete", ops)
	}
	at, _ := r.run.Var("restore-time")
	want := pulumiclient.PointInTime{SourceInstanceID: "app5ec7032", RestoreTime: at}
	prog, err := pulumiclient.LoadProgram(r.world.Workspace.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if pt := prog.Settings().RestoreToPointInTime; prog.Kind != pulumiclient.ProgramYAML || pt == nil || *pt != want {
		t.Errorf("the %s program's block = %+v, want %+v", prog.Kind, pt, want)
	}
	exp, err := r.world.Data.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if exp.Identifier != created || exp.RestoreToPointInTime == nil || *exp.RestoreToPointInTime != want {
		t.Errorf("the stack's state: %s with block %+v; want %s with %+v", exp.Identifier, exp.RestoreToPointInTime, created, want)
	}
	if rep := pitrReport(t, r); !strings.Contains(rep, "- Data-loss window: about 20 minutes") {
		t.Errorf("report lacks the data-loss window\n%s", rep)
	}
}

// TestPitrResumeAfterInterruption stops a point-in-time restore (each
// method) as a killed process would, resumes it from the state directory,
// and checks it finishes with one point-in-time restore reaching AWS and
// the point chosen before the interruption kept.
func TestPitrResumeAfterInterruption(t *testing.T) {
	tests := []struct{ method, stopAfter string }{
		{"console", "issued restore"},
		{"console", "status wait-restored"},
		{"pulumi", "step-started prepare-app"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.stopAfter, func(t *testing.T) {
			dir := t.TempDir()
			o := engine.Options{Runbook: "restore", Yes: true, Speed: 300, StateDir: dir, Flags: map[string]string{"method": tt.method, "lost": "critical", "to": "latest"}}
			first := startUntil(t, dir, o, nil, func(e engine.Event) bool { return string(e.Type)+" "+e.StepID == tt.stopAfter })
			if first.err == nil {
				t.Fatalf("the run finished before %q", tt.stopAfter)
			}
			before, _ := first.run.Var("window-seen-at")
			s := resumeLatest(t, dir)
			if s.err != nil {
				t.Fatalf("resumed run failed: %v\n%s", s.err, s.text())
			}
			if after, _ := s.run.Var("window-seen-at"); after != before || before == "" {
				t.Errorf("the window was seen at %q before and %q after the resume; the choice must be kept", before, after)
			}
			n := requests(t, dir, s.run.Options().RunID)
			if n["RestoreDBInstanceToPointInTime"] != 1 || n["RestoreDBInstanceFromDBSnapshot"] != 0 || n["CreateDBSnapshot"] != 1 {
				t.Errorf("AWS writes = %v; want one point-in-time restore and one fresh snapshot\n%s", n, s.text())
			}
		})
	}
}

// TestPitrRestoreDeletedInstancePulumi: the instance was deleted (automated
// backups retained, final snapshot taken) and the restore goes through
// Pulumi. The refresh drops the instance from the state, so the preview is
// one create of the instance carrying the restore input, not a replacement:
// the plan check accepts exactly that, Pulumi creates the instance by
// restoring (to a point in time from the retained backups by resource id
// with --to, or from the final snapshot without), the application follows
// it, and there is no old instance to delete.
//
// dropped: an earlier refresh (another session, a colleague's `pulumi
// refresh`) already dropped the deleted instance from the state, so the
// stack manages no instance when the run starts: the restore takes the
// instance the application's db-host names, once AWS confirms it is gone
// and keeps backups of it, instead of stopping with "deploy first".
func TestPitrRestoreDeletedInstancePulumi(t *testing.T) {
	tests := []struct {
		name, to, from, restoreOp, event string
		dropped                          bool
	}{
		{"to a point in time", "20m", "time", "RestoreDBInstanceToPointInTime", "Restored from DB instance app5ec7032 to ", false},
		{"from the final snapshot", "", "snapshot", "RestoreDBInstanceFromDBSnapshot", "Restored from snapshot app5ec7032-final", false},
		{"dropped from the state, to a point in time", "20m", "time", "RestoreDBInstanceToPointInTime", "Restored from DB instance app5ec7032 to ", true},
	}
	// Each case on the simulated engine and on the real pulumi CLI (the
	// YAML program, the simulated AWS provider), as production runs it.
	engines := map[string]func(t *testing.T) Engine{
		"simulated": func(*testing.T) Engine { return Engine{} },
		"pulumi": func(t *testing.T) Engine {
			return Engine{Name: EnginePulumi, Pulumi: pulumitest.Tools(t).Pulumi}
		},
	}
	for _, tt := range tests {
		for _, eng := range []string{"simulated", "pulumi"} {
			t.Run(tt.name+"/"+eng, func(t *testing.T) {
				testRestoreDeletedInstance(t, engines[eng](t), tt.to, tt.from, tt.restoreOp, tt.event, tt.dropped)
			})
		}
	}
}

// testRestoreDeletedInstance is one case of
// TestPitrRestoreDeletedInstancePulumi on the engine e.
func testRestoreDeletedInstance(t *testing.T, e Engine, to, from, restoreOp, event string, dropped bool) {
	var resourceID string
	deleted := func(w *World) { resourceID = deleteOutsidePulumi(t, w, dropped) }
	flags := map[string]string{"lost": "whole", "method": "pulumi"}
	if to != "" {
		flags["to"] = to
	}
	r := runHeadlessOn(t, engine.Options{Runbook: "restore", Yes: true, Speed: DefaultSpeed, Flags: flags}, nil, deleted, e)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	if v, _ := r.run.Var("restore-from"); v != from {
		t.Fatalf("restore-from = %q, want %q\n%s", v, from, r.text())
	}
	if dropped && !strings.Contains(r.text(), "an earlier refresh dropped it from the state") {
		t.Errorf("the stack step did not say the state dropped the instance\n%s", r.text())
	}
	if !strings.Contains(r.text(), "the plan is exactly: create of "+pulumiclient.InstanceType) {
		t.Errorf("the plan check did not accept the create\n%s", r.text())
	}
	created, _ := r.run.Var("new-instance")
	if created == "" || created == "app5ec7032" {
		t.Fatalf("new-instance recorded as %q\n%s", created, r.text())
	}
	if got := awsCLI(t, r.world, "rds", "describe-db-instances", "--db-instance-identifier", created,
		"--query", "DBInstances[0].[DBInstanceStatus,DBParameterGroups[0].DBParameterGroupName]"); got != "available\tpostgres16-force-ssl-off" {
		t.Errorf("restored instance %s = %q; want available with the stack's parameter group", created, got)
	}
	if ev := restoreEvents(t, r.world); !strings.Contains(ev, event) {
		t.Errorf("AWS's restore events = %q; want %q", ev, event)
	}
	ops, err := r.world.MutatingRequests()
	if err != nil {
		t.Fatal(err)
	}
	if ops[restoreOp] != 1 || ops["RestoreDBInstanceToPointInTime"]+ops["RestoreDBInstanceFromDBSnapshot"] != 1 || ops["DeleteDBInstance"] != 1 {
		t.Errorf("writes = %v; want one %s and only the set-up's DeleteDBInstance", ops, restoreOp)
	}
	prog, err := pulumiclient.LoadProgram(r.world.Workspace.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	set := prog.Settings()
	at, _ := r.run.Var("restore-time")
	exp, err := r.world.Data.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if exp.Identifier != created {
		t.Errorf("the stack's state manages %q, want the restored %s", exp.Identifier, created)
	}
	if from == "time" {
		want := pulumiclient.PointInTime{SourceResourceID: resourceID, RestoreTime: at}
		if pt := set.RestoreToPointInTime; pt == nil || *pt != want || set.SnapshotIdentifier != "" {
			t.Errorf("the %s program's block = %+v (snapshotIdentifier %q), want %+v alone", prog.Kind, pt, set.SnapshotIdentifier, want)
		}
		if pt := exp.RestoreToPointInTime; pt == nil || *pt != want {
			t.Errorf("the stack's state holds block %+v, want %+v", pt, want)
		}
	} else if set.SnapshotIdentifier != "app5ec7032-final" || set.RestoreToPointInTime != nil {
		t.Errorf("the %s program's snapshotIdentifier = %q (block %+v), want app5ec7032-final alone", prog.Kind, set.SnapshotIdentifier, set.RestoreToPointInTime)
	}
	rep := pitrReport(t, r)
	if !strings.Contains(rep, "- Data-loss window: ") {
		t.Errorf("report lacks the data-loss window\n%s", rep)
	}
}

// deleteOutsidePulumi deletes the stack's instance app5ec7032 as someone
// with the AWS CLI would, keeping its automated backups and taking a final
// snapshot app5ec7032-final, and returns its resource id. dropped: a
// refresh then drops it from the stack's state, as a colleague's would.
func deleteOutsidePulumi(t *testing.T, w *World, dropped bool) string {
	t.Helper()
	// The stack's state is written before the delete, as it was.
	if _, err := w.Data.Export(context.Background()); err != nil {
		t.Fatal(err)
	}
	id := awsCLI(t, w, "rds", "describe-db-instances", "--db-instance-identifier", "app5ec7032", "--query", "DBInstances[0].DbiResourceId")
	awsCLI(t, w, "rds", "delete-db-instance", "--db-instance-identifier", "app5ec7032", "--final-db-snapshot-identifier", "app5ec7032-final",
		"--no-delete-automated-backups")
	awsCLI(t, w, "rds", "wait", "db-instance-deleted", "--db-instance-identifier", "app5ec7032")
	if dropped {
		dropDeletedInstance(t, w)
	}
	return id
}

// dropDeletedInstance refreshes the data stack, as a colleague's `pulumi
// refresh` would, so its state drops the instance deleted outside Pulumi.
func dropDeletedInstance(t *testing.T, w *World) {
	t.Helper()
	if _, err := w.Data.Refresh(context.Background(), false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Data.Export(context.Background()); !errors.Is(err, pulumiclient.ErrNoInstance) {
		t.Fatalf("after the refresh the stack export says %v, want no instance", err)
	}
}

// TestRestoreDroppedInstanceRefusals: a restore on a stack whose state
// holds no instance takes one only when AWS confirms it is gone and keeps
// something to restore it from; the console method, which copies every
// setting from the state, is refused for it. Nothing is written to AWS.
func TestRestoreDroppedInstanceRefusals(t *testing.T) {
	tests := []struct {
		name     string
		flags    map[string]string
		setUp    func(t *testing.T, w *World)
		step     string
		wantFail string
	}{
		{
			name:  "the console method",
			flags: map[string]string{"lost": "whole", "method": "console", "to": "20m"},
			setUp: func(t *testing.T, w *World) {
				// The stack's state is written before the delete, as it was.
				if _, err := w.Data.Export(context.Background()); err != nil {
					t.Fatal(err)
				}
				awsCLI(t, w, "rds", "delete-db-instance", "--db-instance-identifier", "app5ec7032", "--final-db-snapshot-identifier", "app5ec7032-final",
					"--no-delete-automated-backups")
				awsCLI(t, w, "rds", "wait", "db-instance-deleted", "--db-instance-identifier", "app5ec7032")
				dropDeletedInstance(t, w)
			},
			step:     "method",
			wantFail: "restore through Pulumi instead (`--method pulumi`)",
		},
		{
			name:  "the instance named still runs",
			flags: map[string]string{"lost": "whole", "method": "pulumi"},
			setUp: func(t *testing.T, w *World) { emptyTheStack(t, w) },
			step:  "stack", wantFail: "a Pulumi restore would create another database beside it",
		},
		{
			// A placeholder names no instance: nothing is asked of AWS
			// (which refuses TBD_after_deploy as an identifier).
			name:  "the application's db-host is a placeholder",
			flags: map[string]string{"lost": "whole", "method": "pulumi"},
			setUp: func(t *testing.T, w *World) { emptyTheStack(t, w); setAppHost(t, w, "TBD_after_deploy") },
			step:  "stack", wantFail: "the application's db-host is not an RDS instance's endpoint",
		},
		{
			name:  "nothing of the instance named is left",
			flags: map[string]string{"lost": "whole", "method": "pulumi"},
			setUp: func(t *testing.T, w *World) { emptyTheStack(t, w); pointAppAt(t, w, "appgone0001") },
			step:  "stack", wantFail: "there is nothing of it to restore from",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before map[string]int
			r := runHeadlessIn(t, engine.Options{Runbook: "restore", Yes: true, Speed: DefaultSpeed, Flags: tt.flags}, nil, func(w *World) {
				tt.setUp(t, w)
				var err error
				if before, err = w.MutatingRequests(); err != nil {
					t.Fatal(err)
				}
			})
			msg, failed := r.failed(tt.step)
			if !failed || !strings.Contains(strings.ToLower(msg), strings.ToLower(tt.wantFail)) || !strings.Contains(msg, "Nothing was changed") {
				t.Fatalf("step %s did not stop with %q: %q %v\n%s", tt.step, tt.wantFail, msg, r.err, r.text())
			}
			after, err := r.world.MutatingRequests()
			if err != nil {
				t.Fatal(err)
			}
			for op, n := range after {
				if n != before[op] {
					t.Errorf("AWS was changed by the run: %s %d → %d", op, before[op], n)
				}
			}
		})
	}
}
