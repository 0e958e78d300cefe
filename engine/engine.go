package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// Deps are what a run needs from outside the engine. Nothing is global:
// the same runbook runs against real AWS, the simulator, or nothing at all
// (checklist). The engine knows no AWS or Pulumi client: the runbooks
// package puts its clients in Clients and gives the hooks below.
type Deps struct {
	Clock clock.Clock // nil: the wall clock
	// Command runs a configured shell command (maintenance mode switch);
	// nil runs it with os/exec.
	Command func(ctx context.Context, argv []string) (string, error)
	// Getenv reads the environment; nil uses os.Getenv.
	Getenv func(string) string
	// JournalFile opens the journal's file for appending; nil opens it on
	// the file system. Tests give a disk that fills up.
	JournalFile func(path string) (JournalFile, error)
	// Clients are the runbook content's clients (AWS, Pulumi...): steps
	// read them through Exec.Clients; the engine never looks inside.
	Clients any
	// ProgramDir is the directory of the program the run may edit ("" when
	// none): it is locked with the stack for the run.
	ProgramDir string
	// Preflight runs before the first step; an error stops the run before
	// anything is changed (another process holds the stack).
	Preflight func(ctx context.Context, r *Run) error
	// Runbooks names every runbook: in a rehearsal's advice, a command
	// that would start one on real AWS becomes its rehearsal.
	Runbooks []string
	// Advise may add the problem and the next action to a failed step's
	// error (refused credentials); nil leaves errors as they are.
	Advise func(err error, o Options) error
	// Relearn returns, for a resumed run, the secret variables known
	// outside the journal (which holds them redacted), so they are hidden
	// again from its events.
	Relearn func(ctx context.Context) map[string]string
}

// Options choose the runbook, the stack and the pre-answers of a run.
// What is particular to a runbook (--method, --lost, --to, --target, the
// team's maintenance command...) is in Flags, by the name the runbook
// declares (Runbook.Flags) and validated against that declaration.
type Options struct {
	Runbook    string // deploy, upgrade, restore
	Stack      string // the data stack's name, e.g. staging or production
	AppStack   string // the application stack's name (defaults to Stack)
	Production bool   // also true when the stack's name says production
	Rehearsal  bool
	Scenario   string
	Speed      float64
	// Yes answers gates by itself in rehearsal or on non-production stacks
	// (never on production) and takes the recommended option of decisions.
	Yes bool
	// Flags are the runbook's own options by name ("method": "console"),
	// from the command line or the team's configuration; see Runbook.Flags.
	Flags map[string]string
	// Answers pre-answers prompts by id (step/prompt or just prompt).
	Answers  map[string]string
	StateDir string // "" uses StateDir()
	RunID    string // "" makes one
}

// Flag returns the value of the runbook's option name ("" when not given).
func (o Options) Flag(name string) string { return o.Flags[name] }

// WithFlag returns o with the runbook's option name set to v (unset for "").
func (o Options) WithFlag(name, v string) Options {
	m := make(map[string]string, len(o.Flags)+1)
	for k, x := range o.Flags {
		m[k] = x
	}
	if v == "" {
		delete(m, name)
	} else {
		m[name] = v
	}
	o.Flags = m
	return o
}

// Defaulted returns the options of a run of book as the run uses them: the
// one place options are defaulted (run id, state directory, production,
// the application stack, each flag's declared default) and the runbook's
// flags validated against its declaration. now names a new run's id.
func (o Options) Defaulted(book *Runbook, now time.Time) (Options, error) {
	if book == nil {
		return o, errors.New("no runbook")
	}
	if o.Runbook == "" {
		o.Runbook = book.Name
	}
	if o.Runbook != book.Name {
		return o, fmt.Errorf("options are for runbook %q, not %q", o.Runbook, book.Name)
	}
	if err := book.CheckFlags(o.Flags); err != nil {
		return o, err
	}
	for _, f := range book.Flags {
		if f.Default != "" && o.Flags[f.Name] == "" {
			o = o.WithFlag(f.Name, f.Default)
		}
	}
	if o.RunID == "" {
		o.RunID = newRunID(now, o.Runbook)
	}
	if o.StateDir == "" {
		d, err := StateDir()
		if err != nil {
			return o, err
		}
		o.StateDir = d
	}
	if IsProductionStack(o.Stack) {
		o.Production = true
	}
	if o.AppStack == "" {
		o.AppStack = o.Stack
	}
	return o, nil
}

