package rdssim

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

func TestDescribeDBInstances(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	app := e.instance(t, DefaultInstanceID)
	tests := []struct {
		name   string
		in     rds.DescribeDBInstancesInput
		want   []string
		code   string
		status int
	}{
		{name: "all", want: []string{DefaultInstanceID}},
		{name: "by id, any case", in: rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("APP5EC7032")}, want: []string{DefaultInstanceID}},
		{name: "by ARN", in: rds.DescribeDBInstancesInput{DBInstanceIdentifier: app.DBInstanceArn}, want: []string{DefaultInstanceID}},
		{name: "by resource id", in: rds.DescribeDBInstancesInput{DBInstanceIdentifier: app.DbiResourceId}, want: []string{DefaultInstanceID}},
		{name: "filter db-instance-id", in: rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("db-instance-id"), Values: []string{"other", DefaultInstanceID}}}}, want: []string{DefaultInstanceID}},
		{name: "filter dbi-resource-id", in: rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("dbi-resource-id"), Values: []string{*app.DbiResourceId}}}}, want: []string{DefaultInstanceID}},
		{name: "filter engine no match", in: rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("engine"), Values: []string{"mysql"}}}}, want: nil},
		{name: "unknown filter", in: rds.DescribeDBInstancesInput{Filters: []types.Filter{{Name: aws.String("colour"), Values: []string{"blue"}}}}, code: "InvalidParameterValue", status: 400},
		{name: "MaxRecords too small", in: rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(19)}, code: "InvalidParameterValue", status: 400},
		{name: "MaxRecords too large", in: rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(101)}, code: "InvalidParameterValue", status: 400},
		{name: "bad marker", in: rds.DescribeDBInstancesInput{Marker: aws.String("garbage!")}, code: "InvalidParameterValue", status: 400},
		{name: "invalid identifier", in: rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("app_5ec")}, code: "InvalidParameterValue", status: 400},
		{name: "not found", in: rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("app0000000")}, code: "DBInstanceNotFound", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.rds.DescribeDBInstances(ctx, &tt.in)
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.status)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, in := range out.DBInstances {
				got = append(got, *in.DBInstanceIdentifier)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDefaultInstance checks the default world's instance field by field.
func TestDefaultInstance(t *testing.T) {
	e := newEnv(t, "")
	in := e.instance(t, DefaultInstanceID)
	got := map[string]string{
		"status":     aws.ToString(in.DBInstanceStatus),
		"version":    aws.ToString(in.EngineVersion),
		"class":      aws.ToString(in.DBInstanceClass),
		"storage":    fmt.Sprintf("%d %s %v", aws.ToInt32(in.AllocatedStorage), aws.ToString(in.StorageType), aws.ToBool(in.StorageEncrypted)),
		"multiAZ":    fmt.Sprint(aws.ToBool(in.MultiAZ)),
		"public":     fmt.Sprint(aws.ToBool(in.PubliclyAccessible)),
		"pg":         aws.ToString(in.DBParameterGroups[0].DBParameterGroupName) + " " + aws.ToString(in.DBParameterGroups[0].ParameterApplyStatus),
		"sg":         aws.ToString(in.VpcSecurityGroups[0].VpcSecurityGroupId),
		"subnets":    aws.ToString(in.DBSubnetGroup.DBSubnetGroupName),
		"address":    aws.ToString(in.Endpoint.Address) + ":" + fmt.Sprint(aws.ToInt32(in.Endpoint.Port)),
		"retention":  fmt.Sprint(aws.ToInt32(in.BackupRetentionPeriod)),
		"window":     aws.ToString(in.PreferredMaintenanceWindow),
		"user":       aws.ToString(in.MasterUsername),
		"protection": fmt.Sprint(aws.ToBool(in.DeletionProtection)),
		"arn":        aws.ToString(in.DBInstanceArn),
	}
	want := map[string]string{
		"status": "available", "version": "16.13", "class": "db.t3.small", "storage": "20 gp3 true",
		"multiAZ": "false", "public": "true", "pg": "postgres16-force-ssl-off in-sync",
		"sg": "sg-0a1b2c3d4e5f60718", "subnets": "data-db-subnet-group-3f9a1c2",
		"address":   "app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com:5432",
		"retention": "1", "window": "mon:00:00-mon:03:00", "user": "dbuser", "protection": "false",
		"arn": "arn:aws:rds:eu-west-2:123456789012:db:app5ec7032",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q, want %q", k, got[k], w)
		}
	}
	rid := aws.ToString(in.DbiResourceId)
	if !regexp.MustCompile(`^db-[A-Z0-9]{26}$`).MatchString(rid) {
		t.Errorf("resource id %q is not db- + 26 upper-case alphanumerics", rid)
	}
	if again := newEnv(t, ""); aws.ToString(again.instance(t, DefaultInstanceID).DbiResourceId) != rid {
		t.Errorf("resource id is not stable across worlds")
	}
}

