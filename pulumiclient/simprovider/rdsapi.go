package simprovider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
)

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

// findInstance looks an instance up as the real provider does by the
// resource's id: a resource id (db-…) through the dbi-resource-id filter,
// which follows the instance through renames; anything else (an import by
// name) by identifier. It returns nil, nil when the instance is gone.
func findInstance(ctx context.Context, c *rds.Client, id string) (*rdstypes.DBInstance, error) {
	in := &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}
	if isResourceID(id) {
		in = &rds.DescribeDBInstancesInput{Filters: []rdstypes.Filter{{Name: aws.String("dbi-resource-id"), Values: []string{id}}}}
	}
	out, err := c.DescribeDBInstances(ctx, in)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading RDS DB Instance (%s): %w", id, err)
	}
	for i := range out.DBInstances {
		db := &out.DBInstances[i]
		if aws.ToString(db.DbiResourceId) == id || aws.ToString(db.DBInstanceIdentifier) == id {
			return db, nil
		}
	}
	return nil, nil
}

func isResourceID(id string) bool { return len(id) > 3 && id[:3] == "db-" }

// pendingStatuses are the statuses the real provider waits through after
// a create, restore or modify (terraform-provider-aws waitDBInstanceCreated
// and waitDBInstanceUpdated); any other status but available fails the wait.
var pendingStatuses = map[string]bool{
	"backing-up": true, "configuring-enhanced-monitoring": true, "configuring-iam-database-auth": true,
	"configuring-log-exports": true, "creating": true, "maintenance": true, "modifying": true,
	"moving-to-vpc": true, "rebooting": true, "renaming": true, "resetting-master-credentials": true,
	"starting": true, "stopping": true, "storage-optimization": true, "upgrading": true,
	"storage-initialization": true,
}

// notFoundChecks is how many polls in a row may find no instance before a
// wait for it fails.
const notFoundChecks = 20

// waiter polls AWS in real time.
type waiter struct {
	poll, timeout time.Duration
}

// available polls until the instance is available; what is the wait for
// ("create", "update") goes into the error. Like the real provider it
// looks the instance up by id, the resource id when known, so a rename
// does not lose it.
func (w waiter) available(ctx context.Context, c *rds.Client, identifier, what string) (*rdstypes.DBInstance, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	notFound := 0
	for {
		db, err := findInstance(ctx, c, identifier)
		if err != nil {
			return nil, fmt.Errorf("waiting for RDS DB Instance (%s) %s: %w", identifier, what, err)
		}
		if db == nil {
			// A rename hides the instance for a moment: like the real
			// provider's waiter (terraform-plugin-sdk StateChangeConf,
			// NotFoundChecks 20) only a lasting absence fails the wait.
			if notFound++; notFound >= notFoundChecks {
				return nil, fmt.Errorf("waiting for RDS DB Instance (%s) %s: not found", identifier, what)
			}
			if err := sleep(ctx, w.poll); err != nil {
				return nil, fmt.Errorf("waiting for RDS DB Instance (%s) %s: %w", identifier, what, err)
			}
			continue
		}
		notFound = 0
		st := aws.ToString(db.DBInstanceStatus)
		if st == "available" {
			return db, nil
		}
		if !pendingStatuses[st] {
			return db, fmt.Errorf("waiting for RDS DB Instance (%s) %s: unexpected state '%s', wanted target 'available'", identifier, what, st)
		}
		if err := sleep(ctx, w.poll); err != nil {
			return db, fmt.Errorf("waiting for RDS DB Instance (%s) %s (last state '%s'): %w", identifier, what, st, err)
		}
	}
}

// gone polls until the instance no longer exists (by id, as available).
func (w waiter) gone(ctx context.Context, c *rds.Client, identifier string) error {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	for {
		db, err := findInstance(ctx, c, identifier)
		if err != nil {
			return fmt.Errorf("waiting for RDS DB Instance (%s) delete: %w", identifier, err)
		}
		if db == nil {
			return nil
		}
		st := aws.ToString(db.DBInstanceStatus)
		if st != "deleting" && st != "available" && !pendingStatuses[st] {
			return fmt.Errorf("waiting for RDS DB Instance (%s) delete: unexpected state '%s'", identifier, st)
		}
		if err := sleep(ctx, w.poll); err != nil {
			return fmt.Errorf("waiting for RDS DB Instance (%s) delete (last state '%s'): %w", identifier, st, err)
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

// updated waits for the instance to settle after a modify. Like the real
// provider's waiter it first waits a moment, so a modify that has not yet
// moved the instance out of available is not taken as done.
func (w waiter) updated(ctx context.Context, c *rds.Client, identifier string) (*rdstypes.DBInstance, error) {
	if err := sleep(ctx, w.poll); err != nil {
		return nil, fmt.Errorf("waiting for RDS DB Instance (%s) update: %w", identifier, err)
	}
	return w.available(ctx, c, identifier, "update")
}