// flags returns the options that must survive a resume.
func (o Options) flags() map[string]string {
	m := map[string]string{}
	for k, v := range o.Flags {
		if v != "" {
			m[k] = v
		}
	}
	if o.AppStack != "" {
		m["app-stack"] = o.AppStack
	}
	if o.Yes {
		m["yes"] = "true"
	}
	for k, v := range o.Answers {
		m["answer:"+k] = v
	}
	return m
}

// OptionsFromInfo rebuilds the options a run was started with from its
// journal's RunInfo (for resume); stateDir is where the journal lives.
func OptionsFromInfo(info RunInfo, stateDir string) Options {
	o := Options{
		Runbook: info.Runbook, Stack: info.Stack, Production: info.Production,
		Rehearsal: info.Rehearsal, Scenario: info.Scenario, Speed: info.Speed,
		StateDir: stateDir, RunID: info.RunID, Answers: map[string]string{}, Flags: map[string]string{},
	}
	for k, v := range info.Flags {
		switch {
		case k == "yes":
			o.Yes = v == "true"
		case k == "app-stack":
			o.AppStack = v
		case strings.HasPrefix(k, "answer:"):
			o.Answers[strings.TrimPrefix(k, "answer:")] = v
		default:
			o.Flags[k] = v
		}
	}
	return o
}

// IsProductionStack reports whether a stack name means production.
func IsProductionStack(name string) bool {
	n := strings.ToLower(name)
	return n == "production" || n == "prod" || strings.HasSuffix(n, "/production") || strings.HasSuffix(n, "/prod") || strings.HasPrefix(n, "prod-") || strings.HasSuffix(n, "-production")
}

// Run is one run of a runbook. It implements Session.
type Run struct {
	opts  Options
	deps  Deps
	book  *Runbook
	clk   clock.Clock
	info  RunInfo
	jr    *Journal
	red   *redactor
	prior *replay // nil for a fresh run

	expected map[string]time.Duration // steps' durations in the last recorded run
	// expectedWaits are the waits' durations in the last recorded run, by
	// waitKey; waits records this run's.
	expectedWaits map[string]time.Duration
	waits         map[string]time.Duration
	locks         *runLocks // released when the run ends

	emitMu sync.Mutex // serialises emitTo
	mu     sync.Mutex
	seq    int64
	vars   map[string]Var
	varsCh chan struct{} // closed and replaced on every Set
	// producing counts, per variable, the steps of the running parallel
	// group that may still set it: waiting for a variable only makes sense
	// while one of them runs.
	producing map[string]int
	pending   map[string]*openPrompt
	elapsed   map[string]time.Duration
	queue     []Event
	queueCh   chan struct{}
	closed    bool
	events    chan Event
	done      chan struct{}
	err       error
	started   bool
	finished  bool
	cancel    context.CancelFunc
}

type openPrompt struct {
	p  Prompt
	ch chan Answer
}

// NewRun prepares a fresh run of book and opens its journal. Start runs it.
func NewRun(book *Runbook, opts Options, deps Deps) (*Run, error) {
	if opts.Stack == "" {
		return nil, errors.New("new run: no stack given: pass --stack staging (or production)")
	}
	opts, err := opts.Defaulted(book, deps.clock().Now())
	if err != nil {
		return nil, err
	}
	locks, err := takeRunLocks(opts.StateDir, opts.RunID, opts.Stack, deps.ProgramDir, deps.clock().Now())
	if err != nil {
		return nil, fmt.Errorf("new run: %w", err)
	}
	r := newRun(opts, deps, book)
	r.locks = locks
	jr, err := OpenJournalWith(JournalPath(opts.StateDir, opts.RunID), deps.JournalFile)
	if err != nil {
		locks.release()
		return nil, err
	}
	r.jr = jr
	return r, nil
}

// Books finds a runbook by the name a journal records.
type Books func(name string) (*Runbook, error)

