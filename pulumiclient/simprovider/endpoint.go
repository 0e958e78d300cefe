package simprovider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
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
	// profile, credentialsFile and configFile are AWS_PROFILE,
	// AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE: where a profile's
	// keys are read from.
	profile, credentialsFile, configFile string
	poll                                 time.Duration
	timeout                              time.Duration
	maxAttempts                          int
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
		endpoint:        ep,
		region:          getenv("AWS_REGION"),
		key:             getenv("AWS_ACCESS_KEY_ID"),
		secret:          getenv("AWS_SECRET_ACCESS_KEY"),
		token:           getenv("AWS_SESSION_TOKEN"),
		profile:         getenv("AWS_PROFILE"),
		credentialsFile: getenv("AWS_SHARED_CREDENTIALS_FILE"),
		configFile:      getenv("AWS_CONFIG_FILE"),
		poll:            durationFrom(getenv(EnvPoll), 100*time.Millisecond),
		timeout:         durationFrom(getenv(EnvTimeout), 10*time.Minute),
		maxAttempts:     MaxAttempts,
	}
	if n, err := strconv.Atoi(getenv("AWS_MAX_ATTEMPTS")); err == nil && n > 0 {
		s.maxAttempts = n
	}
	if s.key == "" || s.secret == "" {
		s.key, s.secret, s.token = "", "", ""
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

// Dummy credentials sign the requests when no profile or key is found: the
// simulator accepts any signature.
const (
	dummyKey    = "AKIDSIMULATEDPROVIDER"
	dummySecret = "simulated-provider-secret"
)

// credentials resolves the credentials the real AWS provider would use
// (hashicorp/aws-sdk-go-base v2, which @pulumi/aws inherits): the stack's
// aws:profile beats exported keys; without one, exported keys, then
// AWS_PROFILE. Only a profile's static keys are read from the shared files;
// a profile that is missing or holds no keys (SSO, a role) gives the dummy
// keys, so a rehearsal never needs an AWS set-up. The endpoint always stays
// the simulator's.
func (s settings) credentials(stackProfile string) aws.CredentialsProvider {
	profile := stackProfile
	if profile == "" && s.key == "" {
		profile = s.profile
	}
	if profile != "" {
		sc, err := config.LoadSharedConfigProfile(context.Background(), profile, func(o *config.LoadSharedConfigOptions) {
			if s.credentialsFile != "" {
				o.CredentialsFiles = []string{s.credentialsFile}
			}
			if s.configFile != "" {
				o.ConfigFiles = []string{s.configFile}
			}
		})
		if err == nil && sc.Credentials.HasKeys() {
			return credentials.NewStaticCredentialsProvider(sc.Credentials.AccessKeyID, sc.Credentials.SecretAccessKey, sc.Credentials.SessionToken)
		}
	}
	if s.key != "" {
		return credentials.NewStaticCredentialsProvider(s.key, s.secret, s.token)
	}
	return credentials.NewStaticCredentialsProvider(dummyKey, dummySecret, "")
}

// newRDSClient builds an RDS client for the endpoint override, in region,
// with the exported keys or AWS_PROFILE's (see credentials).
func (s settings) newRDSClient(region string) *rds.Client {
	return s.newRDSClientAs(region, "")
}

// newRDSClientAs is newRDSClient for a stack that names aws:profile.
func (s settings) newRDSClientAs(region, stackProfile string) *rds.Client {
	if region == "" {
		region = s.region
	}
	if region == "" {
		region = "eu-west-2"
	}
	return rds.New(rds.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.endpoint),
		Credentials:  s.credentials(stackProfile),
		Retryer:      NewRetryer(s.maxAttempts),
	})
}
