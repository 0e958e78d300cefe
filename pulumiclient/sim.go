package pulumiclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"gopkg.in/yaml.v3"

	"github.com/datalayer-tool/datalayer/clock"
)

// SimRDS lists the RDS calls the simulated engine makes; *rds.Client
// implements it.
type SimRDS interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, opts ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	RestoreDBInstanceFromDBSnapshot(ctx context.Context, in *rds.RestoreDBInstanceFromDBSnapshotInput, opts ...func(*rds.Options)) (*rds.RestoreDBInstanceFromDBSnapshotOutput, error)
	RestoreDBInstanceToPointInTime(ctx context.Context, in *rds.RestoreDBInstanceToPointInTimeInput, opts ...func(*rds.Options)) (*rds.RestoreDBInstanceToPointInTimeOutput, error)
	ModifyDBInstance(ctx context.Context, in *rds.ModifyDBInstanceInput, opts ...func(*rds.Options)) (*rds.ModifyDBInstanceOutput, error)
	DeleteDBInstance(ctx context.Context, in *rds.DeleteDBInstanceInput, opts ...func(*rds.Options)) (*rds.DeleteDBInstanceOutput, error)
}

var _ SimRDS = (*rds.Client)(nil)

// NewSimRDSClient returns the real SDK client pointed at an RDS simulator's
// URL, with static credentials (the simulator accepts any signature). It
// tries each call once: the simulated engine retries as the AWS provider
// does, waiting on its own clock.
func NewSimRDSClient(endpoint, region string) *rds.Client {
	if region == "" {
		region = "eu-west-2"
	}
	return rds.New(rds.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIASIMULATEDPULUMI0", "simulated-secret-key", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// SimOptions configure a simulated stack.
type SimOptions struct {
	RDS   SimRDS
	Clock clock.Clock // nil: clock.Real
	// Poll is how often, on Clock, the engine looks at an instance it
	// waits for; default 15 s (as the AWS provider does).
	Poll time.Duration
	// StateDir holds the state and lock files; default <program dir>/.pulumi-sim.
	StateDir string
	// InterruptGrace is how long, on Clock, an interrupted update may take
	// to finish the operation in flight before it is abandoned, as
	// Options.InterruptGrace is for the CLI; default 30 s.
	InterruptGrace time.Duration
	// MaxAttempts is how many times each AWS call is tried on throttling
	// and server errors; default 25, the AWS provider's.
	MaxAttempts int
}

// SimStack is a simulated Pulumi engine for `rehearse`: it reads the
// program from its directory, keeps a small JSON state, drives the RDS
// simulator through the real SDK client and emits the Progress stream the
// real engine would. It needs no pulumi CLI. Where the outcome depends on
// it, it does what the CLI and the AWS provider do (docs/FIDELITY.md).
type SimStack struct {
	dir     string
	name    string
	project string
	opts    SimOptions
	mu      sync.Mutex
	running *simRun // the update or refresh this process runs, if any
}

var _ Stack = (*SimStack)(nil)

// simState is the simulated engine's state file.
type simState struct {
	Project  string       `json:"project"`
	Stack    string       `json:"stack"`
	Instance *simResource `json:"instance,omitempty"`
	Old      *simResource `json:"pendingDelete,omitempty"` // a replaced instance not deleted yet
	// Resolved is the instance as the program resolves it, kept when a
	// refresh drops the instance (it was deleted outside Pulumi). The
	// simulated engine does not run the TypeScript program: the values a
	// new create is given (the class from the stack's name, the subnet
	// group from the networking stack's reference, the security group
	// from db-sg, the parameter group) come from resources and references
	// the refresh leaves as they were, so they are the deleted instance's.
	Resolved *simResource      `json:"resolved,omitempty"`
	Pending  []simPending      `json:"pendingOperations,omitempty"`
	Applied  map[string]string `json:"appliedConfig,omitempty"` // application stack: config at the last up
	Updates  int               `json:"updates"`
	// History lists the ups, oldest first, as `pulumi stack history` does.
	History []simUpdate `json:"history,omitempty"`
}

type simUpdate struct {
	Version int               `json:"version"`
	Result  string            `json:"result"`
	Start   time.Time         `json:"start"`
	End     time.Time         `json:"end"`
	Config  map[string]string `json:"config,omitempty"` // what the up applied (application stack)
}

// record adds an up to the history.
func (st *simState) record(result string, start, end time.Time, config map[string]string) {
	st.History = append(st.History, simUpdate{Version: len(st.History) + 1, Result: result, Start: start, End: end, Config: config})
}

type simResource struct {
	URN     string         `json:"urn"`
	ID      string         `json:"id"`
	Inputs  map[string]any `json:"inputs"`
	Outputs map[string]any `json:"outputs"`
	// InitErrors: the resource was created but its create failed after
	// that (a partial create); the next up updates it.
	InitErrors []string `json:"initErrors,omitempty"`
}

type simPending struct {
	URN  string `json:"urn"`
	Type string `json:"type"`
	// Inputs are the resource's inputs as the operation began (a create's
	// checked inputs, with the identifier the provider chose).
	Inputs map[string]any `json:"inputs,omitempty"`
}

// OpenSim selects a simulated stack of the program directory dir.
func OpenSim(dir, stack string, opts SimOptions) (*SimStack, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open simulated stack: %w", err)
	}
	proj, err := readProject(abs)
	if err != nil {
		return nil, fmt.Errorf("open simulated stack: %w", err)
	}
	if !slices.Contains(stackFiles(abs), stack) {
		return nil, unknownStackError(stack, stackFiles(abs))
	}
	if opts.RDS == nil {
		return nil, fmt.Errorf("open simulated stack: no RDS client; give SimOptions.RDS (NewSimRDSClient(url, region))")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Poll <= 0 {
		opts.Poll = 15 * time.Second
	}
	if opts.StateDir == "" {
		opts.StateDir = filepath.Join(abs, ".pulumi-sim")
	}
	if opts.InterruptGrace <= 0 {
		opts.InterruptGrace = 30 * time.Second
	}
	return &SimStack{dir: abs, name: stack, project: proj.Name, opts: opts}, nil
}

// ProgramDir implements Stack.
func (s *SimStack) ProgramDir() string { return s.dir }

func (s *SimStack) statePath() string { return filepath.Join(s.opts.StateDir, s.name+".json") }

func (s *SimStack) urn(typ, name string) string {
	return fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", s.name, s.project, typ, name)
}

func (s *SimStack) stackURN() string {
	return s.urn("pulumi:pulumi:Stack", s.project+"-"+s.name)
}

func (s *SimStack) load() (*simState, error) {
	st := &simState{Project: s.project, Stack: s.name}
	b, err := os.ReadFile(s.statePath())
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read simulated state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("read simulated state %s: %w", s.statePath(), err)
	}
	return st, nil
}

func (s *SimStack) save(st *simState) error {
	if err := os.MkdirAll(s.opts.StateDir, 0o755); err != nil {
		return fmt.Errorf("write simulated state: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("write simulated state: %w", err)
	}
	tmp := s.statePath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write simulated state: %w", err)
	}
	if err := os.Rename(tmp, s.statePath()); err != nil {
		return fmt.Errorf("write simulated state: %w", err)
	}
	return nil
}

// Info implements Stack.
func (s *SimStack) Info(context.Context) (StackInfo, error) {
	info, err := stackInfoFromFiles(s.dir, s.name)
	if err != nil {
		return info, err
	}
	info.Backend = "file://" + s.opts.StateDir + " (simulated engine)"
	return info, nil
}

// program reads the instance settings from the program; ok is false for a
// program without an RDS instance (the application stack).
func (s *SimStack) program() (ProgramSettings, bool, error) {
	p, err := LoadProgram(s.dir)
	if errors.Is(err, ErrNoRDSInstance) {
		return ProgramSettings{}, false, nil
	}
	if err != nil {
		return ProgramSettings{}, false, err
	}
	return p.Settings(), true, nil
}

// emitter sends Progress values stamped with the simulated clock.
type emitter struct {
	ch    chan<- Progress
	clock clock.Clock
}

func (e emitter) send(p Progress) {
	if e.ch == nil {
		return
	}
	if p.Time.IsZero() {
		p.Time = e.clock.Now()
	}
	if p.Name == "" {
		p.Name = nameFromURN(p.URN)
	}
	e.ch <- p
}

func (e emitter) diag(urn, severity, msg string) {
	e.send(Progress{URN: urn, Status: Diagnostic, Severity: severity, Message: msg})
}

// Export implements Stack: the state as `pulumi stack export` shows it,
// with a replaced instance not deleted yet marked delete: true.
func (s *SimStack) Export(ctx context.Context) (ExportedInstance, error) {
	st, err := s.load()
	if err != nil {
		return ExportedInstance{}, fmt.Errorf("export: %w", err)
	}
	if st.Instance == nil {
		return ExportedInstance{}, fmt.Errorf("export: %w", ErrNoInstance)
	}
	if err := s.sync(ctx, st); err != nil {
		return ExportedInstance{}, fmt.Errorf("export: %w", err)
	}
	var resources []any
	for _, r := range []*simResource{st.Instance, st.Old} {
		if r == nil {
			continue
		}
		res := map[string]any{"urn": r.URN, "custom": true, "id": r.ID, "type": InstanceType,
			"inputs": r.Inputs, "outputs": r.Outputs}
		if r == st.Old {
			res["delete"] = true
		}
		if len(r.InitErrors) > 0 {
			res["initErrors"] = r.InitErrors
		}
		resources = append(resources, res)
	}
	b, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{"resources": resources}})
	if err != nil {
		return ExportedInstance{}, fmt.Errorf("export: %w", err)
	}
	return ParseExport(b)
}

