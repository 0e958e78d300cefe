package rehearsal

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
)

// TestResumeAfterInterruption stops a console restore at several points
// (ctx cancelled, world closed as a killed process would leave it), resumes
// it in a new world opened from the state directory, and checks that it
// finishes with no AWS operation issued twice.
func TestResumeAfterInterruption(t *testing.T) {
	for _, stopAfter := range []string{"issued fresh-snapshot", "issued restore", "status wait-restored", "issued rename-old", "step-started rename-new"} {
		t.Run(stopAfter, func(t *testing.T) {
			dir := t.TempDir()
			o := engine.Options{Runbook: "restore", Yes: true, Speed: 300, StateDir: dir, Flags: map[string]string{"method": "console", "lost": "isolated"}}
			run, w, err := Start(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				for e := range run.Events() {
					if string(e.Type)+" "+e.StepID == stopAfter {
						cancel()
					}
				}
			}()
			run.Start(ctx)
			if err := run.Wait(); err == nil {
				t.Fatalf("the run finished before %q", stopAfter)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}

			ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel2()
			run2, w2, err := Resume(context.Background(), dir, "", false)
			if err != nil {
				t.Fatal(err)
			}
			defer w2.Close()
			var text strings.Builder
			collected := make(chan struct{})
			go func() {
				defer close(collected)
				for e := range run2.Events() {
					text.WriteString(string(e.Type) + " " + e.StepID + " " + e.Text + " " + e.Err + "\n")
				}
			}()
			run2.Start(ctx2)
			err = run2.Wait()
			<-collected
			if err != nil {
				t.Fatalf("resumed run failed: %v\n%s", err, text.String())
			}
			n, err := w2.MutatingRequests()
			if err != nil {
				t.Fatal(err)
			}
			// Three modifies: the settings the restore could not take, two renames.
			want := map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "ModifyDBInstance": 3}
			for k, v := range want {
				if n[k] != v {
					t.Errorf("%s issued %d times, want %d (all: %v)", k, n[k], v, n)
				}
			}
			// The journal says each operation was issued once... or, when
			// the earlier session was stopped between recording and
			// sending, twice with one request reaching AWS (checked above).
			evs, err := engine.ReadJournalFile(run2.JournalPath())
			if err != nil {
				t.Fatal(err)
			}
			finished := 0
			for _, e := range evs {
				if e.Type == engine.EventRunFinished {
					finished++
				}
			}
			if finished != 1 {
				t.Fatalf("journal has %d run-finished events", finished)
			}
			if _, err := os.Stat(WorldDir(dir, run2.Info().RunID)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A run stopped by a guard is resumable once the problem is fixed: the
// failed step runs again and the rest follows.
func TestResumeAfterGuardFixed(t *testing.T) {
	dir := t.TempDir()
	o := engine.Options{Runbook: "restore", Scenario: "final-snapshot-exists", Yes: true, Speed: 600, StateDir: dir, Answers: map[string]string{"final-snapshot-guard/rename-final": engine.GateDeclined}, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}
	run, w, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range run.Events() {
		}
	}()
	run.Start(context.Background())
	if err := run.Wait(); err == nil || !strings.Contains(err.Error(), "final-before-deletion") {
		t.Fatalf("the guard did not stop the run: %v", err)
	}
	// The fix the guard names: the old snapshot is moved out of the way.
	w.Sim.Mutate(func(world *rdssim.World) {
		kept := world.Snapshots[:0]
		for _, s := range world.Snapshots {
			if s.ID != "final-before-deletion" {
				kept = append(kept, s)
			}
		}
		world.Snapshots = kept
	})
	w.Close()

	run2, w2, err := Resume(context.Background(), dir, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	go func() {
		for range run2.Events() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run2.Start(ctx)
	if err := run2.Wait(); err != nil {
		t.Fatalf("resumed run failed: %v", err)
	}
	if _, err := w2.AWS.Snapshot(context.Background(), "final-before-deletion"); err != nil {
		t.Fatalf("no final snapshot after the resumed restore: %v", err)
	}
}
