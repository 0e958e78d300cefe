package pulumiclient

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
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
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
	"gopkg.in/yaml.v3"

	"github.com/datalayer-tool/datalayer/clock"
)

// SimRDS lists the RDS calls the simulated engine makes; *rds.Client
// implements it.
type SimRDS interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, opts ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	RestoreDBInstanceFromDBSnapshot(ctx context.Context, in *rds.RestoreDBInstanceFromDBSnapshotInput, opts ...func(*rds.Options)) (*rds.RestoreDBInstanceFromDBSnapshotOutput, error)
	ModifyDBInstance(ctx context.Context, in *rds.ModifyDBInstanceInput, opts ...func(*rds.Options)) (*rds.ModifyDBInstanceOutput, error)
	DeleteDBInstance(ctx context.Context, in *rds.DeleteDBInstanceInput, opts ...func(*rds.Options)) (*rds.DeleteDBInstanceOutput, error)
}

var _ SimRDS = (*rds.Client)(nil)

// NewSimRDSClient returns the real SDK client pointed at an RDS simulator's
// URL, with static credentials (the simulator accepts any signature).
func NewSimRDSClient(endpoint, region string) *rds.Client {
	if region == "" {
		region = "eu-west-2"
	}
	return rds.New(rds.Options{
		Region:       region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIASIMULATEDPULUMI0", "simulated-secret-key", ""),
	})
}

// SimOptions configure a simulated stack.
type SimOptions struct {
	RDS   SimRDS
	Clock clock.Clock // nil: clock.Real
	// Poll is how often, on Clock, the engine looks at an instance it
	// waits for; default 15 s (as the AWS provider does).
	Poll time.Duration
	// StateDir holds the state files; default <program dir>/.pulumi-sim.
	StateDir string
}

// SimStack is a simulated Pulumi engine for `rehearse`: it reads the
// program from its directory, keeps a small JSON state, drives the RDS
// simulator through the real SDK client and emits the Progress stream the
// real engine would. It needs no pulumi CLI.
type SimStack struct {
	dir     string
	name    string
	project string
	opts    SimOptions
	mu      sync.Mutex
	running context.CancelFunc
}

var _ Stack = (*SimStack)(nil)

// simState is the simulated engine's state file.
type simState struct {
	Project  string            `json:"project"`
	Stack    string            `json:"stack"`
	Instance *simResource      `json:"instance,omitempty"`
	Old      *simResource      `json:"pendingDelete,omitempty"` // a replaced instance not deleted yet
	Pending  []simPending      `json:"pendingOperations,omitempty"`
	Lock     *simLock          `json:"lock,omitempty"`
	Applied  map[string]string `json:"appliedConfig,omitempty"` // application stack: config at the last up
	Updates  int               `json:"updates"`
}

type simResource struct {
	URN     string         `json:"urn"`
	ID      string         `json:"id"`
	Inputs  map[string]any `json:"inputs"`
	Outputs map[string]any `json:"outputs"`
}

type simPending struct {
	URN  string `json:"urn"`
	Type string `json:"type"`
}