func TestDescribeDBInstancesPaginator(t *testing.T) {
	e := newEnv(t, "")
	e.sim.Mutate(func(w *World) {
		base := w.Instance(DefaultInstanceID)
		for i := range 44 {
			c := *base
			c.ID = fmt.Sprintf("extra%02d", i)
			c.ResourceID = resourceID("extra", c.ID)
			w.Instances = append(w.Instances, &c)
		}
	})
	p := rds.NewDescribeDBInstancesPaginator(e.rds, &rds.DescribeDBInstancesInput{}, func(o *rds.DescribeDBInstancesPaginatorOptions) { o.Limit = 20 })
	var pages, total int
	seen := map[string]bool{}
	for p.HasMorePages() {
		out := must(p.NextPage(context.Background()))
		pages++
		for _, in := range out.DBInstances {
			if seen[*in.DBInstanceIdentifier] {
				t.Fatalf("%s returned twice", *in.DBInstanceIdentifier)
			}
			seen[*in.DBInstanceIdentifier] = true
			total++
		}
	}
	if pages != 3 || total != 45 {
		t.Fatalf("got %d pages, %d instances; want 3 pages, 45 instances", pages, total)
	}
}

func TestCreateDBInstanceLifecycle(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	out := must(e.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("App1234567"), DBInstanceClass: aws.String("db.t3.small"),
		Engine: aws.String("postgres"), EngineVersion: aws.String("16.13"), MasterUsername: aws.String("dbuser"),
		MasterUserPassword: aws.String("correct-horse"), AllocatedStorage: aws.Int32(20),
		DBSubnetGroupName: aws.String(DefaultSubnetGroup), VpcSecurityGroupIds: []string{DefaultSecurityGrp},
		DBParameterGroupName: aws.String(DefaultParamGroup), StorageEncrypted: aws.Bool(true),
		PreferredMaintenanceWindow: aws.String("Mon:00:00-Mon:03:00"),
	}))
	if got := *out.DBInstance.DBInstanceIdentifier; got != "app1234567" {
		t.Fatalf("identifier not lower-cased: %s", got)
	}
	steps := []struct {
		advance time.Duration
		status  string
		address bool
	}{
		{0, "creating", false},
		{CreateDuration - time.Second, "creating", false},
		{time.Second, "backing-up", true},
		{InitialBackup, "available", true},
	}
	for _, s := range steps {
		e.clk.Advance(s.advance)
		in := e.instance(t, "app1234567")
		if *in.DBInstanceStatus != s.status || (in.Endpoint != nil) != s.address {
			t.Fatalf("after %v: status %s endpoint %v; want %s %v", s.advance, *in.DBInstanceStatus, in.Endpoint != nil, s.status, s.address)
		}
	}
	in := e.instance(t, "app1234567")
	if *in.PreferredMaintenanceWindow != "mon:00:00-mon:03:00" || *in.DBParameterGroups[0].DBParameterGroupName != DefaultParamGroup {
		t.Fatalf("settings not kept: %s %s", *in.PreferredMaintenanceWindow, *in.DBParameterGroups[0].DBParameterGroupName)
	}
	snaps := must(e.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String("app1234567"), SnapshotType: aws.String("automated")}))
	if len(snaps.DBSnapshots) != 1 || *snaps.DBSnapshots[0].Status != "available" {
		t.Fatalf("want one available automated snapshot after the initial backup, got %+v", snaps.DBSnapshots)
	}
	msgs := e.messages(t, types.SourceTypeDbInstance, "app1234567")
	want := []string{"DB instance created", "Backing up DB instance", "Finished DB Instance backup"}
	if !slices.Equal(msgs, want) {
		t.Fatalf("events %q, want %q", msgs, want)
	}

	bad := []struct {
		name string
		mod  func(*rds.CreateDBInstanceInput)
		code string
	}{
		{"exists", func(in *rds.CreateDBInstanceInput) { in.DBInstanceIdentifier = aws.String(DefaultInstanceID) }, "DBInstanceAlreadyExists"},
		{"bad id", func(in *rds.CreateDBInstanceInput) { in.DBInstanceIdentifier = aws.String("1app") }, "InvalidParameterValue"},
		{"bad class", func(in *rds.CreateDBInstanceInput) { in.DBInstanceClass = aws.String("t3.small") }, "InvalidParameterValue"},
		{"bad engine", func(in *rds.CreateDBInstanceInput) { in.Engine = aws.String("oracle-se9") }, "InvalidParameterValue"},
		{"bad version", func(in *rds.CreateDBInstanceInput) { in.EngineVersion = aws.String("16.99") }, "InvalidParameterValue"},
		{"short password", func(in *rds.CreateDBInstanceInput) { in.MasterUserPassword = aws.String("short") }, "InvalidParameterValue"},
		{"small storage", func(in *rds.CreateDBInstanceInput) { in.AllocatedStorage = aws.Int32(5) }, "InvalidParameterValue"},
		{"unknown parameter group", func(in *rds.CreateDBInstanceInput) { in.DBParameterGroupName = aws.String("nope") }, "DBParameterGroupNotFound"},
		{"wrong family", func(in *rds.CreateDBInstanceInput) { in.DBParameterGroupName = aws.String("default.postgres17") }, "InvalidParameterCombination"},
		{"bad security group", func(in *rds.CreateDBInstanceInput) { in.VpcSecurityGroupIds = []string{"db-sg"} }, "InvalidParameterValue"},
		{"unknown subnet group", func(in *rds.CreateDBInstanceInput) { in.DBSubnetGroupName = aws.String("nope") }, "DBSubnetGroupNotFoundFault"},
		{"bad window", func(in *rds.CreateDBInstanceInput) { in.PreferredMaintenanceWindow = aws.String("monday") }, "InvalidParameterValue"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			in := &rds.CreateDBInstanceInput{
				DBInstanceIdentifier: aws.String("app7654321"), DBInstanceClass: aws.String("db.t3.small"),
				Engine: aws.String("postgres"), EngineVersion: aws.String("16.13"), MasterUsername: aws.String("dbuser"),
				MasterUserPassword: aws.String("correct-horse"), AllocatedStorage: aws.Int32(20),
			}
			b.mod(in)
			_, err := e.rds.CreateDBInstance(ctx, in)
			wantCode(t, err, b.code, 0)
		})
	}
}

