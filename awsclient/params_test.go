package awsclient_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
)

func names(ps []awsclient.Parameter) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// TestParameterGroupFamilies: what the upgrade runbook reads before it
// writes a parameter group for the target family: the current group and its
// family, the values it sets itself, and whether the target family has them.
func TestParameterGroupFamilies(t *testing.T) {
	e, _ := newEnv(t, "default")
	in, err := e.c.Instance(ctx(t), app)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := e.c.ParameterGroup(ctx(t), in.ParameterGroup)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Name != rdssim.DefaultParamGroup || pg.Family != "postgres16" || pg.ARN == "" {
		t.Errorf("parameter group = %+v", pg)
	}
	user, err := e.c.Parameters(ctx(t), pg.Name, awsclient.SourceUser)
	if err != nil {
		t.Fatal(err)
	}
	want := []awsclient.Parameter{
		{Name: "rds.force_ssl", Value: "0", Source: "user", ApplyType: "dynamic", ApplyMethod: "immediate", Modifiable: true},
		{Name: "shared_preload_libraries", Value: "pg_tle,pg_stat_statements,pg_cron", Source: "user", ApplyType: "static", ApplyMethod: "pending-reboot", Modifiable: true},
	}
	if !slices.Equal(user, want) {
		t.Errorf("user parameters = %+v, want %+v", user, want)
	}
	every, err := e.c.Parameters(ctx(t), pg.Name, "")
	if err != nil || !slices.Contains(names(every), "old_snapshot_threshold") || len(every) <= len(user) {
		t.Errorf("every parameter of %s: %v, %v", pg.Name, names(every), err)
	}
	if def, err := e.c.Parameters(ctx(t), "default.postgres16", awsclient.SourceUser); err != nil || len(def) != 0 {
		t.Errorf("a default group sets nothing itself: %+v, %v", def, err)
	}

	fam, err := e.c.EngineFamily(ctx(t), "postgres", "17.6")
	if err != nil || fam != "postgres17" {
		t.Fatalf("family of 17.6 = %q, %v", fam, err)
	}
	p16, err := e.c.FamilyParameters(ctx(t), "postgres16")
	if err != nil {
		t.Fatal(err)
	}
	p17, err := e.c.FamilyParameters(ctx(t), fam)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names(p16), "old_snapshot_threshold") || slices.Contains(names(p17), "old_snapshot_threshold") {
		t.Errorf("old_snapshot_threshold: in postgres16 %v, in postgres17 %v; PostgreSQL 17 removed it", names(p16), names(p17))
	}
	if got := awsclient.MissingFrom(user, p17); len(got) != 0 {
		t.Errorf("the data stack's settings all exist in postgres17, missing: %+v", got)
	}

	// A group that sets old_snapshot_threshold cannot move to postgres17 as is.
	_, err = e.raw.CreateDBParameterGroup(ctx(t), &rds.CreateDBParameterGroupInput{
		DBParameterGroupName: aws.String("pg16-snapshot-too-old"), DBParameterGroupFamily: aws.String("postgres16"), Description: aws.String("test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.raw.ModifyDBParameterGroup(ctx(t), &rds.ModifyDBParameterGroupInput{
		DBParameterGroupName: aws.String("pg16-snapshot-too-old"),
		Parameters:           []rdstypes.Parameter{{ParameterName: aws.String("old_snapshot_threshold"), ParameterValue: aws.String("60"), ApplyMethod: rdstypes.ApplyMethodPendingReboot}},
	})
	if err != nil {
		t.Fatal(err)
	}
	old, err := e.c.Parameters(ctx(t), "pg16-snapshot-too-old", awsclient.SourceUser)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(awsclient.MissingFrom(old, p17)); !slices.Equal(got, []string{"old_snapshot_threshold"}) {
		t.Errorf("missing from postgres17 = %v, want [old_snapshot_threshold]", got)
	}

	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"unknown group", must1(e.c.ParameterGroup(ctx(t), "nope")), awsclient.ErrNotFound},
		{"no group name", must1(e.c.Parameters(ctx(t), "", "")), awsclient.ErrInvalidInput},
		{"unknown family", must1(e.c.FamilyParameters(ctx(t), "postgres99")), awsclient.ErrInvalidInput},
		{"unknown version", must1(e.c.EngineFamily(ctx(t), "postgres", "17.99")), awsclient.ErrNotFound},
		{"no version", must1(e.c.EngineFamily(ctx(t), "postgres", "")), awsclient.ErrInvalidInput},
	} {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

// must1 keeps only the error of a two-value call.
func must1[T any](_ T, err error) error { return err }
