package pulumiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Plugin is a plugin binary given by path, so that Pulumi never downloads it.
type Plugin struct {
	Name    string // e.g. "aws" or "yaml"
	Kind    string // "resource" (default) or "language"
	Path    string // directory holding pulumi-resource-<name> / pulumi-language-<name>
	Version string // optional
}

// Options configure a LocalStack.
type Options struct {
	// Pulumi is the pulumi binary; empty means "pulumi" from PATH.
	Pulumi string
	// Home is PULUMI_HOME; empty keeps the user's (~/.pulumi).
	Home string
	// BackendURL sets PULUMI_BACKEND_URL (e.g. file:///tmp/state); empty
	// keeps what the project, the environment or `pulumi login` say.
	BackendURL string
	// Env adds environment variables for every pulumi command (e.g.
	// PULUMI_CONFIG_PASSPHRASE, AWS_ENDPOINT_URL...).
	Env map[string]string
	// Plugins are appended to the project's Pulumi.yaml as its `plugins:`
	// section (Project.Plugins) so the engine loads them by path and never
	// downloads them. This edits Pulumi.yaml: for test and rehearsal
	// workspaces.
	Plugins []Plugin
	// NoDownloads sets PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION so a
	// missing plugin is an error instead of a download.
	NoDownloads bool
	// Note is said of the stack wherever its backend is (StackInfo.Note),
	// e.g. which program and provider a rehearsal on the real engine runs.
	Note string
	// InterruptGrace is how long a cancelled operation may take to stop
	// after its interrupt (Ctrl-C) before the CLI and its plugins are
	// killed; default 30 s. A kill leaves the stack locked, with pending
	// operations.
	InterruptGrace time.Duration
}

// LocalStack is a stack of a program directory driven through the
// Automation API and the pulumi CLI.
type LocalStack struct {
	dir   string
	name  string
	ws    auto.Workspace
	stack auto.Stack
	opts  Options
	cmd   *cliCommand
}

var _ Stack = (*LocalStack)(nil)

// OpenLocal selects stack name in the program directory dir. It fails with
// ErrNotProject when dir has no Pulumi.yaml and with ErrUnknownStack (naming
// the stacks that exist) when the stack does not exist.
func OpenLocal(ctx context.Context, dir, name string, opts Options) (*LocalStack, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open stack: %w", err)
	}
	if _, err := projectFile(abs); err != nil {
		return nil, fmt.Errorf("open stack: %w", err)
	}
	if name == "" {
		return nil, fmt.Errorf("open stack: no stack name given; pass --stack (e.g. staging)")
	}
	cmd, err := newCLICommand(ctx, opts.Pulumi, opts.InterruptGrace)
	if err != nil {
		return nil, fmt.Errorf("open stack: %w", err)
	}
	env := map[string]string{"PULUMI_SKIP_UPDATE_CHECK": "true"}
	if opts.BackendURL != "" {
		env["PULUMI_BACKEND_URL"] = opts.BackendURL
	}
	if opts.NoDownloads {
		env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	// The Automation API passes --yes itself where it means it; a global
	// PULUMI_SKIP_CONFIRMATIONS=true would make `refresh --preview-only`
	// fail ("--yes and --preview-only cannot be used together").
	env["PULUMI_SKIP_CONFIRMATIONS"] = "false"
	wsOpts := []auto.LocalWorkspaceOption{auto.WorkDir(abs), auto.Pulumi(cmd), auto.EnvVars(env)}
	if opts.Home != "" {
		wsOpts = append(wsOpts, auto.PulumiHome(opts.Home))
	}
	ws, err := auto.NewLocalWorkspace(ctx, wsOpts...)
	if err != nil {
		return nil, fmt.Errorf("open stack: %w", err)
	}
	if len(opts.Plugins) > 0 {
		if err := addPlugins(abs, opts.Plugins); err != nil {
			return nil, fmt.Errorf("open stack: %w", err)
		}
	}
	summaries, err := ws.ListStacks(ctx)
	if err != nil {
		return nil, fmt.Errorf("open stack: list stacks: %w", cliError(err))
	}
	var names []string
	for _, s := range summaries {
		names = append(names, s.Name)
	}
	if !slices.Contains(names, name) {
		return nil, unknownStackError(name, names)
	}
	st, err := auto.SelectStack(ctx, name, ws)
	if err != nil {
		return nil, fmt.Errorf("open stack: select %s: %w", name, cliError(err))
	}
	return &LocalStack{dir: abs, name: name, ws: ws, stack: st, opts: opts, cmd: cmd}, nil
}

