package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
)

// openKind is the kind of the prompt on screen, "" when none.
func openKind(m *Model) engine.PromptKind {
	if m.overlay == overlayPrompt || m.overlay == overlaySending {
		return m.prompt.p.Kind
	}
	return ""
}

// newUpdateModel builds a model at 80×24 and feeds it events directly.
func newUpdateModel(t *testing.T, s engine.Session, events ...engine.Event) *Model {
	t.Helper()
	m := New(context.Background(), s, testOptions(at(300)))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if len(events) > 0 {
		m.Update(eventsMsg{events: events, now: at(300)})
	}
	return m
}

// run executes a Cmd and every Cmd it batches, and returns the messages.
// Cmds that block (none should here) are given up on after two seconds.
func run(t *testing.T, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-ch:
	case <-time.After(2 * time.Second):
		t.Fatalf("a command blocked")
	}
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, run(t, c)...)
		}
		return out
	}
	// tea.Sequence's message is an unexported slice of Cmds.
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
		var out []tea.Msg
		for i := 0; i < v.Len(); i++ {
			out = append(out, run(t, v.Index(i).Interface().(tea.Cmd))...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// answersIn returns the answers the messages carry.
func answersIn(msgs []tea.Msg) []engine.Answer {
	var out []engine.Answer
	for _, msg := range msgs {
		if a, ok := msg.(answerSentMsg); ok {
			out = append(out, a.answer)
		}
	}
	return out
}

func gateEvents() []engine.Event {
	return []engine.Event{
		{Type: engine.EventStepStarted, StepID: "gate", Time: at(275)},
		{Type: engine.EventPrompt, StepID: "gate", Time: at(275), Prompt: gatePrompt},
	}
}

func TestGateKeys(t *testing.T) {
	tests := []struct {
		name      string
		keys      []tea.KeyPressMsg // after typing
		typed     string
		want      *engine.Answer // nil: nothing is answered
		wantErr   string         // shown in the gate
		wantQuit  bool
		wantInput string
	}{
		{name: "the right name answers", typed: "app5ec7032", keys: []tea.KeyPressMsg{press("enter")},
			want: &engine.Answer{PromptID: "p-gate", Value: "app5ec7032"}},
		{name: "surrounding spaces are forgiven", typed: " app5ec7032 ", keys: []tea.KeyPressMsg{press("enter")},
			want: &engine.Answer{PromptID: "p-gate", Value: "app5ec7032"}},
		{name: "a wrong name does not pass", typed: "app5ec7033", keys: []tea.KeyPressMsg{press("enter")},
			wantErr: "“app5ec7033” is not app5ec7032", wantInput: "app5ec7033"},
		{name: "a prefix does not pass", typed: "app5ec703", keys: []tea.KeyPressMsg{press("enter")},
			wantErr: "is not app5ec7032", wantInput: "app5ec703"},
		{name: "another case does not pass", typed: "APP5EC7032", keys: []tea.KeyPressMsg{press("enter")},
			wantErr: "is not app5ec7032", wantInput: "APP5EC7032"},
		{name: "nothing typed does not pass", keys: []tea.KeyPressMsg{press("enter")},
			wantErr: "type app5ec7032 to go on"},
		{name: "esc backs out", typed: "app5ec7032", keys: []tea.KeyPressMsg{press("esc")},
			want: &engine.Answer{PromptID: "p-gate", Value: DeclinedValue}},
		{name: "esc with nothing typed backs out", keys: []tea.KeyPressMsg{press("esc")},
			want: &engine.Answer{PromptID: "p-gate", Value: DeclinedValue}},
		{name: "q is a letter in a gate, not quit", typed: "q", wantInput: "q"},
		{name: "ctrl+c with nothing in flight quits at once", typed: "app", keys: []tea.KeyPressMsg{press("ctrl+c")},
			wantQuit: true, wantInput: "app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScriptedSession(stagingInfo, restoreSteps, nil, true)
			m := newUpdateModel(t, s, gateEvents()...)
			if openKind(m) != engine.PromptGate {
				t.Fatalf("%q open after a gate prompt, want the gate", openKind(m))
			}
			typeText(m, tt.typed)
			var msgs []tea.Msg
			for _, k := range tt.keys {
				_, cmd := m.Update(k)
				msgs = append(msgs, run(t, cmd)...)
			}
			got := answersIn(msgs)
			if tt.want == nil {
				if len(got) > 0 || len(s.Answers()) > 0 {
					t.Fatalf("answered %+v, want no answer", got)
				}
				if openKind(m) != engine.PromptGate && !tt.wantQuit {
					t.Errorf("%q open, want the gate still open", openKind(m))
				}
			} else {
				if len(got) != 1 || got[0] != *tt.want {
					t.Fatalf("answers %+v, want %+v", got, *tt.want)
				}
				if sa := s.Answers(); len(sa) != 1 || sa[0] != *tt.want {
					t.Fatalf("the session got %+v, want %+v", sa, *tt.want)
				}
				for _, msg := range msgs {
					m.Update(msg)
				}
				if m.overlay != overlayNone || m.run.Prompt() != nil {
					t.Errorf("after the answer: overlay %s, prompt %v; want none", m.overlay, m.run.Prompt())
				}
			}
			if tt.wantErr != "" && !strings.Contains(m.prompt.err, tt.wantErr) {
				t.Errorf("gate error %q, want it to contain %q", m.prompt.err, tt.wantErr)
			}
			if tt.wantErr != "" && !strings.Contains(screenText(m), "type it exactly") && !strings.Contains(screenText(m), "to go on") {
				t.Errorf("the error is not on screen:\n%s", screenText(m))
			}
			if m.Interrupted() != tt.wantQuit {
				t.Errorf("interrupted %v, want %v", m.Interrupted(), tt.wantQuit)
			}
			if tt.want == nil && m.prompt.input.Value() != tt.wantInput {
				t.Errorf("input %q, want %q", m.prompt.input.Value(), tt.wantInput)
			}
		})
	}
}

func TestGateRetypeAfterWrongName(t *testing.T) {
	s := newScriptedSession(stagingInfo, restoreSteps, nil, true)
	m := newUpdateModel(t, s, gateEvents()...)
	typeText(m, "app5ec7033")
	_, cmd := m.Update(press("enter"))
	if a := answersIn(run(t, cmd)); len(a) > 0 {
		t.Fatalf("a wrong name answered %+v", a)
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyBackspace})
	typeText(m, "2")
	if m.prompt.err != "" {
		t.Errorf("the error stays after editing: %q", m.prompt.err)
	}
	_, cmd = m.Update(press("enter"))
	got := answersIn(run(t, cmd))
	if len(got) != 1 || got[0].Value != "app5ec7032" {
		t.Fatalf("answers %+v, want app5ec7032", got)
	}
}

