// Package pulumitest gives tests a real pulumi CLI and the Pulumi YAML
// language host (built from the Go module proxy by tools/pulumi/build.sh),
// datalayer's simulated AWS provider (served by a datalayer binary built
// from this checkout, linked as pulumi-resource-aws in a plugin
// directory), an environment that keeps Pulumi local and pointed at an RDS
// simulator, and a simulator server to point it at.
//
// A package whose tests use Tools or Binary runs them through Main from
// its TestMain, which removes the built binary when the tests end.
//
// Nothing here skips: when the tools cannot be found or built, the test
// fails with the command to run.
package pulumitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/pulumiclient/simprovider"
)

// EnvToolsDir names an already built tools directory (the one build.sh
// prints); when set, Tools uses it instead of running build.sh.
const EnvToolsDir = "DATALAYER_PULUMI_TOOLS"

// Passphrase is the PULUMI_CONFIG_PASSPHRASE that Env sets for test stacks.
const Passphrase = "datalayer-test-passphrase"

// SimSpeed is how many times faster than on AWS StartSim's simulator plays
// its operations: an RDS create of about seven AWS minutes takes well under a
// second. Its timestamps stay on the wall clock.
const SimSpeed = 1200

// Paths are the built tools.
type Paths struct {
	// Dir is the build directory; auto.PulumiCommandOptions{Root: Dir} finds
	// the CLI at Dir/bin/pulumi.
	Dir string
	// BinDir holds pulumi and pulumi-language-yaml; Env puts it first on PATH.
	BinDir string
	// Pulumi is the CLI.
	Pulumi string
	// LanguageYAML is the YAML language host.
	LanguageYAML string
	// ProviderDir is the plugin directory of datalayer's simulated AWS
	// provider (package "aws"): pulumi-resource-aws, a link to Datalayer.
	// Give it by path (Pulumi.yaml plugins.providers, or
	// pulumiclient.Options.Plugins). It is never on PATH.
	ProviderDir string
	// Provider is the plugin's link, ProviderDir/pulumi-resource-aws.
	Provider string
	// Datalayer is the datalayer binary built from this checkout.
	Datalayer string
}

var (
	toolsOnce  sync.Once
	toolsPaths Paths
	toolsErr   error
)

// Tools returns the built tools, building them once per test process with
// tools/pulumi/build.sh unless DATALAYER_PULUMI_TOOLS names a build, and
// the simulated provider's plugin directory (see Binary). It fails the
// test when they cannot be found or built.
func Tools(t testing.TB) Paths {
	t.Helper()
	toolsOnce.Do(func() { toolsPaths, toolsErr = findTools() })
	if toolsErr != nil {
		t.Fatalf("pulumitest: %v", toolsErr)
	}
	p := toolsPaths
	p.Datalayer = Binary(t)
	p.ProviderDir = filepath.Join(filepath.Dir(p.Datalayer), "plugins")
	p.Provider = filepath.Join(p.ProviderDir, simprovider.PluginName)
	return p
}

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
	// binaryDir holds the built binary and its plugin directory; Main
	// removes it when the package's tests end.
	binaryDir  string
	mainCalled bool
)

// Main runs a package's tests (call it from TestMain: os.Exit(pulumitest.Main(m)))
// and removes the datalayer binary Binary built for them.
func Main(m *testing.M) int {
	mainCalled = true
	code := m.Run()
	if binaryDir != "" {
		_ = os.RemoveAll(binaryDir)
	}
	return code
}

// Binary returns a datalayer binary built from this checkout (go build,
// once per test process), next to a plugin directory "plugins" whose
// pulumi-resource-aws links to it: the simulated AWS provider, served by
// the same code as `datalayer rehearse --engine pulumi`. The package's
// TestMain must call Main.
func Binary(t testing.TB) string {
	t.Helper()
	if !mainCalled {
		t.Fatal("pulumitest: Binary builds a datalayer binary for the test process; run the package's tests through pulumitest.Main (func TestMain(m *testing.M) { os.Exit(pulumitest.Main(m)) }) so it is removed afterwards")
	}
	binaryOnce.Do(func() { binaryPath, binaryErr = buildBinary() })
	if binaryErr != nil {
		t.Fatalf("pulumitest: %v", binaryErr)
	}
	return binaryPath
}

