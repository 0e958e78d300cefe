package rehearsal

import (
	"context"
	"fmt"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// Start builds a persisted world for a new rehearsal run of o.Runbook on
// the simulated engine; see StartOn.
func Start(ctx context.Context, o engine.Options) (*engine.Run, *World, error) {
	return StartOn(ctx, o, Engine{})
}

// StartOn builds a persisted world for a new rehearsal run of o.Runbook on
// the engine e and returns the run (not started: call run.Start(ctx), then
// render its events) and the world (Close it after run.Wait()).
// o.StateDir "" uses engine.StateDir(); o.Stack "" is staging; o.Speed 0 is
// DefaultSpeed.
func StartOn(ctx context.Context, o engine.Options, e Engine) (*engine.Run, *World, error) {
	o.Rehearsal = true
	if o.Stack == "" {
		o.Stack = pulumiclient.RehearsalStack
	}
	if o.Speed <= 0 {
		o.Speed = DefaultSpeed
	}
	if o.Scenario == "" {
		o.Scenario = "default"
	}
	// The run's options as the run will use them (run id, state
	// directory, the runbook's defaults), defaulted in the one place.
	o, err := runbooks.Prepare(o)
	if err != nil {
		return nil, nil, err
	}
	w, err := New(ctx, Options{Scenario: o.Scenario, Speed: o.Speed, StateDir: o.StateDir, Name: o.RunID, Persist: true, Stack: o.Stack, Engine: e})
	if err != nil {
		return nil, nil, err
	}
	run, err := runbooks.NewRun(o, w.Deps())
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	if o.Flag("app-deploy") != "up" {
		w.StartCI(w.ctx)
	}
	return run, w, nil
}

// Resume reopens the rehearsal run runID ("" or "latest": the newest
// unfinished run) with its persisted world, so operations in flight are
// re-attached to in the same simulated AWS, on the engine it ran on. Call
// run.Start(ctx) next.
func Resume(ctx context.Context, stateDir, runID string, yes bool) (*engine.Run, *World, error) {
	return ResumeWith(ctx, stateDir, runID, yes, "")
}

// ResumeWith is Resume with the pulumi CLI to use when the rehearsal ran on
// the real engine ("" keeps the one it ran with, else PATH's).
func ResumeWith(ctx context.Context, stateDir, runID string, yes bool, pulumi string) (*engine.Run, *World, error) {
	if stateDir == "" {
		d, err := engine.StateDir()
		if err != nil {
			return nil, nil, err
		}
		stateDir = d
	}
	info, err := engine.PeekRun(stateDir, runID)
	if err != nil {
		return nil, nil, err
	}
	if !info.Rehearsal {
		return nil, nil, fmt.Errorf("resume: run %s ran against real AWS, not a rehearsal: resume it with its real clients (runbooks.Resume)", info.RunID)
	}
	w, err := Open(ctx, WorldDir(stateDir, info.RunID), Options{Speed: info.Speed, Engine: Engine{Pulumi: pulumi}})
	if err != nil {
		return nil, nil, err
	}
	run, err := runbooks.Resume(stateDir, info.RunID, w.Deps(), yes)
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	if info.Flags["app-deploy"] != "up" {
		w.StartCI(w.ctx)
	}
	return run, w, nil
}
