package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	p "github.com/pulumi/pulumi-go-provider"
)

func TestEndpointFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "none", env: nil, wantErr: "no RDS endpoint override"},
		{name: "rds specific", env: map[string]string{"AWS_ENDPOINT_URL_RDS": "http://127.0.0.1:4566"}, want: "http://127.0.0.1:4566"},
		{name: "generic", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, want: "http://127.0.0.1:9"},
		{name: "rds wins", env: map[string]string{"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_RDS": "http://b:2"}, want: "http://b:2"},
		{name: "not a url", env: map[string]string{"AWS_ENDPOINT_URL_RDS": "127.0.0.1:4566"}, wantErr: "not an http(s) URL"},
		{name: "real aws", env: map[string]string{"AWS_ENDPOINT_URL_RDS": "https://rds.eu-west-2.amazonaws.com"}, wantErr: "real AWS endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := endpointFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestAutoName(t *testing.T) {
	re := regexp.MustCompile(`^app[0-9a-f]{7}$`)
	seen := map[string]bool{}
	for range 20 {
		n, err := autoName("app")
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(n) {
			t.Fatalf("autoName = %q, want app + 7 hex", n)
		}
		seen[n] = true
	}
	if len(seen) < 2 {
		t.Fatalf("autoName gave the same name 20 times: %v", seen)
	}
}

func TestEngineVersionFromAWS(t *testing.T) {
	tests := []struct {
		program *string
		actual  string
		want    string
	}{
		{aws.String("16.11"), "16.13", "16.13"}, // AWS moved the minor: drift
		{aws.String("16"), "16.13", "16"},       // major only: no drift
		{aws.String("16.13"), "16.13", "16.13"},
		{nil, "16.13", "16.13"},
		{aws.String("16.1"), "16.13", "16.13"}, // a prefix that is not a version part
	}
	for _, tt := range tests {
		got := aws.ToString(engineVersionFromAWS(tt.program, tt.actual))
		if got != tt.want {
			t.Errorf("engineVersionFromAWS(%v, %q) = %q, want %q", aws.ToString(tt.program), tt.actual, got, tt.want)
		}
	}
}

func TestDiffInstance(t *testing.T) {
	base := InstanceArgs{
		Identifier:              aws.String("app5ec7032"), // as in state: auto-named
		InstanceClass:           "db.t3.small",
		EngineVersion:           aws.String("16.11"),
		SkipFinalSnapshot:       aws.Bool(false),
		FinalSnapshotIdentifier: aws.String("final-before-deletion"),
	}
	program := base
	program.Identifier = nil
	with := func(f func(*InstanceArgs)) InstanceArgs {
		a := program
		f(&a)
		return a
	}
	tests := []struct {
		name      string
		old, news InstanceArgs
		want      map[string]p.DiffKind
		dbr       bool
	}{
		{name: "no change (auto-named)", old: base, news: program, want: map[string]p.DiffKind{}},
		{name: "add snapshot replaces", old: base,
			news: with(func(a *InstanceArgs) { a.SnapshotIdentifier = aws.String("pre-release-x") }),
			want: map[string]p.DiffKind{"snapshotIdentifier": p.AddReplace}},
		{name: "class updates in place", old: base,
			news: with(func(a *InstanceArgs) { a.InstanceClass = "db.t3.medium" }),
			want: map[string]p.DiffKind{"instanceClass": p.Update}},
		{name: "engine version upgrade", old: base,
			news: with(func(a *InstanceArgs) { a.EngineVersion = aws.String("17.6") }),
			want: map[string]p.DiffKind{"engineVersion": p.Update}},
		{name: "explicit identifier change replaces, delete first", old: base,
			news: with(func(a *InstanceArgs) { a.Identifier = aws.String("other") }),
			want: map[string]p.DiffKind{"identifier": p.UpdateReplace}, dbr: true},
		{name: "remove snapshot replaces", old: with(func(a *InstanceArgs) { a.SnapshotIdentifier = aws.String("s") }),
			news: program, want: map[string]p.DiffKind{"snapshotIdentifier": p.DeleteReplace}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := diffInstance(tt.old, tt.news)
			if got.HasChanges != (len(tt.want) > 0) {
				t.Errorf("HasChanges = %v, want %v", got.HasChanges, len(tt.want) > 0)
			}
			if len(got.DetailedDiff) != len(tt.want) {
				t.Errorf("DetailedDiff = %v, want %v", got.DetailedDiff, tt.want)
			}
			for k, kind := range tt.want {
				if got.DetailedDiff[k].Kind != kind {
					t.Errorf("DetailedDiff[%s] = %v, want %v", k, got.DetailedDiff[k].Kind, kind)
				}
			}
			if got.DeleteBeforeReplace != tt.dbr {
				t.Errorf("DeleteBeforeReplace = %v, want %v", got.DeleteBeforeReplace, tt.dbr)
			}
		})
	}
}

func TestModifyInput(t *testing.T) {
	old := InstanceArgs{InstanceClass: "db.t3.small", EngineVersion: aws.String("16.13"), MaintenanceWindow: aws.String("mon:00:00-mon:03:00")}
	same := old
	same.MaintenanceWindow = aws.String("Mon:00:00-Mon:03:00")
	if _, changed := modifyInput("app5ec7032", old, same); changed {
		t.Fatal("a maintenance window differing only in case must not modify")
	}
	up := old
	up.EngineVersion = aws.String("17.6")
	up.AllowMajorVersionUpgrade = aws.Bool(true)
	up.ApplyImmediately = aws.Bool(true)
	m, changed := modifyInput("app5ec7032", old, up)
	if !changed || aws.ToString(m.EngineVersion) != "17.6" || !aws.ToBool(m.AllowMajorVersionUpgrade) || !aws.ToBool(m.ApplyImmediately) {
		t.Fatalf("modifyInput for an upgrade = %+v, changed %v", m, changed)
	}
}
