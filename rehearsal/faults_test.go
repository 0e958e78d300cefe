package rehearsal

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
)

// TestNetworkLossForMinutes cuts every connection to AWS for several
// simulated minutes at different points of a console restore (while the
// poller watches, while a rename waits, during Pulumi's refresh). The run
// either rides it out or stops with a clear message and the next action,
// and then `resume` finishes it; either way the journal reads back whole,
// ends with exactly one run-finished, and no write reached AWS twice.
func TestNetworkLossForMinutes(t *testing.T) {
	tests := []struct {
		at     string // "event-type step" that starts the outage
		outage time.Duration
		// rawPulumi: a failure inside the (simulated) Pulumi engine comes
		// back as Pulumi's own error, without the AWS client's advice.
		rawPulumi bool
	}{
		{"step-started wait-restored", 10 * time.Minute, false},
		{"step-started rename-old", 5 * time.Minute, false},
		{"step-started state", 5 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			o := engine.Options{Runbook: "restore", Yes: true, Speed: 600, StateDir: dir, Flags: map[string]string{"method": "console", "lost": "isolated"}}
			run, w, err := Start(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			var (
				mu        sync.Mutex
				text      strings.Builder
				injected  bool
				outageEnd time.Time
			)
			collected := make(chan struct{})
			go func() {
				defer close(collected)
				for e := range run.Events() {
					mu.Lock()
					text.WriteString(string(e.Type) + " " + e.StepID + " " + e.Text + " " + e.Err + "\n")
					if !injected && string(e.Type)+" "+e.StepID == tt.at {
						injected = true
						// The outage lasts tt.outage of AWS time: at
						// the world's speed, that much less of the wall's.
						now := w.Clock.Now()
						outageEnd = now.Add(clock.SpeedOf(w.Clock).RealTime(tt.outage))
						w.Sim.InjectFault(rdssim.Fault{Name: "outage", Code: rdssim.FaultDrop, NotBefore: now, NotAfter: outageEnd})
					}
					mu.Unlock()
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			run.Start(ctx)
			runErr := run.Wait()
			<-collected
			if !injected {
				t.Fatalf("the run never reached %q\n%s", tt.at, text.String())
			}
			fired := faultFired(t, w, "outage")
			if fired == 0 {
				t.Fatalf("the outage dropped no request\n%s", text.String())
			}
			journal := run.JournalPath()
			if runErr != nil {
				msg := runErr.Error()
				if tt.rawPulumi {
					if !strings.Contains(msg, "EOF") {
						t.Fatalf("the run stopped with an unexpected error: %v", runErr)
					}
				} else if !strings.Contains(msg, "could not reach AWS") || !strings.Contains(msg, "datalayer resume") {
					t.Fatalf("the run stopped without a clear message and the next action: %v", runErr)
				}
				// The person resumes once the network is back.
				for !w.Clock.Now().After(outageEnd) {
					time.Sleep(10 * time.Millisecond)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				run2, w2, err := Resume(context.Background(), dir, "", false)
				if err != nil {
					t.Fatal(err)
				}
				w = w2
				go func() {
					for range run2.Events() {
					}
				}()
				run2.Start(ctx)
				if err := run2.Wait(); err != nil {
					t.Fatalf("resume after the outage failed: %v", err)
				}
				journal = run2.JournalPath()
			}
			defer w.Close()
			t.Logf("outage of %s from %q dropped %d requests; first session ended with %v", tt.outage, tt.at, fired, runErr)

			n, err := w.MutatingRequests()
			if err != nil {
				t.Fatal(err)
			}
			// Three modifies: the settings the restore could not take, two renames.
			for k, v := range map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "ModifyDBInstance": 3} {
				if n[k] != v {
					t.Errorf("%s reached AWS %d times, want %d (all: %v)", k, n[k], v, n)
				}
			}
			evs, err := engine.ReadJournalFile(journal)
			if err != nil {
				t.Fatalf("the journal does not read back whole: %v", err)
			}
			done := 0
			for _, e := range evs {
				if e.Type == engine.EventRunFinished && e.Err == "" {
					done++
				}
			}
			if done != 1 {
				t.Fatalf("journal has %d successful run-finished events, want 1", done)
			}
		})
	}
}

// faultFired reads how often the named fault fired from the world's saved
// state.
func faultFired(t *testing.T, w *World, name string) int64 {
	t.Helper()
	var fired int64
	w.Sim.Mutate(func(world *rdssim.World) {
		for _, f := range world.Faults {
			if f.Name == name {
				fired += f.Fired
			}
		}
	})
	return fired
}
