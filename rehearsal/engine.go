package rehearsal

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"gopkg.in/yaml.v3"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/pulumiclient/simprovider"
)

// Engines a rehearsal runs its Pulumi stacks on.
const (
	// EngineSim is the simulated engine (pulumiclient.SimStack): nothing
	// but this binary. The default.
	EngineSim = "sim"
	// EnginePulumi is a real pulumi CLI driven through
	// pulumiclient.LocalStack, exactly as a real run drives it, with
	// datalayer serving the simulated AWS provider.
	EnginePulumi = "pulumi"
)

// Engines lists the engine names, the default first.
func Engines() []string { return []string{EngineSim, EnginePulumi} }

// Engine chooses and configures the Pulumi engine of a rehearsal.
type Engine struct {
	// Name is EngineSim ("" too) or EnginePulumi.
	Name string
	// Pulumi is the pulumi CLI for EnginePulumi; "" finds it on PATH.
	Pulumi string
	// ProviderExe is the binary served as the AWS provider plugin
	// (pulumi-resource-aws): a datalayer binary, or a test binary whose
	// TestMain serves simprovider.Main; "" is this process's executable.
	ProviderExe string
}

func (e Engine) name() string {
	if e.Name == "" {
		return EngineSim
	}
	return e.Name
}

// ErrNoPulumi says a real-engine rehearsal found no pulumi CLI.
var ErrNoPulumi = errors.New("no pulumi CLI found")

// FindPulumi returns the pulumi CLI to use: configured (the config's
// pulumi.binary, or a path) when given, else `pulumi` on PATH. Its error
// names how to get one.
func FindPulumi(configured string) (string, error) {
	how := "install the pulumi CLI (https://www.pulumi.com/docs/iac/download-install/), or build the one datalayer's tests use " +
		"with `bash tools/pulumi/build.sh` (it prints a directory: put its bin/ on PATH, or set pulumi.binary in the config to <dir>/bin/pulumi); " +
		"or rehearse on the simulated engine, which needs nothing but datalayer (leave out --engine pulumi)"
	if configured != "" {
		st, err := os.Stat(configured)
		if err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%w: pulumi.binary %s is not an executable file: %s", ErrNoPulumi, configured, how)
		}
		return filepath.Abs(configured)
	}
	p, err := exec.LookPath("pulumi")
	if err != nil {
		return "", fmt.Errorf("%w on PATH (nor pulumi.binary in the config): %s", ErrNoPulumi, how)
	}
	return filepath.Abs(p)
}

// languageHost finds the pulumi-language-<name> plugin the CLI at pulumi
// would run: next to it (as Pulumi's own releases ship them) or on PATH.
func languageHost(pulumi, name string) (string, bool) {
	next := filepath.Join(filepath.Dir(pulumi), "pulumi-language-"+name)
	if st, err := os.Stat(next); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return next, true
	}
	p, err := exec.LookPath("pulumi-language-" + name)
	return p, err == nil
}

// programNote says which program a real-engine rehearsal runs, and why not
// the team's TypeScript.
func programNote(pulumi string) string {
	why := "this pulumi CLI has no Node.js language host"
	if _, ok := languageHost(pulumi, "nodejs"); ok {
		why = "the TypeScript program needs @pulumi/aws from npm and the networking stack, which a rehearsal does not have"
	}
	return "real pulumi CLI " + pulumi + " with datalayer's simulated AWS provider; program Main.yaml, the YAML equivalent of index.ts (" + why + ")"
}

//go:embed fixture/yaml
var yamlFixture embed.FS

// pulumiPaths are a real-engine world's directories, all inside the world.
type pulumiPaths struct {
	home    string // PULUMI_HOME: nothing touches the user's ~/.pulumi
	backend string // the local file backend
	plugins string // pulumi-resource-aws, a link to the provider binary
	aws     string // empty AWS config and credentials files
}