func TestRestoreDefaultsAndExplicitSettings(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	snap := "rds:app5ec7032-" + t0.AddDate(0, 0, -1).Format("2006-01-02") // prefix of yesterday's automated one
	all := must(e.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("automated")}))
	for _, s := range all.DBSnapshots {
		if strings.HasPrefix(*s.DBSnapshotIdentifier, snap) {
			snap = *s.DBSnapshotIdentifier
		}
	}
	// Defaults: nothing carried over from the source instance.
	must(e.rds.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String("restored-defaults"), DBSnapshotIdentifier: aws.String(snap),
	}))
	// Explicit: everything honoured.
	out := must(e.rds.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String("restored-explicit"), DBSnapshotIdentifier: aws.String("after-postgres-update-167"),
		DBInstanceClass: aws.String("db.t3.medium"), DBParameterGroupName: aws.String(DefaultParamGroup),
		VpcSecurityGroupIds: []string{DefaultSecurityGrp, "sg-0123456789abcdef0"}, DBSubnetGroupName: aws.String(DefaultSubnetGroup),
		MultiAZ: aws.Bool(true), PubliclyAccessible: aws.Bool(true), DeletionProtection: aws.Bool(true),
		StorageType: aws.String("gp3"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
	}))
	if *out.DBInstance.DBInstanceStatus != "creating" || out.DBInstance.Endpoint != nil {
		t.Fatalf("restore answered %s with endpoint %v", *out.DBInstance.DBInstanceStatus, out.DBInstance.Endpoint)
	}
	e.clk.Advance(CreateDuration + InitialBackup)
	def := e.instance(t, "restored-defaults")
	exp := e.instance(t, "restored-explicit")
	checks := []struct{ name, got, want string }{
		{"defaults status", *def.DBInstanceStatus, "available"},
		{"defaults parameter group", *def.DBParameterGroups[0].DBParameterGroupName, "default.postgres16"},
		{"defaults security group", *def.VpcSecurityGroups[0].VpcSecurityGroupId, defaultVPCDefaultSG},
		{"defaults multi-AZ", fmt.Sprint(*def.MultiAZ), "false"},
		{"defaults public", fmt.Sprint(*def.PubliclyAccessible), "false"},
		{"defaults class from snapshot", *def.DBInstanceClass, "db.t3.small"},
		{"defaults version from snapshot", *def.EngineVersion, "16.13"},
		{"explicit class", *exp.DBInstanceClass, "db.t3.medium"},
		{"explicit version from snapshot", *exp.EngineVersion, "16.7"},
		{"explicit parameter group", *exp.DBParameterGroups[0].DBParameterGroupName, DefaultParamGroup},
		{"explicit security groups", fmt.Sprint(len(exp.VpcSecurityGroups)), "2"},
		{"explicit subnet group", *exp.DBSubnetGroup.DBSubnetGroupName, DefaultSubnetGroup},
		{"explicit multi-AZ", fmt.Sprint(*exp.MultiAZ), "true"},
		{"explicit public", fmt.Sprint(*exp.PubliclyAccessible), "true"},
		{"explicit protection", fmt.Sprint(*exp.DeletionProtection), "true"},
		{"explicit tags", *exp.TagList[0].Key, "team"},
		{"explicit address", *exp.Endpoint.Address, "restored-explicit.c9akciq32x1z.eu-west-2.rds.amazonaws.com"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, c.got, c.want)
		}
	}
	msgs := e.messages(t, types.SourceTypeDbInstance, "restored-explicit")
	if len(msgs) == 0 || msgs[0] != "Restored from snapshot after-postgres-update-167" || IdentifyEvent(msgs[0]) != "RDS-EVENT-0043" {
		t.Fatalf("events %q", msgs)
	}

	errs := []struct {
		name string
		in   rds.RestoreDBInstanceFromDBSnapshotInput
		code string
	}{
		{"name taken", rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String(snap)}, "DBInstanceAlreadyExists"},
		{"no snapshot", rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("r1"), DBSnapshotIdentifier: aws.String("nope")}, "DBSnapshotNotFound"},
		{"bad name", rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("r-"), DBSnapshotIdentifier: aws.String(snap)}, "InvalidParameterValue"},
		{"wrong family", rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("r1"), DBSnapshotIdentifier: aws.String(snap), DBParameterGroupName: aws.String("default.postgres15")}, "InvalidParameterCombination"},
		{"unknown group", rds.RestoreDBInstanceFromDBSnapshotInput{DBInstanceIdentifier: aws.String("r1"), DBSnapshotIdentifier: aws.String(snap), DBParameterGroupName: aws.String("nope")}, "DBParameterGroupNotFound"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.rds.RestoreDBInstanceFromDBSnapshot(ctx, &c.in)
			wantCode(t, err, c.code, 0)
		})
	}
}

