package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bumpRetention changes an input of the data program (backups kept for a
// week) and commits it: a deploy then has one update to apply.
func (p *prod) bumpRetention() {
	main := filepath.Join(p.dataDir, "Main.yaml")
	b, err := os.ReadFile(main)
	if err != nil {
		p.t.Fatal(err)
	}
	write(p.t, main, strings.Replace(string(b), "backupRetentionPeriod: 1", "backupRetentionPeriod: 7", 1))
	p.git("commit", "-q", "-am", "data: keep backups for a week")
}

// TestProdProfileReachesPulumi is the runbook's first gotcha on the
// production path: the exported keys are docker-user's, and the engineer
// runs `datalayer --profile planx-staging-pulumi`. datalayer shows that
// profile's identity; Pulumi must act as it too: every AWS write of the
// update is signed with the profile's key, not the exported one. (Before,
// --profile stopped at datalayer's own client and Pulumi used the exported
// docker-user keys.) When the stack names another aws:profile, which the
// AWS provider prefers to anything exported, the run stops before changing
// anything, naming both identities.
func TestProdProfileReachesPulumi(t *testing.T) {
	t.Parallel()
	t.Run("the profile signs Pulumi's writes", func(t *testing.T) {
		t.Parallel()
		p := newProd(t, prodOptions{Deployed: true, Env: map[string]string{"AWS_ACCESS_KEY_ID": dockerKey, "AWS_SECRET_ACCESS_KEY": dockerSecret}})
		p.bumpRetention()
		from := len(p.requests())
		out, code := p.plain(5*time.Minute, nil, "--profile", "planx-staging-pulumi", "deploy", "--stack", "staging")
		t.Logf("deploy:\n%s", out)
		if code != 0 {
			t.Fatalf("deploy exited %d", code)
		}
		if !strings.Contains(out, "user/planx-staging-pulumi") || strings.Contains(out, "user/docker-user") {
			t.Errorf("datalayer does not show the profile's identity alone")
		}
		writes := p.requests()[from:]
		if len(writes) == 0 {
			t.Fatal("the deploy wrote nothing to AWS")
		}
		for _, r := range writes {
			if r.AccessKey != stagingKey {
				t.Errorf("%s %s was signed with %s, not the profile's key %s (agent %s)", r.Action, r.Instance, r.AccessKey, stagingKey, r.Agent)
			}
		}
		p.noSecrets("the output", out, p.secrets())
	})
	t.Run("a stack profile that acts as someone else stops the run", func(t *testing.T) {
		t.Parallel()
		p := newProd(t, prodOptions{Deployed: true})
		p.pulumi(p.dataDir, "config", "set", "aws:profile", "docker-user", "--stack", "staging")
		p.git("commit", "-q", "-am", "data: the wrong profile")
		p.bumpRetention()
		from := len(p.requests())
		out, code := p.plain(5*time.Minute, nil, "--profile", "planx-staging-pulumi", "deploy", "--stack", "staging")
		t.Logf("deploy:\n%s", out)
		if code != 1 {
			t.Fatalf("deploy exited %d, want 1", code)
		}
		if !strings.Contains(out, "wrong credentials") || !strings.Contains(out, "docker-user") {
			t.Errorf("the stop does not name the identity Pulumi would act as")
		}
		if n := len(p.requests()) - from; n != 0 {
			t.Errorf("%d AWS writes happened after a stop on credentials", n)
		}
	})
}
