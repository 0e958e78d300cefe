package pulumiclient

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

func TestLockFromState(t *testing.T) {
	creating := apitype.OperationV2{Type: apitype.OperationTypeCreating, Resource: apitype.ResourceV3{URN: urnApp}}
	deleting := apitype.OperationV2{Type: apitype.OperationTypeDeleting, Resource: apitype.ResourceV3{URN: urnApp}}
	lock := LockFile{Path: "/b/.pulumi/locks/organization/data/staging/x.json", Holder: "ci@runner pid 42 since 2026-11-25T22:00:00Z"}
	tests := []struct {
		name    string
		locks   []LockFile
		pending []apitype.OperationV2
		locked  bool
		fix     []string
	}{
		{"clean", nil, nil, false, nil},
		{"locked", []LockFile{lock}, nil, true, []string{"pulumi cancel --stack staging", "ci@runner pid 42"}},
		{"pending create", nil, []apitype.OperationV2{creating}, false, []string{"pulumi refresh --clear-pending-creates --stack staging"}},
		{"pending delete", nil, []apitype.OperationV2{deleting}, false, []string{"pulumi stack export --stack staging | jq 'del(.deployment.pending_operations)' | pulumi stack import --stack staging"}},
		{"both", []LockFile{lock}, []apitype.OperationV2{creating, deleting}, true, []string{"pulumi cancel --stack staging", "jq 'del(.deployment.pending_operations)'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := LockFromState("staging", tt.locks, tt.pending)
			if ls.Locked != tt.locked || len(ls.PendingOperations) != len(tt.pending) {
				t.Errorf("state = %+v", ls)
			}
			if len(tt.fix) == 0 && ls.Fix != "" {
				t.Errorf("Fix = %q, want none", ls.Fix)
			}
			for _, f := range tt.fix {
				if !strings.Contains(ls.Fix, f) {
					t.Errorf("Fix %q lacks %q", ls.Fix, f)
				}
			}
		})
	}
}

// TestLockHeldByARunningUpdate: a lock whose holder is still at work on
// this machine is an update in progress (e.g. the CLI a killed datalayer
// left finishing): the fix is to wait, never `pulumi cancel`. A holder that
// is gone is a stale lock, and cancel is the fix.
func TestLockHeldByARunningUpdate(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	running := LockFile{Path: "/b/x.json", Holder: "me@" + host + " pid 4242", PID: 4242, Host: host, Running: true}
	ls := LockFromState("staging", []LockFile{running}, []apitype.OperationV2{{Type: apitype.OperationTypeCreating, Resource: apitype.ResourceV3{URN: urnApp}}})
	if !ls.Locked || ls.RunningPID != 4242 || strings.Contains(ls.Fix, "pulumi cancel --stack") || !strings.Contains(ls.Fix, "let it finish") ||
		len(ls.PendingOperations) != 1 {
		t.Errorf("running holder: %+v", ls)
	}
	stale := running
	stale.Running = false
	ls = LockFromState("staging", []LockFile{stale}, nil)
	if ls.RunningPID != 0 || !strings.Contains(ls.Fix, "pulumi cancel --stack staging") {
		t.Errorf("stale holder: %+v", ls)
	}
}

// TestFileBackendLockHolders: the CLI's lock file is running while its
// process, a pulumi on this machine, runs; not once it is gone, nor when
// its pid now runs another program, nor when it was written on another
// machine.
func TestFileBackendLockHolders(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	start := func(name string) int {
		// sh's $0 puts the name on its command line, as pulumi's is.
		cmd := exec.Command("sh", "-c", "sleep 60; :", name)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd.Process.Pid
	}
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	pulumi, other := start("pulumi"), start("postgres")
	for _, tt := range []struct {
		name    string
		pid     int
		host    string
		running bool
	}{
		{"a running pulumi", pulumi, host, true},
		{"a process that is gone", gone.Process.Pid, host, false},
		{"a pid running another program", other, host, false},
		{"another machine", pulumi, host + "-other", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, ".pulumi/locks/organization/data/staging/a1.json")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			body := fmt.Sprintf(`{"pid":%d,"username":"me","hostname":%q,"timestamp":"2026-11-25T22:00:00Z"}`, tt.pid, tt.host)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			locks, err := FileBackendLocks("file://"+root, "data", "staging")
			if err != nil || len(locks) != 1 || locks[0].Running != tt.running {
				t.Fatalf("locks = %+v %v, want running=%v", locks, err, tt.running)
			}
			if ls := LockFromState("staging", locks, nil); (ls.RunningPID == tt.pid) != tt.running {
				t.Errorf("lock state = %+v", ls)
			}
		})
	}
}

func TestFileBackendLocks(t *testing.T) {
	root := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".pulumi/locks/organization/data/staging/a1.json", `{"pid":42,"username":"ci","hostname":"runner","timestamp":"2026-11-25T22:00:00Z"}`)
	write(".pulumi/locks/organization/data/production/b2.json", `{}`)
	write(".pulumi/locks/organization/application/staging/c3.json", `{}`)
	got, err := FileBackendLocks("file://"+root, "data", "staging")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.HasSuffix(got[0].Path, "a1.json") || got[0].Holder != "ci@runner pid 42 since 2026-11-25T22:00:00Z" ||
		got[0].PID != 42 || got[0].Host != "runner" {
		t.Errorf("locks = %+v", got)
	}
	if got, _ := FileBackendLocks("file://"+t.TempDir(), "data", "staging"); len(got) != 0 {
		t.Errorf("empty backend has locks: %v", got)
	}
	if got, _ := FileBackendLocks("https://api.pulumi.com", "data", "staging"); got != nil {
		t.Errorf("service backend: %v", got)
	}
}

func TestEnvSetCommand(t *testing.T) {
	got := strings.Join(EnvSetCommand("planx/application/staging", "application", "db-host", "app1234567.c9akciq32x1z.eu-west-2.rds.amazonaws.com", true), " ")
	want := "env set planx/application/staging pulumiConfig.application:db-host app1234567.c9akciq32x1z.eu-west-2.rds.amazonaws.com --secret"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestAddPlugins(t *testing.T) {
	dir := t.TempDir()
	body := "name: data\nruntime: yaml\n# keep me\nresources: {}\n"
	path := filepath.Join(dir, "Pulumi.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	plugins := []Plugin{{Name: "aws", Path: "/opt/tools/provider", Version: "7.35.0"}, {Name: "yaml", Kind: "language", Path: "/opt/tools/bin"}}
	for i := 0; i < 2; i++ { // the second call finds the same section and leaves the file alone
		if err := addPlugins(dir, plugins); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	want := body + "plugins:\n  providers:\n    - name: aws\n      path: \"/opt/tools/provider\"\n      version: \"7.35.0\"\n  languages:\n    - name: yaml\n      path: \"/opt/tools/bin\"\n"
	if string(b) != want {
		t.Errorf("Pulumi.yaml =\n%s\nwant\n%s", b, want)
	}
	if err := addPlugins(dir, []Plugin{{Name: "aws", Path: "/elsewhere"}}); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("conflicting plugins = %v", err)
	}
}
