package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
)

var update = flag.Bool("update", false, "rewrite golden files")

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type result struct {
	code        int
	out, errOut string
}

// execute runs the command line with an isolated environment: no config
// file, no AWS shared files, the given variables.
func execute(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	return executeIn(t, ctx, "", env, args...)
}

// executeIn is execute with the given standard input.
func executeIn(t *testing.T, ctx context.Context, stdin string, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut syncBuffer
	base := map[string]string{"HOME": t.TempDir()}
	for k, v := range env {
		base[k] = v
	}
	code := Execute(ctx, args, IO{
		In: strings.NewReader(stdin), Out: &out, Err: &errOut,
		Env: func(k string) string { return base[k] },
		Now: func() time.Time { return simStart.Add(time.Minute) },
	})
	return result{code, out.String(), errOut.String()}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		code    int
		wantErr string
	}{
		{"help", []string{"--help"}, nil, ExitOK, ""},
		{"no command shows help", nil, nil, ExitOK, ""},
		{"unknown command", []string{"bogus"}, nil, ExitUsage, `unknown command "bogus"`},
		{"unknown flag", []string{"status", "--nope"}, nil, ExitUsage, "unknown flag: --nope"},
		{"stack and instance", []string{"status", "--stack", "staging", "--instance", "a"}, nil, ExitUsage, "none of the others can be"},
		{"stack without instance or program", []string{"status", "--stack", "staging"}, nil, ExitUsage, "no instance configured and data.dir: no Pulumi program"},
		{"unknown stack", []string{"status", "--stack", "qa"}, nil, ExitUsage, `unknown stack "qa"`},
		{"bad instance id", []string{"status", "--instance", "1bad"}, nil, ExitUsage, "--instance"},
		{"rehearse without runbook", []string{"rehearse"}, nil, ExitUsage, "name one runbook"},
		{"rehearse unknown runbook", []string{"rehearse", "migrate"}, nil, ExitUsage, `unknown runbook "migrate"`},
		{"rehearse bad scenario", []string{"rehearse", "restore", "--scenario", "meteor"}, nil, ExitUsage, `--scenario "meteor"`},
		{"rehearse bad speed", []string{"rehearse", "restore", "--speed", "-1"}, nil, ExitUsage, "--speed -1"},
		{"rehearse bad method", []string{"rehearse", "restore", "--method", "magic"}, nil, ExitUsage, `--method "magic"`},
		{"rehearse bad engine", []string{"rehearse", "deploy", "--engine", "terraform"}, nil, ExitUsage, `--engine "terraform": use one of sim, pulumi`},
		{"method outside restore", []string{"rehearse", "deploy", "--method", "pulumi"}, nil, ExitUsage, "belongs to the restore runbook"},
		{"rehearse bad --to", []string{"rehearse", "restore", "--to", "yesterday"}, nil, ExitUsage, `--to "yesterday" is neither a UTC time`},
		{"--to not in UTC", []string{"rehearse", "restore", "--to", "2026-12-02T15:01:00+01:00"}, nil, ExitUsage, "is not in UTC: write it with Z (2026-12-02T14:01:00Z)"},
		{"--to outside restore", []string{"rehearse", "upgrade", "--to", "20m"}, nil, ExitUsage, "belongs to the restore runbook"},
		{"checklist bad --to", []string{"checklist", "restore", "--to", "soon"}, nil, ExitUsage, `--to "soon"`},
		{"deploy needs a stack", []string{"deploy"}, nil, ExitUsage, `required flag(s) "stack" not set`},
		{"yes refused on production", []string{"restore", "--stack", "production", "--yes"}, nil, ExitUsage, "never accepted on the production stack"},
		{"bad config from env", []string{"status"}, map[string]string{"AWS_REGION": "mars"}, ExitUsage, "$AWS_REGION: region"},
		{"missing config file", []string{"status", "--config", "/nonexistent/datalayer.yaml"}, nil, ExitUsage, "config file"},
		{"sim bad scenario", []string{"sim", "--scenario", "meteor"}, nil, ExitUsage, `--scenario "meteor"`},
		{"sim bad caller", []string{"sim", "--caller", "AKIDONLY"}, nil, ExitUsage, `--caller "AKIDONLY": give ACCESS_KEY_ID=ARN`},
		{"report extra args", []string{"report", "a", "b"}, nil, ExitUsage, "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := execute(t, context.Background(), tt.env, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, tt.code, r.errOut)
			}
			if tt.wantErr != "" && !strings.Contains(r.errOut, tt.wantErr) {
				t.Fatalf("stderr %q does not contain %q", r.errOut, tt.wantErr)
			}
			if tt.code == ExitUsage && !strings.Contains(r.errOut, "--help' for usage") {
				t.Fatalf("usage error without a pointer to --help: %q", r.errOut)
			}
		})
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range []string{"rehearse", "deploy", "upgrade", "restore", "checklist", "status", "resume", "report", "sim", "version"} {
		t.Run(cmd, func(t *testing.T) {
			r := execute(t, context.Background(), nil, cmd, "--help")
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.errOut)
			}
			if !strings.Contains(r.out, "Examples:\n  datalayer "+cmd) && !strings.Contains(r.out, "Examples:\n  "+"datalayer "+cmd) {
				t.Fatalf("%s --help has no example starting with `datalayer %s`:\n%s", cmd, cmd, r.out)
			}
		})
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			r := execute(t, context.Background(), nil, "completion", shell)
			if r.code != ExitOK || !strings.Contains(r.out, "datalayer") {
				t.Fatalf("completion %s: exit %d, %d bytes", shell, r.code, len(r.out))
			}
		})
	}
	// Cobra's hidden completion entry point, as the shells call it.
	r := execute(t, context.Background(), nil, "__complete", "rehearse", "restore", "--scenario", "")
	if r.code != ExitOK || !strings.Contains(r.out, "rename-refused") {
		t.Fatalf("scenario completion: exit %d, out %q", r.code, r.out)
	}
	r = execute(t, context.Background(), nil, "__complete", "deploy", "--stack", "")
	if !strings.Contains(r.out, "staging\nproduction") {
		t.Fatalf("stack completion: %q", r.out)
	}
}