// Resume reopens the run runID (or the newest unfinished or failed run for
// "" or "latest") from its journal; a failed step runs again. Finished steps are not redone, answers are
// reused and operations in flight are re-attached to. yes may add --yes.
func Resume(stateDir, runID string, books Books, deps Deps, yes bool) (*Run, error) {
	if stateDir == "" {
		d, err := StateDir()
		if err != nil {
			return nil, err
		}
		stateDir = d
	}
	sum, err := FindRun(stateDir, runID, true)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	// One process per run: take the locks before the journal is read (a
	// damaged one is rewritten) or appended to.
	locks, err := takeRunLocks(stateDir, sum.Info.RunID, sum.Info.Stack, deps.ProgramDir, deps.clock().Now())
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	r, err := resumeLocked(stateDir, sum, books, deps, yes)
	if err != nil {
		locks.release()
		return nil, err
	}
	r.locks = locks
	return r, nil
}

func resumeLocked(stateDir string, sum RunSummary, books Books, deps Deps, yes bool) (*Run, error) {
	events, rerr := ReadJournalFile(sum.Path)
	if len(events) == 0 {
		if rerr != nil {
			return nil, fmt.Errorf("resume: %w", rerr)
		}
		return nil, fmt.Errorf("resume: journal %s is empty", sum.Path)
	}
	var damaged *JournalError
	if rerr != nil {
		if !errors.As(rerr, &damaged) {
			return nil, fmt.Errorf("resume: %w", rerr)
		}
		if err := trustDamagedJournal(sum.Path, events, damaged); err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		// Keep every readable record; the damaged lines are set aside (the
		// original stays beside it) so appends start on a clean line.
		if err := setAsideTail(sum.Path, events); err != nil {
			return nil, fmt.Errorf("resume: %w (after: %v)", err, rerr)
		}
	}
	prior := newReplay(events)
	prior.damaged = damaged
	if prior.finished {
		return nil, fmt.Errorf("resume: run %s already finished: `datalayer report %s` shows it", prior.info.RunID, prior.info.RunID)
	}
	opts := OptionsFromInfo(prior.info, stateDir)
	if yes {
		opts.Yes = true
	}
	book, err := books(opts.Runbook)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	r := newRun(opts, deps, book)
	r.prior = prior
	r.seq = prior.lastSeq
	r.info.Started = prior.info.Started
	for k, v := range prior.vars {
		r.vars[k] = Var{Value: v}
	}
	jr, err := OpenJournalWith(sum.Path, deps.JournalFile)
	if err != nil {
		return nil, err
	}
	r.jr = jr
	return r, nil
}

// PeekRun returns the RunInfo of a run without opening it, so the caller can
// build the right clients (e.g. the rehearsal world) before Resume.
func PeekRun(stateDir, runID string) (RunInfo, error) {
	if stateDir == "" {
		d, err := StateDir()
		if err != nil {
			return RunInfo{}, err
		}
		stateDir = d
	}
	sum, err := FindRun(stateDir, runID, true)
	if err != nil {
		return RunInfo{}, fmt.Errorf("resume: %w", err)
	}
	return sum.Info, nil
}

// trustDamagedJournal decides whether a run can be replayed from a journal
// with damaged lines. A torn last line is safe: an "issued" record is
// synced before its call is made, so a line cut short recorded no call.
// Damage before the end is safe only when the lost lines cannot have held
// an "issued" record and the records after it follow on in order;
// otherwise a resume might repeat a write, and it stops here instead.
func trustDamagedJournal(path string, events []Event, je *JournalError) error {
	if len(events) == 0 || events[0].Type != EventRunStarted || events[0].Run == nil {
		return fmt.Errorf("journal %s: its first line (the run's description) is damaged, so the run cannot be told apart: nothing was replayed. %s", path, startAgainAdvice(RunInfo{}))
	}
	info := *events[0].Run
	for i := 1; i < len(events); i++ {
		if events[i].Seq <= events[i-1].Seq {
			return fmt.Errorf("journal %s: the records after damaged line %d are out of order (seq %d after %d), so they cannot be trusted: nothing was replayed. %s",
				path, je.Line, events[i].Seq, events[i-1].Seq, checkAWSAdvice(info, "", path))
		}
	}
	for _, d := range je.Damaged {
		if d.Torn || !d.MayHide(EventIssued) {
			continue
		}
		step := stepRunningAt(events, d.After)
		what := "its type cannot be read"
		if len(d.Types) > 0 {
			what = "it holds an \"issued\" record"
		}
		running := "no step was running"
		if step != "" {
			running = "step " + step + " was running"
		}
		return fmt.Errorf("journal %s: line %d is damaged and may have recorded an AWS or Pulumi write (%s; %s). "+
			"The %d readable records after it are kept but cannot be trusted to replay: a resume could send that write a second time. Nothing was replayed or sent. %s",
			path, d.Line, what, running, je.After, checkAWSAdvice(info, step, path))
	}
	return nil
}

