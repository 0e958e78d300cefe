package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// chooseSnapshot answers the snapshot choice with the test's snapshot, and
// the choice between a point in time and a snapshot with the snapshot.
func (p *prod) chooseSnapshot(next answerer) answerer {
	return func(pp plainPrompt) (string, bool) {
		if strings.Contains(pp.Title, "which snapshot") {
			return p.Snapshot, true
		}
		if strings.Contains(pp.Title, "Restore to which point") {
			return "snapshot", true // not a point in time: a snapshot restore
		}
		if next != nil {
			return next(pp)
		}
		return "", false
	}
}

// runEvents reads the journal of the newest run.
func (p *prod) runEvents() []engine.Event {
	p.t.Helper()
	runs, err := engine.ListRuns(p.state)
	if err != nil || len(runs) == 0 {
		p.t.Fatalf("runs in %s: %v %v", p.state, runs, err)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Info.RunID < runs[j].Info.RunID })
	evs, err := engine.ReadJournalFile(runs[len(runs)-1].Path)
	if err != nil {
		p.t.Fatal(err)
	}
	return evs
}

// instanceOps lists the finished Pulumi operations on the RDS instance
// during the step, in order, e.g. create-replacement, replace,
// delete-replaced; other lists the other resources an operation touched.
func instanceOps(evs []engine.Event, stepID string) (ops, other []string) {
	for _, e := range evs {
		if e.Type != engine.EventPulumi || e.StepID != stepID || e.Pulumi == nil || e.Pulumi.Status != engine.PulumiDone {
			continue
		}
		switch {
		case e.Pulumi.Type == pulumiclient.InstanceType:
			ops = append(ops, string(e.Pulumi.Op))
		case e.Pulumi.Op != string(pulumiclient.OpSame) && e.Pulumi.Type != "pulumi:pulumi:Stack":
			other = append(other, string(e.Pulumi.Op)+" "+e.Pulumi.Type)
		}
	}
	return ops, other
}

// lastCommit is the newest commit of the repository that changed the data
// program: its message and files.
func (p *prod) lastCommit() (msg string, files []string) {
	rev := strings.TrimSpace(p.git("log", "-1", "--format=%H", "--", "infrastructure/data/Main.yaml"))
	msg = strings.TrimSpace(p.git("log", "-1", "--format=%B", rev))
	for _, f := range strings.Split(strings.TrimSpace(p.git("show", "--name-only", "--format=", rev)), "\n") {
		if f != "" {
			files = append(files, f)
		}
	}
	return msg, files
}

// previewOps runs `pulumi preview --json` on the data stack and returns
// the operation on the instance and on anything else that would change.
func (p *prod) previewOps() (instance []string, other []string) {
	p.t.Helper()
	var pv struct {
		Steps []struct {
			Op  string `json:"op"`
			URN string `json:"urn"`
		} `json:"steps"`
	}
	mustJSON(p.t, []byte(p.pulumi(p.dataDir, "preview", "--json", "--stack", "staging")), &pv)
	for _, s := range pv.Steps {
		if s.Op == "same" {
			continue
		}
		if strings.Contains(s.URN, pulumiclient.InstanceType) {
			instance = append(instance, s.Op)
		} else {
			other = append(other, s.Op+" "+s.URN)
		}
	}
	return instance, other
}

// checkPulumiRestore checks the end state of a Pulumi-method restore.
func (p *prod) checkPulumiRestore(out string) {
	p.t.Helper()
	p.checkPulumiRestoreOps(out, true)
}

