package pulumiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// StateResource is one resource of a stack's recorded state, as a state
// repair sees it. Secret values stay in Pulumi's secret envelope: a repair
// moves them, never reads them.
type StateResource struct {
	URN  string
	Type string
	ID   string
	// Delete marks a replaced resource that is not deleted yet (Pulumi's
	// "pending delete"): the next update deletes it.
	Delete  bool
	Inputs  map[string]any
	Outputs map[string]any
	// extra keeps every other field as it was read (parent, provider,
	// dependencies...), so an edited or copied resource keeps them.
	extra map[string]json.RawMessage
}

// PendingOperation is an operation an interrupted update left in the
// state: Type is creating, updating, deleting or reading.
type PendingOperation struct {
	Type string
	URN  string
	// Inputs are the resource's inputs as the operation began (a create's
	// checked inputs: the AWS provider names the instance in Check, so a
	// pending create of an instance carries its identifier). Read only: an
	// edit keeps or drops the operation as it was.
	Inputs map[string]any
	// extra keeps the operation's resource as it was read.
	extra json.RawMessage
}

// PendingIdentifier is the instance identifier a pending operation's inputs
// name, "" when they name none.
func (p PendingOperation) PendingIdentifier() string {
	v, _ := p.Inputs["identifier"].(string)
	return v
}

// AdoptReplacement records in the state what an interrupted
// create-before-delete replacement left in AWS: the live resource with urn
// becomes a pending delete (Pulumi's delete:true, which the next update
// deletes, with the final snapshot its own state names) and, right after
// it, a copy of it tracks the new instance (id, identifier, resource id;
// inputs as given: the create's checked inputs), which a refresh then reads
// in full. The pending create of urn is dropped. It is what the engine
// itself records when such a create completes.
func (s *State) AdoptReplacement(urn, resourceID, identifier string, inputs map[string]any) error {
	at := -1
	for i, r := range s.Resources {
		if r.URN == urn && !r.Delete {
			at = i
		}
	}
	if at < 0 {
		return fmt.Errorf("adopt the replacement: the state has no live resource %s", urn)
	}
	old := &s.Resources[at]
	if old.ID == resourceID {
		return fmt.Errorf("adopt the replacement: %s already tracks %s", urn, resourceID)
	}
	repl := old.Copy()
	old.Delete = true
	repl.ID = resourceID
	if inputs != nil {
		repl.Inputs = copyMap(inputs)
	}
	if repl.Outputs == nil {
		repl.Outputs = map[string]any{}
	}
	// A created resource's outputs echo its inputs (snapshotIdentifier,
	// finalSnapshotIdentifier...): AWS does not report them, so the
	// refresh keeps them, and the next diff compares them with the program.
	for k, v := range copyMap(repl.Inputs) {
		repl.Outputs[k] = v
	}
	for k, v := range map[string]any{"identifier": identifier, "resourceId": resourceID} {
		repl.Outputs[k] = v
	}
	// What names the old instance goes: the refresh reads the new one's.
	for _, k := range []string{"address", "endpoint", "arn", "status"} {
		delete(repl.Outputs, k)
	}
	if repl.Inputs != nil {
		repl.Inputs["identifier"] = identifier
	}
	s.Resources = append(s.Resources[:at+1], append([]StateResource{repl}, s.Resources[at+1:]...)...)
	s.DropPending(func(p PendingOperation) bool { return p.URN == urn && p.Type == "creating" })
	return nil
}

// AdoptCreate records in the state what an interrupted create left in AWS
// when the state holds nothing it replaces (the instance was deleted
// outside Pulumi and a refresh dropped it): the resource of the pending
// create of urn, as the engine wrote it before asking AWS (its parent,
// provider and dependencies kept), tracks the new instance (id,
// identifier, resource id; inputs as given: the create's checked inputs)
// and the pending create is dropped. A refresh then reads it in full. It
// is what `pulumi refresh --import-pending-creates URN=ID` does, and what
// the engine records when such a create completes.
func (s *State) AdoptCreate(urn, resourceID, identifier string, inputs map[string]any) error {
	var op *PendingOperation
	for i := range s.PendingOperations {
		if p := &s.PendingOperations[i]; p.URN == urn && p.Type == "creating" {
			op = p
		}
	}
	if op == nil {
		return fmt.Errorf("adopt the create: the state has no pending create of %s", urn)
	}
	for _, r := range s.Resources {
		if r.URN == urn && !r.Delete {
			return fmt.Errorf("adopt the create: the state already has a live %s (a replacement, not a create)", urn)
		}
	}
	r := StateResource{extra: map[string]json.RawMessage{}}
	if len(op.extra) > 0 {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(op.extra, &raw); err != nil {
			return fmt.Errorf("adopt the create: read the pending create of %s: %w", urn, err)
		}
		var err error
		if r, err = decodeResource(raw); err != nil {
			return fmt.Errorf("adopt the create: %w", err)
		}
	}
	r.URN, r.ID, r.Delete = urn, resourceID, false
	if r.Type == "" {
		r.Type = typeOfURN(urn)
	}
	if inputs != nil {
		r.Inputs = copyMap(inputs)
	}
	if r.Inputs == nil {
		r.Inputs = map[string]any{}
	}
	r.Inputs["identifier"] = identifier
	// As a created resource's outputs echo its inputs (see
	// AdoptReplacement); the refresh reads the rest from AWS.
	r.Outputs = copyMap(r.Inputs)
	r.Outputs["identifier"], r.Outputs["resourceId"] = identifier, resourceID
	// Nothing depends on a resource that was being created: last is after
	// everything it depends on.
	s.Resources = append(s.Resources, r)
	s.DropPending(func(p PendingOperation) bool { return p.URN == urn && p.Type == "creating" })
	return nil
}