func TestChecklist(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"checklist", "deploy"}, []string{"# Checklist", "pulumi refresh"}},
		{[]string{"checklist", "restore", "--method", "console", "--lost", "isolated", "--stack", "staging"}, []string{"# Checklist", "staging"}},
		{[]string{"checklist", "upgrade", "--stack", "production"}, []string{"# Checklist", "production"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := execute(t, context.Background(), nil, tt.args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("checklist lacks %q", w)
				}
			}
		})
	}
}

func TestReportWithoutRuns(t *testing.T) {
	r := execute(t, context.Background(), map[string]string{"DATALAYER_STATE_DIR": t.TempDir()}, "report")
	if r.code != ExitFailed || !strings.Contains(r.errOut, "no run") {
		t.Fatalf("exit %d, stderr %q", r.code, r.errOut)
	}
}

func TestVersion(t *testing.T) {
	r := execute(t, context.Background(), nil, "version")
	if r.code != ExitOK || !strings.HasPrefix(r.out, "datalayer ") || !strings.Contains(r.out, "go1.") {
		t.Fatalf("version: exit %d, %q", r.code, r.out)
	}
	r = execute(t, context.Background(), nil, "version", "--json")
	if r.code != ExitOK || !strings.Contains(r.out, `"go": "go1.`) {
		t.Fatalf("version --json: exit %d, %q", r.code, r.out)
	}
}

func TestPlainWhenNotATerminal(t *testing.T) {
	a := &app{io: IO{Env: func(string) string { return "" }}}
	if !a.plainOutput() {
		t.Fatal("stdout is not a terminal: plain output expected")
	}
	a.io.OutTerminal = true
	if !a.plainOutput() {
		t.Fatal("stdin is not a terminal (answers piped in): plain output expected")
	}
	a.io.InTerminal = true
	if a.plainOutput() {
		t.Fatal("a terminal without --plain should get the TUI")
	}
}

func TestInterruptedExitCode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := &app{io: IO{Err: &bytes.Buffer{}}, started: true}
	if got := a.exitCode(ctx, nil, &InterruptedError{RunID: "r1"}); got != ExitInterrupted {
		t.Fatalf("InterruptedError: exit %d", got)
	}
	if !strings.Contains(a.io.Err.(*bytes.Buffer).String(), "datalayer resume r1") {
		t.Fatalf("no resume hint: %q", a.io.Err.(*bytes.Buffer).String())
	}
	if got := a.exitCode(ctx, nil, context.Canceled); got != ExitInterrupted {
		t.Fatalf("cancelled context: exit %d", got)
	}
	if got := a.exitCode(context.Background(), nil, context.Canceled); got != ExitFailed {
		t.Fatalf("cancelled without a signal: exit %d, want failure", got)
	}
}

var simStart = time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)

