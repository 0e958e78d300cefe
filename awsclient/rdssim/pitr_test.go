package rdssim

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

func TestRestorableWindow(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	for _, step := range []time.Duration{0, 90 * time.Second, 4 * time.Minute} {
		e.clk.Advance(step)
		now := e.clk.Now()
		latest := aws.ToTime(e.instance(t, DefaultInstanceID).LatestRestorableTime)
		if lag := now.Sub(latest); lag <= 0 || lag > 5*time.Minute {
			t.Errorf("at %s LatestRestorableTime %s: it lags the last log upload, at most 5 minutes, never ahead", now, latest)
		}
	}
	out := must(e.rds.DescribeDBInstanceAutomatedBackups(ctx, &rds.DescribeDBInstanceAutomatedBackupsInput{DBInstanceIdentifier: aws.String(DefaultInstanceID)}))
	if len(out.DBInstanceAutomatedBackups) != 1 {
		t.Fatalf("%d automated backups", len(out.DBInstanceAutomatedBackups))
	}
	b := out.DBInstanceAutomatedBackups[0]
	win := b.RestoreWindow
	if aws.ToString(b.Status) != "active" || aws.ToInt32(b.BackupRetentionPeriod) != 1 || win == nil ||
		!aws.ToTime(win.EarliestTime).Equal(e.clk.Now().Add(-24*time.Hour).Truncate(time.Second)) {
		t.Errorf("automated backup %s retention %d window %+v: the retention period (1 day) decides the window", aws.ToString(b.Status), aws.ToInt32(b.BackupRetentionPeriod), win)
	}
	_, err := e.rds.DescribeDBInstanceAutomatedBackups(ctx, &rds.DescribeDBInstanceAutomatedBackupsInput{DbiResourceId: aws.String("db-NOSUCHRESOURCEIDXXXXXXXXXX")})
	wantCode(t, err, "DBInstanceAutomatedBackupNotFound", 404)
}