// stepRunningAt returns the step that had started, and not ended, by the
// event with sequence number seq.
func stepRunningAt(events []Event, seq int64) string {
	running := ""
	for _, e := range events {
		if e.Seq > seq {
			break
		}
		switch e.Type {
		case EventStepStarted:
			running = e.StepID
		case EventStepFinished, EventStepFailed, EventStepSkipped:
			if e.StepID == running {
				running = ""
			}
		}
	}
	return running
}

// checkAWSAdvice says how to go on from a journal that cannot be replayed,
// in words that can be followed where they are printed.
func checkAWSAdvice(info RunInfo, step, path string) string {
	what := "what the run did"
	if step != "" {
		what = "what step " + step + " did"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`datalayer report %s` shows every readable record (the journal file is unchanged: %s).", info.RunID, path)
	if info.Rehearsal {
		b.WriteString(" This was a rehearsal: " + startAgainAdvice(info))
		return b.String()
	}
	fmt.Fprintf(&b, " Check in AWS %s (`datalayer status --stack %s`), then %s", what, info.Stack, startAgainAdvice(info))
	return b.String()
}

func startAgainAdvice(info RunInfo) string {
	switch {
	case info.Runbook == "":
		return "start a new run (`datalayer deploy|upgrade|restore --stack NAME`, or `datalayer rehearse RUNBOOK`); it reads AWS and Pulumi afresh."
	case info.Rehearsal:
		return fmt.Sprintf("start a new one with `datalayer rehearse %s`.", info.Runbook)
	}
	return fmt.Sprintf("start a new run with `datalayer %s --stack %s`; it reads AWS and Pulumi afresh before any change.", info.Runbook, info.Stack)
}

// setAsideTail rewrites the journal with the readable events only, keeping
// the original beside it as <path>.damaged. Both are synced.
func setAsideTail(path string, intact []Event) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	if err := writeSynced(path+".damaged", b); err != nil {
		return fmt.Errorf("keep damaged journal: %w", err)
	}
	var sb strings.Builder
	for _, e := range intact {
		line, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("rewrite journal: %w", err)
		}
		sb.Write(line)
		sb.WriteByte('\n')
	}
	tmp := path + ".tmp"
	if err := writeSynced(tmp, []byte(sb.String())); err != nil {
		return fmt.Errorf("rewrite journal: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rewrite journal: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// writeSynced writes a file and syncs it before returning.
func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func newRun(opts Options, deps Deps, book *Runbook) *Run {
	if opts.AppStack == "" {
		opts.AppStack = opts.Stack // a resumed run from a journal that did not record it
	}
	r := &Run{
		opts: opts, deps: deps, book: book, clk: deps.clock(), red: &redactor{},
		vars: map[string]Var{}, varsCh: make(chan struct{}), producing: map[string]int{}, pending: map[string]*openPrompt{},
		elapsed: map[string]time.Duration{}, queueCh: make(chan struct{}, 1),
		events: make(chan Event), done: make(chan struct{}),
	}
	r.info = RunInfo{
		RunID: opts.RunID, Runbook: opts.Runbook, Stack: opts.Stack, Production: opts.Production,
		Rehearsal: opts.Rehearsal, Scenario: opts.Scenario, Speed: opts.Speed, Flags: opts.flags(),
		Started: r.clk.Now(),
	}
	t := loadTimings(opts.StateDir, opts.Runbook, opts.Rehearsal)
	r.expected, r.expectedWaits, r.waits = t.Steps, t.Waits, map[string]time.Duration{}
	r.info.ExpectedFrom = expectedFrom(t)
	go r.pump()
	return r
}

func (d Deps) clock() clock.Clock {
	if d.Clock == nil {
		return clock.Real{}
	}
	return d.Clock
}

// NewRunID returns a fresh run id: UTC time, runbook and a random suffix.
func NewRunID(runbook string) string { return newRunID(time.Now(), runbook) }

func newRunID(now time.Time, runbook string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + runbook + "-" + hex.EncodeToString(b[:])
}

// Info implements Session.
func (r *Run) Info() RunInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info
}

// Steps implements Session: the steps on the path chosen so far.
func (r *Run) Steps() []StepInfo { return r.book.Infos(r.opts, r.decided()) }

// Events implements Session. The channel closes when the run has finished.
func (r *Run) Events() <-chan Event { return r.events }

// JournalPath returns the run's journal file.
func (r *Run) JournalPath() string { return r.jr.Path() }

// Answer implements Session.
func (r *Run) Answer(a Answer) error {
	r.mu.Lock()
	op, ok := r.pending[a.PromptID]
	if ok {
		delete(r.pending, a.PromptID)
	}
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("answer: no open prompt %q", a.PromptID)
	}
	if err := checkAnswer(op.p, a); err != nil {
		r.mu.Lock()
		r.pending[a.PromptID] = op
		r.mu.Unlock()
		return err
	}
	op.ch <- a
	return nil
}

