package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	d := Default()
	if d.Region != "eu-west-2" || d.Application.FullConfigKey() != "application:db-host" {
		t.Fatalf("defaults do not fit the runbook: region %q, key %q", d.Region, d.Application.FullConfigKey())
	}
	prod, err := d.Stack("production")
	if err != nil || !prod.Production {
		t.Fatalf("Stack(production) = %+v, %v; want a production stack", prod, err)
	}
	if !d.MaintenanceMode.Manual() || d.MaintenanceMode.Argv() != nil {
		t.Fatal("maintenance mode should be manual by default")
	}
}

func TestParseFull(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := Parse(data, &c); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Config{
		Region:       "eu-west-1",
		Profile:      "planx-staging-pulumi",
		Endpoint:     "http://127.0.0.1:4566",
		PollInterval: Duration(5 * time.Second),
		StateDir:     "/var/lib/datalayer",
		Data:         Program{Dir: "infra/db", Project: "db"},
		Application: Application{
			Program:   Program{Dir: "infra/app", Project: "app"},
			ConfigKey: "database-host",
			Deploy:    "up",
		},
		Stacks: []Stack{{Name: "dev", Instance: "app5ec7032"}, {Name: "acme/db/prod", Production: true, Account: "123456789012"}},
		Tables: Tables{
			Critical:      []string{"flows", "public.users"},
			Isolated:      []string{"feedback"},
			NightlySynced: []string{},
		},
		MaintenanceMode: MaintenanceMode{Command: "./scripts/maintenance --site planx"},
		Pulumi:          Pulumi{BackendURL: "file:///srv/pulumi", Binary: "/opt/pulumi/bin/pulumi", InterruptGrace: Duration(2 * time.Minute)},
		Upgrade: Upgrade{SpotChecks: SpotChecks{
			QueriesFile: "infra/db/spot-checks.yaml", DatabaseURLEnv: "STAGING_DB_URL",
			SlowdownThreshold: 2, StatementTimeout: Duration(time.Minute),
		}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Parse got\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if s, err := c.Stack("prod"); err != nil || s.Name != "acme/db/prod" {
		t.Fatalf("Stack(prod) by short name = %+v, %v", s, err)
	}
}

func TestParsePartialKeepsDefaults(t *testing.T) {
	c := Default()
	if err := Parse([]byte("poll_interval: 30s\napplication:\n  deploy: up\n"), &c); err != nil {
		t.Fatal(err)
	}
	if c.Region != "eu-west-2" || c.Application.ConfigKey != "db-host" || len(c.Stacks) != 2 {
		t.Fatalf("defaults lost: %+v", c)
	}
	if c.Application.Deploy != "up" || time.Duration(c.PollInterval) != 30*time.Second {
		t.Fatalf("overrides not applied: %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		path string // the FieldError path expected; "" for a YAML syntax error
		want string // a piece of the message
	}{
		{"unknown top-level key", "regoin: eu-west-1\n", "regoin", "is not a known setting"},
		{"unknown nested key", "application:\n  configkey: x\n", "application.configkey", "known: config_key"},
		{"unknown key in list item", "stacks:\n  - name: a\n  - name: b\n    prod: true\n", "stacks[1].prod", "is not a known setting"},
		{"hyphen spelling suggested", "poll-interval: 5s\n", "poll-interval", "did you mean poll_interval?"},
		{"bool for string", "region: yes\n", "", ""}, // yaml.v3 reads yes as a string: accepted, checked by Validate
		{"bool wanted", "stacks:\n  - name: a\n    production: \"true\"\n", "stacks[0].production", "must be true or false"},
		{"mapping for string", "region:\n  name: x\n", "region", "must be a string, got a mapping"},
		{"list wanted", "stacks: staging\n", "stacks", "must be a list"},
		{"bad duration", "poll_interval: soon\n", "poll_interval", "not a duration"},
		{"number duration", "poll_interval: 5\n", "poll_interval", "must be a duration"},
		{"duplicate key", "region: a\nregion: b\n", "region", "appears twice"},
		{"top level list", "- a\n", "(top level)", "must be a mapping"},
		{"syntax", "region: [\n", "", "not valid YAML"},
		{"merge key", "base: &b {dir: x}\n", "base", "is not a known setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			err := Parse([]byte(tt.yaml), &c)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse(%q) = %v, want no error", tt.yaml, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = nil, want an error containing %q", tt.yaml, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) = %v, want it to contain %q", tt.yaml, err, tt.want)
			}
			var fe *FieldError
			if tt.path != "" && (!errors.As(err, &fe) || fe.Path != tt.path) {
				t.Fatalf("Parse(%q) = %#v, want a FieldError at %q", tt.yaml, err, tt.path)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		path   string
	}{
		{"region", func(c *Config) { c.Region = "london" }, "region"},
		{"endpoint", func(c *Config) { c.Endpoint = "localhost:4566" }, "endpoint"},
		{"poll too fast", func(c *Config) { c.PollInterval = Duration(100 * time.Millisecond) }, "poll_interval"},
		{"stack name", func(c *Config) { c.Stacks[0].Name = "stag ing" }, "stacks[0].name"},
		{"stack too many parts", func(c *Config) { c.Stacks[1].Name = "a/b/c/d" }, "stacks[1].name"},
		{"duplicate stack", func(c *Config) { c.Stacks[1].Name = "staging" }, "stacks[1].name"},
		{"no stacks", func(c *Config) { c.Stacks = nil }, "stacks"},
		{"account", func(c *Config) { c.Stacks[0].Account = "1234" }, "stacks[0].account"},
		{"table", func(c *Config) { c.Tables.Isolated = []string{"audit logs"} }, "tables.isolated[0]"},
		{"deploy", func(c *Config) { c.Application.Deploy = "manual" }, "application.deploy"},
		{"config key", func(c *Config) { c.Application.ConfigKey = "db host" }, "application.config_key"},
		{"data dir", func(c *Config) { c.Data.Dir = " " }, "data.dir"},
		{"project", func(c *Config) { c.Application.Project = "" }, "application.project"},
		{"maintenance shell", func(c *Config) { c.MaintenanceMode.Command = "curl x | sh" }, "maintenance_mode.command"},
		{"instance", func(c *Config) { c.Stacks[0].Instance = "app--1" }, "stacks[0].instance"},
		{"backend", func(c *Config) { c.Pulumi.BackendURL = "nowhere" }, "pulumi.backend_url"},
		{"interrupt grace", func(c *Config) { c.Pulumi.InterruptGrace = Duration(0) }, "pulumi.interrupt_grace"},
		{"profile", func(c *Config) { c.Profile = "a b" }, "profile"},
		{"database url env", func(c *Config) { c.Upgrade.SpotChecks.DatabaseURLEnv = "DB URL" }, "upgrade.spot_checks.database_url_env"},
		{"slowdown threshold", func(c *Config) { c.Upgrade.SpotChecks.SlowdownThreshold = 0.5 }, "upgrade.spot_checks.slowdown_threshold"},
		{"statement timeout", func(c *Config) { c.Upgrade.SpotChecks.StatementTimeout = Duration(-time.Second) }, "upgrade.spot_checks.statement_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			err := c.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Path != tt.path {
				t.Fatalf("Validate() = %v, want a FieldError at %q", err, tt.path)
			}
		})
	}
}

func TestValidateStackName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"staging", true},
		{"production", true},
		{"acme/production", true},
		{"acme/data/production", true},
		{"dev_1.x-y", true},
		{"", false},
		{"a/b/c/d", false},
		{"a//b", false},
		{"prod!", false},
		{"/prod", false},
		{strings.Repeat("s", 101), false},
	}
	for _, tt := range tests {
		if err := ValidateStackName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidateStackName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestLoadLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "datalayer", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("region: eu-west-1\npoll_interval: 20s\nendpoint: http://file:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		flags Flags
		file  string
		check func(t *testing.T, l Loaded)
	}{
		{
			name: "no file anywhere gives defaults",
			env:  map[string]string{"HOME": filepath.Join(dir, "nohome")},
			check: func(t *testing.T, l Loaded) {
				if l.File != "" || l.Region != "eu-west-2" || l.StateDir != filepath.Join(dir, "nohome", ".local", "state", "datalayer") {
					t.Fatalf("got %+v", l)
				}
			},
		},
		{
			name: "XDG file is read",
			env:  map[string]string{"XDG_CONFIG_HOME": dir, "XDG_STATE_HOME": "/st"},
			check: func(t *testing.T, l Loaded) {
				if l.File != file || l.Region != "eu-west-1" || l.Sources["region"] != file || l.StateDir != "/st/datalayer" {
					t.Fatalf("got file %q region %q sources %v state %q", l.File, l.Region, l.Sources, l.StateDir)
				}
			},
		},
		{
			name: "env beats file",
			env: map[string]string{"XDG_CONFIG_HOME": dir, "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://general:1",
				"AWS_ENDPOINT_URL_RDS": "http://rds:2", "DATALAYER_STATE_DIR": "/state", "PULUMI_BACKEND_URL": "file:///p"},
			check: func(t *testing.T, l Loaded) {
				if l.Region != "us-east-1" || l.Endpoint != "http://rds:2" || l.StateDir != "/state" || l.Pulumi.BackendURL != "file:///p" {
					t.Fatalf("got %+v", l.Config)
				}
				if l.Sources["endpoint"] != "$AWS_ENDPOINT_URL_RDS" {
					t.Fatalf("sources %v", l.Sources)
				}
			},
		},
		{
			name: "ignored endpoints",
			env:  map[string]string{"AWS_ENDPOINT_URL": "http://general:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
			check: func(t *testing.T, l Loaded) {
				if l.Endpoint != "" {
					t.Fatalf("endpoint %q, want none", l.Endpoint)
				}
			},
		},
		{
			name: "AWS_PROFILE is left to the SDK",
			env:  map[string]string{"AWS_PROFILE": "docker-user"},
			check: func(t *testing.T, l Loaded) {
				if l.Profile != "" {
					t.Fatalf("profile %q, want it left to the SDK", l.Profile)
				}
			},
		},
		{
			name:  "flags beat env",
			env:   map[string]string{"XDG_CONFIG_HOME": dir, "AWS_REGION": "us-east-1"},
			flags: Flags{Region: "eu-central-1", Profile: "p", Endpoint: "http://flag:3", PollInterval: 2 * time.Second},
			check: func(t *testing.T, l Loaded) {
				if l.Region != "eu-central-1" || l.Profile != "p" || l.Endpoint != "http://flag:3" || time.Duration(l.PollInterval) != 2*time.Second {
					t.Fatalf("got %+v", l.Config)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Load(LoadOptions{File: tt.file, Env: mapEnv(tt.env), Flags: tt.flags})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, l)
		})
	}
}

func TestLoadErrorsNameTheSource(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("stacks:\n  - name: ok\n  - nam: typo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	invalid := filepath.Join(dir, "invalid.yaml")
	if err := os.WriteFile(invalid, []byte("stacks:\n  - name: \"bad name\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		opts  LoadOptions
		wants []string
	}{
		{"missing explicit file", LoadOptions{File: filepath.Join(dir, "nope.yaml")}, []string{"config file", "no such file"}},
		{"unknown key", LoadOptions{File: bad}, []string{bad, "stacks[1].nam", "line 3"}},
		{"invalid value from file", LoadOptions{File: invalid}, []string{invalid + ": stacks[0].name", "not a valid stack name"}},
		{"invalid value from env", LoadOptions{Env: mapEnv(map[string]string{"AWS_REGION": "mars"})}, []string{"$AWS_REGION: region:", "mars"}},
		{"invalid value from flag", LoadOptions{Env: mapEnv(nil), Flags: Flags{Endpoint: "ftp://x"}}, []string{"--endpoint: endpoint:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Env == nil {
				tt.opts.Env = mapEnv(nil)
			}
			_, err := Load(tt.opts)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// FuzzParse checks that no input panics the parser, that every failure is a
// FieldError or a YAML syntax error, and that a parsed configuration written
// back as YAML parses to the same value.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"", "region: eu-west-1\n", "stacks:\n  - name: a\n    production: true\n",
		"tables: {critical: [a, b], isolated: []}\n", "poll_interval: 1m\n", "a: &x 1\nb: *x\n",
		"application:\n  dir: x\n  project: y\n", "region: [\n", "- 1\n", "stacks: [{name: 5}]\n",
	}
	if data, err := os.ReadFile(filepath.Join("testdata", "full.yaml")); err == nil {
		seeds = append(seeds, string(data))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Default()
		err := Parse(data, &c)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) && !strings.HasPrefix(err.Error(), "not valid YAML") {
				t.Fatalf("Parse error %q is neither a FieldError nor a YAML error", err)
			}
			if fe != nil && fe.Path == "" {
				t.Fatalf("FieldError without a path: %q", err)
			}
			return
		}
		_ = c.Validate() // must not panic
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again := Default()
		if err := Parse(out, &again); err != nil {
			t.Fatalf("re-Parse of\n%s\nfailed: %v", out, err)
		}
		if !reflect.DeepEqual(normal(c), normal(again)) {
			t.Fatalf("round trip changed the configuration:\n%+v\n%+v", c, again)
		}
	})
}

// normal treats empty and nil lists alike.
func normal(c Config) Config {
	for _, l := range []*[]string{&c.Tables.Critical, &c.Tables.Isolated, &c.Tables.NightlySynced} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if len(c.Stacks) == 0 {
		c.Stacks = nil
	}
	return c
}
