package rdssim

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestDescribeDBEngineVersions(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	targets := func(v string) (minor, major []string) {
		out := must(e.rds.DescribeDBEngineVersions(ctx, &rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres"), EngineVersion: aws.String(v)}))
		if len(out.DBEngineVersions) != 1 {
			t.Fatalf("%s: %d versions", v, len(out.DBEngineVersions))
		}
		for _, ut := range out.DBEngineVersions[0].ValidUpgradeTarget {
			if *ut.IsMajorVersionUpgrade {
				major = append(major, *ut.EngineVersion)
			} else {
				minor = append(minor, *ut.EngineVersion)
			}
		}
		return minor, major
	}
	tests := []struct {
		version      string
		minor, major []string
	}{
		{"16.13", nil, []string{"17.6", "17.7"}},
		{"16.11", []string{"16.12", "16.13"}, []string{"17.2", "17.3", "17.4", "17.5"}},
		{"17.5", []string{"17.6", "17.7"}, nil},
	}
	for _, tt := range tests {
		minor, major := targets(tt.version)
		if !slices.Equal(minor, tt.minor) || !slices.Equal(major, tt.major) {
			t.Errorf("%s: minor %v major %v; want %v %v", tt.version, minor, major, tt.minor, tt.major)
		}
	}
	all := must(e.rds.DescribeDBEngineVersions(ctx, &rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres")}))
	if len(all.DBEngineVersions) != 25 {
		t.Errorf("%d postgres versions, want 25", len(all.DBEngineVersions))
	}
	def := must(e.rds.DescribeDBEngineVersions(ctx, &rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres"), DefaultOnly: aws.Bool(true)}))
	if len(def.DBEngineVersions) != 1 || *def.DBEngineVersions[0].EngineVersion != "17.6" {
		t.Errorf("default version: %v", def.DBEngineVersions)
	}
	fam := must(e.rds.DescribeDBEngineVersions(ctx, &rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres"), DBParameterGroupFamily: aws.String("postgres17")}))
	if len(fam.DBEngineVersions) != 6 {
		t.Errorf("postgres17 family: %d versions", len(fam.DBEngineVersions))
	}
	p := rds.NewDescribeDBEngineVersionsPaginator(e.rds, &rds.DescribeDBEngineVersionsInput{Engine: aws.String("postgres")},
		func(o *rds.DescribeDBEngineVersionsPaginatorOptions) { o.Limit = 20 })
	pages, total := 0, 0
	for p.HasMorePages() {
		pages++
		total += len(must(p.NextPage(ctx)).DBEngineVersions)
	}
	if pages != 2 || total != 25 {
		t.Errorf("paginator: %d pages, %d versions", pages, total)
	}
	_, err := e.rds.DescribeDBEngineVersions(ctx, &rds.DescribeDBEngineVersionsInput{Filters: []types.Filter{{Name: aws.String("size"), Values: []string{"x"}}}})
	wantCode(t, err, "InvalidParameterValue", 400)
}

func TestPendingMaintenanceAndFailedUpgrade(t *testing.T) {
	e := newEnv(t, "upgrade-precheck-fails")
	ctx := context.Background()
	arn := "arn:aws:rds:eu-west-2:123456789012:db:" + DefaultInstanceID
	out := must(e.rds.DescribePendingMaintenanceActions(ctx, &rds.DescribePendingMaintenanceActionsInput{}))
	if len(out.PendingMaintenanceActions) != 1 || *out.PendingMaintenanceActions[0].ResourceIdentifier != arn ||
		*out.PendingMaintenanceActions[0].PendingMaintenanceActionDetails[0].Action != "system-update" {
		t.Fatalf("pending actions %+v", out.PendingMaintenanceActions)
	}
	byARN := must(e.rds.DescribePendingMaintenanceActions(ctx, &rds.DescribePendingMaintenanceActionsInput{ResourceIdentifier: aws.String(arn)}))
	if len(byARN.PendingMaintenanceActions) != 1 {
		t.Fatalf("by ARN: %d", len(byARN.PendingMaintenanceActions))
	}
	_, err := e.rds.DescribePendingMaintenanceActions(ctx, &rds.DescribePendingMaintenanceActionsInput{ResourceIdentifier: aws.String(arn + "x")})
	wantCode(t, err, "ResourceNotFoundFault", 404)

	// The upgrade fails its pre-check while maintenance is pending.
	must(e.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(DefaultInstanceID), EngineVersion: aws.String("17.6"),
		AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true), DBParameterGroupName: aws.String("default.postgres17"),
	}))
	e.clk.Advance(UpgradeDuration)
	in := e.instance(t, DefaultInstanceID)
	if *in.DBInstanceStatus != "available" || *in.EngineVersion != "16.13" || in.PendingModifiedValues.EngineVersion != nil {
		t.Fatalf("after the failed upgrade: %s %s pending %v", *in.DBInstanceStatus, *in.EngineVersion, in.PendingModifiedValues.EngineVersion)
	}
	events := must(e.rds.DescribeEvents(ctx, &rds.DescribeEventsInput{
		SourceType: types.SourceTypeDbInstance, SourceIdentifier: aws.String(DefaultInstanceID), StartTime: aws.Time(t0),
	}))
	var ids []string
	for _, ev := range events.Events {
		ids = append(ids, IdentifyEvent(*ev.Message))
		if IdentifyEvent(*ev.Message) == "RDS-EVENT-0158" {
			want := "Database instance is in a state that cannot be upgraded: Postgres cluster is in a state where pg_upgrade can not be completed successfully."
			if *ev.Message != want || !slices.Contains(ev.EventCategories, "failure") || *ev.SourceArn != arn {
				t.Errorf("0158 event: %q %v %s", *ev.Message, ev.EventCategories, *ev.SourceArn)
			}
		}
	}
	if !slices.Equal(ids, []string{"RDS-EVENT-0264", "RDS-EVENT-0158", "RDS-EVENT-0266", "RDS-EVENT-0006"}) {
		t.Fatalf("events %v", ids)
	}

	// Apply the maintenance, then the upgrade goes through.
	_, err = e.rds.ApplyPendingMaintenanceAction(ctx, &rds.ApplyPendingMaintenanceActionInput{ResourceIdentifier: aws.String(arn), ApplyAction: aws.String("os-upgrade"), OptInType: aws.String("immediate")})
	wantCode(t, err, "InvalidParameterValue", 400)
	_, err = e.rds.ApplyPendingMaintenanceAction(ctx, &rds.ApplyPendingMaintenanceActionInput{ResourceIdentifier: aws.String(arn), ApplyAction: aws.String("system-update"), OptInType: aws.String("whenever")})
	wantCode(t, err, "InvalidParameterValue", 400)
	next := must(e.rds.ApplyPendingMaintenanceAction(ctx, &rds.ApplyPendingMaintenanceActionInput{ResourceIdentifier: aws.String(arn), ApplyAction: aws.String("system-update"), OptInType: aws.String("next-maintenance")}))
	d := next.ResourcePendingMaintenanceActions.PendingMaintenanceActionDetails[0]
	if *d.OptInStatus != "next-maintenance" || d.CurrentApplyDate.Weekday() != time.Monday {
		t.Fatalf("next-maintenance: %s %v", *d.OptInStatus, d.CurrentApplyDate)
	}
	must(e.rds.ApplyPendingMaintenanceAction(ctx, &rds.ApplyPendingMaintenanceActionInput{ResourceIdentifier: aws.String(arn), ApplyAction: aws.String("system-update"), OptInType: aws.String("immediate")}))
	if got := e.status(t, DefaultInstanceID); got != "maintenance" {
		t.Fatalf("status %s while applying maintenance", got)
	}
	// The second action, opted in while the first runs, follows it.
	must(e.rds.ApplyPendingMaintenanceAction(ctx, &rds.ApplyPendingMaintenanceActionInput{ResourceIdentifier: aws.String(arn), ApplyAction: aws.String("hardware-maintenance"), OptInType: aws.String("immediate")}))
	e.clk.Advance(MaintenanceDuration)
	if got := e.status(t, DefaultInstanceID); got != "maintenance" {
		t.Fatalf("status %s between the two actions", got)
	}
	e.clk.Advance(MaintenanceDuration)
	if out := must(e.rds.DescribePendingMaintenanceActions(ctx, &rds.DescribePendingMaintenanceActionsInput{})); len(out.PendingMaintenanceActions) != 0 {
		t.Fatalf("maintenance still pending after applying it")
	}
	must(e.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(DefaultInstanceID), EngineVersion: aws.String("17.6"),
		AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true), DBParameterGroupName: aws.String("default.postgres17"),
	}))
	e.clk.Advance(UpgradeDuration)
	if in := e.instance(t, DefaultInstanceID); *in.EngineVersion != "17.6" {
		t.Fatalf("second upgrade left %s", *in.EngineVersion)
	}
}

func TestDescribeEventsWindow(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	must(e.rds.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String("s1")}))
	e.clk.Advance(2 * time.Hour)
	count := func(in rds.DescribeEventsInput) int {
		return len(must(e.rds.DescribeEvents(ctx, &in)).Events)
	}
	if n := count(rds.DescribeEventsInput{}); n != 0 {
		t.Errorf("default window (60 min): %d events, want 0", n)
	}
	if n := count(rds.DescribeEventsInput{Duration: aws.Int32(180), SourceType: types.SourceTypeDbSnapshot}); n != 2 {
		t.Errorf("last 3 hours of snapshot events: %d, want 2", n)
	}
	if n := count(rds.DescribeEventsInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Minute))}); n != 1 {
		t.Errorf("first minute: %d, want 1", n)
	}
	if n := count(rds.DescribeEventsInput{Duration: aws.Int32(180), EventCategories: []string{"creation"}}); n != 2 {
		t.Errorf("creation events: %d, want 2", n)
	}
	_, err := e.rds.DescribeEvents(ctx, &rds.DescribeEventsInput{SourceIdentifier: aws.String(DefaultInstanceID)})
	wantCode(t, err, "InvalidParameterCombination", 400)
	_, err = e.rds.DescribeEvents(ctx, &rds.DescribeEventsInput{MaxRecords: aws.Int32(500)})
	wantCode(t, err, "InvalidParameterValue", 400)
	e.sim.Mutate(func(w *World) {
		for i := range 30 {
			w.Events = append(w.Events, Event{SourceID: "x", SourceType: "db-instance", Date: e.clk.Now().Add(-time.Duration(i) * time.Minute), ID: "RDS-EVENT-0006", Message: "DB instance restarted"})
		}
	})
	p := rds.NewDescribeEventsPaginator(e.rds, &rds.DescribeEventsInput{}, func(o *rds.DescribeEventsPaginatorOptions) { o.Limit = 20 })
	pages, total := 0, 0
	for p.HasMorePages() {
		pages++
		total += len(must(p.NextPage(ctx)).Events)
	}
	if pages != 2 || total != 30 {
		t.Errorf("paginator: %d pages, %d events", pages, total)
	}
}

