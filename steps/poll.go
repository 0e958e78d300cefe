package steps

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/clock"
)

// apiPoller is a plain Poller over awsclient.API: one Describe call per
// interval per watch. awsclient's shared poller is preferred when present.
type apiPoller struct {
	api      awsclient.API
	clk      clock.Clock
	interval time.Duration
}

// NewAPIPoller returns a Poller that samples through api every interval on clk.
func NewAPIPoller(api awsclient.API, clk clock.Clock, interval time.Duration) Poller {
	if clk == nil {
		clk = clock.Real{}
	}
	return &apiPoller{api: api, clk: clk, interval: interval}
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

// Watch implements Poller.
func (p *apiPoller) Watch(ctx context.Context, kind, id string) <-chan awsclient.Change {
	ch := make(chan awsclient.Change)
	go func() {
		defer close(ch)
		last, lastKey := "", ""
		first := true
		gone := false
		for {
			c := awsclient.Change{Kind: kind, ID: id, At: p.clk.Now(), OldStatus: last}
			var err error
			if kind == "snapshot" {
				var s awsclient.Snapshot
				s, err = p.api.Snapshot(ctx, id)
				if err == nil {
					c.NewStatus, c.Snapshot = s.Status, &s
				}
			} else {
				var in awsclient.Instance
				in, err = p.api.Instance(ctx, id)
				if err == nil {
					c.NewStatus, c.Instance = in.Status, &in
				}
			}
			send := true
			switch {
			case err != nil && IsNotFound(err):
				c.Gone = true
				send = first || !gone
				gone = true
				last, lastKey = "", ""
			case err != nil:
				if ctx.Err() != nil {
					return
				}
				c.Err = err
			default:
				key := c.NewStatus
				if c.Instance != nil && !c.Instance.Pending.Empty() {
					key += "+pending"
				}
				send = first || gone || key != lastKey
				gone = false
				last, lastKey = c.NewStatus, key
			}
			if send {
				select {
				case ch <- c:
				case <-ctx.Done():
					return
				}
			}
			first = false
			select {
			case <-p.clk.After(p.interval):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}