func TestDBInstanceAvailableWaiter(t *testing.T) {
	clk := &stepClock{now: t0, step: 30 * time.Second}
	s := must(New(Options{Clock: clk}))
	e := newEnvFor(t, s, nil, "AKIDWAITER", 3)
	ctx := context.Background()
	must(e.rds.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String("waited"), DBSnapshotIdentifier: aws.String("after-postgres-update-167"),
	}))
	w := rds.NewDBInstanceAvailableWaiter(e.rds, func(o *rds.DBInstanceAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 5*time.Millisecond
	})
	out, err := w.WaitForOutput(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("waited")}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if *out.DBInstances[0].DBInstanceStatus != "available" || out.DBInstances[0].Endpoint == nil {
		t.Fatalf("waiter returned %s", *out.DBInstances[0].DBInstanceStatus)
	}
	// 7 minutes at 30 s per request: the waiter polled about 14 times.
	if n := s.RequestCounts()["DescribeDBInstances"]; n < 10 {
		t.Fatalf("waiter polled %d times; the clock should have needed about 14", n)
	}

	// Deleted waiter and snapshot waiter.
	must(e.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("waited"), FinalDBSnapshotIdentifier: aws.String("waited-final")}))
	sw := rds.NewDBSnapshotAvailableWaiter(e.rds, func(o *rds.DBSnapshotAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 5*time.Millisecond
	})
	if err := sw.Wait(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("waited-final")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	dw := rds.NewDBInstanceDeletedWaiter(e.rds, func(o *rds.DBInstanceDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 5*time.Millisecond
	})
	if err := dw.Wait(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("waited")}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

func TestRename(t *testing.T) {
	for _, scenario := range []string{"default", "rename-refused"} {
		t.Run(scenario, func(t *testing.T) {
			e := newEnv(t, scenario)
			ctx := context.Background()
			out := must(e.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
				DBInstanceIdentifier: aws.String(DefaultInstanceID), NewDBInstanceIdentifier: aws.String("app5ec7032-original"), ApplyImmediately: aws.Bool(true),
			}))
			if *out.DBInstance.DBInstanceStatus != "renaming" || aws.ToString(out.DBInstance.PendingModifiedValues.DBInstanceIdentifier) != "app5ec7032-original" {
				t.Fatalf("modify answered %s pending %v", *out.DBInstance.DBInstanceStatus, out.DBInstance.PendingModifiedValues.DBInstanceIdentifier)
			}
			if in := e.instance(t, DefaultInstanceID); in.Endpoint != nil {
				t.Fatalf("old address still published while renaming")
			}
			e.clk.Advance(RenameGapStart)
			for _, id := range []string{DefaultInstanceID, "app5ec7032-original"} {
				_, err := e.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
				wantCode(t, err, "DBInstanceNotFound", 404)
			}
			e.clk.Advance(RenameSwitch - RenameGapStart)
			if got := e.status(t, "app5ec7032-original"); got != "rebooting" {
				t.Fatalf("after the switch: %s", got)
			}
			e.clk.Advance(RenameDone - RenameSwitch)
			in := e.instance(t, "app5ec7032-original")
			if *in.DBInstanceStatus != "available" || *in.Endpoint.Address != "app5ec7032-original.c9akciq32x1z.eu-west-2.rds.amazonaws.com" || *in.DBInstanceArn != "arn:aws:rds:eu-west-2:123456789012:db:app5ec7032-original" {
				t.Fatalf("after rename: %s %v", *in.DBInstanceStatus, in.Endpoint)
			}
			_, err := e.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(DefaultInstanceID)})
			wantCode(t, err, "DBInstanceNotFound", 404)
			// Take the old name back.
			back := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("app5ec7032-original"), NewDBInstanceIdentifier: aws.String(DefaultInstanceID), ApplyImmediately: aws.Bool(true)}
			// As on AWS, the old name stays refused for a few minutes after
			// the rename, longer in rename-refused.
			reserve := map[string]time.Duration{"default": RenameReserve, "rename-refused": RenameReserveLong}[scenario]
			_, err = e.rds.ModifyDBInstance(ctx, back)
			wantCode(t, err, "DBInstanceAlreadyExists", 400)
			e.clk.Advance(reserve - (RenameDone - RenameSwitch) - time.Second)
			_, err = e.rds.ModifyDBInstance(ctx, back)
			wantCode(t, err, "DBInstanceAlreadyExists", 400)
			e.clk.Advance(time.Second)
			must(e.rds.ModifyDBInstance(ctx, back))
		})
	}
	e := newEnv(t, "")
	ctx := context.Background()
	for name, in := range map[string]*rds.ModifyDBInstanceInput{
		"invalid new name": {DBInstanceIdentifier: aws.String(DefaultInstanceID), NewDBInstanceIdentifier: aws.String("two--hyphens"), ApplyImmediately: aws.Bool(true)},
		"name taken":       {DBInstanceIdentifier: aws.String(DefaultInstanceID), NewDBInstanceIdentifier: aws.String(DefaultInstanceID + "x"), ApplyImmediately: aws.Bool(true)},
	} {
		if name == "name taken" {
			e.sim.Mutate(func(w *World) {
				c := *w.Instance(DefaultInstanceID)
				c.ID += "x"
				w.Instances = append(w.Instances, &c)
			})
		}
		_, err := e.rds.ModifyDBInstance(ctx, in)
		want := map[string]string{"invalid new name": "InvalidParameterValue", "name taken": "DBInstanceAlreadyExists"}[name]
		wantCode(t, err, want, 400)
	}
	// Not applied immediately: the rename only shows as pending.
	out := must(e.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), NewDBInstanceIdentifier: aws.String("later")}))
	if *out.DBInstance.DBInstanceStatus != "available" || aws.ToString(out.DBInstance.PendingModifiedValues.DBInstanceIdentifier) != "later" {
		t.Fatalf("deferred rename: %s %v", *out.DBInstance.DBInstanceStatus, out.DBInstance.PendingModifiedValues.DBInstanceIdentifier)
	}
}

