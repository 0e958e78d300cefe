package awsclient

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// LaterSettings are an instance's settings that a restore from a snapshot
// is not given (RestoreDBInstanceFromDBSnapshot has no
// PreferredMaintenanceWindow; its BackupRetentionPeriod is recent and not
// served everywhere): the restored instance gets RDS's defaults, and a
// ModifyDBInstance sets them afterwards (docs/FIDELITY.md). Empty fields
// are left alone.
type LaterSettings struct {
	MaintenanceWindow string // e.g. mon:00:00-mon:03:00
	BackupRetention   int32  // days; 0 leaves it
}

// Empty reports whether there is nothing to set.
func (s LaterSettings) Empty() bool { return s.MaintenanceWindow == "" && s.BackupRetention == 0 }

// LaterSettingsToApply lists what of want the instance does not have
// yet: the maintenance window compared without case (AWS stores it
// lower-case, programs often write "Mon:00:00-Mon:03:00").
func LaterSettingsToApply(want LaterSettings, in Instance) LaterSettings {
	var out LaterSettings
	if want.MaintenanceWindow != "" && !strings.EqualFold(want.MaintenanceWindow, in.MaintenanceWindow) {
		out.MaintenanceWindow = strings.ToLower(want.MaintenanceWindow)
	}
	if want.BackupRetention != 0 && want.BackupRetention != in.BackupRetention {
		out.BackupRetention = want.BackupRetention
	}
	return out
}

func laterModify(id string, s LaterSettings) *rds.ModifyDBInstanceInput {
	m := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), ApplyImmediately: aws.Bool(true)}
	if s.MaintenanceWindow != "" {
		m.PreferredMaintenanceWindow = aws.String(s.MaintenanceWindow)
	}
	if s.BackupRetention != 0 {
		m.BackupRetentionPeriod = aws.Int32(s.BackupRetention)
	}
	return m
}

// LaterSettingsCommand is the AWS CLI command ApplyLaterSettings sends.
func LaterSettingsCommand(id string, s LaterSettings) string {
	args := []string{"aws rds modify-db-instance", "--db-instance-identifier " + id}
	if s.MaintenanceWindow != "" {
		args = append(args, "--preferred-maintenance-window "+s.MaintenanceWindow)
	}
	if s.BackupRetention != 0 {
		args = append(args, fmt.Sprintf("--backup-retention-period %d", s.BackupRetention))
	}
	return strings.Join(append(args, "--apply-immediately"), " ")
}

// ApplyLaterSettings sets on instance id, at once, the settings a restore
// could not be given; wait for it to be available afterwards.
func (c *Client) ApplyLaterSettings(ctx context.Context, id string, s LaterSettings) (Instance, error) {
	if s.Empty() {
		return c.Instance(ctx, id)
	}
	out, err := c.rds.ModifyDBInstance(ctx, laterModify(id, s))
	if err != nil {
		return Instance{}, wrapErr("set the maintenance window and backup retention of "+id, err)
	}
	return instanceFrom(*out.DBInstance), nil
}