// simSecretPrefix marks a value the simulated engine "encrypted": it is only
// encoded, and says so.
const simSecretPrefix = "sim-not-encrypted:"

func (s *SimStack) stackFile() string { return filepath.Join(s.dir, "Pulumi."+s.name+".yaml") }

// readConfig returns the stack's config with secrets decoded.
func (s *SimStack) readConfig() (map[string]string, error) {
	st, err := readStackSettings(s.dir, s.name)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range st.Config {
		switch t := v.(type) {
		case string:
			out[k] = t
		case map[string]any:
			if sec, ok := t["secure"].(string); ok {
				out[k] = decodeSimSecret(sec)
			}
		default:
			out[k] = fmt.Sprint(t)
		}
	}
	return out, nil
}

func decodeSimSecret(s string) string {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, simSecretPrefix))
	if err != nil {
		return ""
	}
	return string(b)
}

func (s *SimStack) fullKey(key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return s.project + ":" + key
}

// GetConfig implements Stack.
func (s *SimStack) GetConfig(_ context.Context, key string) (string, bool, error) {
	st, err := readStackSettings(s.dir, s.name)
	if err != nil {
		return "", false, fmt.Errorf("config get %s: %w", key, err)
	}
	switch v := st.Config[s.fullKey(key)].(type) {
	case string:
		return v, false, nil
	case map[string]any:
		if sec, ok := v["secure"].(string); ok {
			return decodeSimSecret(sec), true, nil
		}
	case nil:
		return "", false, fmt.Errorf("config get %s: configuration key %q not found for stack %q: %w", key, s.fullKey(key), s.name, ErrConfigNotSet)
	}
	return "", false, fmt.Errorf("config get %s: unsupported value", key)
}