// startSim serves the simulator on a free port with a stopped clock and
// points the AWS SDK of this process at it.
func startSim(t *testing.T, scenario string) string {
	t.Helper()
	sim, err := rdssim.New(rdssim.Options{Clock: clock.NewManual(simStart), Scenario: scenario})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bound, done, err := rdssim.Start(ctx, "127.0.0.1:0", sim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
	})
	url := "http://" + bound
	isolateAWS(t)
	t.Setenv("AWS_ENDPOINT_URL", url)
	return url
}

// isolateAWS keeps the developer's AWS files and variables out of a test.
func isolateAWS(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-2",
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL_RDS": "", "AWS_ENDPOINT_URL_STS": "",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

func osEnv() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if k != "HOME" && !strings.HasPrefix(k, "XDG_") && !strings.HasPrefix(k, "DATALAYER_") {
			m[k] = v
		}
	}
	return m
}

func TestStatusAgainstSimulator(t *testing.T) {
	url := startSim(t, "default")
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"every instance", []string{"status"}, "status_all.golden"},
		{"one instance as JSON", []string{"status", "--instance", "app5ec7032", "--json"}, "status_instance_json.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := execute(t, context.Background(), osEnv(), tt.args...)
			if r.code != ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.errOut)
			}
			got := strings.ReplaceAll(r.out, url, "http://SIM")
			checkGolden(t, tt.golden, got)
		})
	}
	t.Run("stack from config", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(cfg, []byte("stacks:\n  - name: staging\n    instance: app5ec7032\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := execute(t, context.Background(), osEnv(), "--config", cfg, "status", "--stack", "staging")
		if r.code != ExitOK || !strings.Contains(r.out, "app5ec7032  available") {
			t.Fatalf("exit %d, out %q, err %q", r.code, r.out, r.errOut)
		}
	})
	t.Run("missing instance fails with the next action", func(t *testing.T) {
		r := execute(t, context.Background(), osEnv(), "status", "--instance", "app0000000")
		if r.code != ExitFailed || !strings.Contains(r.errOut, "datalayer status") {
			t.Fatalf("exit %d, err %q", r.code, r.errOut)
		}
	})
}

