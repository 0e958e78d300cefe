package pulumiclient

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// TestToProgressShowsWhatMatters: the event stream of the real engine
// carries Pulumi's debug lines, a CancelEvent at the end of every
// operation and each planned step twice; an on-call engineer must see
// none of that noise, and every real warning and error.
func TestToProgressShowsWhatMatters(t *testing.T) {
	md := apitype.StepEventMetadata{Op: "create-replacement", URN: "urn:pulumi:staging::data::aws:rds/instance:Instance::app", Type: InstanceType}
	diag := func(sev, msg string) events.EngineEvent {
		return events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: sev, Message: msg}}}
	}
	tests := []struct {
		name     string
		ev       events.EngineEvent
		shown    bool
		status   ProgressStatus
		severity string
	}{
		{"debug line", diag("debug", "Registering resource: t=aws:rds/instance:Instance, name=app, custom=true, remote=false\n"), false, "", ""},
		{"end of stream", events.EngineEvent{EngineEvent: apitype.EngineEvent{CancelEvent: &apitype.CancelEvent{}}}, false, "", ""},
		{"planned step, second report", events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: md, Planning: true}}}, true, StepPlanned, ""},
		{"planned step", events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: md, Planning: true}}}, true, StepPlanned, ""},
		{"step done", events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: md}}}, true, StepDone, ""},
		{"warning", diag("warning", "deprecated input\n"), true, Diagnostic, "warning"},
		{"error", diag("error", "DBSnapshotAlreadyExists\n"), true, Diagnostic, "error"},
		{"program output", diag("info", "hello\n"), true, Diagnostic, "info"},
		{"stderr of the program", diag("info#err", "oops\n"), true, Diagnostic, "info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := ToProgress(tt.ev)
			if ok != tt.shown {
				t.Fatalf("shown = %v, want %v (%+v)", ok, tt.shown, p)
			}
			if ok && (p.Status != tt.status || p.Severity != tt.severity) {
				t.Errorf("progress = %+v, want status %s severity %q", p, tt.status, tt.severity)
			}
		})
	}
}

// TestPlannedStepsShownOnce: the engine reports each planned step of a
// preview twice; it is shown once, unless the second report differs (a
// refresh's drift, with the properties that drifted).
func TestPlannedStepsShownOnce(t *testing.T) {
	urn := "urn:pulumi:staging::data::aws:rds/instance:Instance::app"
	var d plannedOnce
	for i, tt := range []struct {
		p    Progress
		keep bool
	}{
		{Progress{URN: urn, Op: OpCreateReplacement, Status: StepPlanned, Keys: []string{"snapshotIdentifier"}}, true},
		{Progress{URN: urn, Op: OpCreateReplacement, Status: StepPlanned, Keys: []string{"snapshotIdentifier"}}, false},
		{Progress{URN: urn, Op: OpReplace, Status: StepPlanned, Keys: []string{"snapshotIdentifier"}}, true},
		{Progress{URN: urn, Op: "refresh", Status: StepPlanned}, true},
		{Progress{URN: urn, Op: OpUpdate, Status: StepPlanned, Diffs: []string{"backupRetentionPeriod"}}, true},
		{Progress{URN: urn, Op: OpUpdate, Status: StepStarted}, true},
		{Progress{URN: urn, Op: OpUpdate, Status: StepStarted}, true},
	} {
		if got := d.keep(tt.p); got != tt.keep {
			t.Errorf("event %d (%s %s): keep = %v, want %v", i, tt.p.Status, tt.p.Op, got, tt.keep)
		}
	}
}