func TestManualKeys(t *testing.T) {
	events := []engine.Event{
		{Type: engine.EventStepStarted, StepID: "maintenance", Time: at(9)},
		{Type: engine.EventPrompt, StepID: "maintenance", Time: at(9), Prompt: maintenancePrompt},
	}
	tests := []struct {
		name    string
		do      func(m *Model) []tea.Msg
		want    *engine.Answer
		wantErr string
	}{
		{name: "x ticks it", do: keys(press("x")),
			want: &engine.Answer{PromptID: "p-maint", Value: "done"}},
		{name: "enter ticks it", do: keys(press("enter")),
			want: &engine.Answer{PromptID: "p-maint", Value: "done"}},
		{name: "a note goes with the tick", do: func(m *Model) []tea.Msg {
			m.Update(press("n"))
			typeText(m, "switched on by Ana")
			m.Update(press("enter")) // keeps the note
			return keys(press("x"))(m)
		}, want: &engine.Answer{PromptID: "p-maint", Value: "done", Note: "switched on by Ana"}},
		{name: "skip asks why first", do: keys(press("s"), press("enter")),
			wantErr: "say why"},
		{name: "skip with a reason", do: func(m *Model) []tea.Msg {
			m.Update(press("s"))
			typeText(m, "the CDN switch is broken")
			return keys(press("enter"))(m)
		}, want: &engine.Answer{PromptID: "p-maint", Value: "skip", Note: "the CDN switch is broken"}},
		{name: "esc leaves the note without answering", do: func(m *Model) []tea.Msg {
			m.Update(press("n"))
			typeText(m, "half")
			return keys(press("esc"))(m)
		}},
		{name: "letters in a note are not keys", do: func(m *Model) []tea.Msg {
			m.Update(press("n"))
			typeText(m, "xsq")
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScriptedSession(stagingInfo, restoreSteps, nil, true)
			m := newUpdateModel(t, s, events...)
			if openKind(m) != engine.PromptManual {
				t.Fatalf("%q open, want the manual step", openKind(m))
			}
			got := answersIn(tt.do(m))
			switch {
			case tt.want == nil && len(got) > 0:
				t.Fatalf("answered %+v, want nothing", got)
			case tt.want != nil && (len(got) != 1 || got[0] != *tt.want):
				t.Fatalf("answers %+v, want %+v", got, *tt.want)
			}
			if tt.wantErr != "" && !strings.Contains(m.prompt.err, tt.wantErr) {
				t.Errorf("error %q, want %q", m.prompt.err, tt.wantErr)
			}
			if m.overlay == overlayQuit || m.Interrupted() {
				t.Errorf("a key in a manual step asked to quit")
			}
		})
	}
}

