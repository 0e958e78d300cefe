// Package rehearsal composes the whole simulated world a rehearsal runs in:
// the RDS simulator on a local port with a paced clock, the real AWS SDK
// client pointed at it, the run's poller, and the simulated Pulumi stacks
// (data and application) of a laid-out workspace. The world can be saved in
// the state directory after every request, so `datalayer resume` of a
// killed rehearsal re-attaches to the same simulated AWS.
//
// Time: the world reads the wall clock and plays AWS durations Speed times
// faster (clock.NewWall), for the simulator and for every wait of the run
// (poll intervals, rename back-offs, the simulated engine's polls). So the
// simulator never reports a time after its clients' now, step timings come
// out in AWS time, and a world reopened after its process was killed has
// gone on as AWS would have meanwhile — its saved instants are wall-clock
// instants.
package rehearsal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// DefaultSpeed plays a 7-minute restore in about 7 seconds.
const DefaultSpeed = 60

// worldClock marks a world saved with wall-clock instants; worlds saved
// before it ran a clock ahead of real time and cannot be reopened.
const worldClock = "wall"

// Options describe a simulated world.
type Options struct {
	Scenario string  // "" = default
	Speed    float64 // AWS durations pass Speed times faster; 0 = DefaultSpeed
	// StateDir is the run state directory (journals); the world is kept
	// under StateDir/rehearsals/<Name> when Persist is set.
	StateDir string
	// Name names the world's directory (the run id); "" makes a temporary
	// directory that Close removes.
	Name string
	// Persist saves the simulator after every request so a later process
	// can Open the same world.
	Persist bool
	// Clock overrides the wall clock at Speed (tests: a clock.Manual);
	// Speed is then ignored.
	Clock clock.Clock
	// Stack is the data and application stacks' name; default staging.
	Stack string
	// PollInterval is the poller's period for a changing resource whose
	// change nobody expects at a given time (default
	// awsclient.DefaultPollInterval of simulated time).
	PollInterval time.Duration
	// Engine is the Pulumi engine the stacks run on; the zero value is the
	// simulated engine.
	Engine Engine
}

// World is everything a rehearsal runs against. Close stops it.
type World struct {
	Sim       *rdssim.Sim
	URL       string
	AWS       *awsclient.Client
	Poller    *awsclient.Poller
	Data      pulumiclient.Stack // a *SimStack, or a *LocalStack on the real engine
	App       pulumiclient.Stack
	Workspace pulumiclient.RehearsalWorkspace
	Clock     clock.Clock
	Dir       string // the world's directory
	Options   Options

	ctx      context.Context
	cancel   context.CancelFunc
	srvDone  <-chan error
	temp     bool
	saveMu   sync.Mutex
	lastSave time.Time
	reqLog   *os.File
	engine   Engine // with the pulumi CLI found
}

// meta is what Open needs besides the simulator's own state.
type meta struct {
	Scenario string    `json:"scenario"`
	Speed    float64   `json:"speed"`
	Clock    string    `json:"clock"` // worldClock
	Now      time.Time `json:"now"`   // the clock's reading at the last save
	Stack    string    `json:"stack"`
	Engine   string    `json:"engine,omitempty"` // "" is EngineSim
	Pulumi   string    `json:"pulumi,omitempty"` // the CLI of EnginePulumi
}

// The rehearsal's AWS keys: datalayer's client and, on the real engine,
// Pulumi's provider act with them (the simulator accepts any signature).
const (
	rehearsalKeyID     = "AKIAREHEARSAL0000000"
	rehearsalSecretKey = "rehearsal-secret-key"
)

const (
	simFile  = "sim.json"
	metaFile = "world.json"
	reqFile  = "requests.log"
)

// WorldDir is where a persisted world of a run lives.
func WorldDir(stateDir, name string) string {
	return filepath.Join(stateDir, "rehearsals", name)
}

