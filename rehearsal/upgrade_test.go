package rehearsal

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pgtest"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// awsCLI runs the official AWS CLI v2 against the world's simulator.
func awsCLI(t *testing.T, w *World, args ...string) string {
	t.Helper()
	out, err := awsCLIErr(t, w, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// awsCLIErr is awsCLI for a call that may fail.
func awsCLIErr(t *testing.T, w *World, args ...string) (string, error) {
	t.Helper()
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("the AWS CLI v2 is needed at %s (Debian package awscli; scripts/test.sh installs it): %v", cli, err)
	}
	cmd := exec.Command(cli, append(args, "--endpoint-url", w.URL, "--region", "eu-west-2", "--output", "text")...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDCLITEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestUpgradeWholeJob rehearses the upgrade with spot checks against a real
// PostgreSQL: the instance ends on the target major with a parameter group
// of the target family that keeps rds.force_ssl=0 (seen with the AWS CLI),
// and the report shows the spot checks side by side and the way back.
func TestUpgradeWholeJob(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Exec(t,
		`CREATE TABLE teams (id int PRIMARY KEY, name text NOT NULL)`,
		`CREATE TABLE flows (id int PRIMARY KEY, team_id int NOT NULL REFERENCES teams, slug text NOT NULL)`,
		`INSERT INTO teams SELECT g, 'team ' || g FROM generate_series(1, 100) g`,
		`INSERT INTO flows SELECT g, 1 + g % 100, 'flow-' || g FROM generate_series(1, 5000) g`,
		`CREATE INDEX flows_slug ON flows (slug)`,
		`ANALYZE`,
		`CREATE EXTENSION pg_stat_statements VERSION '1.9'`,
	)
	queries := filepath.Join(t.TempDir(), "spot-checks.yaml")
	if err := os.WriteFile(queries, []byte("- name: flow by slug\n  sql: SELECT * FROM flows WHERE slug = 'flow-7'\n"+
		"- name: flows per team\n  sql: SELECT t.name, count(*) FROM flows f JOIN teams t ON t.id = f.team_id GROUP BY t.name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATALAYER_TEST_DB_URL", pg.URL)
	r := runHeadless(t, withSettings(t, engine.Options{Runbook: "upgrade", Yes: true},
		runbooks.Settings{SpotChecks: runbooks.SpotCheckOptions{QueriesFile: queries, URLEnv: "DATALAYER_TEST_DB_URL", Threshold: 1.5}}), nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	target, _ := r.run.Var("target")

	// What AWS says, through the official CLI.
	got := awsCLI(t, r.world, "rds", "describe-db-instances", "--db-instance-identifier", "app5ec7032",
		"--query", "DBInstances[0].[EngineVersion,DBParameterGroups[0].DBParameterGroupName]")
	if want := target + "\tpostgres17-force-ssl-off"; got != want {
		t.Errorf("instance = %q, want %q", got, want)
	}
	if fam := awsCLI(t, r.world, "rds", "describe-db-parameter-groups", "--db-parameter-group-name", "postgres17-force-ssl-off",
		"--query", "DBParameterGroups[0].DBParameterGroupFamily"); fam != "postgres17" {
		t.Errorf("family = %q, want postgres17", fam)
	}
	user := awsCLI(t, r.world, "rds", "describe-db-parameters", "--db-parameter-group-name", "postgres17-force-ssl-off", "--source", "user",
		"--query", "Parameters[].[ParameterName,ParameterValue]")
	for _, want := range []string{"rds.force_ssl\t0", "shared_preload_libraries\tpg_tle,pg_stat_statements,pg_cron"} {
		if !strings.Contains(user, want) {
			t.Errorf("user parameters of the new group lack %q:\n%s", want, user)
		}
	}
	// The snapshot before is there, and the program says the same.
	if s := awsCLI(t, r.world, "rds", "describe-db-snapshots", "--db-snapshot-identifier", "app5ec7032-before-"+strings.ReplaceAll(target, ".", "-"),
		"--query", "DBSnapshots[0].[SnapshotType,Status,EngineVersion]"); s != "manual\tavailable\t16.13" {
		t.Errorf("snapshot before = %q", s)
	}
	prog, _ := os.ReadFile(filepath.Join(r.world.Workspace.DataDir, "index.ts"))
	for _, want := range []string{`engineVersion: "` + target + `"`, "parameterGroupName: parameterGroupPostgres17.name", `family: "postgres17"`} {
		if !strings.Contains(string(prog), want) {
			t.Errorf("index.ts lacks %q", want)
		}
	}

	// The report: the way back, the group, the spot checks side by side.
	events, err := engine.ReadJournalFile(r.run.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	rep := runbooks.Report(events)
	for _, want := range []string{
		"## The way back", "app5ec7032-before-",
		"## Parameter group", "After: postgres17-force-ssl-off (postgres17)", "rds.force_ssl=0",
		"## Spot checks (EXPLAIN ANALYZE)", "| query | planning before | planning after | execution before | execution after | ratio | plan shape | flag |",
		"| flow by slug |", "| flows per team |",
		"## Extensions to migrate", "pg_stat_statements 1.9",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q\n%s", want, rep)
		}
	}
	// A rehearsal's way back is rehearsed: its snapshot is not in AWS.
	if strings.Contains(rep, "`datalayer restore`") || !strings.Contains(rep, "`datalayer rehearse restore` rehearses the way back") {
		t.Errorf("the rehearsal's report advises a restore on real AWS\n%s", rep)
	}
	for _, l := range strings.Split(rep, "\n") {
		if strings.HasPrefix(l, "| flow") && strings.Count(l, " ms") != 4 {
			t.Errorf("spot-check row without four times: %s", l)
		}
	}
	if strings.Contains(rep, pg.URL) || strings.Contains(string(mustRead(t, r.run.JournalPath())), pg.URL) {
		t.Error("the database URL reached the journal or the report")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUpgradeRefusedFetchesLogs: when RDS refuses the upgrade
// (RDS-EVENT-0158), the pg_upgrade logs are fetched, the lines that say why
// are shown and the files saved with the run.
func TestUpgradeRefusedFetchesLogs(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "upgrade", Scenario: "upgrade-precheck-fails", Yes: true,
		Answers: map[string]string{"pending-maintenance/action": "ignore"}}, nil)
	if r.err == nil {
		t.Fatalf("the upgrade was reported as a success\n%s", r.text())
	}
	text := r.text()
	if !strings.Contains(text, "pg_upgrade") || !strings.Contains(text, "pending maintenance") {
		t.Errorf("the pg_upgrade log lines saying why were not shown\n%s", text)
	}
	var files []string
	for _, e := range r.events {
		if e.Type == engine.EventVariable && strings.HasPrefix(e.Name, "upgrade-log:") {
			files = append(files, e.Value)
		}
	}
	if len(files) == 0 {
		t.Fatalf("no pg_upgrade log was saved with the run\n%s", text)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			t.Errorf("saved log %s: %v (%d bytes)", f, err, len(b))
		}
	}
}

// TestUpgradePastedSpotChecks: without a database URL the step says how to
// give one and takes pasted EXPLAIN ANALYZE output; the report compares it
// side by side and flags the slowdown.
func TestUpgradePastedSpotChecks(t *testing.T) {
	queries := filepath.Join(t.TempDir(), "spot-checks.yaml")
	if err := os.WriteFile(queries, []byte("- name: flow by slug\n  sql: SELECT * FROM flows WHERE slug = 'x'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := "Index Scan using flows_slug on flows  (cost=0.29..8.30 rows=1 width=4) (actual time=0.02..0.02 rows=1 loops=1)\nPlanning Time: 0.100 ms\nExecution Time: 2.000 ms\n"
	after := "Seq Scan on flows  (cost=0.00..99.00 rows=1 width=4) (actual time=0.02..3.9 rows=1 loops=1)\nPlanning Time: 0.150 ms\nExecution Time: 4.000 ms\n"
	t.Setenv("DATALAYER_TEST_NO_DB_URL", "")
	r := runHeadless(t, withSettings(t, engine.Options{Runbook: "upgrade", Yes: true,
		Answers: map[string]string{"explain-before/paste": before, "explain-after/paste": after}},
		runbooks.Settings{SpotChecks: runbooks.SpotCheckOptions{QueriesFile: queries, URLEnv: "DATALAYER_TEST_NO_DB_URL", Threshold: 1.5}}), nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	if !strings.Contains(r.text(), "export DATALAYER_TEST_NO_DB_URL=postgres://") {
		t.Errorf("the step did not say how to give a database URL\n%s", r.text())
	}
	events, err := engine.ReadJournalFile(r.run.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	rep := runbooks.Report(events)
	want := "| flow by slug | 0.100 ms | 0.150 ms | 2.000 ms | 4.000 ms | x2.00 | **changed**: Index Scan using flows_slug on flows → Seq Scan on flows | **slower** |"
	if !strings.Contains(rep, want) {
		t.Errorf("report lacks the row\n%s\n%s", want, rep)
	}
}

// TestSimulatorRefusesUpgradeKeepingTheCustomGroup: what the runbook did
// before — engineVersion alone — is refused by the simulator as by RDS,
// seen with the AWS CLI; with a group of the target family it goes through.
func TestSimulatorRefusesUpgradeKeepingTheCustomGroup(t *testing.T) {
	w, err := New(context.Background(), Options{Speed: 600})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	out, err := awsCLIErr(t, w, "rds", "modify-db-instance", "--db-instance-identifier", "app5ec7032",
		"--engine-version", "17.7", "--allow-major-version-upgrade", "--apply-immediately")
	if err == nil || !strings.Contains(out, "InvalidParameterCombination") || !strings.Contains(out, "postgres16-force-ssl-off") {
		t.Fatalf("an upgrade keeping the postgres16 custom group was not refused: %v\n%s", err, out)
	}
	awsCLI(t, w, "rds", "create-db-parameter-group", "--db-parameter-group-name", "postgres17-force-ssl-off",
		"--db-parameter-group-family", "postgres17", "--description", "test")
	awsCLI(t, w, "rds", "modify-db-parameter-group", "--db-parameter-group-name", "postgres17-force-ssl-off",
		"--parameters", "ParameterName=rds.force_ssl,ParameterValue=0,ApplyMethod=immediate")
	got := awsCLI(t, w, "rds", "modify-db-instance", "--db-instance-identifier", "app5ec7032", "--engine-version", "17.7",
		"--allow-major-version-upgrade", "--apply-immediately", "--db-parameter-group-name", "postgres17-force-ssl-off",
		"--query", "DBInstance.PendingModifiedValues.EngineVersion")
	if got != "17.7" {
		t.Errorf("the upgrade with the postgres17 group: pending engine version %q, want 17.7", got)
	}
}

// TestUpgradeReportsPendingReboot: a new group left pending-reboot (its
// static settings not applied yet) is reported with the reboot command, in
// the run and in the report; the run still finishes, the reboot is for the
// team to schedule.
func TestUpgradeReportsPendingReboot(t *testing.T) {
	hook := func(w *World, e engine.Event) {
		if e.Type == engine.EventStepStarted && e.StepID == "verify" {
			w.Sim.Mutate(func(wd *rdssim.World) {
				if in := wd.Instance("app5ec7032"); in != nil {
					in.ParameterApplyStatus = "pending-reboot"
				}
			})
		}
	}
	r := runHeadlessHook(t, engine.Options{Runbook: "upgrade", Yes: true}, nil, nil, hook)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	want := "`aws rds reboot-db-instance --db-instance-identifier app5ec7032`"
	if !strings.Contains(r.text(), "pending-reboot") || !strings.Contains(r.text(), want) {
		t.Errorf("the pending reboot was not reported with its command\n%s", r.text())
	}
	events, err := engine.ReadJournalFile(r.run.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	if rep := runbooks.Report(events); !strings.Contains(rep, "**pending-reboot**: "+want) {
		t.Errorf("the report does not name the reboot\n%s", rep)
	}
}
