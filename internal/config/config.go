// Package config holds datalayer's settings: defaults that fit the team the
// source runbook was written for, overridden by a YAML file, then by the
// environment, then by command-line flags. Every problem is reported with the
// path of the field at fault.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Config is the whole configuration.
type Config struct {
	// Region is the AWS region the stacks live in.
	Region string `yaml:"region"`
	// Profile is a shared-config profile to use. Empty leaves the choice to
	// the AWS SDK (AWS_PROFILE, env keys, "default"), which is what the
	// runbook's credential gotcha is about: a profile named here wins over
	// exported keys.
	Profile string `yaml:"profile"`
	// Endpoint overrides the RDS endpoint, e.g. a running `datalayer sim`.
	Endpoint string `yaml:"endpoint"`
	// PollInterval is how often AWS is asked about what is being watched.
	PollInterval Duration `yaml:"poll_interval"`
	// StateDir holds journals and rehearsal timings.
	StateDir string `yaml:"state_dir"`

	// Data is the Pulumi program that owns the RDS instance.
	Data Program `yaml:"data"`
	// Application is the Pulumi program that points at the database.
	Application Application `yaml:"application"`
	// Stacks lists the stacks both programs are deployed to.
	Stacks []Stack `yaml:"stacks"`
	// Tables classifies the tables for the restore wizard.
	Tables Tables `yaml:"tables"`
	// MaintenanceMode says how the application goes into maintenance.
	MaintenanceMode MaintenanceMode `yaml:"maintenance_mode"`
	// Pulumi holds Pulumi CLI settings; PULUMI_* variables override them.
	Pulumi Pulumi `yaml:"pulumi"`
	// Upgrade holds settings of the major-version upgrade runbook.
	Upgrade Upgrade `yaml:"upgrade"`
}

// Upgrade holds settings of the major-version upgrade runbook.
type Upgrade struct {
	// SpotChecks are the EXPLAIN ANALYZE queries run before and after.
	SpotChecks SpotChecks `yaml:"spot_checks"`
}

// SpotChecks configures the EXPLAIN ANALYZE spot checks of an upgrade.
type SpotChecks struct {
	// QueriesFile is a YAML list of `- name: ...` / `sql: ...` entries,
	// relative to the directory datalayer runs in; empty: no file (results
	// can still be pasted).
	QueriesFile string `yaml:"queries_file"`
	// DatabaseURLEnv names the environment variable that holds the database
	// URL; the URL itself is never written anywhere.
	DatabaseURLEnv string `yaml:"database_url_env"`
	// SlowdownThreshold flags a query whose execution time grew by more
	// than this factor.
	SlowdownThreshold float64 `yaml:"slowdown_threshold"`
	// StatementTimeout bounds each query.
	StatementTimeout Duration `yaml:"statement_timeout"`
}

// Program is a Pulumi program on disk.
type Program struct {
	// Dir is the program's directory, relative to the repository root or absolute.
	Dir string `yaml:"dir"`
	// Project is the Pulumi project name (Pulumi.yaml's name).
	Project string `yaml:"project"`
}

// Application is the application program and how it learns the database host.
type Application struct {
	Program `yaml:",inline"`
	// ConfigKey is the config key that holds the database host, without the
	// project namespace ("db-host" means "<project>:db-host").
	ConfigKey string `yaml:"config_key"`
	// Deploy is how the application is redeployed after a restore: "ci" (a
	// person merges or runs the workflow; datalayer watches the stack) or
	// "up" (datalayer runs `up` on the application stack behind a gate).
	Deploy string `yaml:"deploy"`
}

// Stack is one deployment target.
type Stack struct {
	// Name is the Pulumi stack name, e.g. "staging" or "org/data/production".
	Name string `yaml:"name"`
	// Production marks a stack where --yes never answers a gate and every
	// destructive step needs the stack's name typed.
	Production bool `yaml:"production"`
	// Account is the AWS account id the stack must run in; empty skips the check.
	Account string `yaml:"account"`
	// Instance is the stack's RDS instance identifier, for `status --stack`
	// without reading Pulumi state; empty reads it from the stack.
	Instance string `yaml:"instance"`
}

// Tables names the tables the restore wizard asks about.
type Tables struct {
	// Critical tables take the whole product down when lost: restore with
	// Pulumi, maintenance mode on.
	Critical []string `yaml:"critical"`
	// Isolated tables serve one feature or hold logs: restore beside the
	// database and repair table by table.
	Isolated []string `yaml:"isolated"`
	// NightlySynced tables are copied from production to staging every
	// night and can be re-imported instead of restored.
	NightlySynced []string `yaml:"nightly_synced"`
}

// MaintenanceMode holds the command that switches maintenance mode; an empty
// command makes it a manual step.
type MaintenanceMode struct {
	// Command is run with "on" or "off" appended, e.g. "./scripts/maintenance"
	// runs "./scripts/maintenance on". Words are split on spaces; quote
	// nothing.
	Command string `yaml:"command"`
}

