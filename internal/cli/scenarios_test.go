package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/rehearsal"
)

// secretsOfTheRehearsal are values that must never reach the plain output,
// stderr or the journal: the application's db-host (a secret config value;
// every instance endpoint of the account ends like this) and the rehearsal's
// AWS keys. The master password is only ever held as Pulumi ciphertext.
var secretsOfTheRehearsal = []string{
	".c9akciq32x1z.eu-west-2.rds.amazonaws.com",
	"rehearsal-secret-key",
	"AKIAREHEARSAL0000000",
}

// rehearsalWorld is what a finished rehearsal left in its state directory.
type rehearsalWorld struct {
	dir      string
	requests map[string]int   // successful mutating requests by action
	fired    map[string]int64 // fault name -> how often it fired
}

// readRehearsalWorld opens the single rehearsal world under state.
func readRehearsalWorld(t *testing.T, state string) rehearsalWorld {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(state, "rehearsals", "*"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("want one rehearsal world under %s, found %v (%v)", state, dirs, err)
	}
	w := rehearsalWorld{dir: dirs[0], fired: map[string]int64{}}
	if w.requests, err = rehearsal.ReadRequestLog(w.dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(w.dir, "sim.json"))
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		World struct {
			Faults []rdssim.Fault `json:"faults"`
		} `json:"world"`
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatalf("sim.json: %v", err)
	}
	for _, f := range saved.World.Faults {
		w.fired[f.Name] += f.Fired
	}
	return w
}

// checkNoSecrets scans the command's output and every journal and timing
// file of the state directory for the rehearsal's secrets.
func checkNoSecrets(t *testing.T, state string, r result) {
	t.Helper()
	texts := map[string]string{"stdout": r.out, "stderr": r.errOut}
	for _, pattern := range []string{"runs/*", "timings/*"} {
		files, _ := filepath.Glob(filepath.Join(state, pattern))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			texts[f] = string(b)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(state, "runs", "*.jsonl")); len(files) == 0 {
		t.Fatalf("no journal under %s/runs", state)
	}
	for where, text := range texts {
		for _, s := range secretsOfTheRehearsal {
			if strings.Contains(text, s) {
				t.Errorf("%s holds the secret %q", where, s)
			}
		}
	}
}

