package awsclient_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
)

// drain returns the changes buffered so far.
func drain(p *awsclient.Poller) []awsclient.Change {
	var out []awsclient.Change
	for {
		select {
		case c, ok := <-p.Changes():
			if !ok {
				return out
			}
			out = append(out, c)
		default:
			return out
		}
	}
}

// transitions renders changes as "id: old→new" lines.
func transitions(cs []awsclient.Change) string {
	var b strings.Builder
	for _, c := range cs {
		switch {
		case c.Err != nil:
			fmt.Fprintf(&b, "error %v\n", awsclient.KindOf(c.Err))
		case c.Gone:
			fmt.Fprintf(&b, "%s: %s→gone\n", c.ID, c.OldStatus)
		case c.PreviousID != "":
			fmt.Fprintf(&b, "%s (was %s): %s→%s\n", c.ID, c.PreviousID, c.OldStatus, c.NewStatus)
		default:
			fmt.Fprintf(&b, "%s: %s→%s\n", c.ID, c.OldStatus, c.NewStatus)
		}
	}
	return b.String()
}

func noJitter() awsclient.PollerOptions { return awsclient.PollerOptions{Jitter: -1} }

// TestPollerFollowsRename steps one cycle at a time through a rename: the
// instance is never reported gone while neither name answers, and comes
// back under its new name.
func TestPollerFollowsRename(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	if err := p.WatchInstance(app); err != nil {
		t.Fatal(err)
	}
	step := func(d time.Duration) string {
		clk.Advance(d)
		if err := p.PollOnce(ctx(t)); err != nil {
			t.Fatal(err)
		}
		return transitions(drain(p))
	}
	if got := step(0); got != "app5ec7032: →available\n" {
		t.Errorf("first sample: %q", got)
	}
	if got := step(5 * time.Second); got != "" {
		t.Errorf("nothing changed, yet: %q", got)
	}
	if _, err := e.raw.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(app),
		NewDBInstanceIdentifier: aws.String(app + "-original"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if got := step(5 * time.Second); got != "app5ec7032: available→renaming\n" {
		t.Errorf("rename started: %q", got)
	}
	if c, _ := p.Latest(app); c.Instance == nil || c.Instance.Pending.InstanceID != app+"-original" {
		t.Errorf("pending rename not in the sample: %+v", c.Instance)
	}
	// 30 s in: neither name answers for 15 s.
	for i := 0; i < 5; i++ {
		if got := step(5 * time.Second); got != "" {
			t.Errorf("in the gap (t=%s): %q", clk.Since(t0), got)
		}
	}
	if got := step(20 * time.Second); got != "app5ec7032-original (was app5ec7032): renaming→rebooting\n" {
		t.Errorf("after the switch: %q", got)
	}
	if got := step(rdssim.RenameDone); got != "app5ec7032-original: rebooting→available\n" {
		t.Errorf("done: %q", got)
	}
	if c, _ := p.Latest(app); c.Watched != app {
		t.Errorf("Watched = %q after the rename, want %q", c.Watched, app)
	}
	for _, id := range []string{app, app + "-original"} {
		if c, ok := p.Latest(id); !ok || c.Instance.ID != app+"-original" || c.NewStatus != "available" {
			t.Errorf("Latest(%s) = %+v, %v", id, c, ok)
		}
	}
	st := p.Stats()
	if got := e.sim.RequestCounts()["DescribeDBInstances"]; got != st.Cycles || st.Requests != st.Cycles {
		t.Errorf("%d cycles made %d requests (simulator saw %d DescribeDBInstances), want one each", st.Cycles, st.Requests, got)
	}
}

// TestPollerRenameUnseen: the whole rename happens between two samples; the
// poller finds the instance again by its resource id.
func TestPollerRenameUnseen(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	_ = p.WatchInstance(app)
	_ = p.PollOnce(ctx(t))
	drain(p)
	if _, err := e.raw.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(app),
		NewDBInstanceIdentifier: aws.String("app-renamed"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(rdssim.RenameDone + time.Second)
	before := p.Stats().Requests
	if err := p.PollOnce(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := transitions(drain(p)); got != "app-renamed (was app5ec7032): available→available\n" {
		t.Errorf("got %q", got)
	}
	if cost := p.Stats().Requests - before; cost != 2 {
		t.Errorf("the cycle cost %d requests, want 2 (the sample and one lookup by resource id)", cost)
	}
}

// TestPollerDeleteWithFinalSnapshot watches what a Pulumi replacement does
// to the old instance: deleting, its final snapshot appearing, then gone.
func TestPollerDeleteWithFinalSnapshot(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	_ = p.WatchInstance(app)
	_ = p.WatchSnapshot("final-before-deletion")
	if err := p.WatchSnapshot("final--bad"); !errors.Is(err, awsclient.ErrInvalidInput) {
		t.Errorf("bad snapshot name watched: %v", err)
	}
	var all []awsclient.Change
	step := func(d time.Duration) {
		clk.Advance(d)
		if err := p.PollOnce(ctx(t)); err != nil {
			t.Fatal(err)
		}
		all = append(all, drain(p)...)
	}
	step(0)
	if _, ok := p.Latest("final-before-deletion"); ok {
		t.Error("a snapshot that does not exist yet has a sample")
	}
	if _, err := e.raw.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(app),
		FinalDBSnapshotIdentifier: aws.String("final-before-deletion")}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		step(5 * time.Second)
	}
	var lines []string
	for _, l := range strings.Split(transitions(all), "\n") {
		// Percent progress makes more snapshot samples; keep status changes.
		if l != "" && !strings.Contains(l, "creating→creating") {
			lines = append(lines, l)
		}
	}
	want := []string{
		"app5ec7032: →available",
		"app5ec7032: available→deleting",
		"final-before-deletion: →creating",
		"final-before-deletion: creating→available",
		"app5ec7032: deleting→gone",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if c, ok := p.Latest(app); !ok || !c.Gone {
		t.Errorf("Latest after deletion = %+v", c)
	}
	st := p.Stats()
	if st.Requests != 2*st.Cycles {
		t.Errorf("%d requests in %d cycles, want 2 per cycle (instances and snapshots)", st.Requests, st.Cycles)
	}
}

// TestPollerThrottled: the poller makes one attempt per call (no SDK
// retries), reports failures as typed errors and keeps going.
func TestPollerThrottled(t *testing.T) {
	e, clk := newEnv(t, "throttling")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	_ = p.WatchInstance(app)
	kinds := map[awsclient.Kind]int{}
	for i := 0; i < 60; i++ {
		clk.Advance(5 * time.Second)
		if err := p.PollOnce(ctx(t)); err != nil {
			kinds[awsclient.KindOf(err)]++
		}
	}
	if kinds[awsclient.KindThrottled] != 12 || kinds[awsclient.KindNetwork] != 2 {
		t.Errorf("failures by kind %v, want 12 throttled (4 in each 20) and 2 server errors", kinds)
	}
	changes := drain(p)
	errs := 0
	for _, c := range changes {
		if c.Err != nil {
			errs++
		}
	}
	if errs != 14 || p.Stats().Errors != 14 {
		t.Errorf("%d error changes, %d counted, want 14", errs, p.Stats().Errors)
	}
	if e.sim.Requests() != 60 {
		t.Errorf("60 cycles sent %d requests; the poller must not retry inside a cycle", e.sim.Requests())
	}
}

// runPoller runs p until stop is called, advancing the manual clock in 1 s
// steps while the poller waits.
func runPoller(t *testing.T, p *awsclient.Poller, clk *clock.Manual) (stop func()) {
	t.Helper()
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	stopClock := driveClock(clk, time.Second)
	return func() {
		stopClock()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v", err)
		}
	}
}

// TestPollerRunRestore runs the loop through a restore and checks the
// sequence of statuses and the request budget.
func TestPollerRunRestore(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, awsclient.PollerOptions{})
	_ = p.WatchInstance(app)
	_ = p.WatchInstance("app5ec7032-restored")
	stop := runPoller(t, p, clk)
	if _, err := e.c.Restore(ctx(t), settingsOf(t, e, "after-postgres-update-167", "app5ec7032-restored")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for c := range p.Changes() {
		if c.Err != nil {
			t.Fatalf("poll failed: %v\n%v", c.Err, errors.Unwrap(c.Err))
		}
		if c.ID == "app5ec7032-restored" && c.OldStatus != c.NewStatus {
			got = append(got, c.OldStatus+"→"+c.NewStatus)
			if c.NewStatus == "available" {
				break
			}
		}
	}
	stop()
	if want := "→creating creating→backing-up backing-up→available"; strings.Join(got, " ") != want {
		t.Errorf("restored instance went %q, want %q", strings.Join(got, " "), want)
	}
	for range p.Changes() {
		// Run closed Changes after the samples left in it.
	}
	st := p.Stats()
	if st.Rate > awsclient.DefaultMaxRate || st.Share > 0.0167 {
		t.Errorf("request rate %.3f/s (%.2f%% of 12/s) exceeds the budget", st.Rate, 100*st.Share)
	}
	if err := p.Run(context.Background()); err == nil {
		t.Error("a second Run was allowed")
	}
}

// TestPollerIdleBudget: a single steady instance costs well under 1 % of
// the account's budget once settled.
func TestPollerIdleBudget(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, awsclient.PollerOptions{})
	_ = p.WatchInstance(app)
	stop := runPoller(t, p, clk)
	for clk.Since(t0) < 30*time.Minute {
		select {
		case <-p.Changes():
		default:
			time.Sleep(100 * time.Microsecond)
		}
	}
	stop()
	st := p.Stats()
	// 12 cycles in the first minute, then one every 20-22 s.
	if st.Share > 0.01 || st.Cycles < 60 {
		t.Errorf("%d cycles, %d requests in %s: %.4f req/s = %.2f%% of 12/s, want under 1%%",
			st.Cycles, st.Requests, clk.Since(t0), st.Rate, 100*st.Share)
	}
	t.Logf("single steady instance over 30 simulated minutes: %d requests, %.3f req/s, %.2f%% of 12 req/s", st.Requests, st.Rate, 100*st.Share)
}

