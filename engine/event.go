package engine

import (
	"time"
)

// Kind is what sort of step a step is.
type Kind int

// Step kinds.
const (
	KindCheck    Kind = iota // reads and verifies, changes nothing
	KindAction               // changes something in AWS, Pulumi or a file
	KindWait                 // watches AWS until a condition holds
	KindManual               // a task for a person, ticked off with a note
	KindDecision             // a question whose answer chooses the path
	KindGate                 // a typed confirmation before something destructive
)

var kindNames = [...]string{"check", "action", "wait", "manual", "decision", "gate"}

// String returns the kind's lowercase name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// State is where a step is in a run.
type State int

// Step states.
const (
	StatePending State = iota
	StateRunning
	StateWaitingForYou // a prompt is open
	StateDone
	StateFailed
	StateSkipped
)

var stateNames = [...]string{"pending", "running", "waiting", "done", "failed", "skipped"}

// String returns the state's lowercase name.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// EventType says what happened.
type EventType string

// Event types, as written to the journal.
const (
	EventRunStarted   EventType = "run-started"
	EventStepStarted  EventType = "step-started"
	EventStepFinished EventType = "step-finished"
	EventStepFailed   EventType = "step-failed"
	EventStepSkipped  EventType = "step-skipped"
	EventOutput       EventType = "output"   // a line of text for the log
	EventVariable     EventType = "variable" // a variable was set (never a secret value)
	EventStatus       EventType = "status"   // a look at a watched resource: Sample
	EventPulumi       EventType = "pulumi"   // a Pulumi operation's progress: PulumiStep
	EventPrompt       EventType = "prompt"   // the run waits for an answer
	EventAnswer       EventType = "answer"   // the prompt was answered
	EventRunFinished  EventType = "run-finished"
)

// Event is what the engine emits; the TUI, the plain renderer and the journal
// all consume the same events.
type Event struct {
	Seq     int64         `json:"seq"`
	Time    time.Time     `json:"time"`
	Type    EventType     `json:"type"`
	StepID  string        `json:"step,omitempty"`
	Text    string        `json:"text,omitempty"`
	Elapsed time.Duration `json:"elapsed,omitempty"` // on step-finished/failed: how long the step took
	// Expected is the elapsed time of the same step in the run
	// RunInfo.ExpectedFrom names, when known, for "expected vs elapsed".
	Expected time.Duration `json:"expected,omitempty"`
	Name     string        `json:"name,omitempty"`  // variable name
	Value    string        `json:"value,omitempty"` // variable value (redacted when secret)

	Status *Sample     `json:"status,omitempty"`
	Pulumi *PulumiStep `json:"pulumi,omitempty"`
	// Prompt is set on prompt events. When Answer is set on a prompt event
	// too, the prompt was answered on its own (--yes, a flag, a pre-answer)
	// and no renderer should wait for it.
	Prompt *Prompt    `json:"prompt,omitempty"`
	Answer *Answer    `json:"answer,omitempty"`
	Err    string     `json:"error,omitempty"`
	Steps  []StepInfo `json:"steps,omitempty"`
	// Run describes the run; set on run-started, so a journal can be resumed
	// on its own.
	Run *RunInfo `json:"runinfo,omitempty"`
	// Secret marks a variable event whose Value was redacted.
	Secret bool `json:"secret,omitempty"`
	// Resumed marks events replayed from the journal of an earlier session.
	Resumed bool `json:"resumed,omitempty"`
}

// PromptKind says how a prompt is answered.
type PromptKind string

// Prompt kinds.
const (
	PromptChoice  PromptKind = "choice"  // pick one option (decisions)
	PromptGate    PromptKind = "gate"    // type Expect exactly to go on; anything else backs out
	PromptManual  PromptKind = "manual"  // tick done (with an optional note) or skip with a reason
	PromptText    PromptKind = "text"    // free text, e.g. EXPLAIN ANALYZE output pasted in
	PromptConfirm PromptKind = "confirm" // yes or no, for non-destructive choices
)

// Option is one choice of a PromptChoice.
type Option struct {
	Value       string `json:"value"`
	Label       string `json:"label"`
	Recommended bool   `json:"recommended,omitempty"`
	Reason      string `json:"reason,omitempty"` // why it is recommended
}

// Prompt asks the person something.
type Prompt struct {
	ID     string     `json:"id"` // unique within the run
	StepID string     `json:"step"`
	Kind   PromptKind `json:"kind"`
	Title  string     `json:"title"`
	// Body says exactly what will happen (markdown), for gates the plan too.
	Body    string   `json:"body,omitempty"`
	Options []Option `json:"options,omitempty"`
	// Expect is what a gate needs typed: the stack name on production, the
	// instance identifier for a rename or delete.
	Expect     string `json:"expect,omitempty"`
	Production bool   `json:"production,omitempty"` // --yes never answers these
	Default    string `json:"default,omitempty"`
	// Watching, when set, says what the program watches to answer this
	// prompt itself once it sees the task done (e.g. the application
	// stack's update history). A renderer with no input left waits for it
	// instead of stopping the run.
	Watching string `json:"watching,omitempty"`
}

// Answer answers a Prompt.
type Answer struct {
	PromptID string `json:"prompt"`
	Value    string `json:"value"`          // the option, the typed text, "yes"/"no", "done"/"skip"
	Note     string `json:"note,omitempty"` // manual steps: what the person noted
	Auto     bool   `json:"auto,omitempty"` // answered by --yes
}

// EventSteps announces the step list (again, whenever a decision changes the
// path); it carries Steps.
const EventSteps EventType = "steps"