// TestRehearseEveryScenario runs `datalayer rehearse RUNBOOK --scenario NAME
// --plain --yes` for every scenario of the simulator, with the runbook and
// method that meet its fault, and checks how each ends: exit code, the
// decisive text, the AWS operations issued (each once) and that no secret
// was printed or journalled.
func TestRehearseEveryScenario(t *testing.T) {
	consoleRestore := []string{"restore", "--method", "console", "--lost", "isolated"}
	pulumiRestore := []string{"restore", "--method", "pulumi", "--lost", "whole"}
	// The console restore's writes: a fresh snapshot, the restore, the
	// modify of the maintenance window the restore could not take, two
	// renames.
	consoleOps := map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "ModifyDBInstance": 3}
	tests := []struct {
		name     string
		scenario string
		args     []string
		code     int
		out      []string         // in stdout, in this order
		errOut   []string         // in stderr
		notOut   []string         // never in stdout
		ops      map[string]int   // exact successful mutating requests (nil: not checked)
		fired    map[string]int64 // faults that must have fired at least this often
		resume   bool             // `datalayer resume` then finishes the run
	}{
		{name: "default deploy", scenario: "default", args: []string{"deploy"}, code: ExitOK,
			out: []string{"engineVersion 16.11 in the program is below 16.13, which app5ec7032 runs", "engineVersion is now 16.13", "✓ verify", "run done"},
			// The update records the version AWS runs in the state (the
			// modify asks AWS for the version it runs: no change).
			ops: map[string]int{"ModifyDBInstance": 1}},
		{name: "default upgrade", scenario: "default", args: []string{"upgrade"}, code: ExitOK,
			out: []string{"valid major targets from 16.13: 17.6, 17.7", "snapshot app5ec7032-before-17-7 is available",
				"planned create aws:rds/parameterGroup:ParameterGroup parameterGroupPostgres17", "changes engineVersion, parameterGroupName",
				"✓ up", "✓ verify", "run done"},
			ops: map[string]int{"CreateDBSnapshot": 1, "CreateDBParameterGroup": 1, "ModifyDBParameterGroup": 1, "ModifyDBInstance": 1}},
		{name: "default pulumi restore", scenario: "default", args: pulumiRestore, code: ExitOK,
			out: []string{"engineVersion 16.11 in the program is below 16.13, which snapshot", "engineVersion is now 16.13", "✓ final-snapshot-guard", "✓ up", "✓ old-gone", "run done"},
			// The modify is the AWS provider's after the restore: the
			// program's maintenance window (and password) on the new instance.
			ops: map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "ModifyDBInstance": 1, "DeleteDBInstance": 1}},
		{name: "throttling", scenario: "throttling", args: consoleRestore, code: ExitOK,
			out: []string{"✓ rename-new", "run done"}, ops: consoleOps,
			fired: map[string]int64{"throttling": 1, "5xx": 1}},
		{name: "rename-refused", scenario: "rename-refused", args: consoleRestore, code: ExitOK,
			out:    []string{"AWS does not accept the name app5ec7032 yet", "not an error, trying again in", "✓ rename-new", "run done"},
			notOut: []string{"✗ rename-new"}, ops: consoleOps},
		{name: "restore-incompatible-parameters", scenario: "restore-incompatible-parameters", args: consoleRestore, code: ExitFailed,
			out:    []string{"instance app5ec7032-restored is incompatible-parameters", "compare it with the stack export", "run failed"},
			errOut: []string{"incompatible-parameters", "datalayer report "},
			notOut: []string{"▶ rename-old"}, ops: map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1}},
		// With --yes the engine takes the recommended answer to pending
		// maintenance: apply it first, after which the upgrade goes through.
		// The refused upgrade (RDS-EVENT-0158) itself is the rehearsal
		// package's TestUpgradeSilentFailureCaught.
		{name: "upgrade-precheck-fails", scenario: "upgrade-precheck-fails", args: []string{"upgrade"}, code: ExitOK,
			out: []string{"pending maintenance: system-update", "apply-first (--yes took the recommended option)", "maintenance applied; nothing pending", "✓ up", "run done"},
			ops: map[string]int{"ApplyPendingMaintenanceAction": 2, "ModifyDBInstance": 1, "CreateDBSnapshot": 1, "CreateDBParameterGroup": 1, "ModifyDBParameterGroup": 1}},
		{name: "final-snapshot-exists", scenario: "final-snapshot-exists", args: pulumiRestore, code: ExitOK,
			out: []string{`a snapshot named "final-before-deletion" already exists (the value in Pulumi's state`,
				"Pulumi's state now gives app5ec7032 the final snapshot name final-before-deletion-", "✓ final-snapshot-guard", "✓ old-gone", "run done"},
			notOut: []string{"✗ up"}, ops: map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "ModifyDBInstance": 1, "DeleteDBInstance": 1}},
		{name: "credentials-expire", scenario: "credentials-expire", args: consoleRestore, code: ExitFailed,
			errOut: []string{"your AWS session expired (ExpiredToken", "refresh your credentials", "datalayer resume"},
			fired:  map[string]int64{"credentials-expire": 1}, resume: true},
		{name: "network-loss", scenario: "network-loss", args: consoleRestore, code: ExitOK,
			out: []string{"✓ rename-new", "run done"}, ops: consoleOps,
			fired: map[string]int64{"network-loss": 1, "5xx": 1}},
		{name: "wrong-profile", scenario: "wrong-profile", args: []string{"deploy"}, code: ExitFailed,
			out:    []string{"✗ stack"},
			errOut: []string{"wrong credentials", "user/docker-user", "export the access keys of planx-staging-pulumi", "AWS_PROFILE=planx-staging-pulumi"},
			notOut: []string{"▶ preview"}, ops: map[string]int{}},
	}

	// Every scenario the simulator knows has a row.
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.scenario] = true
	}
	for _, s := range rdssim.Scenarios() {
		if !covered[s.Name] {
			t.Errorf("scenario %s has no row in this table", s.Name)
		}
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			state := t.TempDir()
			aws := t.TempDir()
			env := map[string]string{
				"DATALAYER_STATE_DIR": state, "NO_COLOR": "1",
				"AWS_CONFIG_FILE": filepath.Join(aws, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(aws, "credentials"),
			}
			args := append([]string{"rehearse"}, tt.args...)
			args = append(args, "--scenario", tt.scenario, "--plain", "--yes", "--speed", "1000")
			r := execute(t, context.Background(), env, args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.out, r.errOut)
			}
			rest := r.out
			for _, w := range tt.out {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in this order after the earlier texts)\nstdout:\n%s", w, r.out)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tt.errOut {
				if !strings.Contains(r.errOut, w) {
					t.Errorf("stderr lacks %q\nstderr:\n%s", w, r.errOut)
				}
			}
			for _, w := range tt.notOut {
				if strings.Contains(r.out, w) {
					t.Errorf("stdout has %q, the run should have stopped before\nstdout:\n%s", w, r.out)
				}
			}
			checkNoSecrets(t, state, r)
			world := readRehearsalWorld(t, state)
			if tt.ops != nil {
				for k, v := range world.requests {
					if tt.ops[k] != v {
						t.Errorf("%s issued %d times, want %d (all: %v)", k, v, tt.ops[k], world.requests)
					}
				}
				for k, v := range tt.ops {
					if world.requests[k] != v {
						t.Errorf("%s issued %d times, want %d (all: %v)", k, world.requests[k], v, world.requests)
					}
				}
			}
			for name, n := range tt.fired {
				if world.fired[name] < n {
					t.Errorf("fault %s fired %d times, want at least %d: the scenario did not bite", name, world.fired[name], n)
				}
			}
			if !tt.resume {
				return
			}
			// Fresh credentials (the rehearsal signs again), then resume.
			r2 := execute(t, context.Background(), env, "resume", "--plain", "--yes")
			if r2.code != ExitOK || !strings.Contains(r2.out, "run done") {
				t.Fatalf("resume: exit %d\nstdout:\n%s\nstderr:\n%s", r2.code, r2.out, r2.errOut)
			}
			checkNoSecrets(t, state, r2)
			world = readRehearsalWorld(t, state)
			for k, v := range consoleOps {
				if world.requests[k] != v {
					t.Errorf("after resume %s issued %d times, want %d (all: %v)", k, world.requests[k], v, world.requests)
				}
			}
		})
	}
}
