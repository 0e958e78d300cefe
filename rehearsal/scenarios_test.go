package rehearsal

import (
	"context"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

func TestDeployDefault(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "deploy", Yes: true}, nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	for _, s := range []string{"identity", "stack", "refresh-preview", "preview", "verify"} {
		if !r.finished(s) {
			t.Errorf("step %s did not finish\n%s", s, r.text())
		}
	}
	// The version drift (16.13 in AWS, 16.11 in code) is caught before any
	// `up` and the program raised to what AWS runs (issue 13 item 5).
	if !strings.Contains(r.text(), "engineVersion 16.11 in the program is below 16.13, which app5ec7032 runs") ||
		!strings.Contains(r.text(), "engineVersion is now 16.13") {
		t.Errorf("the version drift (16.13 in AWS, 16.11 in code) was not shown and fixed\n%s", r.text())
	}
}

func TestUpgradeDefault(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "upgrade", Yes: true}, nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	target, _ := r.run.Var("target")
	in, err := r.world.AWS.Instance(context.Background(), "app5ec7032")
	if err != nil {
		t.Fatal(err)
	}
	if in.EngineVersion != target || !strings.HasPrefix(target, "17.") {
		t.Fatalf("instance runs %s after upgrading to %q", in.EngineVersion, target)
	}
	// Guard 2: targets come from AWS's 16.13 (17.6, 17.7), not the code's 16.11.
	if !strings.Contains(r.text(), "valid major targets from 16.13: 17.6, 17.7") {
		t.Errorf("targets not taken from the real version\n%s", r.text())
	}
}

// Guard 4: RDS refuses the upgrade (RDS-EVENT-0158) while Pulumi succeeds;
// the step fails loudly.
func TestUpgradeSilentFailureCaught(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "upgrade", Scenario: "upgrade-precheck-fails", Yes: true,
		Answers: map[string]string{"pending-maintenance/action": "ignore"}}, nil)
	if r.err == nil {
		t.Fatalf("the upgrade was reported as a success\n%s", r.text())
	}
	msg, failed := r.failed("up")
	if !failed || !strings.Contains(msg, "Pulumi reported success") {
		t.Fatalf("step up did not fail loudly: %q\n%s", msg, r.text())
	}
	if !strings.Contains(msg, "RDS-EVENT-0158") && !strings.Contains(msg, "still runs") {
		t.Errorf("failure does not name the refused upgrade: %q", msg)
	}
}

// Guard 3: pending maintenance is shown and applied first when chosen; the
// upgrade then goes through.
func TestUpgradePendingMaintenanceAppliedFirst(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "upgrade", Scenario: "upgrade-precheck-fails", Yes: true}, nil)
	if !strings.Contains(r.text(), "pending maintenance: system-update") {
		t.Errorf("pending maintenance not shown\n%s", r.text())
	}
	if r.err != nil {
		t.Fatalf("run failed after applying maintenance first: %v\n%s", r.err, r.text())
	}
}

// Guard 3, the other branch: schedule and stop.
func TestUpgradePendingMaintenanceScheduled(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "upgrade", Scenario: "upgrade-precheck-fails", Yes: true,
		Answers: map[string]string{"pending-maintenance/action": "schedule"}}, nil)
	if r.err != nil {
		t.Fatalf("scheduling should stop the run cleanly: %v", r.err)
	}
	if r.finished("up") || !strings.Contains(r.text(), "stopped: maintenance scheduled") {
		t.Fatalf("the run did not stop after scheduling\n%s", r.text())
	}
}

// Guard 1: the stack's aws:profile does not match the identity.
func TestWrongProfileStops(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "deploy", Scenario: "wrong-profile", Yes: true}, nil)
	msg, failed := r.failed("stack")
	if !failed || !strings.Contains(msg, "docker-user") || !strings.Contains(msg, "AWS_PROFILE=planx-staging-pulumi") {
		t.Fatalf("wrong credentials not stopped with the fix: %q\n%s", msg, r.text())
	}
	if r.finished("preview") {
		t.Fatal("the run went on after the credentials check")
	}
}

// Guard 5: a snapshot named like finalSnapshotIdentifier already exists.
// Declining the guard's fix (a separate update giving the old instance a
// free final snapshot name) stops the run before anything is sent.
func TestFinalSnapshotExistsStops(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Scenario: "final-snapshot-exists", Yes: true, Answers: map[string]string{"final-snapshot-guard/rename-final": engine.GateDeclined}, Flags: map[string]string{"method": "pulumi", "lost": "whole"}}, nil)
	msg, failed := r.failed("final-snapshot-guard")
	if !failed || !strings.Contains(msg, "final-before-deletion") || !strings.Contains(msg, "nothing was changed") {
		t.Fatalf("final snapshot guard did not stop the run: %q\n%s", msg, r.text())
	}
	if n, _ := r.world.MutatingRequests(); n["RestoreDBInstanceFromDBSnapshot"] != 0 {
		t.Fatalf("a restore was issued despite the guard: %v", n)
	}
}