func TestRestoreToPointInTime(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	at := t0.Add(-20 * time.Minute)
	out := must(e.rds.RestoreDBInstanceToPointInTime(ctx, &rds.RestoreDBInstanceToPointInTimeInput{
		SourceDBInstanceIdentifier: aws.String(DefaultInstanceID), TargetDBInstanceIdentifier: aws.String("app-pitr"), RestoreTime: aws.Time(at),
		DBParameterGroupName: aws.String(DefaultParamGroup), VpcSecurityGroupIds: []string{DefaultSecurityGrp},
		DBSubnetGroupName: aws.String(DefaultSubnetGroup), DBInstanceClass: aws.String("db.t3.medium"),
	}))
	if aws.ToString(out.DBInstance.DBInstanceStatus) != "creating" {
		t.Fatalf("restore answered %s", aws.ToString(out.DBInstance.DBInstanceStatus))
	}
	e.clk.Advance(CreateDuration)
	if got := e.status(t, "app-pitr"); got != "creating" {
		t.Errorf("a point-in-time restore replays logs, it takes longer than a snapshot restore: %s", got)
	}
	e.clk.Advance(PITRReplay + InitialBackup)
	in := e.instance(t, "app-pitr")
	if aws.ToString(in.DBInstanceStatus) != "available" || aws.ToString(in.DBParameterGroups[0].DBParameterGroupName) != DefaultParamGroup ||
		aws.ToString(in.DBInstanceClass) != "db.t3.medium" || aws.ToString(in.DBSubnetGroup.DBSubnetGroupName) != DefaultSubnetGroup {
		t.Errorf("restored instance: %s %s %s", aws.ToString(in.DBInstanceStatus), aws.ToString(in.DBParameterGroups[0].DBParameterGroupName), aws.ToString(in.DBInstanceClass))
	}
	msgs := e.messages(t, types.SourceTypeDbInstance, "app-pitr")
	if !slices.Contains(msgs, "Restored from DB instance app5ec7032 to app-pitr.") {
		t.Errorf("events of the restored instance: %v", msgs)
	}
	if IdentifyEvent("Restored from DB instance app5ec7032 to app-pitr.") != "RDS-EVENT-0019" {
		t.Error("the point-in-time restore event is not RDS-EVENT-0019")
	}

	// Without settings, the defaults: default parameter group, default subnet group and security group.
	must(e.rds.RestoreDBInstanceToPointInTime(ctx, &rds.RestoreDBInstanceToPointInTimeInput{
		SourceDBInstanceIdentifier: aws.String(DefaultInstanceID), TargetDBInstanceIdentifier: aws.String("app-latest"), UseLatestRestorableTime: aws.Bool(true),
	}))
	def := e.instance(t, "app-latest")
	if aws.ToString(def.DBParameterGroups[0].DBParameterGroupName) != "default.postgres16" || aws.ToString(def.DBSubnetGroup.DBSubnetGroupName) != "default" || aws.ToBool(def.MultiAZ) {
		t.Errorf("defaults: %s %s multi-AZ %v", aws.ToString(def.DBParameterGroups[0].DBParameterGroupName), aws.ToString(def.DBSubnetGroup.DBSubnetGroupName), aws.ToBool(def.MultiAZ))
	}

	now := e.clk.Now()
	latest := aws.ToTime(e.instance(t, DefaultInstanceID).LatestRestorableTime)
	tests := []struct {
		name string
		in   rds.RestoreDBInstanceToPointInTimeInput
		code string
		st   int
	}{
		{"after the latest restorable time", rds.RestoreDBInstanceToPointInTimeInput{SourceDBInstanceIdentifier: aws.String(DefaultInstanceID), RestoreTime: aws.Time(latest.Add(time.Second))}, "InvalidRestoreFault", 400},
		{"in the future", rds.RestoreDBInstanceToPointInTimeInput{SourceDBInstanceIdentifier: aws.String(DefaultInstanceID), RestoreTime: aws.Time(now.Add(time.Hour))}, "InvalidRestoreFault", 400},
		{"before the retention period", rds.RestoreDBInstanceToPointInTimeInput{SourceDBInstanceIdentifier: aws.String(DefaultInstanceID), RestoreTime: aws.Time(now.Add(-25 * time.Hour))}, "InvalidRestoreFault", 400},
		{"both times", rds.RestoreDBInstanceToPointInTimeInput{SourceDBInstanceIdentifier: aws.String(DefaultInstanceID), RestoreTime: aws.Time(at), UseLatestRestorableTime: aws.Bool(true)}, "InvalidParameterCombination", 400},
		{"no time", rds.RestoreDBInstanceToPointInTimeInput{SourceDBInstanceIdentifier: aws.String(DefaultInstanceID)}, "InvalidParameterCombination", 400},
		{"no source", rds.RestoreDBInstanceToPointInTimeInput{RestoreTime: aws.Time(at)}, "InvalidParameterCombination", 400},
		{"source not found", rds.RestoreDBInstanceToPointInTimeInput{SourceDBInstanceIdentifier: aws.String("gone"), RestoreTime: aws.Time(at)}, "DBInstanceNotFound", 404},
		{"resource id not found", rds.RestoreDBInstanceToPointInTimeInput{SourceDbiResourceId: aws.String("db-NOSUCHRESOURCEIDXXXXXXXXXX"), RestoreTime: aws.Time(at)}, "DBInstanceAutomatedBackupNotFound", 404},
		{"target exists", rds.RestoreDBInstanceToPointInTimeInput{SourceDBInstanceIdentifier: aws.String(DefaultInstanceID), RestoreTime: aws.Time(at), TargetDBInstanceIdentifier: aws.String("app-pitr")}, "DBInstanceAlreadyExists", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.TargetDBInstanceIdentifier == nil {
				in.TargetDBInstanceIdentifier = aws.String("app-other")
			}
			_, err := e.rds.RestoreDBInstanceToPointInTime(ctx, &in)
			wantCode(t, err, tt.code, tt.st)
		})
	}
	e.sim.Mutate(func(w *World) { w.Instance(DefaultInstanceID).BackupRetention = 0 })
	_, err := e.rds.RestoreDBInstanceToPointInTime(ctx, &rds.RestoreDBInstanceToPointInTimeInput{SourceDBInstanceIdentifier: aws.String(DefaultInstanceID), TargetDBInstanceIdentifier: aws.String("app-x"), UseLatestRestorableTime: aws.Bool(true)})
	wantCode(t, err, "PointInTimeRestoreNotEnabled", 400)
}

