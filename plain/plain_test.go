package plain

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
)

// scripted is a Session whose events come from a script; every prompt
// waits for the renderer's answer before the script goes on.
type scripted struct {
	events  chan engine.Event
	answers chan engine.Answer
	valid   func(engine.Answer) error
}

func (s *scripted) Info() engine.RunInfo {
	return engine.RunInfo{RunID: "r1", Runbook: "restore", Stack: "staging"}
}
func (s *scripted) Steps() []engine.StepInfo {
	return []engine.StepInfo{{ID: "method", Title: "Choose the restore method"}}
}
func (s *scripted) Events() <-chan engine.Event { return s.events }
func (s *scripted) Answer(a engine.Answer) error {
	if s.valid != nil {
		if err := s.valid(a); err != nil {
			return err
		}
	}
	s.answers <- a
	return nil
}

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func TestRenderAnswersFromInput(t *testing.T) {
	s := &scripted{events: make(chan engine.Event), answers: make(chan engine.Answer, 1)}
	s.valid = func(a engine.Answer) error {
		if a.PromptID == "method/m" && a.Value != "pulumi" && a.Value != "console" {
			return errors.New("answer \"" + a.Value + "\" is not one of: pulumi, console")
		}
		return nil
	}
	prompts := []engine.Prompt{
		{ID: "method/m", StepID: "method", Kind: engine.PromptChoice, Title: "Restore how?", Options: []engine.Option{{Value: "pulumi", Label: "Pulumi"}, {Value: "console", Label: "Console", Recommended: true, Reason: "isolated tables"}}},
		{ID: "gate/confirm", StepID: "gate", Kind: engine.PromptGate, Title: "Rename app5ec7032?", Expect: "app5ec7032"},
		{ID: "verify/done", StepID: "verify", Kind: engine.PromptManual, Title: "Check the app"},
		{ID: "explain/paste", StepID: "explain", Kind: engine.PromptText, Title: "Paste EXPLAIN ANALYZE"},
	}
	var got []engine.Answer
	go func() {
		defer close(s.events)
		s.events <- engine.Event{Time: t0, Type: engine.EventRunStarted, Text: "started", Run: &engine.RunInfo{RunID: "r1", Runbook: "restore", Stack: "staging", Rehearsal: true}}
		s.events <- engine.Event{Time: t0, Type: engine.EventStepStarted, StepID: "method"}
		s.events <- engine.Event{Time: t0, Type: engine.EventStatus, StepID: "wait", Status: sampleOf(awsclient.Change{Kind: "instance", ID: "app1", OldStatus: "creating", NewStatus: "available"})}
		for _, p := range prompts {
			pp := p
			s.events <- engine.Event{Time: t0, Type: engine.EventPrompt, StepID: p.StepID, Prompt: &pp}
			a := <-s.answers
			got = append(got, a)
			s.events <- engine.Event{Time: t0, Type: engine.EventAnswer, StepID: p.StepID, Answer: &a}
		}
		auto := engine.Answer{PromptID: "x/y", Value: "yes", Auto: true, Note: "--yes"}
		s.events <- engine.Event{Time: t0, Type: engine.EventPrompt, StepID: "x", Prompt: &engine.Prompt{ID: "x/y", Kind: engine.PromptConfirm, Title: "Auto"}, Answer: &auto}
		s.events <- engine.Event{Time: t0, Type: engine.EventStepFinished, StepID: "method", Elapsed: 3 * time.Second, Expected: 4 * time.Second}
		s.events <- engine.Event{Time: t0, Type: engine.EventRunFinished, Text: "done"}
	}()
	in := strings.NewReader("7\n2\napp5ec703\ndone looked at flows\nExecution Time: 1.5 ms\nsecond line\n\n")
	var out bytes.Buffer
	if err := Render(context.Background(), s, &out, in, Options{UTC: true}); err != nil {
		t.Fatalf("Render: %v\n%s", err, out.String())
	}
	want := []engine.Answer{
		{PromptID: "method/m", Value: "console"},
		{PromptID: "gate/confirm", Value: "app5ec703"},
		{PromptID: "verify/done", Value: "done", Note: "looked at flows"},
		{PromptID: "explain/paste", Value: "Execution Time: 1.5 ms\nsecond line"},
	}
	if len(got) != len(want) {
		t.Fatalf("answers %+v, want %+v\n%s", got, want, out.String())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("answer %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, line := range []string{
		"03:00:00 run r1 started: restore on staging (rehearsal, scenario default)",
		"03:00:00   ~ instance app1: creating → available",
		"    2) console — Console [recommended: isolated tables]",
		"answer \"7\" is not one of",
		"type \"app5ec7032\" exactly to go on",
		"? Auto → yes (--yes)",
		"✓ method done in 3s, expected 4s",
		"run done",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}
}

func TestRenderInputEndsWhilePromptWaits(t *testing.T) {
	s := &scripted{events: make(chan engine.Event), answers: make(chan engine.Answer, 1)}
	go func() {
		s.events <- engine.Event{Time: t0, Type: engine.EventPrompt, StepID: "gate", Prompt: &engine.Prompt{ID: "gate/confirm", Kind: engine.PromptGate, Title: "Go?", Expect: "staging"}}
	}()
	var out bytes.Buffer
	err := Render(context.Background(), s, &out, strings.NewReader(""), Options{})
	if !errors.Is(err, ErrNoInput) {
		t.Fatalf("err = %v, want ErrNoInput\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "datalayer resume") {
		t.Errorf("no hint to resume:\n%s", out.String())
	}
}
