package bench

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/clock"
)

// awsCLI is Debian's AWS CLI v2; an `aws` earlier on PATH may be a v1.
const awsCLI = "/usr/bin/aws"

// firstSeen records when each instance identifier was first asked about by
// DescribeDBInstances (the first check of a waiter).
type firstSeen struct {
	mu    sync.Mutex
	first map[string]time.Time
}

func (f *firstSeen) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == "DescribeDBInstances" {
			if id := form.Get("DBInstanceIdentifier"); id != "" {
				f.mu.Lock()
				if _, ok := f.first[id]; !ok {
					f.first[id] = time.Now()
				}
				f.mu.Unlock()
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (f *firstSeen) get(id string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.first[id]
	return t, ok
}

// BenchmarkDetectionRealTime runs, in one real-time run against one
// simulator, the shared poller (5 s and 10 s), the SDK's DBInstanceAvailable
// waiter with its defaults and `aws rds wait db-instance-available` (the
// Debian AWS CLI v2, as a process), ten instances each. Every instance turns
// "available" at a random moment 1–29 s after its watcher's first check;
// latency is from that moment to the poller's Change, the waiter's return or
// the CLI's exit. One iteration takes about 40 s: run it with -benchtime 1x.
func BenchmarkDetectionRealTime(b *testing.B) {
	if _, err := os.Stat(awsCLI); err != nil {
		b.Fatalf("this benchmark needs the AWS CLI v2 at %s: apt-get install awscli", awsCLI)
	}
	const n = 10
	var lat = map[string][]time.Duration{}
	rng := rand.New(rand.NewPCG(30, 30))
	for it := 0; it < b.N; it++ {
		rec := &firstSeen{first: map[string]time.Time{}}
		env, err := NewSimEnvWrapped(clock.Real{}, "default", rec.wrap)
		if err != nil {
			b.Fatal(err)
		}
		groups := map[string][]string{"poll5s": IDs("pollfive", n), "poll10s": IDs("pollten", n), "sdk": IDs("sdk", n), "cli": IDs("cli", n)}
		for _, ids := range groups {
			env.AddInstances(ids, "modifying")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		var mu sync.Mutex
		flipped := map[string]time.Time{}
		detected := map[string]time.Time{}
		note := func(id string, at time.Time) {
			mu.Lock()
			if _, ok := detected[id]; !ok {
				detected[id] = at
			}
			mu.Unlock()
		}
		var wg sync.WaitGroup
		// The pollers' first check is when Run starts.
		for _, g := range []struct {
			ids      []string
			interval time.Duration
		}{{groups["poll5s"], 5 * time.Second}, {groups["poll10s"], 10 * time.Second}} {
			p := awsclient.NewPoller(env.Client, clock.Real{}, awsclient.PollerOptions{Interval: g.interval})
			samples := WatchAll(ctx, p, "instance", g.ids, awsclient.Expect{})
			now := time.Now()
			rec.mu.Lock()
			for _, id := range g.ids {
				rec.first[id] = now
			}
			rec.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range samples {
					if c.Kind == "instance" && c.NewStatus == "available" {
						note(c.ID, c.At)
					}
				}
			}()
			go func() { _ = p.Run(ctx) }()
		}
		for _, id := range groups["sdk"] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := rds.NewDBInstanceAvailableWaiter(env.RDS)
				if err := w.Wait(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}, 3*time.Minute); err != nil {
					b.Errorf("sdk waiter for %s: %v", id, err)
					return
				}
				note(id, time.Now())
			}()
		}
		home := b.TempDir()
		for _, id := range groups["cli"] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.CommandContext(ctx, awsCLI, "rds", "wait", "db-instance-available",
					"--db-instance-identifier", id, "--endpoint-url", env.URL, "--region", "eu-west-2")
				cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=secret",
					"AWS_CONFIG_FILE=" + home + "/none", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/none", "AWS_PAGER="}
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Errorf("aws rds wait for %s: %v: %s", id, err, out)
					return
				}
				note(id, time.Now())
			}()
		}
		// Flip each instance 1–29 s after its watcher's first check.
		var all []string
		for _, ids := range groups {
			all = append(all, ids...)
		}
		pending := map[string]time.Time{}
		for len(flipped) < len(all) && ctx.Err() == nil {
			now := time.Now()
			for _, id := range all {
				if _, done := flipped[id]; done {
					continue
				}
				first, ok := rec.get(id)
				if !ok {
					continue
				}
				at, planned := pending[id]
				if !planned {
					at = first.Add(time.Second + time.Duration(rng.Int64N(int64(28*time.Second))))
					pending[id] = at
				}
				if !now.Before(at) {
					env.SetInstanceStatus(id, "available")
					mu.Lock()
					flipped[id] = time.Now()
					mu.Unlock()
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Wait for the waiters and the CLI, then stop the pollers.
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			mu.Lock()
			done := len(detected) == len(all)
			mu.Unlock()
			if done {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		wg.Wait()
		env.Close()
		for g, ids := range groups {
			for _, id := range ids {
				d, ok := detected[id]
				if !ok {
					b.Fatalf("%s: %s was never seen available", g, id)
				}
				lat[g] = append(lat[g], d.Sub(flipped[id]))
			}
		}
	}
	for _, g := range []string{"poll5s", "poll10s", "sdk", "cli"} {
		s := Summarize(lat[g])
		b.Logf("%-8s %s", g, s)
		b.ReportMetric(s.Median.Seconds(), g+"-median-s")
		b.ReportMetric(s.P95.Seconds(), g+"-p95-s")
	}
}
