package pulumiclient

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// A state read and written back without an edit is the same JSON: every
// field the repair does not model (manifest, secrets providers, parents,
// providers, dependencies, secret envelopes, exact numbers) survives.
func TestStateRoundTripKeepsEverything(t *testing.T) {
	for _, file := range []string{"aws4.json", "aws7.json", "replacing-pending-delete.json", "two-instances.json"} {
		t.Run(file, func(t *testing.T) {
			var u apitype.UntypedDeployment
			b, err := os.ReadFile(filepath.Join("testdata", "export", file))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &u); err != nil {
				t.Fatal(err)
			}
			st, top, err := decodeState(u.Deployment)
			if err != nil {
				t.Fatal(err)
			}
			out, err := encodeState(st, top)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(u.Deployment, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("round trip changed the state:\n got: %s\nwant: %s", out, u.Deployment)
			}
		})
	}
}

// The pending-delete fixture: one live instance, one replaced instance
// waiting for deletion, one pending operation; dropping the operation and
// the pending delete leaves the rest as it was.
func TestStateEditPendingDelete(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "export", "replacing-pending-delete.json"))
	if err != nil {
		t.Fatal(err)
	}
	var u apitype.UntypedDeployment
	if err := json.Unmarshal(b, &u); err != nil {
		t.Fatal(err)
	}
	st, top, err := decodeState(u.Deployment)
	if err != nil {
		t.Fatal(err)
	}
	live, err := st.LiveInstance()
	if err != nil {
		t.Fatal(err)
	}
	before := len(st.Resources)
	var kept []StateResource
	for _, r := range st.Resources {
		if !(r.Type == InstanceType && r.Delete) {
			kept = append(kept, r)
		}
	}
	if len(kept) != before-1 {
		t.Fatalf("the fixture has no pending-delete instance: %d resources, %d kept", before, len(kept))
	}
	st.Resources, st.PendingOperations = kept, nil
	out, err := encodeState(st, top)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := ParseDeployment(apitype.UntypedDeployment{Version: 3, Deployment: out})
	if err != nil {
		t.Fatal(err)
	}
	if exp.URN != live.URN || exp.ID != live.ID {
		t.Errorf("after the edit the instance is %s (%s), want %s (%s)", exp.URN, exp.ID, live.URN, live.ID)
	}
	ops, err := PendingOperations(apitype.UntypedDeployment{Version: 3, Deployment: out})
	if err != nil || len(ops) != 0 {
		t.Errorf("pending operations after the edit: %v, %v", ops, err)
	}
}

// The simulated engine's state edits like a real one: the live instance
// retargeted, written, read back by Export; an error from the edit writes
// nothing; a second live instance is refused.
func TestSimStackEditState(t *testing.T) {
	w := newSimWorld(t, "")
	ctx := context.Background()
	before, err := w.data.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	errStop := errors.New("stop")
	if err := w.data.EditState(ctx, func(s *State) error {
		r, err := s.LiveInstance()
		if err != nil {
			return err
		}
		r.ID = "db-CHANGEDBUTNOTWRITTEN"
		return errStop
	}); !errors.Is(err, errStop) {
		t.Fatalf("edit error = %v, want the edit's own", err)
	}
	if got, _ := w.data.Export(ctx); got.ID != before.ID {
		t.Fatalf("a failed edit was written: id %s", got.ID)
	}
	if err := w.data.EditState(ctx, func(s *State) error {
		r, err := s.LiveInstance()
		if err != nil {
			return err
		}
		r.ID = "db-RETARGETED0000000000000"
		r.Outputs["identifier"] = "app-restored"
		r.Outputs["resourceId"] = "db-RETARGETED0000000000000"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st, err := w.data.load()
	if err != nil {
		t.Fatal(err)
	}
	if st.Instance.ID != "db-RETARGETED0000000000000" || outStr(st.Instance, "identifier") != "app-restored" {
		t.Fatalf("state after the edit: %+v", st.Instance)
	}
	err = w.data.EditState(ctx, func(s *State) error {
		r, _ := s.LiveInstance()
		c := r.Copy()
		c.URN += "-second"
		s.Resources = append(s.Resources, c)
		return nil
	})
	if err == nil {
		t.Fatal("a second live instance was accepted")
	}
}

// AdoptCreate turns the pending create of an instance the state holds no
// live copy of (deleted outside Pulumi, dropped by a refresh) into the
// resource the engine would have recorded: the pending operation's own
// resource (parent, provider, custom kept) with the new id, identifier and
// inputs; a state that holds a live instance or no pending create is
// refused and left as it was.
func TestStateAdoptCreate(t *testing.T) {
	const urn = "urn:pulumi:staging::data::aws:rds/instance:Instance::app"
	pending := json.RawMessage(`{"urn":"` + urn + `","custom":true,"type":"aws:rds/instance:Instance",` +
		`"inputs":{"engine":"postgres"},"parent":"urn:pulumi:staging::data::pulumi:pulumi:Stack::data-staging","provider":"p::default"}`)
	inputs := map[string]any{"engine": "postgres", "identifier": "app123", "restoreToPointInTime": map[string]any{"sourceDbiResourceId": "db-OLD"}}
	tests := []struct {
		name    string
		state   State
		wantErr string
	}{
		{"a create", State{PendingOperations: []PendingOperation{{Type: "creating", URN: urn, extra: pending}}}, ""},
		{"the simulated engine's pending create", State{PendingOperations: []PendingOperation{{Type: "creating", URN: urn}}}, ""},
		{"a live instance", State{Resources: []StateResource{{URN: urn, Type: InstanceType, ID: "db-OLD"}},
			PendingOperations: []PendingOperation{{Type: "creating", URN: urn}}}, "already has a live"},
		{"no pending create", State{PendingOperations: []PendingOperation{{Type: "updating", URN: urn}}}, "no pending create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.state
			before := len(st.Resources)
			err := st.AdoptCreate(urn, "db-NEW", "app123", inputs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(st.Resources) != before || len(st.PendingOperations) != 1 {
					t.Fatalf("AdoptCreate = %v with %d resources, %d pending; want %q and nothing changed", err, len(st.Resources), len(st.PendingOperations), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			live, err := st.LiveInstance()
			if err != nil {
				t.Fatal(err)
			}
			if live.ID != "db-NEW" || live.Outputs["identifier"] != "app123" || live.Outputs["resourceId"] != "db-NEW" ||
				live.Inputs["identifier"] != "app123" || live.Inputs["restoreToPointInTime"] == nil || len(st.PendingOperations) != 0 {
				t.Fatalf("adopted %+v, pending %+v", live, st.PendingOperations)
			}
			out, err := encodeState(&st, map[string]json.RawMessage{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.state.PendingOperations[0].extra != nil {
				for _, want := range []string{`"custom":true`, `"parent":"urn:pulumi:staging::data::pulumi:pulumi:Stack::data-staging"`, `"provider":"p::default"`} {
					if !strings.Contains(string(out), want) {
						t.Errorf("the adopted resource lost %s: %s", want, out)
					}
				}
			}
		})
	}
}