// Manual reports whether maintenance mode is a step for a person.
func (m MaintenanceMode) Manual() bool { return strings.TrimSpace(m.Command) == "" }

// Argv returns the command split into words, nil when manual.
func (m MaintenanceMode) Argv() []string {
	if m.Manual() {
		return nil
	}
	return strings.Fields(m.Command)
}

// Pulumi holds settings for the Pulumi CLI.
type Pulumi struct {
	// BackendURL is the state backend; empty uses the CLI's login.
	BackendURL string `yaml:"backend_url"`
	// Binary is the pulumi CLI to run; empty finds it on PATH.
	Binary string `yaml:"binary"`
	// InterruptGrace is how long a `pulumi up` interrupted by Ctrl-C may
	// take to stop (its in-flight operations finish, the lock is released)
	// before datalayer kills it, leaving the lock and pending operations.
	InterruptGrace Duration `yaml:"interrupt_grace"`
}

// Duration is a time.Duration written as "10s" or "1m30s".
type Duration time.Duration

// String formats the duration like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// Duration returns the value as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// MarshalYAML writes the duration as text, the way Parse reads it.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Default returns the configuration that fits the source runbook's team.
func Default() Config {
	return Config{
		Region:       "eu-west-2",
		PollInterval: Duration(10 * time.Second),
		Pulumi:       Pulumi{InterruptGrace: Duration(30 * time.Second)},
		Data:         Program{Dir: "infrastructure/data", Project: "data"},
		Application: Application{
			Program:   Program{Dir: "infrastructure/application", Project: "application"},
			ConfigKey: "db-host",
			Deploy:    "ci",
		},
		Stacks: []Stack{
			{Name: "staging"},
			{Name: "production", Production: true},
		},
		Upgrade: Upgrade{SpotChecks: SpotChecks{
			DatabaseURLEnv:    "DATALAYER_DATABASE_URL",
			SlowdownThreshold: 1.5,
			StatementTimeout:  Duration(30 * time.Second),
		}},
		Tables: Tables{
			Critical:      []string{"flows", "teams", "users", "lowcal_sessions"},
			Isolated:      []string{"feedback", "analytics", "audit_logs"},
			NightlySynced: []string{"teams"},
		},
	}
}

// Stack returns the named stack, or an error that lists the known ones.
func (c Config) Stack(name string) (Stack, error) {
	for _, s := range c.Stacks {
		if s.Name == name || shortStackName(s.Name) == name {
			return s, nil
		}
	}
	names := make([]string, len(c.Stacks))
	for i, s := range c.Stacks {
		names[i] = s.Name
	}
	return Stack{}, fmt.Errorf("unknown stack %q: configured stacks are %s; add it under stacks: in the config file", name, strings.Join(names, ", "))
}

// FullConfigKey returns the application's full config key, e.g. "application:db-host".
func (a Application) FullConfigKey() string {
	if strings.Contains(a.ConfigKey, ":") {
		return a.ConfigKey
	}
	return a.Project + ":" + a.ConfigKey
}

func shortStackName(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[i+1:]
	}
	return name
}

// FieldError is a problem with one configuration field.
type FieldError struct {
	// Path is the field's path, e.g. "stacks[1].name".
	Path string
	// Source says where the value came from: a file, a variable or a flag.
	Source string
	// Problem says what is wrong and what to do.
	Problem string
}

// Error implements error.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	b.WriteString(e.Path)
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

var (
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]{1,2}$`)
	stackPartRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	projectRE   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
	configKeyRE = regexp.MustCompile(`^([A-Za-z0-9_.-]+:)?[A-Za-z0-9_.-]+$`)
	tableRE     = regexp.MustCompile(`^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$`)
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	profileRE   = regexp.MustCompile(`^[A-Za-z0-9_.@+=,-]+$`)
	instanceRE  = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9]|-[a-zA-Z0-9]){0,62}$`)
)

// ValidateStackName checks a Pulumi stack name: "stack", "org/stack" or
// "org/project/stack", each part letters, digits, '-', '_' or '.'.
func ValidateStackName(name string) error {
	if name == "" {
		return errors.New("is empty; give a stack name such as staging")
	}
	if len(name) > 100 {
		return fmt.Errorf("is %d characters long; Pulumi allows at most 100", len(name))
	}
	parts := strings.Split(name, "/")
	if len(parts) > 3 {
		return fmt.Errorf("%q has too many '/': use stack, org/stack or org/project/stack", name)
	}
	for _, p := range parts {
		if !stackPartRE.MatchString(p) {
			return fmt.Errorf("%q is not a valid stack name: use letters, digits, '-', '_' and '.', with '/' only between org, project and stack", name)
		}
	}
	return nil
}