// typeOfURN is the resource type a URN names
// (urn:pulumi:stack::project::type::name).
func typeOfURN(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return ""
	}
	t := parts[len(parts)-2]
	if i := strings.LastIndex(t, "$"); i >= 0 {
		t = t[i+1:] // a parent's type qualifies a child's
	}
	return t
}

// DropPending removes the pending operations drop says to.
func (s *State) DropPending(drop func(PendingOperation) bool) {
	kept := s.PendingOperations[:0]
	for _, p := range s.PendingOperations {
		if !drop(p) {
			kept = append(kept, p)
		}
	}
	s.PendingOperations = kept
}

// State is a stack's recorded state (what `pulumi stack export` holds),
// for repairs the program makes behind a gate: the resources and the
// pending operations. Edit it through StateEditor.EditState.
type State struct {
	Resources         []StateResource
	PendingOperations []PendingOperation
}

// LiveInstance returns the state's RDS instance that is not pending
// deletion. It fails with ErrNoInstance or ErrManyInstances.
func (s *State) LiveInstance() (*StateResource, error) {
	var found *StateResource
	for i := range s.Resources {
		r := &s.Resources[i]
		if r.Type != InstanceType || r.Delete {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("state: %w: %s, %s", ErrManyInstances, found.URN, r.URN)
		}
		found = r
	}
	if found == nil {
		return nil, fmt.Errorf("state: %w", ErrNoInstance)
	}
	return found, nil
}

// Copy returns a deep copy of r (for a repair that adds a resource shaped
// like an existing one, e.g. the new half of a replacement).
func (r StateResource) Copy() StateResource {
	c := r
	c.Inputs = copyMap(r.Inputs)
	c.Outputs = copyMap(r.Outputs)
	c.extra = make(map[string]json.RawMessage, len(r.extra))
	for k, v := range r.extra {
		c.extra[k] = append(json.RawMessage(nil), v...)
	}
	return c
}

// copyMap deep-copies JSON-shaped values (numbers come back as float64).
func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// StateEditor repairs a stack's recorded state, as `pulumi stack export`,
// an edit and `pulumi stack import` do by hand. Read AWS before, and
// refresh and preview after: a repair only makes the state say what AWS
// already holds.
type StateEditor interface {
	// EditState reads the state, lets edit change it and writes it back.
	// Nothing is written when edit returns an error.
	EditState(ctx context.Context, edit func(*State) error) error
	// ReadState reads the state without changing or locking anything (as
	// `pulumi stack export`), e.g. to plan a repair before its gate.
	ReadState(ctx context.Context) (*State, error)
}

// Known fields of an exported resource (apitype.ResourceV3); the rest is
// kept as it was.
const (
	fieldURN     = "urn"
	fieldType    = "type"
	fieldID      = "id"
	fieldDelete  = "delete"
	fieldInputs  = "inputs"
	fieldOutputs = "outputs"
)

// decodeState reads the resources and pending operations of an exported
// deployment (the "deployment" object of `pulumi stack export`); top is
// the deployment's own fields for encodeState.
func decodeState(deployment json.RawMessage) (st *State, top map[string]json.RawMessage, err error) {
	top = map[string]json.RawMessage{}
	if len(bytes.TrimSpace(deployment)) > 0 {
		if err := json.Unmarshal(deployment, &top); err != nil {
			return nil, nil, fmt.Errorf("read state: %w", err)
		}
	}
	st = &State{}
	var raws []map[string]json.RawMessage
	if b, ok := top["resources"]; ok && string(b) != "null" {
		if err := json.Unmarshal(b, &raws); err != nil {
			return nil, nil, fmt.Errorf("read state resources: %w", err)
		}
	}
	for _, raw := range raws {
		r, err := decodeResource(raw)
		if err != nil {
			return nil, nil, err
		}
		st.Resources = append(st.Resources, r)
	}
	var ops []struct {
		Resource json.RawMessage `json:"resource"`
		Type     string          `json:"type"`
	}
	if b, ok := top["pending_operations"]; ok && string(b) != "null" {
		if err := json.Unmarshal(b, &ops); err != nil {
			return nil, nil, fmt.Errorf("read pending operations: %w", err)
		}
	}
	for _, op := range ops {
		var res struct {
			URN    string          `json:"urn"`
			Inputs json.RawMessage `json:"inputs"`
		}
		_ = json.Unmarshal(op.Resource, &res)
		pend := PendingOperation{Type: op.Type, URN: res.URN, extra: op.Resource}
		if len(res.Inputs) > 0 {
			pend.Inputs, _ = decodeProps(res.Inputs)
		}
		st.PendingOperations = append(st.PendingOperations, pend)
	}
	return st, top, nil
}

