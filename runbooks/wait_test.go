package runbooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
)

// TestWaitExpectations: a wait tells the poller when its change is due —
// from the same wait in the last recorded run when there is one, else from
// the policy's usual duration with a wide window — and each wait of a step
// has its own key.
func TestWaitExpectations(t *testing.T) {
	dir := t.TempDir()
	saved := engine.Timings{RunID: "earlier", Stack: "staging", Real: true,
		Steps: map[string]time.Duration{"wait-new": 7 * time.Minute},
		Waits: map[string]time.Duration{"wait-new/instance/create#1": 7*time.Minute + 10*time.Second, "wait-new/instance/create#2": 30 * time.Second}}
	b, _ := json.Marshal(saved)
	if err := os.MkdirAll(filepath.Join(dir, "timings"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(timingsPath(dir, "restore"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		kind waitKind
		want awsclient.Expect
	}{
		{"recorded", waitCreate, awsclient.Expect{After: 7*time.Minute + 10*time.Second, Within: 86 * time.Second}},
		{"recorded, short: at least 15 s either side", waitCreate, awsclient.Expect{After: 30 * time.Second, Within: 15 * time.Second}},
		{"not recorded: the usual, widely", waitCreate, awsclient.Expect{After: 7 * time.Minute, Within: 7 * time.Minute * 3 / 4}},
		{"another kind of wait", waitSnapshot, awsclient.Expect{After: 10 * time.Minute, Within: 10 * time.Minute * 3 / 4}},
	}
	runOneStep(t, engine.Options{Runbook: "restore", Stack: "staging", StateDir: dir}, Deps{}, "wait-new", func(x *engine.Exec) error {
		for _, tt := range tests {
			key := x.WaitKey("instance/" + string(tt.kind))
			if got := expect(x, key, waitPolicyFor(x, tt.kind)); got != tt.want {
				t.Errorf("%s: expect(%s) = %+v, want %+v", tt.name, key, got, tt.want)
			}
		}
		x.RecordWait("wait-new/instance/create#1", 7*time.Minute)
		return nil
	})
	var got engine.Timings
	b, err := os.ReadFile(timingsPath(dir, "restore"))
	if err == nil {
		err = json.Unmarshal(b, &got)
	}
	if err != nil || got.Waits["wait-new/instance/create#1"] != 7*time.Minute {
		t.Errorf("saved waits %v (%v)", got.Waits, err)
	}
}

// timingsPath is where the engine keeps a runbook's timings of real runs.
func timingsPath(stateDir, runbook string) string {
	return filepath.Join(stateDir, "timings", runbook+".json")
}

// runOneStep runs a runbook of one step, doing do, through the engine with
// a manual clock, and fails the test when the run fails.
func runOneStep(t *testing.T, opts engine.Options, d Deps, id string, do func(x *engine.Exec) error) {
	t.Helper()
	if opts.StateDir == "" {
		opts.StateDir = t.TempDir()
	}
	if d.Clock == nil {
		d.Clock = clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	}
	book := &engine.Runbook{Name: opts.Runbook, Steps: []*engine.Step{{ID: id, Title: id, Kind: engine.KindCheck, Phase: PhaseVerify, Do: do}}}
	r, err := engine.NewRun(book, opts, d.engineDeps())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for range r.Events() {
		}
	}()
	r.Start(t.Context())
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestWatchWithoutPoller: the engine builds no poller of its own; a wait in
// a run given none fails at once, saying why.
func TestWatchWithoutPoller(t *testing.T) {
	runOneStep(t, engine.Options{Runbook: "deploy", Stack: "staging"}, Deps{}, "verify", func(x *engine.Exec) error {
		if _, err := waitAvailableNow(x, "app5ec7032"); err == nil || !strings.Contains(err.Error(), "no AWS poller") {
			t.Errorf("WaitAvailable without a poller: %v", err)
		}
		return nil
	})
}