// addPlugins appends a `plugins:` section to Pulumi.yaml, leaving the rest
// of the file as it is. A file that already has one is left alone when it
// names the same paths, and refused otherwise.
func addPlugins(dir string, plugins []Plugin) error {
	path, err := projectFile(dir)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read project: %w", err)
	}
	var sb strings.Builder
	sb.WriteString("plugins:\n")
	for _, kind := range []struct{ key, kind string }{{"providers", "resource"}, {"languages", "language"}, {"analyzers", "analyzer"}} {
		var items []Plugin
		for _, p := range plugins {
			k := p.Kind
			if k == "" {
				k = "resource"
			}
			if k == kind.kind {
				items = append(items, p)
			}
		}
		if len(items) == 0 {
			continue
		}
		sb.WriteString("  " + kind.key + ":\n")
		for _, p := range items {
			fmt.Fprintf(&sb, "    - name: %s\n      path: %s\n", p.Name, strconv.Quote(p.Path))
			if p.Version != "" {
				fmt.Fprintf(&sb, "      version: %s\n", strconv.Quote(p.Version))
			}
		}
	}
	section := sb.String()
	text := string(b)
	if strings.HasPrefix(text, "plugins:") || strings.Contains(text, "\nplugins:") {
		if strings.Contains(text, section) {
			return nil
		}
		return fmt.Errorf("%s already has a plugins section that differs; remove it or give no plugins", path)
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	if err := os.WriteFile(path, []byte(text+section), 0o644); err != nil {
		return fmt.Errorf("add plugins to %s: %w", path, err)
	}
	return nil
}

// ProgramDir implements Stack.
func (s *LocalStack) ProgramDir() string { return s.dir }

// Name returns the stack's name.
func (s *LocalStack) Name() string { return s.name }

// Automation returns the underlying Automation API stack, for what this
// package does not wrap.
func (s *LocalStack) Automation() auto.Stack { return s.stack }

// Info implements Stack.
func (s *LocalStack) Info(ctx context.Context) (StackInfo, error) {
	info, err := stackInfoFromFiles(s.dir, s.name)
	if err != nil {
		return info, err
	}
	who, err := s.ws.WhoAmIDetails(ctx)
	if err != nil {
		return info, fmt.Errorf("stack info: who am i: %w", cliError(err))
	}
	info.Backend = who.URL
	info.Note = s.opts.Note
	return info, nil
}

// stackInfoFromFiles reads what Pulumi.yaml and Pulumi.<stack>.yaml say of
// the stack; the backend is the caller's to fill in.
func stackInfoFromFiles(dir, stack string) (StackInfo, error) {
	proj, err := readProject(dir)
	if err != nil {
		return StackInfo{}, fmt.Errorf("stack info: %w", err)
	}
	st, err := readStackSettings(dir, stack)
	if err != nil {
		return StackInfo{}, fmt.Errorf("stack info: %w", err)
	}
	return StackInfo{
		Project:      proj.Name,
		Stack:        stack,
		AWSProfile:   configString(st.Config, proj.Config, "aws:profile"),
		AWSRegion:    configString(st.Config, proj.Config, "aws:region"),
		Environments: st.environments(),
	}, nil
}

