package runbooks

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestChecklistGolden(t *testing.T) {
	tests := []struct {
		name    string
		runbook string
		opts    ChecklistOptions
	}{
		{"deploy", "deploy", ChecklistOptions{Stack: "staging"}},
		{"upgrade-production", "upgrade", ChecklistOptions{Stack: "production"}},
		{"restore-all-branches", "restore", ChecklistOptions{}},
		{"restore-pulumi-whole", "restore", ChecklistOptions{Stack: "production", Flags: map[string]string{"lost": "whole", "method": "pulumi"}, Vars: map[string]string{"exists": "yes"}}},
		{"restore-console-isolated", "restore", ChecklistOptions{Stack: "staging", Flags: map[string]string{"lost": "isolated"}, Vars: map[string]string{"exists": "yes"}}},
		{"restore-none", "restore", ChecklistOptions{Stack: "production", Flags: map[string]string{"lost": "none"}}},
		{"restore-pulumi-point-in-time", "restore", ChecklistOptions{Stack: "staging", Flags: map[string]string{"lost": "critical", "to": "2026-12-02T14:01:00Z"}, Vars: map[string]string{"exists": "yes"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Checklist(tt.runbook, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "checklist", tt.name+".golden.md")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./steps -run TestChecklistGolden -update)", err)
			}
			if got != string(want) {
				t.Errorf("checklist differs from %s; run with -update and review the diff:\n%s", path, got)
			}
		})
	}
}