// keys presses keys in order and returns the messages of their Cmds.
func keys(ks ...tea.KeyPressMsg) func(m *Model) []tea.Msg {
	return func(m *Model) []tea.Msg {
		var out []tea.Msg
		for _, k := range ks {
			_, cmd := m.Update(k)
			out = append(out, runQuiet(cmd)...)
		}
		return out
	}
}

// runQuiet is run without a testing.T, for helpers built before one exists.
func runQuiet(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, runQuiet(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

func TestChoiceForm(t *testing.T) {
	events := []engine.Event{
		{Type: engine.EventStepStarted, StepID: "lost", Time: at(2)},
		{Type: engine.EventPrompt, StepID: "lost", Time: at(2), Prompt: lostPrompt},
	}
	tests := []struct {
		name string
		keys []tea.KeyPressMsg
		want string
	}{
		{name: "enter takes the recommended option", keys: []tea.KeyPressMsg{press("enter")}, want: "whole"},
		{name: "down then enter", keys: []tea.KeyPressMsg{press("down"), press("enter")}, want: "critical"},
		{name: "down twice", keys: []tea.KeyPressMsg{press("down"), press("down"), press("enter")}, want: "isolated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScriptedSession(stagingInfo, restoreSteps, nil, true)
			m := newUpdateModel(t, s, events...)
			if openKind(m) != engine.PromptChoice {
				t.Fatalf("%q open, want the choice", openKind(m))
			}
			if v := screenText(m); !strings.Contains(v, "The whole database (recommended)") || !strings.Contains(v, "because the instance is gone") {
				t.Fatalf("the recommendation and its reason are not shown:\n%s", v)
			}
			// The form answers through its own messages: pump them.
			var pending []tea.Msg
			for _, k := range tt.keys {
				_, cmd := m.Update(k)
				pending = append(pending, run(t, cmd)...)
			}
			var got []engine.Answer
			for i := 0; i < len(pending) && i < 50; i++ {
				if a, ok := pending[i].(answerSentMsg); ok {
					got = append(got, a.answer)
					continue
				}
				_, cmd := m.Update(pending[i])
				pending = append(pending, run(t, cmd)...)
			}
			if len(got) != 1 || got[0].Value != tt.want || got[0].PromptID != "p-lost" {
				t.Fatalf("answers %+v, want %s", got, tt.want)
			}
		})
	}
}

func TestQuitConfirm(t *testing.T) {
	running := []engine.Event{
		{Type: engine.EventStepStarted, StepID: "up", Time: at(290)},
		{Type: engine.EventStatus, StepID: "up", Time: at(300), Status: statusChange("instance", "app3f9a1c2", "", "creating", at(300))},
	}
	t.Run("q asks, n stays", func(t *testing.T) {
		m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true), running...)
		m.Update(press("q"))
		if m.overlay != overlayQuit {
			t.Fatal("q did not ask")
		}
		v := screenText(m)
		for _, want := range []string{"instance app3f9a1c2 is creating", "datalayer resume r-20261125-140000", "Steps"} {
			if !strings.Contains(v, want) {
				t.Errorf("the quit confirm does not say %q:\n%s", want, v)
			}
		}
		m.Update(press("n"))
		if m.overlay != overlayNone || m.Interrupted() {
			t.Fatal("n did not go back")
		}
	})
	for _, k := range []string{"y", "ctrl+c"} {
		t.Run("q then "+k+" interrupts", func(t *testing.T) {
			m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true), running...)
			m.Update(press("q"))
			_, cmd := m.Update(press(k))
			requireInterrupt(t, m, cmd)
		})
	}
	t.Run("q asks even with nothing in flight", func(t *testing.T) {
		m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true))
		m.Update(press("q"))
		if m.overlay != overlayQuit || !strings.Contains(screenText(m), "Nothing is changing in AWS right now") {
			t.Fatalf("q did not ask:\n%s", screenText(m))
		}
	})
	t.Run("ctrl+c in a form asks while an instance is created", func(t *testing.T) {
		m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true), append(running,
			engine.Event{Type: engine.EventPrompt, StepID: "lost", Time: at(300), Prompt: lostPrompt})...)
		_, cmd := m.Update(press("ctrl+c"))
		for _, msg := range run(t, cmd) {
			m.Update(msg)
		}
		if m.overlay != overlayQuit || m.Interrupted() {
			t.Fatalf("ctrl+c in the form did not ask: overlay %s", m.overlay)
		}
		_, cmd = m.Update(press("esc"))
		run(t, cmd)
		if openKind(m) != engine.PromptChoice || m.prompt.form == nil {
			t.Fatalf("esc did not bring the form back: overlay %s", m.overlay)
		}
		if !strings.Contains(screenText(m), "The whole database") {
			t.Fatalf("the form is not shown again:\n%s", screenText(m))
		}
	})
}