// New builds a fresh world.
func New(ctx context.Context, o Options) (*World, error) {
	if o.Speed <= 0 {
		o.Speed = DefaultSpeed
	}
	if o.Stack == "" {
		o.Stack = pulumiclient.RehearsalStack
	}
	w := &World{Options: o}
	if err := w.findEngine(o.Engine, ""); err != nil {
		return nil, err
	}
	if o.Persist && o.Name != "" && o.StateDir != "" {
		w.Dir = WorldDir(o.StateDir, o.Name)
		if _, err := os.Stat(filepath.Join(w.Dir, metaFile)); err == nil {
			return nil, fmt.Errorf("rehearsal: a world for %s already exists in %s: resume it with `datalayer resume %s`", o.Name, w.Dir, o.Name)
		}
	} else {
		d, err := os.MkdirTemp("", "datalayer-rehearsal-")
		if err != nil {
			return nil, fmt.Errorf("rehearsal: %w", err)
		}
		w.Dir, w.temp = d, true
	}
	if err := os.MkdirAll(w.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("rehearsal: %w", err)
	}
	w.Clock = o.Clock
	if w.Clock == nil {
		w.Clock = clock.NewWall(o.Speed)
	}
	sim, err := rdssim.New(rdssim.Options{Clock: w.Clock, Scenario: o.Scenario})
	if err != nil {
		return nil, fmt.Errorf("rehearsal: %w", err)
	}
	w.Sim = sim
	var ws pulumiclient.RehearsalWorkspace
	if w.engine.Name == EnginePulumi {
		ws, err = layOutYAMLWorkspace(filepath.Join(w.Dir, "workspace"), pulumiPathsOf(w.Dir).plugins)
	} else {
		ws, err = pulumiclient.NewRehearsalWorkspace(filepath.Join(w.Dir, "workspace"))
	}
	if err != nil {
		return nil, fmt.Errorf("rehearsal: %w", err)
	}
	ws.Stack = o.Stack
	w.Workspace = ws
	if err := w.start(ctx, true); err != nil {
		w.discard()
		return nil, err
	}
	if w.engine.Name == EnginePulumi {
		if err := w.seedQuietly(ctx); err != nil {
			w.discard()
			return nil, err
		}
	}
	if o.Persist {
		if err := w.Save(); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// Open reopens a persisted world from its directory. Its clock is the wall
// clock again: what was under way when the world was saved has gone on
// meanwhile, as on AWS.
func Open(ctx context.Context, dir string, o Options) (*World, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, fmt.Errorf("rehearsal: open world %s: %w (was the rehearsal started with a state directory?)", dir, err)
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("rehearsal: open world %s: %s is damaged: %w", dir, metaFile, err)
	}
	if m.Clock != worldClock {
		return nil, fmt.Errorf("rehearsal: open world %s: it was saved by an older datalayer whose simulated clock ran ahead of real time, and cannot be reopened; the run's journal is kept (`datalayer report`): start the rehearsal again with `datalayer rehearse`", dir)
	}
	o.Scenario, o.Stack, o.Persist = m.Scenario, m.Stack, true
	if o.Speed <= 0 {
		o.Speed = m.Speed
	}
	w := &World{Options: o, Dir: dir}
	e := o.Engine
	e.Name = m.Engine
	if err := w.findEngine(e, m.Pulumi); err != nil {
		return nil, err
	}
	w.Options.Engine = w.engine
	w.Clock = o.Clock
	if w.Clock == nil {
		w.Clock = clock.NewWall(o.Speed)
	}
	sim, err := rdssim.New(rdssim.Options{Clock: w.Clock, Scenario: o.Scenario})
	if err != nil {
		return nil, fmt.Errorf("rehearsal: %w", err)
	}
	f, err := os.Open(filepath.Join(dir, simFile))
	if err != nil {
		return nil, fmt.Errorf("rehearsal: open world: %w", err)
	}
	err = sim.Load(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("rehearsal: open world: %w", err)
	}
	w.Sim = sim
	root := filepath.Join(dir, "workspace")
	w.Workspace = pulumiclient.RehearsalWorkspace{
		Root: root, DataDir: filepath.Join(root, "infrastructure", "data"),
		AppDir: filepath.Join(root, "infrastructure", "application"), Stack: m.Stack,
	}
	if err := w.start(ctx, false); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// findEngine settles the world's engine: for the real one, the pulumi CLI
// (the one asked for, else the one the world last ran with while it is
// still there, else PATH's) and its YAML language host.
func (w *World) findEngine(e Engine, last string) error {
	e.Name = e.name()
	switch e.Name {
	case EngineSim:
	case EnginePulumi:
		asked := e.Pulumi
		if asked == "" && last != "" {
			if _, err := os.Stat(last); err == nil {
				asked = last
			}
		}
		p, err := FindPulumi(asked)
		if err != nil {
			return fmt.Errorf("rehearsal: %w", err)
		}
		if _, ok := languageHost(p, "yaml"); !ok {
			return fmt.Errorf("rehearsal: the pulumi CLI %s has no YAML language host (pulumi-language-yaml beside it or on PATH), which the rehearsal's program needs: "+
				"Pulumi's own releases ship it; `bash tools/pulumi/build.sh` builds both", p)
		}
		e.Pulumi = p
	default:
		return fmt.Errorf("rehearsal: unknown engine %q: use %s", e.Name, strings.Join(Engines(), " or "))
	}
	w.engine = e
	return nil
}

// seedQuietly seeds a real-engine world's stacks without the scenario
// seeing it: its faults are off meanwhile, and the simulator's request
// count is put back, so request-numbered faults hit the run where they
// hit it on the simulated engine. Seeding only reads AWS.
func (w *World) seedQuietly(ctx context.Context) error {
	var before bytes.Buffer
	if err := w.Sim.Save(&before); err != nil {
		return fmt.Errorf("rehearsal: %w", err)
	}
	w.Sim.ClearFaults()
	if err := w.seedPulumiStacks(ctx); err != nil {
		return err
	}
	if err := w.Sim.Load(&before); err != nil {
		return fmt.Errorf("rehearsal: %w", err)
	}
	return nil
}

// start serves the simulator and builds the clients; fresh makes the
// real engine's stacks first.
func (w *World) start(ctx context.Context, fresh bool) error {
	w.ctx, w.cancel = context.WithCancel(ctx)
	var handler http.Handler = w.Sim
	if w.Options.Persist {
		f, err := os.OpenFile(filepath.Join(w.Dir, reqFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("rehearsal: %w", err)
		}
		w.reqLog = f
		handler = http.HandlerFunc(w.persisting)
	}
	addr, done, err := rdssim.Start(w.ctx, "127.0.0.1:0", handler)
	if err != nil {
		return fmt.Errorf("rehearsal: %w", err)
	}
	w.srvDone = done
	w.URL = "http://" + addr
	cfg := aws.Config{
		Region:      "eu-west-2",
		Credentials: credentials.NewStaticCredentialsProvider(rehearsalKeyID, rehearsalSecretKey, ""),
	}
	// A short rename backoff in AWS time keeps the rehearsal brisk; the
	// clock makes it short in real time too.
	// The SDK's default of 3 tries per call loses to a burst of 4 throttled
	// requests (throttling) or 8 failed ones (network-loss) when one call is
	// alone on the wire. 10 tries ride them out; the SDK sleeps in real time
	// while AWS durations pass --speed times faster, so its backoff is
	// capped low (else a rename's 30 AWS minutes pass inside one call).
	w.AWS = awsclient.New(cfg, awsclient.WithEndpoint(w.URL), awsclient.WithClock(w.Clock), awsclient.WithRetry(10, 50*time.Millisecond),
		awsclient.WithRenameBackoff(awsclient.RenameBackoff{First: 15 * time.Second, Max: time.Minute, GiveUp: 30 * time.Minute, Tick: 5 * time.Second, Poll: 10 * time.Second}))
	// The run's one poller, on the world's clock: it paces itself in AWS
	// time, so a rehearsal spends its simulated account's budget as a real
	// run would.
	w.Poller = awsclient.NewPoller(w.AWS, w.Clock, awsclient.PollerOptions{Interval: w.Options.PollInterval})
	go func() { _ = w.Poller.Run(w.ctx) }()
	if w.engine.Name == EnginePulumi {
		return w.openPulumiStacks(ctx, fresh)
	}
	so := pulumiclient.SimOptions{RDS: pulumiclient.NewSimRDSClient(w.URL, "eu-west-2"), Clock: w.Clock}
	if w.Data, err = pulumiclient.OpenSim(w.Workspace.DataDir, w.Options.Stack, so); err != nil {
		return fmt.Errorf("rehearsal: %w", err)
	}
	if w.App, err = pulumiclient.OpenSim(w.Workspace.AppDir, w.Options.Stack, so); err != nil {
		return fmt.Errorf("rehearsal: %w", err)
	}
	return nil
}

// statusWriter records the response status, and the start of an error's
// body for its code.
type statusWriter struct {
	http.ResponseWriter
	status  int
	errBody []byte
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status >= 400 && len(s.errBody) < 4096 {
		s.errBody = append(s.errBody, b[:min(len(b), 4096-len(s.errBody))]...)
	}
	return s.ResponseWriter.Write(b)
}

var errorCode = regexp.MustCompile(`<Code>([^<]+)</Code>`)

// code is the API error code of an error answer ("" for a success or a
// dropped connection).
func (s *statusWriter) code() string {
	if m := errorCode.FindSubmatch(s.errBody); m != nil {
		return string(m[1])
	}
	return ""
}

// Hijack lets the simulator drop a connection (network-loss scenario).
func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack not supported")
	}
	s.status = 0
	return h.Hijack()
}

// mutating lists the actions that change the simulated world.
var mutating = map[string]bool{
	"CreateDBSnapshot": true, "RestoreDBInstanceFromDBSnapshot": true, "RestoreDBInstanceToPointInTime": true, "ModifyDBInstance": true,
	"DeleteDBInstance": true, "ApplyPendingMaintenanceAction": true, "CreateDBInstance": true,
	"DeleteDBSnapshot": true, "CopyDBSnapshot": true, "RebootDBInstance": true,
	"CreateDBParameterGroup": true, "ModifyDBParameterGroup": true, "ResetDBParameterGroup": true, "DeleteDBParameterGroup": true,
}

// persisting serves a request, logs mutating ones with their outcome and
// saves the world.
func (w *World) persisting(rw http.ResponseWriter, r *http.Request) {
	form := url.Values{}
	if r.Body != nil {
		data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(data))
		form, _ = url.ParseQuery(string(data))
	}
	action := form.Get("Action")
	sw := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
	w.Sim.ServeHTTP(sw, r)
	if mutating[action] {
		line := fmt.Sprintf("%s %s %d", w.Clock.Now().UTC().Format(time.RFC3339), action, sw.status)
		if id := form.Get("DBInstanceIdentifier"); id != "" {
			line += " " + id
		}
		if id := form.Get("DBSnapshotIdentifier"); id != "" {
			line += " " + id
		}
		if id := form.Get("DBParameterGroupName"); id != "" {
			line += " " + id
		}
		if id := form.Get("NewDBInstanceIdentifier"); id != "" {
			line += " -> " + id
		}
		if c := sw.code(); c != "" {
			line += " error=" + c
		}
		w.saveMu.Lock()
		if w.reqLog != nil {
			_, _ = w.reqLog.WriteString(line + "\n")
			_ = w.reqLog.Sync()
		}
		w.saveMu.Unlock()
		_ = w.Save()
		return
	}
	// Reads only move the lazy clock; save them now and then.
	w.saveMu.Lock()
	due := time.Since(w.lastSave) > 200*time.Millisecond
	w.saveMu.Unlock()
	if due {
		_ = w.Save()
	}
}

