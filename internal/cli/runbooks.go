package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/rehearsal"
	"github.com/datalayer-tool/datalayer/runbooks"
)

var runbookNames = runbooks.Names()

// runbookList names the runbooks for people: "deploy, upgrade or restore".
func runbookList(last string) string {
	n := runbookNames
	if len(n) == 1 {
		return n[0]
	}
	return strings.Join(n[:len(n)-1], ", ") + " " + last + " " + n[len(n)-1]
}

// runRequest is one runbook run as the command line asks for it.
type runRequest struct {
	Runbook   string
	Stack     string
	Rehearsal bool
	// flags are the runbooks' own options (--lost, --method, --to,
	// --target...), registered from their declarations; Flags returns the
	// ones given.
	flags map[string]*string
	// Answers pre-answer prompts: --answer ID=VALUE.
	Answers  []string
	Scenario string
	Speed    float64
	Engine   string // rehearse: sim (default) or pulumi
	Yes      bool
	Plain    bool
}

// Flags returns the runbook options given on the command line.
func (r runRequest) Flags() map[string]string {
	m := map[string]string{}
	for name, v := range r.flags {
		if v != nil && *v != "" {
			m[name] = *v
		}
	}
	return m
}

// answers returns the --answer pre-answers by prompt id.
func (r runRequest) answers() (map[string]string, error) {
	m := map[string]string{}
	for _, a := range r.Answers {
		id, v, ok := strings.Cut(a, "=")
		if !ok || id == "" || v == "" {
			return nil, usagef("--answer %q: give ID=VALUE, e.g. --answer maintenance=on (the prompt ids are in `datalayer checklist`)", a)
		}
		m[id] = v
	}
	return m, nil
}

// check validates the runbook's options given against its declaration,
// with the engine's own check: the command line and a run cannot disagree.
func (r runRequest) check() error {
	book, err := runbooks.Get(r.Runbook)
	if err != nil {
		return &UsageError{Err: err}
	}
	given := r.Flags()
	for _, f := range runbooks.CommandLineFlags() {
		if given[f.Name] != "" && book.Flag(f.Name) == nil {
			return usagef("--%s belongs to the %s runbook, not %s", f.Name, strings.Join(f.Runbooks, " and "), r.Runbook)
		}
	}
	if err := book.CheckFlags(given); err != nil {
		return &UsageError{Err: err}
	}
	_, err = r.answers()
	return err
}

// addRunbookFlags offers on cmd the command-line options the runbooks
// declare (only runbook's when it is not ""), and --answer for a run.
func addRunbookFlags(cmd *cobra.Command, req *runRequest, runbook string, run bool) {
	req.flags = map[string]*string{}
	for _, f := range runbooks.CommandLineFlags() {
		if runbook != "" && !slices.Contains(f.Runbooks, runbook) {
			continue
		}
		usage := f.Usage
		if runbook == "" {
			usage += " [" + strings.Join(f.Runbooks, ", ") + "]"
		}
		req.flags[f.Name] = cmd.Flags().String(f.Name, "", usage)
		if len(f.Values) > 0 {
			_ = cmd.RegisterFlagCompletionFunc(f.Name, fixedCompletion(f.Values...))
		}
	}
	if run {
		cmd.Flags().StringArrayVar(&req.Answers, "answer", nil, "pre-answer a question by its prompt id, e.g. --answer maintenance/maintenance=on (repeatable)")
	}
}

func runbookArg(_ *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("name one runbook: %s", runbookList("or"))
	}
	return checkRunbook(args)
}

// optionalRunbookArg accepts no runbook (the start screen asks) or one.
func optionalRunbookArg(_ *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return checkRunbook(args)
}

func checkRunbook(args []string) error {
	if len(args) != 1 {
		return usagef("name one runbook: %s", runbookList("or"))
	}
	if err := oneOf("runbook", args[0], runbookNames...); err != nil {
		return usagef("unknown runbook %q: use %s", args[0], runbookList("or"))
	}
	return nil
}

