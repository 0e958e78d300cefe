package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/datalayer-tool/datalayer/runbooks"
)

var startStacks = []StartStack{{Name: "production", Production: true}, {Name: "staging"}, {Name: "dev"}}

// feedStart sends msg to the start screen and keeps feeding it the messages
// its commands return (huh moves between fields and groups through
// commands), leaving out quits and anything slow such as cursor blinks.
func feedStart(t *testing.T, m *StartModel, msg tea.Msg, depth int) (quit bool) {
	t.Helper()
	_, cmd := m.Update(msg)
	if depth > 20 {
		t.Fatal("the start screen keeps sending itself messages")
	}
	for _, out := range startMsgs(cmd) {
		if _, ok := out.(tea.QuitMsg); ok {
			quit = true
			continue
		}
		quit = feedStart(t, m, out, depth+1) || quit
	}
	return quit
}

// startMsgs runs cmd and the commands it batches; commands that do not
// answer within 100ms (timers) are dropped.
func startMsgs(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		if b, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range b {
				out = append(out, startMsgs(c)...)
			}
			return out
		}
		if msg == nil {
			return nil
		}
		return []tea.Msg{msg}
	case <-time.After(100 * time.Millisecond):
		return nil
	}
}

func TestStartUpdate(t *testing.T) {
	tests := []struct {
		name    string
		opts    StartOptions
		keys    []string
		want    StartChoice
		wantErr error
	}{
		// restore is the first choice offered; staging the first stack that
		// is not production.
		{"defaults", StartOptions{Runbooks: offered, Stacks: startStacks}, []string{"enter", "enter"}, StartChoice{"restore", "staging"}, nil},
		{"upgrade on dev", StartOptions{Runbooks: offered, Stacks: startStacks}, []string{"up", "enter", "down", "enter"}, StartChoice{"upgrade", "dev"}, nil},
		{"production reachable", StartOptions{Runbooks: offered, Stacks: startStacks}, []string{"enter", "up", "enter"}, StartChoice{"restore", "production"}, nil},
		{"runbook only (rehearse)", StartOptions{Runbooks: offered}, []string{"up", "up", "enter"}, StartChoice{Runbook: "deploy"}, nil},
		{"stack only (runbook from the command)", StartOptions{Runbooks: offered, Runbook: "deploy", Stacks: startStacks}, []string{"enter"}, StartChoice{"deploy", "staging"}, nil},
		{"esc closes a filter first", StartOptions{Runbooks: offered, Stacks: startStacks}, []string{"enter", "/", "d", "e", "v", "esc", "enter"}, StartChoice{"restore", "dev"}, nil},
		{"esc cancels", StartOptions{Runbooks: offered, Stacks: startStacks}, []string{"enter", "esc"}, StartChoice{}, ErrStartCancelled},
		{"ctrl+c cancels", StartOptions{Runbooks: offered, Stacks: startStacks}, []string{"ctrl+c"}, StartChoice{}, ErrStartCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.NoColor = true
			m := NewStartModel(tt.opts)
			for _, msg := range startMsgs(m.Init()) {
				feedStart(t, m, msg, 0)
			}
			quit := false
			for i, k := range tt.keys {
				if quit {
					t.Fatalf("quit before key %d (%s)", i, k)
				}
				quit = feedStart(t, m, press(k), 0)
			}
			if !quit {
				t.Fatalf("the start screen did not quit; it shows:\n%s", ansi.Strip(m.frame()))
			}
			got, err := m.Result()
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("Result() = %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, tea.ErrInterrupted) {
				t.Fatalf("a cancel must match tea.ErrInterrupted (exit 130): %v", err)
			}
		})
	}
}

func TestStartMarksProduction(t *testing.T) {
	m := NewStartModel(StartOptions{Runbooks: offered, Runbook: "restore", Stacks: startStacks, NoColor: true})
	for _, msg := range startMsgs(m.Init()) {
		feedStart(t, m, msg, 0)
	}
	v := ansi.Strip(m.frame())
	for _, want := range []string{"runbook restore", "Which stack?", "production  !! PRODUCTION", "not production"} {
		if !strings.Contains(v, want) {
			t.Errorf("start screen lacks %q:\n%s", want, v)
		}
	}
	feedStart(t, m, press("up"), 0)
	if v := ansi.Strip(m.frame()); !strings.Contains(v, "every destructive step will ask") {
		t.Errorf("highlighting production does not warn:\n%s", v)
	}
}

// TestStartProgram runs the start screen as the real program it is: restore
// and staging chosen with the keyboard, then Esc in a second program.
func TestStartProgram(t *testing.T) {
	r := &startRecorder{StartModel: NewStartModel(StartOptions{Runbooks: offered, Stacks: startStacks, NoColor: true})}
	tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(80, 24))
	waitFor(t, r, "Which runbook?", "restore")
	tm.Send(press("enter"))
	waitFor(t, r, "Which stack?", "PRODUCTION")
	tm.Send(press("enter"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*startRecorder).StartModel
	got, err := fm.Result()
	if err != nil || got != (StartChoice{Runbook: "restore", Stack: "staging"}) {
		t.Fatalf("Result() = %+v, %v; want restore on staging", got, err)
	}

	r = &startRecorder{StartModel: NewStartModel(StartOptions{Runbooks: offered, Stacks: startStacks, NoColor: true})}
	tm = teatest.NewTestModel(t, r, teatest.WithInitialTermSize(80, 24))
	waitFor(t, r, "Which runbook?")
	tm.Send(press("esc"))
	fm = tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*startRecorder).StartModel
	if _, err := fm.Result(); !errors.Is(err, tea.ErrInterrupted) {
		t.Fatalf("Esc: %v, want an interruption", err)
	}
}

// TestPickStartCancelledContext: a signal before anything was chosen.
func TestPickStartCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	_, err := PickStart(ctx, StartOptions{Runbooks: offered, Stacks: startStacks, Input: pr, Output: &bytes.Buffer{}, NoColor: true})
	if !errors.Is(err, tea.ErrInterrupted) {
		t.Fatalf("PickStart with a cancelled context: %v", err)
	}
}

// offered are the runbooks the command line offers, from their registry.
var offered = func() []StartRunbook {
	var out []StartRunbook
	for _, name := range runbooks.Names() {
		b, _ := runbooks.Get(name)
		out = append(out, StartRunbook{Name: b.Name, Line: b.Line, Urgent: b.Urgent})
	}
	return out
}()
