// Package clock gives the program one notion of time that can be real, scaled
// (a rehearsal plays a 7-minute restore in 7 seconds) or stepped by hand in
// tests. Everything that waits or timestamps takes a Clock instead of calling
// the time package directly.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	// Now returns the current time on this clock.
	Now() time.Time
	// After fires once when d has passed on this clock.
	After(d time.Duration) <-chan time.Time
	// Since is Now().Sub(t).
	Since(t time.Time) time.Duration
}

// Real is the wall clock.
type Real struct{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now() }

// After implements Clock.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Since implements Clock.
func (Real) Since(t time.Time) time.Duration { return time.Since(t) }

// Scaled runs Speed times faster than the wall clock, starting at Origin.
type Scaled struct {
	speed  float64
	origin time.Time
	start  time.Time
}

// NewScaled returns a clock that reads origin now and runs speed times real
// time. A speed below or equal to zero is taken as 1.
func NewScaled(origin time.Time, speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	return &Scaled{speed: speed, origin: origin, start: time.Now()}
}

// Speed reports how many times faster than real time the clock runs.
func (s *Scaled) Speed() float64 { return s.speed }

// Now implements Clock.
func (s *Scaled) Now() time.Time {
	return s.origin.Add(time.Duration(float64(time.Since(s.start)) * s.speed))
}

// After implements Clock.
func (s *Scaled) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	time.AfterFunc(time.Duration(float64(d)/s.speed), func() { ch <- s.Now() })
	return ch
}

// Since implements Clock.
func (s *Scaled) Since(t time.Time) time.Duration { return s.Now().Sub(t) }

// Manual only moves when Advance is called; for deterministic tests.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []manualWaiter
}

type manualWaiter struct {
	at time.Time
	ch chan time.Time
}

// NewManual returns a stopped clock reading now.
func NewManual(now time.Time) *Manual { return &Manual{now: now} }

// Now implements Clock.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Since implements Clock.
func (m *Manual) Since(t time.Time) time.Duration { return m.Now().Sub(t) }

// After implements Clock.
func (m *Manual) After(d time.Duration) <-chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- m.now
		return ch
	}
	m.waiters = append(m.waiters, manualWaiter{at: m.now.Add(d), ch: ch})
	return ch
}

// Waiters reports how many After channels have not fired yet; tests use it to
// know that a goroutine is parked before advancing.
func (m *Manual) Waiters() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}

// Advance moves the clock forward by d and fires every After that fell due,
// in time order.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	sort.Slice(m.waiters, func(i, j int) bool { return m.waiters[i].at.Before(m.waiters[j].at) })
	kept := m.waiters[:0]
	var due []manualWaiter
	for _, w := range m.waiters {
		if !w.at.After(m.now) {
			due = append(due, w)
		} else {
			kept = append(kept, w)
		}
	}
	m.waiters = kept
	now := m.now
	m.mu.Unlock()
	for _, w := range due {
		w.ch <- now
	}
}
