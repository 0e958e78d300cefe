package rehearsal

import (
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
)

// onStepStart changes the simulated world once, when step starts.
func onStepStart(step string, change func(*rdssim.World)) func(*World, engine.Event) {
	done := false
	return func(w *World, e engine.Event) {
		if !done && e.Type == engine.EventStepStarted && e.StepID == step {
			done = true
			w.Sim.Mutate(change)
		}
	}
}

// A restored instance that never leaves "creating": the wait stops at its
// limit (generous: an hour of simulated time) saying what AWS shows and how
// to go on, instead of watching for ever.
func TestWaitForRestoredInstanceStopsAtItsLimit(t *testing.T) {
	r := runHeadlessHook(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil, nil,
		onStepStart("wait-restored", func(world *rdssim.World) {
			in := world.Instance("app5ec7032-restored")
			if in == nil {
				t.Error("no restored instance when wait-restored starts")
				return
			}
			in.Transitions = nil // stuck in creating
		}))
	msg, failed := r.failed("wait-restored")
	if !failed {
		t.Fatalf("wait-restored did not fail at its limit: %v\n%s", r.err, r.text())
	}
	for _, want := range []string{"app5ec7032-restored", "still creating", "this wait stops at 1h0m", "Nothing was undone", "datalayer resume"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure does not say %q: %s", want, msg)
		}
	}
	if !strings.Contains(r.text(), "taking longer than usual") {
		t.Errorf("no warning that the wait was slow before it stopped\n%s", r.text())
	}
	if r.finished("rename-old") || r.finished("gate-rename") {
		t.Fatal("the run went on to the swap")
	}
}

// A restore AWS accepted but whose instance never shows up: "not found" is
// acceptable for a few minutes after a create, then the wait says so.
func TestWaitForRestoredInstanceThatNeverAppears(t *testing.T) {
	r := runHeadlessHook(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil, nil,
		onStepStart("wait-restored", func(world *rdssim.World) {
			kept := world.Instances[:0]
			for _, in := range world.Instances {
				if in.ID != "app5ec7032-restored" {
					kept = append(kept, in)
				}
			}
			world.Instances = kept
		}))
	msg, failed := r.failed("wait-restored")
	if !failed || !strings.Contains(msg, "still not found") || !strings.Contains(msg, "5m") {
		t.Fatalf("wait-restored did not stop on a lasting not-found: %q %v\n%s", msg, r.err, r.text())
	}
}

// An instance that must exist (verify after a deploy) and is gone: that is
// an error at once, not a wait for it to come back.
func TestVerifyOfAnInstanceThatIsGoneFailsAtOnce(t *testing.T) {
	r := runHeadlessHook(t, engine.Options{Runbook: "deploy", Yes: true}, nil, nil,
		onStepStart("verify", func(world *rdssim.World) {
			world.Instances = world.Instances[:0]
		}))
	msg, failed := r.failed("verify")
	if !failed || !strings.Contains(msg, "does not exist") {
		t.Fatalf("verify did not fail on a missing instance: %q %v\n%s", msg, r.err, r.text())
	}
}
