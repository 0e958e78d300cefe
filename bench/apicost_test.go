package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
)

// costCase is one API-cost measurement: what is watched, by which poller,
// and whether it keeps changing.
type costCase struct {
	poller    string // "shared" (awsclient.Poller) or "per-watch" (steps.NewAPIPoller)
	interval  time.Duration
	instances int
	snapshots int
	changing  bool // instances "modifying" and snapshots "creating" throughout; else all available
}

// costWindow is the simulated time over which requests are counted, after
// costWarmup (the first samples, and the shared poller's settle period).
const (
	costWarmup = 2 * time.Minute
	costWindow = 20 * time.Minute
)

// costRun watches the case's resources on a StepClock for costWarmup +
// costWindow and returns the requests per simulated minute in the window,
// counted by the simulator.
func costRun(b *testing.B, cc costCase) float64 {
	clk := NewStepClock(Start)
	env, err := NewSimEnv(clk, "default")
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	inst, snap := IDs("watch", cc.instances), IDs("snap", cc.snapshots)
	is, ss := "available", "available"
	if cc.changing {
		is, ss = "modifying", "creating"
	}
	env.AddInstances(inst, is)
	env.AddSnapshots(snap, ss)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := clk.Afters()
	expect := int64(0)
	// The shared poller leaves a timer behind when a watch wakes it early:
	// each such stale timer costs one timeout, so keep it short. The
	// per-watch poller never does, and wakes many goroutines at once on a
	// loaded machine: give them time.
	stepTimeout := time.Second
	switch cc.poller {
	case "shared":
		p := awsclient.NewPoller(env.Client, clk, awsclient.PollerOptions{Interval: cc.interval})
		for _, ch := range []<-chan awsclient.Change{
			WatchAll(ctx, p, "instance", inst, awsclient.Expect{}), WatchAll(ctx, p, "snapshot", snap, awsclient.Expect{}),
		} {
			go func() {
				for range ch {
				}
			}()
		}
		go func() { _ = p.Run(ctx) }()
	default:
		b.Fatalf("unknown poller %q", cc.poller)
	}
	clk.WaitAfters(before+expect, 5*time.Second)
	warm, end := Start.Add(costWarmup), Start.Add(costWarmup+costWindow)
	var atWarm int64 = -1
	for clk.Now().Before(end) {
		if at, ok := clk.NextDue(); ok && atWarm < 0 && !at.Before(warm) {
			atWarm = env.Requests()
		}
		if at, ok := clk.NextDue(); !ok || !at.Before(end) {
			break
		}
		clk.Step(stepTimeout)
	}
	n := env.Requests() - atWarm
	return float64(n) / costWindow.Minutes()
}

// BenchmarkAPICost counts, with the simulator's RequestCounts, the requests
// per minute spent watching 1, 5 and 20 instances and as many snapshots,
// while they change and once they are steady, by the shared poller and by
// the engine's fallback per-watch poller, as a share of the account's
// 12 requests/s budget (720 per minute).
func BenchmarkAPICost(b *testing.B) {
	var cases []costCase
	for _, pi := range []struct {
		poller   string
		interval time.Duration
	}{{"shared", 5 * time.Second}, {"shared", 10 * time.Second}} {
		for _, n := range [][2]int{{1, 0}, {1, 1}, {5, 5}, {20, 20}} {
			for _, changing := range []bool{true, false} {
				cases = append(cases, costCase{poller: pi.poller, interval: pi.interval, instances: n[0], snapshots: n[1], changing: changing})
			}
		}
	}
	for _, cc := range cases {
		phase := "steady"
		if cc.changing {
			phase = "changing"
		}
		name := fmt.Sprintf("%s-%s/inst=%d,snap=%d/%s", cc.poller, cc.interval, cc.instances, cc.snapshots, phase)
		b.Run(name, func(b *testing.B) {
			var perMin float64
			for i := 0; i < b.N; i++ {
				perMin = costRun(b, cc)
			}
			b.ReportMetric(perMin, "req/min")
			b.ReportMetric(100*perMin/Budget, "%budget")
		})
	}
}