// Refresh implements Stack. With previewOnly it runs `pulumi refresh
// --preview-only`, which shows drift without changing state.
func (s *LocalStack) Refresh(ctx context.Context, previewOnly bool, progress chan<- Progress) (Summary, error) {
	var sum *apitype.SummaryEvent
	p := newPump(progress, func(ev events.EngineEvent) {
		if ev.SummaryEvent != nil {
			sum = ev.SummaryEvent
		}
	})
	opts := []optrefresh.Option{optrefresh.EventStreams(p.ch), optrefresh.Color("never")}
	var err error
	if previewOnly {
		_, err = s.stack.PreviewRefresh(ctx, opts...)
	} else {
		_, err = s.stack.Refresh(ctx, opts...)
	}
	p.finish()
	out := summaryFrom(sum)
	if err != nil {
		return out, s.marked(ctx, s.opError(ctx, "refresh", err), err.Error()+p.errors.String())
	}
	return out, nil
}

// Preview implements Stack.
func (s *LocalStack) Preview(ctx context.Context, progress chan<- Progress) (Plan, error) {
	b := NewPlanBuilder()
	p := newPump(progress, b.Add)
	res, err := s.stack.Preview(ctx, optpreview.EventStreams(p.ch), optpreview.Color("never"), optpreview.Diff())
	p.finish()
	plan := b.Plan()
	for op, n := range res.ChangeSummary {
		plan.Changes[Op(op)] = n
	}
	if err != nil {
		return plan, s.marked(ctx, s.opError(ctx, "preview", err), err.Error()+p.errors.String())
	}
	return plan, nil
}

// Up implements Stack. Cancelling ctx interrupts the CLI as Ctrl-C does;
// the error then says how to recover.
func (s *LocalStack) Up(ctx context.Context, progress chan<- Progress) (Summary, error) {
	var sum *apitype.SummaryEvent
	p := newPump(progress, func(ev events.EngineEvent) {
		if ev.SummaryEvent != nil {
			sum = ev.SummaryEvent
		}
	})
	res, err := s.stack.Up(ctx, optup.EventStreams(p.ch), optup.Color("never"))
	p.finish()
	out := summaryFrom(sum)
	if err != nil {
		if out.Result == "" && ctx.Err() != nil {
			out.Result = "cancelled"
		}
		return out, s.marked(ctx, s.opError(ctx, "up", err), err.Error()+p.errors.String())
	}
	out.Outputs = map[string]any{}
	for k, v := range res.Outputs {
		if !v.Secret {
			out.Outputs[k] = v.Value
		}
	}
	return out, nil
}

// Cancel implements Stack: `pulumi cancel` through the Automation API.
func (s *LocalStack) Cancel(ctx context.Context) error {
	if err := s.stack.Cancel(ctx); err != nil {
		return fmt.Errorf("cancel %s: %w", s.name, cliError(err))
	}
	return nil
}

// Export implements Stack.
func (s *LocalStack) Export(ctx context.Context) (ExportedInstance, error) {
	u, err := s.stack.Export(ctx)
	if err != nil {
		return ExportedInstance{}, fmt.Errorf("export %s: %w", s.name, cliError(err))
	}
	return ParseDeployment(u)
}

// GetConfig implements Stack; the value is decrypted when secret.
func (s *LocalStack) GetConfig(ctx context.Context, key string) (string, bool, error) {
	v, err := s.stack.GetConfig(ctx, key)
	if err != nil {
		if strings.Contains(err.Error(), "not found for stack") {
			return "", false, fmt.Errorf("config get %s: %w", key, ErrConfigNotSet)
		}
		return "", false, fmt.Errorf("config get %s: %w", key, cliError(err))
	}
	return v.Value, v.Secret, nil
}