// requireInterrupt checks that cmd interrupts the program and that Run
// would then say how to resume.
func requireInterrupt(t *testing.T, m *Model, cmd tea.Cmd) {
	t.Helper()
	msgs := run(t, cmd)
	found := false
	for _, msg := range msgs {
		if _, ok := msg.(tea.InterruptMsg); ok {
			found = true
		}
	}
	if !found || !m.Interrupted() {
		t.Fatalf("got %v, want an interrupt", msgs)
	}
	err := result(m, tea.ErrInterrupted, io.Discard)
	if !errors.Is(err, tea.ErrInterrupted) || !strings.Contains(err.Error(), "datalayer resume r-20261125-140000") {
		t.Fatalf("Run would return %v", err)
	}
}

// TestCtrlCWithNothingInFlight: with nothing changing in AWS or Pulumi,
// Ctrl-C leaves at once from every screen; the run is journalled and
// resumes.
func TestCtrlCWithNothingInFlight(t *testing.T) {
	tests := []struct {
		name string
		evs  []engine.Event
	}{
		{name: "main screen", evs: restoreScript(false)[:4]},
		{name: "decision", evs: []engine.Event{{Type: engine.EventPrompt, StepID: "lost", Time: at(2), Prompt: lostPrompt}}},
		{name: "gate", evs: gateEvents()},
		{name: "manual step", evs: []engine.Event{{Type: engine.EventPrompt, StepID: "maintenance", Time: at(9), Prompt: maintenancePrompt}}},
		{name: "available instance and a finished up", evs: []engine.Event{
			{Type: engine.EventStepStarted, StepID: "up", Time: at(290)},
			{Type: engine.EventIssued, StepID: "up", Time: at(290), Name: "up:data"},
			{Type: engine.EventStatus, StepID: "up", Time: at(300), Status: statusChange("instance", "app3f9a1c2", "", "available", at(300))},
			{Type: engine.EventStepFinished, StepID: "up", Time: at(310)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true), tt.evs...)
			_, cmd := m.Update(press("ctrl+c"))
			requireInterrupt(t, m, cmd)
		})
	}
	t.Run("a step that sent a change asks", func(t *testing.T) {
		m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true),
			engine.Event{Type: engine.EventStepStarted, StepID: "up", Time: at(290)},
			engine.Event{Type: engine.EventIssued, StepID: "up", Time: at(290), Name: "up:data"})
		_, cmd := m.Update(press("ctrl+c"))
		run(t, cmd)
		if m.overlay != overlayQuit || m.Interrupted() {
			t.Fatalf("ctrl+c during an up did not ask: overlay %s", m.overlay)
		}
		if v := screenText(m); !strings.Contains(v, "has sent a change") {
			t.Errorf("the confirm does not say what is in flight:\n%s", v)
		}
	})
}

