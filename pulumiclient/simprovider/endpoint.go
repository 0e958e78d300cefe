package simprovider

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// Environment variables that tune the provider for the simulator's scaled
// clock (real time, not simulated time).
const (
	// EnvPoll is how long to sleep between status polls, e.g. "100ms".
	EnvPoll = "DATALAYER_TEST_PROVIDER_POLL"
	// EnvTimeout bounds every wait for an instance, e.g. "10m".
	EnvTimeout = "DATALAYER_TEST_PROVIDER_TIMEOUT"
)

// MaxAttempts is how many times each AWS call is tried when AWS throttles
// it or fails on its side: the Terraform AWS provider's max_retries default
// (25), which @pulumi/aws inherits. AWS_MAX_ATTEMPTS overrides it, as it
// does for the real provider.
const MaxAttempts = 25

// MaxBackoff caps the wait between two attempts: the AWS SDK's standard
// retryer default, which the Terraform AWS provider keeps.
const MaxBackoff = 20 * time.Second

// settings are what the provider reads from its environment at start-up.
type settings struct {
	endpoint    string
	region      string // AWS_REGION; the stack's aws:region wins
	key, secret string
	token       string
	poll        time.Duration
	timeout     time.Duration
	maxAttempts int
}

// Endpoint returns the RDS endpoint override the provider must use, or an
// error naming what to set: the provider never talks to real AWS.
func Endpoint(getenv func(string) string) (string, error) {
	ep := strings.TrimSpace(getenv("AWS_ENDPOINT_URL_RDS"))
	if ep == "" {
		ep = strings.TrimSpace(getenv("AWS_ENDPOINT_URL"))
	}
	if ep == "" {
		return "", errors.New("no RDS endpoint override: set AWS_ENDPOINT_URL_RDS (or AWS_ENDPOINT_URL) to the RDS simulator's URL (`datalayer sim` prints it); this simulated provider never talks to real AWS")
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("endpoint override %q is not an http(s) URL: point AWS_ENDPOINT_URL_RDS at the RDS simulator, e.g. http://127.0.0.1:4566", ep)
	}
	if h := strings.ToLower(u.Hostname()); h == "amazonaws.com" || strings.HasSuffix(h, ".amazonaws.com") {
		return "", fmt.Errorf("endpoint override %q is a real AWS endpoint: this simulated provider only talks to the RDS simulator", ep)
	}
	return ep, nil
}

// settingsFromEnv reads the provider's settings; it fails without a safe
// endpoint override.
func settingsFromEnv(getenv func(string) string) (settings, error) {
	ep, err := Endpoint(getenv)
	if err != nil {
		return settings{}, err
	}
	s := settings{
		endpoint:    ep,
		region:      getenv("AWS_REGION"),
		key:         getenv("AWS_ACCESS_KEY_ID"),
		secret:      getenv("AWS_SECRET_ACCESS_KEY"),
		token:       getenv("AWS_SESSION_TOKEN"),
		poll:        durationFrom(getenv(EnvPoll), 100*time.Millisecond),
		timeout:     durationFrom(getenv(EnvTimeout), 10*time.Minute),
		maxAttempts: MaxAttempts,
	}
	if n, err := strconv.Atoi(getenv("AWS_MAX_ATTEMPTS")); err == nil && n > 0 {
		s.maxAttempts = n
	}
	if s.key == "" || s.secret == "" {
		// The simulator accepts any signature; never fall back to a profile.
		s.key, s.secret, s.token = "AKIDSIMULATEDPROVIDER", "simulated-provider-secret", ""
	}
	return s, nil
}

func durationFrom(v string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	return def
}

// NewRetryer returns the retryer of the real AWS provider: the SDK's
// standard retryer (throttling, 5xx and transient network errors, jittered
// exponential back-off up to MaxBackoff) trying each call up to maxAttempts
// times, without the SDK's client-side retry quota, which the Terraform AWS
// provider turned off (hashicorp/terraform-provider-aws#36024).
func NewRetryer(maxAttempts int) aws.Retryer {
	if maxAttempts <= 0 {
		maxAttempts = MaxAttempts
	}
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = MaxBackoff
		o.RateLimiter = ratelimit.None
	})
}

// newRDSClient builds an RDS client for the endpoint override, in region.
// It never reads shared config or profiles.
func (s settings) newRDSClient(region string) *rds.Client {
	if region == "" {
		region = s.region
	}
	if region == "" {
		region = "eu-west-2"
	}
	return rds.New(rds.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(s.key, s.secret, s.token),
		Retryer:      NewRetryer(s.maxAttempts),
	})
}