type simLock struct {
	Pid  int       `json:"pid"`
	Time time.Time `json:"time"`
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

// describe returns the instance or nil when RDS says DBInstanceNotFound.
func (s *SimStack) describe(ctx context.Context, id string) (*rdstypes.DBInstance, error) {
	out, err := s.opts.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "DBInstanceNotFound" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(out.DBInstances) == 0 {
		return nil, nil
	}
	return &out.DBInstances[0], nil
}

// sync fills a fresh state from AWS: the rehearsal's data stack was
// deployed before the rehearsal starts, with the program's inputs.
func (s *SimStack) sync(ctx context.Context, st *simState) error {
	if st.Instance == nil || st.Instance.ID != "" {
		return nil
	}
	// What was deployed is what the state recorded, not the program as it
	// may have been edited since.
	prog := settingsFromOutputs(st.Instance.Outputs)
	ident, _ := st.Instance.Outputs["identifier"].(string)
	db, err := s.describe(ctx, ident)
	if err != nil {
		return fmt.Errorf("read instance %s: %w", ident, err)
	}
	if db == nil {
		return fmt.Errorf("the simulated state names instance %s, which does not exist in AWS; run a refresh", ident)
	}
	st.Instance.Outputs = instanceOutputs(db, prog, st.Instance.Inputs)
	st.Instance.ID = aws.ToString(db.DbiResourceId)
	return s.save(st)
}

// instanceOutputs builds the state's outputs from what AWS reports, in the
// shape of @pulumi/aws 7 (id = resource id).
func instanceOutputs(db *rdstypes.DBInstance, prog ProgramSettings, inputs map[string]any) map[string]any {
	o := map[string]any{
		"identifier":            aws.ToString(db.DBInstanceIdentifier),
		"resourceId":            aws.ToString(db.DbiResourceId),
		"arn":                   aws.ToString(db.DBInstanceArn),
		"engine":                aws.ToString(db.Engine),
		"engineVersionActual":   aws.ToString(db.EngineVersion),
		"instanceClass":         aws.ToString(db.DBInstanceClass),
		"allocatedStorage":      float64(aws.ToInt32(db.AllocatedStorage)),
		"storageType":           aws.ToString(db.StorageType),
		"storageEncrypted":      aws.ToBool(db.StorageEncrypted),
		"multiAz":               aws.ToBool(db.MultiAZ),
		"publiclyAccessible":    aws.ToBool(db.PubliclyAccessible),
		"deletionProtection":    aws.ToBool(db.DeletionProtection),
		"backupRetentionPeriod": float64(aws.ToInt32(db.BackupRetentionPeriod)),
		"maintenanceWindow":     aws.ToString(db.PreferredMaintenanceWindow),
		"username":              aws.ToString(db.MasterUsername),
		"status":                aws.ToString(db.DBInstanceStatus),
		"password":              map[string]any{secretSig: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "sim:v1:redacted"},
	}
	if db.Endpoint != nil {
		o["address"] = aws.ToString(db.Endpoint.Address)
		o["port"] = float64(aws.ToInt32(db.Endpoint.Port))
		o["endpoint"] = fmt.Sprintf("%s:%d", aws.ToString(db.Endpoint.Address), aws.ToInt32(db.Endpoint.Port))
	}
	if len(db.DBParameterGroups) > 0 {
		o["parameterGroupName"] = aws.ToString(db.DBParameterGroups[0].DBParameterGroupName)
	}
	var sgs []any
	for _, g := range db.VpcSecurityGroups {
		sgs = append(sgs, aws.ToString(g.VpcSecurityGroupId))
	}
	o["vpcSecurityGroupIds"] = sgs
	if db.DBSubnetGroup != nil {
		o["dbSubnetGroupName"] = aws.ToString(db.DBSubnetGroup.DBSubnetGroupName)
	}
	// Inputs the provider echoes back.
	o["engineVersion"] = prog.EngineVersion
	o["snapshotIdentifier"] = prog.SnapshotIdentifier
	o["finalSnapshotIdentifier"] = prog.FinalSnapshotIdentifier
	o["skipFinalSnapshot"] = prog.SkipFinalSnapshot != nil && *prog.SkipFinalSnapshot
	if prog.DeletionProtection != nil {
		o["deletionProtection"] = *prog.DeletionProtection
	}
	for k, v := range inputs {
		if _, ok := o[k]; !ok {
			o[k] = v
		}
	}
	return o
}

func outStr(r *simResource, k string) string {
	if r == nil {
		return ""
	}
	v, _ := r.Outputs[k].(string)
	return v
}

// begin takes the simulated stack's lock and loads the state.
func (s *SimStack) begin(ctx context.Context, lock bool) (*simState, context.Context, func(), error) {
	st, err := s.load()
	if err != nil {
		return nil, nil, nil, err
	}
	if st.Lock != nil {
		return nil, nil, nil, fmt.Errorf("%w: an update started at %s has not finished; fix: pulumi cancel --stack %s",
			ErrLocked, st.Lock.Time.Format(time.RFC3339), s.name)
	}
	cctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.running = cancel
	s.mu.Unlock()
	if lock {
		st.Lock = &simLock{Pid: os.Getpid(), Time: s.opts.Clock.Now()}
		if err := s.save(st); err != nil {
			cancel()
			return nil, nil, nil, err
		}
	}
	return st, cctx, func() {
		cancel()
		s.mu.Lock()
		s.running = nil
		s.mu.Unlock()
	}, nil
}

// Refresh implements Stack.
func (s *SimStack) Refresh(ctx context.Context, previewOnly bool, progress chan<- Progress) (Summary, error) {
	start := s.opts.Clock.Now()
	st, ctx, done, err := s.begin(ctx, !previewOnly)
	if err != nil {
		return Summary{Result: "failed"}, fmt.Errorf("refresh: %w", err)
	}
	defer done()
	em := emitter{ch: progress, clock: s.opts.Clock}
	if err := s.sync(ctx, st); err != nil {
		return s.fail(st, start, "refresh", err)
	}
	status := StepPlanned
	if !previewOnly {
		status = StepDone
	}
	changes := map[Op]int{}
	em.send(Progress{URN: s.stackURN(), Type: "pulumi:pulumi:Stack", Op: OpRefresh, Status: status})
	changes[OpSame]++
	if st.Instance != nil {
		urn := s.urn(InstanceType, "app")
		db, err := s.describe(ctx, outStr(st.Instance, "identifier"))
		if err != nil {
			return s.fail(st, start, "refresh", fmt.Errorf("read instance: %w", err))
		}
		switch {
		case db == nil:
			em.send(Progress{URN: urn, Type: InstanceType, Op: OpDelete, Status: status, ID: st.Instance.ID})
			em.diag(urn, "warning", "the instance no longer exists in AWS; refresh removes it from the state")
			changes[OpDelete]++
			if !previewOnly {
				st.Instance = nil
			}
		default:
			fresh := instanceOutputs(db, settingsFromOutputs(st.Instance.Outputs), st.Instance.Inputs)
			var diffs []string
			for _, k := range []string{"engineVersionActual", "instanceClass", "allocatedStorage", "multiAz", "publiclyAccessible",
				"deletionProtection", "parameterGroupName", "backupRetentionPeriod", "maintenanceWindow", "storageType", "address"} {
				if fmt.Sprint(fresh[k]) != fmt.Sprint(st.Instance.Outputs[k]) {
					diffs = append(diffs, k)
				}
			}
			if !slices.Equal(anyStrings(fresh["vpcSecurityGroupIds"]), anyStrings(st.Instance.Outputs["vpcSecurityGroupIds"])) {
				diffs = append(diffs, "vpcSecurityGroupIds")
			}
			op := OpSame
			if len(diffs) > 0 {
				op = OpUpdate
				for _, k := range diffs {
					em.diag(urn, "info", fmt.Sprintf("drift: %s is %v in AWS, %v in the state", k, fresh[k], st.Instance.Outputs[k]))
				}
			}
			em.send(Progress{URN: urn, Type: InstanceType, Op: op, Status: status, Diffs: diffs, ID: st.Instance.ID, Outputs: StripSecrets(fresh)})
			changes[op]++
			if !previewOnly {
				st.Instance.Outputs = fresh
			}
		}
	}
	sum := Summary{Result: "succeeded", Changes: changes, Duration: s.opts.Clock.Since(start)}
	em.send(Progress{Status: Summarised, Message: sum.Result})
	if !previewOnly {
		st.Lock = nil
		if err := s.save(st); err != nil {
			return sum, fmt.Errorf("refresh: %w", err)
		}
	}
	return sum, nil
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func settingsFromOutputs(o map[string]any) ProgramSettings {
	s := ProgramSettings{}
	s.EngineVersion, _ = o["engineVersion"].(string)
	s.SnapshotIdentifier, _ = o["snapshotIdentifier"].(string)
	s.FinalSnapshotIdentifier, _ = o["finalSnapshotIdentifier"].(string)
	if b, ok := o["skipFinalSnapshot"].(bool); ok {
		s.SkipFinalSnapshot = &b
	}
	if b, ok := o["deletionProtection"].(bool); ok {
		s.DeletionProtection = &b
	}
	return s
}

func (s *SimStack) fail(st *simState, start time.Time, op string, err error) (Summary, error) {
	if st != nil && st.Lock != nil {
		st.Lock = nil
		_ = s.save(st)
	}
	return Summary{Result: "failed", Duration: s.opts.Clock.Since(start)}, fmt.Errorf("%s: %w", op, err)
}

// simPlan is what the simulated engine would do.
type simPlan struct {
	groups   simGroups
	instance InstanceChange
	keys     []string
	diffs    []string
	prog     ProgramSettings
	hasRDS   bool
	config   map[string]string
}

func (s *SimStack) plan(ctx context.Context, st *simState) (simPlan, error) {
	prog, hasRDS, err := s.program()
	if err != nil {
		return simPlan{}, err
	}
	p := simPlan{prog: prog, hasRDS: hasRDS, instance: InstanceUnchanged}
	if hasRDS {
		if p.groups, err = s.planGroups(ctx); err != nil {
			return p, err
		}
	}
	if !hasRDS {
		cfg, err := s.readConfig()
		if err != nil {
			return p, err
		}
		p.config = cfg
		return p, nil
	}
	if st.Instance == nil {
		p.instance = InstanceCreated
		return p, nil
	}
	old := settingsFromOutputs(st.Instance.Outputs)
	if prog.SnapshotIdentifier != old.SnapshotIdentifier {
		p.instance = InstanceReplaced
		p.keys = []string{"snapshotIdentifier"}
		p.diffs = []string{"snapshotIdentifier"}
		if prog.EngineVersion != old.EngineVersion {
			p.diffs = append(p.diffs, "engineVersion")
		}
		return p, nil
	}
	for _, d := range []struct {
		key      string
		old, new string
	}{
		{"engineVersion", old.EngineVersion, prog.EngineVersion},
		{"finalSnapshotIdentifier", old.FinalSnapshotIdentifier, prog.FinalSnapshotIdentifier},
		{"skipFinalSnapshot", fmt.Sprint(old.SkipFinalSnapshot != nil && *old.SkipFinalSnapshot), fmt.Sprint(prog.SkipFinalSnapshot != nil && *prog.SkipFinalSnapshot)},
	} {
		if d.old != d.new {
			p.diffs = append(p.diffs, d.key)
		}
	}
	if g := p.groups.instance; g != "" && g != outStr(st.Instance, "parameterGroupName") {
		p.diffs = append(p.diffs, "parameterGroupName")
	}
	if len(p.diffs) > 0 {
		p.instance = InstanceUpdated
	}
	return p, nil
}

func (s *SimStack) planSteps(st *simState, p simPlan) []PlannedStep {
	steps := []PlannedStep{{URN: s.stackURN(), Type: "pulumi:pulumi:Stack", Op: OpSame}}
	if !p.hasRDS {
		if !mapsEqual(p.config, st.Applied) {
			steps[0].Op = OpUpdate
			steps[0].Diffs = []string{"config"}
		}
		return steps
	}
	steps = append(steps, PlannedStep{URN: s.urn("aws:rds/parameterGroup:ParameterGroup", "parameterGroup"), Type: "aws:rds/parameterGroup:ParameterGroup", Op: OpSame})
	steps = append(steps, s.groupSteps(p.groups)...)
	urn := s.urn(InstanceType, "app")
	switch p.instance {
	case InstanceReplaced:
		for _, op := range []Op{OpCreateReplacement, OpReplace, OpDeleteReplaced} {
			st := PlannedStep{URN: urn, Type: InstanceType, Op: op}
			if op != OpDeleteReplaced {
				st.Keys, st.Diffs = p.keys, p.diffs
			}
			steps = append(steps, st)
		}
	case InstanceUpdated:
		steps = append(steps, PlannedStep{URN: urn, Type: InstanceType, Op: OpUpdate, Diffs: p.diffs})
	case InstanceCreated:
		steps = append(steps, PlannedStep{URN: urn, Type: InstanceType, Op: OpCreate})
	default:
		steps = append(steps, PlannedStep{URN: urn, Type: InstanceType, Op: OpSame})
	}
	for i := range steps {
		steps[i].Name = nameFromURN(steps[i].URN)
	}
	return steps
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func changesOf(steps []PlannedStep) map[Op]int {
	c := map[Op]int{}
	for _, s := range steps {
		if s.Op == OpCreateReplacement || s.Op == OpDeleteReplaced {
			continue // the summary counts a replacement once, as "replace"
		}
		c[s.Op]++
	}
	return c
}

// Preview implements Stack.
func (s *SimStack) Preview(ctx context.Context, progress chan<- Progress) (Plan, error) {
	st, ctx, done, err := s.begin(ctx, false)
	if err != nil {
		return Plan{}, fmt.Errorf("preview: %w", err)
	}
	defer done()
	p, err := s.plan(ctx, st)
	if err != nil {
		return Plan{}, fmt.Errorf("preview: %w", err)
	}
	if p.hasRDS {
		if err := s.sync(ctx, st); err != nil {
			return Plan{}, fmt.Errorf("preview: %w", err)
		}
	}
	em := emitter{ch: progress, clock: s.opts.Clock}
	steps := s.planSteps(st, p)
	b := NewPlanBuilder()
	for _, step := range steps {
		b.AddStep(step)
		em.send(Progress{URN: step.URN, Type: step.Type, Op: step.Op, Status: StepPlanned, Keys: step.Keys, Diffs: step.Diffs})
	}
	plan := b.Plan()
	plan.Changes = changesOf(steps)
	em.send(Progress{Status: Summarised, Message: "succeeded"})
	return plan, nil
}

// Up implements Stack.
func (s *SimStack) Up(ctx context.Context, progress chan<- Progress) (Summary, error) {
	start := s.opts.Clock.Now()
	st, ctx, done, err := s.begin(ctx, true)
	if err != nil {
		return Summary{Result: "failed"}, fmt.Errorf("up: %w", err)
	}
	defer done()
	p, err := s.plan(ctx, st)
	if err != nil {
		return s.fail(st, start, "up", err)
	}
	em := emitter{ch: progress, clock: s.opts.Clock}
	if p.hasRDS {
		if err := s.sync(ctx, st); err != nil {
			return s.fail(st, start, "up", err)
		}
	}
	if len(st.Pending) > 0 {
		// As the CLI does, carry on but say so: the state may not match AWS.
		em.diag(s.stackURN(), "warning", fmt.Sprintf("attempting to deploy with %d pending operations from a previous update; "+
			"check in AWS what they did and refresh first", len(st.Pending)))
	}
	steps := s.planSteps(st, p)
	urnStack := s.stackURN()
	em.send(Progress{URN: urnStack, Type: "pulumi:pulumi:Stack", Op: steps[0].Op, Status: StepStarted, Diffs: steps[0].Diffs})
	var runErr error
	switch {
	case !p.hasRDS:
		st.Applied = p.config
	case p.instance == InstanceReplaced:
		runErr = s.replace(ctx, st, p, em)
	case p.instance == InstanceUpdated:
		runErr = s.update(ctx, st, p, em)
	case p.instance == InstanceCreated:
		runErr = fmt.Errorf("the simulated engine does not create a database from nothing; the rehearsal starts with one")
	default:
		for _, step := range steps[1:] {
			em.send(Progress{URN: step.URN, Type: step.Type, Op: OpSame, Status: StepDone})
		}
	}
	sum := Summary{Changes: changesOf(steps), Duration: s.opts.Clock.Since(start), Outputs: map[string]any{}}
	if st.Instance != nil {
		sum.Outputs["address"] = outStr(st.Instance, "address")
		sum.Outputs["identifier"] = outStr(st.Instance, "identifier")
	}
	if runErr != nil {
		sum.Result = "failed"
		if ctx.Err() != nil {
			sum.Result = "cancelled"
		}
		st.Lock = nil
		if err := s.save(st); err != nil {
			return sum, fmt.Errorf("up: %w", err)
		}
		em.send(Progress{Status: Summarised, Message: sum.Result})
		return sum, fmt.Errorf("up: %w", runErr)
	}
	em.send(Progress{URN: urnStack, Type: "pulumi:pulumi:Stack", Op: steps[0].Op, Status: StepDone})
	sum.Result = "succeeded"
	st.Lock = nil
	st.Updates++
	if err := s.save(st); err != nil {
		return sum, fmt.Errorf("up: %w", err)
	}
	em.send(Progress{Status: Summarised, Message: sum.Result})
	return sum, nil
}

// wait polls the instance on the clock until done says stop.
func (s *SimStack) wait(ctx context.Context, id string, done func(*rdstypes.DBInstance) (bool, error)) error {
	for {
		db, err := s.describe(ctx, id)
		if err != nil {
			return fmt.Errorf("read instance %s: %w", id, err)
		}
		ok, err := done(db)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.opts.Clock.After(s.opts.Poll):
		}
	}
}

func newInstanceID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "app" + hex.EncodeToString(b)[:7]
}

// replace restores the program's snapshot to a new instance, then deletes
// the old one with its final snapshot, as Pulumi's create-before-delete
// replacement does.
func (s *SimStack) replace(ctx context.Context, st *simState, p simPlan, em emitter) error {
	urn := s.urn(InstanceType, "app")
	old := st.Instance
	newID := newInstanceID()
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpCreateReplacement, Status: StepStarted, Keys: p.keys, Diffs: p.diffs})
	in := &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String(newID),
		DBSnapshotIdentifier: aws.String(p.prog.SnapshotIdentifier),
		DBInstanceClass:      aws.String(outStr(old, "instanceClass")),
		MultiAZ:              aws.Bool(old.Outputs["multiAz"] == true),
		PubliclyAccessible:   aws.Bool(old.Outputs["publiclyAccessible"] == true),
		DeletionProtection:   aws.Bool(p.prog.DeletionProtection != nil && *p.prog.DeletionProtection),
		VpcSecurityGroupIds:  anyStrings(old.Outputs["vpcSecurityGroupIds"]),
	}
	if pg := outStr(old, "parameterGroupName"); pg != "" {
		in.DBParameterGroupName = aws.String(pg)
	}
	if sg := outStr(old, "dbSubnetGroupName"); sg != "" {
		in.DBSubnetGroupName = aws.String(sg)
	}
	if t := outStr(old, "storageType"); t != "" {
		in.StorageType = aws.String(t)
	}
	if _, err := s.opts.RDS.RestoreDBInstanceFromDBSnapshot(ctx, in); err != nil {
		em.diag(urn, "error", fmt.Sprintf("creating RDS DB Instance (restore from snapshot %s): %v", p.prog.SnapshotIdentifier, err))
		em.send(Progress{URN: urn, Type: InstanceType, Op: OpCreateReplacement, Status: StepFailed})
		return fmt.Errorf("restore %s from snapshot %s: %w", newID, p.prog.SnapshotIdentifier, err)
	}
	// The new identifier is known as soon as the restore is accepted.
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpCreateReplacement, Status: StepStarted, ID: newID,
		Outputs: map[string]any{"identifier": newID}})
	st.Pending = append(st.Pending, simPending{URN: urn, Type: "creating"})
	_ = s.save(st)
	var fresh *rdstypes.DBInstance
	err := s.wait(ctx, newID, func(db *rdstypes.DBInstance) (bool, error) {
		if db == nil {
			return false, fmt.Errorf("instance %s vanished while being created", newID)
		}
		switch aws.ToString(db.DBInstanceStatus) {
		case "available":
			fresh = db
			return true, nil
		case "failed", "incompatible-restore", "incompatible-parameters", "incompatible-network":
			return false, fmt.Errorf("instance %s ended in status %s", newID, aws.ToString(db.DBInstanceStatus))
		}
		return false, nil
	})
	if err != nil {
		em.diag(urn, "error", "waiting for the new instance: "+err.Error())
		em.send(Progress{URN: urn, Type: InstanceType, Op: OpCreateReplacement, Status: StepFailed, ID: newID})
		return err
	}
	st.Pending = nil
	st.Old = old
	st.Instance = &simResource{URN: urn, ID: aws.ToString(fresh.DbiResourceId), Inputs: old.Inputs, Outputs: instanceOutputs(fresh, p.prog, old.Inputs)}
	if err := s.save(st); err != nil {
		return err
	}
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpCreateReplacement, Status: StepDone, ID: st.Instance.ID, Outputs: StripSecrets(st.Instance.Outputs)})
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpReplace, Status: StepStarted, Keys: p.keys, Diffs: p.diffs, ID: st.Instance.ID})
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpReplace, Status: StepDone, ID: st.Instance.ID, Outputs: StripSecrets(st.Instance.Outputs)})
	return s.deleteOld(ctx, st, em)
}

