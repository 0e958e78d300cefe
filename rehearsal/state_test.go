package rehearsal

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// runIn runs a further runbook in the world an earlier run left behind
// (a later on-call engineer's run), answering prompts from script.
func runIn(t *testing.T, w *World, o engine.Options, script answerer) result {
	t.Helper()
	o.StateDir, o.Rehearsal = t.TempDir(), true
	if o.Stack == "" {
		o.Stack = "staging"
	}
	run, err := runbooks.NewRun(o, w.Deps())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var evs []engine.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range run.Events() {
			mu.Lock()
			evs = append(evs, e)
			mu.Unlock()
			if e.Type == engine.EventPrompt && e.Answer == nil && e.Prompt != nil {
				a, ok := script[e.Prompt.ID]
				if !ok {
					t.Errorf("unexpected prompt %s: %s", e.Prompt.ID, e.Prompt.Title)
					cancel()
					continue
				}
				a.PromptID = e.Prompt.ID
				if err := run.Answer(a); err != nil {
					t.Errorf("answer %s: %v", e.Prompt.ID, err)
				}
			}
		}
	}()
	run.Start(ctx)
	err = run.Wait()
	<-done
	return result{err: err, events: evs, world: w, run: run}
}

// After a console restore the program repairs Pulumi's state itself (the
// --yes rehearsal answers its gate): the state tracks the restored
// instance's resource id, a preview proposes no change, and the next
// deploy acts on the instance the application uses, not on -original. The
// repair used to be a manual step that --yes ticked with nothing done.
func TestConsoleRestoreRepairsTheState(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil)
	if r.err != nil {
		t.Fatalf("restore failed: %v\n%s", r.err, r.text())
	}
	ctx := context.Background()
	restored, err := r.world.AWS.Instance(ctx, "app5ec7032")
	if err != nil {
		t.Fatal(err)
	}
	exp, err := r.world.Data.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if exp.ID != restored.ResourceID || exp.Identifier != "app5ec7032" {
		t.Fatalf("the state tracks %s (%s), want the restored instance's resource id %s\n%s", exp.ID, exp.Identifier, restored.ResourceID, r.text())
	}
	if !strings.Contains(r.text(), "the preview after the state repair proposes no change") {
		t.Errorf("no preview proved the repair\n%s", r.text())
	}
	plan, err := r.world.Data.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Instance() != "nothing" {
		t.Errorf("a preview after the restore proposes %s for the instance", plan.Instance())
	}
	next := runIn(t, r.world, engine.Options{Runbook: "deploy", Yes: true}, nil)
	if next.err != nil {
		t.Fatalf("the next deploy failed: %v\n%s", next.err, next.text())
	}
	if inst, _ := next.run.Var("instance"); inst != "app5ec7032" {
		t.Errorf("the next deploy acts on %q, want the restored app5ec7032", inst)
	}
}

// A state that tracks another instance than the application's db-host
// (a console restore whose repair was declined) stops every later run
// before it changes anything, naming both instances; choosing the repair
// (behind its gate) fixes it and the run goes on.
func TestStateTrackingAnotherInstanceThanTheApplicationStops(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Answers: map[string]string{"repair-state/repair": engine.GateDeclined}, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil)
	if r.err == nil || !strings.Contains(r.err.Error(), "backed out") {
		t.Fatalf("the restore did not stop at the declined repair: %v\n%s", r.err, r.text())
	}
	before, err := r.world.MutatingRequests()
	if err != nil {
		t.Fatal(err)
	}
	stopped := runIn(t, r.world, engine.Options{Runbook: "upgrade", Yes: true}, nil)
	msg, failed := stopped.failed("stack")
	if !failed {
		t.Fatalf("the upgrade did not stop at the stack check: %v\n%s", stopped.err, stopped.text())
	}
	for _, want := range []string{"app5ec7032-original", "app5ec7032", "stopped before changing anything", "repair"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the stop does not say %q: %s", want, msg)
		}
	}
	after, _ := r.world.MutatingRequests()
	for k, v := range after {
		if before[k] != v {
			t.Errorf("AWS was changed by the stopped run: %s %d -> %d", k, before[k], v)
		}
	}
	fixed := runIn(t, r.world, engine.Options{Runbook: "deploy", Yes: true, Answers: map[string]string{"stack/state-mismatch": "repair"}}, nil)
	if fixed.err != nil {
		t.Fatalf("the deploy with the repair failed: %v\n%s", fixed.err, fixed.text())
	}
	if inst, _ := fixed.run.Var("instance"); inst != "app5ec7032" {
		t.Errorf("after the repair the deploy acts on %q, want app5ec7032", inst)
	}
	restored, _ := r.world.AWS.Instance(context.Background(), "app5ec7032")
	if exp, _ := r.world.Data.Export(context.Background()); exp.ID != restored.ResourceID {
		t.Errorf("after the repair the state tracks %s, want %s", exp.ID, restored.ResourceID)
	}
}
