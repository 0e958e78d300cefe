package steps

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/clock"
)

// TestWaitExpectations: a wait tells the poller when its change is due —
// from the same wait in the last recorded run when there is one, else from
// the policy's usual duration with a wide window — and each wait of a step
// has its own key.
func TestWaitExpectations(t *testing.T) {
	dir := t.TempDir()
	saved := Timings{RunID: "earlier", Stack: "staging",
		Steps: map[string]time.Duration{"wait-new": 7 * time.Minute},
		Waits: map[string]time.Duration{"wait-new/instance/create#1": 7*time.Minute + 10*time.Second, "wait-new/instance/create#2": 30 * time.Second}}
	b, _ := json.Marshal(saved)
	if err := os.MkdirAll(filepath.Join(dir, "timings"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(timingsPath(dir, "restore"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRun(Options{Runbook: "restore", Stack: "staging", StateDir: dir},
		Deps{Clock: clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))}, &Runbook{Name: "restore"})
	x := &Exec{r: r, s: &Step{ID: "wait-new"}}
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := x.waitKey("instance", tt.kind)
			if got := x.expect(key, x.waitPolicy(tt.kind)); got != tt.want {
				t.Errorf("expect(%s) = %+v, want %+v", key, got, tt.want)
			}
		})
	}
	r.recordWait("wait-new/instance/create#1", 7*time.Minute)
	r.elapsed["wait-new"] = 7 * time.Minute
	r.saveTimings()
	if got := loadTimings(dir, "restore").Waits; got["wait-new/instance/create#1"] != 7*time.Minute {
		t.Errorf("saved waits %v", got)
	}
}

// TestWatchWithoutPoller: the engine builds no poller of its own; a wait in
// a run given none fails at once, saying why.
func TestWatchWithoutPoller(t *testing.T) {
	r := newRun(Options{Stack: "staging"}, Deps{Clock: clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))}, &Runbook{Name: "deploy"})
	x := &Exec{r: r, s: &Step{ID: "verify"}, ctx: t.Context()}
	if _, err := x.WaitAvailable("app5ec7032"); err == nil || !strings.Contains(err.Error(), "no AWS poller") {
		t.Errorf("WaitAvailable without a poller: %v", err)
	}
}
