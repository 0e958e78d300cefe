// Package tui is the terminal face of a datalayer run: an identity banner,
// huh forms for decisions, the step list with live AWS and Pulumi progress,
// typed-confirmation gates, manual checklist steps and a scrollable log. It
// reads a engine.Session and never calls AWS or Pulumi itself.
package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
)

// Options tunes Run. The zero value is fine: stdin/stdout, colours unless
// NO_COLOR is set, the alternate screen, the wall clock.
type Options struct {
	Input  io.Reader // default os.Stdin
	Output io.Writer // default os.Stdout
	// NoColor turns colours off. Run also turns them off when the NO_COLOR
	// environment variable is set to anything. Otherwise colours follow the
	// terminal's profile (true colour, 256, 16), which the program detects.
	NoColor bool
	// NoAltScreen draws inline instead of on the alternate screen, so the
	// last frame stays in the terminal's scrollback.
	NoAltScreen bool
	// Clock should be the engine's clock, so elapsed times and poll ages
	// agree with the events' timestamps and come out in AWS time (a
	// rehearsal's clock plays AWS durations faster).
	Clock clock.Clock
	// TickInterval is how often elapsed times refresh (wall time); default
	// one second, negative for never.
	TickInterval time.Duration
	// Location is the time zone of log timestamps; default local time.
	Location *time.Location
	Theme    Theme
	// Summary receives one closing line after the UI has gone (default
	// Output); the reason of a failure is left to the caller.
	Summary io.Writer
}

func (o Options) withDefaults() Options {
	if o.Input == nil {
		o.Input = os.Stdin
	}
	if o.Output == nil {
		o.Output = os.Stdout
	}
	if o.Summary == nil {
		o.Summary = o.Output
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.TickInterval == 0 {
		o.TickInterval = time.Second
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Theme == (Theme{}) {
		o.Theme = DefaultTheme()
	}
	return o
}

// ErrRunFailed is wrapped by the error Run returns when the run failed.
var ErrRunFailed = errors.New("run failed")

// InterruptedError is returned by Run when the person quit before the run
// finished, or the context was cancelled. It matches tea.ErrInterrupted with
// errors.Is, so callers can exit with status 130.
type InterruptedError struct {
	RunID string
	Cause error
}

// Error says how to come back.
func (e *InterruptedError) Error() string {
	return "interrupted; continue with: datalayer resume " + e.RunID
}

// Unwrap returns tea.ErrInterrupted and the cause.
func (e *InterruptedError) Unwrap() []error {
	if e.Cause == nil || errors.Is(e.Cause, tea.ErrInterrupted) {
		return []error{tea.ErrInterrupted}
	}
	return []error{tea.ErrInterrupted, e.Cause}
}

// Run shows the session until the run ends and the person closes the
// screen, or until they quit. It returns nil when the run finished, an error
// wrapping ErrRunFailed when it failed, and an *InterruptedError (which
// matches tea.ErrInterrupted) when they quit early or ctx was cancelled.
func Run(ctx context.Context, s engine.Session, opts Options) error {
	opts = runOptions(opts)
	m := New(ctx, s, opts)
	final, err := tea.NewProgram(m, programOptions(ctx, opts)...).Run()
	if fm, ok := final.(*Model); ok && fm != nil {
		m = fm
	}
	return result(m, err, opts.Summary)
}

// runOptions are the options Run works with: NO_COLOR (set to anything)
// turns colours off, then the defaults.
func runOptions(opts Options) Options {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		opts.NoColor = true
	}
	return opts.withDefaults()
}

// programOptions are the bubbletea options of Run's program. The colour
// profile is the one bubbletea detects from the output and the environment
// (which honours NO_COLOR too), or none at all with NoColor.
func programOptions(ctx context.Context, opts Options) []tea.ProgramOption {
	popts := []tea.ProgramOption{
		tea.WithContext(ctx),
		tea.WithInput(opts.Input),
		tea.WithOutput(opts.Output),
	}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	return popts
}

// result turns the end of the program into Run's error.
func result(m *Model, err error, summary io.Writer) error {
	runID := m.run.Info.RunID
	switch {
	case err != nil && (errors.Is(err, tea.ErrInterrupted) || errors.Is(err, tea.ErrProgramKilled)):
		if m.run.Finished {
			break
		}
		return &InterruptedError{RunID: runID, Cause: err}
	case err != nil:
		return fmt.Errorf("tui: %w", err)
	case !m.run.Finished:
		return &InterruptedError{RunID: runID}
	}
	if m.run.Failure != "" {
		return fmt.Errorf("tui: run %s: %w: %s", runID, ErrRunFailed, m.run.Failure)
	}
	fmt.Fprintf(summary, "datalayer: run %s finished. Timeline: datalayer report %s\n", runID, runID)
	return nil
}
