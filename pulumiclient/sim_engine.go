package pulumiclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"

	"github.com/datalayer-tool/datalayer/pulumiclient/simprovider"
)

// call runs one AWS call as the AWS provider does: up to MaxAttempts
// tries on throttling, server and network errors, with the SDK standard
// retryer's back-off — waited on the engine's clock, so a rehearsal's
// scaled time shrinks the waits as it shrinks every other duration.
func (s *SimStack) call(ctx context.Context, fn func(context.Context) error) error {
	r := simprovider.NewRetryer(s.opts.MaxAttempts)
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		if attempt >= r.MaxAttempts() || !r.IsErrorRetryable(err) {
			return markAWS(err, errText(err))
		}
		delay, derr := r.RetryDelay(attempt, err)
		if derr != nil {
			return markAWS(err, errText(err))
		}
		select {
		case <-ctx.Done():
			return err
		case <-s.opts.Clock.After(delay):
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func isInstanceNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "DBInstanceNotFound" || ae.ErrorCode() == "DBInstanceNotFoundFault")
}

// describe returns the instance named identifier, or nil when RDS says
// DBInstanceNotFound.
func (s *SimStack) describe(ctx context.Context, identifier string) (*rdstypes.DBInstance, error) {
	return s.find(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(identifier)})
}

// read finds a resource's instance as the AWS provider's read does: by
// the resource's id, the resource id db-…, so the state follows the
// instance through renames. A resource without an id yet (the rehearsal's
// first state) is looked up by identifier.
func (s *SimStack) read(ctx context.Context, r *simResource) (*rdstypes.DBInstance, error) {
	if !strings.HasPrefix(r.ID, "db-") {
		return s.describe(ctx, outStr(r, "identifier"))
	}
	return s.find(ctx, &rds.DescribeDBInstancesInput{
		Filters: []rdstypes.Filter{{Name: aws.String("dbi-resource-id"), Values: []string{r.ID}}},
	})
}

func (s *SimStack) find(ctx context.Context, in *rds.DescribeDBInstancesInput) (*rdstypes.DBInstance, error) {
	var out *rds.DescribeDBInstancesOutput
	err := s.call(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.opts.RDS.DescribeDBInstances(ctx, in)
		return err
	})
	if isInstanceNotFound(err) {
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
	// may have been edited since, nor what AWS changed on its own since
	// (the minor version): a refresh shows that.
	prog := settingsFromOutputs(st.Instance.Outputs)
	ident := outStr(st.Instance, "identifier")
	db, err := s.describe(ctx, ident)
	if err != nil {
		return fmt.Errorf("read instance %s: %w", ident, err)
	}
	if db == nil {
		return fmt.Errorf("the simulated state names instance %s, which does not exist in AWS; run a refresh", ident)
	}
	st.Instance.Outputs = instanceOutputs(db, prog, st.Instance.Inputs, prog.EngineVersion)
	st.Instance.ID = aws.ToString(db.DbiResourceId)
	return s.save(st)
}

// engineVersionRead is the engineVersion the AWS provider records when it
// reads db for a program asking for program.
func engineVersionRead(program string, db *rdstypes.DBInstance) string {
	pending := ""
	if db.PendingModifiedValues != nil {
		pending = aws.ToString(db.PendingModifiedValues.EngineVersion)
	}
	return simprovider.EngineVersionFromAWS(program, aws.ToString(db.EngineVersion), pending)
}

