package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/pulumiclient"
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

// Deps returns the run's clients.
func (x *Exec) Deps() Deps { return x.r.deps }

// Options returns the run's options.
func (x *Exec) Options() Options { return x.r.opts }

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

// Progress forwards Pulumi engine events to the session until the channel
// closes; it returns a channel to give the stack and a wait function. The
// callback (may be nil) sees every event first.
func (x *Exec) Progress(each func(pulumiclient.Progress)) (chan<- pulumiclient.Progress, func()) {
	ch := make(chan pulumiclient.Progress, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for p := range ch {
			if each != nil {
				each(p)
			}
			pp := p
			x.r.emit(Event{Type: EventPulumi, StepID: x.s.ID, Pulumi: &pp, Text: progressText(p)})
		}
	}()
	return ch, func() { <-done }
}

func progressText(p pulumiclient.Progress) string {
	switch p.Status {
	case pulumiclient.Diagnostic:
		return p.Severity + ": " + p.Message
	case pulumiclient.Summarised:
		return "summary: " + p.Message
	}
	s := string(p.Status) + " " + string(p.Op) + " " + p.Type + " " + p.Name
	if p.ID != "" {
		s += " (" + p.ID + ")"
	}
	return strings.TrimSpace(s)
}

// watch samples an instance or snapshot through the run's poller and emits
// every sample, until until says done (or returns an error), ctx ends, the
// policy's limit passes, or "not found" lasts longer than the policy
// allows. Past twice the usual duration it says the wait is slow, once. The
// poller is told when the change is due (expect), and how long the wait
// took is kept for the next run's.
func (x *Exec) watch(kind, id string, pol waitPolicy, until func(awsclient.Change) (bool, error)) (awsclient.Change, error) {
	if x.r.deps.Poller == nil {
		return awsclient.Change{}, fmt.Errorf("cannot watch %s %s: this run has no AWS poller (a checklist or a test without AWS)", kind, id)
	}
	ctx, cancel := context.WithCancel(x.ctx)
	defer cancel()
	clk := x.r.clk
	start := clk.Now()
	key := x.waitKey(kind, pol.kind)
	ch := x.r.deps.Poller.Watch(ctx, kind, id, x.expect(key, pol))
	var last awsclient.Change
	haveLast, warned := false, false
	// check decides on a sample: done, an error, or keep watching.
	check := func(c awsclient.Change) (bool, error) {
		last, haveLast = c, true
		done, err := until(c)
		if err != nil || done {
			return done, err
		}
		if c.Gone && clk.Since(start) >= pol.notFound {
			return false, x.notFoundError(kind, id, pol, clk.Since(start))
		}
		return false, nil
	}
	for {
		// Wake for the next deadline even when nothing changes.
		next := pol.limit
		if !warned && 2*pol.usual < next {
			next = 2 * pol.usual
		}
		if haveLast && last.Gone && pol.notFound < next {
			next = pol.notFound
		}
		wake := next - clk.Since(start)
		if wake < 0 {
			wake = 0
		}
		select {
		case <-x.ctx.Done():
			return awsclient.Change{}, fmt.Errorf("watch %s %s: %w", kind, id, x.ctx.Err())
		case <-clk.After(wake):
			el := clk.Since(start)
			switch {
			case el >= pol.limit:
				return last, x.limitError(kind, id, pol, describeSample(last, haveLast), el)
			case haveLast && last.Gone && el >= pol.notFound:
				return last, x.notFoundError(kind, id, pol, el)
			case !warned && el >= 2*pol.usual:
				warned = true
				x.Warn("%s %s is taking longer than usual: %s for %s (usually about %s); still watching, for up to %s in all",
					kind, id, describeSample(last, haveLast), round(el), round(pol.usual), round(pol.limit))
			}
		case c, ok := <-ch:
			if !ok {
				return awsclient.Change{}, fmt.Errorf("watch %s %s: poller stopped", kind, id)
			}
			x.emitChange(kind, id, c)
			if c.Err != nil {
				if awsclient.KindOf(c.Err) == awsclient.KindCredentialsExpired {
					return c, fmt.Errorf("the AWS credentials expired while watching %s %s: %w. Refresh them (export new keys, or `aws sso login`), then `datalayer resume`", kind, id, c.Err)
				}
				if c.ID == id && c.Kind == kind {
					// The poller refused the watch itself (a bad name).
					return c, c.Err
				}
				continue
			}
			done, err := check(c)
			if err != nil {
				return c, err
			}
			if done {
				x.r.recordWait(key, clk.Since(start))
				return c, nil
			}
		}
	}
}

func describeSample(c awsclient.Change, have bool) string {
	switch {
	case !have:
		return "no answer from AWS yet"
	case c.Gone:
		return "not found"
	}
	return c.NewStatus
}

// limitError stops a wait that outlasted its limit, saying what AWS showed
// last and how to go on. Nothing is undone: AWS may still be working.
func (x *Exec) limitError(kind, id string, pol waitPolicy, seen string, el time.Duration) error {
	return fmt.Errorf("%s %s is still %s after %s, and this wait stops at %s (%s). Nothing was undone and AWS may still be working on it: %s",
		kind, id, seen, round(el), round(pol.limit), pol.why, x.resumeHint(kind, id))
}