func TestModifySettingsAndReboot(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	out := must(e.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(DefaultInstanceID), ApplyImmediately: aws.Bool(true),
		DBInstanceClass: aws.String("db.t3.medium"), MultiAZ: aws.Bool(true),
		DBParameterGroupName: aws.String("default.postgres16"), VpcSecurityGroupIds: []string{DefaultSecurityGrp, appVPCDefaultSG},
	}))
	if *out.DBInstance.DBInstanceStatus != "modifying" || aws.ToString(out.DBInstance.PendingModifiedValues.DBInstanceClass) != "db.t3.medium" {
		t.Fatalf("modify answered %s %v", *out.DBInstance.DBInstanceStatus, out.DBInstance.PendingModifiedValues)
	}
	_, err := e.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DeletionProtection: aws.Bool(true)})
	wantCode(t, err, "InvalidDBInstanceState", 400)
	e.clk.Advance(SlowModify)
	in := e.instance(t, DefaultInstanceID)
	if *in.DBInstanceStatus != "available" || *in.DBInstanceClass != "db.t3.medium" || !*in.MultiAZ || len(in.VpcSecurityGroups) != 2 ||
		*in.DBParameterGroups[0].ParameterApplyStatus != "pending-reboot" || in.PendingModifiedValues.DBInstanceClass != nil {
		t.Fatalf("after modify: %s %s %v %d %s", *in.DBInstanceStatus, *in.DBInstanceClass, *in.MultiAZ, len(in.VpcSecurityGroups), *in.DBParameterGroups[0].ParameterApplyStatus)
	}
	msgs := e.messages(t, types.SourceTypeDbInstance, DefaultInstanceID)
	for _, want := range []string{"Updated to use DBParameterGroup default.postgres16", "Applying modification to database instance class",
		"Finished applying modification to convert to a Multi-AZ DB instance"} {
		if !slices.Contains(msgs, want) {
			t.Errorf("missing event %q in %q", want, msgs)
		}
	}
	out2 := must(e.rds.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID)}))
	if *out2.DBInstance.DBInstanceStatus != "rebooting" {
		t.Fatalf("reboot answered %s", *out2.DBInstance.DBInstanceStatus)
	}
	e.clk.Advance(RebootDuration)
	in = e.instance(t, DefaultInstanceID)
	if *in.DBInstanceStatus != "available" || *in.DBParameterGroups[0].ParameterApplyStatus != "in-sync" {
		t.Fatalf("after reboot: %s %s", *in.DBInstanceStatus, *in.DBParameterGroups[0].ParameterApplyStatus)
	}
	for name, in := range map[string]*rds.ModifyDBInstanceInput{
		"DBParameterGroupNotFound":    {DBInstanceIdentifier: aws.String(DefaultInstanceID), DBParameterGroupName: aws.String("nope")},
		"InvalidParameterCombination": {DBInstanceIdentifier: aws.String(DefaultInstanceID), DBParameterGroupName: aws.String("default.postgres17")},
		"DBInstanceNotFound":          {DBInstanceIdentifier: aws.String("nope"), MultiAZ: aws.Bool(false)},
	} {
		_, err := e.rds.ModifyDBInstance(ctx, in)
		wantCode(t, err, name, 0)
	}
	_, err = e.rds.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String("nope")})
	wantCode(t, err, "DBInstanceNotFound", 404)
}

