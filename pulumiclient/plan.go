package pulumiclient

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
)

// InstanceChange is what a plan does to the RDS instance.
type InstanceChange string

// Instance changes.
const (
	InstanceUnchanged InstanceChange = "nothing"
	InstanceUpdated   InstanceChange = "update in place"
	InstanceReplaced  InstanceChange = "replace"
	InstanceDeleted   InstanceChange = "delete"
	InstanceCreated   InstanceChange = "create"
)

// PlanBuilder collects a preview's events into a Plan.
type PlanBuilder struct {
	plan Plan
	seen map[string]bool
}

// NewPlanBuilder returns an empty builder.
func NewPlanBuilder() *PlanBuilder {
	return &PlanBuilder{plan: Plan{Changes: map[Op]int{}}, seen: map[string]bool{}}
}

// Add records one engine event.
func (b *PlanBuilder) Add(ev events.EngineEvent) {
	switch {
	case ev.ResourcePreEvent != nil:
		md := ev.ResourcePreEvent.Metadata
		key := string(md.Op) + " " + md.URN
		if b.seen[key] {
			return
		}
		b.seen[key] = true
		st := PlannedStep{
			URN: md.URN, Type: md.Type, Name: nameFromURN(md.URN), Op: Op(md.Op),
			Keys: append([]string(nil), md.Keys...), Diffs: append([]string(nil), md.Diffs...),
		}
		if Op(md.Op) == OpCreate && md.New != nil {
			st.Inputs = StripSecrets(md.New.Inputs)
		}
		b.plan.Steps = append(b.plan.Steps, st)
	case ev.SummaryEvent != nil:
		for op, n := range ev.SummaryEvent.ResourceChanges {
			b.plan.Changes[Op(op)] = n
		}
	}
}

// AddStep records a step directly (the simulated engine uses it).
func (b *PlanBuilder) AddStep(s PlannedStep) {
	key := string(s.Op) + " " + s.URN
	if b.seen[key] {
		return
	}
	b.seen[key] = true
	b.plan.Steps = append(b.plan.Steps, s)
}

// Plan returns what was collected.
func (b *PlanBuilder) Plan() Plan { return b.plan }

// PlanFromEvents builds a Plan from a preview's events.
func PlanFromEvents(evs []events.EngineEvent) Plan {
	b := NewPlanBuilder()
	for _, ev := range evs {
		b.Add(ev)
	}
	return b.Plan()
}

// InstanceSteps returns the plan's steps on aws:rds/instance:Instance.
func (p Plan) InstanceSteps() []PlannedStep {
	var out []PlannedStep
	for _, s := range p.Steps {
		if s.Type == InstanceType {
			out = append(out, s)
		}
	}
	return out
}

// Instance classifies what the plan does to the RDS instance.
func (p Plan) Instance() InstanceChange {
	ops := map[Op]bool{}
	for _, s := range p.InstanceSteps() {
		ops[s.Op] = true
	}
	switch {
	case ops[OpReplace] || ops[OpCreateReplacement] || ops[OpDeleteReplaced]:
		return InstanceReplaced
	case ops[OpDelete]:
		return InstanceDeleted
	case ops[OpCreate]:
		return InstanceCreated
	case ops[OpUpdate]:
		return InstanceUpdated
	}
	return InstanceUnchanged
}

