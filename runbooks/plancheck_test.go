package runbooks

import (
	"reflect"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/pulumiclient"
)

const testInstanceURN = "urn:pulumi:staging::data::aws:rds/instance:Instance::app"

func replacement(diffs ...string) pulumiclient.Plan {
	var p pulumiclient.Plan
	for _, op := range []pulumiclient.Op{pulumiclient.OpCreateReplacement, pulumiclient.OpReplace, pulumiclient.OpDeleteReplaced} {
		s := pulumiclient.PlannedStep{URN: testInstanceURN, Type: pulumiclient.InstanceType, Name: "app", Op: op}
		if op != pulumiclient.OpDeleteReplaced {
			s.Keys, s.Diffs = []string{"snapshotIdentifier"}, diffs
		}
		p.Steps = append(p.Steps, s)
	}
	return p
}

func TestRestorePlanExtras(t *testing.T) {
	tests := []struct {
		name       string
		plan       pulumiclient.Plan
		prog, snap string
		want       []string
	}{
		{"only the snapshot", replacement("snapshotIdentifier"), "16.13", "16.13", nil},
		{"engineVersion following the snapshot", replacement("snapshotIdentifier", "engineVersion"), "16.13", "16.13", nil},
		{"engineVersion moving away from the snapshot", replacement("snapshotIdentifier", "engineVersion"), "17.7", "16.13", []string{"engineVersion"}},
		{"a new final snapshot name (the guard's fix by hand)", replacement("snapshotIdentifier", "finalSnapshotIdentifier"), "16.13", "16.13", nil},
		{"skipFinalSnapshot is not Pulumi's alone to change", replacement("snapshotIdentifier", "skipFinalSnapshot"), "16.13", "16.13", []string{"skipFinalSnapshot"}},
		{"storage, class and security groups ride along", replacement("snapshotIdentifier", "vpcSecurityGroupIds", "allocatedStorage", "instanceClass"), "", "16.13",
			[]string{"allocatedStorage", "instanceClass", "vpcSecurityGroupIds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := restorePlanExtras(tt.plan, tt.prog, tt.snap); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("extras = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDestructiveSteps(t *testing.T) {
	p := replacement("snapshotIdentifier")
	p.Steps = append(p.Steps,
		pulumiclient.PlannedStep{URN: "urn:pulumi:staging::data::aws:rds/parameterGroup:ParameterGroup::old", Type: pulumiclient.ParameterGroupType, Name: "old", Op: pulumiclient.OpDelete},
		pulumiclient.PlannedStep{URN: "urn:pulumi:staging::data::aws:s3/bucket:Bucket::user-data", Type: "aws:s3/bucket:Bucket", Name: "user-data", Op: pulumiclient.OpUpdate})
	want := []string{
		"REPLACES aws:rds/instance:Instance app (because of snapshotIdentifier)",
		"DELETES aws:rds/parameterGroup:ParameterGroup old",
	}
	if got := destructiveSteps(p); !reflect.DeepEqual(got, want) {
		t.Errorf("destructive = %q, want %q", got, want)
	}
}

func TestNextWindow(t *testing.T) {
	// Wednesday 2026-11-25 10:00 UTC.
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		window     string
		start, end string
	}{
		{"mon:00:00-mon:03:00", "2026-11-30 00:00", "2026-11-30 03:00"},
		{"wed:09:30-wed:10:30", "2026-11-25 09:30", "2026-11-25 10:30"}, // in progress
		{"wed:10:30-wed:11:00", "2026-11-25 10:30", "2026-11-25 11:00"},
		{"wed:08:00-wed:09:00", "2026-12-02 08:00", "2026-12-02 09:00"},
		{"sat:23:00-sun:01:00", "2026-11-28 23:00", "2026-11-29 01:00"},
		{"Tue:22:13-Tue:22:43", "2026-12-01 22:13", "2026-12-01 22:43"},
	}
	for _, tt := range tests {
		s, e, ok := nextWindow(tt.window, now)
		if !ok || s.Format("2006-01-02 15:04") != tt.start || e.Format("2006-01-02 15:04") != tt.end {
			t.Errorf("nextWindow(%q) = %s – %s (%v), want %s – %s", tt.window, s, e, ok, tt.start, tt.end)
		}
	}
	if _, _, ok := nextWindow("whenever", now); ok {
		t.Error("a window that is not one was read")
	}
}
