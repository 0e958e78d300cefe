package awsclient

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// Deferred reports whether the instance holds changes for its maintenance
// window: it is available (AWS is not applying anything) with values
// pending. A rename in flight is not a deferred change.
func (in Instance) Deferred() bool {
	p := in.Pending
	p.InstanceID = ""
	return in.Status == "available" && !p.Empty()
}

// pendingModify is the ModifyDBInstance that asks for an instance's
// deferred values again, applied now. AWS applies the rest of the pending
// queue with it ("If you choose to apply changes immediately, your new
// changes and any changes in the pending modifications queue are applied":
// USER_ModifyInstance.ApplyImmediately).
func pendingModify(in Instance) *rds.ModifyDBInstanceInput {
	p := in.Pending
	m := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(in.ID), ApplyImmediately: aws.Bool(true)}
	if p.InstanceClass != "" {
		m.DBInstanceClass = aws.String(p.InstanceClass)
	}
	if p.MultiAZ != nil {
		m.MultiAZ = aws.Bool(*p.MultiAZ)
	}
	if p.AllocatedStorage > 0 {
		m.AllocatedStorage = aws.Int32(p.AllocatedStorage)
	}
	if p.StorageType != "" {
		m.StorageType = aws.String(p.StorageType)
	}
	if p.BackupRetention != nil {
		m.BackupRetentionPeriod = aws.Int32(*p.BackupRetention)
	}
	if p.EngineVersion != "" {
		m.EngineVersion = aws.String(p.EngineVersion)
		if majorOf(p.EngineVersion) != majorOf(in.EngineVersion) {
			m.AllowMajorVersionUpgrade = aws.Bool(true)
		}
	}
	return m
}

func majorOf(v string) string {
	if i := strings.Index(v, "."); i >= 0 {
		return v[:i]
	}
	return v
}

// ApplyPendingCommand is the AWS CLI command that applies an instance's
// deferred changes now (what ApplyPendingNow sends).
func ApplyPendingCommand(in Instance) string {
	m := pendingModify(in)
	args := []string{"aws rds modify-db-instance", "--db-instance-identifier " + in.ID}
	if m.DBInstanceClass != nil {
		args = append(args, "--db-instance-class "+*m.DBInstanceClass)
	}
	if m.MultiAZ != nil {
		if *m.MultiAZ {
			args = append(args, "--multi-az")
		} else {
			args = append(args, "--no-multi-az")
		}
	}
	if m.AllocatedStorage != nil {
		args = append(args, fmt.Sprintf("--allocated-storage %d", *m.AllocatedStorage))
	}
	if m.StorageType != nil {
		args = append(args, "--storage-type "+*m.StorageType)
	}
	if m.BackupRetentionPeriod != nil {
		args = append(args, fmt.Sprintf("--backup-retention-period %d", *m.BackupRetentionPeriod))
	}
	if m.EngineVersion != nil {
		args = append(args, "--engine-version "+*m.EngineVersion)
		if aws.ToBool(m.AllowMajorVersionUpgrade) {
			args = append(args, "--allow-major-version-upgrade")
		}
	}
	return strings.Join(append(args, "--apply-immediately"), " ")
}

// ApplyPendingNow asks AWS to apply the instance's deferred changes now
// (see pendingModify) and returns the instance as AWS answers; wait for it
// to be available with nothing pending.
func (c *Client) ApplyPendingNow(ctx context.Context, id string) (Instance, error) {
	in, err := c.Instance(ctx, id)
	if err != nil {
		return Instance{}, err
	}
	if !in.Deferred() {
		return in, nil
	}
	out, err := c.rds.ModifyDBInstance(ctx, pendingModify(in))
	if err != nil {
		return Instance{}, wrapErr("apply the pending changes of "+id+" now", err)
	}
	return instanceFrom(*out.DBInstance), nil
}
