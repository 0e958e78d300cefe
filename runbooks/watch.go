package runbooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
)

// watch samples an instance or snapshot through the run's poller and emits
// every sample, until until says done (or returns an error), ctx ends, the
// policy's limit passes, or "not found" lasts longer than the policy
// allows. Past twice the usual duration it says the wait is slow, once. The
// poller is told when the change is due (expect), and how long the wait
// took is kept for the next run's.
func watch(x *engine.Exec, kind, id string, pol waitPolicy, until func(awsclient.Change) (bool, error)) (awsclient.Change, error) {
	poller := deps(x).Poller
	if poller == nil {
		return awsclient.Change{}, fmt.Errorf("cannot watch %s %s: this run has no AWS poller (a checklist or a test without AWS)", kind, id)
	}
	ctx, cancel := context.WithCancel(x.Ctx())
	defer cancel()
	clk := x.Clock()
	start := clk.Now()
	key := x.WaitKey(kind + "/" + string(pol.kind))
	ch := poller.Watch(ctx, kind, id, expect(x, key, pol))
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
			return false, notFoundError(x, kind, id, pol, clk.Since(start))
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
		case <-x.Ctx().Done():
			return awsclient.Change{}, fmt.Errorf("watch %s %s: %w", kind, id, x.Ctx().Err())
		case <-clk.After(wake):
			el := clk.Since(start)
			switch {
			case el >= pol.limit:
				return last, limitError(x, kind, id, pol, describeSample(last, haveLast), el)
			case haveLast && last.Gone && el >= pol.notFound:
				return last, notFoundError(x, kind, id, pol, el)
			case !warned && el >= 2*pol.usual:
				warned = true
				x.Warn("%s %s is taking longer than usual: %s for %s (usually about %s); still watching, for up to %s in all",
					kind, id, describeSample(last, haveLast), round(el), round(pol.usual), round(pol.limit))
			}
		case c, ok := <-ch:
			if !ok {
				return awsclient.Change{}, fmt.Errorf("watch %s %s: poller stopped", kind, id)
			}
			emitChange(x, kind, id, c)
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
				x.RecordWait(key, clk.Since(start))
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
func limitError(x *engine.Exec, kind, id string, pol waitPolicy, seen string, el time.Duration) error {
	return fmt.Errorf("%s %s is still %s after %s, and this wait stops at %s (%s). Nothing was undone and AWS may still be working on it: %s",
		kind, id, seen, round(el), round(pol.limit), pol.why, resumeHint(x, kind, id))
}

// notFoundError stops a wait whose resource is not there for longer than
// the policy allows.
func notFoundError(x *engine.Exec, kind, id string, pol waitPolicy, el time.Duration) error {
	if pol.notFound == 0 {
		return fmt.Errorf("%s %s does not exist (AWS says not found), but this step needs it: it was deleted or renamed outside this run. Check with `datalayer status`; %s",
			kind, id, resumeHint(x, kind, id))
	}
	return fmt.Errorf("%s %s is still not found %s after this wait started (after a %s it may take up to %s to answer under its name): the request may have failed or used another name. %s",
		kind, id, round(el), pol.kind, round(pol.notFound), resumeHint(x, kind, id))
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

func emitChange(x *engine.Exec, kind, id string, c awsclient.Change) {
	text := ""
	switch {
	case c.Err != nil:
		text = "poll failed, still watching: " + c.Err.Error()
	case c.Gone:
		text = kind + " " + id + " is not there"
	default:
		text = kind + " " + c.ID + ": " + c.NewStatus
	}
	x.EmitStatus(Sample(c), text)
}

// Sample is the engine's payload of a poller's sample: the one place it is
// built. A failed look keeps its error as text.
func Sample(c awsclient.Change) engine.Sample {
	s := engine.Sample{
		Kind: c.Kind, ID: c.ID, OldStatus: c.OldStatus, NewStatus: c.NewStatus, Gone: c.Gone, At: c.At,
		Error: c.Error, PreviousID: c.PreviousID,
	}
	if c.Err != nil {
		s.Error = c.Err.Error()
	}
	if in := c.Instance; in != nil {
		s.Instance = &engine.InstanceFacts{EngineVersion: in.EngineVersion, Address: in.Address, Port: in.Port}
	}
	if sn := c.Snapshot; sn != nil {
		s.Snapshot = &engine.SnapshotFacts{PercentProgress: int(sn.PercentProgress)}
	}
	return s
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

// waitAvailableNow watches an instance that exists, with no change of ours in
// flight, until it is available. Changes AWS holds for the maintenance
// window (Instance.Pending) do not keep it waiting: they are the caller's
// to report.
func waitAvailableNow(x *engine.Exec, id string) (awsclient.Instance, error) {
	return waitAvailable(x, id, waitSettle)
}

// waitAvailable watches an instance until it is available, as long as the
// policy of kind allows (and "not found" only as long as it allows).
func waitAvailable(x *engine.Exec, id string, kind waitKind) (awsclient.Instance, error) {
	c, err := watch(x, "instance", id, waitPolicyFor(x, kind), func(c awsclient.Change) (bool, error) {
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

// waitGone watches an instance that is being deleted until AWS no longer
// knows it. One that stays in another status than deleting is not being
// deleted: the wait says so instead of watching it for the whole limit.
func waitGone(x *engine.Exec, id string) error {
	start := x.Clock().Now()
	_, err := watch(x, "instance", id, waitPolicyFor(x, waitDelete), func(c awsclient.Change) (bool, error) {
		if c.Gone {
			return true, nil
		}
		if c.NewStatus != "deleting" && x.Clock().Since(start) >= notDeletingAfter {
			return false, fmt.Errorf("instance %s is %s, not deleting, %s after its deletion was expected: nothing is deleting it (did the update fail at the delete?). %s",
				id, c.NewStatus, round(x.Clock().Since(start)), resumeHint(x, "instance", id))
		}
		return false, nil
	})
	return err
}

// waitSnapshotDone watches a snapshot that was asked for until it is available.
func waitSnapshotDone(x *engine.Exec, id string) (awsclient.Snapshot, error) {
	c, err := watch(x, "snapshot", id, waitPolicyFor(x, waitSnapshot), func(c awsclient.Change) (bool, error) {
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
