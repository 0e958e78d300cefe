package bench

import (
	"context"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	smithywaiter "github.com/aws/smithy-go/waiter"

	"github.com/datalayer-tool/datalayer/awsclient"
)

// The SDK's DBInstanceAvailable waiter defaults (rds v1.133.0,
// api_op_DescribeDBInstances.go) and the AWS CLI's `rds wait
// db-instance-available` (botocore waiter model: delay 30, maxAttempts 60).
const (
	sdkMinDelay = 30 * time.Second
	sdkMaxDelay = 1800 * time.Second
	cliDelay    = 30 * time.Second
	cliAttempts = 60
)

// replayWaiter re-enacts a waiter's schedule on the virtual clock with real
// DescribeDBInstances calls against the simulator: the first check at once,
// then a delay from next after each check that does not see "available".
type replayWaiter struct {
	id       string
	nextAt   time.Time
	attempt  int64
	done     bool
	detected time.Time
	next     func(attempt int64) time.Duration
}

func sdkSchedule(attempt int64) time.Duration {
	d, err := smithywaiter.ComputeDelay(attempt, sdkMinDelay, sdkMaxDelay, 2*time.Hour)
	if err != nil {
		panic(err)
	}
	return d
}

func cliSchedule(int64) time.Duration { return cliDelay }

// detectionRun is one run on the virtual clock: n instances per method, each
// "creating" from the start and turning "available" at its own random time
// between 2 and 12 minutes later (a restore takes about 7), watched by the
// shared poller, by the SDK waiter's schedule and by the CLI's schedule.
// The same change times are used for the three methods (paired samples).
func detectionRun(b *testing.B, n int, interval time.Duration, rng *rand.Rand) (poller, sdk, cli []time.Duration, stats awsclient.PollerStats) {
	clk := NewStepClock(Start)
	env, err := NewSimEnv(clk, "default")
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	pIDs, sIDs, cIDs := IDs("poll", n), IDs("sdk", n), IDs("cli", n)
	env.AddInstances(pIDs, "creating")
	env.AddInstances(sIDs, "creating")
	env.AddInstances(cIDs, "creating")

	type flip struct {
		at  time.Time
		ids []string
	}
	flips := make([]flip, n)
	changeAt := map[string]time.Time{}
	for i := range flips {
		at := Start.Add(2*time.Minute + time.Duration(rng.Int64N(int64(10*time.Minute))))
		flips[i] = flip{at: at, ids: []string{pIDs[i], sIDs[i], cIDs[i]}}
		changeAt[pIDs[i]] = at
	}
	sort.Slice(flips, func(i, j int) bool { return flips[i].at.Before(flips[j].at) })

	var waiters []*replayWaiter
	for i := 0; i < n; i++ {
		waiters = append(waiters,
			&replayWaiter{id: sIDs[i], nextAt: Start, next: sdkSchedule},
			&replayWaiter{id: cIDs[i], nextAt: Start, next: cliSchedule})
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := awsclient.NewPoller(env.Client, clk, awsclient.PollerOptions{Interval: interval})
	samples := WatchAll(ctx, p, "instance", pIDs, awsclient.Expect{})
	var mu sync.Mutex
	detected := map[string]time.Time{}
	pollErrs := 0
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for c := range samples {
			if c.Err != nil {
				pollErrs++
			}
			if c.Kind == "instance" && c.NewStatus == "available" {
				mu.Lock()
				if _, seen := detected[c.ID]; !seen {
					detected[c.ID] = c.At
				}
				mu.Unlock()
			}
		}
	}()
	before := clk.Afters()
	go func() { _ = p.Run(ctx) }()
	clk.WaitAfters(before, 5*time.Second)

	end := Start.Add(2 * time.Hour)
	for clk.Now().Before(end) {
		// The earliest of: a poller timer, a status change, a waiter check.
		nextEvt, evt := end, ""
		if len(flips) > 0 && flips[0].at.Before(nextEvt) {
			nextEvt, evt = flips[0].at, "flip"
		}
		var w *replayWaiter
		for _, x := range waiters {
			if !x.done && x.nextAt.Before(nextEvt) {
				nextEvt, evt, w = x.nextAt, "check", x
			}
		}
		if evt == "" && allDone(waiters) && len(flips) == 0 {
			// Only the poller is left: stop once it has reported everything.
			mu.Lock()
			done := pollerDone(detected, pIDs)
			mu.Unlock()
			if done {
				break
			}
		}
		if at, ok := clk.NextDue(); ok && !at.After(nextEvt) {
			a := clk.Afters()
			clk.AdvanceTo(at)
			clk.WaitAfters(a, time.Second)
			continue
		}
		clk.AdvanceTo(nextEvt)
		switch evt {
		case "flip":
			for _, id := range flips[0].ids {
				env.SetInstanceStatus(id, "available")
			}
			flips = flips[1:]
		case "check":
			out, err := env.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(w.id)})
			if err != nil {
				b.Fatal(err)
			}
			if len(out.DBInstances) == 1 && aws.ToString(out.DBInstances[0].DBInstanceStatus) == "available" {
				w.done, w.detected = true, clk.Now()
				continue
			}
			w.attempt++
			w.nextAt = clk.Now().Add(w.next(w.attempt))
		}
	}
	stats = p.Stats()
	cancel()
	<-consumed
	stats.Errors = int64(pollErrs)
	for i := 0; i < n; i++ {
		at := changeAt[pIDs[i]]
		if d, ok := detected[pIDs[i]]; ok {
			poller = append(poller, d.Sub(at))
		} else {
			b.Fatalf("the poller never reported %s available", pIDs[i])
		}
	}
	for _, w := range waiters {
		at := changeAt["poll"+w.id[3:]]
		if !w.done {
			b.Fatalf("waiter for %s never saw it available", w.id)
		}
		if w.id[:3] == "sdk" {
			sdk = append(sdk, w.detected.Sub(at))
		} else {
			cli = append(cli, w.detected.Sub(at))
		}
	}
	return poller, sdk, cli, stats
}