func TestFinishedAndResult(t *testing.T) {
	finished := engine.Event{Type: engine.EventRunFinished, Time: at(400), Elapsed: 400 * time.Second}
	failed := engine.Event{Type: engine.EventRunFinished, Time: at(400), Err: "rename refused"}
	tests := []struct {
		name    string
		ev      *engine.Event
		close   bool
		runErr  error
		wantIs  error
		wantMsg string
	}{
		{name: "finished", ev: &finished},
		{name: "failed", ev: &failed, wantIs: ErrRunFailed, wantMsg: "rename refused"},
		{name: "engine went away", close: true, wantIs: ErrRunFailed, wantMsg: "engine stopped"},
		{name: "killed by the context", runErr: fmt.Errorf("%w: %w", tea.ErrProgramKilled, context.Canceled),
			wantIs: tea.ErrInterrupted, wantMsg: "datalayer resume"},
		{name: "other program error", runErr: errors.New("no tty"), wantMsg: "tui: no tty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true))
			if tt.ev != nil {
				m.Update(eventsMsg{events: []engine.Event{*tt.ev}, now: at(400)})
			}
			if tt.close {
				m.Update(sessionClosedMsg{now: at(400)})
			}
			if m.Finished() {
				_, cmd := m.Update(press("q"))
				msgs := run(t, cmd)
				if len(msgs) != 1 {
					t.Fatalf("q on the finished screen gave %v", msgs)
				}
				if _, ok := msgs[0].(tea.QuitMsg); !ok {
					t.Fatalf("q on the finished screen gave %T, want tea.QuitMsg", msgs[0])
				}
			}
			var summary strings.Builder
			err := result(m, tt.runErr, &summary)
			if tt.wantIs == nil && tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("result: %v", err)
				}
				if !strings.Contains(summary.String(), "datalayer report r-20261125-140000") {
					t.Errorf("summary %q does not say where the report is", summary.String())
				}
				return
			}
			if err == nil {
				t.Fatal("result: no error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestAutoAnsweredPromptIsNotAsked(t *testing.T) {
	auto := &engine.Answer{PromptID: "p-lost", Value: "whole", Auto: true, Note: "--yes took the recommended option"}
	m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true),
		engine.Event{Type: engine.EventStepStarted, StepID: "lost", Time: at(2)},
		engine.Event{Type: engine.EventPrompt, StepID: "lost", Time: at(2), Prompt: lostPrompt, Answer: auto},
		engine.Event{Type: engine.EventAnswer, StepID: "lost", Time: at(2), Answer: auto},
	)
	if m.overlay != overlayNone || m.run.Prompt() != nil {
		t.Fatalf("an answered prompt opened: overlay %s", m.overlay)
	}
	m.Update(press("tab"))
	if v := screenText(m); !strings.Contains(v, "What was lost? → whole (--yes took the recommended option)") {
		t.Fatalf("the automatic answer is not in the log:\n%s", v)
	}
}