func TestSimCommandSavesState(t *testing.T) {
	isolateAWS(t)
	state := filepath.Join(t.TempDir(), "world.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"sim", "--addr", "127.0.0.1:0", "--state", state, "--scenario", "rename-refused"},
			IO{In: strings.NewReader(""), Out: &out, Err: &errOut, Env: func(string) string { return "" }})
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), "Stop with Ctrl-C") {
		select {
		case code := <-done:
			t.Fatalf("sim ended early with %d: %s", code, errOut.String())
		case <-deadline:
			t.Fatalf("sim did not start: %q", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !strings.Contains(out.String(), "rds describe-db-instances") || !strings.Contains(out.String(), "scenario rename-refused") {
		t.Fatalf("banner lacks the example: %q", out.String())
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Fatalf("sim exit %d after Ctrl-C: %s", code, errOut.String())
	}
	f, err := os.Open(state)
	if err != nil {
		t.Fatalf("state not saved: %v", err)
	}
	defer f.Close()
	sim, err := rdssim.New(rdssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Load(f); err != nil {
		t.Fatalf("saved state does not load: %v", err)
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli/ -update)", err)
	}
	if string(want) != got {
		t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestRehearseResumeReport drives the whole command line through a
// rehearsal: a restore that stops when its input ends, its resume with the
// missing answer, and the report of the finished run.
func TestRehearseResumeReport(t *testing.T) {
	isolateAWS(t)
	env := map[string]string{"DATALAYER_STATE_DIR": t.TempDir()}
	ctx := context.Background()

	r := execute(t, ctx, env, "rehearse", "restore", "--plain", "--yes", "--speed", "1000")
	if r.code != ExitFailed || !strings.Contains(r.errOut, "datalayer resume ") {
		t.Fatalf("restore without an answer for what was lost: exit %d, stderr %q", r.code, r.errOut)
	}
	if !strings.Contains(r.out, "What was lost?") {
		t.Fatalf("the wizard's question is missing:\n%s", r.out)
	}

	// isolated tables: the console method, beside the database.
	r = executeIn(t, ctx, "isolated\n", env, "resume", "--plain", "--yes")
	if r.code != ExitOK {
		t.Fatalf("resume: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	if !strings.Contains(r.out, "run done") {
		t.Fatalf("resume did not finish the run:\n%s", r.out)
	}

	r = execute(t, ctx, env, "report", "latest")
	if r.code != ExitOK || !strings.HasPrefix(r.out, "# ") || !strings.Contains(r.out, "restore") {
		t.Fatalf("report: exit %d, %q", r.code, r.errOut)
	}

	r = execute(t, ctx, env, "resume")
	if r.code != ExitFailed || !strings.Contains(r.errOut, "start one with") {
		t.Fatalf("resume with nothing to resume: exit %d, %q", r.code, r.errOut)
	}
}

// TestRehearsePulumiEngineNeedsACLI: --engine pulumi with no pulumi CLI on
// PATH (and none configured) stops before anything starts, naming how to
// get one and the engine that needs none.
func TestRehearsePulumiEngineNeedsACLI(t *testing.T) {
	isolateAWS(t)
	t.Setenv("PATH", t.TempDir())
	state := t.TempDir()
	r := execute(t, context.Background(), map[string]string{"DATALAYER_STATE_DIR": state}, "rehearse", "deploy", "--engine", "pulumi", "--plain", "--yes")
	if r.code != ExitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, ExitUsage, r.errOut)
	}
	for _, want := range []string{"no pulumi CLI found on PATH", "pulumi.binary", "tools/pulumi/build.sh", "leave out --engine pulumi"} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.errOut)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(state, "rehearsals")); len(entries) > 0 {
		t.Errorf("a world was left behind: %v", entries)
	}
}

func TestRehearseDeployPlain(t *testing.T) {
	isolateAWS(t)
	env := map[string]string{"DATALAYER_STATE_DIR": t.TempDir()}
	r := execute(t, context.Background(), env, "rehearse", "deploy", "--plain", "--yes", "--speed", "1000")
	if r.code != ExitOK || !strings.Contains(r.out, "run done") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
}

// TestInterruptedRehearsal cancels the signal context in the middle of a
// real-time rehearsal: exit 130 and the resume command on stderr.
func TestInterruptedRehearsal(t *testing.T) {
	isolateAWS(t)
	state := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Execute(ctx, []string{"rehearse", "restore", "--plain", "--yes", "--lost", "whole", "--speed", "1"}, IO{
			In: strings.NewReader(""), Out: &out, Err: &errOut,
			Env: func(k string) string { return map[string]string{"DATALAYER_STATE_DIR": state}[k] },
		})
	}()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(out.String(), "▶ identity") {
		select {
		case code := <-done:
			t.Fatalf("the rehearsal ended before it was interrupted: exit %d\n%s\n%s", code, out.String(), errOut.String())
		case <-deadline:
			t.Fatalf("no step started: %q", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if code := <-done; code != ExitInterrupted {
		t.Fatalf("exit %d, want %d; stderr %q", code, ExitInterrupted, errOut.String())
	}
	if !strings.Contains(errOut.String(), "datalayer resume ") {
		t.Fatalf("no resume hint: %q", errOut.String())
	}
}

// The command line offers each runbook's options from its declaration and
// checks them with the engine's own check, so the two cannot disagree: the
// wizard's "none" method is accepted here as it is by a run, and a
// decision no flag names is pre-answered with --answer.
func TestRunbookOptionsFromDeclarations(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout (ExitOK) or stderr
	}{
		{"--method none, as the wizard offers it", []string{"rehearse", "restore", "--plain", "--yes", "--lost", "none", "--method", "none"}, ExitOK, "Repair without a restore"},
		{"--answer pre-answers a decision no flag names", []string{"rehearse", "restore", "--plain", "--yes", "--lost", "isolated", "--method", "console", "--answer", "maintenance=on", "--speed", "600"}, ExitOK, "Turn maintenance mode on? → on (pre-answered)"},
		{"--answer needs ID=VALUE", []string{"rehearse", "restore", "--plain", "--yes", "--answer", "maintenance"}, ExitUsage, "give ID=VALUE"},
		{"--target belongs to upgrade", []string{"checklist", "restore", "--target", "17.7"}, ExitUsage, "--target belongs to the upgrade runbook, not restore"},
		{"checklist --method none", []string{"checklist", "restore", "--method", "none"}, ExitOK, "Path: method=none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := execute(t, t.Context(), map[string]string{"DATALAYER_STATE_DIR": t.TempDir()}, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.out, r.errOut)
			}
			got := r.out
			if tt.code != ExitOK {
				got = r.errOut
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("output lacks %q:\n%s\n%s", tt.want, r.out, r.errOut)
			}
		})
	}
}