// StepInfo describes a step to a renderer.
type StepInfo struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Kind        Kind     `json:"kind"`
	Phase       string   `json:"phase,omitempty"`       // e.g. "prepare", "restore", "switch traffic"
	Explanation string   `json:"explanation,omitempty"` // markdown, our own words: what, why, gotchas
	Destructive bool     `json:"destructive,omitempty"`
	Commands    []string `json:"commands,omitempty"` // what an engineer would type by hand
}

// RunInfo describes a run to a renderer.
type RunInfo struct {
	RunID      string    `json:"run"`
	Runbook    string    `json:"runbook"` // deploy, upgrade, restore
	Stack      string    `json:"stack"`
	Production bool      `json:"production"`
	Rehearsal  bool      `json:"rehearsal"`
	Identity   *Identity `json:"identity,omitempty"`
	// Scenario and Speed describe the simulated world of a rehearsal.
	Scenario string  `json:"scenario,omitempty"`
	Speed    float64 `json:"speed,omitempty"`
	// Flags are the pre-answers the run was started with (method, lost,
	// snapshot, target, yes...), so resume starts from the same choices.
	Flags map[string]string `json:"flags,omitempty"`
	// Started is when the run began.
	Started time.Time `json:"started,omitempty"`
	// ExpectedFrom names the run the steps' Expected durations come from,
	// in words ("the last rehearsal", "the last run on staging"); "" when
	// no earlier run left timings.
	ExpectedFrom string `json:"expected_from,omitempty"`
}

// Session is a run as the UIs see it: the TUI and the plain renderer read
// Events until the channel closes and send answers back.
type Session interface {
	Info() RunInfo
	Steps() []StepInfo
	Events() <-chan Event
	Answer(a Answer) error
}

// EventIssued records, before an AWS or Pulumi call that changes something,
// the facts that make it idempotent (Name is the operation key, Value its
// JSON facts), so a resumed run can tell a call in flight from one never made.
const EventIssued EventType = "issued"

// EventWarning is an output line that needs attention but does not stop the run.
const EventWarning EventType = "warning"

// Sample is one look at a watched instance or snapshot, as the engine
// journals it and renderers show it. It is built from the poller's sample
// in one place (the runbooks' adapter) and holds only JSON-safe values: a
// failed look carries its error as text.
type Sample struct {
	Kind      string    `json:"kind,omitempty"` // "instance" or "snapshot"
	ID        string    `json:"id,omitempty"`   // "" when a look failed as a whole (throttled, network)
	OldStatus string    `json:"old,omitempty"`  // "" on the first sample
	NewStatus string    `json:"new,omitempty"`  // "" with Gone when it disappeared
	Gone      bool      `json:"gone,omitempty"`
	At        time.Time `json:"at,omitempty"`
	// Error says why the look failed; the watch goes on (the poller
	// retries). "" for a good look.
	Error string `json:"error,omitempty"`
	// PreviousID is set on the first sample after a rename: the resource
	// was watched as PreviousID and now answers as ID.
	PreviousID string `json:"previous,omitempty"`
	// What the renderers show of the resource, when the look found it.
	Instance *InstanceFacts `json:"instance,omitempty"`
	Snapshot *SnapshotFacts `json:"snapshot,omitempty"`
}

// InstanceFacts are what a renderer shows of a watched instance. Address
// may be secret (an endpoint like the application's db-host): the journal
// redacts it.
type InstanceFacts struct {
	EngineVersion string `json:"engine_version,omitempty"`
	Address       string `json:"address,omitempty"`
	Port          int32  `json:"port,omitempty"`
}

// SnapshotFacts are what a renderer shows of a watched snapshot.
type SnapshotFacts struct {
	PercentProgress int `json:"percent"`
}

// PulumiStatus is where a Pulumi resource operation is.
type PulumiStatus string

// Pulumi statuses, as the Pulumi engine reports them.
const (
	PulumiPlanned    PulumiStatus = "planned"    // a preview says it will happen
	PulumiStarted    PulumiStatus = "started"    // the engine started it
	PulumiDone       PulumiStatus = "done"       // the engine reported its outputs
	PulumiFailed     PulumiStatus = "failed"     // the engine reported it failed
	PulumiDiagnostic PulumiStatus = "diagnostic" // a message of the engine or a provider
	PulumiSummary    PulumiStatus = "summary"    // the operation ended (Message: succeeded, failed...)
)

// PulumiStep is one event of a Pulumi operation, as the engine journals it
// and renderers show it. It is built from the Pulumi client's progress in
// one place (the runbooks' adapter); resource outputs and inputs are not
// kept.
type PulumiStep struct {
	Time   time.Time    `json:"time,omitempty"`
	URN    string       `json:"urn,omitempty"`
	Type   string       `json:"type,omitempty"` // e.g. aws:rds/instance:Instance
	Name   string       `json:"name,omitempty"` // the logical name
	Op     string       `json:"op,omitempty"`   // create, update, replace, create-replacement, delete-replaced, refresh, same...
	Status PulumiStatus `json:"status"`
	Keys   []string     `json:"keys,omitempty"`  // replacement-causing keys
	Diffs  []string     `json:"diffs,omitempty"` // changed property names
	// Severity (info, warning, error) and Message are a diagnostic's; a
	// failed step's Message says why, a summary's the result.
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message,omitempty"`
	ID       string `json:"id,omitempty"` // the provider's id once known
}

// Identity says who a run acts as in AWS, and which credential source won.
type Identity struct {
	Account          string
	ARN              string
	UserID           string
	CredentialSource string
	Profile          string
	Region           string
	// Endpoint is the RDS endpoint override in use, "" for real AWS.
	Endpoint string
}