func (s *SimStack) deleteOld(ctx context.Context, st *simState, em emitter) error {
	urn := s.urn(InstanceType, "app")
	old := st.Old
	oldID := outStr(old, "identifier")
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpDeleteReplaced, Status: StepStarted, ID: old.ID})
	prog := settingsFromOutputs(old.Outputs)
	in := &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(oldID)}
	if prog.SkipFinalSnapshot != nil && *prog.SkipFinalSnapshot {
		in.SkipFinalSnapshot = aws.Bool(true)
	} else {
		in.SkipFinalSnapshot = aws.Bool(false)
		in.FinalDBSnapshotIdentifier = aws.String(prog.FinalSnapshotIdentifier)
	}
	if _, err := s.opts.RDS.DeleteDBInstance(ctx, in); err != nil {
		em.diag(urn, "error", fmt.Sprintf("deleting RDS DB Instance (%s): %v", oldID, err))
		em.send(Progress{URN: urn, Type: InstanceType, Op: OpDeleteReplaced, Status: StepFailed, ID: old.ID})
		_ = s.save(st)
		return fmt.Errorf("delete the replaced instance %s: %w", oldID, err)
	}
	st.Pending = append(st.Pending, simPending{URN: urn, Type: "deleting"})
	_ = s.save(st)
	err := s.wait(ctx, oldID, func(db *rdstypes.DBInstance) (bool, error) { return db == nil, nil })
	if err != nil {
		em.send(Progress{URN: urn, Type: InstanceType, Op: OpDeleteReplaced, Status: StepFailed, ID: old.ID})
		return err
	}
	st.Pending = nil
	st.Old = nil
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpDeleteReplaced, Status: StepDone, ID: old.ID})
	return s.save(st)
}

