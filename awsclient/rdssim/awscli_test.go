package rdssim

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAWSCLIConformance runs scripts/awscli-conformance.sh: the official AWS
// CLI v2 against the simulator (describe, snapshot and wait, restore with
// explicit settings and wait, rename, engine versions with --query, events,
// errors with RDS's codes and exit status 254).
func TestAWSCLIConformance(t *testing.T) {
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("the AWS CLI v2 is missing at %s (%v): scripts/test.sh installs it (apt-get install -y awscli)", cli, err)
	}
	script, err := filepath.Abs("../../scripts/awscli-conformance.sh")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), "AWS_BIN="+cli)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("conformance script failed: %v", err)
	}
	if !strings.Contains(string(out), " 0 failed") {
		t.Fatalf("conformance script did not report a clean run")
	}
}
