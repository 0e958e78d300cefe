package rdssim

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

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

// wantCode fails unless err is an API error with that code and HTTP status.
func wantCode(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %s, got success", code)
	}
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("want error code %s, got %v", code, err)
	}
	var re *awshttp.ResponseError
	if status != 0 && (!errors.As(err, &re) || re.HTTPStatusCode() != status) {
		t.Fatalf("want HTTP %d for %s, got %v", status, code, err)
	}
}

// must returns v, or panics (failing the test with a stack) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// instance describes one instance by identifier.
func (e *env) instance(t testing.TB, id string) types.DBInstance {
	t.Helper()
	out := must(e.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}))
	if len(out.DBInstances) != 1 {
		t.Fatalf("describe %s: %d instances", id, len(out.DBInstances))
	}
	return out.DBInstances[0]
}

func (e *env) status(t testing.TB, id string) string {
	t.Helper()
	return aws.ToString(e.instance(t, id).DBInstanceStatus)
}

// messages returns the messages of the events of a source in the last day.
func (e *env) messages(t testing.TB, typ types.SourceType, id string) []string {
	t.Helper()
	out := must(e.rds.DescribeEvents(context.Background(), &rds.DescribeEventsInput{
		SourceType: typ, SourceIdentifier: aws.String(id), Duration: aws.Int32(1440),
	}))
	var msgs []string
	for _, ev := range out.Events {
		msgs = append(msgs, aws.ToString(ev.Message))
	}
	return msgs
}