// Guard 6: the restored instance comes back with incompatible parameters.
func TestRestoreIncompatibleParameters(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Scenario: "restore-incompatible-parameters", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil)
	if r.err == nil {
		t.Fatalf("the run succeeded\n%s", r.text())
	}
	if r.finished("rename-old") {
		t.Fatal("traffic moved although the restored instance is wrong")
	}
	if !strings.Contains(r.err.Error(), "incompatible-parameters") {
		t.Errorf("error does not say why: %v", r.err)
	}
}

// Guard 8: AWS refuses the old name for a while; the run shows a countdown
// and finishes.
func TestRenameRefusedCountdown(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Scenario: "rename-refused", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	if !strings.Contains(r.text(), "does not accept the name app5ec7032 yet") {
		t.Fatalf("no countdown shown\n%s", r.text())
	}
	if _, failed := r.failed("rename-new"); failed {
		t.Fatal("a refused rename was reported as a failure")
	}
}

// The restore wizard's "nothing to restore" branch.
func TestRestoreNone(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"lost": "none"}}, nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	if !r.notDoneByYes("no-restore") || r.finished("snapshot") {
		t.Fatalf("wrong path: no-restore must be left to a person (--yes does not tick it), and no snapshot picked\n%s", r.text())
	}
	if n, _ := r.world.MutatingRequests(); len(n) != 0 {
		t.Fatalf("AWS was changed: %v", n)
	}
}

// Guards 1 and 10 on production: the rehearsal's identity is the staging
// user, so a production run stops at the credentials check, before any gate
// (the gate itself is tested in steps: --yes never answers it).
func TestProductionStackNeedsProductionCredentials(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "deploy", Stack: "production", Yes: true}, answerer{})
	msg, failed := r.failed("stack")
	if !failed || !strings.Contains(msg, "planx-production-pulumi") {
		t.Fatalf("production with staging credentials was not stopped: %q\n%s", msg, r.text())
	}
	for _, e := range r.events {
		if e.Type == engine.EventAnswer && e.Answer != nil && e.StepID == "gate" {
			t.Fatalf("a production gate was answered: %+v", e.Answer)
		}
	}
}

// Faults the run survives: throttling bursts and dropped connections are
// retried (the SDK and the poller back off) and the restore finishes.
func TestFaultsSurvived(t *testing.T) {
	for _, sc := range []string{"throttling", "network-loss"} {
		t.Run(sc, func(t *testing.T) {
			r := runHeadless(t, engine.Options{Runbook: "restore", Scenario: sc, Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil)
			if r.err != nil {
				t.Fatalf("run failed under %s: %v\n%s", sc, r.err, r.text())
			}
			n, err := r.world.MutatingRequests()
			if err != nil {
				t.Fatal(err)
			}
			if n["RestoreDBInstanceFromDBSnapshot"] != 1 || n["CreateDBSnapshot"] != 1 {
				t.Fatalf("operations issued %v, want each once", n)
			}
		})
	}
}

// Credentials expiring mid-run stop the run with a clear message; nothing
// is recorded as finished, so `datalayer resume` can continue it.
func TestCredentialsExpire(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Scenario: "credentials-expire", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil)
	if r.err == nil {
		t.Fatalf("the run finished although the credentials expired\n%s", r.text())
	}
	if !strings.Contains(strings.ToLower(r.err.Error()), "expired") && !strings.Contains(strings.ToLower(r.err.Error()), "credential") {
		t.Fatalf("error does not say the credentials expired: %v", r.err)
	}
}

