package pulumiclient

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

const (
	urnStack = "urn:pulumi:staging::data::pulumi:pulumi:Stack::data-staging"
	urnPG    = "urn:pulumi:staging::data::aws:rds/parameterGroup:ParameterGroup::parameterGroup"
	urnApp   = "urn:pulumi:staging::data::aws:rds/instance:Instance::app"
)

func pre(op apitype.OpType, typ, urn string, keys, diffs []string) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{
		Planning: true,
		Metadata: apitype.StepEventMetadata{Op: op, URN: urn, Type: typ, Keys: keys, Diffs: diffs},
	}}}
}

func summary(changes map[apitype.OpType]int) events.EngineEvent {
	return events.EngineEvent{EngineEvent: apitype.EngineEvent{SummaryEvent: &apitype.SummaryEvent{ResourceChanges: changes, IsPreview: true}}}
}

func TestPlanClassification(t *testing.T) {
	stack := pre("same", "pulumi:pulumi:Stack", urnStack, nil, nil)
	pgSame := pre("same", "aws:rds/parameterGroup:ParameterGroup", urnPG, nil, nil)
	restore := []events.EngineEvent{
		stack, pgSame,
		pre("create-replacement", InstanceType, urnApp, []string{"snapshotIdentifier"}, []string{"snapshotIdentifier"}),
		pre("replace", InstanceType, urnApp, []string{"snapshotIdentifier"}, []string{"snapshotIdentifier"}),
		pre("delete-replaced", InstanceType, urnApp, nil, nil),
		summary(map[apitype.OpType]int{"same": 2, "replace": 1}),
	}
	tests := []struct {
		name     string
		evs      []events.EngineEvent
		want     InstanceChange
		restoreE string // "" means CheckRestorePlan passes
	}{
		{"restore", restore, InstanceReplaced, ""},
		{"nothing", []events.EngineEvent{stack, pgSame, pre("same", InstanceType, urnApp, nil, nil)}, InstanceUnchanged, "expected one create-replacement"},
		{"upgrade in place", []events.EngineEvent{stack, pre("update", InstanceType, urnApp, nil, []string{"engineVersion"})}, InstanceUpdated, "update " + urnApp + " (changes engineVersion)"},
		{"delete", []events.EngineEvent{stack, pre("delete", InstanceType, urnApp, nil, nil)}, InstanceDeleted, "delete " + urnApp},
		{"create", []events.EngineEvent{stack, pre("create", InstanceType, urnApp, nil, nil)}, InstanceCreated, "create " + urnApp},
		{"restore plus parameter group change", append(append([]events.EngineEvent{}, restore...),
			pre("update", "aws:rds/parameterGroup:ParameterGroup", urnPG, nil, []string{"parameters"})), InstanceReplaced,
			"update " + urnPG + " (changes parameters)"},
		{"restore twice (duplicate events are ignored)", append(append([]events.EngineEvent{}, restore...), restore...), InstanceReplaced, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PlanFromEvents(tt.evs)
			if got := p.Instance(); got != tt.want {
				t.Errorf("Instance() = %q, want %q", got, tt.want)
			}
			err := CheckRestorePlan(p)
			switch {
			case tt.restoreE == "" && err != nil:
				t.Errorf("CheckRestorePlan: %v", err)
			case tt.restoreE != "" && (err == nil || !strings.Contains(err.Error(), tt.restoreE)):
				t.Errorf("CheckRestorePlan = %v, want it to name %q", err, tt.restoreE)
			}
		})
	}
	p := PlanFromEvents(restore)
	if p.Changes[OpReplace] != 1 || p.Changes[OpSame] != 2 {
		t.Errorf("Changes = %v", p.Changes)
	}
	if k := p.ReplaceKeys(); len(k) != 1 || k[0] != "snapshotIdentifier" {
		t.Errorf("ReplaceKeys = %v", k)
	}
}