func TestEngineUpgrade(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	up := func(v string, major bool, group string) error {
		in := &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String(DefaultInstanceID), EngineVersion: aws.String(v),
			AllowMajorVersionUpgrade: aws.Bool(major), ApplyImmediately: aws.Bool(true),
		}
		if group != "" {
			in.DBParameterGroupName = aws.String(group)
		}
		_, err := e.rds.ModifyDBInstance(ctx, in)
		return err
	}
	must(e.rds.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName: aws.String("postgres17-force-ssl-off"), DBParameterGroupFamily: aws.String("postgres17"), Description: aws.String("d"),
	}))
	tests := []struct {
		name, version string
		major         bool
		group, code   string
		message       string
	}{
		{"major without the flag", "17.6", false, "postgres17-force-ssl-off", "InvalidParameterCombination", "AllowMajorVersionUpgrade"},
		{"not a target of 16.13", "17.2", true, "postgres17-force-ssl-off", "InvalidParameterCombination", "Cannot upgrade"},
		{"downgrade", "16.11", false, "", "InvalidParameterCombination", "Cannot upgrade"},
		{"unknown version", "18.0", true, "", "InvalidParameterValue", "Cannot find version"},
		// The instance keeps the custom postgres16 group: RDS wants a new group given.
		{"custom old-family group kept", "17.6", true, "", "InvalidParameterCombination",
			"The current DB parameter group postgres16-force-ssl-off is custom. You must explicitly specify a new DB parameter group, either default or custom, for the engine version upgrade."},
		{"old-family group given", "17.6", true, DefaultParamGroup, "InvalidParameterCombination", "is custom"},
		{"a group of another family", "17.6", true, "default.postgres15", "InvalidParameterCombination", "DBParameterGroupFamily postgres17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := up(tt.version, tt.major, tt.group)
			wantCode(t, err, tt.code, 400)
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %v does not say %q", err, tt.message)
			}
		})
	}
	if got := e.status(t, DefaultInstanceID); got != "available" {
		t.Fatalf("a refused upgrade changed the instance: %s", got)
	}
	// With a group of the target family, the upgrade goes through.
	if err := up("17.6", true, "postgres17-force-ssl-off"); err != nil {
		t.Fatal(err)
	}
	if got := e.status(t, DefaultInstanceID); got != "upgrading" {
		t.Fatalf("status %s", got)
	}
	e.clk.Advance(UpgradePrecheck + UpgradeDowntime)
	if in := e.instance(t, DefaultInstanceID); *in.EngineVersion != "17.6" || *in.DBInstanceStatus != "upgrading" {
		t.Fatalf("after the downtime: %s %s", *in.EngineVersion, *in.DBInstanceStatus)
	}
	e.clk.Advance(UpgradeDuration - UpgradePrecheck - UpgradeDowntime)
	in := e.instance(t, DefaultInstanceID)
	if got := aws.ToString(in.DBInstanceStatus); got != "available" {
		t.Fatalf("status %s", got)
	}
	// The engine restarted on the new version with the new group: in-sync.
	if g := in.DBParameterGroups[0]; aws.ToString(g.DBParameterGroupName) != "postgres17-force-ssl-off" || aws.ToString(g.ParameterApplyStatus) != "in-sync" {
		t.Errorf("after the upgrade: %s %s", aws.ToString(g.DBParameterGroupName), aws.ToString(g.ParameterApplyStatus))
	}
	var ids []string
	for _, m := range e.messages(t, types.SourceTypeDbInstance, DefaultInstanceID) {
		if id := IdentifyEvent(m); id != "RDS-EVENT-0001" && id != "RDS-EVENT-0002" { // the nightly backup
			ids = append(ids, id)
		}
	}
	want := []string{"RDS-EVENT-0264", "RDS-EVENT-0265", "RDS-EVENT-0266", "RDS-EVENT-0267", "RDS-EVENT-0268", "RDS-EVENT-0011", "RDS-EVENT-0269", "RDS-EVENT-0047"}
	if !slices.Equal(ids, want) {
		t.Fatalf("events %v, want %v", ids, want)
	}
}

