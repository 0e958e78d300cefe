package runbooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
)

// The values of the restore wizard's first two questions, as it offers
// them: the flags that pre-answer them accept exactly these.
var (
	lostValues   = []string{"whole", "critical", "isolated", "none"}
	methodValues = []string{"pulumi", "console", "none"}
)

// restoreFlags are the restore's options: the pre-answers of its wizard and
// the team's settings it reads.
var restoreFlags = []engine.Flag{
	{Name: "lost", Var: "lost", Values: lostValues,
		Usage: "what was lost: whole, critical, isolated or none (default: the wizard asks)"},
	{Name: "method", Var: "method", Values: methodValues,
		Usage: "restore method: pulumi, console or none (default: the wizard asks)"},
	{Name: "to", Var: "damage-time", Check: checkTo,
		Usage: "restore to a point in time: a UTC time (2026-12-02T14:01:00Z), latest, or how long ago (20m, 1h30m); default: the wizard asks"},
	{Name: "instance", Check: checkInstanceName,
		Usage: "the instance to restore when the stack's state no longer holds it (deleted, then dropped by a refresh); default: the application's db-host"},
	{Name: "snapshot", Var: "snapshot",
		Usage: "the snapshot to restore from (default: the wizard lists them, newest first)"},
	{Name: "app-deploy", Config: true, Values: []string{"ci", "up"}, Default: "ci",
		Usage: "how the application layer is redeployed after a Pulumi restore: ci (a manual step) or up (behind a gate)"},
	{Name: "maintenance-command", Config: true, Check: checkArgv,
		Usage: "the command that flips maintenance mode (a JSON list; \"on\" or \"off\" is appended); none: a manual step"},
}

// upgradeFlags are the upgrade's options.
var upgradeFlags = []engine.Flag{
	{Name: "target", Var: "target",
		Usage: "the major version to upgrade to, one of AWS's valid targets (default: the wizard lists them)"},
	{Name: "spot-checks-file", Config: true, Usage: "YAML list of name/sql for the EXPLAIN ANALYZE spot checks"},
	{Name: "spot-checks-url-env", Config: true, Usage: "the environment variable holding the database URL"},
	{Name: "spot-checks-threshold", Config: true, Check: checkFloat, Usage: "the slowdown ratio flagged"},
	{Name: "spot-checks-timeout", Config: true, Check: checkDuration, Usage: "the statement timeout of each spot check"},
}

// checkTo checks --to before anything runs: its format, and that it does
// not also name a snapshot (the time itself is resolved against the run's
// clock when the wizard reaches it, and one in the future is told there).
func checkTo(v string, given map[string]string) error {
	if given["snapshot"] != "" {
		return errors.New("--to and --snapshot both name the restore point: give one of them")
	}
	_, _, err := ParseRestorePoint(v, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	return err
}

func checkInstanceName(v string, _ map[string]string) error {
	if err := awsclient.ValidateInstanceID(v); err != nil {
		return fmt.Errorf("--instance: %w", err)
	}
	return nil
}

func checkArgv(v string, _ map[string]string) error {
	var argv []string
	if err := json.Unmarshal([]byte(v), &argv); err != nil || len(argv) == 0 {
		return fmt.Errorf("maintenance command %q is not a JSON list of the command and its arguments", v)
	}
	return nil
}

func checkFloat(v string, _ map[string]string) error {
	if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
		return fmt.Errorf("spot-checks threshold %q is not a number of 0 or more", v)
	}
	return nil
}

func checkDuration(v string, _ map[string]string) error {
	if d, err := time.ParseDuration(v); err != nil || d < 0 {
		return fmt.Errorf("spot-checks timeout %q is not a duration such as 30s", v)
	}
	return nil
}

// maintenanceCommand is the configured maintenance switch, nil for none.
func maintenanceCommand(o engine.Options) []string {
	var argv []string
	_ = json.Unmarshal([]byte(o.Flag("maintenance-command")), &argv)
	return argv
}

// SpotCheckOptions configure the upgrade's EXPLAIN ANALYZE spot checks.
type SpotCheckOptions struct {
	QueriesFile string // YAML list of name/sql; "" for none
	URLEnv      string // the environment variable holding the database URL
	Threshold   float64
	Timeout     time.Duration
}

// spotChecks reads the spot checks' settings from the run's options.
func spotChecks(o engine.Options) SpotCheckOptions {
	s := SpotCheckOptions{QueriesFile: o.Flag("spot-checks-file"), URLEnv: o.Flag("spot-checks-url-env")}
	s.Threshold, _ = strconv.ParseFloat(o.Flag("spot-checks-threshold"), 64)
	s.Timeout, _ = time.ParseDuration(o.Flag("spot-checks-timeout"))
	return s
}

// Settings are the team's configuration of the runbooks, by flag name;
// values "" are not set.
type Settings struct {
	AppDeploy          string
	MaintenanceCommand []string
	SpotChecks         SpotCheckOptions
}

// WithSettings returns o with the settings its runbook declares (a deploy
// takes none of the restore's); an unknown runbook is an error.
func WithSettings(o engine.Options, s Settings) (engine.Options, error) {
	book, err := Get(o.Runbook)
	if err != nil {
		return o, err
	}
	set := map[string]string{
		"app-deploy":          s.AppDeploy,
		"spot-checks-file":    s.SpotChecks.QueriesFile,
		"spot-checks-url-env": s.SpotChecks.URLEnv,
	}
	if len(s.MaintenanceCommand) > 0 {
		b, _ := json.Marshal(s.MaintenanceCommand)
		set["maintenance-command"] = string(b)
	}
	if s.SpotChecks.Threshold > 0 {
		set["spot-checks-threshold"] = strconv.FormatFloat(s.SpotChecks.Threshold, 'g', -1, 64)
	}
	if s.SpotChecks.Timeout > 0 {
		set["spot-checks-timeout"] = s.SpotChecks.Timeout.String()
	}
	for name, v := range set {
		if f := book.Flag(name); f != nil && f.Config && v != "" {
			o = o.WithFlag(name, v)
		}
	}
	if err := book.CheckFlags(o.Flags); err != nil {
		return o, fmt.Errorf("configuration: %w", err)
	}
	return o, nil
}

// CommandLineFlags lists the options of the runbooks that the command line
// offers (the configuration sets the others), each once, in the runbooks'
// order, with the runbooks that take it.
func CommandLineFlags() []CommandLineFlag {
	var out []CommandLineFlag
	idx := map[string]int{}
	for _, f := range registry {
		b := f()
		for _, fl := range b.Flags {
			if fl.Config {
				continue
			}
			if i, ok := idx[fl.Name]; ok {
				out[i].Runbooks = append(out[i].Runbooks, b.Name)
				continue
			}
			idx[fl.Name] = len(out)
			out = append(out, CommandLineFlag{Flag: fl, Runbooks: []string{b.Name}})
		}
	}
	return out
}

// CommandLineFlag is a runbook option the command line offers.
type CommandLineFlag struct {
	engine.Flag
	Runbooks []string // the runbooks that take it
}
