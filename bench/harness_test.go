package bench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	s := func(secs ...int) []time.Duration {
		out := make([]time.Duration, len(secs))
		for i, v := range secs {
			out[i] = time.Duration(v) * time.Second
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", s(7), 95, 7 * time.Second},
		{"median of odd", s(5, 1, 3), 50, 3 * time.Second},
		{"median of even takes the lower", s(4, 1, 3, 2), 50, 2 * time.Second},
		{"p95 of twenty is the 19th", s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 95, 19 * time.Second},
		{"p100 is the max", s(9, 2, 30), 100, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.in, tt.p, got, tt.want)
			}
		})
	}
}

func TestStepClockFiresInOrder(t *testing.T) {
	c := NewStepClock(Start)
	late := c.After(10 * time.Second)
	early := c.After(3 * time.Second)
	now := c.After(0)
	select {
	case got := <-now:
		if !got.Equal(Start) {
			t.Fatalf("After(0) fired at %v, want %v", got, Start)
		}
	default:
		t.Fatal("After(0) did not fire at once")
	}
	if at, ok := c.NextDue(); !ok || !at.Equal(Start.Add(3*time.Second)) {
		t.Fatalf("NextDue = %v, %v; want %v", at, ok, Start.Add(3*time.Second))
	}
	if n := c.AdvanceTo(Start.Add(5 * time.Second)); n != 1 {
		t.Fatalf("AdvanceTo fired %d timers, want 1", n)
	}
	if got := <-early; !got.Equal(Start.Add(5 * time.Second)) {
		t.Fatalf("early timer read %v", got)
	}
	select {
	case <-late:
		t.Fatal("the 10 s timer fired at 5 s")
	default:
	}
	if !c.Step(time.Millisecond) {
		t.Fatal("Step found no timer")
	}
	if got := <-late; !got.Equal(Start.Add(10 * time.Second)) {
		t.Fatalf("late timer read %v, want %v", got, Start.Add(10*time.Second))
	}
	if c.Step(time.Millisecond) {
		t.Fatal("Step fired a timer that does not exist")
	}
	if c.Since(Start) != 10*time.Second {
		t.Fatalf("Since(Start) = %v", c.Since(Start))
	}
}

func TestStepClockWaitAfters(t *testing.T) {
	c := NewStepClock(Start)
	n := c.Afters()
	done := make(chan bool)
	go func() { done <- c.WaitAfters(n, time.Minute) }()
	c.After(time.Second)
	if !<-done {
		t.Fatal("WaitAfters missed an After call")
	}
	if c.WaitAfters(c.Afters(), time.Millisecond) {
		t.Fatal("WaitAfters reported an After call that never happened")
	}
}

func TestSimEnvAddsWatchableResources(t *testing.T) {
	env, err := NewSimEnv(NewStepClock(Start), "default")
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	env.AddInstances(IDs("inst", 3), "modifying")
	env.AddSnapshots(IDs("snap", 2), "creating")
	env.SetInstanceStatus("inst-2", "available")
	in, err := env.Client.Instance(t.Context(), "inst-2")
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != "available" {
		t.Errorf("inst-2 status %q, want available", in.Status)
	}
	other, err := env.Client.Instance(t.Context(), "inst-3")
	if err != nil {
		t.Fatal(err)
	}
	if other.Status != "modifying" || other.ResourceID == in.ResourceID {
		t.Errorf("inst-3: status %q resource %q (inst-2 %q)", other.Status, other.ResourceID, in.ResourceID)
	}
	sn, err := env.Client.Snapshot(t.Context(), "snap-1")
	if err != nil {
		t.Fatal(err)
	}
	if sn.Status != "creating" {
		t.Errorf("snap-1 status %q, want creating", sn.Status)
	}
	if env.Requests() != 3 {
		t.Errorf("the simulator counted %d requests, want 3", env.Requests())
	}
}
