package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// StateDir returns where journals and timings live: $DATALAYER_STATE_DIR,
// else $XDG_STATE_HOME/datalayer, else ~/.local/state/datalayer.
func StateDir() (string, error) {
	if d := os.Getenv("DATALAYER_STATE_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "datalayer"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("state dir: no home directory (set DATALAYER_STATE_DIR): %w", err)
	}
	return filepath.Join(home, ".local", "state", "datalayer"), nil
}

// JournalPath is the journal file of a run.
func JournalPath(stateDir, runID string) string {
	return filepath.Join(stateDir, "runs", runID+".jsonl")
}

// JournalFile is the file a journal appends to. *os.File is one; tests
// give one whose disk fills up.
type JournalFile interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// Journal is an append-only JSON-lines file of a run's events. Every line is
// written whole and synced before Append returns. Once a write fails the
// journal refuses every later one (the run must stop: see ErrJournal), and
// the partial line is cut off so that it never becomes damage in the middle
// of the file.
type Journal struct {
	mu     sync.Mutex
	f      JournalFile
	path   string
	size   int64 // bytes known to be on disk, whole lines only
	broken error
}

// ErrJournal marks an error writing the journal: the run stops before any
// further AWS or Pulumi write, since a resume could not tell it was sent.
var ErrJournal = errors.New("the journal cannot be written")

// OpenJournal opens (creating when needed) the journal at path for appending.
func OpenJournal(path string) (*Journal, error) {
	return OpenJournalWith(path, nil)
}

// OpenJournalWith opens the journal at path through open (nil: the file
// system), creating its directory when needed. A new file's directory entry
// is synced too, so the journal survives a crash right after it is created.
func OpenJournalWith(path string, open func(path string) (JournalFile, error)) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("journal: create directory: %w", err)
	}
	_, statErr := os.Stat(path)
	if open == nil {
		open = func(path string) (JournalFile, error) {
			return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		}
	}
	f, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: open: %w", err)
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := syncDir(filepath.Dir(path)); err != nil {
			f.Close()
			return nil, fmt.Errorf("journal: %w", err)
		}
	}
	return &Journal{f: f, path: path, size: size}, nil
}

// syncDir makes a directory's entries (a new or renamed file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Append writes one event as a line and syncs the file. An error wraps
// ErrJournal; after one, every later Append fails the same way.
func (j *Journal) Append(e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("%w: encode event %d: %w", ErrJournal, e.Seq, err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.broken != nil {
		return j.broken
	}
	if j.f == nil {
		return fmt.Errorf("%w: %s is closed", ErrJournal, j.path)
	}
	n, err := j.f.Write(b)
	if err == nil {
		err = j.f.Sync()
	}
	if err != nil {
		// Cut off whatever part of the line reached the file, so a later
		// reader (or a resume after the disk is fixed) sees whole lines.
		if n > 0 {
			_ = j.f.Truncate(j.size)
		}
		j.broken = fmt.Errorf("%w: %s: %w", ErrJournal, j.path, err)
		return j.broken
	}
	j.size += int64(len(b))
	return nil
}

// Err returns the error that broke the journal, or nil while it is healthy.
func (j *Journal) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.broken
}

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// DamagedLine is one journal line that could not be read.
type DamagedLine struct {
	Line   int
	Reason string
	// Types are the event types still legible in the damaged bytes (a
	// line can hold two events when a newline was lost); empty when none is.
	Types []string
	// Torn marks the last line of the file cut short: the process died
	// while writing it, so the call it would have recorded was never made.
	Torn bool
	// After is the sequence number of the last readable event before it.
	After int64
}

// JournalError says which lines of a journal could not be read. Every
// readable event, before and after the damage, is returned alongside it.
type JournalError struct {
	Line    int  // 1-based first line that could not be read
	Torn    bool // only the last line is damaged, cut short (the process died mid-write)
	Reason  string
	Damaged []DamagedLine
	// Before and After count the readable events before the first damaged
	// line and after it.
	Before, After int
}

func (e *JournalError) Error() string {
	if e.Torn {
		return fmt.Sprintf("journal line %d is cut short (%s); the %d events before it are intact", e.Line, e.Reason, e.Before)
	}
	var lines []string
	for _, d := range e.Damaged {
		lines = append(lines, strconv.Itoa(d.Line))
	}
	return fmt.Sprintf("journal line %d is damaged (%s); the %d events before it are intact, and %d readable events after it were kept (damaged lines: %s)",
		e.Line, e.Reason, e.Before, e.After, strings.Join(lines, ", "))
}

// MayHide reports whether a damaged line may have held an event of type t
// (its type is unreadable, or t is legible in it).
func (d DamagedLine) MayHide(t EventType) bool {
	if len(d.Types) == 0 {
		return true
	}
	for _, x := range d.Types {
		if x == string(t) {
			return true
		}
	}
	return false
}

