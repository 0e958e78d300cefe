package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Flags are the command-line overrides; empty or zero fields are not given.
type Flags struct {
	Region       string
	Profile      string
	Endpoint     string
	PollInterval time.Duration
}

// LoadOptions says where Load reads from.
type LoadOptions struct {
	// File is the --config path. Empty reads DefaultFile if it exists.
	File string
	// Env reads the environment; nil means os.Getenv.
	Env func(string) string
	// Flags override everything else.
	Flags Flags
}

// Loaded is a configuration with where each top-level setting came from.
type Loaded struct {
	Config
	// File is the config file read, empty when none was.
	File string
	// Sources maps a top-level key (region, endpoint, ...) to where its value
	// came from: the file's path, "$VAR" or "--flag". Keys not listed are
	// defaults.
	Sources map[string]string
}

// Load builds the configuration: defaults, then the file, then the
// environment, then flags, and validates the result. Errors name the field
// and where its value came from.
//
// Environment: AWS_REGION (else AWS_DEFAULT_REGION), AWS_ENDPOINT_URL_RDS
// (else AWS_ENDPOINT_URL, both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// is true), PULUMI_BACKEND_URL and DATALAYER_STATE_DIR. AWS_PROFILE is left to
// the AWS SDK on purpose: naming a profile explicitly would beat exported
// keys, and the runbook's fix for a wrong profile is exporting keys.
func Load(opts LoadOptions) (Loaded, error) {
	env := opts.Env
	if env == nil {
		env = os.Getenv
	}
	l := Loaded{Config: Default(), Sources: map[string]string{}}

	path, explicit := opts.File, opts.File != ""
	if !explicit {
		path = DefaultFile(env)
	}
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			before := Default()
			if err := Parse(data, &l.Config); err != nil {
				return l, fmt.Errorf("config file %s: %w", path, err)
			}
			l.File = path
			markChanged(l.Sources, before, l.Config, path)
		case errors.Is(err, fs.ErrNotExist) && !explicit:
			// No default file: defaults it is.
		default:
			return l, fmt.Errorf("config file: %w", err)
		}
	}

	set := func(key, value, source string, dst *string) {
		if value != "" {
			*dst = value
			l.Sources[key] = source
		}
	}
	if v := env("AWS_REGION"); v != "" {
		set("region", v, "$AWS_REGION", &l.Region)
	} else {
		set("region", env("AWS_DEFAULT_REGION"), "$AWS_DEFAULT_REGION", &l.Region)
	}
	if !strings.EqualFold(env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		if v := env("AWS_ENDPOINT_URL_RDS"); v != "" {
			set("endpoint", v, "$AWS_ENDPOINT_URL_RDS", &l.Endpoint)
		} else {
			set("endpoint", env("AWS_ENDPOINT_URL"), "$AWS_ENDPOINT_URL", &l.Endpoint)
		}
	}
	set("pulumi", env("PULUMI_BACKEND_URL"), "$PULUMI_BACKEND_URL", &l.Pulumi.BackendURL)
	if v := env("DATALAYER_STATE_DIR"); v != "" {
		set("state_dir", v, "$DATALAYER_STATE_DIR", &l.StateDir)
	} else if l.StateDir == "" {
		l.StateDir = DefaultStateDir(env)
	}

	set("region", opts.Flags.Region, "--region", &l.Region)
	set("profile", opts.Flags.Profile, "--profile", &l.Profile)
	set("endpoint", opts.Flags.Endpoint, "--endpoint", &l.Endpoint)
	if opts.Flags.PollInterval != 0 {
		l.PollInterval = Duration(opts.Flags.PollInterval)
		l.Sources["poll_interval"] = "--poll-interval"
	}

	if err := l.Validate(); err != nil {
		return l, err
	}
	return l, nil
}

// Validate checks the configuration and names each bad field's source.
func (l Loaded) Validate() error {
	err := l.Config.Validate()
	if err == nil {
		return nil
	}
	var errs []error
	for _, e := range unjoin(err) {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Source == "" {
			key := fe.Path
			if i := strings.IndexAny(key, ".["); i >= 0 {
				key = key[:i]
			}
			fe.Source = l.Sources[key]
		}
		errs = append(errs, e)
	}
	return fmt.Errorf("bad configuration: %w", errors.Join(errs...))
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// markChanged records source for every top-level key whose value differs
// between before and after.
func markChanged(sources map[string]string, before, after Config, source string) {
	b, a := map[string]string{}, map[string]string{}
	flatten(before, b)
	flatten(after, a)
	for k, v := range a {
		if b[k] != v {
			sources[k] = source
		}
	}
}

func flatten(c Config, out map[string]string) {
	out["region"] = c.Region
	out["profile"] = c.Profile
	out["endpoint"] = c.Endpoint
	out["poll_interval"] = c.PollInterval.String()
	out["state_dir"] = c.StateDir
	out["data"] = fmt.Sprint(c.Data)
	out["application"] = fmt.Sprint(c.Application)
	out["stacks"] = fmt.Sprint(c.Stacks)
	out["tables"] = fmt.Sprint(c.Tables)
	out["maintenance_mode"] = fmt.Sprint(c.MaintenanceMode)
	out["pulumi"] = fmt.Sprint(c.Pulumi)
}