// SetConfig implements Stack. When the stack imports an ESC environment the
// value is written there with `pulumi env set ... --secret`; otherwise with
// `pulumi config set [--secret]`.
func (s *LocalStack) SetConfig(ctx context.Context, key, value string, secret bool) error {
	envs, err := s.configEnvironments()
	if err != nil {
		return err
	}
	if len(envs) > 0 {
		args, err := s.EnvSetArgs(ctx, key, value, secret)
		if err != nil {
			return err
		}
		if _, stderr, code, err := s.cmd.Run(ctx, s.dir, nil, nil, nil, envList(s.ws.GetEnvVars()), args...); err != nil {
			return fmt.Errorf("config set %s in environment %s: exit %d: %s: %w", key, args[2], code, strings.TrimSpace(stderr), err)
		}
		return nil
	}
	if err := s.stack.SetConfig(ctx, key, auto.ConfigValue{Value: value, Secret: secret}); err != nil {
		return fmt.Errorf("config set %s: %w", key, cliError(err))
	}
	return nil
}

func (s *LocalStack) configEnvironments() ([]string, error) {
	st, err := readStackSettings(s.dir, s.name)
	if err != nil {
		return nil, fmt.Errorf("config set: %w", err)
	}
	return st.environments(), nil
}

// EnvSetArgs returns the pulumi arguments that set key in the ESC
// environment the stack imports (the last one, which wins), e.g.
// `env set planx/application/staging pulumiConfig.application:db-host <v> --secret`.
func (s *LocalStack) EnvSetArgs(ctx context.Context, key, value string, secret bool) ([]string, error) {
	envs, err := s.configEnvironments()
	if err != nil {
		return nil, err
	}
	if len(envs) == 0 {
		return nil, fmt.Errorf("config set: stack %s imports no ESC environment", s.name)
	}
	proj, err := readProject(s.dir)
	if err != nil {
		return nil, fmt.Errorf("config set: %w", err)
	}
	env := envs[len(envs)-1]
	if strings.Count(env, "/") < 2 {
		org, err := s.ws.OrgGetDefault(ctx)
		if err != nil || org == "" {
			who, werr := s.ws.WhoAmI(ctx)
			if werr != nil {
				return nil, fmt.Errorf("config set: find the organisation of environment %s: %w", env, cliError(werr))
			}
			org = who
		}
		env = org + "/" + env
	}
	return EnvSetCommand(env, proj.Name, key, value, secret), nil
}

// EnvSetCommand returns the pulumi arguments for writing a stack config key
// into an ESC environment: env set <org>/<project>/<env>
// pulumiConfig.<project>:<key> <value> [--secret].
func EnvSetCommand(env, project, key, value string, secret bool) []string {
	if !strings.Contains(key, ":") {
		key = project + ":" + key
	}
	args := []string{"env", "set", env, "pulumiConfig." + key, value}
	if secret {
		args = append(args, "--secret")
	}
	return args
}

// opError wraps an operation's error, explaining a locked stack or pending
// operations with the command that fixes it.
func (s *LocalStack) opError(ctx context.Context, op string, err error) error {
	err = cliError(err)
	if ctx.Err() != nil {
		if strings.Contains(err.Error(), "signal: killed") {
			return fmt.Errorf("pulumi %s was interrupted and did not stop within %s (pulumi.interrupt_grace), so it was killed: the stack is left locked, with the operations it had in flight pending in its state; `datalayer resume` says how to clear them", op, s.cmd.grace)
		}
		return fmt.Errorf("pulumi %s was interrupted: %w; it stopped after finishing the operations it had in flight", op, err)
	}
	if auto.IsConcurrentUpdateError(err) || strings.Contains(err.Error(), "currently locked") {
		// Use a fresh context: the caller's may be near its end.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if ls, lerr := s.Lock(lctx); lerr == nil && ls.Fix != "" {
			return fmt.Errorf("pulumi %s: %w: %w; fix: %s", op, ErrLocked, err, ls.Fix)
		}
		return fmt.Errorf("pulumi %s: %w: %w; fix: pulumi cancel --stack %s", op, ErrLocked, err, s.name)
	}
	return fmt.Errorf("pulumi %s: %w", op, err)
}

// marked marks an operation's error as AWS's refusal of the credentials
// or a network failure, from the CLI's output and the provider's error
// diagnostics; an interrupted operation is left as it is.
func (s *LocalStack) marked(ctx context.Context, err error, text string) error {
	if ctx.Err() != nil {
		return err
	}
	return markAWS(err, text)
}

