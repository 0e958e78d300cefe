package pulumiclient

import (
	"os"
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
	if len(got) != 1 || !strings.HasSuffix(got[0].Path, "a1.json") || got[0].Holder != "ci@runner pid 42 since 2026-11-25T22:00:00Z" {
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