func TestGuards(t *testing.T) {
	prog := ProgramSettings{SkipFinalSnapshot: ptr(false), FinalSnapshotIdentifier: "final-before-deletion"}
	exp := ExportedInstance{SkipFinalSnapshot: true, DeletionProtection: true, FinalSnapshotIdentifier: "old-name"}
	tests := []struct {
		name   string
		prog   *ProgramSettings
		exp    *ExportedInstance
		exists bool
		want   []string
	}{
		{"program is safe", &prog, nil, false, nil},
		{"final snapshot name taken", &prog, nil, true, []string{`"final-before-deletion" already exists`}},
		{"state only", nil, &exp, false, []string{"deletionProtection is on", "skipFinalSnapshot is true"}},
		{"the state decides the delete, not the program", &prog, &ExportedInstance{SkipFinalSnapshot: true}, false, []string{"skipFinalSnapshot is true (the value in Pulumi's state, which the delete uses"}},
		{"a name changed only in the program does not free the delete's", &ProgramSettings{SkipFinalSnapshot: ptr(false), FinalSnapshotIdentifier: "another-name"},
			&ExportedInstance{FinalSnapshotIdentifier: "final-before-deletion"}, true, []string{`"final-before-deletion" already exists (the value in Pulumi's state`}},
		{"no final identifier", &ProgramSettings{SkipFinalSnapshot: ptr(false)}, nil, false, []string{"no finalSnapshotIdentifier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := ReadGuards(tt.prog, tt.exp)
			got := g.Problems(tt.exists)
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %q, want %d matching %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
			if (g.Check(tt.exists) == nil) != (len(tt.want) == 0) {
				t.Errorf("Check disagrees with Problems")
			}
		})
	}
}

func TestToProgress(t *testing.T) {
	secret := map[string]any{secretSig: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}
	ev := events.EngineEvent{EngineEvent: apitype.EngineEvent{Timestamp: 1764108000, ResOutputsEvent: &apitype.ResOutputsEvent{
		Metadata: apitype.StepEventMetadata{Op: "create-replacement", URN: urnApp, Type: InstanceType,
			Old: &apitype.StepEventStateMetadata{ID: "db-OLD"},
			New: &apitype.StepEventStateMetadata{ID: "db-NEW", Outputs: map[string]any{
				"identifier": "app3f9b2c1", "password": secret, "masked": "[secret]",
				"nested": map[string]any{"x": secret, "y": 1.0}, "list": []any{"a", secret},
			}}},
	}}}
	p, ok := ToProgress(ev)
	if !ok {
		t.Fatal("not converted")
	}
	if p.Status != StepDone || p.Op != OpCreateReplacement || p.ID != "db-NEW" || p.Name != "app" {
		t.Errorf("progress = %+v", p)
	}
	if p.Outputs["identifier"] != "app3f9b2c1" {
		t.Errorf("identifier missing: %v", p.Outputs)
	}
	for _, k := range []string{"password", "masked"} {
		if _, found := p.Outputs[k]; found {
			t.Errorf("secret %s leaked: %v", k, p.Outputs)
		}
	}
	if n := p.Outputs["nested"].(map[string]any); len(n) != 1 || len(p.Outputs["list"].([]any)) != 1 {
		t.Errorf("nested secrets not stripped: %v", p.Outputs)
	}
	// The create-replacement's pre-event carries the checked inputs: the
	// identifier the AWS provider chose in Check, before AWS is asked.
	pre := events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{
		Metadata: apitype.StepEventMetadata{Op: "create-replacement", URN: urnApp, Type: InstanceType,
			Old: &apitype.StepEventStateMetadata{ID: "db-OLD"},
			New: &apitype.StepEventStateMetadata{Inputs: map[string]any{"identifier": "app7d41e0a", "password": "[secret]"}}},
	}}}
	p, ok = ToProgress(pre)
	if !ok || p.Status != StepStarted || p.Inputs["identifier"] != "app7d41e0a" {
		t.Errorf("pre-event inputs = %+v", p)
	}
	if _, found := p.Inputs["password"]; found {
		t.Errorf("secret input leaked: %v", p.Inputs)
	}
	diag := events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{
		URN: urnApp, Severity: "info#err", Message: "<{%fg 1%}>creating<{%reset%}>\n"}}}
	p, ok = ToProgress(diag)
	if !ok || p.Status != Diagnostic || p.Severity != "info" || p.Message != "creating" {
		t.Errorf("diagnostic = %+v", p)
	}
}