// typeInLine finds the event types legible in a damaged line: the
// journal's only lowercase "type" key is the event's own.
var typeInLine = regexp.MustCompile(`"type":"([a-z-]+)"`)

// ReadJournal reads events from r. It keeps every line it can read: a
// damaged or truncated line is skipped and named in a *JournalError
// returned with all the readable events, before and after it.
func ReadJournal(r io.Reader) ([]Event, error) {
	var events []Event
	var jerr *JournalError
	br := bufio.NewReader(r)
	line := 0
	damage := func(d DamagedLine) {
		if jerr == nil {
			jerr = &JournalError{Line: d.Line, Torn: d.Torn, Reason: d.Reason, Before: len(events)}
		} else {
			jerr.Torn = false // damage before the last line is not a torn tail
		}
		if len(events) > 0 {
			d.After = events[len(events)-1].Seq
		}
		jerr.Damaged = append(jerr.Damaged, d)
	}
	for {
		b, err := br.ReadBytes('\n')
		if len(b) == 0 && err == io.EOF {
			break
		}
		line++
		torn := err == io.EOF // no newline: the last write did not finish
		if err != nil && err != io.EOF {
			if jerr != nil {
				jerr.After = len(events) - jerr.Before
			}
			return events, fmt.Errorf("journal: read line %d: %w", line, err)
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(bytes.TrimSpace(b)) == 0 {
			if torn {
				break
			}
			continue
		}
		e, reason := decodeLine(b)
		if reason != "" {
			d := DamagedLine{Line: line, Reason: reason, Torn: torn}
			for _, m := range typeInLine.FindAllSubmatch(b, -1) {
				d.Types = append(d.Types, string(m[1]))
			}
			damage(d)
			if torn {
				break
			}
			continue
		}
		// A complete JSON object without its newline is whole: keep it.
		events = append(events, e)
		if torn {
			break
		}
	}
	if jerr != nil {
		jerr.After = len(events) - jerr.Before
		return events, jerr
	}
	return events, nil
}

// decodeLine reads one line as an event; reason says why it cannot be.
func decodeLine(b []byte) (Event, string) {
	var e Event
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&e); err != nil {
		return e, err.Error()
	}
	if rest := bytes.TrimSpace(b[dec.InputOffset():]); len(rest) > 0 {
		return e, "extra data after the event"
	}
	if e.Type == "" {
		return e, "event has no type"
	}
	if e.Seq <= 0 {
		return e, "event has no sequence number"
	}
	return e, ""
}

// ReadJournalFile reads the journal at path (see ReadJournal).
func ReadJournalFile(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	defer f.Close()
	ev, err := ReadJournal(f)
	if err != nil {
		return ev, fmt.Errorf("journal %s: %w", path, err)
	}
	return ev, nil
}

// RunSummary is one journal in the state dir.
type RunSummary struct {
	Info     RunInfo
	Path     string
	Finished bool
	Failed   bool
	Events   int
}

