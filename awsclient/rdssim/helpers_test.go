package rdssim

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/datalayer-tool/datalayer/clock"
)

// t0 is the start of every test world.
var t0 = time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)

// env is a simulator behind an httptest server with real SDK clients.
type env struct {
	sim   *Sim
	clk   *clock.Manual
	url   string
	rds   *rds.Client
	sts   *sts.Client
	creds *credentials.StaticCredentialsProvider
}

func fastRetryer(attempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			o.RateLimiter = noRateLimit{}
		})
	}
}

type noRateLimit struct{}

func (noRateLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noRateLimit) AddTokens(uint) error { return nil }

func newEnv(t testing.TB, scenario string) *env {
	t.Helper()
	clk := clock.NewManual(t0)
	s, err := New(Options{Clock: clk, Scenario: scenario})
	if err != nil {
		t.Fatal(err)
	}
	return newEnvFor(t, s, clk, "AKIDTESTSIM0000000001", 3)
}

func newEnvFor(t testing.TB, s *Sim, clk *clock.Manual, key string, attempts int) *env {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	creds := credentials.NewStaticCredentialsProvider(key, "secret", "")
	cfg := aws.Config{
		Region:      "eu-west-2",
		Credentials: creds,
		Retryer:     fastRetryer(attempts),
		HTTPClient:  srv.Client(),
	}
	return &env{
		sim: s, clk: clk, url: srv.URL, creds: &creds,
		rds: rds.NewFromConfig(cfg, func(o *rds.Options) { o.BaseEndpoint = aws.String(srv.URL) }),
		sts: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) }),
	}
}

// stepClock advances by step on every reading: each request moves the
// simulation on by a fixed amount, deterministically.
type stepClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- c.Now().Add(d)
	return ch
}

func (c *stepClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