func TestChecklistPaths(t *testing.T) {
	tests := []struct {
		opts        ChecklistOptions
		has, hasNot []string
	}{
		{ChecklistOptions{Flags: map[string]string{"method": "console"}, Vars: map[string]string{"exists": "yes"}}, []string{"Rename the old instance", "Compare the restored instance with the export", "which instance Pulumi's state follows"}, []string{"Add snapshotIdentifier", "Redeploy the application layer"}},
		{ChecklistOptions{Flags: map[string]string{"method": "pulumi"}}, []string{"Add snapshotIdentifier", "final snapshot", "Prepare the application's db-host", "[skip pizza]"}, []string{"Rename the old instance"}},
		{ChecklistOptions{Flags: map[string]string{"lost": "none"}}, []string{"Repair without a restore"}, []string{"Pick the snapshot", "Turn maintenance mode on"}},
		{ChecklistOptions{Flags: map[string]string{"lost": "critical"}}, []string{"Turn maintenance mode on", "Add snapshotIdentifier"}, []string{"Rename the old instance"}},
		{ChecklistOptions{Flags: map[string]string{"method": "pulumi", "to": "20m"}}, []string{"When did the damage happen?", "Restore to a point in time or from a snapshot?", "restoreToPointInTime", "Path: method=pulumi restore-from=time"},
			[]string{"Pick the snapshot", "*only when restore-from"}},
		{ChecklistOptions{Flags: map[string]string{"method": "console"}}, []string{"When did the damage happen?", "Pick the snapshot", "*only when restore-from is snapshot*", "restore-db-instance-to-point-in-time"}, nil},
		{ChecklistOptions{Flags: map[string]string{"method": "console"}, Vars: map[string]string{"exists": "no"}}, []string{"Restore with exactly the exported settings"}, []string{"Rename the old instance", "Take a fresh snapshot"}},
	}
	for _, tt := range tests {
		got, err := Checklist("restore", tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range tt.has {
			if !strings.Contains(got, s) {
				t.Errorf("%+v: checklist lacks %q", tt.opts, s)
			}
		}
		for _, s := range tt.hasNot {
			if strings.Contains(got, s) {
				t.Errorf("%+v: checklist has %q, which is off this path", tt.opts, s)
			}
		}
	}
}

func TestChecklistBadInput(t *testing.T) {
	for _, tt := range []struct {
		runbook string
		opts    ChecklistOptions
		want    string
	}{
		{"rollback", ChecklistOptions{}, "unknown runbook"},
		{"restore", ChecklistOptions{Flags: map[string]string{"method": "aws"}}, "--method"},
		{"restore", ChecklistOptions{Flags: map[string]string{"lost": "some"}}, "--lost"},
		{"restore", ChecklistOptions{Vars: map[string]string{"exists": "maybe"}}, "exists"},
	} {
		if _, err := Checklist(tt.runbook, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Checklist(%q, %+v) = %v, want an error about %s", tt.runbook, tt.opts, err, tt.want)
		}
	}
}

func TestRunbooksValid(t *testing.T) {
	for _, name := range Names() {
		b, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, s := range b.Steps {
			if s.Explanation == "" || s.Title == "" || s.Phase == "" {
				t.Errorf("%s/%s: needs a title, a phase and an explanation", name, s.ID)
			}
		}
	}
}

func TestRecommendMethod(t *testing.T) {
	for _, tt := range []struct{ lost, exists, want string }{
		{"whole", "no", "pulumi"},
		{"whole", "yes", "pulumi"},
		{"critical", "yes", "pulumi"},
		{"isolated", "yes", "console"},
		{"isolated", "no", "pulumi"},
		{"none", "yes", "none"},
	} {
		got, reasons := recommendMethod(tt.lost, tt.exists)
		if got != tt.want || reasons[got] == "" {
			t.Errorf("recommendMethod(%s, %s) = %s (%q), want %s with a reason", tt.lost, tt.exists, got, reasons[got], tt.want)
		}
	}
}

func TestHelpers(t *testing.T) {
	if h, err := swapFirstLabel("app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com", "app1a2b3c4"); err != nil || h != "app1a2b3c4.c9akciq32x1z.eu-west-2.rds.amazonaws.com" {
		t.Errorf("swapFirstLabel = %q, %v", h, err)
	}
	if _, err := swapFirstLabel("localhost", "x"); err == nil {
		t.Error("swapFirstLabel accepted a host without a domain")
	}
	if got := principalName("arn:aws:iam::123456789012:user/planx-staging-pulumi"); got != "planx-staging-pulumi" {
		t.Errorf("principalName = %q", got)
	}
	if got := principalName("arn:aws:sts::123456789012:assumed-role/deployer/session"); got != "deployer" {
		t.Errorf("principalName = %q", got)
	}
	if got := snapshotBeforeName("app5ec7032", "17.6"); got != "app5ec7032-before-17-6" {
		t.Errorf("snapshotBeforeName = %q", got)
	}
	if !engine.IsProductionStack("production") || !engine.IsProductionStack("planx/production") || engine.IsProductionStack("staging") {
		t.Error("IsProductionStack")
	}
}

func TestIdentityFits(t *testing.T) {
	const prof = "planx-staging-pulumi"
	for _, tt := range []struct {
		name string
		id   awsclient.Identity
		want bool
	}{
		{"user named like the profile", awsclient.Identity{ARN: "arn:aws:iam::123456789012:user/planx-staging-pulumi", CredentialSource: "EnvConfigCredentials"}, true},
		{"docker-user took over", awsclient.Identity{ARN: "arn:aws:iam::123456789012:user/docker-user", Profile: "docker-user", CredentialSource: "SharedConfigCredentials: /home/x/.aws/credentials"}, false},
		{"profile loaded, SSO role", awsclient.Identity{ARN: "arn:aws:sts::123456789012:assumed-role/Admin/me", Profile: prof, CredentialSource: "SSOProvider"}, true},
		{"profile named but env keys won", awsclient.Identity{ARN: "arn:aws:sts::123456789012:assumed-role/Other/me", Profile: prof, CredentialSource: "EnvConfigCredentials"}, false},
	} {
		if got := identityFits(tt.id, prof); got != tt.want {
			t.Errorf("%s: identityFits = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !identityFits(awsclient.Identity{ARN: "arn:aws:iam::1:user/x"}, "") {
		t.Error("a stack without aws:profile accepts any identity")
	}
}
