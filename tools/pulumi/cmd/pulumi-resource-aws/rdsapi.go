package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Config is the provider configuration (stack config keys "aws:*"). Only the
// region matters here; profile is accepted because real stacks set it, and
// it is ignored: credentials always come from the environment or are dummies.
type Config struct {
	Region  *string `pulumi:"region,optional"`
	Profile *string `pulumi:"profile,optional"`
}

// endpointFromEnv returns the RDS endpoint override, or an error when there
// is none: this provider must never reach real AWS.
func endpointFromEnv(getenv func(string) string) (string, error) {
	ep := strings.TrimSpace(getenv("AWS_ENDPOINT_URL_RDS"))
	if ep == "" {
		ep = strings.TrimSpace(getenv("AWS_ENDPOINT_URL"))
	}
	if ep == "" {
		return "", errors.New("no RDS endpoint override: set AWS_ENDPOINT_URL_RDS (or AWS_ENDPOINT_URL) to the RDS simulator's URL; this test provider never talks to real AWS")
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("endpoint override %q is not an http(s) URL: point AWS_ENDPOINT_URL_RDS at the RDS simulator", ep)
	}
	if strings.HasSuffix(u.Hostname(), ".amazonaws.com") {
		return "", fmt.Errorf("endpoint override %q is a real AWS endpoint: this test provider only talks to the RDS simulator", ep)
	}
	return ep, nil
}

// newRDSClient builds an RDS client for the endpoint override. It never
// reads shared config or profiles.
func newRDSClient(ctx context.Context) (*rds.Client, error) {
	ep, err := endpointFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	region := os.Getenv("AWS_REGION")
	if cfg, ok := configFrom(ctx); ok && cfg.Region != nil && *cfg.Region != "" {
		region = *cfg.Region
	}
	if region == "" {
		region = "eu-west-2"
	}
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if key == "" || secret == "" {
		key, secret = "AKIDTESTPROVIDER", "test-provider-secret"
	}
	return rds.New(rds.Options{
		Region:       region,
		BaseEndpoint: aws.String(ep),
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN")),
	}), nil
}

// pollInterval is how long to sleep between status polls. The simulator runs
// on a scaled clock, so a short real interval covers minutes of its time.
func pollInterval() time.Duration {
	if v := os.Getenv("DATALAYER_TEST_PROVIDER_POLL"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return 100 * time.Millisecond
}

// waitTimeout bounds every wait, in real time.
func waitTimeout() time.Duration {
	if v := os.Getenv("DATALAYER_TEST_PROVIDER_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return 10 * time.Minute
}

// autoName returns Pulumi's style of auto-name for an RDS instance: the
// logical name followed by 7 lowercase hex characters, e.g. "app5ec7032".
func autoName(logical string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auto-name: %w", err)
	}
	return strings.ToLower(logical) + hex.EncodeToString(b)[:7], nil
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func isNotFound(err error) bool {
	c := errorCode(err)
	return c == "DBInstanceNotFound" || c == "DBInstanceNotFoundFault"
}

// findInstance looks an instance up by identifier, and, when that is gone
// (renamed out of band), by its resource id. It returns nil, nil when the
// instance does not exist.
func findInstance(ctx context.Context, c *rds.Client, identifier, resourceID string) (*rdstypes.DBInstance, error) {
	if identifier != "" {
		out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(identifier)})
		switch {
		case err == nil && len(out.DBInstances) > 0:
			db := out.DBInstances[0]
			if resourceID == "" || aws.ToString(db.DbiResourceId) == resourceID {
				return &db, nil
			}
		case err != nil && !isNotFound(err):
			return nil, fmt.Errorf("describe instance %s: %w", identifier, err)
		}
	}
	if resourceID == "" {
		return nil, nil
	}
	out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{
		Filters: []rdstypes.Filter{{Name: aws.String("dbi-resource-id"), Values: []string{resourceID}}},
	})
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("describe instance by resource id %s: %w", resourceID, err)
	}
	for _, db := range out.DBInstances {
		if aws.ToString(db.DbiResourceId) == resourceID {
			return &db, nil
		}
	}
	return nil, nil
}

// pendingStatuses are the statuses an instance passes through on its way to
// "available" after a create, restore or modify (as the AWS provider waits).
var pendingStatuses = map[string]bool{
	"backing-up": true, "configuring-enhanced-monitoring": true, "configuring-iam-database-auth": true,
	"configuring-log-exports": true, "creating": true, "maintenance": true, "modifying": true,
	"moving-to-vpc": true, "rebooting": true, "renaming": true, "resetting-master-credentials": true,
	"starting": true, "stopping": true, "storage-optimization": true, "upgrading": true,
	"storage-initialization": true,
}

// waitAvailable polls until the instance is available. It fails on a status
// the AWS provider would not wait through (e.g. incompatible-parameters).
func waitAvailable(ctx context.Context, c *rds.Client, identifier string) (*rdstypes.DBInstance, error) {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout())
	defer cancel()
	for {
		out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(identifier)})
		if err != nil {
			return nil, fmt.Errorf("wait for %s to be available: %w", identifier, err)
		}
		if len(out.DBInstances) == 0 {
			return nil, fmt.Errorf("wait for %s to be available: not found", identifier)
		}
		db := out.DBInstances[0]
		st := aws.ToString(db.DBInstanceStatus)
		if st == "available" {
			return &db, nil
		}
		if !pendingStatuses[st] {
			return nil, fmt.Errorf("wait for %s to be available: unexpected state %q", identifier, st)
		}
		if err := sleep(ctx, pollInterval()); err != nil {
			return nil, fmt.Errorf("wait for %s to be available (last status %q): %w", identifier, st, err)
		}
	}
}

// waitGone polls until the instance no longer exists.
func waitGone(ctx context.Context, c *rds.Client, identifier string) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout())
	defer cancel()
	for {
		out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(identifier)})
		if isNotFound(err) || (err == nil && len(out.DBInstances) == 0) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("wait for %s to be deleted: %w", identifier, err)
		}
		st := aws.ToString(out.DBInstances[0].DBInstanceStatus)
		if st != "deleting" && !pendingStatuses[st] && st != "available" {
			return fmt.Errorf("wait for %s to be deleted: unexpected state %q", identifier, st)
		}
		if err := sleep(ctx, pollInterval()); err != nil {
			return fmt.Errorf("wait for %s to be deleted (last status %q): %w", identifier, st, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func toTags(m map[string]string) []rdstypes.Tag {
	if len(m) == 0 {
		return nil
	}
	tags := make([]rdstypes.Tag, 0, len(m))
	for k, v := range m {
		tags = append(tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return tags
}

func fromTags(tags []rdstypes.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// configFrom returns the provider configuration, if any.
func configFrom(ctx context.Context) (cfg Config, ok bool) {
	defer func() {
		if recover() != nil {
			cfg, ok = Config{}, false
		}
	}()
	return infer.GetConfig[Config](ctx), true
}
