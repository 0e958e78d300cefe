package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/rehearsal"
)

// watchedSession passes the real engine's events to the UI and keeps a copy,
// so the test knows which prompt is open without looking inside the model.
type watchedSession struct {
	engine.Session
	out chan engine.Event

	mu     sync.Mutex
	events []engine.Event
}

func watchSession(s engine.Session) *watchedSession {
	w := &watchedSession{Session: s, out: make(chan engine.Event)}
	go func() {
		defer close(w.out)
		for ev := range s.Events() {
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
			w.out <- ev
		}
	}()
	return w
}

func (w *watchedSession) Events() <-chan engine.Event { return w.out }

// open returns the prompt waiting for a person, if any, and whether the run
// has finished.
func (w *watchedSession) open() (*engine.Prompt, *engine.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var p *engine.Prompt
	var fin *engine.Event
	for i := range w.events {
		ev := &w.events[i]
		switch {
		case ev.Type == engine.EventPrompt && ev.Answer == nil && ev.Prompt != nil:
			p = ev.Prompt
		case ev.Type == engine.EventAnswer && ev.Answer != nil && p != nil && ev.Answer.PromptID == p.ID:
			p = nil
		case ev.Type == engine.EventRunFinished:
			fin = ev
		}
	}
	return p, fin
}

// TestRealEngineRehearsal runs the engine's restore rehearsal (the RDS
// simulator through the real SDK, the simulated Pulumi engine) through the
// UI, answering every prompt with keys as a person would.
func TestRealEngineRehearsal(t *testing.T) {
	tests := []struct {
		name   string
		method string
		lost   string
		want   []string // on the final screen
	}{
		{name: "pulumi method", method: "pulumi", lost: "whole", want: []string{"Run finished", "deleted original"}},
		{name: "console method", method: "console", lost: "isolated", want: []string{"Run finished", "account 123456789012"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			run, world, err := rehearsal.Start(ctx, engine.Options{Runbook: "restore", Speed: 600, StateDir: t.TempDir(), Flags: map[string]string{"method": tt.method, "lost": tt.lost}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = world.Close() })
			s := watchSession(run)
			run.Start(ctx)

			opts := testOptions(time.Time{})
			opts.Clock = world.Clock
			r := &recorder{Model: New(ctx, s, opts)}
			tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(100, 30))

			answered := map[string]time.Time{}
			prompts := 0
			for {
				if ctx.Err() != nil {
					t.Fatalf("the run did not finish in time; last screen:\n%s", screenText(r.Model))
				}
				p, fin := s.open()
				if fin != nil {
					if fin.Err != "" {
						t.Fatalf("the run failed: %s", fin.Err)
					}
					break
				}
				if p != nil && time.Since(answered[p.ID]) > 3*time.Second {
					if _, again := answered[p.ID]; !again {
						prompts++
					}
					answered[p.ID] = time.Now()
					answerOnScreen(t, tm, r, s, p)
				}
				time.Sleep(20 * time.Millisecond)
			}
			waitFor(t, r, "Run finished")
			tm.Send(press("q"))
			fm := tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second)).(*recorder).Model
			if err := run.Wait(); err != nil {
				t.Fatalf("the engine: %v", err)
			}
			if fm.Failure() != "" || !fm.Finished() || fm.Interrupted() {
				t.Fatalf("the UI ended with failure %q, finished %v, interrupted %v", fm.Failure(), fm.Finished(), fm.Interrupted())
			}
			view := screenText(fm)
			for _, want := range tt.want {
				if !strings.Contains(view, want) {
					t.Errorf("the final screen does not say %q:\n%s", want, view)
				}
			}
			for _, r := range fm.run.Steps {
				if r.State != engine.StateDone && r.State != engine.StateSkipped {
					t.Errorf("step %s ended %s", r.Info.ID, r.State)
				}
			}
			if prompts == 0 {
				t.Errorf("no prompt was answered through the UI")
			}
			t.Logf("%d prompts answered with keys; final screen:\n%s", prompts, view)
		})
	}
}

// answerOnScreen waits until the screen shows this prompt (the frame drawn
// last: an earlier gate may have asked for the same name), then answers it
// with keys: the recommendation for decisions, a tick for manual steps, the
// name for gates (typed into an emptied input, since an earlier try may have
// left text in it). It answers nothing when the prompt closes meanwhile
// (the engine answers a manual step it sees done, e.g. the application's
// redeploy in the stack's history).
func answerOnScreen(t *testing.T, tm *teatest.TestModel, r *recorder, s *watchedSession, p *engine.Prompt) {
	t.Helper()
	// The step's title is in the box's first line; the prompt's own title
	// may be cut at the box's width, so only its start is looked for.
	// A gate's title is shown without its "Type X to go on", which the
	// input line says.
	expect := firstNonEmpty(p.Expect, "yes")
	title := []rune(strings.TrimSuffix(p.Title, " Type "+expect+" to go on"))
	start := string(title[:min(len(title), 30)])
	var want []string
	switch p.Kind {
	case engine.PromptGate:
		want = []string{"Gate ·", start, "Type " + expect + " to go on"}
	case engine.PromptManual:
		want = []string{"Your turn ·", start}
	default:
		want = []string{"Decision ·"}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if open, _ := s.open(); open == nil || open.ID != p.ID {
			return
		}
		if frameShows(r.lastFrame(), want...) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("prompt %q is open but not on the screen:\n%s", p.ID, r.lastFrame())
		}
	}
	switch p.Kind {
	case engine.PromptGate:
		tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		tm.Type(expect)
		tm.Send(press("enter"))
	case engine.PromptManual:
		tm.Send(press("x"))
	default:
		tm.Send(press("enter"))
	}
}