func TestParameterAndSubnetGroups(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	pgs := must(e.rds.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{}))
	if len(pgs.DBParameterGroups) != 4 {
		t.Fatalf("%d parameter groups", len(pgs.DBParameterGroups))
	}
	force := func(group string) string {
		out := must(e.rds.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(group)}))
		for _, p := range out.Parameters {
			if *p.ParameterName == "rds.force_ssl" {
				return *p.ParameterValue
			}
		}
		return ""
	}
	if force(DefaultParamGroup) != "0" || force("default.postgres16") != "1" {
		t.Fatalf("rds.force_ssl: custom %s default %s", force(DefaultParamGroup), force("default.postgres16"))
	}
	_, err := e.rds.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String("nope")})
	wantCode(t, err, "DBParameterGroupNotFound", 404)
	created := must(e.rds.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName: aws.String("postgres17-force-ssl-off"), DBParameterGroupFamily: aws.String("postgres17"), Description: aws.String("for the upgrade"),
	}))
	if *created.DBParameterGroup.DBParameterGroupArn != "arn:aws:rds:eu-west-2:123456789012:pg:postgres17-force-ssl-off" {
		t.Fatalf("arn %s", *created.DBParameterGroup.DBParameterGroupArn)
	}
	for code, in := range map[string]*rds.CreateDBParameterGroupInput{
		"DBParameterGroupAlreadyExists": {DBParameterGroupName: aws.String("postgres17-force-ssl-off"), DBParameterGroupFamily: aws.String("postgres17"), Description: aws.String("x")},
		"InvalidParameterValue":         {DBParameterGroupName: aws.String("x"), DBParameterGroupFamily: aws.String("mysql8.0"), Description: aws.String("x")},
	} {
		_, err := e.rds.CreateDBParameterGroup(ctx, in)
		wantCode(t, err, code, 400)
	}
	sgs := must(e.rds.DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: aws.String(DefaultSubnetGroup)}))
	if len(sgs.DBSubnetGroups) != 1 || len(sgs.DBSubnetGroups[0].Subnets) != 3 || *sgs.DBSubnetGroups[0].VpcId != appVPC {
		t.Fatalf("subnet group %+v", sgs.DBSubnetGroups)
	}
	_, err = e.rds.DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: aws.String("nope")})
	wantCode(t, err, "DBSubnetGroupNotFoundFault", 404)
}

func TestGetCallerIdentity(t *testing.T) {
	for scenario, user := range map[string]string{"default": "planx-staging-pulumi", "wrong-profile": "docker-user"} {
		e := newEnv(t, scenario)
		out := must(e.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}))
		if *out.Arn != "arn:aws:iam::123456789012:user/"+user || *out.Account != DefaultAccount || *out.UserId == "" {
			t.Errorf("%s: %s %s %s", scenario, *out.Arn, *out.Account, *out.UserId)
		}
	}
}
