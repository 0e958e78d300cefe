package engine

import (
	"context"
	"fmt"
	"strings"
)

// checkAnswer rejects answers a renderer should ask again for. A gate
// answered with the wrong text is not rejected: it backs out.
func checkAnswer(p Prompt, a Answer) error {
	switch p.Kind {
	case PromptChoice:
		for _, o := range p.Options {
			if o.Value == a.Value {
				return nil
			}
		}
		var vals []string
		for _, o := range p.Options {
			vals = append(vals, o.Value)
		}
		return fmt.Errorf("answer %q is not one of: %s", a.Value, strings.Join(vals, ", "))
	case PromptManual:
		switch a.Value {
		case "done":
			return nil
		case "skip":
			if strings.TrimSpace(a.Note) == "" {
				return fmt.Errorf("skipping %q needs a note saying why", p.Title)
			}
			return nil
		}
		return fmt.Errorf("answer %q: say done (with an optional note) or skip (with a reason)", a.Value)
	case PromptConfirm:
		switch strings.ToLower(a.Value) {
		case "yes", "no", "y", "n":
			return nil
		}
		return fmt.Errorf("answer %q: say yes or no", a.Value)
	}
	return nil
}

// normalise maps short forms to the canonical answer.
func normalise(p Prompt, a Answer) Answer {
	if p.Kind == PromptConfirm {
		switch strings.ToLower(a.Value) {
		case "y", "yes":
			a.Value = "yes"
		case "n", "no":
			a.Value = "no"
		}
	}
	return a
}

// autoAnswer is the answer --yes (when yes allows it) or a pre-answer
// gives, if any.
func (x *Exec) autoAnswer(p Prompt, yes bool) (Answer, bool) {
	r := x.r
	short := strings.TrimPrefix(p.ID, x.s.ID+"/")
	for _, key := range []string{p.ID, short} {
		if v, ok := r.opts.Answers[key]; ok {
			if p.Kind == PromptGate && p.Production {
				break // production gates are typed by a person, always
			}
			return Answer{PromptID: p.ID, Value: v, Auto: true, Note: "pre-answered"}, true
		}
	}
	if !r.opts.Yes || !yes {
		return Answer{}, false
	}
	switch p.Kind {
	case PromptGate:
		if p.Production || !(r.opts.Rehearsal || !r.opts.Production) {
			return Answer{}, false
		}
		return Answer{PromptID: p.ID, Value: p.Expect, Auto: true, Note: "--yes"}, true
	case PromptChoice:
		for _, o := range p.Options {
			if o.Recommended {
				return Answer{PromptID: p.ID, Value: o.Value, Auto: true, Note: "--yes took the recommended option"}, true
			}
		}
		if p.Default != "" {
			return Answer{PromptID: p.ID, Value: p.Default, Auto: true, Note: "--yes took the default"}, true
		}
		return Answer{}, false
	case PromptManual:
		// A task for a person is never ticked as done by --yes: nobody did
		// it. It ends skipped, saying so, and stays on the run's record.
		return Answer{PromptID: p.ID, Value: "skip", Auto: true, Note: "not done: --yes never ticks a task for a person; do it by hand"}, true
	case PromptConfirm:
		v := p.Default
		if v == "" {
			v = "yes"
		}
		return Answer{PromptID: p.ID, Value: v, Auto: true, Note: "--yes"}, true
	case PromptText:
		return Answer{PromptID: p.ID, Value: p.Default, Auto: true, Note: "--yes"}, true
	}
	return Answer{}, false
}

// Ask puts a prompt to the person (or answers it from the journal, a
// pre-answer or --yes) and returns the answer.
func (x *Exec) Ask(p Prompt) (Answer, error) { return x.ask(p, nil) }

// ask is Ask; with evidence (not nil) the prompt also ends when evidence
// delivers what it saw, answered "done" with that as its note, and --yes
// does not answer it: only the person or the evidence do.
func (x *Exec) ask(p Prompt, evidence <-chan string) (Answer, error) {
	r := x.r
	if !strings.HasPrefix(p.ID, x.s.ID+"/") {
		p.ID = x.s.ID + "/" + p.ID
	}
	p.StepID = x.s.ID
	if p.Kind == PromptGate {
		p.Production = r.opts.Production
	}
	p.Title = r.red.clean(p.Title)
	p.Body = r.red.clean(p.Body)
	if r.prior != nil {
		if a, ok := r.prior.answers[p.ID]; ok && (p.Kind != PromptGate || a.Value == p.Expect) && checkAnswer(p, a) == nil {
			r.queueEvent(Event{Time: r.clk.Now(), Type: EventAnswer, StepID: x.s.ID, Answer: &a, Resumed: true, Text: "answered before the interruption"})
			return a, nil
		}
	}
	if a, ok := x.autoAnswer(p, evidence == nil); ok && checkAnswer(p, a) == nil {
		a = normalise(p, a)
		// The prompt event carries its answer: renderers must not wait for it.
		r.emit(Event{Type: EventPrompt, StepID: x.s.ID, Prompt: &p, Answer: &a})
		r.emit(Event{Type: EventAnswer, StepID: x.s.ID, Answer: &a})
		return a, nil
	}
	op := &openPrompt{p: p, ch: make(chan Answer, 1)}
	r.mu.Lock()
	r.pending[p.ID] = op
	r.mu.Unlock()
	r.emit(Event{Type: EventPrompt, StepID: x.s.ID, Prompt: &p})
	select {
	case a := <-op.ch:
		a.PromptID = p.ID
		a = normalise(p, a)
		r.emit(Event{Type: EventAnswer, StepID: x.s.ID, Answer: &a})
		return a, nil
	case seen := <-evidence:
		r.mu.Lock()
		_, open := r.pending[p.ID]
		delete(r.pending, p.ID)
		r.mu.Unlock()
		if !open {
			// The person answered in the same instant: theirs counts.
			a := <-op.ch
			a.PromptID = p.ID
			a = normalise(p, a)
			r.emit(Event{Type: EventAnswer, StepID: x.s.ID, Answer: &a})
			return a, nil
		}
		a := Answer{PromptID: p.ID, Value: "done", Note: "seen by the program: " + seen}
		r.emit(Event{Type: EventAnswer, StepID: x.s.ID, Answer: &a})
		return a, nil
	case <-x.ctx.Done():
		r.mu.Lock()
		delete(r.pending, p.ID)
		r.mu.Unlock()
		return Answer{}, fmt.Errorf("waiting for an answer to %q: %w", p.Title, x.ctx.Err())
	}
}

