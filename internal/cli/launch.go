package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/config"
	"github.com/datalayer-tool/datalayer/plain"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/runbooks"
	"github.com/datalayer-tool/datalayer/tui"
)

// engineOptions turns a request and the configuration into the engine's
// options: the runbook's own options from the command line, and the team's
// settings the runbook declares.
func engineOptions(req runRequest, l config.Loaded) (engine.Options, error) {
	answers, err := req.answers()
	if err != nil {
		return engine.Options{}, err
	}
	o := engine.Options{
		Runbook: req.Runbook, Stack: req.Stack, Production: isProduction(l.Config, req.Stack),
		Rehearsal: req.Rehearsal, Scenario: req.Scenario, Speed: req.Speed, Yes: req.Yes,
		StateDir: l.StateDir, Flags: req.Flags(), Answers: answers,
	}
	return runbooks.WithSettings(o, runbooks.Settings{
		AppDeploy:          l.Application.Deploy,
		MaintenanceCommand: l.MaintenanceMode.Argv(),
		SpotChecks: runbooks.SpotCheckOptions{
			QueriesFile: l.Upgrade.SpotChecks.QueriesFile,
			URLEnv:      l.Upgrade.SpotChecks.DatabaseURLEnv,
			Threshold:   l.Upgrade.SpotChecks.SlowdownThreshold,
			Timeout:     l.Upgrade.SpotChecks.StatementTimeout.Duration(),
		},
	})
}

func isProduction(c config.Config, stack string) bool {
	if s, err := c.Stack(stack); err == nil && s.Production {
		return true
	}
	return engine.IsProductionStack(stack)
}

// realDeps builds the clients of a run against real AWS and the pulumi CLI.
// The returned cleanup stops the poller.
func (a *app) realDeps(ctx context.Context, l config.Loaded, stack string) (runbooks.Deps, func(), error) {
	client, err := a.awsClient(ctx, l)
	if err != nil {
		return runbooks.Deps{}, nil, err
	}
	dataDir, err := programDir("data.dir", l.Data.Dir)
	if err != nil {
		return runbooks.Deps{}, nil, err
	}
	popts := pulumiclient.Options{Pulumi: l.Pulumi.Binary, BackendURL: l.Pulumi.BackendURL, Env: pulumiAWSEnv(l), InterruptGrace: l.Pulumi.InterruptGrace.Duration()}
	data, err := pulumiclient.OpenLocal(ctx, dataDir, stack, popts)
	if err != nil {
		return runbooks.Deps{}, nil, fmt.Errorf("data stack: %w", err)
	}
	deps := runbooks.Deps{AWS: client, Data: data, Editor: pulumiclient.NewProgramEditor(dataDir), Clock: clock.Real{}, PulumiIdentity: a.pulumiIdentity(l)}
	if appDir, err := programDir("application.dir", l.Application.Dir); err == nil {
		app, err := pulumiclient.OpenLocal(ctx, appDir, stack, popts)
		if err != nil {
			return runbooks.Deps{}, nil, fmt.Errorf("application stack: %w", err)
		}
		deps.App = app
	}
	// The run's one poller; it stops with the returned cleanup.
	pctx, stop := context.WithCancel(ctx)
	poller := awsclient.NewPoller(client, clock.Real{}, awsclient.PollerOptions{Interval: l.PollInterval.Duration()})
	go func() { _ = poller.Run(pctx) }()
	deps.Poller = poller
	return deps, stop, nil
}

// pulumiAWSEnv is what the pulumi CLI must be told so that its AWS
// provider acts as datalayer's own client does: the region datalayer uses,
// the profile given with --profile (which beats exported keys, as it does
// for datalayer, so the keys are blanked), and an endpoint given by flag or
// config file. Settings that came from the environment reach the CLI as
// they are.
func pulumiAWSEnv(l config.Loaded) map[string]string {
	env := map[string]string{}
	if l.Region != "" {
		env["AWS_REGION"] = l.Region
		env["AWS_DEFAULT_REGION"] = l.Region
	}
	if l.Profile != "" {
		env["AWS_PROFILE"] = l.Profile
		env["AWS_DEFAULT_PROFILE"] = l.Profile
		env["AWS_ACCESS_KEY_ID"] = ""
		env["AWS_SECRET_ACCESS_KEY"] = ""
		env["AWS_SESSION_TOKEN"] = ""
	}
	if l.Endpoint != "" && !strings.HasPrefix(l.Sources["endpoint"], "$") {
		env["AWS_ENDPOINT_URL_RDS"] = l.Endpoint
		env["AWS_ENDPOINT_URL_STS"] = l.Endpoint
	}
	return env
}

// pulumiIdentity resolves the identity the pulumi CLI's AWS provider acts
// as. A stack's aws:profile beats exported keys there (the provider loads
// it as an explicit profile, hashicorp/aws-sdk-go-base v2), as --profile
// does for datalayer; without one the provider takes what the environment
// the CLI gets says, which pulumiAWSEnv made datalayer's own choice.
func (a *app) pulumiIdentity(l config.Loaded) func(ctx context.Context, stackProfile string) (awsclient.Identity, error) {
	return func(ctx context.Context, stackProfile string) (awsclient.Identity, error) {
		lo := awsLoadOptions(l)
		if stackProfile != "" {
			lo.Profile = stackProfile
		}
		c, err := awsclient.Load(ctx, lo)
		if err != nil {
			return awsclient.Identity{}, err
		}
		return c.Identity(ctx)
	}
}

// programDir checks that a Pulumi program directory exists.
func programDir(field, dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	if _, err := os.Stat(filepath.Join(abs, "Pulumi.yaml")); err != nil {
		return "", &UsageError{Err: fmt.Errorf("%s: no Pulumi program (Pulumi.yaml) in %s: run datalayer from the repository root, or set %s in the config file", field, abs, field)}
	}
	return abs, nil
}

// show renders a started run until it ends and turns the outcome into the
// command's error.
func (a *app) show(ctx context.Context, run *engine.Run, clk clock.Clock, plainOut bool) error {
	runID := run.Info().RunID
	var rerr error
	if plainOut {
		rerr = plain.Render(ctx, run, a.io.Out, a.io.In, plain.Options{})
	} else {
		rerr = tui.Run(ctx, run, tui.Options{Input: a.io.In, Output: a.io.Out, Clock: clk, Summary: a.io.Err})
	}
	if rerr != nil {
		// The renderer stopped before the run did (quit, no more input):
		// stop the run as Ctrl-C would, so its journal says where to resume.
		run.Interrupt()
	}
	werr := run.Wait()
	var ti *tui.InterruptedError
	switch {
	case errors.As(rerr, &ti), errors.Is(rerr, tea.ErrInterrupted), ctx.Err() != nil:
		return &InterruptedError{RunID: runID, Err: errors.Join(rerr, werr)}
	case errors.Is(rerr, plain.ErrNoInput):
		return fmt.Errorf("%w; the journal is kept: answer it with `datalayer resume %s`", rerr, runID)
	case werr != nil:
		return fmt.Errorf("run %s failed: %w (the timeline: `datalayer report %s`)", runID, werr, runID)
	case rerr != nil:
		return fmt.Errorf("run %s: %w", runID, rerr)
	}
	return nil
}
