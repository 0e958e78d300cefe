package pulumiclient

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrNotProject is returned for a directory without Pulumi.yaml.
var ErrNotProject = errors.New("not a Pulumi project")

// ErrUnknownStack is returned when the stack asked for does not exist.
var ErrUnknownStack = errors.New("no such stack")

// projectFile returns the path of dir's Pulumi.yaml (or Pulumi.yml).
func projectFile(dir string) (string, error) {
	for _, name := range []string{"Pulumi.yaml", "Pulumi.yml"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w (no Pulumi.yaml); run from the data program's directory, e.g. infrastructure/data", dir, ErrNotProject)
}

// projectSettings is the part of Pulumi.yaml this package reads.
type projectSettings struct {
	Name    string         `yaml:"name"`
	Runtime any            `yaml:"runtime"`
	Config  map[string]any `yaml:"config"`
	Backend *struct {
		URL string `yaml:"url"`
	} `yaml:"backend"`
}

func readProject(dir string) (projectSettings, error) {
	var p projectSettings
	path, err := projectFile(dir)
	if err != nil {
		return p, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("read project: %w", err)
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("read project %s: %w", path, err)
	}
	if p.Name == "" {
		return p, fmt.Errorf("read project %s: no name; the file must say `name: <project>`", path)
	}
	return p, nil
}

// stackSettings is the part of Pulumi.<stack>.yaml this package reads.
type stackSettings struct {
	Config      map[string]any `yaml:"config"`
	Environment any            `yaml:"environment"`
}

func readStackSettings(dir, stack string) (stackSettings, error) {
	var s stackSettings
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi."+stack+".yaml"))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read stack settings: %w", err)
	}
	if err := yaml.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("read stack settings Pulumi.%s.yaml: %w", stack, err)
	}
	return s, nil
}

// environments lists the ESC environments a stack settings file imports
// (`environment: [a, b]` or `environment: {imports: [a, b]}`).
func (s stackSettings) environments() []string {
	var list []any
	switch e := s.Environment.(type) {
	case []any:
		list = e
	case map[string]any:
		list, _ = e["imports"].([]any)
	}
	var out []string
	for _, v := range list {
		if str, ok := v.(string); ok {
			out = append(out, str)
		}
	}
	return out
}

// configString reads key from the stack's config, falling back to the
// project's, as Pulumi does; secure values read as "".
func configString(stack, project map[string]any, key string) string {
	for _, m := range []map[string]any{stack, project} {
		switch v := m[key].(type) {
		case string:
			return v
		case map[string]any:
			if d, ok := v["default"].(string); ok {
				return d
			}
			if d, ok := v["value"].(string); ok {
				return d
			}
		}
	}
	return ""
}

// stackFiles lists the stack names that have a Pulumi.<stack>.yaml in dir.
func stackFiles(dir string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	var out []string
	for _, m := range matches {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "Pulumi."), ".yaml")
		if name != "" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// unknownStackError names the stacks that do exist.
func unknownStackError(name string, existing []string) error {
	if len(existing) == 0 {
		return fmt.Errorf("select stack %q: %w; this project has no stacks yet (create one with `pulumi stack init %s`)", name, ErrUnknownStack, name)
	}
	return fmt.Errorf("select stack %q: %w; existing stacks: %s", name, ErrUnknownStack, strings.Join(existing, ", "))
}