// Staging rehearsal timings are kept, so the next run shows expected
// against elapsed.
func TestTimingsKeptForExpected(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		run, w, err := Start(context.Background(), engine.Options{Runbook: "deploy", Yes: true, Speed: 600, StateDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		var expected []engine.Event
		collected := make(chan struct{})
		go func() {
			defer close(collected)
			for e := range run.Events() {
				if e.Type == engine.EventStepFinished && e.Expected > 0 {
					expected = append(expected, e)
				}
			}
		}()
		run.Start(context.Background())
		if err := run.Wait(); err != nil {
			t.Fatal(err)
		}
		<-collected
		w.Close()
		if i == 1 && len(expected) == 0 {
			t.Fatal("the second run shows no expected durations from the first")
		}
	}
}

// The rest of the restore tree: the wizard's recommendations with no
// method given, and an instance that is already gone.
func TestRestoreTreeBranches(t *testing.T) {
	tests := []struct {
		name      string
		opts      engine.Options
		gone      bool
		method    string
		maint     string
		finished  []string
		notRun    []string
		wantError bool
	}{
		{name: "critical tables: pulumi with maintenance mode", opts: engine.Options{Flags: map[string]string{"lost": "critical", "app-deploy": "up", "maintenance-command": `["echo","maintenance"]`}}, method: "pulumi", maint: "on",
			finished: []string{"maintenance-on", "up", "redeploy-app", "old-gone", "maintenance-off"}, notRun: []string{"rename-old"}},
		{name: "isolated tables: console, no maintenance", opts: engine.Options{Flags: map[string]string{"lost": "isolated"}}, method: "console", maint: "off",
			finished: []string{"restore", "rename-new", "state"}, notRun: []string{"maintenance-on", "up"}},
		{name: "instance gone: console restores under the old name", opts: engine.Options{Flags: map[string]string{"lost": "whole", "method": "console"}}, gone: true, method: "console", maint: "on",
			finished: []string{"restore", "wait-restored", "diff", "state", "repair-state"}, notRun: []string{"fresh-snapshot", "rename-old", "rename-new"}},
		{name: "whole database, pulumi, CI redeploy seen in the application's history", opts: engine.Options{Flags: map[string]string{"lost": "whole"}}, method: "pulumi", maint: "on",
			finished: []string{"up", "prepare-app", "redeploy-app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Runbook, o.Yes = "restore", true
			var prepare func(*World)
			if tt.gone {
				prepare = func(w *World) {
					// Pulumi's state recorded the instance when it was deployed.
					if _, err := w.Data.Export(context.Background()); err != nil {
						t.Fatal(err)
					}
					w.Sim.Mutate(func(world *rdssim.World) {
						kept := world.Instances[:0]
						for _, in := range world.Instances {
							if in.ID != "app5ec7032" {
								kept = append(kept, in)
							}
						}
						world.Instances = kept
					})
				}
			}
			r := runHeadlessIn(t, o, nil, prepare)
			if r.err != nil {
				t.Fatalf("run failed: %v\n%s", r.err, r.text())
			}
			if m, _ := r.run.Var("method"); m != tt.method {
				t.Errorf("method %q, want %q", m, tt.method)
			}
			if m, _ := r.run.Var("maintenance"); m != tt.maint {
				t.Errorf("maintenance %q, want %q", m, tt.maint)
			}
			for _, s := range tt.finished {
				if !r.finished(s) {
					t.Errorf("step %s did not finish\n%s", s, r.text())
				}
			}
			for _, s := range tt.notRun {
				if r.finished(s) {
					t.Errorf("step %s ran on this path", s)
				}
			}
			if o.Flag("maintenance-command") != "" && (!strings.Contains(r.text(), "output maintenance-on   maintenance on") || !strings.Contains(r.text(), "output maintenance-off   maintenance off")) {
				t.Errorf("the configured maintenance command did not run both ways\n%s", r.text())
			}
			if tt.gone {
				if _, err := r.world.AWS.Instance(context.Background(), "app5ec7032"); err != nil {
					t.Fatalf("the restored instance does not carry the old name: %v", err)
				}
			}
		})
	}
}

// A deploy with a change in the program: preview shows it, the gate is
// passed (--yes on staging), up applies it, verify sees the version.
func TestDeployWithChange(t *testing.T) {
	r := runHeadlessIn(t, engine.Options{Runbook: "deploy", Yes: true}, nil, func(w *World) {
		if _, err := pulumiclient.NewProgramEditor(w.Workspace.DataDir).SetEngineVersion("16.13"); err != nil {
			t.Fatal(err)
		}
	})
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	for _, s := range []string{"preview", "gate", "up", "verify"} {
		if !r.finished(s) {
			t.Errorf("step %s did not finish\n%s", s, r.text())
		}
	}
	if v, _ := r.run.Var("changes"); v != "yes" {
		t.Errorf("changes = %q, want yes", v)
	}
}

// Guard 5's other half: the fresh snapshot is taken unless declined in
// words; a one-word refusal is not enough.
func TestFreshSnapshotDeclinedInWords(t *testing.T) {
	tests := []struct {
		why      string
		wantSkip bool
	}{
		{"the instance holds nothing newer than the snapshot", true},
		{"no", false},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Answers: map[string]string{"fresh-snapshot/take": "no", "fresh-snapshot/why": tt.why}, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil)
			n, _ := r.world.MutatingRequests()
			if n["CreateDBSnapshot"] != 0 {
				t.Fatalf("a snapshot was taken although declined: %v", n)
			}
			if tt.wantSkip {
				if r.err != nil {
					t.Fatalf("run failed: %v\n%s", r.err, r.text())
				}
				if !strings.Contains(r.text(), "step-skipped fresh-snapshot declined: "+tt.why) {
					t.Fatalf("the decline and its reason are not recorded\n%s", r.text())
				}
				return
			}
			if msg, failed := r.failed("fresh-snapshot"); !failed || !strings.Contains(msg, "reason in words") {
				t.Fatalf("a one-word refusal was accepted: %q", msg)
			}
		})
	}
}