// TestPollerConcurrentWatch adds and removes watches from other goroutines
// while the loop runs (run with -race).
func TestPollerConcurrentWatch(t *testing.T) {
	e, clk := newEnv(t, "default")
	addInstances(e, 8)
	p := awsclient.NewPoller(e.c, clk, awsclient.PollerOptions{})
	stop := runPoller(t, p, clk)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("extra%03d", i)
			_ = p.WatchInstance(id)
			_ = p.WatchSnapshot("snap-" + id)
			p.Latest(id)
			p.Unwatch("snap-" + id)
		}(i)
	}
	wg.Wait()
	seen := map[string]bool{}
	for c := range p.Changes() {
		if c.Err == nil && c.NewStatus == "available" {
			seen[c.ID] = true
		}
		if len(seen) == 8 {
			break
		}
	}
	stop()
	for i := 0; i < 8; i++ {
		id := fmt.Sprintf("extra%03d", i)
		if c, ok := p.Latest(id); !ok || c.Instance == nil || c.Instance.Status != "available" {
			t.Errorf("Latest(%s) = %+v, %v", id, c, ok)
		}
	}
	st := p.Stats()
	if st.Requests > 2*st.Cycles {
		t.Errorf("%d requests for %d cycles of 8 instances: want at most 2 per cycle", st.Requests, st.Cycles)
	}
}

