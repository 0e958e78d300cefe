package bench

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
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

// knowledge is what the poller is told about when the change it waits for
// is due.
type knowledge int

const (
	// knowNothing: Expect{}, no more than the SDK waiter and the CLI know.
	knowNothing knowledge = iota
	// knowUsual: the engine's expectation of a wait nobody has timed yet,
	// from its policy for a restore (usual 7 minutes; runbooks/wait.go).
	knowUsual
	// knowEarlier: the engine's expectation of a wait timed in an earlier
	// run (a rehearsal's, kept in timings/<runbook>.rehearsal.json, or a real
	// staging run's, in timings/<runbook>.json).
	knowEarlier
)

// Expectations as the engine builds them (runbooks/wait.go, expect): a wait
// timed before is expected to take as long again, give or take a fifth (at
// least 15 s); an untimed one from the policy's usual duration, with a
// window of three quarters of it either side.
const (
	usualRestore     = 7 * time.Minute
	recordedSpread   = 5
	minRecordedRange = 15 * time.Second
)

func engineExpect(k knowledge, earlier time.Duration) awsclient.Expect {
	switch k {
	case knowUsual:
		return awsclient.Expect{After: usualRestore, Within: usualRestore * 3 / 4}
	case knowEarlier:
		return awsclient.Expect{After: earlier, Within: max(earlier/recordedSpread, minRecordedRange)}
	}
	return awsclient.Expect{}
}

// detectCase is one row of the detection table.
type detectCase struct {
	name     string
	interval time.Duration // PollerOptions.Interval: the period of a change nobody expects
	know     knowledge
	// spread is how far, as a fraction, this run's duration may be from the
	// earlier run's (uniformly either side); knowEarlier only.
	spread float64
}

// detectSample is one instance's wait, watched by each method.
type detectSample struct {
	wait time.Duration // from the start of the watch to the change
	// latency from the change to each method noticing it, and the requests
	// each sent from the start until then.
	poller, sdk, cli, told             time.Duration
	pollerReq, sdkReq, cliReq, toldReq int
	pollErrs                           int
}