// Save writes the simulator's state and the clock's reading (atomically).
func (w *World) Save() error {
	w.saveMu.Lock()
	defer w.saveMu.Unlock()
	w.lastSave = time.Now()
	now := w.Clock.Now()
	tmp := filepath.Join(w.Dir, simFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("rehearsal: save world: %w", err)
	}
	if err := w.Sim.Save(f); err != nil {
		f.Close()
		return fmt.Errorf("rehearsal: save world: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("rehearsal: save world: %w", err)
	}
	f.Close()
	if err := os.Rename(tmp, filepath.Join(w.Dir, simFile)); err != nil {
		return fmt.Errorf("rehearsal: save world: %w", err)
	}
	m, _ := json.Marshal(meta{Scenario: orDefault(w.Options.Scenario, "default"), Speed: w.Options.Speed, Clock: worldClock, Now: now, Stack: w.Options.Stack,
		Engine: w.engine.Name, Pulumi: w.engine.Pulumi})
	mt := filepath.Join(w.Dir, metaFile+".tmp")
	if err := os.WriteFile(mt, m, 0o600); err != nil {
		return fmt.Errorf("rehearsal: save world: %w", err)
	}
	return os.Rename(mt, filepath.Join(w.Dir, metaFile))
}

// MutatingRequests reads the persisted log of mutating requests (across
// every process that served this world): action -> successful calls.
func (w *World) MutatingRequests() (map[string]int, error) {
	return ReadRequestLog(w.Dir)
}

// ReadRequestLog counts the successful mutating requests of a persisted
// world, by action.
func ReadRequestLog(dir string) (map[string]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, reqFile))
	if err != nil {
		return nil, fmt.Errorf("rehearsal: read request log: %w", err)
	}
	out := map[string]int{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		if f[2] == "200" {
			out[f[1]]++
		}
	}
	return out, nil
}

// Deps returns the clients a run uses in this world.
func (w *World) Deps() runbooks.Deps {
	return runbooks.Deps{
		AWS: w.AWS, Data: w.Data, App: w.App, Poller: w.Poller,
		Editor: pulumiclient.NewProgramEditor(w.Workspace.DataDir), Clock: w.Clock,
	}
}

// Close stops the simulator and the poller (saving the world first when it
// persists) and removes a temporary world.
func (w *World) Close() error {
	var errs []error
	if w.Options.Persist && w.Sim != nil {
		errs = append(errs, w.Save())
	}
	if w.cancel != nil {
		w.cancel()
	}
	if w.srvDone != nil {
		errs = append(errs, <-w.srvDone)
	}
	if w.reqLog != nil {
		errs = append(errs, w.reqLog.Close())
	}
	if w.temp {
		errs = append(errs, os.RemoveAll(w.Dir))
	}
	return errors.Join(errs...)
}

// discard stops a world that could not be made and removes it: there is no
// run to resume in it.
func (w *World) discard() {
	w.Options.Persist = false
	w.temp = true
	_ = w.Close()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
