// Package clock gives the program one notion of time that can be real, paced
// (a rehearsal plays a 7-minute restore in 7 seconds) or stepped by hand in
// tests. Everything that waits or timestamps takes a Clock instead of calling
// the time package directly.
//
// Instants and durations are kept apart. Now is always an instant of the
// clock's world as its clients see it: on the real and the paced clock, the
// wall-clock time, so a timestamp a rehearsal's simulator reports is never
// ahead of the person reading it. After and Since speak in durations of the
// world being played: on a paced clock at speed N (`--speed N`) a 5-minute
// After fires after 5/N minutes of real time, and Since reports N times the
// real time that passed. Durations shrink; clocks never jump.
//
// So on a paced clock Since(t) is not Now().Sub(t): measure how long
// something took with Since (step timings stay in AWS time), and convert a
// span between two instants with SpeedOf(c).SimTime.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	// Now returns the current instant (on a paced clock, the wall-clock time).
	Now() time.Time
	// After fires once when d of the clock's world time has passed.
	After(d time.Duration) <-chan time.Time
	// Since reports how much of the clock's world time has passed since the
	// instant t.
	Since(t time.Time) time.Duration
}

// Speed is how many times faster than real time a clock plays the durations
// of its world; 1 is real time. A rehearsal's --speed is one.
type Speed float64

// RealTime is how long d of the world's time takes in real time (d/s).
func (s Speed) RealTime(d time.Duration) time.Duration {
	if s <= 0 || s == 1 {
		return d
	}
	return time.Duration(float64(d) / float64(s))
}

// SimTime is how much of the world's time a real-time span w stands for
// (w×s): the inverse of RealTime.
func (s Speed) SimTime(w time.Duration) time.Duration {
	if s <= 0 || s == 1 {
		return w
	}
	return time.Duration(float64(w) * float64(s))
}

// Paced is implemented by clocks that play durations faster than real time.
type Paced interface {
	// Speed reports how many times faster than real time durations pass.
	Speed() Speed
}

// SpeedOf reports the speed of c: what a Paced clock says, 1 for any other.
func SpeedOf(c Clock) Speed {
	if p, ok := c.(Paced); ok && p.Speed() > 0 {
		return p.Speed()
	}
	return 1
}

// Real is the wall clock.
type Real struct{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now() }

// After implements Clock.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Since implements Clock.
func (Real) Since(t time.Time) time.Duration { return time.Since(t) }

// Wall reads the wall clock and plays durations speed times faster than real
// time: the clock of a rehearsal, of `datalayer sim --speed` and of the
// simulator's clients in tests.
type Wall struct {
	speed Speed
}

var _ Paced = Wall{}

// NewWall returns the wall clock playing durations speed times faster than
// real time. A speed below or equal to zero is taken as 1.
func NewWall(speed float64) Wall {
	if speed <= 0 {
		speed = 1
	}
	return Wall{speed: Speed(speed)}
}

// Speed implements Paced.
func (w Wall) Speed() Speed { return w.speed }

// Now implements Clock: the wall-clock time, whatever the speed.
func (Wall) Now() time.Time { return time.Now() }

// After implements Clock.
func (w Wall) After(d time.Duration) <-chan time.Time {
	return time.After(w.speed.RealTime(d))
}

// Since implements Clock.
func (w Wall) Since(t time.Time) time.Duration { return w.speed.SimTime(time.Since(t)) }

// Manual only moves when Advance is called; for deterministic tests. Like
// Wall it can play durations faster than the time it reads
// (NewManualSpeed): Advance moves its instant, After and Since speak in the
// world's durations.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	speed   Speed
	waiters []manualWaiter
}

var _ Paced = (*Manual)(nil)

type manualWaiter struct {
	at time.Time
	ch chan time.Time
}

// NewManual returns a stopped clock reading now, at speed 1.
func NewManual(now time.Time) *Manual { return &Manual{now: now, speed: 1} }

// NewManualSpeed returns a stopped clock reading now whose durations pass
// speed times faster than its instants move: After(d) falls due once
// Advance has moved it by d/speed.
func NewManualSpeed(now time.Time, speed float64) *Manual {
	if speed <= 0 {
		speed = 1
	}
	return &Manual{now: now, speed: Speed(speed)}
}

// Speed implements Paced.
func (m *Manual) Speed() Speed { return m.speed }

// Now implements Clock.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Since implements Clock.
func (m *Manual) Since(t time.Time) time.Duration { return m.speed.SimTime(m.Now().Sub(t)) }

// After implements Clock.
func (m *Manual) After(d time.Duration) <-chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- m.now
		return ch
	}
	m.waiters = append(m.waiters, manualWaiter{at: m.now.Add(m.speed.RealTime(d)), ch: ch})
	return ch
}

// Waiters reports how many After channels have not fired yet; tests use it to
// know that a goroutine is parked before advancing.
func (m *Manual) Waiters() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}

// Advance moves the clock's instant forward by d and fires every After that
// fell due, in time order.
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