// TestRetainedAutomatedBackups: deleted with DeleteAutomatedBackups=false,
// the instance's automated backup stays (retained) and restores by resource
// id; deleted with the default, it is gone.
func TestRetainedAutomatedBackups(t *testing.T) {
	for _, keep := range []bool{true, false} {
		e := newEnv(t, "")
		ctx := context.Background()
		res := aws.ToString(e.instance(t, DefaultInstanceID).DbiResourceId)
		must(e.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID),
			FinalDBSnapshotIdentifier: aws.String("final-before-deletion"), DeleteAutomatedBackups: aws.Bool(!keep)}))
		e.clk.Advance(SnapshotDuration + DeleteDelay)
		deleted := e.clk.Now()
		e.clk.Advance(time.Hour)
		out, err := e.rds.DescribeDBInstanceAutomatedBackups(ctx, &rds.DescribeDBInstanceAutomatedBackupsInput{DbiResourceId: aws.String(res)})
		restore := &rds.RestoreDBInstanceToPointInTimeInput{SourceDbiResourceId: aws.String(res), TargetDBInstanceIdentifier: aws.String(DefaultInstanceID), UseLatestRestorableTime: aws.Bool(true)}
		if !keep {
			wantCode(t, err, "DBInstanceAutomatedBackupNotFound", 404)
			_, err = e.rds.RestoreDBInstanceToPointInTime(ctx, restore)
			wantCode(t, err, "DBInstanceAutomatedBackupNotFound", 404)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		// datalayer sim --state keeps retained backups (and logs) across restarts.
		var buf bytes.Buffer
		if err := e.sim.Save(&buf); err != nil {
			t.Fatal(err)
		}
		if err := e.sim.Load(&buf); err != nil {
			t.Fatal(err)
		}
		b := out.DBInstanceAutomatedBackups[0]
		latest := aws.ToTime(b.RestoreWindow.LatestTime)
		if aws.ToString(b.Status) != "retained" || aws.ToString(b.DBInstanceIdentifier) != DefaultInstanceID || latest.After(deleted) || deleted.Sub(latest) > 5*time.Minute {
			t.Fatalf("retained backup: %s %s latest %s (deleted %s)", aws.ToString(b.Status), aws.ToString(b.DBInstanceIdentifier), latest, deleted)
		}
		all := must(e.rds.DescribeDBInstanceAutomatedBackups(ctx, &rds.DescribeDBInstanceAutomatedBackupsInput{Filters: []types.Filter{{Name: aws.String("status"), Values: []string{"retained"}}}}))
		if len(all.DBInstanceAutomatedBackups) != 1 {
			t.Errorf("status=retained: %d", len(all.DBInstanceAutomatedBackups))
		}
		in := must(e.rds.RestoreDBInstanceToPointInTime(ctx, restore))
		if aws.ToString(in.DBInstance.DBInstanceIdentifier) != DefaultInstanceID || aws.ToString(in.DBInstance.EngineVersion) != DefaultVersion {
			t.Errorf("restored from the retained backup: %s %s", aws.ToString(in.DBInstance.DBInstanceIdentifier), aws.ToString(in.DBInstance.EngineVersion))
		}
		// The retained backup expires with its retention period.
		e.clk.Advance(25 * time.Hour)
		_, err = e.rds.DescribeDBInstanceAutomatedBackups(ctx, &rds.DescribeDBInstanceAutomatedBackupsInput{DbiResourceId: aws.String(res)})
		wantCode(t, err, "DBInstanceAutomatedBackupNotFound", 404)
	}
}
