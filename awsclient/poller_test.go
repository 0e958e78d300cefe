package awsclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// drain returns the samples a watcher has been sent so far. The poller
// sends before PollOnce returns, so after one this is exact.
func drain(ch <-chan awsclient.Change) []awsclient.Change {
	var out []awsclient.Change
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, c)
		default:
			return out
		}
	}
}

// transitions renders samples as "id: old→new" lines.
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

// watchCtx is a context for watches that ends with the test.
func watchCtx(t testing.TB) context.Context {
	c, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return c
}

// TestPollerFollowsRename steps one cycle at a time through a rename: the
// instance is never reported gone while neither name answers, and comes
// back under its new name.
func TestPollerFollowsRename(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	ch := p.Watch(watchCtx(t), "instance", app, awsclient.Expect{})
	step := func(d time.Duration) string {
		clk.Advance(d)
		if err := p.PollOnce(ctx(t)); err != nil {
			t.Fatal(err)
		}
		return transitions(drain(ch))
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
	if c, _ := p.Latest("instance", app); c.Instance == nil || c.Instance.Pending.InstanceID != app+"-original" {
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
	for _, id := range []string{app, app + "-original"} {
		if c, ok := p.Latest("instance", id); !ok || c.Instance.ID != app+"-original" || c.NewStatus != "available" || c.Watched != app {
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
	ch := p.Watch(watchCtx(t), "instance", app, awsclient.Expect{})
	_ = p.PollOnce(ctx(t))
	drain(ch)
	if _, err := e.raw.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(app),
		NewDBInstanceIdentifier: aws.String("app-renamed"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(rdssim.RenameDone + time.Second)
	before := p.Stats().Requests
	if err := p.PollOnce(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := transitions(drain(ch)); got != "app-renamed (was app5ec7032): available→available\n" {
		t.Errorf("got %q", got)
	}
	if cost := p.Stats().Requests - before; cost != 2 {
		t.Errorf("the cycle cost %d requests, want 2 (the sample and one lookup by resource id)", cost)
	}
}

// TestPollerWatchByResourceID: watched by its resource id, an instance is
// found, followed through a rename, and not confused with a new instance
// that takes its old name.
func TestPollerWatchByResourceID(t *testing.T) {
	e, clk := newEnv(t, "default")
	in, err := e.c.Instance(ctx(t), app)
	if err != nil {
		t.Fatal(err)
	}
	p := awsclient.NewPoller(e.c, clk, noJitter())
	ch := p.Watch(watchCtx(t), "instance", in.ResourceID, awsclient.Expect{})
	step := func(d time.Duration) string {
		clk.Advance(d)
		if err := p.PollOnce(ctx(t)); err != nil {
			t.Fatal(err)
		}
		return transitions(drain(ch))
	}
	if got := step(0); got != "app5ec7032: →available\n" {
		t.Errorf("first sample: %q", got)
	}
	if _, err := e.raw.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(app),
		NewDBInstanceIdentifier: aws.String("app-old"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(rdssim.RenameDone + time.Second)
	// Another instance takes the old name meanwhile (a console restore's swap).
	e.sim.Mutate(func(w *rdssim.World) {
		src := w.Instance("app-old")
		cp := *src
		cp.ID, cp.ResourceID, cp.Status, cp.Transitions = app, "db-SOMEONEELSE0000000000000", "creating", nil
		w.Instances = append(w.Instances, &cp)
	})
	if got := step(0); got != "app-old (was app5ec7032): available→available\n" {
		t.Errorf("after the rename and the swap: %q", got)
	}
	if c, ok := p.Latest("instance", in.ResourceID); !ok || c.Instance.ResourceID != in.ResourceID {
		t.Errorf("Latest by resource id = %+v, %v", c, ok)
	}
}

// TestPollerDeleteWithFinalSnapshot watches what a Pulumi replacement does
// to the old instance: deleting, its final snapshot appearing, then gone.
func TestPollerDeleteWithFinalSnapshot(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	wctx := watchCtx(t)
	inst := p.Watch(wctx, "instance", app, awsclient.Expect{})
	snap := p.Watch(wctx, "snapshot", "final-before-deletion", awsclient.Expect{})
	if c := drain(p.Watch(wctx, "snapshot", "final--bad", awsclient.Expect{})); len(c) != 1 || !errors.Is(c[0].Err, awsclient.ErrInvalidInput) || c[0].Error == "" {
		t.Errorf("bad snapshot name watched: %+v", c)
	}
	var all []awsclient.Change
	step := func(d time.Duration) {
		clk.Advance(d)
		if err := p.PollOnce(ctx(t)); err != nil {
			t.Fatal(err)
		}
		all = append(all, drain(inst)...)
		all = append(all, drain(snap)...)
	}
	step(0)
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
		"final-before-deletion: →gone", // the first sample: not there yet
		"app5ec7032: available→deleting",
		"final-before-deletion: →creating",
		"final-before-deletion: creating→available",
		"app5ec7032: deleting→gone",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if c, ok := p.Latest("instance", app); !ok || !c.Gone {
		t.Errorf("Latest after deletion = %+v", c)
	}
	st := p.Stats()
	if st.Requests != 2*st.Cycles {
		t.Errorf("%d requests in %d cycles, want 2 per cycle (instances and snapshots)", st.Requests, st.Cycles)
	}
}

// TestPollerThrottled: the poller makes one attempt per call (no SDK
// retries), sends failures as samples with their error (and its text) and
// keeps going.
func TestPollerThrottled(t *testing.T) {
	e, clk := newEnv(t, "throttling")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	ch := p.Watch(watchCtx(t), "instance", app, awsclient.Expect{})
	kinds := map[awsclient.Kind]int{}
	var samples []awsclient.Change
	for i := 0; i < 60; i++ {
		clk.Advance(5 * time.Second)
		if err := p.PollOnce(ctx(t)); err != nil {
			kinds[awsclient.KindOf(err)]++
		}
		samples = append(samples, drain(ch)...)
	}
	if kinds[awsclient.KindThrottled] != 12 || kinds[awsclient.KindNetwork] != 2 {
		t.Errorf("failures by kind %v, want 12 throttled (4 in each 20) and 2 server errors", kinds)
	}
	errs, first := 0, 0
	for _, c := range samples {
		switch {
		case c.Err != nil:
			errs++
			if c.ID != "" || c.Error != c.Err.Error() || !strings.Contains(c.Error, "hrottl") && awsclient.KindOf(c.Err) == awsclient.KindThrottled {
				t.Errorf("failed sample %+v: want no ID and the error's text", c)
			}
		case c.NewStatus == "available":
			first++
		}
	}
	if errs != 14 || p.Stats().Errors != 14 || first != 1 {
		t.Errorf("%d error samples (%d counted), %d status samples; want 14 and the first sample once", errs, p.Stats().Errors, first)
	}
	if e.sim.Requests() != 60 {
		t.Errorf("60 cycles sent %d requests; the poller must not retry inside a cycle", e.sim.Requests())
	}
}

// TestPollerFanOut: every watcher gets its own first sample, taken after it
// started watching, even when nothing changes; watchers of one resource
// share its requests; a resource that does not exist is Gone; a watcher
// whose context ends has its channel closed, and a resource nobody watches
// is no longer asked about.
func TestPollerFanOut(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	first := p.Watch(watchCtx(t), "instance", app, awsclient.Expect{})
	if err := p.PollOnce(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := transitions(drain(first)); got != "app5ec7032: →available\n" {
		t.Errorf("first watcher: %q", got)
	}
	clk.Advance(time.Minute)
	lateCtx, stopLate := context.WithCancel(context.Background())
	late := p.Watch(lateCtx, "instance", app, awsclient.Expect{})
	missing := p.Watch(watchCtx(t), "instance", "not-there", awsclient.Expect{})
	if got := drain(late); len(got) != 0 {
		t.Errorf("a sample older than the watch was sent: %+v", got)
	}
	before := p.Stats().Requests
	if err := p.PollOnce(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := p.Stats().Requests - before; n != 1 {
		t.Errorf("three watchers of two instances cost %d requests, want 1", n)
	}
	got := drain(late)
	if len(got) != 1 || got[0].NewStatus != "available" || !got[0].At.Equal(clk.Now()) {
		t.Errorf("late watcher's first sample %+v, want the instance as it is now", got)
	}
	if got := drain(first); len(got) != 0 {
		t.Errorf("the first watcher got %q with nothing changed", transitions(got))
	}
	if got := transitions(drain(missing)); got != "not-there: →gone\n" {
		t.Errorf("missing instance: %q", got)
	}
	stopLate()
	if _, ok := <-late; ok {
		t.Error("the channel stayed open after its context ended")
	}
	if c := drain(p.Watch(watchCtx(t), "volume", "x", awsclient.Expect{})); len(c) != 1 || c[0].Err == nil {
		t.Errorf("unknown kind: %+v", c)
	}
}

// runPoller runs p until stop is called, advancing the manual clock in
// steps while the poller waits.
func runPoller(t *testing.T, p *awsclient.Poller, clk *clock.Manual, step time.Duration) (stop func()) {
	t.Helper()
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	stopClock := driveClock(clk, step)
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
	wctx := watchCtx(t)
	_ = p.Watch(wctx, "instance", app, awsclient.Expect{})
	ch := p.Watch(wctx, "instance", "app5ec7032-restored", awsclient.Expect{})
	stop := runPoller(t, p, clk, time.Second)
	if _, err := e.c.Restore(ctx(t), settingsOf(t, e, "after-postgres-update-167", "app5ec7032-restored")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for c := range ch {
		if c.Err != nil {
			t.Fatalf("poll failed: %v\n%v", c.Err, errors.Unwrap(c.Err))
		}
		if c.OldStatus != c.NewStatus {
			got = append(got, c.OldStatus+"→"+c.NewStatus)
			if c.NewStatus == "available" {
				break
			}
		}
	}
	stop()
	// The first sample may be taken before the restore request (gone) or after it.
	if s := strings.TrimPrefix(strings.Join(got, " "), "→ "); s != "→creating creating→backing-up backing-up→available" {
		t.Errorf("restored instance went %q", strings.Join(got, " "))
	}
	for range ch {
		// Run returned: the channel closes after the samples left in it.
	}
	st := p.Stats()
	if st.Share > 0.01 {
		t.Errorf("request rate %.3f/s (%.2f%% of 12/s) exceeds 1 %% of the budget", st.Rate, 100*st.Share)
	}
	if err := p.Run(context.Background()); err == nil {
		t.Error("a second Run was allowed")
	}
}

// TestPollerSpendsWhereDue: told when a restore's instance is due, the
// poller looks rarely before the window, often in it, and notices the
// change within a few seconds, at no more than 1 % of the budget over the
// wait.
func TestPollerSpendsWhereDue(t *testing.T) {
	e, clk := newEnv(t, "default")
	const id = "app5ec7032-restored"
	if _, err := e.c.Restore(ctx(t), settingsOf(t, e, "after-postgres-update-167", id)); err != nil {
		t.Fatal(err)
	}
	due := clk.Now().Add(rdssim.CreateDuration + rdssim.InitialBackup)
	// The poller's requests, timed on the simulated clock as they arrive.
	var requestsAt []time.Time
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requestsAt = append(requestsAt, clk.Now())
		mu.Unlock()
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := awsclient.New(e.cfg, awsclient.WithEndpoint(srv.URL), awsclient.WithClock(clk))
	p := awsclient.NewPoller(c, clk, awsclient.PollerOptions{})
	ch := p.Watch(watchCtx(t), "instance", id, awsclient.Expect{After: 7 * time.Minute, Within: time.Minute})
	stop := runPoller(t, p, clk, 100*time.Millisecond)
	var seen time.Time
	for c := range ch {
		if c.NewStatus == "available" {
			seen = c.At
			break
		}
	}
	stop()
	if late := seen.Sub(due); late < 0 || late > 3*time.Second {
		t.Errorf("noticed %s after the change, want within 3 s (the pace in the window)", late)
	}
	mu.Lock()
	defer mu.Unlock()
	before, inWindow := 0, 0
	for _, at := range requestsAt {
		if at.Before(t0.Add(6 * time.Minute)) {
			before++
		} else {
			inWindow++
		}
	}
	// The first sample, then one look a minute until 4 minutes (a window's
	// width before the window), then one every 20 s until it opens at 6.
	if before > 1+4+6+1 {
		t.Errorf("%d requests before the window, want about 11", before)
	}
	if share := float64(len(requestsAt)) / seen.Sub(t0).Seconds() / awsclient.AccountRequestRate; share > 0.01 {
		t.Errorf("%d requests in %s: %.2f%% of the budget, want at most 1 %%", len(requestsAt), seen.Sub(t0), 100*share)
	}
	t.Logf("%d requests before the window, %d in it; noticed %s after the change", before, inWindow, seen.Sub(due))
}

// TestPollerNoTimerLeftBehind: a Watch before Run pokes the loop; the
// first plan already sees that watch, so the loop waits on one timer, not
// on one it was poked away from and another (on a discrete-event clock
// every stale timer costs the driver a timeout).
func TestPollerNoTimerLeftBehind(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	ch := p.Watch(watchCtx(t), "instance", app, awsclient.Expect{})
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	if c := <-ch; c.NewStatus != "available" {
		t.Fatalf("first sample: %+v", c)
	}
	for clk.Waiters() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // room for a second timer, if the loop were to set one
	if n := clk.Waiters(); n != 1 {
		t.Errorf("the loop waits on %d timers, want 1", n)
	}
	cancel()
	<-done
}

// TestPollerEventsStandIn: an instance and a snapshot both steady cost one
// DescribeEvents per look instead of two describes, with a describe of each
// every CheckEvery; an event naming the instance has it described in the
// same cycle.
func TestPollerEventsStandIn(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	wctx := watchCtx(t)
	inst := p.Watch(wctx, "instance", app, awsclient.Expect{})
	_ = p.Watch(wctx, "snapshot", "after-postgres-update-167", awsclient.Expect{})
	stop := runPoller(t, p, clk, time.Second)
	defer stop()
	for clk.Since(t0) < 12*time.Minute {
		time.Sleep(time.Millisecond)
	}
	counts := e.sim.RequestCounts()
	ev, di, ds := counts["DescribeEvents"], counts["DescribeDBInstances"], counts["DescribeDBSnapshots"]
	// Settled after a minute, then a look every 20 s: about 33 looks in the
	// 11 minutes, of which one in six is a describe (CheckEvery 2 min).
	if ev < 20 || di > 15 || ds > 15 {
		t.Errorf("steady instance and snapshot: %d DescribeEvents, %d DescribeDBInstances, %d DescribeDBSnapshots", ev, di, ds)
	}
	t.Logf("12 minutes of a steady instance and snapshot: %d DescribeEvents, %d DescribeDBInstances, %d DescribeDBSnapshots", ev, di, ds)
	drain(inst)
	if _, err := e.raw.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(app),
		DBInstanceClass: aws.String("db.t3.medium"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	modified := clk.Now()
	for c := range inst {
		if c.NewStatus == "modifying" {
			if late := c.At.Sub(modified); late > 25*time.Second {
				t.Errorf("the modification was noticed %s later, want by the next look (20 s)", late)
			}
			break
		}
	}
}

// TestPollerConcurrentWatch adds and drops watchers from other goroutines
// while the loop runs (run with -race).
func TestPollerConcurrentWatch(t *testing.T) {
	e, clk := newEnv(t, "default")
	addInstances(e, 8)
	p := awsclient.NewPoller(e.c, clk, awsclient.PollerOptions{})
	stop := runPoller(t, p, clk, time.Second)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("extra%03d", i)
			sctx, cancel := context.WithCancel(context.Background())
			_ = p.Watch(sctx, "snapshot", "snap-"+id, awsclient.Expect{})
			cancel()
			for c := range p.Watch(watchCtx(t), "instance", id, awsclient.Expect{After: time.Minute}) {
				if c.Err == nil && c.NewStatus == "available" {
					return
				}
			}
		}(i)
	}
	wg.Wait()
	for i := 0; i < 8; i++ {
		id := fmt.Sprintf("extra%03d", i)
		if c, ok := p.Latest("instance", id); !ok || c.Instance == nil || c.Instance.Status != "available" {
			t.Errorf("Latest(%s) = %+v, %v", id, c, ok)
		}
	}
	stop()
}

// TestPollerFollow: told about a rename, the poller looks under both names
// and finds the instance without a lookup by resource id.
func TestPollerFollow(t *testing.T) {
	e, clk := newEnv(t, "default")
	p := awsclient.NewPoller(e.c, clk, noJitter())
	ch := p.Watch(watchCtx(t), "instance", app, awsclient.Expect{})
	_ = p.PollOnce(ctx(t))
	drain(ch)
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
	if got := transitions(drain(ch)); got != "app-renamed (was app5ec7032): available→rebooting\n" {
		t.Errorf("got %q", got)
	}
	if cost := p.Stats().Requests - before; cost != 1 {
		t.Errorf("the cycle cost %d requests, want 1", cost)
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
			p := awsclient.NewPoller(e.c, clk, awsclient.PollerOptions{})
			wctx := watchCtx(b)
			var chs []<-chan awsclient.Change
			chs = append(chs, p.Watch(wctx, "instance", app, awsclient.Expect{}))
			if bc.instances > 1 {
				addInstances(e, bc.instances-1)
				for i := 0; i < bc.instances-1; i++ {
					chs = append(chs, p.Watch(wctx, "instance", fmt.Sprintf("extra%03d", i), awsclient.Expect{}))
				}
			}
			if bc.snapshots {
				chs = append(chs, p.Watch(wctx, "snapshot", "after-postgres-update-167", awsclient.Expect{}))
			}
			c := context.Background()
			if err := p.PollOnce(c); err != nil {
				b.Fatal(err)
			}
			before := p.Stats().Requests
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.PollOnce(c); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for _, ch := range chs {
				drain(ch)
			}
			b.ReportMetric(float64(p.Stats().Requests-before)/float64(b.N), "requests/cycle")
		})
	}
}