// instanceOutputs builds the state's outputs from what AWS reports, in the
// shape of @pulumi/aws 7 (id = resource id), with engineVersion as given.
func instanceOutputs(db *rdstypes.DBInstance, prog ProgramSettings, inputs map[string]any, engineVersion string) map[string]any {
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
	o["engineVersion"] = engineVersion
	o["snapshotIdentifier"] = prog.SnapshotIdentifier
	o["finalSnapshotIdentifier"] = prog.FinalSnapshotIdentifier
	o["skipFinalSnapshot"] = prog.SkipFinalSnapshot != nil && *prog.SkipFinalSnapshot
	if pt := prog.RestoreToPointInTime; pt != nil {
		o["restoreToPointInTime"] = pointInTimeMap(*pt)
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

func outNum(r *simResource, k string) int32 {
	if r == nil {
		return 0
	}
	v, _ := r.Outputs[k].(float64)
	return int32(v)
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
	if m, ok := o["restoreToPointInTime"].(map[string]any); ok {
		pt := &PointInTime{}
		for k, v := range m {
			pt.setField(k, fmt.Sprint(v))
		}
		s.RestoreToPointInTime = pt
	}
	return s
}

// pointInTimeMap is a restoreToPointInTime block as the state holds it.
func pointInTimeMap(pt PointInTime) map[string]any {
	m := map[string]any{}
	for _, kv := range pt.fields() {
		m[kv[0]] = kv[1]
	}
	if pt.UseLatest {
		m["useLatestRestorableTime"] = true
	}
	return m
}

// samePointInTime compares two blocks, nil meaning none.
func samePointInTime(a, b *PointInTime) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// pend records an operation as pending before it reaches AWS, as the
// CLI's snapshot manager does; done removes it once it ended, well or not.
func (s *SimStack) pend(st *simState, urn, typ string, inputs map[string]any) {
	st.Pending = append(st.Pending, simPending{URN: urn, Type: typ, Inputs: copyMap(inputs)})
	_ = s.save(st)
}

func (s *SimStack) done(st *simState, urn, typ string) {
	for i, p := range st.Pending {
		if p.URN == urn && p.Type == typ {
			st.Pending = slices.Delete(st.Pending, i, i+1)
			break
		}
	}
	_ = s.save(st)
}

// keepCreates drops the pending operations that are not creates, as the
// CLI does whenever a refresh or an update writes the state
// (pkg/backend/snapshot.go): only pending creates wait for the user.
func keepCreates(p []simPending) []simPending {
	var out []simPending
	for _, op := range p {
		if op.Type == "creating" {
			out = append(out, op)
		}
	}
	return out
}

// Refresh implements Stack. A refresh (not a preview-only one) locks the
// stack, reads each resource by its id, and drops the pending operations
// other than creates, as the CLI does.
func (s *SimStack) Refresh(ctx context.Context, previewOnly bool, progress chan<- Progress) (Summary, error) {
	start := s.opts.Clock.Now()
	if !previewOnly {
		token, err := s.takeLock()
		if err != nil {
			return Summary{Result: "failed"}, fmt.Errorf("refresh: %w", err)
		}
		defer endOperation(token)
	}
	run := s.startRun(ctx)
	defer s.endRun(run)
	fail := func(err error) (Summary, error) {
		if !previewOnly && !run.killed.Load() {
			s.releaseLock()
		}
		return Summary{Result: "failed", Duration: s.opts.Clock.Since(start)}, fmt.Errorf("refresh: %w", err)
	}
	st, err := s.load()
	if err != nil {
		return fail(err)
	}
	em := emitter{ch: progress, clock: s.opts.Clock}
	if err := s.sync(run.ctx, st); err != nil {
		return fail(err)
	}
	status := StepPlanned
	if !previewOnly {
		status = StepDone
		st.Pending = keepCreates(st.Pending)
	}
	changes := map[Op]int{}
	em.send(Progress{URN: s.stackURN(), Type: "pulumi:pulumi:Stack", Op: OpRefresh, Status: status})
	changes[OpSame]++
	if st.Instance != nil {
		urn := s.urn(InstanceType, "app")
		db, err := s.read(run.ctx, st.Instance)
		if err != nil {
			return fail(fmt.Errorf("read instance: %w", err))
		}
		switch {
		case db == nil:
			em.send(Progress{URN: urn, Type: InstanceType, Op: OpDelete, Status: status, ID: st.Instance.ID})
			em.diag(urn, "warning", "the instance no longer exists in AWS; refresh removes it from the state")
			changes[OpDelete]++
			if !previewOnly {
				st.Resolved, st.Instance = st.Instance, nil
			}
		default:
			prog := settingsFromOutputs(st.Instance.Outputs)
			fresh := instanceOutputs(db, prog, st.Instance.Inputs, engineVersionRead(prog.EngineVersion, db))
			var diffs []string
			for _, k := range []string{"identifier", "engineVersionActual", "instanceClass", "allocatedStorage", "multiAz", "publiclyAccessible",
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
	if st.Old != nil {
		// The replaced instance waiting for its delete is read too.
		db, err := s.read(run.ctx, st.Old)
		if err != nil {
			return fail(fmt.Errorf("read the replaced instance: %w", err))
		}
		if !previewOnly {
			if db == nil {
				st.Old = nil
			} else {
				prog := settingsFromOutputs(st.Old.Outputs)
				st.Old.Outputs = instanceOutputs(db, prog, st.Old.Inputs, engineVersionRead(prog.EngineVersion, db))
			}
		}
	}
	sum := Summary{Result: "succeeded", Changes: changes, Duration: s.opts.Clock.Since(start)}
	if run.killed.Load() {
		sum.Result = "cancelled"
		return sum, fmt.Errorf("refresh: %w", s.errKilled("pulumi refresh"))
	}
	em.send(Progress{Status: Summarised, Message: sum.Result})
	if !previewOnly {
		err := s.save(st)
		s.releaseLock()
		if err != nil {
			return sum, fmt.Errorf("refresh: %w", err)
		}
	}
	return sum, nil
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

// plan diffs the program against the state as the AWS provider does: a
// snapshotIdentifier set to another value replaces the instance (one left
// out is no change: the provider computes it); engineVersion compares with
// a major alone matching its minors; an instance whose create failed half
// way (init errors) is updated whatever the diff.
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
	if prog.EngineVersion != "" && !simprovider.SameEngineVersion(old.EngineVersion, prog.EngineVersion) {
		p.diffs = append(p.diffs, "engineVersion")
	}
	if prog.SnapshotIdentifier != "" && prog.SnapshotIdentifier != old.SnapshotIdentifier {
		p.instance = InstanceReplaced
		p.keys = []string{"snapshotIdentifier"}
		p.diffs = append([]string{"snapshotIdentifier"}, p.diffs...)
	}
	// restoreToPointInTime is create-only and not computed: a block added,
	// changed or removed replaces the instance.
	if !samePointInTime(prog.RestoreToPointInTime, old.RestoreToPointInTime) {
		p.instance = InstanceReplaced
		p.keys = append(p.keys, "restoreToPointInTime")
		p.diffs = append([]string{"restoreToPointInTime"}, p.diffs...)
	}
	for _, d := range []struct {
		key      string
		old, new string
	}{
		{"finalSnapshotIdentifier", old.FinalSnapshotIdentifier, prog.FinalSnapshotIdentifier},
		{"skipFinalSnapshot", fmt.Sprint(old.SkipFinalSnapshot != nil && *old.SkipFinalSnapshot), fmt.Sprint(prog.SkipFinalSnapshot != nil && *prog.SkipFinalSnapshot)},
	} {
		if d.old != d.new {
			p.diffs = append(p.diffs, d.key)
		}
	}
	if g := p.groups.instance; g != "" && g != outStr(st.Instance, "parameterGroupName") && p.instance != InstanceReplaced {
		p.diffs = append(p.diffs, "parameterGroupName")
	}
	if p.instance != InstanceReplaced {
		p.diffs = append(p.diffs, literalDiffs(prog, st.Instance)...)
	}
	if p.instance != InstanceReplaced && (len(p.diffs) > 0 || len(st.Instance.InitErrors) > 0) {
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
	steps = append(steps, PlannedStep{URN: s.urn(ParameterGroupType, "parameterGroup"), Type: ParameterGroupType, Op: OpSame})
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
		steps = append(steps, PlannedStep{URN: urn, Type: InstanceType, Op: OpCreate, Inputs: StripSecrets(s.createInputs(st, p, ""))})
	default:
		steps = append(steps, PlannedStep{URN: urn, Type: InstanceType, Op: OpSame})
	}
	if st.Old != nil && p.instance != InstanceReplaced {
		// A replaced instance a previous update did not delete.
		steps = append(steps, PlannedStep{URN: urn, Type: InstanceType, Op: OpDeleteReplaced})
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

// Preview implements Stack. As the CLI's file backend, a preview takes no
// lock and runs while the stack is locked.
func (s *SimStack) Preview(ctx context.Context, progress chan<- Progress) (Plan, error) {
	st, err := s.load()
	if err != nil {
		return Plan{}, fmt.Errorf("preview: %w", err)
	}
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
		em.send(Progress{URN: step.URN, Type: step.Type, Op: step.Op, Status: StepPlanned, Keys: step.Keys, Diffs: step.Diffs, Inputs: step.Inputs})
	}
	plan := b.Plan()
	plan.Changes = changesOf(steps)
	em.send(Progress{Status: Summarised, Message: "succeeded"})
	return plan, nil
}

// errStopped ends an update that an interrupt stopped between operations.
var errStopped = errors.New("stopped by an interrupt")

// Up implements Stack. It locks the stack (across processes); on an
// interrupt (ctx cancelled, or Cancel) it behaves as the CLI's first
// Ctrl-C: the operation in flight runs on, nothing else starts, and if the
// operation outlasts SimOptions.InterruptGrace it is abandoned as the
// kill that follows leaves it.
func (s *SimStack) Up(ctx context.Context, progress chan<- Progress) (Summary, error) {
	start := s.opts.Clock.Now()
	token, err := s.takeLock()
	if err != nil {
		return Summary{Result: "failed"}, fmt.Errorf("up: %w", err)
	}
	defer endOperation(token)
	run := s.startRun(ctx)
	defer s.endRun(run)
	fail := func(err error) (Summary, error) {
		if !run.killed.Load() {
			s.releaseLock()
		}
		return Summary{Result: "failed", Duration: s.opts.Clock.Since(start)}, fmt.Errorf("up: %w", err)
	}
	st, err := s.load()
	if err != nil {
		return fail(err)
	}
	p, err := s.plan(run.ctx, st)
	if err != nil {
		return fail(err)
	}
	em := emitter{ch: progress, clock: s.opts.Clock}
	if p.hasRDS {
		if err := s.sync(run.ctx, st); err != nil {
			return fail(err)
		}
	}
	if n := len(st.Pending); n > 0 {
		// As the CLI does, carry on but say so: the state may not match
		// AWS. Writing the state drops all but the pending creates.
		em.diag(s.stackURN(), "warning", fmt.Sprintf("attempting to deploy with %d pending operations from a previous update; "+
			"check in AWS what they did and refresh first", n))
		st.Pending = keepCreates(st.Pending)
	}
	steps := s.planSteps(st, p)
	urnStack := s.stackURN()
	em.send(Progress{URN: urnStack, Type: "pulumi:pulumi:Stack", Op: steps[0].Op, Status: StepStarted, Diffs: steps[0].Diffs})
	var runErr error
	switch {
	case !p.hasRDS:
		st.Applied = p.config
	case p.instance == InstanceReplaced:
		runErr = s.replace(run, st, p, em)
	case p.instance == InstanceUpdated:
		runErr = s.update(run, st, p, em)
	case p.instance == InstanceCreated:
		runErr = s.create(run, st, p, em)
	default:
		for _, step := range steps[1:] {
			if step.Op == OpSame {
				em.send(Progress{URN: step.URN, Type: step.Type, Op: OpSame, Status: StepDone})
			}
		}
	}
	// Deletes come last, as the engine's post steps: the replaced instance,
	// this update's or one an earlier update left.
	if runErr == nil && st.Old != nil && !run.interrupted() {
		runErr = s.deleteOld(run, st, em)
	}
	sum := Summary{Changes: changesOf(steps), Duration: s.opts.Clock.Since(start), Outputs: map[string]any{}}
	if st.Instance != nil {
		sum.Outputs["address"] = outStr(st.Instance, "address")
		sum.Outputs["identifier"] = outStr(st.Instance, "identifier")
	}
	if run.killed.Load() {
		// The kill leaves the state as last written: lock and pending
		// operation stay.
		sum.Result = "cancelled"
		return sum, fmt.Errorf("up: %w", s.errKilled("pulumi up"))
	}
	interrupted := run.interrupted() && (runErr == nil || errors.Is(runErr, errStopped))
	switch {
	case interrupted:
		sum.Result = "cancelled"
	case runErr != nil:
		sum.Result = "failed"
	default:
		sum.Result = "succeeded"
		st.Updates++
		em.send(Progress{URN: urnStack, Type: "pulumi:pulumi:Stack", Op: steps[0].Op, Status: StepDone})
	}
	st.record(sum.Result, start, s.opts.Clock.Now(), p.config)
	err = s.save(st)
	s.releaseLock()
	em.send(Progress{Status: Summarised, Message: sum.Result})
	switch {
	case interrupted:
		return sum, fmt.Errorf("up: %w", errInterrupted("pulumi up"))
	case runErr != nil:
		return sum, fmt.Errorf("up: %w", runErr)
	case err != nil:
		return sum, fmt.Errorf("up: %w", err)
	}
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

// waitAvailable waits for a new or modified instance to be available, as
// the provider's waiter: statuses on the way pass, an end state fails.
func (s *SimStack) waitAvailable(ctx context.Context, id string) (*rdstypes.DBInstance, error) {
	var fresh *rdstypes.DBInstance
	err := s.wait(ctx, id, func(db *rdstypes.DBInstance) (bool, error) {
		if db == nil {
			return false, fmt.Errorf("instance %s vanished", id)
		}
		fresh = db
		switch aws.ToString(db.DBInstanceStatus) {
		case "available":
			return true, nil
		case "failed", "incompatible-restore", "incompatible-parameters", "incompatible-network", "storage-full":
			return false, fmt.Errorf("instance %s ended in status %s", id, aws.ToString(db.DBInstanceStatus))
		}
		return false, nil
	})
	return fresh, err
}

func newInstanceID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "app" + hex.EncodeToString(b)[:7]
}

// replace restores the program's snapshot to a new instance and applies
// what the restore does not take, as the AWS provider's create does; the
// old instance is then pending deletion (Up deletes it last), as in
// Pulumi's create-before-delete replacement. The new instance's name
// becomes known when its create completes.
func (s *SimStack) replace(run *simRun, st *simState, p simPlan, em emitter) error {
	return s.restoreInstance(run, st, p, em, st.Instance, OpCreateReplacement)
}

// create creates the instance the state no longer holds (a refresh dropped
// it, deleted outside Pulumi) by restoring it, as the AWS provider's create
// does with snapshotIdentifier or restoreToPointInTime: with the program's
// settings as they resolve (simState.Resolved), under a new name. Nothing
// is deleted.
func (s *SimStack) create(run *simRun, st *simState, p simPlan, em emitter) error {
	if st.Resolved == nil {
		return fmt.Errorf("the simulated engine does not create a database from nothing; the rehearsal starts with one")
	}
	return s.restoreInstance(run, st, p, em, st.Resolved, OpCreate)
}

// createInputs are a restore's checked inputs: base's (the program's as
// the state recorded them) with the program's restore and the identifier
// (newID; left out when not chosen yet, as in a preview).
func (s *SimStack) createInputs(st *simState, p simPlan, newID string) map[string]any {
	base := st.Resolved
	if st.Instance != nil {
		base = st.Instance
	}
	checked := map[string]any{}
	if base != nil {
		checked = copyMap(base.Inputs)
	}
	if newID != "" {
		checked["identifier"] = newID
	}
	delete(checked, "snapshotIdentifier")
	delete(checked, "restoreToPointInTime")
	if pt := p.prog.RestoreToPointInTime; pt != nil {
		checked["restoreToPointInTime"] = pointInTimeMap(*pt)
	} else if p.prog.SnapshotIdentifier != "" {
		checked["snapshotIdentifier"] = p.prog.SnapshotIdentifier
	}
	return checked
}

// restoreInstance restores the program's snapshot or point in time to a
// new instance with old's settings, as the step op: the create-replacement
// of a replacement (old is then pending deletion) or the create of an
// instance the state no longer holds.
func (s *SimStack) restoreInstance(run *simRun, st *simState, p simPlan, em emitter, old *simResource, op Op) error {
	urn := s.urn(InstanceType, "app")
	newID := newInstanceID()
	pitr := p.prog.RestoreToPointInTime
	if pitr == nil && p.prog.SnapshotIdentifier == "" {
		return fmt.Errorf("the simulated engine does not create a database from nothing: the program names neither a snapshot nor a point in time to restore")
	}
	// The AWS provider names the instance in Check: the step's checked
	// inputs carry the identifier before AWS is asked; outputs (and the
	// id) come when the create completes.
	checked := s.createInputs(st, p, newID)
	em.send(Progress{URN: urn, Type: InstanceType, Op: op, Status: StepStarted, Keys: p.keys, Diffs: p.diffs,
		Inputs: StripSecrets(checked)})
	call, what, err := s.restoreCall(newID, p.prog, old)
	if err != nil {
		return err
	}
	s.pend(st, urn, "creating", checked)
	err = s.call(run.ctx, call)
	if err != nil {
		if run.killed.Load() {
			return err
		}
		s.done(st, urn, "creating")
		kind := "restore from snapshot"
		if pitr != nil {
			kind = "restore to point-in-time"
		}
		em.diag(urn, "error", fmt.Sprintf("creating RDS DB Instance (%s) (%s): %v", kind, newID, err))
		em.send(Progress{URN: urn, Type: InstanceType, Op: op, Status: StepFailed})
		return fmt.Errorf("restore %s from %s: %w", newID, what, err)
	}
	fresh, err := s.waitAvailable(run.ctx, newID)
	if err == nil {
		if mod := postRestoreModify(newID, p.prog, old, fresh); mod != nil {
			err = s.call(run.ctx, func(ctx context.Context) error {
				_, err := s.opts.RDS.ModifyDBInstance(ctx, mod)
				return err
			})
			if err != nil {
				err = fmt.Errorf("updating RDS DB Instance (%s): %w", newID, err)
			} else {
				fresh, err = s.waitModified(run.ctx, newID)
			}
		}
	}
	if run.killed.Load() {
		return err
	}
	s.done(st, urn, "creating")
	rec := &simResource{URN: urn, Inputs: old.Inputs}
	if fresh != nil {
		rec.ID = aws.ToString(fresh.DbiResourceId)
		rec.Outputs = instanceOutputs(fresh, p.prog, old.Inputs, engineVersionRead(p.prog.EngineVersion, fresh))
	}
	if err != nil {
		if fresh == nil {
			em.diag(urn, "error", "waiting for the new instance: "+err.Error())
			em.send(Progress{URN: urn, Type: InstanceType, Op: op, Status: StepFailed})
			return err
		}
		// A partial create: the engine records the new instance with
		// the error, and the old one is pending deletion all the same.
		rec.InitErrors = []string{err.Error()}
		s.recordCreated(st, rec, old, op)
		_ = s.save(st)
		em.diag(urn, "error", err.Error())
		em.send(Progress{URN: urn, Type: InstanceType, Op: op, Status: StepFailed, ID: rec.ID})
		return err
	}
	s.recordCreated(st, rec, old, op)
	if err := s.save(st); err != nil {
		return err
	}
	em.send(Progress{URN: urn, Type: InstanceType, Op: op, Status: StepDone, ID: rec.ID, Outputs: StripSecrets(rec.Outputs)})
	if op == OpCreate {
		return nil
	}
	if run.interrupted() {
		return errStopped
	}
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpReplace, Status: StepStarted, Keys: p.keys, Diffs: p.diffs, ID: rec.ID})
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpReplace, Status: StepDone, ID: rec.ID, Outputs: StripSecrets(rec.Outputs)})
	return nil
}

// recordCreated puts the restored instance in the state: a replacement's
// old instance is pending deletion; a create's resolved settings are used.
func (s *SimStack) recordCreated(st *simState, rec, old *simResource, op Op) {
	st.Instance = rec
	if op == OpCreate {
		st.Resolved = nil
		return
	}
	st.Old = old
}

// restoreCall is the AWS provider's restore for the program: from its
// snapshot, or to its point in time, with the old instance's settings as
// the program deployed them. what names the source in errors.
func (s *SimStack) restoreCall(newID string, prog ProgramSettings, old *simResource) (func(context.Context) error, string, error) {
	class := aws.String(outStr(old, "instanceClass"))
	multiAZ := aws.Bool(old.Outputs["multiAz"] == true)
	public := aws.Bool(old.Outputs["publiclyAccessible"] == true)
	protect := aws.Bool(prog.DeletionProtection != nil && *prog.DeletionProtection)
	sgs := anyStrings(old.Outputs["vpcSecurityGroupIds"])
	var pg, subnets *string
	if v := outStr(old, "parameterGroupName"); v != "" {
		pg = aws.String(v)
	}
	if v := outStr(old, "dbSubnetGroupName"); v != "" {
		subnets = aws.String(v)
	}
	if pt := prog.RestoreToPointInTime; pt != nil {
		in := &rds.RestoreDBInstanceToPointInTimeInput{
			TargetDBInstanceIdentifier: aws.String(newID), DBInstanceClass: class, MultiAZ: multiAZ,
			PubliclyAccessible: public, DeletionProtection: protect, VpcSecurityGroupIds: sgs,
			DBParameterGroupName: pg, DBSubnetGroupName: subnets,
		}
		if pt.SourceInstanceID != "" {
			in.SourceDBInstanceIdentifier = aws.String(pt.SourceInstanceID)
		} else {
			in.SourceDbiResourceId = aws.String(pt.SourceResourceID)
		}
		if pt.UseLatest {
			in.UseLatestRestorableTime = aws.Bool(true)
		} else {
			at, err := time.Parse(time.RFC3339, pt.RestoreTime)
			if err != nil {
				return nil, "", fmt.Errorf("restoreToPointInTime.restoreTime %q is not an RFC 3339 time: %w", pt.RestoreTime, err)
			}
			in.RestoreTime = aws.Time(at.UTC())
		}
		return func(ctx context.Context) error {
			_, err := s.opts.RDS.RestoreDBInstanceToPointInTime(ctx, in)
			return err
		}, "a point in time of " + pt.String(), nil
	}
	in := &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String(newID), DBSnapshotIdentifier: aws.String(prog.SnapshotIdentifier),
		DBInstanceClass: class, MultiAZ: multiAZ, PubliclyAccessible: public, DeletionProtection: protect,
		VpcSecurityGroupIds: sgs, DBParameterGroupName: pg, DBSubnetGroupName: subnets,
	}
	return func(ctx context.Context) error {
		_, err := s.opts.RDS.RestoreDBInstanceFromDBSnapshot(ctx, in)
		return err
	}, "snapshot " + prog.SnapshotIdentifier, nil
}

// postRestoreModify is the modify the AWS provider sends once a restored
// instance is available, for what a restore does not take and the program
// sets differently (engine version; storage, backup retention, maintenance
// window and storage type as the old instance had them, the program's
// values when it was deployed); nil when nothing differs. The password the
// provider also sends is not known here.
func postRestoreModify(id string, prog ProgramSettings, old *simResource, db *rdstypes.DBInstance) *rds.ModifyDBInstanceInput {
	m := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), ApplyImmediately: aws.Bool(true)}
	changed := false
	if v := prog.EngineVersion; v != "" && !simprovider.SameEngineVersion(aws.ToString(db.EngineVersion), v) {
		m.EngineVersion, m.AllowMajorVersionUpgrade, changed = aws.String(v), aws.Bool(true), true
	}
	if n := outNum(old, "allocatedStorage"); n > 0 && n != aws.ToInt32(db.AllocatedStorage) {
		m.AllocatedStorage, changed = aws.Int32(n), true
	}
	if n := outNum(old, "backupRetentionPeriod"); n != aws.ToInt32(db.BackupRetentionPeriod) {
		m.BackupRetentionPeriod, changed = aws.Int32(n), true
	}
	if w := outStr(old, "maintenanceWindow"); w != "" && !strings.EqualFold(w, aws.ToString(db.PreferredMaintenanceWindow)) {
		m.PreferredMaintenanceWindow, changed = aws.String(strings.ToLower(w)), true
	}
	if t := outStr(old, "storageType"); t != "" && t != aws.ToString(db.StorageType) {
		m.StorageType, changed = aws.String(t), true
	}
	if !changed {
		return nil
	}
	return m
}