// Pending returns the prompts waiting for an answer.
func (r *Run) Pending() []Prompt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Prompt
	for _, op := range r.pending {
		out = append(out, op.p)
	}
	return out
}

// Wait blocks until the run has finished and returns its error (nil when it
// finished or stopped early on purpose).
func (r *Run) Wait() error {
	<-r.done
	return r.err
}

// Var returns a variable's value.
func (r *Run) Var(name string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vars[name]
	return v.Value, ok
}

// Vars returns the run's variables that are not secret, plus the stack and
// the application stack, for filling the {var} placeholders of commands
// shown to people (Fill). A resumed run knows its earlier variables here
// before any event says so.
func (r *Run) Vars() map[string]string {
	m := r.decided()
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := m["stack"]; !ok && r.opts.Stack != "" {
		m["stack"] = r.opts.Stack
	}
	if _, ok := m["app-stack"]; !ok && r.opts.AppStack != "" {
		m["app-stack"] = r.opts.AppStack
	}
	return m
}

// Start runs the runbook in a goroutine; read Events until it closes.
func (r *Run) Start(ctx context.Context) {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return
	}
	r.started = true
	ctx, r.cancel = context.WithCancel(ctx)
	r.mu.Unlock()
	go r.run(ctx)
}

// Interrupt stops a started run as Ctrl-C would: the step in progress ends,
// nothing is recorded as finished, and `datalayer resume` continues it. A
// renderer that cannot answer (plain.ErrNoInput) calls it before Wait.
func (r *Run) Interrupt() {
	r.mu.Lock()
	c := r.cancel
	r.mu.Unlock()
	if c != nil {
		c()
	}
}

func (r *Run) decided() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]string, len(r.vars))
	for k, v := range r.vars {
		if !v.Secret {
			m[k] = v.Value
		}
	}
	return m
}

// emit timestamps, numbers, redacts, journals and queues an event. A
// journal that cannot be written is reported once on the session; the run
// then stops before its next step or write (see journalBroken).
func (r *Run) emit(e Event) {
	_ = r.emitTo(e, true)
}

// emitTo is emit, journalling only when journal is true; it returns the
// journal's error (wrapping ErrJournal) when the event did not reach disk.
func (r *Run) emitTo(e Event, journal bool) error {
	// One event at a time from numbering to the journal, so the journal's
	// lines are in sequence order: a reader checks that order to trust the
	// records after a damaged line.
	r.emitMu.Lock()
	defer r.emitMu.Unlock()
	r.mu.Lock()
	r.seq++
	e.Seq = r.seq
	if e.Time.IsZero() {
		e.Time = r.clk.Now()
	}
	r.mu.Unlock()
	e = r.red.event(e)
	var jerr error
	if journal && r.jr != nil {
		first := r.jr.Err() == nil
		if jerr = r.jr.Append(e); jerr != nil && first {
			r.queueEvent(Event{Seq: e.Seq, Time: e.Time, Type: EventWarning, Text: jerr.Error() +
				": the run stops before any further AWS or Pulumi write, since a resume could not know it was sent"})
		}
	}
	r.queueEvent(e)
	return jerr
}

