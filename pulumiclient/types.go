package pulumiclient

import (
	"context"
	"time"
)

// Op is a Pulumi step operation as in apitype.OpType: "same", "create",
// "update", "delete", "replace", "create-replacement", "delete-replaced",
// "read", "refresh", ...
type Op string

// The operations the runbooks reason about.
const (
	OpSame              Op = "same"
	OpCreate            Op = "create"
	OpUpdate            Op = "update"
	OpDelete            Op = "delete"
	OpReplace           Op = "replace"
	OpCreateReplacement Op = "create-replacement"
	OpDeleteReplaced    Op = "delete-replaced"
	OpRefresh           Op = "refresh"
	OpRead              Op = "read"
)

// InstanceType is the real AWS provider's type token for an RDS instance.
const InstanceType = "aws:rds/instance:Instance"

// ProgressStatus says where a resource step is.
type ProgressStatus string

// Progress statuses.
const (
	StepPlanned ProgressStatus = "planned" // preview: ResourcePreEvent with Planning
	StepStarted ProgressStatus = "started" // up: ResourcePreEvent
	StepDone    ProgressStatus = "done"    // ResOutputsEvent
	StepFailed  ProgressStatus = "failed"  // ResOpFailedEvent
	Diagnostic  ProgressStatus = "diagnostic"
	Summarised  ProgressStatus = "summary"
)

// Progress is one engine event turned into what the UI and the journal need.
type Progress struct {
	Time     time.Time
	URN      string
	Type     string // e.g. aws:rds/instance:Instance
	Name     string // logical name, e.g. "app"
	Op       Op
	Status   ProgressStatus
	Keys     []string // replacement-causing keys
	Diffs    []string // changed property names
	Severity string   // for diagnostics: info, warning, error
	Message  string   // diagnostic text; never a secret
	// ID is the provider id known at this point (new instance's id on a
	// create-replacement once outputs arrive).
	ID      string
	Outputs map[string]any // ResOutputsEvent outputs, secrets removed
	// Inputs are the checked inputs of a resource about to be created (a
	// create or create-replacement step), secrets removed. They hold the
	// physical name a provider chose when it names resources in Check, as
	// the AWS provider does: the new instance's identifier is known before
	// AWS is asked for it.
	Inputs map[string]any
}

// PlannedStep is one step of a preview.
type PlannedStep struct {
	URN   string
	Type  string
	Name  string
	Op    Op
	Keys  []string
	Diffs []string
	// Inputs are a create's inputs as the provider checked them (secrets
	// stripped): what a create is asked to do, which a create's step
	// otherwise does not say (it has no diff).
	Inputs map[string]any
}

// Plan is what a preview says will happen.
type Plan struct {
	Steps   []PlannedStep
	Changes map[Op]int // the summary event's ResourceChanges
}

// Summary closes a refresh or up.
type Summary struct {
	Result   string // succeeded, failed, cancelled
	Changes  map[Op]int
	Duration time.Duration
	Outputs  map[string]any
}

// StackInfo names the selected stack and what its config asks of AWS, so it
// can be compared with the credentials in use.
type StackInfo struct {
	Project    string
	Stack      string
	Backend    string // backend URL, e.g. file:///... or https://api.pulumi.com
	AWSProfile string // aws:profile from Pulumi.<stack>.yaml, may be empty
	AWSRegion  string // aws:region
	// Environments lists the ESC environments the stack imports; when the
	// config key comes from one, SetConfig must write there.
	Environments []string
	// Note says what else a person should know of this stack's engine
	// (a rehearsal's program and provider); empty for a real run.
	Note string
}

// LockState tells whether the stack can be updated.
type LockState struct {
	Locked bool
	// Locks are the lock files held (a file backend, or the simulated
	// engine): who holds them.
	Locks             []LockFile
	PendingOperations []string // URNs with pending operations
	Fix               string   // the exact command that fixes it
	// RunningPID is the pid of the pulumi CLI holding the lock when it
	// still runs on this machine (an update in progress, e.g. one left
	// finishing by a killed datalayer); 0 otherwise. Never cancel it.
	RunningPID int
}

// ExportedInstance is the RDS instance's settings read from `pulumi stack
// export`: the reference a console-method restore must reproduce.
type ExportedInstance struct {
	URN                     string
	ID                      string // state id: the identifier (old providers) or the resource id db-... (new)
	Identifier              string
	ResourceID              string
	Address                 string
	Port                    int32
	Class                   string
	AllocatedStorage        int32
	StorageType             string
	StorageEncrypted        bool
	ParameterGroup          string
	SecurityGroups          []string
	SubnetGroup             string
	MultiAZ                 bool
	PubliclyAccessible      bool
	DeletionProtection      bool
	EngineVersion           string
	SkipFinalSnapshot       bool
	FinalSnapshotIdentifier string
	SnapshotIdentifier      string
	// RestoreToPointInTime is the state's restoreToPointInTime block, nil
	// when none.
	RestoreToPointInTime *PointInTime
	BackupRetention      int32
	MaintenanceWindow    string
	Tags                 map[string]string
	// Engine is the engine name, e.g. "postgres".
	Engine string
	// EngineVersionActual is what AWS runs (newer providers only); it may be
	// ahead of EngineVersion because AWS applies minor versions on its own.
	EngineVersionActual string
	Username            string
	// Protect is Pulumi's protect flag on the resource.
	Protect bool
	// SecretOutputs names the outputs held as secrets; their values are
	// never decoded.
	SecretOutputs []string
}

// Stack is one Pulumi stack of a local program directory, driven as an
// engineer would with the CLI. The real implementation uses the Automation
// API; the simulated one (for rehearse) drives the RDS simulator.
type Stack interface {
	Info(ctx context.Context) (StackInfo, error)
	// Refresh with previewOnly shows drift without changing state.
	Refresh(ctx context.Context, previewOnly bool, progress chan<- Progress) (Summary, error)
	Preview(ctx context.Context, progress chan<- Progress) (Plan, error)
	Up(ctx context.Context, progress chan<- Progress) (Summary, error)
	// Cancel asks a running update to stop, as Ctrl-C in the CLI does.
	Cancel(ctx context.Context) error
	Lock(ctx context.Context) (LockState, error)
	Export(ctx context.Context) (ExportedInstance, error)
	GetConfig(ctx context.Context, key string) (value string, secret bool, err error)
	SetConfig(ctx context.Context, key, value string, secret bool) error
	// StateEditor repairs the recorded state (behind a gate, by the caller).
	StateEditor
	// History returns the stack's newest updates, newest first (at most
	// n). Secret config values are decrypted only with showSecrets: hold
	// them in memory, never show them.
	History(ctx context.Context, n int, showSecrets bool) ([]Update, error)
	// ProgramDir is the program's directory (the one holding Pulumi.yaml).
	ProgramDir() string
}

// Update is one entry of a stack's update history (`pulumi stack history`):
// how a deploy by someone else (CI) shows up.
type Update struct {
	Version int
	Kind    string // update, refresh, destroy, import...
	Result  string // succeeded, failed, in-progress
	Start   time.Time
	End     time.Time // zero while in progress
	Message string
	// Config is the configuration the update ran with, keyed as in the
	// stack file (application:db-host); secret values read "[secret]"
	// unless History was asked to show them.
	Config map[string]string
}
