package e2e

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeBlock returns the shell block of README.md between the markers
// <!-- production-path:NAME --> and <!-- /production-path:NAME -->.
func readmeBlock(t *testing.T, readme, name string) string {
	t.Helper()
	re := regexp.MustCompile("(?s)<!-- production-path:" + name + " -->\\s*```sh\\n(.*?)```\\s*<!-- /production-path:" + name + " -->")
	m := re.FindStringSubmatch(readme)
	if m == nil {
		t.Fatalf("README.md has no production-path:%s block", name)
	}
	return m[1]
}

// TestReadmeProductionPath follows README's "The production path, tried
// against datalayer sim" as written: its set-up commands in bash, then each
// datalayer command of the run block, answering prompts as an engineer
// following the recommendations would. Only the simulator's port is
// changed (tests run side by side).
func TestReadmeProductionPath(t *testing.T) {
	t.Parallel()
	binary(t) // the build cache is warm for the README's own go build
	for _, tool := range []string{"git", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed", tool)
		}
	}
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	setup := strings.ReplaceAll(readmeBlock(t, readme, "setup"), "127.0.0.1:4566", addr)
	run := readmeBlock(t, readme, "run")

	home := t.TempDir()
	// A person's git knows who they are.
	write(t, filepath.Join(home, ".gitconfig"), "[user]\n\tname = On-call Engineer\n\temail = oncall@example.com\n")
	envFile := filepath.Join(home, "env.out")
	script := "set -euo pipefail\n" + setup + "\nenv -0 > " + envFile + "\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = ".."
	// A person's HOME holds their Go and tool caches; this one is new, so
	// the machine's caches are named (else the README's go build and
	// tools/pulumi/build.sh would start cold).
	cmd.Env = append(cleanEnviron(), "HOME="+home, "GOCACHE="+goEnv(t, "GOCACHE"), "GOMODCACHE="+goEnv(t, "GOMODCACHE"),
		"GOPATH="+goEnv(t, "GOPATH"), "XDG_CACHE_HOME="+userCacheDir(t))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The simulator it starts in the background is in bash's process group.
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) })
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Minute):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatalf("README's set-up did not finish:\n%s", out.String())
	}
	if err != nil {
		t.Fatalf("README's set-up failed: %v\n%s", err, out.String())
	}
	t.Logf("set-up:\n%s", out.String())

	raw, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(raw), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && (strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "PULUMI_") || k == "PATH" || k == "HOME") {
			env[k] = v
		}
	}
	demo := filepath.Join(home, "datalayer-demo")
	p := &prod{t: t, bin: filepath.Join(demo, "bin", "datalayer"), root: filepath.Join(demo, "repo"), env: env}
	var all strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(run), "\n") {
		args := strings.Fields(line)
		if len(args) == 0 || args[0] != "datalayer" {
			t.Fatalf("the run block's line %q is not a datalayer command", line)
		}
		var o string
		code := 0
		switch args[1] {
		case "deploy", "upgrade", "restore", "resume":
			// Runbooks: prompts answered as the recommendations say.
			o, code = p.plain(8*time.Minute, nil, args[1:]...)
		default:
			var err error
			if o, err = p.try(p.root, p.bin, args[1:]...); err != nil {
				code = -1
				o += err.Error()
			}
		}
		fmt.Fprintf(&all, "$ %s\n%s\n", line, o)
		if code != 0 {
			t.Fatalf("%s exited %d:\n%s", line, code, all.String())
		}
	}
	t.Logf("run:\n%s", all.String())
	reqs, err := os.ReadFile(filepath.Join(demo, "requests.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// Following the recommendations, the wizard restores to the latest
	// restorable time (the damage "now", minutes lost) rather than from a
	// snapshot (hours lost): one restore either way.
	n := strings.Count(string(reqs), `"action":"RestoreDBInstanceFromDBSnapshot","status":200`) +
		strings.Count(string(reqs), `"action":"RestoreDBInstanceToPointInTime","status":200`)
	if n != 1 {
		t.Errorf("the restore reached AWS %d times, want 1:\n%s", n, reqs)
	}
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

func userCacheDir(t *testing.T) string {
	t.Helper()
	d, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