// BenchmarkPollCycle measures one poll cycle against the simulator over
// HTTP through the real SDK client.
func BenchmarkPollCycle(b *testing.B) {
	for _, bc := range []struct {
		name      string
		instances int
		snapshots bool
	}{
		{"1-instance", 1, false},
		{"1-instance+1-snapshot", 1, true},
		{"10-instances", 10, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e, clk := newEnv(b, "default")
			p := awsclient.NewPoller(e.c, clk, awsclient.PollerOptions{Buffer: 1024})
			_ = p.WatchInstance(app)
			if bc.instances > 1 {
				addInstances(e, bc.instances-1)
				for i := 0; i < bc.instances-1; i++ {
					_ = p.WatchInstance(fmt.Sprintf("extra%03d", i))
				}
			}
			if bc.snapshots {
				_ = p.WatchSnapshot("after-postgres-update-167")
			}
			c := context.Background()
			if err := p.PollOnce(c); err != nil {
				b.Fatal(err)
			}
			drain(p)
			before := p.Stats().Requests
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.PollOnce(c); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(p.Stats().Requests-before)/float64(b.N), "requests/cycle")
		})
	}
}

// TestPollerFollow: told about a rename, the poller looks under both names
// and finds the instance without a lookup by resource id.
func TestPollerFollow(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	_ = p.WatchInstance(app)
	_ = p.PollOnce(ctx(t))
	drain(p)
	if err := p.Follow(app, "app-renamed"); err != nil {
		t.Fatal(err)
	}
	if err := p.Follow(app, "bad--name"); !errors.Is(err, awsclient.ErrInvalidInput) {
		t.Errorf("Follow to a bad name: %v", err)
	}
	if _, err := e.raw.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(app),
		NewDBInstanceIdentifier: aws.String("app-renamed"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(rdssim.RenameSwitch + time.Second)
	before := p.Stats().Requests
	if err := p.PollOnce(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := transitions(drain(p)); got != "app-renamed (was app5ec7032): available→rebooting\n" {
		t.Errorf("got %q", got)
	}
	if cost := p.Stats().Requests - before; cost != 1 {
		t.Errorf("the cycle cost %d requests, want 1", cost)
	}
}