// journalBroken returns the error that stops a run whose journal cannot be
// written, with what to do; nil while the journal is healthy.
func (r *Run) journalBroken(what string) error {
	if r.jr == nil {
		return nil
	}
	err := r.jr.Err()
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w; stopped before %s, so nothing more was sent to AWS or Pulumi. "+
		"Make the journal writable again (free disk space in %s, or fix its permissions), then `datalayer resume %s`",
		err, what, filepath.Dir(r.jr.Path()), r.opts.RunID)
}

func (r *Run) queueEvent(e Event) {
	r.mu.Lock()
	if !r.closed {
		r.queue = append(r.queue, e)
	}
	r.mu.Unlock()
	select {
	case r.queueCh <- struct{}{}:
	default:
	}
}

// pump moves queued events to the unbuffered events channel, so a slow
// reader never blocks the engine.
func (r *Run) pump() {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			closed := r.closed
			r.mu.Unlock()
			if closed {
				close(r.events)
				return
			}
			<-r.queueCh
			continue
		}
		e := r.queue[0]
		r.queue = r.queue[1:]
		r.mu.Unlock()
		r.events <- e
	}
}

func (r *Run) closeEvents() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	select {
	case r.queueCh <- struct{}{}:
	default:
	}
}

func (r *Run) setVar(step, name, value string, secret bool) {
	if r.book.secret(name) != nil {
		secret = true
	}
	if secret {
		r.hide(name, value)
	}
	r.mu.Lock()
	old, had := r.vars[name]
	r.vars[name] = Var{Value: value, Secret: secret}
	r.wakeVarsLocked()
	r.mu.Unlock()
	if had && old.Value == value {
		return
	}
	r.emit(Event{Type: EventVariable, StepID: step, Name: name, Value: value, Secret: secret})
}

// hide keeps a secret value of variable name out of every event from now
// on; a variable the runbook declares an endpoint hides every endpoint like
// it too.
func (r *Run) hide(name, value string) {
	r.red.add(value)
	if d := r.book.secret(name); d != nil && d.Endpoint {
		r.red.hideEndpointsLike(value)
	}
}

// wakeVarsLocked wakes every waitVars; r.mu must be held.
func (r *Run) wakeVarsLocked() {
	close(r.varsCh)
	r.varsCh = make(chan struct{})
}

// waitVars blocks until every name is set or ctx ends. A variable that no
// running step of the group can still set is never going to be set: that
// is an error at once, not a wait for ever.
func (r *Run) waitVars(ctx context.Context, names []string) error {
	for {
		r.mu.Lock()
		missing, hopeless := "", false
		for _, n := range names {
			if _, ok := r.vars[n]; !ok {
				missing, hopeless = n, r.producing[n] == 0
				break
			}
		}
		ch := r.varsCh
		r.mu.Unlock()
		if missing == "" {
			return nil
		}
		if hopeless {
			return fmt.Errorf("needs %s, which no earlier step learnt and no step running now can learn", missing)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", missing, ctx.Err())
		}
	}
}

// relearnSecrets hides the secrets the runbook's clients know (the
// application's db-host, and every endpoint like it) again in a resumed
// run: the journal only holds them redacted, and the step that read them
// has finished and will not run again.
func (r *Run) relearnSecrets(ctx context.Context) {
	if r.deps.Relearn == nil {
		return
	}
	for name, v := range r.deps.Relearn(ctx) {
		if v != "" {
			r.hide(name, v)
		}
	}
}