// detectionSample runs one wait on the virtual clock: four copies of an
// instance "creating" from the start, turning "available" together at the
// same moment, each watched by one method: the poller (alone, with the
// case's expectation, as in a run that waits for one instance), the SDK
// waiter's schedule, the CLI's schedule from the start, and the CLI's
// schedule started when the poller's window opens ("told": a script that
// knows what the poller was told, sleeps until then, then runs `aws rds
// wait`). The moment is drawn from rng: a typical duration of 2–12 minutes
// (a restore takes about 7), which is also the earlier run's duration for
// knowEarlier, varied by the case's spread.
func detectionSample(b *testing.B, dc detectCase, rng *rand.Rand) detectSample {
	clk := NewStepClock(Start)
	var reqMu sync.Mutex
	var pollerReqs []time.Time // the poller's requests, on the virtual clock
	env, err := NewSimEnvWrapped(clk, "default", func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			// The waiters ask by DBInstanceIdentifier; the poller by filter
			// (and DescribeEvents).
			if form, err := url.ParseQuery(string(body)); err == nil && form.Get("DBInstanceIdentifier") == "" {
				reqMu.Lock()
				pollerReqs = append(pollerReqs, clk.Now())
				reqMu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	typical := 2*time.Minute + time.Duration(rng.Int64N(int64(10*time.Minute)))
	wait := typical
	if dc.know == knowEarlier {
		wait = time.Duration(float64(typical) * (1 + dc.spread*(2*rng.Float64()-1)))
	}
	exp := engineExpect(dc.know, typical)
	changeAt := Start.Add(wait)
	const pID, sID, cID, tID = "poll-1", "sdk-1", "cli-1", "told-1"
	env.AddInstances([]string{pID, sID, cID, tID}, "creating")

	opens, _ := exp.Window()
	waiters := []*replayWaiter{
		{id: sID, nextAt: Start, next: sdkSchedule},
		{id: cID, nextAt: Start, next: cliSchedule},
		{id: tID, nextAt: Start.Add(opens), next: cliSchedule},
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := awsclient.NewPoller(env.Client, clk, awsclient.PollerOptions{Interval: dc.interval})
	samples := p.Watch(ctx, "instance", pID, exp)
	var mu sync.Mutex
	var detected time.Time
	pollErrs := 0
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for c := range samples {
			mu.Lock()
			if c.Err != nil {
				pollErrs++
			}
			if c.NewStatus == "available" && detected.IsZero() {
				detected = c.At
			}
			mu.Unlock()
		}
	}()
	runDone := make(chan struct{})
	before := clk.Afters()
	go func() {
		defer close(runDone)
		_ = p.Run(ctx)
	}()
	clk.WaitAfters(before, 5*time.Second)

	pollerOn, flipped := true, false
	end := Start.Add(4 * time.Hour)
	for clk.Now().Before(end) {
		if pollerOn {
			mu.Lock()
			seen := !detected.IsZero()
			mu.Unlock()
			if seen {
				// Stop the poller: its requests after this are not part of
				// the wait (its pending timer fires into the void).
				cancel()
				<-runDone
				pollerOn = false
			}
		}
		nextEvt, evt := end, ""
		if !flipped && changeAt.Before(nextEvt) {
			nextEvt, evt = changeAt, "flip"
		}
		var w *replayWaiter
		for _, x := range waiters {
			if !x.done && x.nextAt.Before(nextEvt) {
				nextEvt, evt, w = x.nextAt, "check", x
			}
		}
		if evt == "" && !pollerOn {
			break
		}
		if pollerOn {
			if at, ok := clk.NextDue(); ok && !at.After(nextEvt) {
				a := clk.Afters()
				clk.AdvanceTo(at)
				clk.WaitAfters(a, time.Second)
				continue
			}
		}
		clk.AdvanceTo(nextEvt)
		switch evt {
		case "flip":
			for _, id := range []string{pID, sID, cID, tID} {
				env.SetInstanceStatus(id, "available")
			}
			flipped = true
		case "check":
			// The waiters' own context: the poller's ends when it has seen the change.
			out, err := env.RDS.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(w.id)})
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
	cancel()
	<-consumed
	mu.Lock()
	defer mu.Unlock()
	if detected.IsZero() {
		b.Fatalf("%s: the poller never reported %s available (change after %s)", dc.name, pID, wait)
	}
	s := detectSample{wait: wait, poller: detected.Sub(changeAt), pollErrs: pollErrs}
	reqMu.Lock()
	for _, at := range pollerReqs {
		if !at.After(detected) {
			s.pollerReq++
		}
	}
	reqMu.Unlock()
	for _, w := range waiters {
		if !w.done {
			b.Fatalf("%s: waiter for %s never saw it available", dc.name, w.id)
		}
		lat, n := w.detected.Sub(changeAt), int(w.attempt)+1
		switch w.id {
		case sID:
			s.sdk, s.sdkReq = lat, n
		case cID:
			s.cli, s.cliReq = lat, n
		case tID:
			s.told, s.toldReq = lat, n
		}
	}
	return s
}

// detectCases are the rows of the detection table. The old figures (before
// the poller knew when changes are due) were at interval 5 s and 10 s with
// nothing known.
var detectCases = []detectCase{
	{name: "nothing-known/interval=5s", interval: 5 * time.Second, know: knowNothing},
	{name: "nothing-known/interval=10s", interval: 10 * time.Second, know: knowNothing},
	{name: "policy-usual", know: knowUsual},
	{name: "earlier-run/spread=5%", know: knowEarlier, spread: 0.05},
	{name: "earlier-run/spread=10%", know: knowEarlier, spread: 0.10},
	{name: "earlier-run/spread=20%", know: knowEarlier, spread: 0.20},
	{name: "earlier-run/spread=50%", know: knowEarlier, spread: 0.50},
}

// share is requests over the spans they were sent in, as a fraction of the
// account's sustained 12 requests a second.
func share(reqs int, span time.Duration) float64 {
	if span <= 0 {
		return 0
	}
	return float64(reqs) / span.Seconds() / awsclient.AccountRequestRate
}

// BenchmarkDetectionVirtual times, in simulated seconds on a StepClock, how
// long after an instance turns "available" each method notices, and what
// each spends until then: the poller watching that one instance (with
// what the engine would tell it of when the change is due: nothing, the
// policy's usual duration, or the duration of the same wait in an earlier
// run), the SDK waiter's default schedule and the AWS CLI's, from the start
// and from when the poller's window opens. Each iteration is 20 waits; the
// durations are the same in every case (one seed).
func BenchmarkDetectionVirtual(b *testing.B) {
	for _, dc := range detectCases {
		b.Run(dc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(8, 8))
			var poller, sdk, cli, told []time.Duration
			var pReq, sReq, cReq, tReq, errs int
			var pSpan, sSpan, cSpan, tSpan time.Duration
			worst := 0.0
			for i := 0; i < b.N; i++ {
				for j := 0; j < 20; j++ {
					s := detectionSample(b, dc, rng)
					poller, sdk, cli, told = append(poller, s.poller), append(sdk, s.sdk), append(cli, s.cli), append(told, s.told)
					pReq, sReq, cReq, tReq = pReq+s.pollerReq, sReq+s.sdkReq, cReq+s.cliReq, tReq+s.toldReq
					pSpan, sSpan, cSpan, tSpan = pSpan+s.wait+s.poller, sSpan+s.wait+s.sdk, cSpan+s.wait+s.cli, tSpan+s.wait+s.told
					errs += s.pollErrs
					worst = max(worst, share(s.pollerReq, s.wait+s.poller))
				}
			}
			ps, ss, cs, ts := Summarize(poller), Summarize(sdk), Summarize(cli), Summarize(told)
			b.Logf("poller:     %s  %d requests %.2f%% of the budget (worst wait %.2f%%)", ps, pReq, 100*share(pReq, pSpan), 100*worst)
			b.Logf("sdk waiter: %s  %d requests %.2f%%", ss, sReq, 100*share(sReq, sSpan))
			b.Logf("aws cli:    %s  %d requests %.2f%%", cs, cReq, 100*share(cReq, cSpan))
			b.Logf("cli, told:  %s  %d requests %.2f%%", ts, tReq, 100*share(tReq, tSpan))
			b.Logf("poller: %d failed looks", errs)
			b.ReportMetric(ps.Median.Seconds(), "poller-median-s")
			b.ReportMetric(ps.P95.Seconds(), "poller-p95-s")
			b.ReportMetric(ps.Max.Seconds(), "poller-max-s")
			b.ReportMetric(100*share(pReq, pSpan), "poller-%budget")
			b.ReportMetric(100*worst, "poller-worst-%budget")
			b.ReportMetric(ss.Median.Seconds(), "sdk-median-s")
			b.ReportMetric(ss.P95.Seconds(), "sdk-p95-s")
			b.ReportMetric(100*share(sReq, sSpan), "sdk-%budget")
			b.ReportMetric(cs.Median.Seconds(), "cli-median-s")
			b.ReportMetric(cs.P95.Seconds(), "cli-p95-s")
			b.ReportMetric(100*share(cReq, cSpan), "cli-%budget")
			b.ReportMetric(ts.Median.Seconds(), "told-cli-median-s")
			b.ReportMetric(100*share(tReq, tSpan), "told-cli-%budget")
			b.ReportMetric(float64(errs), "poll-errors")
		})
	}
}
