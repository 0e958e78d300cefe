// Package cli is datalayer's command line: the command tree and its flags,
// the configuration, the clients built from it, and the exit codes. main.go
// only sets up the signal context and calls Execute.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/datalayer-tool/datalayer/internal/config"
)

// Exit codes, as the command-line contract gives them.
const (
	ExitOK          = 0   // done
	ExitFailed      = 1   // failed; the reason is on stderr
	ExitUsage       = 2   // bad usage or bad configuration
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM); stderr says how to resume
)

// IO is where a command reads and writes, and what it knows about the terminal.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// OutTerminal is true when Out is a terminal; otherwise --plain is implied.
	OutTerminal bool
	// InTerminal is true when In is a terminal.
	InTerminal bool
	// Env reads the environment; nil means os.Getenv.
	Env func(string) string
	// Now tells the wall time (snapshot ages); nil means time.Now.
	Now func() time.Time
}

// Stdio returns the process's standard streams.
func Stdio() IO {
	return IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		OutTerminal: term.IsTerminal(int(os.Stdout.Fd())),
		InTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		Env:         os.Getenv,
	}
}

// UsageError is a mistake on the command line or in the configuration: exit 2.
type UsageError struct{ Err error }

// Error implements error.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

func usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// InterruptedError says a run stopped on a signal and how to pick it up.
type InterruptedError struct {
	// RunID is the run to resume; empty when nothing was started.
	RunID string
	Err   error
}

// Error implements error.
func (e *InterruptedError) Error() string {
	if e.RunID == "" {
		return "interrupted"
	}
	return fmt.Sprintf("interrupted; the journal is kept: continue with `datalayer resume %s`", e.RunID)
}

// Unwrap returns the underlying error.
func (e *InterruptedError) Unwrap() error { return e.Err }

// ErrInterrupted marks an interruption without a run to resume.
var ErrInterrupted = errors.New("interrupted")

// app carries what every command shares: streams, global flags, the
// configuration once loaded.
type app struct {
	io      IO
	cfgFile string
	flags   config.Flags
	loaded  *config.Loaded
	started bool   // a command's RunE began: errors after this are not usage errors
	pick    picker // the start screen; nil means tui.PickStart
}

// Execute runs the command line args (without the program name) and
// returns the process exit code. ctx is cancelled on SIGINT/SIGTERM.
func Execute(ctx context.Context, args []string, streams IO) int {
	if streams.Env == nil {
		streams.Env = os.Getenv
	}
	if streams.Now == nil {
		streams.Now = time.Now
	}
	a := &app{io: streams}
	root := a.newRoot()
	if args == nil {
		args = []string{} // cobra would read os.Args
	}
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	cmd, err := root.ExecuteContextC(ctx)
	return a.exitCode(ctx, cmd, err)
}

func (a *app) exitCode(ctx context.Context, cmd *cobra.Command, err error) int {
	if err == nil {
		return ExitOK
	}
	w := a.io.Err
	var ue *UsageError
	var ie *InterruptedError
	switch {
	case errors.As(err, &ie):
		fmt.Fprintf(w, "datalayer: %v\n", ie)
		return ExitInterrupted
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, ErrInterrupted)):
		fmt.Fprintln(w, "datalayer: interrupted")
		return ExitInterrupted
	case errors.As(err, &ue) || !a.started:
		fmt.Fprintf(w, "datalayer: %v\n", err)
		name := "datalayer"
		if cmd != nil {
			name = cmd.CommandPath()
		}
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", name)
		return ExitUsage
	default:
		fmt.Fprintf(w, "datalayer: %v\n", err)
		return ExitFailed
	}
}

// run wraps a command's body so that errors from it count as failures, not
// usage errors (cobra's own argument and flag checks run before it).
func (a *app) run(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a.started = true
		return fn(cmd, args)
	}
}

// config loads the configuration once: defaults, file, environment, flags.
func (a *app) config() (config.Loaded, error) {
	if a.loaded != nil {
		return *a.loaded, nil
	}
	l, err := config.Load(config.LoadOptions{File: a.cfgFile, Env: a.io.Env, Flags: a.flags})
	if err != nil {
		return l, &UsageError{Err: err}
	}
	a.loaded = &l
	return l, nil
}

// plainOutput reports whether lines must replace the TUI even without
// --plain: there is no terminal to draw on or to read keys from.
func (a *app) plainOutput() bool {
	return !a.io.OutTerminal || !a.io.InTerminal || a.io.Env("TERM") == "dumb"
}

func (a *app) newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "datalayer",
		Short: "A terminal runbook for a Pulumi-managed AWS RDS Postgres database",
		Long: `datalayer walks you through the data layer's runbooks — deploy, major-version
upgrade and restore from a snapshot — asking the right questions, running each
step, watching AWS live, and refusing anything destructive without a typed
confirmation.

Try it with nothing but Go: every runbook can be rehearsed against a built-in
RDS simulator and a simulated Pulumi engine.`,
		Example: `  # Rehearse a restore against the built-in simulator (no AWS account needed)
  datalayer rehearse restore

  # Print the restore runbook as a markdown checklist for review
  datalayer checklist restore --method console

  # Show the staging instance and its newest snapshots
  datalayer status --stack staging`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Without a subcommand: help, exit 0.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.CompletionOptions.HiddenDefaultCmd = false
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })

	pf := root.PersistentFlags()
	pf.StringVar(&a.cfgFile, "config", "", "config file (default $XDG_CONFIG_HOME/datalayer/config.yaml)")
	pf.StringVar(&a.flags.Region, "region", "", "AWS region (default from AWS_REGION, the config file, or eu-west-2)")
	pf.StringVar(&a.flags.Profile, "profile", "", "AWS shared-config profile; beats exported keys (default: the SDK's choice)")
	pf.StringVar(&a.flags.Endpoint, "endpoint", "", "RDS endpoint URL, e.g. a running datalayer sim (default from AWS_ENDPOINT_URL_RDS or AWS_ENDPOINT_URL)")
	pf.DurationVar(&a.flags.PollInterval, "poll-interval", 0, "how often to ask AWS about what is watched (default 10s)")

	root.AddGroup(
		&cobra.Group{ID: "runbooks", Title: "Runbooks:"},
		&cobra.Group{ID: "review", Title: "Review and inspect:"},
		&cobra.Group{ID: "tools", Title: "Tools:"},
	)
	cmds := []*cobra.Command{a.rehearseCmd()}
	for _, name := range runbookNames {
		cmds = append(cmds, a.runbookCmd(name))
	}
	for _, c := range append(cmds, a.resumeCmd()) {
		c.GroupID = "runbooks"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.checklistCmd(), a.statusCmd(), a.reportCmd()} {
		c.GroupID = "review"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.simCmd(), a.versionCmd()} {
		c.GroupID = "tools"
		root.AddCommand(c)
	}
	root.SetHelpCommandGroupID("tools")
	root.SetCompletionCommandGroupID("tools")
	return root
}

// oneOf checks a flag's value against its allowed values.
func oneOf(flag, value string, allowed ...string) error {
	if value == "" {
		return nil
	}
	for _, v := range allowed {
		if value == v {
			return nil
		}
	}
	return usagef("--%s %q: use one of %s", flag, value, strings.Join(allowed, ", "))
}

// fixedCompletion completes a flag from a fixed list.
func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