// update applies an in-place change; for an engine version it calls
// ModifyDBInstance and waits. Like the real provider, a precheck failure
// (RDS-EVENT-0158, version unchanged) does not fail the update.
func (s *SimStack) update(ctx context.Context, st *simState, p simPlan, em emitter) error {
	urn := s.urn(InstanceType, "app")
	id := outStr(st.Instance, "identifier")
	// The groups the instance depends on come first, as in the real engine.
	if err := s.createGroups(ctx, p.groups, em); err != nil {
		return err
	}
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpUpdate, Status: StepStarted, Diffs: p.diffs, ID: st.Instance.ID})
	if slices.Contains(p.diffs, "engineVersion") || slices.Contains(p.diffs, "parameterGroupName") {
		in := &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String(id),
			ApplyImmediately:     aws.Bool(true),
		}
		if slices.Contains(p.diffs, "engineVersion") {
			in.EngineVersion, in.AllowMajorVersionUpgrade = aws.String(p.prog.EngineVersion), aws.Bool(true)
		}
		if slices.Contains(p.diffs, "parameterGroupName") {
			in.DBParameterGroupName = aws.String(p.groups.instance)
		}
		_, err := s.opts.RDS.ModifyDBInstance(ctx, in)
		if err != nil {
			em.diag(urn, "error", fmt.Sprintf("updating RDS DB Instance (%s): %v", id, err))
			em.send(Progress{URN: urn, Type: InstanceType, Op: OpUpdate, Status: StepFailed, ID: st.Instance.ID})
			return fmt.Errorf("modify %s: %w", id, err)
		}
		st.Pending = append(st.Pending, simPending{URN: urn, Type: "updating"})
		_ = s.save(st)
		seenBusy := false
		err = s.wait(ctx, id, func(db *rdstypes.DBInstance) (bool, error) {
			if db == nil {
				return false, fmt.Errorf("instance %s vanished during the update", id)
			}
			status := aws.ToString(db.DBInstanceStatus)
			if status != "available" {
				seenBusy = true
				return false, nil
			}
			// Modify may answer before the status leaves available.
			return seenBusy || db.PendingModifiedValues == nil || db.PendingModifiedValues.EngineVersion == nil, nil
		})
		if err != nil {
			em.send(Progress{URN: urn, Type: InstanceType, Op: OpUpdate, Status: StepFailed, ID: st.Instance.ID})
			return err
		}
		st.Pending = nil
	}
	db, err := s.describe(ctx, id)
	if err != nil || db == nil {
		return fmt.Errorf("read instance %s after the update: %v", id, err)
	}
	st.Instance.Outputs = instanceOutputs(db, p.prog, st.Instance.Inputs)
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpUpdate, Status: StepDone, ID: st.Instance.ID, Outputs: StripSecrets(st.Instance.Outputs)})
	return s.save(st)
}