// cliError shortens an Automation API error (its message carries the CLI's
// whole stdout) to the CLI's own message and the end of its stderr.
func cliError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	i := strings.Index(msg, "\ncode: ")
	if i < 0 {
		return err
	}
	inner := errors.Unwrap(err)
	if inner == nil {
		inner = errors.New(msg[:i])
	}
	stdout, stderr := "", ""
	if j := strings.Index(msg, "\nstderr: "); j >= 0 {
		stderr = strings.TrimSpace(msg[j+len("\nstderr: "):])
		if k := strings.Index(msg[:j], "\nstdout: "); k >= 0 {
			stdout = msg[k+len("\nstdout: ") : j]
		}
	}
	switch {
	case stderr != "":
		return fmt.Errorf("%w (%s)", inner, lastLines(stderr, 6))
	case errorLines(stdout) != "":
		// The CLI prints a failed update's diagnostics on stdout.
		return fmt.Errorf("%w (%s)", inner, errorLines(stdout))
	}
	return inner
}

// errorLines returns the distinct "error: ..." lines of the CLI's output,
// the last few, joined.
func errorLines(out string) string {
	var lines []string
	seen := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, "error: "); i >= 0 {
			l = l[i:]
		} else {
			continue
		}
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	if len(lines) > 4 {
		lines = lines[len(lines)-4:]
	}
	return strings.Join(lines, " | ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// pump forwards engine events to a callback and the progress channel.
type pump struct {
	ch   chan events.EngineEvent
	stop chan struct{}
	done chan struct{}
	// errors are the error diagnostics seen (read after finish).
	errors strings.Builder
}

func newPump(progress chan<- Progress, on func(events.EngineEvent)) *pump {
	p := &pump{ch: make(chan events.EngineEvent), stop: make(chan struct{}), done: make(chan struct{})}
	var once plannedOnce
	handle := func(ev events.EngineEvent) {
		on(ev)
		if d := ev.DiagnosticEvent; d != nil && strings.Contains(d.Severity, "error") {
			p.errors.WriteString(d.Message + "\n")
		}
		if pr, ok := ToProgress(ev); ok && progress != nil && once.keep(pr) {
			if pr.Time.IsZero() {
				pr.Time = time.Now()
			}
			progress <- pr
		}
	}
	go func() {
		defer close(p.done)
		for {
			select {
			case ev, ok := <-p.ch:
				if !ok {
					return
				}
				handle(ev)
			case <-p.stop:
				// The operation returned; take what is still in flight, but
				// do not wait for a stream the CLI never opened.
				for {
					select {
					case ev, ok := <-p.ch:
						if !ok {
							return
						}
						handle(ev)
					case <-time.After(time.Second):
						return
					}
				}
			}
		}
	}()
	return p
}

func (p *pump) finish() {
	close(p.stop)
	<-p.done
}

// cliCommand runs a pulumi binary given by path, interrupting it (SIGINT,
// as Ctrl-C does) when the context ends.
type cliCommand struct {
	path    string
	version semver.Version
	grace   time.Duration
}

var cliVersions sync.Map // binary path → semver.Version

func newCLICommand(ctx context.Context, path string, grace time.Duration) (*cliCommand, error) {
	if grace <= 0 {
		grace = 30 * time.Second
	}
	if path == "" {
		p, err := exec.LookPath("pulumi")
		if err != nil {
			return nil, fmt.Errorf("the pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) or give its path")
		}
		path = p
	}
	if v, ok := cliVersions.Load(path); ok {
		return &cliCommand{path: path, version: v.(semver.Version), grace: grace}, nil
	}
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = append(os.Environ(), "PULUMI_SKIP_UPDATE_CHECK=true")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run %s version: %w", path, err)
	}
	v, err := semver.ParseTolerant(strings.TrimSpace(string(out)))
	if err != nil {
		return nil, fmt.Errorf("pulumi version %q: %w (a CLI built without its version stamp cannot be used)", strings.TrimSpace(string(out)), err)
	}
	cliVersions.Store(path, v)
	return &cliCommand{path: path, version: v, grace: grace}, nil
}

