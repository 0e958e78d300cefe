package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestProdRestoreDroppedInstancePlain: the staging instance was deleted
// outside Pulumi (final snapshot taken, automated backups kept) and a
// `pulumi refresh` dropped it from the data stack's state. `datalayer
// restore --stack staging` with the built binary, the real pulumi CLI and
// `datalayer sim` as AWS finds the instance through the application's
// db-host, restores it to the latest restorable time from its retained
// backups (by resource id) as a create, and points the application at it.
// It used to stop saying to deploy the stack first.
func TestProdRestoreDroppedInstancePlain(t *testing.T) {
	t.Parallel()
	p := newProd(t, prodOptions{Deployed: true, StackProfile: true})
	p.aws("rds", "delete-db-instance", "--db-instance-identifier", p.Instance,
		"--final-db-snapshot-identifier", p.Instance+"-final", "--no-delete-automated-backups")
	p.waitFor(p.Instance+" deleted", 2*time.Minute, func() bool {
		_, ok := p.instance(p.Instance)
		return !ok
	})
	p.pulumi(p.dataDir, "refresh", "--yes", "--skip-preview", "--stack", "staging")
	if exp := p.pulumi(p.dataDir, "stack", "export", "--stack", "staging"); strings.Contains(exp, `"aws:rds/instance:Instance"`) {
		t.Fatalf("the refresh kept the deleted instance in the state:\n%s", exp)
	}

	out, code := p.plain(8*time.Minute, nil, "restore", "--stack", "staging", "--method", "pulumi", "--lost", "whole", "--to", "latest")
	t.Logf("restore:\n%s", out)
	if code != 0 {
		t.Fatalf("restore exited %d", code)
	}
	for _, want := range []string{"an earlier refresh dropped it from the state", "the plan is exactly: create of aws:rds/instance:Instance"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	got := accepted(p.requests())
	for action, want := range map[string]int{"RestoreDBInstanceToPointInTime": 1, "RestoreDBInstanceFromDBSnapshot": 0, "DeleteDBInstance": 1} {
		if got[action] != want {
			t.Errorf("%s reached AWS %d times, want %d (the set-up's delete only; all: %v)", action, got[action], want, got)
		}
	}
	newID := strings.TrimSpace(p.pulumi(p.dataDir, "stack", "output", "identifier", "--stack", "staging"))
	in, ok := p.instance(newID)
	if newID == "" || newID == p.Instance || !ok || in.Status != "available" {
		t.Fatalf("the stack's instance is %q (deleted: %s), AWS: %+v", newID, p.Instance, in)
	}
	host := strings.TrimSpace(p.pulumi(p.appDir, "config", "get", "db-host", "--stack", "staging"))
	if host == "" || host != in.Endpoint.Address {
		t.Errorf("the application's db-host is %q, the restored instance's endpoint %q", host, in.Endpoint.Address)
	}
	ops, other := p.previewOps()
	if len(ops) > 0 || len(other) > 0 {
		t.Errorf("pulumi preview after the restore proposes %v on the instance and %v elsewhere", ops, other)
	}
	report, _ := p.try(p.root, p.bin, "report", "latest")
	for where, text := range map[string]string{"the output": out, "the journals": p.journals(), "the report": report} {
		p.noSecrets(where, text, p.secrets(host))
	}
}
