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

func TestWallPlaysDurationsFasterWithoutRunningAhead(t *testing.T) {
	c := NewWall(1000)
	if SpeedOf(c) != 1000 {
		t.Fatalf("SpeedOf = %v", SpeedOf(c))
	}
	start := c.Now()
	// A one-minute wait at 1000× is 60 ms of real time: the instant it fires
	// at is the wall clock's, well short of a minute later, while Since
	// counts the minute of the world's time that passed.
	at := <-c.After(time.Minute)
	if at.Sub(start) >= time.Minute {
		t.Fatalf("After(1m) fired %v of wall time later: the clock ran ahead", at.Sub(start))
	}
	if now, wall := c.Now(), time.Now(); now.After(wall) {
		t.Fatalf("Now %v is after the wall clock %v", now, wall)
	}
	if got := c.Since(start); got < time.Minute {
		t.Fatalf("Since = %v after a minute of the world's time", got)
	}
	if NewWall(0).Speed() != 1 || SpeedOf(Real{}) != 1 {
		t.Fatal("a zero speed, and the real clock, must play in real time")
	}
}

func TestManualSpeedShrinksDurations(t *testing.T) {
	m := NewManualSpeed(epoch, 60)
	ch := m.After(7 * time.Minute)
	m.Advance(6 * time.Second)
	select {
	case <-ch:
		t.Fatal("a 7-minute wait at 60x fired after 6 s")
	default:
	}
	m.Advance(time.Second)
	select {
	case at := <-ch:
		if want := epoch.Add(7 * time.Second); !at.Equal(want) {
			t.Fatalf("fired at %v, want the instant %v", at, want)
		}
	default:
		t.Fatal("a 7-minute wait at 60x did not fire after 7 s")
	}
	if got := m.Since(epoch); got != 7*time.Minute {
		t.Fatalf("Since = %v, want 7m of the world's time", got)
	}
	if got := m.Now().Sub(epoch); got != 7*time.Second {
		t.Fatalf("Now moved %v, want 7s", got)
	}
}

func TestSpeedConversions(t *testing.T) {
	tests := []struct {
		speed    Speed
		sim      time.Duration
		realTime time.Duration
	}{
		{1, time.Minute, time.Minute},
		{0, time.Minute, time.Minute},
		{60, 7 * time.Minute, 7 * time.Second},
		{600, 10 * time.Minute, time.Second},
	}
	for _, tt := range tests {
		if got := tt.speed.RealTime(tt.sim); got != tt.realTime {
			t.Errorf("Speed(%v).RealTime(%v) = %v, want %v", tt.speed, tt.sim, got, tt.realTime)
		}
		if got := tt.speed.SimTime(tt.realTime); got != tt.sim {
			t.Errorf("Speed(%v).SimTime(%v) = %v, want %v", tt.speed, tt.realTime, got, tt.sim)
		}
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
