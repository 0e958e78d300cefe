package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// A step of a parallel group that needs a variable the producing step ended
// without setting fails with the reason; it used to wait for ever.
func TestGroupNeedNeverProducedFailsInsteadOfHanging(t *testing.T) {
	book := &Runbook{Name: "test", Steps: []*Step{
		{ID: "make", Title: "Make", Kind: KindAction, Phase: "apply", Group: "g", Produces: []string{"thing"},
			Do: func(x *Exec) error { return nil }},
		{ID: "use", Title: "Use", Kind: KindAction, Phase: "apply", Group: "g", Needs: []string{"thing"},
			Do: func(x *Exec) error { return nil }},
		{ID: "later", Title: "Later", Kind: KindCheck, Phase: "verify", Needs: []string{"other"},
			Do: func(x *Exec) error { return nil }},
	}}
	r := newRun(Options{Stack: "staging"}, Deps{Clock: clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))}, book)
	go func() {
		for range r.Events() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.Start(ctx)
	err := r.Wait()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("run = %v (context: %v); want the group's need to fail at once", err, ctx.Err())
	}
	if !strings.Contains(err.Error(), "use") || !strings.Contains(err.Error(), "needs thing") {
		t.Errorf("error %q does not name the step and the variable", err)
	}
}

// A step outside a group that needs a variable nobody set fails at once.
func TestNeedNeverProducedOutsideGroupFails(t *testing.T) {
	book := &Runbook{Name: "test", Steps: []*Step{
		{ID: "make", Title: "Make", Kind: KindAction, Phase: "apply", Produces: []string{"thing"},
			Do: func(x *Exec) error { return nil }},
		{ID: "use", Title: "Use", Kind: KindAction, Phase: "apply", Needs: []string{"thing"},
			Do: func(x *Exec) error { return nil }},
	}}
	r := newRun(Options{Stack: "staging"}, Deps{Clock: clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))}, book)
	go func() {
		for range r.Events() {
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.Start(ctx)
	if err := r.Wait(); err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "needs thing") {
		t.Fatalf("run = %v (context: %v); want use to fail naming thing", err, ctx.Err())
	}
}
