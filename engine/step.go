package engine

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Cond limits a step to one branch of the decision tree: the step runs only
// when variable Var holds one of Values. A variable that is not decided yet
// keeps the step on the path (the checklist shows every branch).
type Cond struct {
	Var    string
	Values []string
}

// String renders the condition for people, e.g. "method is console".
func (c Cond) String() string {
	return c.Var + " is " + strings.Join(c.Values, " or ")
}

// Step is one step of a runbook: what it is, why, and how it is run.
type Step struct {
	ID          string
	Title       string
	Kind        Kind
	Phase       string
	Explanation string // markdown, our own words: what, why, gotchas
	Needs       []string
	Produces    []string
	Destructive bool
	// Commands are what an engineer would type by hand; {var} placeholders
	// are filled from the run's variables when known.
	Commands []string
	// Group names a set of adjacent steps that run at the same time, as the
	// runbook allows (the application config is prepared while the new
	// instance is created). Inside a group a step starts once every variable
	// it Needs is set.
	Group string
	// If restricts the step to a branch; every condition must hold.
	If []Cond
	// Automated, when set on a manual step, says whether the run's options
	// make the task a command the program runs itself (a configured
	// maintenance switch); the step is then shown as an action.
	Automated func(o Options) bool
	// Do runs the step. Nil for steps that only document (checklist only).
	Do func(x *Exec) error
}

// Info returns the step as a renderer sees it.
func (s *Step) Info() StepInfo {
	return StepInfo{
		ID: s.ID, Title: s.Title, Kind: s.Kind, Phase: s.Phase,
		Explanation: s.Explanation, Destructive: s.Destructive,
		Commands: append([]string(nil), s.Commands...),
	}
}