// decodeResource reads one exported resource (apitype.ResourceV3), keeping
// the fields a repair does not touch as they were.
func decodeResource(raw map[string]json.RawMessage) (StateResource, error) {
	r := StateResource{extra: map[string]json.RawMessage{}}
	for k, v := range raw {
		var err error
		switch k {
		case fieldURN:
			err = json.Unmarshal(v, &r.URN)
		case fieldType:
			err = json.Unmarshal(v, &r.Type)
		case fieldID:
			err = json.Unmarshal(v, &r.ID)
		case fieldDelete:
			err = json.Unmarshal(v, &r.Delete)
		case fieldInputs:
			r.Inputs, err = decodeProps(v)
		case fieldOutputs:
			r.Outputs, err = decodeProps(v)
		default:
			r.extra[k] = v
		}
		if err != nil {
			return r, fmt.Errorf("read state resource field %s: %w", k, err)
		}
	}
	return r, nil
}

// decodeProps keeps numbers exact (json.Number), so a round trip writes
// them back as they were.
func decodeProps(b json.RawMessage) (map[string]any, error) {
	if string(b) == "null" {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// encodeState writes st back into the deployment's fields top.
func encodeState(st *State, top map[string]json.RawMessage) (json.RawMessage, error) {
	raws := make([]map[string]json.RawMessage, 0, len(st.Resources))
	for _, r := range st.Resources {
		if r.URN == "" || r.Type == "" {
			return nil, errors.New("write state: a resource has no URN or type")
		}
		raw := make(map[string]json.RawMessage, len(r.extra)+6)
		for k, v := range r.extra {
			raw[k] = v
		}
		set := func(k string, v any) error {
			b, err := json.Marshal(v)
			raw[k] = b
			return err
		}
		errs := []error{set(fieldURN, r.URN), set(fieldType, r.Type)}
		if r.ID != "" {
			errs = append(errs, set(fieldID, r.ID))
		} else {
			delete(raw, fieldID)
		}
		if r.Delete {
			errs = append(errs, set(fieldDelete, true))
		} else {
			delete(raw, fieldDelete)
		}
		if r.Inputs != nil {
			errs = append(errs, set(fieldInputs, r.Inputs))
		}
		if r.Outputs != nil {
			errs = append(errs, set(fieldOutputs, r.Outputs))
		}
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("write state resource %s: %w", r.URN, err)
		}
		raws = append(raws, raw)
	}
	b, err := json.Marshal(raws)
	if err != nil {
		return nil, fmt.Errorf("write state: %w", err)
	}
	top["resources"] = b
	if len(st.PendingOperations) == 0 {
		delete(top, "pending_operations")
	} else {
		type op struct {
			Resource json.RawMessage `json:"resource"`
			Type     string          `json:"type"`
		}
		ops := make([]op, 0, len(st.PendingOperations))
		for _, p := range st.PendingOperations {
			res := p.extra
			if len(res) == 0 {
				res, _ = json.Marshal(map[string]string{"urn": p.URN})
			}
			ops = append(ops, op{Resource: res, Type: p.Type})
		}
		if top["pending_operations"], err = json.Marshal(ops); err != nil {
			return nil, fmt.Errorf("write state: %w", err)
		}
	}
	return json.Marshal(top)
}

// ReadState implements StateEditor with `pulumi stack export`.
func (s *LocalStack) ReadState(ctx context.Context) (*State, error) {
	u, err := s.stack.Export(ctx)
	if err != nil {
		return nil, fmt.Errorf("read state: export %s: %w", s.name, cliError(err))
	}
	st, _, err := decodeState(u.Deployment)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	return st, nil
}

// EditState implements StateEditor with `pulumi stack export` and `pulumi
// stack import` through the Automation API; import takes the stack's lock.
func (s *LocalStack) EditState(ctx context.Context, edit func(*State) error) error {
	u, err := s.stack.Export(ctx)
	if err != nil {
		return fmt.Errorf("edit state: export %s: %w", s.name, cliError(err))
	}
	st, top, err := decodeState(u.Deployment)
	if err != nil {
		return fmt.Errorf("edit state: %w", err)
	}
	if err := edit(st); err != nil {
		return err
	}
	if u.Deployment, err = encodeState(st, top); err != nil {
		return fmt.Errorf("edit state: %w", err)
	}
	if u.Version == 0 {
		u.Version = 3
	}
	if err := s.stack.Import(ctx, u); err != nil {
		return fmt.Errorf("edit state: import %s: %w", s.name, cliError(err))
	}
	return nil
}