// refusingSession refuses every answer, as the engine does with one it
// cannot use.
type refusingSession struct{ *scriptedSession }

func (refusingSession) Answer(a engine.Answer) error {
	return fmt.Errorf("answer %q is not one of: whole, critical", a.Value)
}

func TestRefusedAnswerAsksAgain(t *testing.T) {
	s := refusingSession{newScriptedSession(stagingInfo, restoreSteps, nil, true)}
	m := newUpdateModel(t, s, gateEvents()...)
	typeText(m, "app5ec7032")
	_, cmd := m.Update(press("enter"))
	for _, msg := range run(t, cmd) {
		m.Update(msg)
	}
	if openKind(m) != engine.PromptGate || m.overlay != overlayPrompt {
		t.Fatalf("%q open (overlay %s) after a refused answer, want the gate again", openKind(m), m.overlay)
	}
	if !strings.Contains(screenText(m), "is not one of") {
		t.Fatalf("the refusal is not shown:\n%s", screenText(m))
	}
}

func TestResizeKeepsFrameSize(t *testing.T) {
	m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true), restoreScript(false)[:4]...)
	for _, size := range []struct{ w, h int }{{80, 24}, {60, 20}, {200, 60}, {100, 30}, {40, 12}} {
		m.Update(tea.WindowSizeMsg{Width: size.w, Height: size.h})
		v := screenText(m)
		lines := strings.Split(v, "\n")
		if len(lines) != size.h {
			t.Errorf("%dx%d: %d lines", size.w, size.h, len(lines))
		}
		for i, l := range lines {
			if w := ansi.StringWidth(l); w > size.w {
				t.Errorf("%dx%d: line %d is %d wide: %q", size.w, size.h, i, w, l)
			}
		}
	}
}

func TestPromptsAskedTogetherQueueUp(t *testing.T) {
	s := newScriptedSession(stagingInfo, restoreSteps, nil, true)
	redeploy := &engine.Prompt{ID: "p-redeploy", StepID: "redeploy", Kind: engine.PromptManual, Title: "Redeploy the application through CI"}
	m := newUpdateModel(t, s,
		engine.Event{Type: engine.EventStepStarted, StepID: "gate", Time: at(275)},
		engine.Event{Type: engine.EventPrompt, StepID: "gate", Time: at(275), Prompt: gatePrompt},
	)
	typeText(m, "app5ec")
	// A step of the same group asks while the gate is being typed.
	m.Update(eventsMsg{now: at(276), events: []engine.Event{
		{Type: engine.EventStepStarted, StepID: "redeploy", Time: at(276)},
		{Type: engine.EventPrompt, StepID: "redeploy", Time: at(276), Prompt: redeploy},
	}})
	if openKind(m) != engine.PromptGate || m.prompt.input.Value() != "app5ec" {
		t.Fatalf("the second prompt took over the gate: %q open, input %q", openKind(m), m.prompt.input.Value())
	}
	if !strings.Contains(screenText(m), "1 more waiting") {
		t.Errorf("the gate does not say another prompt waits:\n%s", screenText(m))
	}
	typeText(m, "7032")
	_, cmd := m.Update(press("enter"))
	for _, msg := range run(t, cmd) {
		_, next := m.Update(msg)
		run(t, next)
	}
	if openKind(m) != engine.PromptManual || m.prompt.id() != "p-redeploy" {
		t.Fatalf("after the gate: %q open, prompt %q; want the queued manual step", openKind(m), m.prompt.id())
	}
	// The engine's answer event for the gate arrives late: nothing changes.
	m.Update(eventsMsg{now: at(277), events: []engine.Event{{Type: engine.EventAnswer, StepID: "gate", Time: at(277), Answer: &engine.Answer{PromptID: "p-gate", Value: "app5ec7032"}}}})
	if openKind(m) != engine.PromptManual {
		t.Fatalf("a late answer event closed the manual step: %q open", openKind(m))
	}
	_, cmd = m.Update(press("x"))
	for _, msg := range run(t, cmd) {
		m.Update(msg)
	}
	if m.overlay != overlayNone || len(m.run.Prompts) != 0 {
		t.Fatalf("after both: overlay %s, queue %d", m.overlay, len(m.run.Prompts))
	}
	if got := s.Answers(); len(got) != 2 || got[0].PromptID != "p-gate" || got[1].PromptID != "p-redeploy" {
		t.Fatalf("the session got %+v", got)
	}
}

