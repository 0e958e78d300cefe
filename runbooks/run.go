package runbooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pgclient"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// registry is the one place runbooks are registered, in the order they are
// offered. A new runbook adds its constructor here.
var registry = []func() *engine.Runbook{
	deployRunbook,
	upgradeRunbook,
	restoreRunbook,
}

// Names lists the runbooks.
func Names() []string {
	var out []string
	for _, f := range registry {
		out = append(out, f().Name)
	}
	return out
}

// Get returns a runbook by name.
func Get(name string) (*engine.Runbook, error) {
	for _, f := range registry {
		if b := f(); b.Name == name {
			return b, nil
		}
	}
	names := Names()
	return nil, fmt.Errorf("unknown runbook %q: choose %s or %s", name, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// Poller watches instances and snapshots for the runbooks; *awsclient.Poller
// is the one implementation, built once by whoever builds the run's clients.
type Poller interface {
	// Watch samples the instance (kind "instance") or snapshot (kind
	// "snapshot") with this id and sends every change until ctx ends. The
	// first sample, taken after the call, is always sent; a resource that
	// does not exist is sent as Gone, a failed look as a sample with Err.
	// exp says when the change waited for is due, which is where the
	// poller spends its requests.
	Watch(ctx context.Context, kind, id string, exp awsclient.Expect) <-chan awsclient.Change
}

// ProgramEditor edits the data stack's program (index.ts or Pulumi.yaml)
// the way an engineer would; *pulumiclient.ProgramEditor implements it.
type ProgramEditor interface {
	// Settings reads the instance's settings as the program writes them.
	Settings() (pulumiclient.ProgramSettings, error)
	// SetEngineVersion writes engineVersion and returns a unified diff.
	SetEngineVersion(version string) (diff string, err error)
	// SetSnapshotIdentifier adds (or changes) snapshotIdentifier on the
	// instance and returns a unified diff.
	SetSnapshotIdentifier(name string) (diff string, err error)
	// Commit commits the program change when the directory is a git
	// repository; it returns "" with no error when it is not one.
	Commit(ctx context.Context, message string) (commit string, err error)
	// ProposeMajorUpgrade computes the program change of a major upgrade
	// (pulumiclient.Program.ApplyMajorUpgrade) and returns its diff without
	// writing anything; WriteProposed writes it.
	ProposeMajorUpgrade(u pulumiclient.MajorUpgrade) (diff string, err error)
	// ProposeRemoveParameterGroup computes the removal of a declared
	// parameter group; WriteProposed writes it.
	ProposeRemoveParameterGroup(resource string) (diff string, err error)
	// Propose computes a change of the instance's properties (engine
	// version, snapshot and final snapshot names) and returns its diff
	// without writing anything ("" when the program already says so);
	// WriteProposed writes it.
	Propose(e pulumiclient.ProgramEdit) (diff string, err error)
	// WriteProposed writes the last proposed change; Commit commits it.
	WriteProposed() error
	// ParameterGroups lists the program's parameter groups and the one the
	// instance uses (nil when none of them).
	ParameterGroups() (all []pulumiclient.ParameterGroupDecl, instance *pulumiclient.ParameterGroupDecl, err error)
}

// Database is what the upgrade's spot checks and extension listing need of
// the database; *pgclient.Client implements it.
type Database interface {
	ExplainAll(ctx context.Context, qs []pgclient.Query, timeout time.Duration) []pgclient.Result
	Extensions(ctx context.Context) ([]pgclient.Extension, error)
	ServerVersion(ctx context.Context) (string, error)
	Close(ctx context.Context) error
}

// Deps are the clients a run of these runbooks uses, and what the engine
// needs from outside. Nothing is global: the same runbook runs against
// real AWS, the simulator, or nothing at all (checklist).
type Deps struct {
	AWS    awsclient.API
	Data   pulumiclient.Stack // the data stack (RDS instance)
	App    pulumiclient.Stack // the application stack (db-host config); may be nil
	Poller Poller             // needed by steps that wait for AWS; nil: they fail, saying so
	Editor ProgramEditor      // may be nil: program edits become manual steps
	Clock  clock.Clock        // nil: the wall clock
	// Command runs a configured shell command (maintenance mode switch);
	// nil runs it with os/exec.
	Command func(ctx context.Context, argv []string) (string, error)
	// Database connects to the database for spot checks; nil uses
	// pgclient.Connect.
	Database func(ctx context.Context, url string) (Database, error)
	// Getenv reads the environment (the database URL's variable); nil uses
	// os.Getenv.
	Getenv func(string) string
	// JournalFile opens the journal's file for appending; nil opens it on
	// the file system. Tests give a disk that fills up.
	JournalFile func(path string) (engine.JournalFile, error)
	// PulumiIdentity asks AWS who the pulumi CLI's AWS provider acts as
	// when the stack's config names aws:profile stackProfile ("" when it
	// names none): the credentials it resolves from the environment the
	// CLI is given and that profile. Nil when the stacks are simulated.
	PulumiIdentity func(ctx context.Context, stackProfile string) (awsclient.Identity, error)
}

// deps returns the clients of the run x belongs to.
func deps(x *engine.Exec) *Deps {
	d, _ := x.Clients().(*Deps)
	if d == nil {
		return &Deps{}
	}
	return d
}

// engineDeps gives the engine what it needs: the clients, opaque to it, and
// the hooks that read them.
func (d Deps) engineDeps() engine.Deps {
	dd := d
	e := engine.Deps{
		Clock: d.Clock, Command: d.Command, Getenv: d.Getenv, JournalFile: d.JournalFile,
		Clients: &dd, Runbooks: Names(), Preflight: dd.checkPulumiLock, Relearn: dd.relearnSecrets, Advise: credentialsAdvice,
	}
	if d.Data != nil {
		e.ProgramDir = d.Data.ProgramDir()
	}
	return e
}

// NewRun prepares a fresh run of the runbook opts names, with these
// clients. Start runs it.
func NewRun(opts engine.Options, d Deps) (*engine.Run, error) {
	book, err := Get(opts.Runbook)
	if err != nil {
		return nil, err
	}
	return engine.NewRun(book, opts, d.engineDeps())
}

// Prepare returns the options of a new run as the run will use them:
// engine.Options.Defaulted with the runbook opts names (the one place
// options are defaulted and its flags validated), so a caller can build
// the run's world first (a rehearsal names it after the run's id).
func Prepare(opts engine.Options) (engine.Options, error) {
	book, err := Get(opts.Runbook)
	if err != nil {
		return opts, err
	}
	return opts.Defaulted(book, time.Now())
}

// Resume reopens a run of one of these runbooks from its journal (see
// engine.Resume).
func Resume(stateDir, runID string, d Deps, yes bool) (*engine.Run, error) {
	return engine.Resume(stateDir, runID, Get, d.engineDeps(), yes)
}

// Report renders a run's journal (see engine.Report), with its runbook's
// step names and results.
func Report(events []engine.Event) string {
	var book *engine.Runbook
	for _, e := range events {
		if e.Type == engine.EventRunStarted && e.Run != nil {
			book, _ = Get(e.Run.Runbook)
			break
		}
	}
	return engine.Report(events, book)
}

// relearnSecrets returns the application's secret db-host, for a resumed
// run to hide again (the journal holds it redacted); when the application
// has none yet (a first deploy), the endpoint of the stack's instance.
func (d *Deps) relearnSecrets(ctx context.Context) map[string]string {
	if d.App != nil {
		if host, _, err := d.App.GetConfig(ctx, "db-host"); err == nil && host != "" {
			return map[string]string{"db-host": host}
		}
	}
	// No db-host yet (a first deploy): the stack's instance endpoint, as
	// the stack step and the deploy's verify hide it.
	if d.Data != nil {
		if exp, err := d.Data.Export(ctx); err == nil && exp.Address != "" {
			return map[string]string{"instance-host": exp.Address}
		}
	}
	return nil
}

// checkPulumiLock refuses to start while Pulumi's own lock on the data
// stack is held: another process (perhaps on another machine, outside
// datalayer) is updating it. A lock or pending operations left by this
// run's own earlier session are not refused here: the step that was
// interrupted finds out from AWS what happened and repairs them.
func (d *Deps) checkPulumiLock(ctx context.Context, r *engine.Run) error {
	if d.Data == nil {
		return nil
	}
	for _, key := range r.PriorIssued() {
		if strings.HasPrefix(key, "pulumi-") {
			return nil
		}
	}
	o := r.Options()
	lock, err := d.Data.Lock(ctx)
	if err != nil {
		return fmt.Errorf("check Pulumi's lock on stack %s: %w", o.Stack, err)
	}
	if !lock.Locked && len(lock.PendingOperations) == 0 {
		return nil
	}
	what := "Pulumi's own lock on stack " + o.Stack + " is held: another update is running on it, perhaps from another machine"
	if !lock.Locked {
		what = "stack " + o.Stack + " has pending operations left by an interrupted update that was not this run's (" + strings.Join(lock.PendingOperations, ", ") + ")"
	}
	fix := orDefault(lock.Fix, "wait for that update to end")
	if o.Rehearsal {
		// No pulumi CLI in a rehearsal: only waiting or a new world helps.
		fix = "wait for the process holding it to end, or start a new rehearsal with `datalayer rehearse " + o.Runbook + "`"
	}
	return fmt.Errorf("%s. Nothing was changed. Fix: %s; then start again", what, fix)
}

// credentialsAdvice names the problem and the next action when AWS
// refused the credentials Pulumi's AWS provider used, the provider could
// not reach AWS, or AWS throttled it through all its retries: the CLI itself only exits with "exit status 1",
// and a resume without fresh credentials (or the network) fails the same
// way.
func credentialsAdvice(err error, o engine.Options) error {
	var ce *pulumiclient.CredentialsError
	var ue *pulumiclient.UnreachableError
	var te *pulumiclient.ThrottledError
	if errors.As(err, &te) {
		next := "wait a minute or two for the account's RDS calls to slow down (other tools or runs calling RDS at the same time count too), then `datalayer resume " + o.RunID + "`"
		if o.Rehearsal {
			next = "in this rehearsal the simulator throttles on purpose: `datalayer resume " + o.RunID + "` once it stops"
		}
		return fmt.Errorf("%w. AWS throttled Pulumi's AWS provider (%s) through all of its retries: AWS was reached and nothing about the stack is wrong; %s", err, te.Code, next)
	}
	if errors.As(err, &ue) {
		next := "check the network (VPN, proxy, AWS_ENDPOINT_URL), then `datalayer resume " + o.RunID + "`"
		if o.Rehearsal {
			next = "in this rehearsal the simulator cut the network on purpose: `datalayer resume " + o.RunID + "` once it is back"
		}
		return fmt.Errorf("%w. Pulumi's AWS provider could not reach AWS (%s): %s", err, ue.Sign, next)
	}
	if !errors.As(err, &ce) {
		return err
	}
	next := "refresh your credentials (`aws sso login`, or export new keys), then `datalayer resume " + o.RunID + "`"
	if o.Rehearsal {
		next = "in this rehearsal the simulator expired them on purpose: `datalayer resume " + o.RunID + "` goes on with fresh ones"
	}
	return fmt.Errorf("%w. Pulumi's AWS provider was refused: your AWS session expired or its keys are not valid (%s); %s", err, ce.Code, next)
}