// Validate checks every field and returns all the problems found, joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
	}
	if !regionRE.MatchString(c.Region) {
		bad("region", "%q is not an AWS region name such as eu-west-2", c.Region)
	}
	if c.Profile != "" && !profileRE.MatchString(c.Profile) {
		bad("profile", "%q is not a valid AWS profile name", c.Profile)
	}
	if c.Endpoint != "" {
		if err := validateEndpoint(c.Endpoint); err != nil {
			bad("endpoint", "%v", err)
		}
	}
	if d := time.Duration(c.PollInterval); d < time.Second || d > 10*time.Minute {
		bad("poll_interval", "%s is outside 1s..10m; AWS shows changes within seconds and throttles fast polling", d)
	}
	if d := time.Duration(c.Pulumi.InterruptGrace); d < time.Second || d > time.Hour {
		bad("pulumi.interrupt_grace", "%s is outside 1s..1h; an RDS operation in flight can take many minutes to finish", d)
	}
	checkProgram := func(path string, p Program) {
		if strings.TrimSpace(p.Dir) == "" {
			bad(path+".dir", "is empty; give the Pulumi program's directory")
		}
		if !projectRE.MatchString(p.Project) {
			bad(path+".project", "%q is not a Pulumi project name (letters, digits, '-', '_', '.')", p.Project)
		}
	}
	checkProgram("data", c.Data)
	checkProgram("application", c.Application.Program)
	if !configKeyRE.MatchString(c.Application.ConfigKey) {
		bad("application.config_key", "%q is not a Pulumi config key such as db-host", c.Application.ConfigKey)
	}
	switch c.Application.Deploy {
	case "ci", "up":
	default:
		bad("application.deploy", "%q is neither ci nor up", c.Application.Deploy)
	}
	if len(c.Stacks) == 0 {
		bad("stacks", "is empty; list at least one stack")
	}
	seen := map[string]int{}
	for i, s := range c.Stacks {
		path := fmt.Sprintf("stacks[%d]", i)
		if err := ValidateStackName(s.Name); err != nil {
			bad(path+".name", "%v", err)
		}
		if j, dup := seen[s.Name]; dup {
			bad(path+".name", "%q is already stacks[%d]", s.Name, j)
		}
		seen[s.Name] = i
		if s.Instance != "" && !instanceRE.MatchString(s.Instance) {
			bad(path+".instance", "%q is not an RDS instance identifier (a letter, then letters, digits and single hyphens, at most 63)", s.Instance)
		}
		if s.Account != "" && !accountRE.MatchString(s.Account) {
			bad(path+".account", "%q is not a 12-digit AWS account id", s.Account)
		}
	}
	checkTables := func(path string, names []string) {
		for i, n := range names {
			if !tableRE.MatchString(n) {
				bad(fmt.Sprintf("%s[%d]", path, i), "%q is not a lowercase Postgres table name (optionally schema.table)", n)
			}
		}
	}
	checkTables("tables.critical", c.Tables.Critical)
	checkTables("tables.isolated", c.Tables.Isolated)
	checkTables("tables.nightly_synced", c.Tables.NightlySynced)
	sc := c.Upgrade.SpotChecks
	if sc.DatabaseURLEnv != "" && !envName.MatchString(sc.DatabaseURLEnv) {
		bad("upgrade.spot_checks.database_url_env", "%q is not an environment variable name (letters, digits and _)", sc.DatabaseURLEnv)
	}
	if sc.SlowdownThreshold < 1 {
		bad("upgrade.spot_checks.slowdown_threshold", "%g must be 1 or more (1.5 flags a query 50%% slower after the upgrade)", sc.SlowdownThreshold)
	}
	if sc.StatementTimeout < 0 {
		bad("upgrade.spot_checks.statement_timeout", "%s must not be negative", sc.StatementTimeout)
	}
	if strings.ContainsAny(c.MaintenanceMode.Command, "\"'`$|;&<>") {
		bad("maintenance_mode.command", "%q has shell syntax; the command is run directly with on or off appended, so point it at a script", c.MaintenanceMode.Command)
	}
	if c.Pulumi.BackendURL != "" {
		if u, err := url.Parse(c.Pulumi.BackendURL); err != nil || u.Scheme == "" {
			bad("pulumi.backend_url", "%q is not a URL such as file:///path or https://api.pulumi.com", c.Pulumi.BackendURL)
		}
	}
	return errors.Join(errs...)
}

func validateEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL such as http://127.0.0.1:4566", s)
	}
	return nil
}

// DefaultFile returns where the config file is looked for when --config is
// not given: $XDG_CONFIG_HOME/datalayer/config.yaml, else
// ~/.config/datalayer/config.yaml.
func DefaultFile(env func(string) string) string {
	if d := env("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "datalayer", "config.yaml")
	}
	if h := env("HOME"); h != "" {
		return filepath.Join(h, ".config", "datalayer", "config.yaml")
	}
	return ""
}

// DefaultStateDir returns $DATALAYER_STATE_DIR, else $XDG_STATE_HOME/datalayer,
// else ~/.local/state/datalayer.
func DefaultStateDir(env func(string) string) string {
	if d := env("DATALAYER_STATE_DIR"); d != "" {
		return d
	}
	if d := env("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "datalayer")
	}
	if h := env("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "datalayer")
	}
	return filepath.Join(os.TempDir(), "datalayer-state")
}