// ReplaceKeys lists the properties that force the instance's replacement.
func (p Plan) ReplaceKeys() []string {
	set := map[string]bool{}
	for _, s := range p.InstanceSteps() {
		for _, k := range s.Keys {
			set[k] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// harmless reports whether a step outside the instance may appear in a
// restore's plan: nothing changes, or only the stack's own outputs.
func harmless(s PlannedStep) bool {
	switch {
	case s.Op == OpSame:
		return true
	case s.Type == "pulumi:pulumi:Stack":
		return true
	case s.Op == OpRead && s.Type == "pulumi:pulumi:StackReference":
		return true
	}
	return false
}

// CheckRestorePlan checks that a plan replaces exactly the RDS instance
// (create-replacement, replace, delete-replaced, each once, on one
// aws:rds/instance:Instance) and changes nothing else. The error names
// everything that does not fit.
func CheckRestorePlan(p Plan) error {
	var problems []string
	counts := map[Op]int{}
	urns := map[string]bool{}
	for _, s := range p.InstanceSteps() {
		switch s.Op {
		case OpCreateReplacement, OpReplace, OpDeleteReplaced:
			counts[s.Op]++
			urns[s.URN] = true
		case OpSame:
		default:
			problems = append(problems, fmt.Sprintf("%s %s (%s)", s.Op, s.URN, describeDiffs(s)))
		}
	}
	for _, op := range []Op{OpCreateReplacement, OpReplace, OpDeleteReplaced} {
		if counts[op] != 1 {
			problems = append(problems, fmt.Sprintf("expected one %s of %s, the preview has %d", op, InstanceType, counts[op]))
		}
	}
	if len(urns) > 1 {
		names := make([]string, 0, len(urns))
		for u := range urns {
			names = append(names, u)
		}
		sort.Strings(names)
		problems = append(problems, "more than one instance would be replaced: "+strings.Join(names, ", "))
	}
	for _, s := range p.Steps {
		if s.Type == InstanceType || harmless(s) {
			continue
		}
		problems = append(problems, fmt.Sprintf("%s %s (%s)", s.Op, s.URN, describeDiffs(s)))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("check restore plan: the preview must replace only the RDS instance; stop and review the program and state before going on: %s",
		strings.Join(problems, "; "))
}

// CheckRestoreCreatePlan checks that a plan creates exactly the RDS
// instance (one create of one aws:rds/instance:Instance, no other change to
// an instance) and changes nothing else: the plan of a restore whose
// instance was deleted, which a refresh dropped from the state. It returns
// the create's step (its inputs say what the create restores). The error
// names everything that does not fit.
func CheckRestoreCreatePlan(p Plan) (PlannedStep, error) {
	var problems []string
	var create PlannedStep
	creates := 0
	for _, s := range p.InstanceSteps() {
		switch s.Op {
		case OpCreate:
			creates++
			create = s
		case OpSame:
		default:
			problems = append(problems, fmt.Sprintf("%s %s (%s)", s.Op, s.URN, describeDiffs(s)))
		}
	}
	if creates != 1 {
		problems = append(problems, fmt.Sprintf("expected one %s of %s, the preview has %d", OpCreate, InstanceType, creates))
	}
	for _, s := range p.Steps {
		if s.Type == InstanceType || harmless(s) {
			continue
		}
		problems = append(problems, fmt.Sprintf("%s %s (%s)", s.Op, s.URN, describeDiffs(s)))
	}
	if len(problems) == 0 {
		return create, nil
	}
	return create, fmt.Errorf("check restore plan: the instance is gone, so the preview must create only the RDS instance, from the restore; stop and review the program and state before going on: %s",
		strings.Join(problems, "; "))
}

// RestoreInputs reads what a create restores from its inputs: the
// restoreToPointInTime block (nil when none) and the snapshotIdentifier.
func RestoreInputs(inputs map[string]any) (*PointInTime, string) {
	snap, _ := inputs["snapshotIdentifier"].(string)
	m, ok := inputs["restoreToPointInTime"].(map[string]any)
	if !ok {
		return nil, snap
	}
	pt := &PointInTime{}
	for k, v := range m {
		pt.setField(k, fmt.Sprint(v))
	}
	return pt, snap
}

func describeDiffs(s PlannedStep) string {
	switch {
	case len(s.Keys) > 0:
		return "replacing because of " + strings.Join(s.Keys, ", ")
	case len(s.Diffs) > 0:
		return "changes " + strings.Join(s.Diffs, ", ")
	}
	return "no property diff reported"
}

// Guards are the settings that decide what happens to the old instance when
// Pulumi deletes it. Pulumi deletes a resource with the inputs of its state,
// never the program's: a finalSnapshotIdentifier or skipFinalSnapshot
// changed in the program reaches the instance now in the state only through
// an update of it, and a replacement never updates the instance it
// replaces. So the delete's values come from the state; the program's
// decide only the delete of the instance that replaces it.
type Guards struct {
	SkipFinalSnapshot       bool
	FinalSnapshotIdentifier string
	DeletionProtection      bool
	// Source says where each value came from: "state", "program" (no
	// instance in the state yet) or "default", keyed by property name.
	Source map[string]string
	// Next are the values the program gives the instance that replaces it
	// (they decide its own delete, at the next replacement).
	Next struct {
		SkipFinalSnapshot       bool
		FinalSnapshotIdentifier string
	}
}

// ReadGuards reads what the delete of the instance in the state will use
// (from exp) and what the program gives its replacement (from prog). Either
// may be nil; without a state the program's values are the ones an update
// would record.
func ReadGuards(prog *ProgramSettings, exp *ExportedInstance) Guards {
	g := Guards{Source: map[string]string{}, SkipFinalSnapshot: false}
	g.Source["skipFinalSnapshot"], g.Source["finalSnapshotIdentifier"], g.Source["deletionProtection"] = "default", "default", "default"
	if prog != nil {
		if prog.SkipFinalSnapshot != nil {
			g.Next.SkipFinalSnapshot = *prog.SkipFinalSnapshot
		}
		g.Next.FinalSnapshotIdentifier = prog.FinalSnapshotIdentifier
	}
	if exp != nil {
		g.SkipFinalSnapshot, g.Source["skipFinalSnapshot"] = exp.SkipFinalSnapshot, "state"
		g.FinalSnapshotIdentifier, g.Source["finalSnapshotIdentifier"] = exp.FinalSnapshotIdentifier, "state"
		g.DeletionProtection, g.Source["deletionProtection"] = exp.DeletionProtection, "state"
		return g
	}
	if prog != nil {
		if prog.SkipFinalSnapshot != nil {
			g.SkipFinalSnapshot, g.Source["skipFinalSnapshot"] = *prog.SkipFinalSnapshot, "program"
		}
		if prog.FinalSnapshotIdentifier != "" {
			g.FinalSnapshotIdentifier, g.Source["finalSnapshotIdentifier"] = prog.FinalSnapshotIdentifier, "program"
		}
		if prog.DeletionProtection != nil {
			g.DeletionProtection, g.Source["deletionProtection"] = *prog.DeletionProtection, "program"
		}
	}
	return g
}

// Problems lists what would go wrong when Pulumi deletes the old instance.
// finalSnapshotExists tells whether AWS already has a snapshot named
// FinalSnapshotIdentifier (ask AWS before calling).
func (g Guards) Problems(finalSnapshotExists bool) []string {
	var out []string
	from := ""
	if g.Source["finalSnapshotIdentifier"] == "state" {
		from = " (the value in Pulumi's state, which the delete uses; the program's reaches the existing instance only through an update of it)"
	}
	if g.DeletionProtection {
		out = append(out, "deletionProtection is on: AWS will refuse to delete the old instance and the update stops half-way; turn it off on the existing instance first")
	}
	switch {
	case g.SkipFinalSnapshot:
		out = append(out, "skipFinalSnapshot is true"+from+": the old instance will be deleted without a final snapshot; apply skipFinalSnapshot: false and a finalSnapshotIdentifier to the existing instance first")
	case g.FinalSnapshotIdentifier == "":
		out = append(out, "skipFinalSnapshot is false but no finalSnapshotIdentifier is set"+from+": AWS refuses such a delete; apply a finalSnapshotIdentifier to the existing instance first")
	case finalSnapshotExists:
		out = append(out, fmt.Sprintf("a snapshot named %q already exists%s: deleting the old instance will fail with DBSnapshotAlreadyExists after the new one is up; apply another finalSnapshotIdentifier to the existing instance first (a separate update), or move that snapshot aside", g.FinalSnapshotIdentifier, from))
	}
	return out
}

// Check returns Problems as one error, or nil.
func (g Guards) Check(finalSnapshotExists bool) error {
	if p := g.Problems(finalSnapshotExists); len(p) > 0 {
		return fmt.Errorf("check deletion guards: %s", strings.Join(p, "; "))
	}
	return nil
}