// waitModified waits for a modify to settle: a modify may answer before
// the instance leaves available, so the first look waits a poll.
func (s *SimStack) waitModified(ctx context.Context, id string) (*rdstypes.DBInstance, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.opts.Clock.After(s.opts.Poll):
	}
	return s.waitAvailable(ctx, id)
}

// deleteOld deletes the replaced instance as the AWS provider's delete
// does: by the identifier in the OLD resource's state, with the final
// snapshot that state names (not the program's current value); a
// DBSnapshotAlreadyExists fails it.
func (s *SimStack) deleteOld(run *simRun, st *simState, em emitter) error {
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
	s.pend(st, urn, "deleting", old.Inputs)
	err := s.call(run.ctx, func(ctx context.Context) error {
		_, err := s.opts.RDS.DeleteDBInstance(ctx, in)
		return err
	})
	if err != nil && !isInstanceNotFound(err) {
		if run.killed.Load() {
			return err
		}
		s.done(st, urn, "deleting")
		em.diag(urn, "error", fmt.Sprintf("deleting RDS DB Instance (%s): %v", oldID, err))
		em.send(Progress{URN: urn, Type: InstanceType, Op: OpDeleteReplaced, Status: StepFailed, ID: old.ID})
		return fmt.Errorf("delete the replaced instance %s: %w", oldID, err)
	}
	err = s.wait(run.ctx, oldID, func(db *rdstypes.DBInstance) (bool, error) { return db == nil, nil })
	if run.killed.Load() {
		return err
	}
	s.done(st, urn, "deleting")
	if err != nil {
		em.send(Progress{URN: urn, Type: InstanceType, Op: OpDeleteReplaced, Status: StepFailed, ID: old.ID})
		return err
	}
	st.Old = nil
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpDeleteReplaced, Status: StepDone, ID: old.ID})
	return s.save(st)
}