// ListRuns returns the runs in stateDir, newest first.
func ListRuns(stateDir string) ([]RunSummary, error) {
	files, err := filepath.Glob(filepath.Join(stateDir, "runs", "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var out []RunSummary
	for _, p := range files {
		ev, _ := ReadJournalFile(p)
		if len(ev) == 0 || ev[0].Run == nil {
			continue
		}
		s := RunSummary{Info: *ev[0].Run, Path: p, Events: len(ev)}
		for _, e := range ev {
			if e.Type == EventRunFinished {
				s.Finished = true
				s.Failed = e.Err != ""
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Info.Started.Equal(out[j].Info.Started) {
			return out[i].Info.Started.After(out[j].Info.Started)
		}
		return out[i].Info.RunID > out[j].Info.RunID
	})
	return out, nil
}

// FindRun returns the run with id (or "latest"/"" for the newest run; for
// resume, the newest unfinished one when unfinished is true).
func FindRun(stateDir, id string, unfinished bool) (RunSummary, error) {
	runs, err := ListRuns(stateDir)
	if err != nil {
		return RunSummary{}, err
	}
	for _, r := range runs {
		if id == "" || id == "latest" {
			if unfinished && r.Finished && !r.Failed {
				continue
			}
			return r, nil
		}
		if r.Info.RunID == id {
			return r, nil
		}
	}
	if id == "" || id == "latest" {
		if unfinished {
			return RunSummary{}, fmt.Errorf("no unfinished or failed run in %s: start one with `datalayer rehearse` or `datalayer restore`", stateDir)
		}
		return RunSummary{}, fmt.Errorf("no run in %s yet", stateDir)
	}
	return RunSummary{}, fmt.Errorf("no run %q in %s: `datalayer report latest` shows the newest", id, stateDir)
}

// replay is what an earlier session of a run left in its journal.
type replay struct {
	info     RunInfo
	done     map[string]bool   // steps finished or skipped
	answers  map[string]Answer // by prompt id
	vars     map[string]string // non-secret variables
	issued   map[string]string // operation key -> facts
	issuedAt map[string]Event  // the issued event itself
	prompts  map[string]Prompt // prompts asked
	events   []Event           // everything, for the session's history
	lastSeq  int64             //
	failed   map[string]string // steps that failed last time: reason
	finished bool              //
	started  map[string]Event  // step-started events
	damaged  *JournalError     // lines set aside on resume, if any
}

func newReplay(events []Event) *replay {
	r := &replay{
		done: map[string]bool{}, answers: map[string]Answer{}, vars: map[string]string{},
		issued: map[string]string{}, issuedAt: map[string]Event{}, prompts: map[string]Prompt{},
		failed: map[string]string{}, started: map[string]Event{}, events: events,
	}
	for _, e := range events {
		if e.Seq > r.lastSeq {
			r.lastSeq = e.Seq
		}
		switch e.Type {
		case EventRunStarted:
			if e.Run != nil && r.info.RunID == "" {
				r.info = *e.Run
			}
		case EventStepFinished, EventStepSkipped:
			r.done[e.StepID] = true
			delete(r.failed, e.StepID)
		case EventStepFailed:
			r.failed[e.StepID] = e.Err
		case EventStepStarted:
			r.started[e.StepID] = e
		case EventAnswer:
			if e.Answer != nil {
				r.answers[e.Answer.PromptID] = *e.Answer
			}
		case EventPrompt:
			if e.Prompt != nil {
				r.prompts[e.Prompt.ID] = *e.Prompt
			}
		case EventVariable:
			if !e.Secret {
				r.vars[e.Name] = e.Value
			}
		case EventIssued:
			r.issued[e.Name] = e.Value
			r.issuedAt[e.Name] = e
		case EventRunFinished:
			// A failed run stays resumable: the failed step runs again.
			r.finished = e.Err == ""
		}
	}
	return r
}

// redactor replaces secret values wherever they would appear. A secret
// db-host also hides every endpoint of the same account and region (the
// new instance's endpoint becomes the next db-host).
type redactor struct {
	mu       sync.Mutex
	secrets  []string
	suffixes []*regexp.Regexp
}

// hideEndpointsLike hides every "<label><suffix>" where suffix is the part
// of host after its first label.
func (r *redactor) hideEndpointsLike(host string) {
	i := strings.Index(host, ".")
	if i <= 0 || strings.Count(host[i:], ".") < 3 {
		return
	}
	re := regexp.MustCompile(`[A-Za-z0-9-]+` + regexp.QuoteMeta(host[i:]))
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.suffixes {
		if x.String() == re.String() {
			return
		}
	}
	r.suffixes = append(r.suffixes, re)
}

const redacted = "[secret]"

func (r *redactor) add(v string) {
	v = strings.TrimSpace(v)
	if len(v) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		if s == v {
			return
		}
	}
	r.secrets = append(r.secrets, v)
	// Longest first, so a value containing another is replaced whole.
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *redactor) clean(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range r.secrets {
		s = strings.ReplaceAll(s, v, redacted)
	}
	for _, re := range r.suffixes {
		s = re.ReplaceAllString(s, redacted)
	}
	return s
}

// event returns a copy of e with every secret value replaced.
func (r *redactor) event(e Event) Event {
	e.Text = r.clean(e.Text)
	e.Err = r.clean(e.Err)
	if e.Secret {
		e.Value = redacted
	} else {
		e.Value = r.clean(e.Value)
	}
	if e.Answer != nil {
		a := *e.Answer
		a.Value = r.clean(a.Value)
		a.Note = r.clean(a.Note)
		e.Answer = &a
	}
	if e.Prompt != nil {
		p := *e.Prompt
		p.Body = r.clean(p.Body)
		p.Title = r.clean(p.Title)
		e.Prompt = &p
	}
	if e.Pulumi != nil {
		p := *e.Pulumi
		p.Message = r.clean(p.Message)
		p.ID = r.clean(p.ID)
		e.Pulumi = &p
	}
	if e.Status != nil {
		c := *e.Status
		c.Error = r.clean(c.Error)
		if c.Instance != nil {
			in := *c.Instance
			in.Address = r.clean(in.Address)
			c.Instance = &in
		}
		e.Status = &c
	}
	if e.Run != nil && e.Run.Identity != nil {
		info := *e.Run
		id := *info.Identity
		id.Endpoint = r.clean(id.Endpoint)
		info.Identity = &id
		e.Run = &info
	}
	return e
}
