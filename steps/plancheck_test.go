package steps

import (
	"reflect"
	"testing"

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
