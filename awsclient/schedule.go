package awsclient

import (
	"math"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// Expect says when a watcher expects the change it waits for, so the poller
// spends its requests around then instead of evenly. Durations are in the
// clock's time: AWS time, also in a rehearsal played faster.
type Expect struct {
	// After is how long after the Watch call the change usually comes; 0
	// when nobody knows.
	After time.Duration
	// Within is how far from After it may come; 0 means After/4.
	Within time.Duration
}

// Known reports whether the expectation says anything.
func (e Expect) Known() bool { return e.After > 0 }

// Window is the span, from the watch's start, in which the change is due:
// After less and plus Within (After/4 when Within is 0), opening no
// earlier than the start.
func (e Expect) Window() (opens, closes time.Duration) {
	w := e.Within
	if w <= 0 {
		w = e.After / 4
	}
	opens = e.After - w
	if opens < 0 {
		opens = 0
	}
	return opens, e.After + w
}

// pace is how soon one subscriber wants the next look at its resource, and
// whether only a describe will do (precise) or an RDS event can stand in
// for one (a change that nobody expects yet is one an event reports).
type pace struct {
	every   time.Duration
	precise bool
}

// paceOf is a subscriber's pace at el into its watch, with tokens left in
// the budget:
//
//   - nothing expected: Interval while the resource is changing, IdleInterval
//     once it is steady and settled;
//   - before its window: once every EarlyInterval at most until a window's
//     width before it (a change that early is unlikely), then once every
//     FarInterval at most, and once as the window opens;
//   - in its window: what the budget holds, spread over the rest of the
//     window (never faster than FastInterval) — the requests saved earlier
//     are spent here;
//   - past its window: backing off, a tenth of the time overdue, between
//     FastInterval and FarInterval.
func (o PollerOptions) paceOf(e Expect, el time.Duration, tokens float64, steady bool) pace {
	if !e.Known() {
		if steady {
			return pace{every: o.IdleInterval}
		}
		return pace{every: o.Interval, precise: true}
	}
	opens, closes := e.Window()
	switch {
	case el < opens:
		if near := opens - (closes - opens); el < near {
			return pace{every: clampDur(near-el, o.FastInterval, o.EarlyInterval)}
		}
		return pace{every: clampDur(opens-el, o.FastInterval, o.FarInterval)}
	case el <= closes:
		left := (closes - el).Seconds()
		if tokens < 0 {
			tokens = 0
		}
		every := time.Duration(left / (tokens + o.MaxRate*left) * float64(time.Second))
		return pace{every: clampDur(every, o.FastInterval, o.FarInterval), precise: true}
	default:
		return pace{every: clampDur((el-closes)/10, o.FastInterval, o.FarInterval), precise: true}
	}
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	if d < lo {
		d = lo
	}
	if d > hi {
		d = hi
	}
	return d
}

// bucket is the poller's own token bucket: MaxRate requests a second
// sustained, up to Burst saved while little is due. Every request the
// poller sends takes a token, failed ones and extra pages included, so over
// any span T the poller sends at most MaxRate×T + Burst requests. It counts
// in the clock's time, so a rehearsal played faster spends the same share
// of its simulated account's budget.
type bucket struct {
	rate   float64
	burst  float64
	tokens float64
	at     time.Time
	clk    clock.Clock
}

func (b *bucket) level() float64 {
	now := b.clk.Now()
	if !b.at.IsZero() {
		b.tokens = math.Min(b.burst, b.tokens+b.rate*b.clk.Since(b.at).Seconds())
	}
	b.at = now
	return b.tokens
}

// take spends n tokens; the level may go below zero (a cycle of several
// requests), and the next cycle then waits until it is back to one.
func (b *bucket) take(n float64) {
	b.level()
	b.tokens -= n
}

// wait is how long until a token is there.
func (b *bucket) wait() time.Duration {
	t := b.level()
	if t >= 1 {
		return 0
	}
	return time.Duration((1 - t) / b.rate * float64(time.Second))
}
