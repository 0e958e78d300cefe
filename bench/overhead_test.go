package bench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/rehearsal"
)

// stepCost is one finished step of a run, in simulated time.
type stepCost struct {
	ID       string
	Elapsed  time.Duration // the step's elapsed time on the run's clock
	AWS      time.Duration // from its start to the last change AWS made during it
	Overhead time.Duration // Elapsed - AWS: ours (and the simulated Pulumi provider's polling)
}

// runResult is a whole rehearsal: its steps, wall time and requests.
type runResult struct {
	Steps    []stepCost
	Wall     time.Duration
	Sim      time.Duration
	Requests int64
	Err      error
	// Detect holds, for every status change of an instance the run's journal
	// shows, the time from the simulator's change to the journal's event.
	Detect []time.Duration
}

// rehearse runs a runbook headless with --yes in a fresh rehearsal world at
// speed, and splits every step's elapsed time into AWS's own time and the
// rest. AWS's time is read from the simulator's event log, whose dates are
// the exact simulated moments of its state changes (creating → backing-up →
// available, renames, snapshots done, deletes).
func rehearse(b *testing.B, o engine.Options, speed float64) runResult {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if o.StateDir == "" {
		o.StateDir = b.TempDir()
	}
	o.Speed = speed
	o.Yes = true
	wallStart := time.Now()
	run, w, err := rehearsal.Start(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	var evs []engine.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range run.Events() {
			evs = append(evs, e)
			if e.Type == engine.EventPrompt && e.Answer == nil && e.Prompt != nil {
				b.Errorf("prompt %s (%s) was not answered by --yes", e.Prompt.ID, e.Prompt.Title)
				cancel()
			}
		}
	}()
	simStart := w.Clock.Now()
	run.Start(ctx)
	runErr := run.Wait()
	<-done
	res := runResult{Wall: time.Since(wallStart), Sim: w.Clock.Since(simStart), Err: runErr}
	for _, n := range w.Sim.RequestCounts() {
		res.Requests += n
	}
	// Dates (the simulator's, the journal's) are instants of the wall
	// clock, which does not jump; the world plays durations Speed times
	// faster, so a span between two dates is SimTime of its wall length.
	pace := clock.SpeedOf(w.Clock)
	var changes []time.Time
	byID := map[string][]time.Time{}
	w.Sim.Mutate(func(world *rdssim.World) {
		for _, e := range world.Events {
			changes = append(changes, e.Date)
			if e.SourceType == "db-instance" {
				byID[e.SourceID] = append(byID[e.SourceID], e.Date)
			}
		}
	})
	for _, e := range evs {
		st := e.Status
		if e.Type != engine.EventStatus || st == nil || st.Kind != "instance" || st.OldStatus == "" || st.OldStatus == st.NewStatus || st.Gone {
			continue
		}
		// The simulator's latest change of that instance at or before the
		// sample; a change more than a minute earlier is not this one.
		var last time.Time
		for _, d := range byID[st.ID] {
			if !d.After(st.At) && d.After(last) {
				last = d
			}
		}
		if !last.IsZero() && pace.SimTime(e.Time.Sub(last)) < time.Minute {
			res.Detect = append(res.Detect, pace.SimTime(e.Time.Sub(last)))
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Before(changes[j]) })
	for _, e := range evs {
		if e.Type != engine.EventStepFinished || e.Resumed {
			continue
		}
		end := e.Time
		start := end.Add(-pace.RealTime(e.Elapsed))
		sc := stepCost{ID: e.StepID, Elapsed: e.Elapsed}
		for _, c := range changes {
			if c.After(start) && !c.After(end) {
				sc.AWS = pace.SimTime(c.Sub(start))
			}
		}
		sc.Overhead = sc.Elapsed - sc.AWS
		res.Steps = append(res.Steps, sc)
	}
	return res
}

// BenchmarkRunOverhead rehearses a restore by each method and a deploy at
// speed 60 and 600, and reports per step the time beyond AWS's own (in
// simulated seconds, which at speed S magnify the program's own work S
// times, so the figure is an upper bound of the overhead at real speed).
// Each iteration is one run of each runbook; run with -benchtime 1x.
func BenchmarkRunOverhead(b *testing.B) {
	cases := []struct {
		name string
		o    engine.Options
		// timed: run twice in one state directory and measure the second
		// run, whose waits the engine expects from the first's timings
		// (timings/<runbook>.rehearsal.json) instead of its policies' usual durations.
		timed bool
	}{
		{"restore-pulumi", engine.Options{Runbook: "restore", Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}, false},
		{"restore-console", engine.Options{Runbook: "restore", Flags: map[string]string{"method": "console", "lost": "whole"}}, false},
		{"restore-pulumi-timed", engine.Options{Runbook: "restore", Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}, true},
		{"restore-console-timed", engine.Options{Runbook: "restore", Flags: map[string]string{"method": "console", "lost": "whole"}}, true},
		{"deploy", engine.Options{Runbook: "deploy"}, false},
	}
	for _, speed := range []float64{60, 600} {
		for _, c := range cases {
			b.Run(fmt.Sprintf("%s/speed=%g", c.name, speed), func(b *testing.B) {
				var r runResult
				for i := 0; i < b.N; i++ {
					o := c.o
					if c.timed {
						o.StateDir = b.TempDir()
						if first := rehearse(b, o, speed); first.Err != nil {
							b.Fatalf("%s, first run: %v", c.name, first.Err)
						}
					}
					r = rehearse(b, o, speed)
					if r.Err != nil {
						b.Fatalf("%s failed: %v", c.name, r.Err)
					}
				}
				var worst stepCost
				var total time.Duration
				var lines []string
				for _, s := range r.Steps {
					total += s.Overhead
					if s.Overhead > worst.Overhead {
						worst = s
					}
					lines = append(lines, fmt.Sprintf("%-22s elapsed %7.1fs  aws %7.1fs  overhead %6.2fs (wall %5.3fs)",
						s.ID, s.Elapsed.Seconds(), s.AWS.Seconds(), s.Overhead.Seconds(), s.Overhead.Seconds()/speed))
				}
				// The table goes to stdout: the testing package cuts long benchmark logs.
				fmt.Printf("%s at speed %g: simulated %.0fs in %.1fs wall, %d requests (%.1f/min simulated, %.2f%% of budget)\n  %s\n",
					c.name, speed, r.Sim.Seconds(), r.Wall.Seconds(), r.Requests,
					float64(r.Requests)/r.Sim.Minutes(), 100*float64(r.Requests)/r.Sim.Minutes()/Budget, strings.Join(lines, "\n  "))
				if len(r.Detect) > 0 {
					d := Summarize(r.Detect)
					fmt.Printf("  status change in the simulator → status event in the journal: %s\n", d)
					b.ReportMetric(d.Median.Seconds(), "journal-detect-median-s")
					b.ReportMetric(d.P95.Seconds(), "journal-detect-p95-s")
				}
				b.ReportMetric(worst.Overhead.Seconds(), "worst-step-overhead-s")
				b.ReportMetric(total.Seconds(), "total-overhead-s")
				b.ReportMetric(r.Sim.Seconds(), "sim-s")
				b.ReportMetric(float64(r.Requests)/r.Sim.Minutes(), "req/min")
			})
		}
	}
}