func TestLivePanelFollowsRenamesAndPollErrors(t *testing.T) {
	m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true),
		engine.Event{Type: engine.EventStepStarted, StepID: "verify", Time: at(100)},
		engine.Event{Type: engine.EventStatus, StepID: "verify", Time: at(100), Status: statusChange("instance", "app5ec7032", "", "available", at(100))},
		engine.Event{Type: engine.EventStatus, StepID: "verify", Time: at(100), Status: statusChange("instance", "app5ec7032-restored", "", "available", at(100))},
	)
	renamed := statusChange("instance", "app5ec7032-original", "renaming", "available", at(200))
	renamed.PreviousID = "app5ec7032"
	back := statusChange("instance", "app5ec7032", "renaming", "available", at(260))
	back.PreviousID = "app5ec7032-restored"
	m.Update(eventsMsg{now: at(300), events: []engine.Event{
		{Type: engine.EventStatus, StepID: "verify", Time: at(200), Status: renamed},
		{Type: engine.EventStatus, StepID: "verify", Time: at(250), Status: sampleOf(awsclient.Change{At: at(250), Err: errors.New("Throttling: Rate exceeded")})},
	}})
	if v := screenText(m); !strings.Contains(v, "last poll failed: Throttling") {
		t.Errorf("a failed poll is not shown:\n%s", v)
	}
	m.Update(eventsMsg{now: at(300), events: []engine.Event{{Type: engine.EventStatus, StepID: "verify", Time: at(260), Status: back}}})
	var ids []string
	for _, w := range m.run.Watches {
		ids = append(ids, w.ID)
	}
	if got := strings.Join(ids, ","); got != "app5ec7032-original,app5ec7032" {
		t.Fatalf("watched rows %s, want app5ec7032-original,app5ec7032", got)
	}
	if v := screenText(m); strings.Contains(v, "last poll failed") {
		t.Errorf("the poll error stays after a good poll:\n%s", v)
	}
}

func TestLogScrollAndPanes(t *testing.T) {
	m := newUpdateModel(t, newScriptedSession(stagingInfo, restoreSteps, nil, true), restoreScript(false)...)
	if m.pane != paneExplanation || !strings.Contains(screenText(m), "[Explanation]") {
		t.Fatalf("the explanation is not the first pane on a narrow screen:\n%s", screenText(m))
	}
	m.Update(press("tab"))
	if m.pane != paneLog || !strings.Contains(screenText(m), "snapshot pre-restore-20261125: creating") {
		t.Fatalf("tab did not show the log with its newest line:\n%s", screenText(m))
	}
	m.Update(press("up"))
	m.Update(press("up"))
	if !m.logHeld {
		t.Fatal("scrolling up did not hold the log")
	}
	top := m.log.YOffset()
	m.Update(eventsMsg{now: at(300), events: []engine.Event{{Type: engine.EventOutput, Time: at(300), Text: "a new line"}}})
	if m.log.YOffset() != top || strings.Contains(screenText(m), "a new line") {
		t.Fatalf("a new line moved a held log (offset %d, was %d)", m.log.YOffset(), top)
	}
	for i := 0; i < 5; i++ {
		m.Update(press("down"))
	}
	if m.logHeld || !strings.Contains(screenText(m), "a new line") {
		t.Fatalf("back at the bottom the log does not follow:\n%s", screenText(m))
	}
	m.Update(press("?"))
	if !m.help.ShowAll || len(strings.Split(screenText(m), "\n")) != 24 {
		t.Fatalf("? did not open the full help within the frame")
	}
}