// TestCheckRestoreCreatePlan: a restore of a deleted instance (dropped from
// the state by the refresh) accepts exactly one create of the instance and
// nothing else; RestoreInputs reads what the create restores.
func TestCheckRestoreCreatePlan(t *testing.T) {
	const urn = "urn:pulumi:staging::data::aws:rds/instance:Instance::app"
	stack := PlannedStep{URN: "urn:pulumi:staging::data::pulumi:pulumi:Stack::data-staging", Type: "pulumi:pulumi:Stack", Op: OpSame}
	pitr := map[string]any{"restoreToPointInTime": map[string]any{"sourceDbiResourceId": "db-ABC", "restoreTime": "2026-12-02T14:01:00Z"}, "engine": "postgres"}
	latest := map[string]any{"restoreToPointInTime": map[string]any{"sourceDbiResourceId": "db-ABC", "useLatestRestorableTime": true}}
	create := func(in map[string]any) PlannedStep {
		return PlannedStep{URN: urn, Type: InstanceType, Op: OpCreate, Inputs: in}
	}
	tests := []struct {
		name    string
		steps   []PlannedStep
		wantErr string
		pt      *PointInTime
		snap    string
	}{
		{"a create restoring to a point in time", []PlannedStep{stack, create(pitr)}, "", &PointInTime{SourceResourceID: "db-ABC", RestoreTime: "2026-12-02T14:01:00Z"}, ""},
		{"to the latest restorable time", []PlannedStep{stack, create(latest)}, "", &PointInTime{SourceResourceID: "db-ABC", UseLatest: true}, ""},
		{"from the final snapshot", []PlannedStep{stack, create(map[string]any{"snapshotIdentifier": "app-final"})}, "", nil, "app-final"},
		{"a create of nothing to restore passes here; the runbook compares inputs", []PlannedStep{create(map[string]any{})}, "", nil, ""},
		{"a replacement is not a create", []PlannedStep{{URN: urn, Type: InstanceType, Op: OpCreateReplacement}, {URN: urn, Type: InstanceType, Op: OpReplace}, {URN: urn, Type: InstanceType, Op: OpDeleteReplaced}},
			"expected one create of aws:rds/instance:Instance, the preview has 0", nil, ""},
		{"no change at all", []PlannedStep{stack, {URN: urn, Type: InstanceType, Op: OpSame}}, "expected one create of aws:rds/instance:Instance, the preview has 0", nil, ""},
		{"another resource changes too", []PlannedStep{create(pitr), {URN: "urn:pulumi:staging::data::aws:s3/bucket:Bucket::user-data", Type: "aws:s3/bucket:Bucket", Op: OpDelete}},
			"delete urn:pulumi:staging::data::aws:s3/bucket:Bucket::user-data", &PointInTime{SourceResourceID: "db-ABC", RestoreTime: "2026-12-02T14:01:00Z"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, err := CheckRestoreCreatePlan(Plan{Steps: tt.steps})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want one naming %q", err, tt.wantErr)
			case tt.wantErr != "":
				return
			}
			pt, snap := RestoreInputs(step.Inputs)
			if !reflect.DeepEqual(pt, tt.pt) || snap != tt.snap {
				t.Errorf("restore inputs = %+v, %q; want %+v, %q", pt, snap, tt.pt, tt.snap)
			}
		})
	}
}