func (a *app) rehearseCmd() *cobra.Command {
	req := runRequest{Rehearsal: true}
	cmd := &cobra.Command{
		Use:   "rehearse [" + strings.Join(runbookNames, "|") + "]",
		Short: "Rehearse a runbook against the built-in simulator (no AWS, no Pulumi needed)",
		Long: `Run a whole runbook against the built-in RDS simulator and the simulated Pulumi
engine, with realistic AWS timings shrunk by --speed. No credentials, no
pulumi CLI, nothing outside this binary. Step timings are recorded, in AWS
time, for the real run's "expected vs elapsed". Without a runbook, on a
terminal, a start screen asks which one.

With --engine pulumi the stacks run on a real pulumi CLI (from PATH, or the
config's pulumi.binary) through the same code as a real run, with datalayer
serving the simulated AWS provider: a local file backend, a temporary
PULUMI_HOME and plugins given by path, all inside the rehearsal's state
directory; nothing is downloaded and nothing talks to real AWS. The program is
Main.yaml, the YAML equivalent of the team's index.ts (the pulumi CLI runs it
with its YAML language host).

` + scenarioHelp(),
		Example: `  datalayer rehearse restore
  datalayer rehearse restore --method console --lost isolated
  datalayer rehearse restore --lost critical --to 20m --plain --yes
  datalayer rehearse upgrade --scenario upgrade-precheck-fails
  datalayer rehearse deploy --plain --yes --speed 600
  datalayer rehearse restore --engine pulumi --method pulumi`,
		Args:      optionalRunbookArg,
		ValidArgs: runbookNames,
		PreRunE: func(*cobra.Command, []string) error {
			if err := checkScenario(req.Scenario); err != nil {
				return err
			}
			if err := oneOf("engine", req.Engine, rehearsal.Engines()...); err != nil {
				return err
			}
			return checkSpeed(req.Speed)
		},
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				req.Runbook = args[0]
			} else if err := a.fillFromStartScreen(cmd.Context(), &req, true); err != nil {
				return err
			}
			if err := req.check(); err != nil {
				return err
			}
			req.Plain = req.Plain || a.plainOutput()
			return a.launch(cmd.Context(), req)
		}),
	}
	f := cmd.Flags()
	addRunbookFlags(cmd, &req, "", true)
	f.StringVar(&req.Scenario, "scenario", "default", "simulator fault scenario")
	f.Float64Var(&req.Speed, "speed", rehearsal.DefaultSpeed, "AWS operations take 1/N of their real duration; timestamps stay on the wall clock")
	f.StringVar(&req.Engine, "engine", rehearsal.EngineSim, "Pulumi engine: sim (built in) or pulumi (a real pulumi CLI with datalayer's simulated AWS provider)")
	f.BoolVar(&req.Plain, "plain", false, "line output instead of the full-screen UI (automatic when stdout is not a terminal)")
	f.BoolVar(&req.Yes, "yes", false, "answer gates and decisions with the recommended choice")
	_ = cmd.RegisterFlagCompletionFunc("scenario", fixedCompletion(scenarioNames()...))
	_ = cmd.RegisterFlagCompletionFunc("engine", fixedCompletion(rehearsal.Engines()...))
	return cmd
}

func (a *app) runbookCmd(name string) *cobra.Command {
	req := runRequest{Runbook: name}
	book, _ := runbooks.Get(name) // name comes from runbooks.Names
	short := book.Short
	example := "  " + strings.Join(book.Examples, "\n  ")
	cmd := &cobra.Command{
		Use:   name + " --stack NAME",
		Short: short,
		Long: short + `.

This runs against real AWS and the real pulumi CLI, with the credentials the
AWS SDK finds (shown first, with the account and principal). Every destructive
step asks for a typed confirmation; on a production stack --yes is refused.
Without --stack, on a terminal, a start screen asks which stack.`,
		Example: example,
		Args:    cobra.NoArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			if err := req.check(); err != nil {
				return err
			}
			if err := a.fillFromStartScreen(cmd.Context(), &req, false); err != nil {
				return err
			}
			l, err := a.config()
			if err != nil {
				return err
			}
			st, err := l.Stack(req.Stack)
			if err != nil {
				return &UsageError{Err: err}
			}
			if req.Yes && st.Production {
				return usagef("--yes is never accepted on the production stack %s: each destructive step needs its typed confirmation", st.Name)
			}
			req.Stack = st.Name
			req.Plain = req.Plain || a.plainOutput()
			return a.launch(cmd.Context(), req)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&req.Stack, "stack", "", "the stack to act on, e.g. staging or production (default: the start screen asks)")
	_ = cmd.RegisterFlagCompletionFunc("stack", a.completeStacks)
	addRunbookFlags(cmd, &req, name, true)
	f.BoolVar(&req.Plain, "plain", false, "line output instead of the full-screen UI (automatic when stdout is not a terminal)")
	f.BoolVar(&req.Yes, "yes", false, "answer gates by themselves; refused on production")
	return cmd
}

func (a *app) resumeCmd() *cobra.Command {
	var plain, yes bool
	cmd := &cobra.Command{
		Use:   "resume [RUN_ID]",
		Short: "Continue an interrupted run from its journal",
		Long: `Continue a run that was interrupted (Ctrl-C, a lost terminal, a killed process)
from its journal, without issuing any operation twice. Without RUN_ID, the
newest unfinished run is resumed.`,
		Example: `  datalayer resume
  datalayer resume 20261125-2203-restore-staging --plain`,
		Args: cobra.MaximumNArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			return a.resume(cmd.Context(), id, yes, plain || a.plainOutput())
		}),
	}
	cmd.Flags().BoolVar(&plain, "plain", false, "line output instead of the full-screen UI")
	cmd.Flags().BoolVar(&yes, "yes", false, "answer gates by themselves (rehearsals and non-production stacks only)")
	return cmd
}

