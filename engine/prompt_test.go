package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// gateBook is a runbook of one gate and one step after it.
func gateBook(ran *bool) *Runbook {
	return &Runbook{Name: "test", Steps: []*Step{
		{ID: "gate", Title: "Confirm", Kind: KindGate, Destructive: true, Explanation: "x", Phase: "apply",
			Do: func(x *Exec) error {
				return x.Gate("confirm", "Delete app5ec7032?", "It goes.", x.GateExpect("app5ec7032"))
			}},
		{ID: "after", Title: "After", Kind: KindAction, Explanation: "x", Phase: "apply",
			Do: func(x *Exec) error { *ran = true; return nil }},
	}}
}

func TestGateAnswers(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		typed      string // "" when no prompt is expected
		wantExpect string
		wantRan    bool
	}{
		{"yes on staging answers the gate", Options{Stack: "staging", Yes: true}, "", "", true},
		{"staging gate names the instance", Options{Stack: "staging"}, "app5ec7032", "app5ec7032", true},
		{"wrong text backs out", Options{Stack: "staging"}, "app5ec703", "app5ec7032", false},
		{"production gate names the stack", Options{Stack: "production", Production: true}, "production", "production", true},
		{"yes never answers production", Options{Stack: "production", Production: true, Yes: true, Rehearsal: true}, "production", "production", true},
		{"a pre-answer never answers production", Options{Stack: "production", Production: true, Answers: map[string]string{"gate/confirm": "production"}}, "production", "production", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := false
			r := newRun(tt.opts, Deps{Clock: clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))}, gateBook(&ran))
			var asked []Prompt
			done := make(chan struct{})
			go func() {
				defer close(done)
				for e := range r.Events() {
					if e.Type == EventPrompt && e.Answer == nil {
						asked = append(asked, *e.Prompt)
						if err := r.Answer(Answer{PromptID: e.Prompt.ID, Value: tt.typed}); err != nil {
							t.Errorf("answer: %v", err)
						}
					}
				}
			}()
			r.Start(context.Background())
			err := r.Wait()
			<-done
			if tt.typed == "" && len(asked) != 0 {
				t.Fatalf("asked %+v, want no prompt", asked)
			}
			if tt.typed != "" {
				if len(asked) != 1 || asked[0].Expect != tt.wantExpect || asked[0].Kind != PromptGate {
					t.Fatalf("asked %+v, want one gate expecting %q", asked, tt.wantExpect)
				}
				if tt.opts.Production && !asked[0].Production {
					t.Error("production gate not marked production")
				}
			}
			if ran != tt.wantRan {
				t.Fatalf("the step after the gate ran = %v, want %v (err %v)", ran, tt.wantRan, err)
			}
			if !tt.wantRan && !errors.Is(err, ErrNotConfirmed) {
				t.Fatalf("err = %v, want ErrNotConfirmed", err)
			}
		})
	}
}

func TestAnswerValidation(t *testing.T) {
	choice := Prompt{Kind: PromptChoice, Options: []Option{{Value: "pulumi"}, {Value: "console"}}}
	for _, tt := range []struct {
		p    Prompt
		a    Answer
		want string
	}{
		{choice, Answer{Value: "pulumi"}, ""},
		{choice, Answer{Value: "aws"}, "not one of"},
		{Prompt{Kind: PromptManual}, Answer{Value: "done"}, ""},
		{Prompt{Kind: PromptManual}, Answer{Value: "skip"}, "needs a note"},
		{Prompt{Kind: PromptManual}, Answer{Value: "skip", Note: "no second engineer"}, ""},
		{Prompt{Kind: PromptManual}, Answer{Value: "ok"}, "say done"},
		{Prompt{Kind: PromptConfirm}, Answer{Value: "Y"}, ""},
		{Prompt{Kind: PromptConfirm}, Answer{Value: "maybe"}, "yes or no"},
		{Prompt{Kind: PromptGate, Expect: "x"}, Answer{Value: "y"}, ""},
	} {
		err := checkAnswer(tt.p, tt.a)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("checkAnswer(%v, %v) = %v, want %q", tt.p.Kind, tt.a, err, tt.want)
		}
	}
}

// Parallel steps: a step waiting for a variable starts once a sibling sets it.
func TestGroupWaitsForNeeds(t *testing.T) {
	order := make(chan string, 4)
	book := &Runbook{Name: "test", Steps: []*Step{
		{ID: "consumer", Group: "g", Needs: []string{"v"}, Explanation: "x", Phase: "p", Title: "c",
			Do: func(x *Exec) error { order <- "consumer saw " + x.Get("v"); return nil }},
		{ID: "producer", Group: "g", Produces: []string{"v"}, Explanation: "x", Phase: "p", Title: "p",
			Do: func(x *Exec) error { order <- "producer"; x.Set("v", "42"); return nil }},
	}}
	r := newRun(Options{Stack: "staging"}, Deps{}, book)
	go func() {
		for range r.Events() {
		}
	}()
	r.Start(context.Background())
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}
	close(order)
	var got []string
	for s := range order {
		got = append(got, s)
	}
	if strings.Join(got, ",") != "producer,consumer saw 42" {
		t.Fatalf("order %v", got)
	}
}

// --yes never ticks a task for a person as done: nobody did it. The step
// ends skipped, saying so; a pre-answer (the person's own, given ahead)
// still counts.
func TestYesNeverTicksAManualStep(t *testing.T) {
	for _, tt := range []struct {
		name     string
		opts     Options
		wantDone bool
	}{
		{"--yes leaves it undone", Options{Stack: "staging", Yes: true}, false},
		{"a pre-answer ticks it", Options{Stack: "staging", Yes: true, Answers: map[string]string{"task/done": "done"}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			book := &Runbook{Name: "test", Steps: []*Step{
				ManualStep("task", "Flip the switch", "apply", "Flip it by hand.", nil),
			}}
			r := newRun(tt.opts, Deps{Clock: clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))}, book)
			var evs []Event
			done := make(chan struct{})
			go func() {
				defer close(done)
				for e := range r.Events() {
					evs = append(evs, e)
				}
			}()
			r.Start(context.Background())
			if err := r.Wait(); err != nil {
				t.Fatal(err)
			}
			<-done
			var finished, skipped string
			for _, e := range evs {
				switch {
				case e.Type == EventStepFinished && e.StepID == "task":
					finished = "yes"
				case e.Type == EventStepSkipped && e.StepID == "task":
					skipped = e.Text
				}
			}
			if tt.wantDone != (finished == "yes") {
				t.Fatalf("finished=%q skipped=%q, want done=%v", finished, skipped, tt.wantDone)
			}
			if !tt.wantDone && !strings.Contains(skipped, "--yes never ticks a task for a person") {
				t.Errorf("the skip does not say why: %q", skipped)
			}
		})
	}
}