// TestEngineUpgradeDefaultGroup: an instance on a default group moves to
// the target family's default group by itself.
func TestEngineUpgradeDefaultGroup(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	e.sim.Mutate(func(w *World) { w.Instance(DefaultInstanceID).ParameterGroup = "default.postgres16" })
	must(e.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(DefaultInstanceID), EngineVersion: aws.String("17.6"),
		AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true),
	}))
	e.clk.Advance(UpgradeDuration)
	if g := aws.ToString(e.instance(t, DefaultInstanceID).DBParameterGroups[0].DBParameterGroupName); g != "default.postgres17" {
		t.Errorf("group after the upgrade: %s", g)
	}
}

func TestDeleteDBInstance(t *testing.T) {
	ctx := context.Background()
	t.Run("final snapshot", func(t *testing.T) {
		e := newEnv(t, "")
		out := must(e.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), FinalDBSnapshotIdentifier: aws.String(FinalSnapshotName)}))
		if *out.DBInstance.DBInstanceStatus != "deleting" {
			t.Fatalf("status %s", *out.DBInstance.DBInstanceStatus)
		}
		_, err := e.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), SkipFinalSnapshot: aws.Bool(true)})
		wantCode(t, err, "InvalidDBInstanceState", 400)
		e.clk.Advance(SnapshotDuration)
		if got := e.status(t, DefaultInstanceID); got != "deleting" {
			t.Fatalf("status %s once the snapshot exists", got)
		}
		snap := must(e.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(FinalSnapshotName)}))
		if *snap.DBSnapshots[0].Status != "available" || *snap.DBSnapshots[0].SnapshotType != "manual" {
			t.Fatalf("final snapshot %s %s", *snap.DBSnapshots[0].Status, *snap.DBSnapshots[0].SnapshotType)
		}
		e.clk.Advance(DeleteDelay)
		_, err = e.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(DefaultInstanceID)})
		wantCode(t, err, "DBInstanceNotFound", 404)
		left := must(e.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{}))
		for _, s := range left.DBSnapshots {
			if *s.SnapshotType == "automated" {
				t.Fatalf("automated snapshot %s survived the deletion", *s.DBSnapshotIdentifier)
			}
		}
		if len(left.DBSnapshots) != 3 {
			t.Fatalf("want the 3 manual snapshots to survive, got %d", len(left.DBSnapshots))
		}
	})
	t.Run("skip final snapshot", func(t *testing.T) {
		e := newEnv(t, "")
		must(e.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), SkipFinalSnapshot: aws.Bool(true), DeleteAutomatedBackups: aws.Bool(false)}))
		e.clk.Advance(DeleteNoSnapshot)
		_, err := e.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(DefaultInstanceID)})
		wantCode(t, err, "DBInstanceNotFound", 404)
		left := must(e.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("automated")}))
		if len(left.DBSnapshots) != 7 {
			t.Fatalf("DeleteAutomatedBackups=false kept %d automated snapshots, want 7", len(left.DBSnapshots))
		}
		if msgs := e.messages(t, types.SourceTypeDbInstance, DefaultInstanceID); msgs[len(msgs)-1] != "DB instance deleted" {
			t.Fatalf("events %q", msgs)
		}
	})
	t.Run("errors", func(t *testing.T) {
		e := newEnv(t, "final-snapshot-exists")
		for code, in := range map[string]*rds.DeleteDBInstanceInput{
			"DBSnapshotAlreadyExists":     {DBInstanceIdentifier: aws.String(DefaultInstanceID), FinalDBSnapshotIdentifier: aws.String(FinalSnapshotName)},
			"InvalidParameterCombination": {DBInstanceIdentifier: aws.String(DefaultInstanceID)},
			"InvalidParameterValue":       {DBInstanceIdentifier: aws.String(DefaultInstanceID), FinalDBSnapshotIdentifier: aws.String("final-")},
			"DBInstanceNotFound":          {DBInstanceIdentifier: aws.String("gone"), SkipFinalSnapshot: aws.Bool(true)},
		} {
			_, err := e.rds.DeleteDBInstance(ctx, in)
			wantCode(t, err, code, 0)
		}
		_, err := e.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), SkipFinalSnapshot: aws.Bool(true), FinalDBSnapshotIdentifier: aws.String("x")})
		wantCode(t, err, "InvalidParameterCombination", 400)
		if got := e.status(t, DefaultInstanceID); got != "available" {
			t.Fatalf("a refused delete changed the status to %s", got)
		}
	})
}
