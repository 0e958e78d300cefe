package clock

import (
	"testing"
	"time"
)

var epoch = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func TestManualFiresDueWaitersInOrder(t *testing.T) {
	tests := []struct {
		name    string
		waits   []time.Duration
		advance time.Duration
		fired   int
	}{
		{"nothing due", []time.Duration{time.Minute}, 59 * time.Second, 0},
		{"exactly due", []time.Duration{time.Minute}, time.Minute, 1},
		{"some due", []time.Duration{time.Second, time.Hour, 2 * time.Second}, 10 * time.Second, 2},
		{"zero fires at once", []time.Duration{0}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewManual(epoch)
			chans := make([]<-chan time.Time, len(tc.waits))
			for i, d := range tc.waits {
				chans[i] = m.After(d)
			}
			m.Advance(tc.advance)
			fired := 0
			for _, ch := range chans {
				select {
				case at := <-ch:
					if at.Before(epoch) {
						t.Fatalf("fired with time %v before the start", at)
					}
					fired++
				default:
				}
			}
			if fired != tc.fired {
				t.Fatalf("fired %d, want %d", fired, tc.fired)
			}
			if got, want := m.Waiters(), len(tc.waits)-tc.fired; got != want {
				t.Fatalf("Waiters() = %d, want %d", got, want)
			}
			if got := m.Since(epoch); got != tc.advance {
				t.Fatalf("Since = %v, want %v", got, tc.advance)
			}
		})
	}
}

func TestScaledRunsFasterThanRealTime(t *testing.T) {
	s := NewScaled(epoch, 1000)
	if s.Speed() != 1000 {
		t.Fatalf("Speed = %v", s.Speed())
	}
	// A one-minute wait on a clock 1000 times faster ends after 60 ms of real
	// time; the assertion is on the virtual time reached, not on how long it took.
	at := <-s.After(time.Minute)
	if at.Sub(epoch) < time.Minute {
		t.Fatalf("After(1m) fired at virtual %v, before a minute had passed", at.Sub(epoch))
	}
	if NewScaled(epoch, 0).Speed() != 1 {
		t.Fatal("a zero speed must be taken as real time")
	}
}

func TestRealClock(t *testing.T) {
	var c Clock = Real{}
	start := c.Now()
	<-c.After(time.Millisecond)
	if c.Since(start) <= 0 {
		t.Fatal("real clock did not move")
	}
}
