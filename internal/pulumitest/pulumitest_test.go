package pulumitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnvKeepsPulumiLocalAndAWSOnTheSimulator(t *testing.T) {
	tools := pathsIn("/opt/tools")
	env := Env(t, tools, "http://127.0.0.1:4566")
	tests := []struct {
		key   string
		check func(string) bool
	}{
		{"PULUMI_BACKEND_URL", func(v string) bool { return strings.HasPrefix(v, "file:///") }},
		{"PULUMI_HOME", func(v string) bool { return filepath.IsAbs(v) }},
		{"PULUMI_SKIP_UPDATE_CHECK", func(v string) bool { return v == "true" }},
		{"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", func(v string) bool { return v == "true" }},
		{"PULUMI_CONFIG_PASSPHRASE", func(v string) bool { return v == Passphrase }},
		{"PATH", func(v string) bool {
			return strings.HasPrefix(v, "/opt/tools/bin"+string(os.PathListSeparator)) && !strings.Contains(v, "datalayer-pulumitest")
		}},
		{"AWS_ENDPOINT_URL_RDS", func(v string) bool { return v == "http://127.0.0.1:4566" }},
		{"AWS_REGION", func(v string) bool { return v == "eu-west-2" }},
		{"AWS_ACCESS_KEY_ID", func(v string) bool { return v != "" }},
	}
	for _, tt := range tests {
		if v, ok := env[tt.key]; !ok || !tt.check(v) {
			t.Errorf("Env()[%s] = %q (set %v)", tt.key, v, ok)
		}
	}
}

func TestProjectFileGivesTheProviderByPath(t *testing.T) {
	tools := pathsIn("/opt/tools")
	tools.ProviderDir = "/tmp/datalayer-pulumitest-1/plugins"
	got := ProjectFile(tools, "data")
	for _, want := range []string{"name: data\n", "runtime: yaml\n", "- name: aws\n", `path: "/tmp/datalayer-pulumitest-1/plugins"`} {
		if !strings.Contains(got, want) {
			t.Errorf("ProjectFile lacks %q:\n%s", want, got)
		}
	}
}

func TestToolsDirMustHoldTheBinaries(t *testing.T) {
	err := pathsIn(t.TempDir()).check()
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("check of an empty directory = %v, want a missing-file error", err)
	}
}

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestBinaryServesTheSimulatedProvider builds the datalayer binary and
// checks its plugin link: started as pulumi-resource-aws without an
// endpoint override, it refuses at once, naming what to set.
func TestBinaryServesTheSimulatedProvider(t *testing.T) {
	bin := Binary(t)
	link := filepath.Join(filepath.Dir(bin), "plugins", "pulumi-resource-aws")
	if target, err := os.Readlink(link); err != nil || target != bin {
		t.Fatalf("plugin link %s → %q, %v; want %s", link, target, err, bin)
	}
	cmd := exec.Command(link)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "AWS_ENDPOINT_URL_RDS") {
		t.Fatalf("the provider without an endpoint override: %v\n%s", err, out)
	}
}
