package rdssim

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

func TestDefaultSnapshots(t *testing.T) {
	e := newEnv(t, "")
	out := must(e.rds.DescribeDBSnapshots(context.Background(), &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(DefaultInstanceID)}))
	var manual, automated []string
	for _, s := range out.DBSnapshots {
		if *s.Status != "available" || *s.PercentProgress != 100 || s.SnapshotCreateTime.After(t0) {
			t.Errorf("%s: %s %d%% at %v", *s.DBSnapshotIdentifier, *s.Status, *s.PercentProgress, s.SnapshotCreateTime)
		}
		if *s.SnapshotType == "manual" {
			manual = append(manual, *s.DBSnapshotIdentifier)
		} else {
			automated = append(automated, *s.DBSnapshotIdentifier)
		}
	}
	wantManual := []string{"after-postgres-update-167", "pre-release-" + t0.AddDate(0, 0, -3).Add(-2*time.Hour).Format("2006-01-02")}
	if !slices.Equal(manual, wantManual) {
		t.Errorf("manual snapshots %v, want %v", manual, wantManual)
	}
	if len(automated) != 7 || automated[6][:len("rds:app5ec7032-2026-11-25-03-1")] != "rds:app5ec7032-2026-11-25-03-1" {
		t.Errorf("automated snapshots %v", automated)
	}
}

func TestSnapshotLifecycle(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	out := must(e.rds.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String("Before-Restore")}))
	if *out.DBSnapshot.Status != "creating" || *out.DBSnapshot.PercentProgress != 0 || *out.DBSnapshot.DBSnapshotIdentifier != "before-restore" {
		t.Fatalf("create answered %s %d%% %s", *out.DBSnapshot.Status, *out.DBSnapshot.PercentProgress, *out.DBSnapshot.DBSnapshotIdentifier)
	}
	if got := e.status(t, DefaultInstanceID); got != "backing-up" {
		t.Fatalf("instance %s while snapshotting", got)
	}
	get := func() types.DBSnapshot {
		return must(e.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("before-restore")})).DBSnapshots[0]
	}
	e.clk.Advance(SnapshotDuration / 2)
	if s := get(); *s.Status != "creating" || *s.PercentProgress != 50 {
		t.Fatalf("half-way: %s %d%%", *s.Status, *s.PercentProgress)
	}
	_, err := e.rds.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String("another")})
	wantCode(t, err, "InvalidDBInstanceState", 400)
	_, err = e.rds.DeleteDBSnapshot(ctx, &rds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String("before-restore")})
	wantCode(t, err, "InvalidDBSnapshotState", 400)
	e.clk.Advance(SnapshotDuration / 2)
	if s := get(); *s.Status != "available" || *s.PercentProgress != 100 {
		t.Fatalf("done: %s %d%%", *s.Status, *s.PercentProgress)
	}
	if got := e.status(t, DefaultInstanceID); got != "available" {
		t.Fatalf("instance %s after the snapshot", got)
	}
	if msgs := e.messages(t, types.SourceTypeDbSnapshot, "before-restore"); !slices.Equal(msgs, []string{"Creating manual snapshot", "Manual snapshot created"}) {
		t.Fatalf("snapshot events %q", msgs)
	}
	errs := []struct {
		name string
		in   rds.CreateDBSnapshotInput
		code string
	}{
		{"duplicate", rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String("before-restore")}, "DBSnapshotAlreadyExists"},
		{"bad name", rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String("9lives")}, "InvalidParameterValue"},
		{"no instance", rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("nope"), DBSnapshotIdentifier: aws.String("s1")}, "DBInstanceNotFound"},
	}
	for _, c := range errs {
		_, err := e.rds.CreateDBSnapshot(ctx, &c.in)
		wantCode(t, err, c.code, 0)
	}
	del := must(e.rds.DeleteDBSnapshot(ctx, &rds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String("before-restore")}))
	if *del.DBSnapshot.Status != "deleted" {
		t.Fatalf("delete answered %s", *del.DBSnapshot.Status)
	}
	_, err = e.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("before-restore")})
	wantCode(t, err, "DBSnapshotNotFound", 404)
	_, err = e.rds.DeleteDBSnapshot(ctx, &rds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String("before-restore")})
	wantCode(t, err, "DBSnapshotNotFound", 404)
	autos := must(e.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("automated")}))
	_, err = e.rds.DeleteDBSnapshot(ctx, &rds.DeleteDBSnapshotInput{DBSnapshotIdentifier: autos.DBSnapshots[0].DBSnapshotIdentifier})
	wantCode(t, err, "InvalidDBSnapshotState", 400)
}

func TestDescribeDBSnapshotsFilters(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	app := e.instance(t, DefaultInstanceID)
	tests := []struct {
		name string
		in   rds.DescribeDBSnapshotsInput
		want int
		code string
	}{
		{"all", rds.DescribeDBSnapshotsInput{}, 9, ""},
		{"manual", rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("manual")}, 2, ""},
		{"automated", rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("automated")}, 7, ""},
		{"by ARN", rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("arn:aws:rds:eu-west-2:123456789012:snapshot:after-postgres-update-167")}, 1, ""},
		{"by resource id", rds.DescribeDBSnapshotsInput{DbiResourceId: app.DbiResourceId}, 9, ""},
		{"filter snapshot-type", rds.DescribeDBSnapshotsInput{Filters: []types.Filter{{Name: aws.String("snapshot-type"), Values: []string{"manual"}}}}, 2, ""},
		{"filter db-snapshot-id", rds.DescribeDBSnapshotsInput{Filters: []types.Filter{{Name: aws.String("db-snapshot-id"), Values: []string{"after-postgres-update-167"}}}}, 1, ""},
		{"other instance", rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String("other")}, 0, ""},
		{"unknown type", rds.DescribeDBSnapshotsInput{SnapshotType: aws.String("weekly")}, 0, "InvalidParameterValue"},
		{"unknown filter", rds.DescribeDBSnapshotsInput{Filters: []types.Filter{{Name: aws.String("size"), Values: []string{"1"}}}}, 0, "InvalidParameterValue"},
		{"MaxRecords", rds.DescribeDBSnapshotsInput{MaxRecords: aws.Int32(10)}, 0, "InvalidParameterValue"},
		{"not found", rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("nope")}, 0, "DBSnapshotNotFound"},
		{"invalid name", rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("no_underscores")}, 0, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.rds.DescribeDBSnapshots(ctx, &tt.in)
			if tt.code != "" {
				wantCode(t, err, tt.code, 0)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(out.DBSnapshots) != tt.want {
				t.Fatalf("got %d snapshots, want %d", len(out.DBSnapshots), tt.want)
			}
		})
	}
}

func TestDescribeDBSnapshotsPaginator(t *testing.T) {
	e := newEnv(t, "")
	e.sim.Mutate(func(w *World) {
		app := w.Instance(DefaultInstanceID)
		for i := range 31 {
			w.Snapshots = append(w.Snapshots, w.snapshotOf(app, fmt.Sprintf("manual-%02d", i), "manual", t0.Add(-time.Duration(i)*time.Hour)))
		}
	})
	p := rds.NewDescribeDBSnapshotsPaginator(e.rds, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(DefaultInstanceID)},
		func(o *rds.DescribeDBSnapshotsPaginatorOptions) { o.Limit = 20 })
	pages, total := 0, 0
	for p.HasMorePages() {
		pages++
		total += len(must(p.NextPage(context.Background())).DBSnapshots)
	}
	if pages != 2 || total != 40 {
		t.Fatalf("%d pages, %d snapshots; want 2 and 40", pages, total)
	}
}