func (r *Run) run(ctx context.Context) {
	defer func() {
		if r.jr != nil {
			_ = r.jr.Close()
		}
		r.locks.release()
		close(r.done)
		r.closeEvents()
	}()
	info := r.Info()
	text := "started"
	if r.prior != nil {
		text = "resumed"
		r.relearnSecrets(ctx)
		r.replayHistory()
	}
	r.emit(Event{Type: EventRunStarted, Text: text, Run: &info})
	if r.prior != nil && r.prior.damaged != nil {
		for _, d := range r.prior.damaged.Damaged {
			kind := "its type cannot be read"
			if len(d.Types) > 0 {
				kind = "it held " + strings.Join(d.Types, ", ")
			}
			r.emit(Event{Type: EventWarning, Text: fmt.Sprintf("journal line %d was damaged (%s; %s) and is set aside; it recorded no AWS or Pulumi write, so the run goes on from the readable records", d.Line, d.Reason, kind)})
		}
	}
	if r.locks != nil {
		for _, rec := range r.locks.recovered {
			r.emit(Event{Type: EventWarning, Text: rec.text()})
		}
	}
	r.emit(Event{Type: EventSteps, Steps: r.Steps()})

	err := r.preflight(ctx)
	if err == nil {
		err = r.runSteps(ctx)
	}
	var stop *StopError
	fin := Event{Type: EventRunFinished, Text: "done"}
	journal := true
	switch {
	case err == nil:
	case errors.As(err, &stop):
		fin.Text = "stopped: " + stop.Reason
		err = nil
	case ctx.Err() != nil:
		fin.Text = "interrupted: resume with `datalayer resume " + r.opts.RunID + "`"
		fin.Err = ctx.Err().Error()
		journal = false // an interrupted run stays resumable
	default:
		fin.Text = "failed"
		fin.Err = err.Error()
	}
	if jerr := r.emitTo(fin, journal); jerr != nil && err == nil {
		// "done" that did not reach the journal: a resume would redo the run's
		// last records, so the run does not report success.
		err = jerr
	}
	if err == nil && !r.opts.Production {
		r.saveTimings()
	}
	r.err = err
	if ctx.Err() != nil && err != nil {
		r.err = fmt.Errorf("interrupted (resume with `datalayer resume %s`): %w", r.opts.RunID, ctx.Err())
	}
}

// preflight runs the runbook content's check before the first step.
func (r *Run) preflight(ctx context.Context) error {
	if r.deps.Preflight == nil {
		return nil
	}
	return r.deps.Preflight(ctx, r)
}

// Options returns the run's options.
func (r *Run) Options() Options { return r.opts }

// Resumed reports whether the run continues an earlier session's journal.
func (r *Run) Resumed() bool { return r.prior != nil }

// PriorIssued lists the operation keys an earlier session of this run
// recorded as issued (see Exec.Issue); nil for a fresh run.
func (r *Run) PriorIssued() []string {
	if r.prior == nil {
		return nil
	}
	return sortedKeys(r.prior.issued)
}

// replayHistory shows the earlier session's step outcomes to the renderer.
func (r *Run) replayHistory() {
	for _, e := range r.prior.events {
		switch e.Type {
		case EventStepFinished, EventStepSkipped, EventAnswer:
			e.Resumed = true
			r.queueEvent(e)
		}
	}
}

func (r *Run) runSteps(ctx context.Context) error {
	steps := r.book.Steps
	for i := 0; i < len(steps); {
		j := i + 1
		if g := steps[i].Group; g != "" {
			for j < len(steps) && steps[j].Group == g {
				j++
			}
		}
		unit := steps[i:j]
		i = j
		if len(unit) == 1 {
			if err := r.runStep(ctx, unit[0]); err != nil {
				return err
			}
			continue
		}
		if err := r.runGroup(ctx, unit); err != nil {
			return err
		}
	}
	return nil
}

func (r *Run) runGroup(ctx context.Context, unit []*Step) error {
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(unit))
	var wg sync.WaitGroup
	r.mu.Lock()
	for _, s := range unit {
		for _, p := range s.Produces {
			r.producing[p]++
		}
	}
	r.mu.Unlock()
	for k, s := range unit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				r.mu.Lock()
				for _, p := range s.Produces {
					r.producing[p]--
				}
				r.wakeVarsLocked()
				r.mu.Unlock()
			}()
			errs[k] = r.runStep(gctx, s)
			if errs[k] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	// Report the first real failure, not the cancellations it caused.
	var first error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if first == nil || (errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
	}
	return first
}