// OnPath reports whether the step is on the path chosen by vars; undecided
// variables keep it on the path.
func (s *Step) OnPath(vars map[string]string) bool {
	for _, c := range s.If {
		v, ok := vars[c.Var]
		if !ok || v == "" {
			continue
		}
		found := false
		for _, want := range c.Values {
			if v == want {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Runbook is an ordered list of steps.
type Runbook struct {
	Name    string // deploy, upgrade, restore
	Title   string
	Summary string
	// Short is one line for the command's --help; Line one line for the
	// start screen's list; Examples are command lines for --help.
	Short    string
	Line     string
	Examples []string
	// Urgent marks the runbook reached for in an incident: the start
	// screen has it selected.
	Urgent bool
	Steps  []*Step
	// Secret declares the variables whose values never reach the journal
	// or a screen (db-host values are secret config). A run hides them
	// and nothing else (a step may also set a secret with Exec.SetSecret).
	Secret []Secret
	// Results renders the run's results for its report from its variables
	// (markdown, "" when there are none); nil for none.
	Results func(info RunInfo, vars map[string]string) string
	// Tables lists the variables holding JSON that Results shows as
	// tables: the report's timeline only names them.
	Tables []string
	// Path derives a checklist's path from its pre-answers (by variable;
	// "" for none): the decided variables, and a note to print with them
	// (a recommendation). Nil: the pre-answers are the path.
	Path func(pre map[string]string) (vars map[string]string, note string)
	// Flags declares the runbook's own options: the pre-answers of its
	// decisions (--lost, --method, --to...) and the settings its steps
	// read (from the command line or the team's configuration). A run
	// accepts no other (Options.Flags), and the command line offers these.
	Flags []Flag
	// Decisions lists the variables chosen by decisions and their possible
	// values, in the order they are asked (for the checklist).
	Decisions []Decision
}

// Secret declares a secret variable of a runbook.
type Secret struct {
	Var string
	// Endpoint says the value is a host name whose first label names a
	// resource (db-host): every host of the same domain (the same account
	// and region) is hidden with it, such as the endpoint of the instance
	// that replaces it.
	Endpoint bool
}

// secret returns the declaration of variable name, nil when it is not
// declared secret.
func (b *Runbook) secret(name string) *Secret {
	for i := range b.Secret {
		if b.Secret[i].Var == name {
			return &b.Secret[i]
		}
	}
	return nil
}

// Decision is a variable chosen by a question of the runbook; a Flag with
// the same Var pre-answers it.
type Decision struct {
	Var    string
	Values []string
}

// Flag declares an option of a runbook.
type Flag struct {
	Name  string // the option's name: --Name on the command line
	Usage string // one line for --help
	// Var is the decision variable the flag pre-answers ("" for a setting
	// the steps read).
	Var string
	// Values are the values allowed (nil: any that Check accepts).
	Values []string
	// Check validates a value given, with every option given (nil:
	// Values only); its error names the flag and says what is wrong.
	Check func(v string, given map[string]string) error
	// Default is the value when none is given ("" for none).
	Default string
	// Config marks a setting from the team's configuration file, not a
	// command-line flag.
	Config bool
}

// Flag returns the declaration of the runbook's option name, nil when it
// has none.
func (b *Runbook) Flag(name string) *Flag {
	for i := range b.Flags {
		if b.Flags[i].Name == name {
			return &b.Flags[i]
		}
	}
	return nil
}

// CheckFlags validates options given to a run of the runbook against its
// declaration: each must be declared, and its value allowed.
func (b *Runbook) CheckFlags(given map[string]string) error {
	var errs []error
	for _, name := range sortedKeys(given) {
		v := given[name]
		f := b.Flag(name)
		if f == nil {
			errs = append(errs, fmt.Errorf("--%s does not apply to the %s runbook", name, b.Name))
			continue
		}
		if v == "" {
			continue
		}
		if len(f.Values) > 0 && !slices.Contains(f.Values, v) {
			errs = append(errs, fmt.Errorf("--%s %q is not one of %s", name, v, strings.Join(f.Values, ", ")))
			continue
		}
		if f.Check != nil {
			if err := f.Check(v, given); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Step returns the step with the given id, or nil.
func (b *Runbook) Step(id string) *Step {
	for _, s := range b.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Validate checks that ids are unique and that every needed variable is
// produced by an earlier step (or by the run's options).
func (b *Runbook) Validate(given ...string) error {
	seen := map[string]bool{}
	produced := map[string]bool{}
	for _, g := range given {
		produced[g] = true
	}
	var errs []error
	for _, s := range b.Steps {
		if seen[s.ID] {
			errs = append(errs, fmt.Errorf("step %q is defined twice", s.ID))
		}
		seen[s.ID] = true
		if s.Kind == KindGate && !s.Destructive {
			// Gates guard destructive work; a gate is itself marked destructive.
			errs = append(errs, fmt.Errorf("gate %q must be marked destructive", s.ID))
		}
		for _, p := range s.Produces {
			produced[p] = true
		}
	}
	// Needs may be produced later inside the same parallel group, so check
	// against everything a runbook produces.
	for _, s := range b.Steps {
		for _, n := range s.Needs {
			if !produced[n] {
				errs = append(errs, fmt.Errorf("step %q needs %q, which no step produces", s.ID, n))
			}
		}
	}
	return errors.Join(errs...)
}

// Infos returns the step list on the path chosen by vars, as a run with
// options o shows it.
func (b *Runbook) Infos(o Options, vars map[string]string) []StepInfo {
	var out []StepInfo
	for _, s := range b.Steps {
		if s.OnPath(vars) {
			info := s.Info()
			if s.Kind == KindManual && s.Automated != nil && s.Automated(o) {
				info.Kind = KindAction
			}
			out = append(out, info)
		}
	}
	return out
}

// Var is a run variable.
type Var struct {
	Value  string
	Secret bool
}

// SkipError ends a step as skipped rather than failed (a manual step skipped
// with a reason, a check that does not apply).
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns an error that ends the step as skipped with the reason.
func Skip(format string, args ...any) error {
	return &SkipError{Reason: fmt.Sprintf(format, args...)}
}

// StopError ends the run early but successfully: the path chosen needs
// nothing more from the tool (e.g. no restore at all).
type StopError struct{ Reason string }

func (e *StopError) Error() string { return "stopped: " + e.Reason }

// ErrNotConfirmed is returned when a gate was answered with anything but the
// exact text it asked for.
var ErrNotConfirmed = errors.New("not confirmed")

// fill replaces {var} placeholders in s with known, non-secret values.
func fill(s string, vars map[string]string) string { return Fill(s, vars) }

// Fill replaces the {var} placeholders of s whose variable vars holds and
// leaves the others as they are. Renderers use it on StepInfo.Commands with
// the run's known variables; never pass it a secret value.
func Fill(s string, vars map[string]string) string {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s = strings.ReplaceAll(s, "{"+k+"}", vars[k])
	}
	return s
}

// ManualStep is a task for a person: the run asks for it to be ticked off
// (with a note) or skipped with a reason.
func ManualStep(id, title, phase, explanation string, conds []Cond, commands ...string) *Step {
	return &Step{
		ID: id, Title: title, Kind: KindManual, Phase: phase, If: conds, Explanation: explanation, Commands: commands,
		Do: func(x *Exec) error {
			_, err := x.Manual("done", title, explanation)
			return err
		},
	}
}