// SetConfig implements Stack; it edits Pulumi.<stack>.yaml in place.
func (s *SimStack) SetConfig(_ context.Context, key, value string, secret bool) error {
	path := s.stackFile()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("config set %s: %w", key, err)
	}
	var doc yaml.Node
	if len(b) > 0 {
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("config set %s: %w", key, err)
		}
	}
	if len(doc.Content) == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	cfg := mapGet(root, "config")
	if cfg == nil {
		cfg = &yaml.Node{Kind: yaml.MappingNode}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "config"}, cfg)
	}
	var val *yaml.Node
	if secret {
		val = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "secure"},
			{Kind: yaml.ScalarNode, Value: simSecretPrefix + base64.StdEncoding.EncodeToString([]byte(value))},
		}}
	} else {
		val = &yaml.Node{Kind: yaml.ScalarNode, Value: value}
	}
	full := s.fullKey(key)
	if kv := mapGetKey(cfg, full); kv != nil {
		kv[1] = val // kv is a window on cfg.Content
	} else {
		cfg.Content = append(cfg.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: full}, val)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return fmt.Errorf("config set %s: %w", key, err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("config set %s: %w", key, err)
	}
	return nil
}

// ClearPendingOperations drops the pending operations from the simulated
// state, as LocalStack.ClearPendingOperations does for a real one.
func (s *SimStack) ClearPendingOperations(context.Context) (int, error) {
	st, err := s.load()
	if err != nil {
		return 0, fmt.Errorf("clear pending operations: %w", err)
	}
	n := len(st.Pending)
	if n == 0 {
		return 0, nil
	}
	st.Pending = nil
	if err := s.save(st); err != nil {
		return 0, fmt.Errorf("clear pending operations: %w", err)
	}
	return n, nil
}

