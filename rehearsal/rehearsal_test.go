package rehearsal

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// result is what a headless run left behind.
type result struct {
	err    error
	events []engine.Event
	world  *World
	run    *engine.Run
}

func (r result) text() string {
	var b strings.Builder
	for _, e := range r.events {
		b.WriteString(string(e.Type) + " " + e.StepID + " " + e.Text + " " + e.Err + "\n")
	}
	return b.String()
}

func (r result) finished(step string) bool {
	for _, e := range r.events {
		if e.Type == engine.EventStepFinished && e.StepID == step {
			return true
		}
	}
	return false
}

// skipped returns the reason a step ended skipped, if it did.
func (r result) skipped(step string) (string, bool) {
	for _, e := range r.events {
		if e.Type == engine.EventStepSkipped && e.StepID == step {
			return e.Text, true
		}
	}
	return "", false
}

// notDoneByYes reports whether a task for a person ended skipped because
// --yes never ticks one.
func (r result) notDoneByYes(step string) bool {
	why, ok := r.skipped(step)
	return ok && strings.Contains(why, "--yes never ticks a task for a person")
}

func (r result) failed(step string) (string, bool) {
	for _, e := range r.events {
		if e.Type == engine.EventStepFailed && e.StepID == step {
			return e.Err, true
		}
	}
	return "", false
}

// answerer answers prompts a test scripts, by prompt id.
type answerer map[string]engine.Answer

// runHeadless runs a runbook in a fresh world with --yes (plus scripted
// answers) and collects every event.
func runHeadless(t *testing.T, o engine.Options, script answerer) result {
	return runHeadlessIn(t, o, script, nil)
}

// runHeadlessIn is runHeadless with a change to the world before the run.
func runHeadlessIn(t *testing.T, o engine.Options, script answerer, prepare func(*World)) result {
	t.Helper()
	return runHeadlessHook(t, o, script, prepare, nil)
}

// runHeadlessOn is runHeadlessIn on the engine e.
func runHeadlessOn(t *testing.T, o engine.Options, script answerer, prepare func(*World), e Engine) result {
	t.Helper()
	return runHeadlessEngine(t, o, script, prepare, nil, e)
}

// runHeadlessHook is runHeadlessIn with a hook that sees every event as it
// comes (to change the world at a given moment of the run).
func runHeadlessHook(t *testing.T, o engine.Options, script answerer, prepare func(*World), hook func(*World, engine.Event)) result {
	t.Helper()
	return runHeadlessEngine(t, o, script, prepare, hook, Engine{})
}

// runHeadlessEngine is runHeadlessHook on the engine e.
func runHeadlessEngine(t *testing.T, o engine.Options, script answerer, prepare func(*World), hook func(*World, engine.Event), e Engine) result {
	t.Helper()
	limit := 3 * time.Minute
	if e.Name == EnginePulumi {
		limit = 10 * time.Minute // each Pulumi operation starts the CLI, and cases share 2 cores
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	o.StateDir = t.TempDir()
	if o.Speed == 0 {
		o.Speed = 600
	}
	run, w, err := StartOn(context.Background(), o, e)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if prepare != nil {
		prepare(w)
	}
	var mu sync.Mutex
	var evs []engine.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range run.Events() {
			mu.Lock()
			evs = append(evs, e)
			mu.Unlock()
			if hook != nil {
				hook(w, e)
			}
			if e.Type == engine.EventPrompt && e.Answer == nil && e.Prompt != nil {
				a, ok := script[e.Prompt.ID]
				if !ok && e.Prompt.Watching != "" {
					continue // the program answers it itself
				}
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

func TestRestoreConsoleDefault(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	for _, s := range []string{"fresh-snapshot", "restore", "wait-restored", "diff", "rename-old", "rename-new", "state"} {
		if !r.finished(s) {
			t.Errorf("step %s did not finish\n%s", s, r.text())
		}
	}
	in, err := r.world.AWS.Instance(context.Background(), "app5ec7032")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := r.world.AWS.Instance(context.Background(), "app5ec7032-original")
	if err != nil {
		t.Fatal(err)
	}
	if in.ResourceID == orig.ResourceID {
		t.Fatalf("the swap did not happen: both names are the same instance")
	}
	// Guard 9: the state tracks the resource id, so it follows the original.
	if v, _ := r.run.Var("state-follows"); v != "original" || !r.finished("repair-state") {
		t.Fatalf("state-follows = %q; the repair step must run\n%s", v, r.text())
	}
}

func TestRestorePulumiDefault(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}, nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	for _, s := range []string{"fresh-snapshot", "patch-program", "refresh", "preview", "final-snapshot-guard", "gate", "up", "prepare-app", "wait-new", "redeploy-app", "old-gone"} {
		if !r.finished(s) {
			t.Errorf("step %s did not finish\n%s", s, r.text())
		}
	}
	newID, _ := r.run.Var("new-instance")
	if !strings.HasPrefix(newID, "app") || newID == "app5ec7032" {
		t.Fatalf("new instance %q", newID)
	}
	host, _, err := r.world.App.GetConfig(context.Background(), "db-host")
	if err != nil || !strings.HasPrefix(host, newID+".") {
		t.Fatalf("application db-host = %q, %v; want the new instance %s", host, err, newID)
	}
	if _, err := r.world.AWS.Instance(context.Background(), "app5ec7032"); err == nil {
		t.Fatal("the old instance still exists")
	}
	if _, err := r.world.AWS.Snapshot(context.Background(), "final-before-deletion"); err != nil {
		t.Fatalf("no final snapshot: %v", err)
	}
	// Secrets (the old and new db-host, both secret config) never reach the
	// journal or the events.
	journal, err := os.ReadFile(r.run.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{host, "app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com"} {
		if strings.Contains(string(journal), secret) {
			t.Errorf("the journal holds the secret %q", secret)
		}
		for _, e := range r.events {
			if strings.Contains(e.Text+e.Value+e.Err, secret) {
				t.Errorf("event %s %s shows the secret %q", e.Type, e.StepID, secret)
			}
		}
	}
	// The report is a markdown timeline of the run.
	evs, err := engine.ReadJournalFile(r.run.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	rep := runbooks.Report(evs)
	for _, want := range []string{"# Run ", "| time |", "started: Create the restored instance", "answered:", "## Phases"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// withSettings gives o the team's settings its runbook declares, as the
// command line does from the configuration.
func withSettings(t *testing.T, o engine.Options, s runbooks.Settings) engine.Options {
	t.Helper()
	o, err := runbooks.WithSettings(o, s)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