// buildBinary builds the datalayer command of this checkout into a new
// temporary directory and writes the provider's plugin directory beside it.
func buildBinary() (string, error) {
	script, err := buildScript()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(filepath.Dir(filepath.Dir(script))) // tools/pulumi/build.sh → the module root
	binaryDir, err = os.MkdirTemp("", "datalayer-pulumitest-")
	if err != nil {
		return "", fmt.Errorf("build the datalayer binary: %w", err)
	}
	bin := filepath.Join(binaryDir, "datalayer")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build of the datalayer binary (the simulated AWS provider) in %s failed: %w\n%s", root, err, tail(string(out), 40))
	}
	if err := simprovider.WritePluginDir(filepath.Join(binaryDir, "plugins"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

func findTools() (Paths, error) {
	if dir := os.Getenv(EnvToolsDir); dir != "" {
		p := pathsIn(dir)
		if err := p.check(); err != nil {
			return Paths{}, fmt.Errorf("%s=%s: %w; build them with: tools/pulumi/build.sh (and set %s to the directory it prints)", EnvToolsDir, dir, err, EnvToolsDir)
		}
		return p, nil
	}
	script, err := buildScript()
	if err != nil {
		return Paths{}, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Paths{}, fmt.Errorf("building the pulumi tools failed (%w); run `bash %s` to see why, then re-run the tests:\n%s", err, script, tail(stderr.String(), 40))
	}
	dir := strings.TrimSpace(lastLine(stdout.String()))
	p := pathsIn(dir)
	if err := p.check(); err != nil {
		return Paths{}, fmt.Errorf("%s printed %q but: %w; run `bash %s` by hand", script, dir, err, script)
	}
	return p, nil
}

func pathsIn(dir string) Paths {
	return Paths{
		Dir:          dir,
		BinDir:       filepath.Join(dir, "bin"),
		Pulumi:       filepath.Join(dir, "bin", "pulumi"),
		LanguageYAML: filepath.Join(dir, "bin", "pulumi-language-yaml"),
	}
}

func (p Paths) check() error {
	for _, f := range []string{p.Pulumi, p.LanguageYAML} {
		st, err := os.Stat(f)
		if err != nil {
			return fmt.Errorf("missing %s", f)
		}
		if st.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not executable", f)
		}
	}
	return nil
}

// buildScript finds tools/pulumi/build.sh from this source file, or from
// the working directory upwards.
func buildScript() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			s := filepath.Join(d, "tools", "pulumi", "build.sh")
			if _, err := os.Stat(s); err == nil {
				return s, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("cannot find tools/pulumi/build.sh above the test's directory; build the tools with tools/pulumi/build.sh and set " + EnvToolsDir + " to the directory it prints")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Env is the environment for the pulumi CLI in a test: a temporary
// PULUMI_HOME, a local file backend in a temporary directory, no update
// checks, no plugin downloads, a fixed passphrase, the tools first on PATH,
// and AWS pointed at the simulator at simURL with dummy keys in eu-west-2.
func Env(t testing.TB, tools Paths, simURL string) map[string]string {
	t.Helper()
	home := t.TempDir()
	backend := t.TempDir()
	awsDir := t.TempDir()
	return map[string]string{
		"PULUMI_HOME":                                 home,
		"PULUMI_BACKEND_URL":                          "file://" + filepath.ToSlash(backend),
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_CONFIG_PASSPHRASE":                    Passphrase,
		"PULUMI_SKIP_CONFIRMATIONS":                   "true",
		"PATH":                                        tools.BinDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"AWS_ENDPOINT_URL_RDS":                        simURL,
		"AWS_ENDPOINT_URL":                            simURL,
		"AWS_ACCESS_KEY_ID":                           "AKIDDATALAYERTEST01",
		"AWS_SECRET_ACCESS_KEY":                       "datalayer-test-secret",
		"AWS_SESSION_TOKEN":                           "",
		"AWS_PROFILE":                                 "",
		"AWS_REGION":                                  "eu-west-2",
		"AWS_DEFAULT_REGION":                          "eu-west-2",
		"AWS_CONFIG_FILE":                             filepath.Join(awsDir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":                 filepath.Join(awsDir, "credentials"),
	}
}

// Environ returns env as KEY=VALUE pairs on top of os.Environ, for exec.Cmd.
func Environ(env map[string]string) []string {
	out := os.Environ()
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// Command returns the Automation API's handle on the built CLI.
func Command(t testing.TB, tools Paths) auto.PulumiCommand {
	t.Helper()
	cmd, err := auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: tools.Dir})
	if err != nil {
		t.Fatalf("pulumitest: the built pulumi CLI at %s is not usable by the Automation API: %v; rebuild with tools/pulumi/build.sh", tools.Pulumi, err)
	}
	return cmd
}

// WorkspaceOptions are the local workspace options that run the built CLI
// with env: pass them to auto.NewStackLocalSource, auto.UpsertStackLocalSource
// or auto.NewLocalWorkspace.
func WorkspaceOptions(t testing.TB, tools Paths, env map[string]string) []auto.LocalWorkspaceOption {
	t.Helper()
	return []auto.LocalWorkspaceOption{auto.Pulumi(Command(t, tools)), auto.EnvVars(env)}
}

// NewYAMLProject writes a Pulumi YAML project into a new temporary
// directory and returns it: Pulumi.yaml (name, runtime yaml, the test
// provider by path) and Main.yaml holding program (the resources, outputs,
// config... of a Pulumi YAML program).
func NewYAMLProject(t testing.TB, tools Paths, name, program string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(ProjectFile(tools, name)), 0o644); err != nil {
		t.Fatalf("pulumitest: write Pulumi.yaml: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Main.yaml"), []byte(program), 0o644); err != nil {
		t.Fatalf("pulumitest: write Main.yaml: %v", err)
	}
	return dir
}

// ProjectFile is the text of a Pulumi.yaml for a YAML project that takes
// the aws provider (the simulated one) from tools by path.
func ProjectFile(tools Paths, name string) string {
	return fmt.Sprintf(`name: %s
runtime: yaml
description: datalayer test project
plugins:
  providers:
    - name: aws
      path: %q
`, name, tools.ProviderDir)
}

// Sim is a running RDS simulator for one test.
type Sim struct {
	URL   string
	Sim   *rdssim.Sim
	Clock clock.Wall
}

// StartSim starts an RDS simulator with the named scenario ("" for the
// default world) behind an httptest server whose operations run SimSpeed
// times faster than on AWS; it stops when the test ends.
func StartSim(t testing.TB, scenario string) *Sim {
	t.Helper()
	clk := clock.NewWall(SimSpeed)
	s, err := rdssim.New(rdssim.Options{Clock: clk, Scenario: scenario})
	if err != nil {
		t.Fatalf("pulumitest: start RDS simulator (scenario %q): %v", scenario, err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &Sim{URL: srv.URL, Sim: s, Clock: clk}
}

// Context returns a context that ends with the test (or after limit).
func Context(t testing.TB, limit time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return ctx
}
