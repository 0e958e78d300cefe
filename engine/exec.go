package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// Exec is what a step's Do sees: its context, the clients, the variables,
// and the ways to talk to the person.
type Exec struct {
	r     *Run
	s     *Step
	ctx   context.Context
	waits map[string]int // waits of each waitKey so far, guarded by r.mu
}

// Ctx is the step's context; it ends when the run is interrupted or a
// sibling in a parallel group failed.
func (x *Exec) Ctx() context.Context { return x.ctx }

// Deps returns what the run was given from outside the engine.
func (x *Exec) Deps() Deps { return x.r.deps }

// Clients returns the runbook content's clients (Deps.Clients).
func (x *Exec) Clients() any { return x.r.deps.Clients }

// Getenv reads the environment through the run's Deps.
func (x *Exec) Getenv(name string) string {
	if x.r.deps.Getenv != nil {
		return x.r.deps.Getenv(name)
	}
	return os.Getenv(name)
}

// Options returns the run's options.
func (x *Exec) Options() Options { return x.r.opts }

// Flag returns the value of the runbook's option name for this run (given,
// or its declared default; "" when neither).
func (x *Exec) Flag(name string) string { return x.r.opts.Flags[name] }

// Clock returns the run's clock.
func (x *Exec) Clock() clock.Clock { return x.r.clk }

// Production reports whether the run targets production.
func (x *Exec) Production() bool { return x.r.opts.Production }

// Say writes a line of output for the log.
func (x *Exec) Say(format string, args ...any) {
	x.r.emit(Event{Type: EventOutput, StepID: x.s.ID, Text: fmt.Sprintf(format, args...)})
}

// Warn writes a line that needs attention.
func (x *Exec) Warn(format string, args ...any) {
	x.r.emit(Event{Type: EventWarning, StepID: x.s.ID, Text: fmt.Sprintf(format, args...)})
}

// Set sets a variable.
func (x *Exec) Set(name, value string) { x.r.setVar(x.s.ID, name, value, false) }

// SetSecret sets a variable whose value never reaches the journal or a screen.
func (x *Exec) SetSecret(name, value string) { x.r.setVar(x.s.ID, name, value, true) }

// Get returns a variable's value ("" when unset).
func (x *Exec) Get(name string) string {
	v, _ := x.r.Var(name)
	return v
}

// Has reports whether a variable is set.
func (x *Exec) Has(name string) bool {
	_, ok := x.r.Var(name)
	return ok
}

// Issued reports whether an earlier session recorded the operation key as
// issued, and its facts.
func (x *Exec) Issued(key string) (facts string, ok bool) {
	if x.r.prior == nil {
		return "", false
	}
	f, ok := x.r.prior.issued[key]
	return f, ok
}

// Issue records, before the call is made, that the operation key is about
// to be sent with these facts. Call it before every AWS or Pulumi call that
// changes something, and make the call only when it returns nil: the
// record is then synced to disk, so a resumed run knows the call may have
// been sent. An error means the journal cannot be written and the run must
// stop (it names the fix).
func (x *Exec) Issue(key string, facts any) error {
	b, _ := json.Marshal(facts)
	if err := x.r.emitTo(Event{Type: EventIssued, StepID: x.s.ID, Name: key, Value: string(b)}, true); err != nil {
		if broken := x.r.journalBroken(key + " was sent"); broken != nil {
			return broken
		}
		return fmt.Errorf("record %s before sending it: %w", key, err)
	}
	if x.r.jr == nil {
		return fmt.Errorf("%s: no journal: a write is never sent unrecorded", key)
	}
	return nil
}

// EmitStatus shows a look at a watched resource (journalled, with secrets
// redacted); text is its line for the log.
func (x *Exec) EmitStatus(sample Sample, text string) {
	x.r.emit(Event{Type: EventStatus, StepID: x.s.ID, Status: &sample, Text: text})
}

// EmitPulumi shows an event of a Pulumi operation; text is its line for the
// log.
func (x *Exec) EmitPulumi(p PulumiStep, text string) {
	x.r.emit(Event{Type: EventPulumi, StepID: x.s.ID, Pulumi: &p, Text: text})
}

// StepID is the id of the step being run.
func (x *Exec) StepID() string { return x.s.ID }

// Info describes the run.
func (x *Exec) Info() RunInfo { return x.r.Info() }

// SetIdentity records who the run acts as in AWS, for renderers and the
// report (it is in the run's description from then on).
func (x *Exec) SetIdentity(id Identity) {
	x.r.mu.Lock()
	x.r.info.Identity = &id
	x.r.mu.Unlock()
}

// Expected is how long this step took in the last recorded run (0 when
// unknown).
func (x *Exec) Expected() time.Duration { return x.r.expected[x.s.ID] }

// WaitKey names a wait of this step for the timings kept between runs:
// base (what is watched and how) numbered by how many waits of this step
// had that base so far.
func (x *Exec) WaitKey(base string) string {
	base = x.s.ID + "/" + base
	x.r.mu.Lock()
	defer x.r.mu.Unlock()
	if x.waits == nil {
		x.waits = map[string]int{}
	}
	x.waits[base]++
	return fmt.Sprintf("%s#%d", base, x.waits[base])
}

// ExpectedWait is how long the wait named key took in the last recorded
// run (0 when unknown).
func (x *Exec) ExpectedWait(key string) time.Duration { return x.r.expectedWaits[key] }

// RecordWait keeps how long the wait named key took, for the next run.
func (x *Exec) RecordWait(key string, d time.Duration) {
	x.r.mu.Lock()
	defer x.r.mu.Unlock()
	x.r.waits[key] = d
}

// Sleep waits d on the run's clock.
func (x *Exec) Sleep(d time.Duration) error {
	select {
	case <-x.r.clk.After(d):
		return nil
	case <-x.ctx.Done():
		return x.ctx.Err()
	}
}

// RunCommand runs a configured command and logs its output.
func (x *Exec) RunCommand(argv []string) error {
	x.Say("$ %s", strings.Join(argv, " "))
	out, err := x.r.runCommand(x.ctx, argv)
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l != "" {
			x.Say("  %s", l)
		}
	}
	if err != nil {
		return fmt.Errorf("command %q: %w", strings.Join(argv, " "), err)
	}
	return nil
}