func (r *Run) runStep(ctx context.Context, s *Step) error {
	if !s.OnPath(r.decided()) {
		return r.emitTo(Event{Type: EventStepSkipped, StepID: s.ID, Text: "not on this path: " + condText(s.If)}, r.prior == nil || !r.prior.done[s.ID])
	}
	if r.prior != nil && r.prior.done[s.ID] && r.haveAll(s.Produces) {
		r.queueEvent(Event{Time: r.clk.Now(), Type: EventStepFinished, StepID: s.ID, Text: "done before the interruption", Resumed: true})
		return nil
	}
	if s.Do == nil {
		r.emit(Event{Type: EventStepSkipped, StepID: s.ID, Text: "documentation only"})
		return nil
	}
	if err := r.journalBroken("step " + s.ID); err != nil {
		return err
	}
	if len(s.Needs) > 0 {
		if err := r.waitVars(ctx, s.Needs); err != nil {
			r.emit(Event{Type: EventStepFailed, StepID: s.ID, Err: err.Error()})
			return fmt.Errorf("%s: %w", s.ID, err)
		}
	}
	start := r.clk.Now()
	r.emit(Event{Type: EventStepStarted, StepID: s.ID, Text: s.Title, Expected: r.expected[s.ID]})
	x := &Exec{r: r, s: s, ctx: ctx}
	err := s.Do(x)
	el := r.clk.Since(start)
	if err == nil {
		// Only a step done says how long it takes: a skipped one (a manual
		// task --yes left to a person) would be expected to take 0s.
		r.mu.Lock()
		r.elapsed[s.ID] = el
		r.mu.Unlock()
	}
	var skip *SkipError
	var stop *StopError
	switch {
	case err == nil:
		r.emit(Event{Type: EventStepFinished, StepID: s.ID, Elapsed: el, Expected: r.expected[s.ID]})
	case errors.As(err, &skip):
		r.emit(Event{Type: EventStepSkipped, StepID: s.ID, Elapsed: el, Text: skip.Reason})
	case errors.As(err, &stop):
		stop.Reason = r.followableText(stop.Reason)
		r.emit(Event{Type: EventStepFinished, StepID: s.ID, Elapsed: el, Text: stop.Reason})
		return err
	default:
		err = r.followable(r.advise(err))
		r.emit(Event{Type: EventStepFailed, StepID: s.ID, Elapsed: el, Err: err.Error()})
		return fmt.Errorf("%s: %w", s.ID, err)
	}
	if s.Kind == KindDecision {
		r.emit(Event{Type: EventSteps, StepID: s.ID, Steps: r.Steps()})
	}
	return nil
}

func (r *Run) haveAll(names []string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		if _, ok := r.vars[n]; !ok {
			return false
		}
	}
	return true
}

func condText(cs []Cond) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.String())
	}
	return "only when " + strings.Join(parts, " and ")
}

// runCommand runs a configured command.
func (r *Run) runCommand(ctx context.Context, argv []string) (string, error) {
	if r.deps.Command != nil {
		return r.deps.Command(ctx, argv)
	}
	if len(argv) == 0 {
		return "", errors.New("empty command")
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	return string(out), err
}

// advise lets the runbook content add the problem and the next action to
// a failed step's error (Deps.Advise).
func (r *Run) advise(err error) error {
	if r.deps.Advise == nil {
		return err
	}
	return r.deps.Advise(err, r.opts)
}

// followable makes a failed step's advice name this run: "`datalayer
// resume`" becomes "`datalayer resume <id>`" (the command that knows the
// run, and in a rehearsal that it is one), since another unfinished run
// could be the newest.
func (r *Run) followable(err error) error {
	text := r.followableText(err.Error())
	if text == err.Error() {
		return err
	}
	return &adviceError{err: err, text: text}
}

// realRunCommand matches a command that starts one of the runbooks named
// on real AWS.
func realRunCommand(runbooks []string) *regexp.Regexp {
	names := make([]string, len(runbooks))
	for i, n := range runbooks {
		names[i] = regexp.QuoteMeta(n)
	}
	return regexp.MustCompile("`datalayer (" + strings.Join(names, "|") + ")\\b[^`]*`")
}

// followableText is advice text made followable where it is printed: a
// bare "`datalayer resume`" names this run, and in a rehearsal a command
// that would start a runbook on real AWS ("`datalayer deploy --stack
// staging`") becomes its rehearsal ("`datalayer rehearse deploy`").
func (r *Run) followableText(text string) string {
	const bare = "`datalayer resume`"
	if r.opts.RunID != "" {
		text = strings.ReplaceAll(text, bare, "`datalayer resume "+r.opts.RunID+"`")
	}
	if r.opts.Rehearsal && len(r.deps.Runbooks) > 0 {
		text = realRunCommand(r.deps.Runbooks).ReplaceAllString(text, "`datalayer rehearse $1`")
	}
	return text
}

// adviceError is err with its text made followable where it is printed.
type adviceError struct {
	err  error
	text string
}

func (e *adviceError) Error() string { return e.text }

func (e *adviceError) Unwrap() error { return e.err }