// Version implements auto.PulumiCommand.
func (c *cliCommand) Version() semver.Version { return c.version }

// ProcessStarted describes a pulumi CLI process that has just started.
type ProcessStarted struct {
	PID     int
	Args    []string
	Started time.Time
}

type processObserverKey struct{}

// WithProcessObserver returns a context under which every pulumi CLI
// process this package starts is reported to observe right after it
// started, so a caller can record its pid (e.g. in a journal) and a later
// session can tell whether it still runs.
func WithProcessObserver(ctx context.Context, observe func(ProcessStarted)) context.Context {
	return context.WithValue(ctx, processObserverKey{}, observe)
}

// Run implements auto.PulumiCommand.
//
// The CLI writes its output to files rather than to pipes read by this
// process: if datalayer dies (SIGKILL, a crash), a pipe would break and the
// CLI's next line would kill it half-way through an update, leaving the
// stack locked with pending operations; with files it finishes the update
// cleanly and `datalayer resume` waits for it.
func (c *cliCommand) Run(ctx context.Context, workdir string, stdin io.Reader, additionalOutput, additionalErrorOutput []io.Writer,
	additionalEnv []string, args ...string,
) (string, string, int, error) {
	if !slices.Contains(args, "--non-interactive") {
		args = append([]string{"--non-interactive"}, args...)
	}
	cmd := exec.Command(c.path, args...)
	cmd.Dir = workdir
	env := append(os.Environ(), additionalEnv...)
	env = append(env, "PULUMI_AUTOMATION_API=true", "PATH="+filepath.Dir(c.path)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = env
	outFile, err := os.CreateTemp("", "datalayer-pulumi-stdout-*")
	if err != nil {
		return "", "", -2, fmt.Errorf("pulumi %s: output file: %w", firstArg(args), err)
	}
	errFile, err := os.CreateTemp("", "datalayer-pulumi-stderr-*")
	if err != nil {
		_ = outFile.Close()
		_ = os.Remove(outFile.Name())
		return "", "", -2, fmt.Errorf("pulumi %s: output file: %w", firstArg(args), err)
	}
	defer func() {
		_ = outFile.Close()
		_ = errFile.Close()
		_ = os.Remove(outFile.Name())
		_ = os.Remove(errFile.Name())
	}()
	cmd.Stdout, cmd.Stderr = outFile, errFile
	if len(additionalOutput) > 0 || len(additionalErrorOutput) > 0 {
		// Progress streams want the text as it comes: pipes then.
		cmd.Stdout = io.MultiWriter(append(additionalOutput, outFile)...)
		cmd.Stderr = io.MultiWriter(append(additionalErrorOutput, errFile)...)
	}
	cmd.Stdin = stdin
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return "", "", -2, err
	}
	if observe, ok := ctx.Value(processObserverKey{}).(func(ProcessStarted)); ok && observe != nil {
		observe(ProcessStarted{PID: cmd.Process.Pid, Args: slices.Clone(args), Started: time.Now()})
	}
	exited := make(chan struct{})
	go func() {
		select {
		case <-exited:
		case <-ctx.Done():
			// As Ctrl-C: the CLI cancels the update and releases the lock.
			_ = interrupt(cmd)
			select {
			case <-exited:
			case <-time.After(c.grace):
				// As a second Ctrl-C or a kill: the CLI and its plugins stop
				// at once, leaving the lock and pending operations behind.
				_ = killGroup(cmd)
			}
		}
	}()
	err = cmd.Wait()
	close(exited)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	code := -2
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err == nil {
		code = 0
	}
	stdout, _ := os.ReadFile(outFile.Name())
	stderr, _ := os.ReadFile(errFile.Name())
	return string(stdout), string(stderr), code, err
}

func firstArg(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}