// EditState implements StateEditor on the simulated state: the instance,
// a replaced instance pending deletion, and the pending operations. The
// simulated engine tracks one RDS instance, so an edit may leave at most
// one live and one pending-delete instance and no other resource type.
func (s *SimStack) EditState(_ context.Context, edit func(*State) error) error {
	// As `pulumi stack import`, the edit holds the stack's lock.
	token, err := s.takeLock()
	if err != nil {
		return fmt.Errorf("edit state: %w", err)
	}
	defer endOperation(token)
	defer s.releaseLock()
	st, err := s.load()
	if err != nil {
		return fmt.Errorf("edit state: %w", err)
	}
	initErrors := map[string][]string{} // by id: a partial create stays one
	for _, r := range []*simResource{st.Instance, st.Old} {
		if r != nil && len(r.InitErrors) > 0 {
			initErrors[r.ID] = r.InitErrors
		}
	}
	view := simStateView(st)
	if err := edit(view); err != nil {
		return err
	}
	st.Instance, st.Old, st.Pending = nil, nil, nil
	for _, r := range view.Resources {
		if r.Type != InstanceType {
			return fmt.Errorf("edit state: the simulated engine only records %s, not %s", InstanceType, r.Type)
		}
		slot := &st.Instance
		if r.Delete {
			slot = &st.Old
		}
		if *slot != nil {
			return fmt.Errorf("edit state: the simulated engine records one live and one pending-delete instance, not more (%s)", r.URN)
		}
		*slot = &simResource{URN: r.URN, ID: r.ID, Inputs: copyMap(r.Inputs), Outputs: copyMap(r.Outputs), InitErrors: initErrors[r.ID]}
	}
	for _, p := range view.PendingOperations {
		st.Pending = append(st.Pending, simPending{URN: p.URN, Type: p.Type, Inputs: copyMap(p.Inputs)})
	}
	if st.Instance != nil {
		// As recordCreated: the resolved settings stand in for an
		// instance the state no longer holds, and it holds one again.
		st.Resolved = nil
	}
	if err := s.save(st); err != nil {
		return fmt.Errorf("edit state: %w", err)
	}
	return nil
}

// ReadState implements StateEditor: the simulated state as EditState shows
// it, without the lock.
func (s *SimStack) ReadState(context.Context) (*State, error) {
	st, err := s.load()
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	return simStateView(st), nil
}

// simStateView shows the simulated state as a State: the instance, a
// replaced instance pending deletion, and the pending operations.
func simStateView(st *simState) *State {
	view := &State{}
	for _, r := range []struct {
		res    *simResource
		delete bool
	}{{st.Instance, false}, {st.Old, true}} {
		if r.res != nil {
			view.Resources = append(view.Resources, StateResource{URN: r.res.URN, Type: InstanceType, ID: r.res.ID, Delete: r.delete,
				Inputs: copyMap(r.res.Inputs), Outputs: copyMap(r.res.Outputs)})
		}
	}
	for _, p := range st.Pending {
		view.PendingOperations = append(view.PendingOperations, PendingOperation{Type: p.Type, URN: p.URN, Inputs: copyMap(p.Inputs)})
	}
	return view
}

// History implements Stack: the simulated engine's ups, newest first.
// Config values set as secrets read "[secret]" unless showSecrets.
func (s *SimStack) History(_ context.Context, n int, showSecrets bool) ([]Update, error) {
	st, err := s.load()
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	secret := map[string]bool{}
	if cfg, err := readStackSettings(s.dir, s.name); err == nil {
		for k, v := range cfg.Config {
			if m, ok := v.(map[string]any); ok && m["secure"] != nil {
				secret[k] = true
			}
		}
	}
	var out []Update
	for i := len(st.History) - 1; i >= 0 && (n <= 0 || len(out) < n); i-- {
		h := st.History[i]
		u := Update{Version: h.Version, Kind: "update", Result: h.Result, Start: h.Start, End: h.End, Config: map[string]string{}}
		for k, v := range h.Config {
			if secret[k] && !showSecrets {
				v = secretPlaceholder
			}
			u.Config[k] = v
		}
		out = append(out, u)
	}
	return out, nil
}