// Choose asks a decision and returns the chosen value. preset, when not
// empty, is a flag's answer and must be one of the options.
func (x *Exec) Choose(id, title, body, preset string, options []Option) (string, error) {
	if preset != "" {
		for _, o := range options {
			if o.Value == preset {
				a := Answer{PromptID: x.s.ID + "/" + id, Value: preset, Auto: true, Note: "given on the command line"}
				p := Prompt{ID: a.PromptID, StepID: x.s.ID, Kind: PromptChoice, Title: title, Body: body, Options: options}
				x.r.emit(Event{Type: EventPrompt, StepID: x.s.ID, Prompt: &p, Answer: &a})
				x.r.emit(Event{Type: EventAnswer, StepID: x.s.ID, Answer: &a})
				return preset, nil
			}
		}
		var vals []string
		for _, o := range options {
			vals = append(vals, o.Value)
		}
		return "", fmt.Errorf("%s: %q is not one of %s", title, preset, strings.Join(vals, ", "))
	}
	a, err := x.Ask(Prompt{ID: id, Kind: PromptChoice, Title: title, Body: body, Options: options})
	if err != nil {
		return "", err
	}
	return a.Value, nil
}

// GateDeclined is the answer a renderer sends when the person backs out of a
// gate (Esc) instead of typing anything.
const GateDeclined = "declined"

// Gate asks for the exact text expect before something destructive; body
// says exactly what will happen. Anything else backs out.
func (x *Exec) Gate(id, title, body, expect string) error {
	a, err := x.Ask(Prompt{ID: id, Kind: PromptGate, Title: title, Body: body, Expect: expect})
	if err != nil {
		return err
	}
	switch {
	case a.Value == expect:
		return nil
	case a.Value == GateDeclined:
		return fmt.Errorf("%w: backed out at %q; nothing was changed, run `datalayer resume` when ready to be asked again", ErrNotConfirmed, title)
	default:
		return fmt.Errorf("%w: typed %q where %q was needed; nothing was changed, run `datalayer resume` to be asked again", ErrNotConfirmed, a.Value, expect)
	}
}

// Manual asks the person to do something and tick it off with a note; a
// skip (with a reason) ends the step as skipped.
func (x *Exec) Manual(id, title, body string) (note string, err error) {
	a, err := x.Ask(Prompt{ID: id, Kind: PromptManual, Title: title, Body: body})
	if err != nil {
		return "", err
	}
	if a.Value == "skip" {
		return a.Note, Skip("%s", a.Note)
	}
	return a.Note, nil
}

// Confirm asks a yes/no question; def is the default answer.
func (x *Exec) Confirm(id, title, body string, def bool) (bool, error) {
	d := "no"
	if def {
		d = "yes"
	}
	a, err := x.Ask(Prompt{ID: id, Kind: PromptConfirm, Title: title, Body: body, Default: d})
	if err != nil {
		return false, err
	}
	return a.Value == "yes", nil
}

// Text asks for free text (e.g. pasted EXPLAIN ANALYZE output).
func (x *Exec) Text(id, title, body, def string) (string, error) {
	a, err := x.Ask(Prompt{ID: id, Kind: PromptText, Title: title, Body: body, Default: def})
	if err != nil {
		return "", err
	}
	return a.Value, nil
}

// ManualOrEvidence asks a person to do something the program can also see
// done: watch runs meanwhile and returns what it saw (or an error, which
// ends the step). Whichever comes first ends the prompt: the person's tick
// or skip, or the evidence, which answers for them saying what was seen.
// --yes never answers it; only the person or the evidence do.
func (x *Exec) ManualOrEvidence(id, title, body, watching string, watch func(ctx context.Context) (string, error)) (note string, err error) {
	ctx, cancel := context.WithCancel(x.ctx)
	defer cancel()
	seen := make(chan string, 1)
	failed := make(chan error, 1)
	go func() {
		s, err := watch(ctx)
		switch {
		case err != nil:
			failed <- err
		case s != "":
			seen <- s
		}
	}()
	sub := *x
	sub.ctx = ctx
	type result struct {
		a   Answer
		err error
	}
	asked := make(chan result, 1)
	go func() {
		a, err := sub.ask(Prompt{ID: id, Kind: PromptManual, Title: title, Body: body, Watching: watching}, seen)
		asked <- result{a, err}
	}()
	select {
	case res := <-asked:
		if res.err != nil {
			return "", res.err
		}
		if res.a.Value == "skip" {
			return res.a.Note, Skip("%s", res.a.Note)
		}
		return res.a.Note, nil
	case err := <-failed:
		cancel()
		<-asked
		return "", err
	}
}

// GateExpect is what a gate asks to be typed: the stack name on production,
// else the thing named (an instance id) or the stack.
func (x *Exec) GateExpect(thing string) string {
	if x.Production() || thing == "" {
		return x.Options().Stack
	}
	return thing
}
