package bench

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
)

// Budget is the account's RDS request budget per minute: 12 requests/s
// sustained per account and region, shared with every other tool.
const Budget = awsclient.AccountRequestRate * 60

// Start is the simulated "now" every benchmark starts at.
var Start = time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)

// Summary condenses a sample of durations.
type Summary struct {
	N      int
	Median time.Duration
	P95    time.Duration
	Max    time.Duration
}

// String formats the summary in seconds.
func (s Summary) String() string {
	return fmt.Sprintf("n=%d median=%.2fs p95=%.2fs max=%.2fs", s.N, s.Median.Seconds(), s.P95.Seconds(), s.Max.Seconds())
}

// Percentile returns the p-th percentile (0 < p <= 100) of ds by the
// nearest-rank method; zero for an empty sample.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(s) {
		rank = len(s)
	}
	return s[rank-1]
}

// Summarize returns the count, median, 95th percentile and maximum of ds.
func Summarize(ds []time.Duration) Summary {
	return Summary{N: len(ds), Median: Percentile(ds, 50), P95: Percentile(ds, 95), Max: Percentile(ds, 100)}
}

// SimEnv is one simulator behind a real HTTP server, with the real SDK
// clients pointed at it.
type SimEnv struct {
	Sim    *rdssim.Sim
	URL    string
	Client *awsclient.Client
	RDS    *rds.Client
	srv    *httptest.Server
}

// NewSimEnv starts a simulator of the scenario on clk behind an HTTP server.
func NewSimEnv(clk clock.Clock, scenario string) (*SimEnv, error) {
	return NewSimEnvWrapped(clk, scenario, nil)
}

// NewSimEnvWrapped is NewSimEnv with the simulator's handler wrapped (to
// record requests); a nil wrap serves the simulator as it is.
func NewSimEnvWrapped(clk clock.Clock, scenario string, wrap func(http.Handler) http.Handler) (*SimEnv, error) {
	sim, err := rdssim.New(rdssim.Options{Clock: clk, Scenario: scenario})
	if err != nil {
		return nil, fmt.Errorf("bench: start simulator: %w", err)
	}
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	cfg := aws.Config{Region: rdssim.DefaultRegion, Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", "")}
	raw := rds.NewFromConfig(cfg, func(o *rds.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	c := awsclient.New(cfg, awsclient.WithEndpoint(srv.URL), awsclient.WithClock(clk))
	return &SimEnv{Sim: sim, URL: srv.URL, Client: c, RDS: raw, srv: srv}, nil
}

// Close stops the HTTP server.
func (e *SimEnv) Close() { e.srv.Close() }

// Requests is how many requests the simulator has answered, all actions.
func (e *SimEnv) Requests() int64 {
	var n int64
	for _, v := range e.Sim.RequestCounts() {
		n += v
	}
	return n
}

// AddInstances adds copies of the default instance under ids, in status.
func (e *SimEnv) AddInstances(ids []string, status string) {
	e.Sim.Mutate(func(w *rdssim.World) {
		src := w.Instance(rdssim.DefaultInstanceID)
		for i, id := range ids {
			cp := *src
			cp.ID = id
			cp.ResourceID = fmt.Sprintf("db-BENCH%018d", i)
			cp.Status = status
			cp.Transitions = nil
			w.Instances = append(w.Instances, &cp)
		}
	})
}

// AddSnapshots adds manual snapshots of the default instance under ids, in
// status.
func (e *SimEnv) AddSnapshots(ids []string, status string) {
	e.Sim.Mutate(func(w *rdssim.World) {
		var src *rdssim.Snapshot
		for _, s := range w.Snapshots {
			if s.InstanceID == rdssim.DefaultInstanceID {
				src = s
				break
			}
		}
		for _, id := range ids {
			cp := *src
			cp.ID = id
			cp.Type = "manual"
			cp.Status = status
			cp.Ready = w.Start.Add(24 * time.Hour * 365)
			w.Snapshots = append(w.Snapshots, &cp)
		}
	})
}

// SetInstanceStatus sets an instance's status out of band, at the clock's
// current time: the status change whose detection the benchmarks time.
func (e *SimEnv) SetInstanceStatus(id, status string) {
	e.Sim.Mutate(func(w *rdssim.World) {
		if in := w.Instance(id); in != nil {
			in.Status = status
		}
	})
}

// SetSnapshotStatus sets a snapshot's status out of band.
func (e *SimEnv) SetSnapshotStatus(id, status string) {
	e.Sim.Mutate(func(w *rdssim.World) {
		if s := w.Snapshot(id); s != nil {
			s.Status = status
		}
	})
}

// IDs returns n identifiers prefix-1 … prefix-n.
func IDs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i+1)
	}
	return out
}

// WatchAll watches every id of kind with p (each with exp) and merges the
// samples into one channel, which closes once every watch has ended.
func WatchAll(ctx context.Context, p *awsclient.Poller, kind string, ids []string, exp awsclient.Expect) <-chan awsclient.Change {
	out := make(chan awsclient.Change, 64)
	var wg sync.WaitGroup
	for _, id := range ids {
		ch := p.Watch(ctx, kind, id, exp)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range ch {
				out <- c
			}
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}
