package awsclient

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// Rename renames oldID to newID (ModifyDBInstance with
// NewDBInstanceIdentifier and ApplyImmediately, which reboots the instance).
//
// While AWS refuses the new name (DBInstanceAlreadyExists: the name is still
// reserved after the previous owner was renamed away), it waits and tries
// again, doubling the wait from RenameBackoff.First up to Max, calling
// progress every Tick with the time left (a countdown). Once AWS accepts, it
// keeps looking up newID until it answers: for a while neither name does,
// and that is not a failure. It returns the instance as first seen under
// newID (usually still renaming or rebooting); wait for `available` after.
// It gives up after RenameBackoff.GiveUp with the last error.
func (c *Client) Rename(ctx context.Context, oldID, newID string, progress func(RenameProgress)) (Instance, error) {
	if err := ValidateInstanceID(oldID); err != nil {
		return Instance{}, err
	}
	if err := ValidateInstanceID(newID); err != nil {
		return Instance{}, err
	}
	op := fmt.Sprintf("rename %s to %s", oldID, newID)
	if oldID == newID {
		return Instance{}, inputError(op, "the old and new identifiers are the same", "give a different new identifier")
	}
	if progress == nil {
		progress = func(RenameProgress) {}
	}
	// The old name must answer first: after that, a not-found means one of
	// our own tries went through (its answer lost, the SDK retried).
	if _, err := c.Instance(ctx, oldID); err != nil {
		return Instance{}, fmt.Errorf("%s: %w", op, err)
	}
	b := c.rename
	start := c.clk.Now()
	delay := b.First
	attempt := 0
tries:
	for {
		attempt++
		_, err := c.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier:    aws.String(oldID),
			NewDBInstanceIdentifier: aws.String(newID),
			ApplyImmediately:        aws.Bool(true),
		})
		if err == nil {
			break
		}
		werr := wrapErr(op, err)
		switch KindOf(werr) {
		case KindAlreadyExists:
			// The name is still reserved: wait and try again.
		case KindNotFound:
			// The old name is gone, so an earlier try went through.
			break tries
		case KindInvalidState:
			// Busy: maybe with our own rename, accepted by a try whose
			// answer was lost.
			if in, e := c.Instance(ctx, oldID); e == nil && in.Pending.InstanceID == newID {
				break tries
			}
			return Instance{}, werr
		default:
			return Instance{}, werr
		}
		if c.clk.Since(start)+delay > b.GiveUp {
			return Instance{}, gaveUp(werr, c.clk.Since(start))
		}
		if err := c.countdown(ctx, RenameProgress{Attempt: attempt, Err: werr, Phase: RenameRefused}, delay, progress); err != nil {
			return Instance{}, fmt.Errorf("%s: %w", op, err)
		}
		delay *= 2
		if delay > b.Max {
			delay = b.Max
		}
	}
	// Accepted. Wait for the new name to answer.
	for look := 1; ; look++ {
		inst, err := c.Instance(ctx, newID)
		if err == nil {
			return inst, nil
		}
		if KindOf(err) != KindNotFound && !Temporary(err) {
			return Instance{}, fmt.Errorf("%s: look up the new name: %w", op, err)
		}
		if c.clk.Since(start)+b.Poll > b.GiveUp {
			return Instance{}, gaveUp(err, c.clk.Since(start))
		}
		if err := c.countdown(ctx, RenameProgress{Attempt: look, Err: err, Phase: RenameWaitingForName}, b.Poll, progress); err != nil {
			return Instance{}, fmt.Errorf("%s: %w", op, err)
		}
	}
}

// countdown waits d on the client's clock, calling progress first and then
// every Tick with the time left.
func (c *Client) countdown(ctx context.Context, p RenameProgress, d time.Duration, progress func(RenameProgress)) error {
	tick := c.rename.Tick
	if tick < 0 || tick > d {
		tick = d
	}
	for left := d; left > 0; left -= tick {
		p.NextTry = left
		progress(p)
		step := tick
		if step > left {
			step = left
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.clk.After(step):
		}
	}
	return nil
}

// gaveUp decorates the last error of a rename that ran out of time.
func gaveUp(err error, after time.Duration) error {
	if e, ok := err.(*Error); ok {
		cp := *e
		cp.Summary = fmt.Sprintf("%s, still after %s of retrying", e.Summary, after.Round(time.Second))
		cp.Next = "check both instances (`datalayer status`); run `datalayer resume` to keep trying"
		return &cp
	}
	return fmt.Errorf("gave up after %s: %w", after.Round(time.Second), err)
}
