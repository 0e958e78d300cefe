package pulumiclient

import (
	"errors"
	"fmt"
	"strings"
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

// TestCLIErrorKeepsTheDiagnostics: an Automation API error carries the
// CLI's whole output; what is kept is the CLI's own message and its
// errors (on stderr, or the update's diagnostics on stdout), not pages of
// progress.
func TestCLIErrorKeepsTheDiagnostics(t *testing.T) {
	stdout := "Updating (staging):\n ~ aws:rds:Instance app updating (0s)\n ~ aws:rds:Instance app **updating failed** error: restore: DBSnapshotNotFound: no-such-snapshot\nDiagnostics:\n  aws:rds:Instance (app):\n    error: restore: DBSnapshotNotFound: no-such-snapshot\n  pulumi:pulumi:Stack (data-staging):\n    error: update failed\nResources:\n    2 unchanged\n"
	tests := []struct {
		name, stdout, stderr string
		want, not            []string
	}{
		{"diagnostics on stdout", stdout, "", []string{"failed to run update", "DBSnapshotNotFound", "update failed"}, []string{"Updating (staging)", "unchanged"}},
		{"stderr", "lots of progress\n", "error: the stack is currently locked by 1 lock(s)\n", []string{"currently locked"}, []string{"lots of progress"}},
		{"interrupted", "^C received; cancelling.\n@ updating....\n", "", []string{"failed to run update"}, []string{"^C received", "updating"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := fmt.Errorf("failed to run update: %w", errors.New("exit status 1"))
			err := cliError(autoLike{err: raw, stdout: tt.stdout, stderr: tt.stderr})
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("%q still has %q", err, n)
				}
			}
		})
	}
}

// autoLike formats like the Automation API's error.
type autoLike struct {
	err            error
	stdout, stderr string
}

func (a autoLike) Error() string {
	return fmt.Sprintf("%s\ncode: 1\nstdout: %s\nstderr: %s\n", a.err, a.stdout, a.stderr)
}
func (a autoLike) Unwrap() error { return a.err }