func (a *app) reportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report [RUN_ID|latest]",
		Short: "Print a run's timeline as markdown",
		Long:  "Print a run's timeline from its journal as markdown: each step, how long it took, what was decided and answered, and what AWS showed.",
		Example: `  datalayer report
  datalayer report latest > restore-rehearsal.md`,
		Args: cobra.MaximumNArgs(1),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			l, err := a.config()
			if err != nil {
				return err
			}
			id := "latest"
			if len(args) == 1 {
				id = args[0]
			}
			run, err := engine.FindRun(l.StateDir, id, false)
			if err != nil {
				return fmt.Errorf("report: %w", err)
			}
			events, err := engine.ReadJournalFile(run.Path)
			var damaged *engine.JournalError
			switch {
			case errors.As(err, &damaged) && len(events) > 0:
				// Every readable record is shown; the damage is named.
				fmt.Fprintf(cmd.ErrOrStderr(), "datalayer: report: %v\n", err)
			case err != nil:
				return fmt.Errorf("report: %w", err)
			}
			_, err = io.WriteString(cmd.OutOrStdout(), runbooks.Report(events))
			return err
		}),
	}
	return cmd
}

func (a *app) checklistCmd() *cobra.Command {
	req := runRequest{}
	cmd := &cobra.Command{
		Use:   "checklist {" + strings.Join(runbookNames, "|") + "}",
		Short: "Print a runbook as a markdown checklist (nothing is executed)",
		Long: `Print the whole path of a runbook as a markdown checklist, with what each step
does, why, and the commands an engineer would type by hand. No AWS, no Pulumi:
for review before an incident, or for a change request.`,
		Example: `  datalayer checklist deploy
  datalayer checklist restore --method console --lost isolated > restore.md
  datalayer checklist restore --method pulumi --to 2026-12-02T14:01:00Z
  datalayer checklist upgrade --stack production`,
		Args:      runbookArg,
		ValidArgs: runbookNames,
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			req.Runbook = args[0]
			if err := req.check(); err != nil {
				return err
			}
			md, err := runbooks.Checklist(req.Runbook, runbooks.ChecklistOptions{Stack: req.Stack, Flags: req.Flags()})
			if err != nil {
				return &UsageError{Err: fmt.Errorf("checklist: %w", err)}
			}
			_, err = io.WriteString(cmd.OutOrStdout(), md)
			return err
		}),
	}
	cmd.Flags().StringVar(&req.Stack, "stack", "", "the stack name to write into the commands (default <stack>)")
	addRunbookFlags(cmd, &req, "", false)
	return cmd
}

// launch starts a run and shows it.
func (a *app) launch(ctx context.Context, req runRequest) error {
	if ctx.Err() != nil {
		return errors.Join(ErrInterrupted, ctx.Err())
	}
	l, err := a.config()
	if err != nil {
		return err
	}
	opts, err := engineOptions(req, l)
	if err != nil {
		return err
	}
	if req.Rehearsal {
		run, world, err := rehearsal.StartOn(ctx, opts, rehearsal.Engine{Name: req.Engine, Pulumi: l.Pulumi.Binary})
		if errors.Is(err, rehearsal.ErrNoPulumi) {
			return &UsageError{Err: fmt.Errorf("rehearse --engine pulumi: %w", err)}
		}
		if err != nil {
			return fmt.Errorf("rehearse: %w", err)
		}
		defer func() { _ = world.Close() }()
		run.Start(ctx)
		return a.show(ctx, run, world.Clock, req.Plain)
	}
	deps, stop, err := a.realDeps(ctx, l, req.Stack)
	if err != nil {
		return err
	}
	defer stop()
	run, err := runbooks.NewRun(opts, deps)
	var locked *engine.LockedError
	switch {
	case errors.As(err, &locked):
		return err // another run holds the stack: not a usage error
	case err != nil:
		return &UsageError{Err: err}
	}
	run.Start(ctx)
	return a.show(ctx, run, clock.Real{}, req.Plain)
}

// resume picks up a run from its journal with the clients it ran with.
func (a *app) resume(ctx context.Context, runID string, yes, plainOut bool) error {
	l, err := a.config()
	if err != nil {
		return err
	}
	info, err := engine.PeekRun(l.StateDir, runID)
	if err != nil {
		return err
	}
	if info.Rehearsal {
		run, world, err := rehearsal.ResumeWith(ctx, l.StateDir, info.RunID, yes, l.Pulumi.Binary)
		if err != nil {
			return err
		}
		defer func() { _ = world.Close() }()
		run.Start(ctx)
		return a.show(ctx, run, world.Clock, plainOut)
	}
	if yes && isProduction(l.Config, info.Stack) {
		return usagef("--yes is never accepted on the production stack %s", info.Stack)
	}
	deps, stop, err := a.realDeps(ctx, l, info.Stack)
	if err != nil {
		return err
	}
	defer stop()
	run, err := runbooks.Resume(l.StateDir, info.RunID, deps, yes)
	if err != nil {
		return err
	}
	run.Start(ctx)
	return a.show(ctx, run, clock.Real{}, plainOut)
}