func pulumiPathsOf(dir string) pulumiPaths {
	root := filepath.Join(dir, "pulumi")
	return pulumiPaths{
		home: filepath.Join(root, "home"), backend: filepath.Join(root, "state"),
		plugins: filepath.Join(root, "plugins"), aws: filepath.Join(root, "aws"),
	}
}

// rehearsalPassphrase encrypts the rehearsal stacks' (made-up) secrets.
const rehearsalPassphrase = "datalayer-rehearsal"

// rehearsalDBPassword is the data program's db-password in a rehearsal.
const rehearsalDBPassword = "rehearsal-password-not-secret"

// layOutYAMLWorkspace writes the YAML programs of a real-engine rehearsal
// under dir, with the provider plugin given by path.
func layOutYAMLWorkspace(dir, plugins string) (pulumiclient.RehearsalWorkspace, error) {
	ws := pulumiclient.RehearsalWorkspace{
		Root: dir, DataDir: filepath.Join(dir, "infrastructure", "data"),
		AppDir: filepath.Join(dir, "infrastructure", "application"), Stack: pulumiclient.RehearsalStack,
	}
	err := fs.WalkDir(yamlFixture, "fixture/yaml", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("fixture/yaml", path)
		target := filepath.Join(dir, "infrastructure", rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := yamlFixture.ReadFile(path)
		if err != nil {
			return err
		}
		if rel == filepath.Join("data", "Pulumi.yaml") {
			b = append(b, fmt.Sprintf("plugins:\n  providers:\n    - name: aws\n      path: %q\n", plugins)...)
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		return ws, fmt.Errorf("lay out the rehearsal's YAML workspace: %w", err)
	}
	return ws, nil
}

// pulumiEnv is the environment of every pulumi command (and so of the
// provider it starts): local backend, temporary home, the passphrase, no
// downloads, AWS pointed at the simulator with the rehearsal's keys, and
// the provider's waits shrunk with the world's.
func (w *World) pulumiEnv(p pulumiPaths) map[string]string {
	speed := clock.SpeedOf(w.Clock)
	poll := max(speed.RealTime(10*time.Second), 20*time.Millisecond)
	timeout := max(speed.RealTime(40*time.Minute), time.Minute)
	return map[string]string{
		"PULUMI_CONFIG_PASSPHRASE":                    rehearsalPassphrase,
		"PULUMI_CONFIG_PASSPHRASE_FILE":               "",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"PULUMI_SKIP_UPDATE_CHECK":                    "true",
		"PULUMI_ACCESS_TOKEN":                         "",
		"AWS_ENDPOINT_URL_RDS":                        w.URL,
		"AWS_ENDPOINT_URL":                            w.URL,
		"AWS_ACCESS_KEY_ID":                           rehearsalKeyID,
		"AWS_SECRET_ACCESS_KEY":                       rehearsalSecretKey,
		"AWS_SESSION_TOKEN":                           "",
		"AWS_PROFILE":                                 "",
		"AWS_DEFAULT_PROFILE":                         "",
		"AWS_REGION":                                  rdssim.DefaultRegion,
		"AWS_DEFAULT_REGION":                          rdssim.DefaultRegion,
		"AWS_CONFIG_FILE":                             filepath.Join(p.aws, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":                 filepath.Join(p.aws, "credentials"),
		simprovider.EnvPoll:                           poll.String(),
		simprovider.EnvTimeout:                        timeout.String(),
	}
}

// openPulumiStacks opens the data and application stacks of a real-engine
// world; fresh makes them first (stack init and config), seeded in New.
func (w *World) openPulumiStacks(ctx context.Context, fresh bool) error {
	p := pulumiPathsOf(w.Dir)
	exe := w.engine.ProviderExe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("rehearsal: find this binary to serve the AWS provider: %w", err)
		}
	}
	// Written on every open: a resumed rehearsal may run another binary
	// (`go run` builds a fresh one each time).
	if err := simprovider.WritePluginDir(p.plugins, exe); err != nil {
		return fmt.Errorf("rehearsal: %w", err)
	}
	for _, d := range []string{p.home, p.backend, p.aws} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("rehearsal: %w", err)
		}
	}
	env := w.pulumiEnv(p)
	opts := pulumiclient.Options{
		Pulumi: w.engine.Pulumi, Home: p.home, BackendURL: "file://" + filepath.ToSlash(p.backend),
		Env: env, NoDownloads: true, Note: programNote(w.engine.Pulumi),
	}
	stack := w.Options.Stack
	if fresh {
		for _, dir := range []string{w.Workspace.DataDir, w.Workspace.AppDir} {
			if err := initStack(ctx, w.engine.Pulumi, dir, stack, opts); err != nil {
				return err
			}
		}
	}
	data, err := pulumiclient.OpenLocal(ctx, w.Workspace.DataDir, stack, opts)
	if err != nil {
		return fmt.Errorf("rehearsal: data stack: %w", err)
	}
	app, err := pulumiclient.OpenLocal(ctx, w.Workspace.AppDir, stack, opts)
	if err != nil {
		return fmt.Errorf("rehearsal: application stack: %w", err)
	}
	w.Data, w.App = data, app
	return nil
}