// checkPulumiRestoreOps is checkPulumiRestore; journalOps says whether the
// journal saw the whole `pulumi up` (not when datalayer was killed in it).
func (p *prod) checkPulumiRestoreOps(out string, journalOps bool) {
	t := p.t
	b, err := os.ReadFile(filepath.Join(p.dataDir, "Main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "snapshotIdentifier: "+p.Snapshot) && !strings.Contains(string(b), `snapshotIdentifier: "`+p.Snapshot+`"`) {
		t.Errorf("the program does not restore from %s:\n%s", p.Snapshot, b)
	}
	msg, files := p.lastCommit()
	if !strings.Contains(msg, "[skip pizza]") || !slices.Contains(files, "infrastructure/data/Main.yaml") {
		t.Errorf("the program change was not committed with [skip pizza]: %q %v", msg, files)
	}
	if journalOps {
		ops, other := instanceOps(p.runEvents(), "up")
		if want := []string{"create-replacement", "replace", "delete-replaced"}; !slices.Equal(ops, want) || len(other) > 0 {
			t.Errorf("pulumi up did %v on the instance and %v on the rest; want exactly %v", ops, other, want)
		}
	}
	if h := p.updates(p.dataDir); h["update"] != 2 || h["update:succeeded"] != 2 {
		t.Errorf("the data stack's history has %v; want the set-up and the restore, one update each, both succeeded", h)
	}
	newID := strings.TrimSpace(p.pulumi(p.dataDir, "stack", "output", "identifier", "--stack", "staging"))
	in, ok := p.instance(newID)
	if newID == p.Instance || !ok || in.Status != "available" {
		t.Fatalf("the stack's instance is %q (old %s), AWS: %+v", newID, p.Instance, in)
	}
	host := strings.TrimSpace(p.pulumi(p.appDir, "config", "get", "db-host", "--stack", "staging"))
	if host != in.Endpoint.Address || host == "" {
		t.Errorf("the application's db-host is %q, the new instance's endpoint %q", host, in.Endpoint.Address)
	}
	if n := p.updates(p.appDir)["update:succeeded"]; n != 2 {
		t.Errorf("the application stack has %d successful updates, want 2 (set-up and redeploy)", n)
	}
	if _, ok := p.instance(p.Instance); ok {
		t.Errorf("the old instance %s still exists", p.Instance)
	}
	if s, ok := p.snapshot(finalSnapshot); !ok || s.DBInstanceIdentifier != p.Instance || s.Status != "available" {
		t.Errorf("final snapshot of %s: %+v (exists %v)", p.Instance, s, ok)
	}
	got := accepted(p.requests())
	for action, want := range map[string]int{"RestoreDBInstanceFromDBSnapshot": 1, "RestoreDBInstanceToPointInTime": 0, "DeleteDBInstance": 1, "CreateDBInstance": 1, "CreateDBSnapshot": 2} {
		if got[action] != want {
			t.Errorf("%s reached AWS %d times, want %d (all: %v)", action, got[action], want, got)
		}
	}
	report, _ := p.try(p.root, p.bin, "report", "latest")
	secrets := p.secrets(host)
	for where, text := range map[string]string{"the output": out, "the journals": p.journals(), "the report": report} {
		p.noSecrets(where, text, secrets)
	}
}

// TestProdRestorePulumiPlain restores the staging database through Pulumi
// with --plain, the application redeployed by datalayer (deploy: up).
func TestProdRestorePulumiPlain(t *testing.T) {
	t.Parallel()
	p := newProd(t, prodOptions{Deployed: true, StackProfile: true})
	out, code := p.plain(8*time.Minute, p.chooseSnapshot(nil), "restore", "--stack", "staging", "--method", "pulumi", "--lost", "whole")
	t.Logf("restore:\n%s", out)
	if code != 0 {
		t.Fatalf("restore exited %d", code)
	}
	p.checkPulumiRestore(out)
}

// TestProdRestorePulumiCIPlain is the same restore with the application
// deployed by CI (deploy: ci): the test plays CI, running the
// application's `pulumi up` when datalayer says to.
func TestProdRestorePulumiCIPlain(t *testing.T) {
	t.Parallel()
	p := newProd(t, prodOptions{Deployed: true, StackProfile: true, Deploy: "ci"})
	ci := func(pp plainPrompt) (string, bool) {
		if pp.Kind != "manual" {
			return "", false
		}
		text := strings.ToLower(pp.Title + " " + strings.Join(pp.Lines, " "))
		if strings.Contains(text, "ci") || strings.Contains(text, "merge") || strings.Contains(text, "workflow") {
			// What CI does after the merge: deploy the application with the
			// committed config.
			p.git("add", "-A")
			p.git("commit", "-q", "-m", "application: db-host to the restored instance", "--allow-empty")
			p.pulumi(p.appDir, "up", "--yes", "--skip-preview", "--stack", "staging")
		}
		return "done", true
	}
	out, code := p.plain(8*time.Minute, p.chooseSnapshot(ci), "restore", "--stack", "staging", "--method", "pulumi", "--lost", "whole")
	t.Logf("restore:\n%s", out)
	if code != 0 {
		t.Fatalf("restore exited %d", code)
	}
	p.checkPulumiRestore(out)
}

// checkConsoleRestore checks the end state of a console-method restore.
func (p *prod) checkConsoleRestore(out string, original awsInstance) {
	t := p.t
	in, ok := p.instance(p.Instance)
	if !ok || in.Status != "available" || in.DbiResourceID == original.DbiResourceID {
		t.Fatalf("%s after the swap: %+v (exists %v); the original's resource id %s", p.Instance, in, ok, original.DbiResourceID)
	}
	kept, ok := p.instance(p.Instance + "-original")
	if !ok || kept.DbiResourceID != original.DbiResourceID {
		t.Errorf("the original is not kept as %s-original: %+v (exists %v)", p.Instance, kept, ok)
	}
	// Every setting of the export holds on the restored instance.
	if in.DBInstanceClass != original.DBInstanceClass || in.MultiAZ != original.MultiAZ || in.PubliclyAccessible != original.PubliclyAccessible ||
		in.DBSubnetGroup.DBSubnetGroupName != original.DBSubnetGroup.DBSubnetGroupName ||
		len(in.DBParameterGroups) != 1 || in.DBParameterGroups[0].DBParameterGroupName != paramGroup16 ||
		len(in.VpcSecurityGroups) != len(original.VpcSecurityGroups) {
		t.Errorf("the restored instance differs from the original:\n%+v\n%+v", in, original)
	}
	if !strings.Contains(out, "matches the export on every setting") {
		t.Errorf("the output does not say the diff is clean")
	}
	// The instance the application uses is the one Pulumi's state follows:
	// a preview proposes no replacement (nor any change to it).
	ops, other := p.previewOps()
	if len(ops) > 0 || len(other) > 0 {
		t.Errorf("pulumi preview after the console restore proposes %v on the instance and %v elsewhere", ops, other)
	}
	got := accepted(p.requests())
	for action, want := range map[string]int{"RestoreDBInstanceFromDBSnapshot": 1, "RestoreDBInstanceToPointInTime": 0, "DeleteDBInstance": 0, "CreateDBSnapshot": 2} {
		if got[action] != want {
			t.Errorf("%s reached AWS %d times, want %d (all: %v)", action, got[action], want, got)
		}
	}
	var renames []string
	for _, r := range p.requests() {
		if r.OK() && r.Action == "ModifyDBInstance" && r.NewInstance != "" {
			renames = append(renames, r.Instance+"->"+r.NewInstance)
		}
	}
	if want := []string{p.Instance + "->" + p.Instance + "-original", p.Instance + "-restored->" + p.Instance}; !slices.Equal(renames, want) {
		t.Errorf("renames %v, want %v", renames, want)
	}
	report, _ := p.try(p.root, p.bin, "report", "latest")
	for where, text := range map[string]string{"the output": out, "the journals": p.journals(), "the report": report} {
		p.noSecrets(where, text, p.secrets())
	}
}

// TestProdRestoreConsolePlain restores beside the instance and swaps the
// names, with --plain.
func TestProdRestoreConsolePlain(t *testing.T) {
	t.Parallel()
	p := newProd(t, prodOptions{Deployed: true, StackProfile: true})
	original, _ := p.instance(p.Instance)
	out, code := p.plain(8*time.Minute, p.chooseSnapshot(nil), "restore", "--stack", "staging", "--method", "console", "--lost", "isolated")
	t.Logf("restore:\n%s", out)
	if code != 0 {
		t.Fatalf("restore exited %d", code)
	}
	p.checkConsoleRestore(out, original)
}

// upgradeTarget is the newest major target AWS offers from the instance's
// version, read with the AWS CLI.
func (p *prod) upgradeTarget(version string) string {
	p.t.Helper()
	var r struct {
		DBEngineVersions []struct {
			ValidUpgradeTarget []struct {
				EngineVersion         string
				IsMajorVersionUpgrade bool
			}
		}
	}
	mustJSON(p.t, p.aws("rds", "describe-db-engine-versions", "--engine", "postgres", "--engine-version", version), &r)
	best := ""
	for _, v := range r.DBEngineVersions {
		for _, tg := range v.ValidUpgradeTarget {
			if tg.IsMajorVersionUpgrade && (best == "" || versionLess(best, tg.EngineVersion)) {
				best = tg.EngineVersion
			}
		}
	}
	if best == "" {
		p.t.Fatalf("AWS offers no major upgrade from %s", version)
	}
	return best
}

func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// checkUpgrade checks the end state of a major upgrade to target.
func (p *prod) checkUpgrade(out, target string) {
	t := p.t
	in, ok := p.instance(p.Instance)
	if !ok || in.Status != "available" || in.EngineVersion != target {
		t.Fatalf("after the upgrade AWS shows %+v (exists %v), want %s available", in, ok, target)
	}
	family := "postgres" + strings.Split(target, ".")[0]
	if len(in.DBParameterGroups) != 1 {
		t.Fatalf("parameter groups %+v", in.DBParameterGroups)
	}
	pg := in.DBParameterGroups[0].DBParameterGroupName
	if f := p.parameterGroupFamily(pg); f != family {
		t.Errorf("the instance's parameter group %s is of family %s, want %s", pg, f, family)
	}
	if v := p.parameter(pg, "rds.force_ssl"); v != "0" {
		t.Errorf("rds.force_ssl is %q in %s after the upgrade (SSL-less clients are refused)", v, pg)
	}
	msg, files := p.lastCommit()
	if !strings.Contains(msg, "[skip pizza]") || !slices.Contains(files, "infrastructure/data/Main.yaml") {
		t.Errorf("the upgrade was not committed with [skip pizza]: %q %v", msg, files)
	}
	got := accepted(p.requests())
	for action, want := range map[string]int{"RestoreDBInstanceFromDBSnapshot": 0, "DeleteDBInstance": 0, "CreateDBInstance": 1} {
		if got[action] != want {
			t.Errorf("%s reached AWS %d times, want %d (all: %v)", action, got[action], want, got)
		}
	}
	// The old group may have been taken out of the program, to be deleted
	// by a later deploy; nothing else may be left to do.
	oldGroupDelete := "delete urn:pulumi:staging::data::aws:rds/parameterGroup:ParameterGroup::parameterGroup"
	ops, other := p.previewOps()
	if len(other) == 1 && other[0] == oldGroupDelete && strings.Contains(out, "deploy it later with `datalayer deploy --stack staging`") {
		other = nil
	}
	if len(ops) > 0 || len(other) > 0 {
		t.Errorf("after the upgrade a preview still proposes %v on the instance and %v elsewhere", ops, other)
	}
	report, _ := p.try(p.root, p.bin, "report", "latest")
	for where, text := range map[string]string{"the output": out, "the journals": p.journals(), "the report": report} {
		p.noSecrets(where, text, p.secrets())
	}
}

// TestProdUpgradePlain upgrades staging to the newest major AWS offers for
// the version it runs, with --plain.
func TestProdUpgradePlain(t *testing.T) {
	t.Parallel()
	p := newProd(t, prodOptions{Deployed: true, StackProfile: true})
	in, _ := p.instance(p.Instance)
	target := p.upgradeTarget(in.EngineVersion)
	out, code := p.plain(8*time.Minute, nil, "upgrade", "--stack", "staging")
	t.Logf("upgrade to %s:\n%s", target, out)
	if code != 0 {
		t.Fatalf("upgrade exited %d", code)
	}
	p.checkUpgrade(out, target)
	if !strings.Contains(out, "deploy it later with `datalayer deploy --stack staging`") {
		return
	}
	// The upgrade took the old parameter group out of the program and said
	// to deploy it later: doing so deletes it, and leaves nothing to do.
	out2, code := p.plain(5*time.Minute, nil, "deploy", "--stack", "staging")
	t.Logf("the deploy the upgrade advised:\n%s", out2)
	if code != 0 {
		t.Fatalf("the advised deploy exited %d", code)
	}
	if ops, other := p.previewOps(); len(ops) > 0 || len(other) > 0 {
		t.Errorf("after the advised deploy a preview proposes %v on the instance and %v elsewhere", ops, other)
	}
	var r struct {
		DBParameterGroups []struct{ DBParameterGroupName string }
	}
	mustJSON(t, p.aws("rds", "describe-db-parameter-groups"), &r)
	for _, g := range r.DBParameterGroups {
		if g.DBParameterGroupName == paramGroup16 {
			t.Errorf("the old parameter group %s still exists after the advised deploy", paramGroup16)
		}
	}
}