func allDone(ws []*replayWaiter) bool {
	for _, w := range ws {
		if !w.done {
			return false
		}
	}
	return true
}

// pollerDone reports whether the poller has reported every id.
func pollerDone(detected map[string]time.Time, ids []string) bool {
	for _, id := range ids {
		if _, ok := detected[id]; !ok {
			return false
		}
	}
	return true
}

// BenchmarkDetectionVirtual times, in simulated seconds on a StepClock, how
// long after an instance turns "available" each method notices: the shared
// poller (at the awsclient default of 5 s and at the command line's default
// --poll-interval of 10 s), the SDK waiter's default schedule and the AWS
// CLI's. Each iteration watches 20 instances per method.
func BenchmarkDetectionVirtual(b *testing.B) {
	for _, interval := range []time.Duration{5 * time.Second, 10 * time.Second} {
		b.Run("interval="+interval.String(), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(8, uint64(interval)))
			var poller, sdk, cli []time.Duration
			var cycles, errs int64
			for i := 0; i < b.N; i++ {
				p, s, c, st := detectionRun(b, 20, interval, rng)
				poller, sdk, cli = append(poller, p...), append(sdk, s...), append(cli, c...)
				cycles += st.Cycles
				errs += st.Errors
			}
			ps, ss, cs := Summarize(poller), Summarize(sdk), Summarize(cli)
			b.Logf("poller:     %s", ps)
			b.Logf("sdk waiter: %s", ss)
			b.Logf("aws cli:    %s", cs)
			b.Logf("poller cycles %d, failed %d (each failure doubles the next wait)", cycles, errs)
			b.ReportMetric(ps.Median.Seconds(), "poller-median-s")
			b.ReportMetric(ps.P95.Seconds(), "poller-p95-s")
			b.ReportMetric(ps.Max.Seconds(), "poller-max-s")
			b.ReportMetric(ss.Median.Seconds(), "sdk-median-s")
			b.ReportMetric(ss.P95.Seconds(), "sdk-p95-s")
			b.ReportMetric(cs.Median.Seconds(), "cli-median-s")
			b.ReportMetric(cs.P95.Seconds(), "cli-p95-s")
			b.ReportMetric(float64(errs), "poll-errors")
		})
	}
}