// initStack runs `pulumi stack init` in dir.
func initStack(ctx context.Context, pulumi, dir, stack string, opts pulumiclient.Options) error {
	cmd := exec.CommandContext(ctx, pulumi, "stack", "init", stack, "--non-interactive")
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range opts.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "PULUMI_HOME="+opts.Home, "PULUMI_BACKEND_URL="+opts.BackendURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("rehearsal: pulumi stack init %s in %s: %w: %s", stack, dir, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// seedPulumiStacks gives the fresh stacks what the team's have: config
// (aws:profile, the secrets) and the data stack's state as the last
// `pulumi up` of this program left it, managing the simulated account's
// instance and parameter group; the application is deployed with the
// instance's db-host.
func (w *World) seedPulumiStacks(ctx context.Context) error {
	profile := stackProfile(w.Options.Stack)
	data, app := w.Data.(*pulumiclient.LocalStack), w.App.(*pulumiclient.LocalStack)
	for _, c := range []struct {
		stack  *pulumiclient.LocalStack
		key    string
		value  string
		secret bool
	}{
		{data, "aws:profile", profile, false},
		{data, "db-password", rehearsalDBPassword, true},
		{app, "aws:profile", profile, false},
		{app, "db-host", pulumiclient.RehearsalDBHost, true},
	} {
		if err := c.stack.SetConfig(ctx, c.key, c.value, c.secret); err != nil {
			return fmt.Errorf("rehearsal: seed the stacks: %w", err)
		}
	}
	if err := w.seedDataState(ctx, data); err != nil {
		return err
	}
	if _, err := app.Up(ctx, nil); err != nil {
		return fmt.Errorf("rehearsal: deploy the application stack: %w", err)
	}
	return nil
}

// seedDataState imports the data stack's deployment: the program's
// resources with their checked inputs (as the provider's Check records
// them: the instance's auto-name, the group's default description) and the
// ids of what the simulated account holds; a refresh then reads the rest
// from AWS, and the engine version is put back to the one the program
// deployed, which AWS has since upgraded (16.11 in code, 16.13 in AWS: the
// runbook's drift).
func (w *World) seedDataState(ctx context.Context, data *pulumiclient.LocalStack) error {
	in, err := w.AWS.Instance(ctx, pulumiclient.RehearsalInstanceID)
	if err != nil {
		return fmt.Errorf("rehearsal: seed the data stack: %w", err)
	}
	props, err := programProperties(w.Workspace.DataDir)
	if err != nil {
		return err
	}
	pg, inst := props["parameterGroup"], props["app"]
	if pg == nil || inst == nil {
		return errors.New("rehearsal: seed the data stack: Main.yaml lacks the parameterGroup or the app resource")
	}
	pg["description"] = "Managed by Pulumi"
	pg["__defaults"] = []any{"description"}
	inst["parameterGroupName"] = pg["name"]
	inst["password"] = secretValue(rehearsalDBPassword)
	inst["identifier"] = in.ID
	inst["__defaults"] = []any{"identifier"}
	codeVersion, _ := inst["engineVersion"].(string)

	st := data.Automation()
	dep, err := st.Export(ctx)
	if err != nil {
		return fmt.Errorf("rehearsal: seed the data stack: export: %w", err)
	}
	var d map[string]any
	if err := json.Unmarshal(dep.Deployment, &d); err != nil {
		return fmt.Errorf("rehearsal: seed the data stack: %w", err)
	}
	s := w.Options.Stack
	urn := func(typ, name string) string { return "urn:pulumi:" + s + "::data::" + typ + "::" + name }
	stackURN := urn("pulumi:pulumi:Stack", "data-"+s)
	provURN := urn("pulumi:providers:aws", "default")
	const provID = "6b2f0c7e-4a1d-4f3b-9c2e-rehearsal000"
	pgURN := urn(pulumiclient.ParameterGroupType, "parameterGroup")
	// The default provider's inputs are the stack's aws:* config.
	provider := map[string]any{"region": rdssim.DefaultRegion, "profile": stackProfile(s)}
	d["resources"] = []any{
		map[string]any{"urn": stackURN, "custom": false, "type": "pulumi:pulumi:Stack"},
		map[string]any{"urn": provURN, "custom": true, "id": provID, "type": "pulumi:providers:aws", "inputs": provider, "outputs": provider},
		map[string]any{"urn": pgURN, "custom": true, "id": pg["name"], "type": pulumiclient.ParameterGroupType,
			"inputs": pg, "outputs": pg, "parent": stackURN, "provider": provURN + "::" + provID},
		map[string]any{"urn": urn(pulumiclient.InstanceType, "app"), "custom": true, "id": in.ResourceID, "type": pulumiclient.InstanceType,
			"inputs": inst, "outputs": inst, "parent": stackURN, "provider": provURN + "::" + provID,
			"dependencies": []any{pgURN}, "propertyDependencies": map[string]any{"parameterGroupName": []any{pgURN}}},
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("rehearsal: seed the data stack: %w", err)
	}
	if err := st.Import(ctx, apitype.UntypedDeployment{Version: dep.Version, Deployment: raw}); err != nil {
		return fmt.Errorf("rehearsal: seed the data stack: import: %w", err)
	}
	if _, err := data.Refresh(ctx, false, nil); err != nil {
		return fmt.Errorf("rehearsal: seed the data stack: refresh: %w", err)
	}
	return data.EditState(ctx, func(state *pulumiclient.State) error {
		r, err := state.LiveInstance()
		if err != nil {
			return err
		}
		for _, m := range []map[string]any{r.Inputs, r.Outputs} {
			if m != nil {
				m["engineVersion"] = codeVersion
			}
		}
		return nil
	})
}

// stackProfile is the aws:profile the team's stack config names.
func stackProfile(stack string) string { return "planx-" + stack + "-pulumi" }

// secretValue is a secret in a deployment, in plaintext: `pulumi stack
// import` encrypts it with the stack's secrets provider.
func secretValue(v string) map[string]any {
	b, _ := json.Marshal(v)
	return map[string]any{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": string(b)}
}

// programProperties reads each resource's properties from a YAML
// program's Main.yaml.
func programProperties(dir string) (map[string]map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(dir, "Main.yaml"))
	if err != nil {
		return nil, fmt.Errorf("rehearsal: read the data program: %w", err)
	}
	var prog struct {
		Resources map[string]struct {
			Properties map[string]any `yaml:"properties"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(b, &prog); err != nil {
		return nil, fmt.Errorf("rehearsal: read the data program: %w", err)
	}
	out := map[string]map[string]any{}
	for name, r := range prog.Resources {
		out[name] = r.Properties
	}
	return out, nil
}