// notFoundError stops a wait whose resource is not there for longer than
// the policy allows.
func (x *Exec) notFoundError(kind, id string, pol waitPolicy, el time.Duration) error {
	if pol.notFound == 0 {
		return fmt.Errorf("%s %s does not exist (AWS says not found), but this step needs it: it was deleted or renamed outside this run. Check with `datalayer status`; %s",
			kind, id, x.resumeHint(kind, id))
	}
	return fmt.Errorf("%s %s is still not found %s after this wait started (after a %s it may take up to %s to answer under its name): the request may have failed or used another name. %s",
		kind, id, round(el), pol.kind, round(pol.notFound), x.resumeHint(kind, id))
}

// IsNotFound reports whether err says the instance or snapshot does not exist.
func IsNotFound(err error) bool {
	if err == nil {
		return false
	}
	var nf interface{ NotFound() bool }
	if errors.As(err, &nf) && nf.NotFound() {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "DBInstanceNotFound") || strings.Contains(s, "DBSnapshotNotFound") || strings.Contains(s, "not found")
}

func (x *Exec) emitChange(kind, id string, c awsclient.Change) {
	cc := c
	text := ""
	switch {
	case c.Err != nil:
		text = "poll failed, still watching: " + c.Err.Error()
	case c.Gone:
		text = kind + " " + id + " is not there"
	default:
		text = kind + " " + c.ID + ": " + c.NewStatus
	}
	ev := Event{Type: EventStatus, StepID: x.s.ID, Status: &cc, Text: text}
	if c.Err != nil {
		ev.Err = c.Err.Error()
		ev.Status = &awsclient.Change{Kind: c.Kind, ID: c.ID, At: c.At, OldStatus: c.OldStatus, NewStatus: c.NewStatus, Error: ev.Err}
	}
	x.r.emit(ev)
}

// badStatuses end a wait for "available" at once: AWS will not get there.
var badStatuses = map[string]string{
	"failed":                  "the instance failed",
	"incompatible-parameters": "the parameter group does not fit this instance (incompatible-parameters); compare it with the stack export",
	"incompatible-restore":    "AWS could not restore the snapshot (incompatible-restore)",
	"incompatible-network":    "the subnet group or security groups do not fit (incompatible-network)",
	"restore-error":           "the restore failed (restore-error)",
	"storage-full":            "the instance ran out of storage",
}

// WaitAvailable watches an instance that exists, with no change of ours in
// flight, until it is available. Changes AWS holds for the maintenance
// window (Instance.Pending) do not keep it waiting: they are the caller's
// to report.
func (x *Exec) WaitAvailable(id string) (awsclient.Instance, error) {
	return x.waitAvailable(id, waitSettle)
}

// waitAvailable watches an instance until it is available, as long as the
// policy of kind allows (and "not found" only as long as it allows).
func (x *Exec) waitAvailable(id string, kind waitKind) (awsclient.Instance, error) {
	c, err := x.watch("instance", id, x.waitPolicy(kind), func(c awsclient.Change) (bool, error) {
		if c.Gone {
			return false, nil // the policy says how long that may last
		}
		if why, bad := badStatuses[c.NewStatus]; bad {
			return false, fmt.Errorf("instance %s is %s: %s", id, c.NewStatus, why)
		}
		return c.NewStatus == "available" && c.Instance != nil, nil
	})
	if err != nil {
		return awsclient.Instance{}, err
	}
	return *c.Instance, nil
}

// notDeletingAfter is how long an instance that should be going away may
// show another status than deleting before the wait says nothing deletes it.
const notDeletingAfter = 5 * time.Minute

// WaitGone watches an instance that is being deleted until AWS no longer
// knows it. One that stays in another status than deleting is not being
// deleted: the wait says so instead of watching it for the whole limit.
func (x *Exec) WaitGone(id string) error {
	start := x.r.clk.Now()
	_, err := x.watch("instance", id, x.waitPolicy(waitDelete), func(c awsclient.Change) (bool, error) {
		if c.Gone {
			return true, nil
		}
		if c.NewStatus != "deleting" && x.r.clk.Since(start) >= notDeletingAfter {
			return false, fmt.Errorf("instance %s is %s, not deleting, %s after its deletion was expected: nothing is deleting it (did the update fail at the delete?). %s",
				id, c.NewStatus, round(x.r.clk.Since(start)), x.resumeHint("instance", id))
		}
		return false, nil
	})
	return err
}

// WaitSnapshot watches a snapshot that was asked for until it is available.
func (x *Exec) WaitSnapshot(id string) (awsclient.Snapshot, error) {
	c, err := x.watch("snapshot", id, x.waitPolicy(waitSnapshot), func(c awsclient.Change) (bool, error) {
		if c.Gone {
			return false, nil
		}
		if c.NewStatus == "failed" {
			return false, fmt.Errorf("snapshot %s failed", id)
		}
		return c.NewStatus == "available", nil
	})
	if err != nil {
		return awsclient.Snapshot{}, err
	}
	if c.Snapshot == nil {
		return awsclient.Snapshot{ID: id, Status: c.NewStatus}, nil
	}
	return *c.Snapshot, nil
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