// update applies an in-place change; for an engine version it calls
// ModifyDBInstance and waits. Like the real provider, a precheck failure
// (RDS-EVENT-0158, version unchanged) does not fail the update; the state
// then records the version AWS runs, so the next preview shows the
// upgrade again.
func (s *SimStack) update(run *simRun, st *simState, p simPlan, em emitter) error {
	urn := s.urn(InstanceType, "app")
	id := outStr(st.Instance, "identifier")
	// The groups the instance depends on come first, as in the real engine.
	if err := s.createGroups(run.ctx, p.groups, em); err != nil {
		return err
	}
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpUpdate, Status: StepStarted, Diffs: p.diffs, ID: st.Instance.ID})
	in := &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(id),
		ApplyImmediately:     aws.Bool(true),
	}
	modify := applyLiterals(in, p.prog, p.diffs)
	if slices.Contains(p.diffs, "engineVersion") || slices.Contains(p.diffs, "parameterGroupName") || modify {
		if slices.Contains(p.diffs, "engineVersion") {
			in.EngineVersion, in.AllowMajorVersionUpgrade = aws.String(p.prog.EngineVersion), aws.Bool(true)
		}
		if slices.Contains(p.diffs, "parameterGroupName") {
			in.DBParameterGroupName = aws.String(p.groups.instance)
		}
		s.pend(st, urn, "updating", st.Instance.Inputs)
		err := s.call(run.ctx, func(ctx context.Context) error {
			_, err := s.opts.RDS.ModifyDBInstance(ctx, in)
			return err
		})
		if err != nil {
			if run.killed.Load() {
				return err
			}
			s.done(st, urn, "updating")
			em.diag(urn, "error", fmt.Sprintf("updating RDS DB Instance (%s): %v", id, err))
			em.send(Progress{URN: urn, Type: InstanceType, Op: OpUpdate, Status: StepFailed, ID: st.Instance.ID})
			return fmt.Errorf("modify %s: %w", id, err)
		}
		seenBusy := false
		err = s.wait(run.ctx, id, func(db *rdstypes.DBInstance) (bool, error) {
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
		if run.killed.Load() {
			return err
		}
		s.done(st, urn, "updating")
		if err != nil {
			em.send(Progress{URN: urn, Type: InstanceType, Op: OpUpdate, Status: StepFailed, ID: st.Instance.ID})
			return err
		}
	}
	db, err := s.describe(run.ctx, id)
	if err != nil || db == nil {
		return fmt.Errorf("read instance %s after the update: %v", id, err)
	}
	st.Instance.Outputs = instanceOutputs(db, p.prog, st.Instance.Inputs, engineVersionRead(p.prog.EngineVersion, db))
	st.Instance.InitErrors = nil
	em.send(Progress{URN: urn, Type: InstanceType, Op: OpUpdate, Status: StepDone, ID: st.Instance.ID, Outputs: StripSecrets(st.Instance.Outputs)})
	return s.save(st)
}

// literalField is an instance input the AWS provider updates in place,
// compared when the program writes it out as a literal: the simulated
// engine does not evaluate expressions (a conditional, a config read), so
// those are not compared.
type literalField struct {
	key  string
	same func(program, state string) bool
	set  func(m *rds.ModifyDBInstanceInput, v string)
}

var literalFields = []literalField{
	// AWS stores the window lower-case; the provider compares without case.
	{"maintenanceWindow", strings.EqualFold, func(m *rds.ModifyDBInstanceInput, v string) {
		m.PreferredMaintenanceWindow = aws.String(strings.ToLower(v))
	}},
	{"backupRetentionPeriod", sameNumber, func(m *rds.ModifyDBInstanceInput, v string) { m.BackupRetentionPeriod = aws.Int32(atoi32(v)) }},
	{"instanceClass", sameString, func(m *rds.ModifyDBInstanceInput, v string) { m.DBInstanceClass = aws.String(v) }},
	{"allocatedStorage", sameNumber, func(m *rds.ModifyDBInstanceInput, v string) { m.AllocatedStorage = aws.Int32(atoi32(v)) }},
	{"storageType", sameString, func(m *rds.ModifyDBInstanceInput, v string) { m.StorageType = aws.String(v) }},
	{"multiAz", sameString, func(m *rds.ModifyDBInstanceInput, v string) { m.MultiAZ = aws.Bool(v == "true") }},
	{"publiclyAccessible", sameString, func(m *rds.ModifyDBInstanceInput, v string) { m.PubliclyAccessible = aws.Bool(v == "true") }},
	{"deletionProtection", sameString, func(m *rds.ModifyDBInstanceInput, v string) { m.DeletionProtection = aws.Bool(v == "true") }},
}

func sameString(a, b string) bool { return a == b }

func sameNumber(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	return errA == nil && errB == nil && x == y
}

func atoi32(s string) int32 {
	f, _ := strconv.ParseFloat(s, 64)
	return int32(f)
}

// literalDiffs lists the in-place inputs the program sets to a literal that
// the state (what AWS reported at the last read) does not hold: the real
// provider's diff of inputs against state, which shows e.g. the RDS default
// maintenance window of a restored instance as a change.
func literalDiffs(prog ProgramSettings, r *simResource) []string {
	var out []string
	for _, f := range literalFields {
		v, ok := prog.Literals[f.key]
		if !ok {
			continue
		}
		if !f.same(v, fmt.Sprint(r.Outputs[f.key])) {
			out = append(out, f.key)
		}
	}
	return out
}

// applyLiterals sets on m the literal inputs among diffs; it reports
// whether it set any.
func applyLiterals(m *rds.ModifyDBInstanceInput, prog ProgramSettings, diffs []string) bool {
	set := false
	for _, f := range literalFields {
		if slices.Contains(diffs, f.key) {
			f.set(m, prog.Literals[f.key])
			set = true
		}
	}
	return set
}