// Cancel implements Stack: it interrupts a running update of this process
// and releases a lock left by a dead one.
func (s *SimStack) Cancel(context.Context) error {
	s.mu.Lock()
	if s.running != nil {
		s.running()
	}
	s.mu.Unlock()
	st, err := s.load()
	if err != nil {
		return fmt.Errorf("cancel: %w", err)
	}
	if st.Lock == nil {
		return nil
	}
	st.Lock = nil
	return s.save(st)
}

// Lock implements Stack.
func (s *SimStack) Lock(context.Context) (LockState, error) {
	st, err := s.load()
	if err != nil {
		return LockState{}, fmt.Errorf("lock status: %w", err)
	}
	var locks []LockFile
	if st.Lock != nil {
		locks = append(locks, LockFile{Path: s.statePath(), Holder: fmt.Sprintf("pid %d since %s", st.Lock.Pid, st.Lock.Time.Format(time.RFC3339))})
	}
	return LockFromState(s.name, locks, pendingOps(st.Pending)), nil
}

// Export implements Stack.
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
	b, err := json.Marshal(map[string]any{"version": 3, "deployment": map[string]any{
		"resources": []any{map[string]any{"urn": st.Instance.URN, "custom": true, "id": st.Instance.ID, "type": InstanceType,
			"inputs": st.Instance.Inputs, "outputs": st.Instance.Outputs}},
	}})
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
		return "", false, fmt.Errorf("config get %s: configuration key %q not found for stack %q", key, s.fullKey(key), s.name)
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
	st, err := s.load()
	if err != nil {
		return fmt.Errorf("edit state: %w", err)
	}
	if st.Lock != nil {
		return fmt.Errorf("edit state: %w: an update started at %s has not finished", ErrLocked, st.Lock.Time.Format(time.RFC3339))
	}
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
		view.PendingOperations = append(view.PendingOperations, PendingOperation{Type: p.Type, URN: p.URN})
	}
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
		*slot = &simResource{URN: r.URN, ID: r.ID, Inputs: copyMap(r.Inputs), Outputs: copyMap(r.Outputs)}
	}
	for _, p := range view.PendingOperations {
		st.Pending = append(st.Pending, simPending{URN: p.URN, Type: p.Type})
	}
	if err := s.save(st); err != nil {
		return fmt.Errorf("edit state: %w", err)
	}
	return nil
}
