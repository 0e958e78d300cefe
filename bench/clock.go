package bench

import (
	"sort"
	"sync"
	"time"
)

// StepClock is a discrete-event clock.Clock: it stands still until the
// driver calls AdvanceTo, which fires every timer due by then in time order.
// NextDue tells the driver when the earliest timer falls due, so a driver can
// jump from timer to timer and simulated time costs nothing.
type StepClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []stepTimer
	seq     int64
	afters  int64
	changed chan struct{}
}

type stepTimer struct {
	at  time.Time
	seq int64
	ch  chan time.Time
}

// NewStepClock returns a stopped clock reading now.
func NewStepClock(now time.Time) *StepClock {
	return &StepClock{now: now, changed: make(chan struct{})}
}

// Now implements clock.Clock.
func (c *StepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Since implements clock.Clock.
func (c *StepClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// After implements clock.Clock. A wait of zero or less fires at once.
func (c *StepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.afters++
	close(c.changed)
	c.changed = make(chan struct{})
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.seq++
	c.timers = append(c.timers, stepTimer{at: c.now.Add(d), seq: c.seq, ch: ch})
	sort.Slice(c.timers, func(i, j int) bool {
		if c.timers[i].at.Equal(c.timers[j].at) {
			return c.timers[i].seq < c.timers[j].seq
		}
		return c.timers[i].at.Before(c.timers[j].at)
	})
	return ch
}

// Afters counts the calls to After so far; a driver compares it before and
// after firing a timer to know that the woken goroutine is waiting again.
func (c *StepClock) Afters() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.afters
}

// NextDue returns when the earliest pending timer falls due; ok is false
// when no timer is pending.
func (c *StepClock) NextDue() (at time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].at, true
}

// AdvanceTo moves the clock to t (never backwards) and fires, in time order,
// every timer due by then. It returns how many timers fired.
func (c *StepClock) AdvanceTo(t time.Time) int {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	n := 0
	for n < len(c.timers) && !c.timers[n].at.After(c.now) {
		n++
	}
	due := append([]stepTimer(nil), c.timers[:n]...)
	c.timers = append(c.timers[:0], c.timers[n:]...)
	now := c.now
	c.mu.Unlock()
	for _, w := range due {
		w.ch <- now
	}
	return len(due)
}

// WaitAfters blocks until After has been called more than n times in all,
// or until timeout of wall time has passed; it reports whether it has.
func (c *StepClock) WaitAfters(n int64, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if c.afters > n {
			c.mu.Unlock()
			return true
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// Step fires the earliest pending timer (and any due at the same instant),
// then waits up to timeout of wall time for each woken goroutine to wait on
// the clock again, so that the next step starts from a quiet world. It
// reports false when no timer is pending. A timer nobody listens to any
// more (a select that took another branch) costs one timeout.
func (c *StepClock) Step(timeout time.Duration) bool {
	at, ok := c.NextDue()
	if !ok {
		return false
	}
	a := c.Afters()
	if n := c.AdvanceTo(at); n > 0 {
		c.WaitAfters(a+int64(n)-1, timeout)
	}
	return true
}
