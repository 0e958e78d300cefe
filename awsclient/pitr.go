package awsclient

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// AutomatedBackup is an instance's automated backups (daily snapshots and
// transaction logs): the window a point-in-time restore can reach. Status is
// "active" for a live instance, "retained" for a deleted one whose backups
// were kept, "creating" until the first automated snapshot exists.
type AutomatedBackup struct {
	InstanceID    string
	ResourceID    string // DbiResourceId: the way to restore a deleted instance
	ARN           string // DBInstanceAutomatedBackupsArn
	Status        string
	Earliest      time.Time // RestoreWindow.EarliestTime
	Latest        time.Time // RestoreWindow.LatestTime
	Retention     int32     // days
	EngineVersion string
	Created       time.Time // InstanceCreateTime
}

// PointInTimeSettings is a point-in-time restore: the source (an instance
// by identifier, or by resource id when it was deleted and its automated
// backups retained), the time (or the latest restorable time), and every
// setting of the new instance, as for a snapshot restore (RestoreSettings,
// whose SnapshotID is unused): a point-in-time restore too falls back to the
// default parameter group, security group and subnet group.
type PointInTimeSettings struct {
	RestoreSettings
	SourceInstanceID string
	SourceResourceID string
	RestoreTime      time.Time
	UseLatest        bool
}

// CheckPointInTimeSettings reports the first problem with s before any call.
func CheckPointInTimeSettings(s PointInTimeSettings) error {
	op := "check point-in-time restore settings"
	switch {
	case s.SourceInstanceID != "" && s.SourceResourceID != "":
		return inputError(op, "both a source instance and a source resource id are given", "give the instance identifier, or the resource id (db-...) when the instance was deleted")
	case s.SourceInstanceID == "" && s.SourceResourceID == "":
		return inputError(op, "no source instance given", "give the instance identifier, or the resource id (db-...) of a deleted instance's retained backups")
	case s.SourceResourceID != "" && !strings.HasPrefix(strings.ToLower(s.SourceResourceID), "db-"):
		return inputError(op, fmt.Sprintf("%q is not a resource id", s.SourceResourceID), "use the DbiResourceId, db-..., from the automated backups list")
	case s.UseLatest == !s.RestoreTime.IsZero():
		return inputError(op, "give either a restore time or the latest restorable time, not both or neither", "pick a time inside the instance's restorable window, or the latest")
	}
	if s.SourceInstanceID != "" {
		if err := ValidateInstanceID(s.SourceInstanceID); err != nil {
			return err
		}
	}
	return checkTargetSettings(s.RestoreSettings)
}

// RestoreToPointInTime restores to a new instance as of s.RestoreTime (or
// the latest restorable time) with exactly the given settings; follow it
// with WaitAvailable or the poller. A time outside the restorable window is
// refused by AWS (InvalidRestoreFault, KindInvalidInput).
func (c *Client) RestoreToPointInTime(ctx context.Context, s PointInTimeSettings) (Instance, error) {
	if err := CheckPointInTimeSettings(s); err != nil {
		return Instance{}, err
	}
	in := &rds.RestoreDBInstanceToPointInTimeInput{
		TargetDBInstanceIdentifier: aws.String(s.InstanceID),
		DBInstanceClass:            aws.String(s.Class),
		DBParameterGroupName:       aws.String(s.ParameterGroup),
		VpcSecurityGroupIds:        append([]string(nil), s.SecurityGroups...),
		DBSubnetGroupName:          aws.String(s.SubnetGroup),
		MultiAZ:                    aws.Bool(s.MultiAZ),
		PubliclyAccessible:         aws.Bool(s.PubliclyAccessible),
		DeletionProtection:         aws.Bool(s.DeletionProtection),
	}
	src := s.SourceInstanceID
	if src != "" {
		in.SourceDBInstanceIdentifier = aws.String(src)
	} else {
		src = s.SourceResourceID
		in.SourceDbiResourceId = aws.String(src)
	}
	when := "the latest restorable time"
	if s.UseLatest {
		in.UseLatestRestorableTime = aws.Bool(true)
	} else {
		in.RestoreTime = aws.Time(s.RestoreTime.UTC())
		when = s.RestoreTime.UTC().Format(time.RFC3339)
	}
	if s.StorageType != "" {
		in.StorageType = aws.String(s.StorageType)
	}
	if s.Port > 0 {
		in.Port = aws.Int32(s.Port)
	}
	if s.OptionGroup != "" {
		in.OptionGroupName = aws.String(s.OptionGroup)
	}
	for _, k := range sortedKeys(s.Tags) {
		in.Tags = append(in.Tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(s.Tags[k])})
	}
	out, err := c.rds.RestoreDBInstanceToPointInTime(ctx, in)
	if err != nil {
		return Instance{}, wrapErr(fmt.Sprintf("restore %s as of %s to %s", src, when, s.InstanceID), err)
	}
	if out.DBInstance == nil {
		return Instance{ID: s.InstanceID, Status: "creating"}, nil
	}
	return instanceFrom(*out.DBInstance), nil
}

// AutomatedBackups lists the automated backups of one instance, live or
// deleted (by identifier), or of every instance for "", every page; live
// ones first, then by identifier.
func (c *Client) AutomatedBackups(ctx context.Context, instanceID string) ([]AutomatedBackup, error) {
	in := &rds.DescribeDBInstanceAutomatedBackupsInput{}
	op := "list automated backups"
	if instanceID != "" {
		if err := ValidateInstanceID(instanceID); err != nil {
			return nil, err
		}
		in.DBInstanceIdentifier = aws.String(instanceID)
		op += " of " + instanceID
	}
	p := rds.NewDescribeDBInstanceAutomatedBackupsPaginator(c.rds, in)
	var out []AutomatedBackup
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if KindOf(wrapErr(op, err)) == KindNotFound && instanceID != "" {
				return nil, nil // none: the instance keeps no automated backups
			}
			return nil, wrapErr(op, err)
		}
		for _, b := range page.DBInstanceAutomatedBackups {
			a := AutomatedBackup{
				InstanceID: aws.ToString(b.DBInstanceIdentifier), ResourceID: aws.ToString(b.DbiResourceId),
				ARN: aws.ToString(b.DBInstanceAutomatedBackupsArn), Status: aws.ToString(b.Status),
				Retention: aws.ToInt32(b.BackupRetentionPeriod), EngineVersion: aws.ToString(b.EngineVersion),
				Created: aws.ToTime(b.InstanceCreateTime),
			}
			if w := b.RestoreWindow; w != nil {
				a.Earliest, a.Latest = aws.ToTime(w.EarliestTime), aws.ToTime(w.LatestTime)
			}
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Status == "retained") != (out[j].Status == "retained") {
			return out[j].Status == "retained"
		}
		return out[i].InstanceID < out[j].InstanceID
	})
	return out, nil
}
