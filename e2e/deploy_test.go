package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProdDeployPlain runs `datalayer deploy --stack staging --plain` on a
// stack that has never been deployed: it must create the instance. A
// second deploy after a change to the program applies the change. Both
// are checked in AWS with the AWS CLI, and no AWS write happens twice.
func TestProdDeployPlain(t *testing.T) {
	t.Parallel()
	p := newProd(t, prodOptions{StackProfile: true})

	out, code := p.plain(5*time.Minute, nil, "deploy", "--stack", "staging")
	t.Logf("first deploy:\n%s", out)
	if code != 0 {
		t.Fatalf("the first deploy exited %d", code)
	}
	id := strings.TrimSpace(p.pulumi(p.dataDir, "stack", "output", "identifier", "--stack", "staging"))
	in, ok := p.instance(id)
	if !ok || in.Status != "available" || in.EngineVersion != "16.11" || len(in.DBParameterGroups) != 1 ||
		in.DBParameterGroups[0].DBParameterGroupName != paramGroup16 {
		t.Fatalf("after the first deploy AWS shows %s: %+v (exists %v)", id, in, ok)
	}
	// The new application sets no db-host: nothing to warn of before the
	// deploy, and once the instance exists, how to point the application at it.
	if strings.Contains(out, "db-host (") || !strings.Contains(out, "next, by hand: point the application at "+id+": `pulumi config set --secret db-host") {
		t.Errorf("the first deploy's output does not end with how to point the application at %s, or warns of its unset db-host", id)
	}
	if v := p.parameter(paramGroup16, "rds.force_ssl"); v != "0" {
		t.Errorf("rds.force_ssl is %q in %s", v, paramGroup16)
	}
	p.DBHost = in.Endpoint.Address

	// A changed input: more backup retention.
	main := filepath.Join(p.dataDir, "Main.yaml")
	b, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	write(t, main, strings.Replace(string(b), "backupRetentionPeriod: 1", "backupRetentionPeriod: 7", 1))
	p.git("commit", "-q", "-am", "data: keep backups for a week")

	out2, code := p.plain(5*time.Minute, nil, "deploy", "--stack", "staging")
	t.Logf("second deploy:\n%s", out2)
	if code != 0 {
		t.Fatalf("the second deploy exited %d", code)
	}
	var r struct {
		DBInstances []struct{ BackupRetentionPeriod int }
	}
	mustJSON(t, p.aws("rds", "describe-db-instances", "--db-instance-identifier", id), &r)
	if len(r.DBInstances) != 1 || r.DBInstances[0].BackupRetentionPeriod != 7 {
		t.Errorf("backup retention after the second deploy: %+v", r)
	}
	got := accepted(p.requests())
	for action, want := range map[string]int{"CreateDBInstance": 1, "CreateDBParameterGroup": 1, "ModifyDBInstance": 1, "DeleteDBInstance": 0} {
		if got[action] != want {
			t.Errorf("%s reached AWS %d times, want %d (all: %v)", action, got[action], want, got)
		}
	}
	if n := p.updates(p.dataDir)["update"]; n != 2 {
		t.Errorf("the data stack has %d updates, want 2 (one per deploy)", n)
	}
	for where, text := range map[string]string{"the output": out + out2, "the journals": p.journals()} {
		p.noSecrets(where, text, p.secrets())
	}
	for _, noise := range []string{"Registering resource", "the operation was cancelled"} {
		if strings.Contains(out+out2, noise) {
			t.Errorf("the output shows Pulumi's noise %q", noise)
		}
	}
}
