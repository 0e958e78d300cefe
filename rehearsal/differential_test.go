package rehearsal

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
)

var updateDifferential = flag.Bool("update-differential", false, "rewrite docs/DIFFERENTIAL.md from the differential table")

// differentialCase is one rehearsal run on both engines.
type differentialCase struct {
	name string
	opts engine.Options
	// known are the differences between the engines that remain, each
	// with its reason (docs/DIFFERENTIAL.md lists them).
	known []knownDifference
	// outcomeOnly, when set, is why only the run's end (and that both
	// runs met the scenario's fault) can be compared.
	outcomeOnly string
	// fault is a text both runs' events must show (outcomeOnly cases).
	fault string
}

// knownDifference is some lines of the comparison and why they are so.
type knownDifference struct {
	why  string
	what []string
}

// differentialCases covers every scenario of the simulator, each on a
// runbook where the engine takes part in the outcome.
var differentialCases = []differentialCase{
	{name: "default deploy", opts: engine.Options{Runbook: "deploy"}},
	{name: "default upgrade", opts: engine.Options{Runbook: "upgrade"}},
	{name: "default restore pulumi", opts: engine.Options{Runbook: "restore", Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}},
	// The application redeployed by the rehearsal's simulated CI, watched
	// in the application stack's history (a file backend numbers every
	// update 0 on the real CLI).
	{name: "default restore pulumi ci", opts: engine.Options{Runbook: "restore", Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "ci"}}},
	{name: "default restore console", opts: engine.Options{Runbook: "restore", Flags: map[string]string{"method": "console", "lost": "isolated"}}},
	// Issue 15: restoreToPointInTime through each engine's provider.
	{name: "default restore pulumi to a point in time", opts: engine.Options{Runbook: "restore", Flags: map[string]string{"method": "pulumi", "lost": "critical", "app-deploy": "up", "to": "20m"}}},
	{name: "throttling restore pulumi", opts: engine.Options{Runbook: "restore", Scenario: "throttling", Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}},
	{name: "network-loss restore pulumi", opts: engine.Options{Runbook: "restore", Scenario: "network-loss", Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}},
	{name: "rename-refused restore console", opts: engine.Options{Runbook: "restore", Scenario: "rename-refused", Flags: map[string]string{"method": "console", "lost": "isolated"}}},
	{name: "restore-incompatible-parameters restore pulumi", opts: engine.Options{Runbook: "restore", Scenario: "restore-incompatible-parameters", Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}},
	{name: "upgrade-precheck-fails upgrade", opts: engine.Options{Runbook: "upgrade", Scenario: "upgrade-precheck-fails"}},
	{name: "final-snapshot-exists restore pulumi", opts: engine.Options{Runbook: "restore", Scenario: "final-snapshot-exists", Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}},
	{name: "credentials-expire restore pulumi", opts: engine.Options{Runbook: "restore", Scenario: "credentials-expire", Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}},
		fault: "ExpiredToken",
		outcomeOnly: "The scenario expires the keys from the simulator's 41st request on, so where a run stops depends on how many " +
			"requests came before: the pollers' reads follow the wall clock, and the real provider reads more than the simulated engine " +
			"(the instance and the parameter group on every refresh, a poll every 10 AWS seconds). The step it stops at differs from run " +
			"to run even on one engine; both engines must stop, on ExpiredToken. Wherever it stops (datalayer's own AWS calls or " +
			"Pulumi's), the error names the problem and the next action for this run (`datalayer resume <id>`)."},
	{name: "wrong-profile deploy", opts: engine.Options{Runbook: "deploy", Scenario: "wrong-profile"}},
}

// outcome is what a run decided: each step's last state, the run's end and
// the AWS writes (the simulator's log of mutating requests).
type outcome struct {
	steps  map[string]string
	run    string
	first  string // the first step that failed ("" when none)
	writes []string
	wall   time.Duration
	text   string
}

// TestDifferential runs every case on the simulated engine and on the real
// pulumi CLI and compares the step outcomes and the AWS writes. Each
// difference must be a known one (with its reason); a known one that no
// longer shows must be removed. -update-differential rewrites
// docs/DIFFERENTIAL.md from the table.
func TestDifferential(t *testing.T) {
	tools := pulumitest.Tools(t)
	for _, sc := range rdssim.Scenarios() {
		if !slices.ContainsFunc(differentialCases, func(c differentialCase) bool { return orDefault(c.opts.Scenario, "default") == sc.Name }) {
			t.Errorf("scenario %s has no case in the differential table: add one", sc.Name)
		}
	}
	var mu sync.Mutex
	results := map[string][2]outcome{}
	start := time.Now()
	t.Cleanup(func() {
		t.Logf("differential table: %d cases on both engines in %v of wall time", len(differentialCases), time.Since(start).Round(time.Second))
		if *updateDifferential && !t.Failed() {
			writeDifferentialDoc(t, results, time.Since(start))
		}
	})
	for _, c := range differentialCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := c.opts
			// At --speed 60, as a person rehearses: the pulumi CLI's own
			// seconds of real time stay minutes of AWS time, within the
			// runbooks' limits (at 600 a 2-second CLI start is 20 AWS
			// minutes, and "not found 5 minutes after a create" fires).
			o.Yes, o.Speed = true, 60
			sim := runCase(t, o, Engine{})
			real := runCase(t, o, Engine{Name: EnginePulumi, Pulumi: tools.Pulumi})
			mu.Lock()
			results[c.name] = [2]outcome{sim, real}
			mu.Unlock()
			t.Logf("wall time: simulated engine %v, pulumi CLI %v", sim.wall.Round(time.Millisecond), real.wall.Round(time.Second))
			if c.outcomeOnly != "" {
				if sim.run != "failed" || real.run != "failed" {
					t.Errorf("run: simulated engine %s, pulumi CLI %s; both must stop on the fault", sim.run, real.run)
				}
				for _, o := range []outcome{sim, real} {
					if !strings.Contains(o.text, c.fault) {
						t.Errorf("a run does not show %s:\n%s", c.fault, o.text)
					}
				}
				return
			}
			got := compareOutcomes(sim, real)
			var known []string
			for _, k := range c.known {
				known = append(known, k.what...)
			}
			for _, d := range got {
				if !slices.Contains(known, d) {
					t.Errorf("difference not in the table: %s", d)
				}
			}
			for _, k := range known {
				if !slices.Contains(got, k) {
					t.Errorf("known difference no longer shows (remove it from the table and docs/DIFFERENTIAL.md): %s", k)
				}
			}
			if t.Failed() {
				t.Logf("simulated engine:\n%s\npulumi CLI:\n%s", sim.text, real.text)
			}
		})
	}
}

// runCase runs one case headless on engine e and reads its outcome.
func runCase(t *testing.T, o engine.Options, e Engine) outcome {
	t.Helper()
	start := time.Now()
	r := runHeadlessOn(t, o, nil, nil, e)
	out := outcome{steps: map[string]string{}, run: "done", wall: time.Since(start), text: r.text()}
	if r.err != nil {
		out.run = "failed"
	}
	for _, ev := range r.events {
		switch ev.Type {
		case engine.EventStepFinished:
			out.steps[ev.StepID] = "finished"
			if strings.HasPrefix(ev.Text, "stopped") {
				out.steps[ev.StepID] = "stopped"
			}
		case engine.EventStepFailed:
			// A step the run's failure cut short (its context ended) is
			// a consequence, not a decision: as if not run.
			if strings.Contains(ev.Err, "context canceled") || strings.Contains(ev.Err, "signal: interrupt") {
				delete(out.steps, ev.StepID)
				continue
			}
			out.steps[ev.StepID] = "failed"
			if out.first == "" {
				out.first = ev.StepID
			}
		case engine.EventStepSkipped:
			// A step off the run's path and one the run never reached
			// are alike; a step skipped on purpose says why.
			if strings.HasPrefix(ev.Text, "not on this path") {
				delete(out.steps, ev.StepID)
			} else {
				out.steps[ev.StepID] = "skipped: " + ev.Text
			}
		}
	}
	writes, err := requestWrites(r.world.Dir)
	if err != nil {
		t.Fatal(err)
	}
	out.writes = writes
	return out
}

var (
	newInstanceName = regexp.MustCompile(`\bapp(?:-?[0-9a-f]{7})\b`)
	minuteStamp     = regexp.MustCompile(`\d{8}-\d{4}`)
	autoSnapDate    = regexp.MustCompile(`(rds:[a-z0-9-]+?)-\d{4}-\d\d-\d\d-\d\d-\d\d`)
)

// requestWrites reads a world's log of mutating requests as sorted lines
// "Action status names", with what differs from run to run (the new
// instance's random name, a minute in a snapshot's name) made alike.
func requestWrites(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, reqFile))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		// A write a transient fault answered (a dropped connection, a 5xx,
		// Throttling) is retried; which write a request-numbered fault
		// hits depends on how many requests came before, which differs
		// between engines. What was decided is in the other lines.
		if f[2] == "0" || strings.HasPrefix(f[2], "5") || strings.HasSuffix(l, " error=Throttling") {
			continue
		}
		line := strings.Join(f[1:], " ")
		line = newInstanceName.ReplaceAllStringFunc(line, func(s string) string {
			if s == rdssim.DefaultInstanceID {
				return s
			}
			return "app<new>"
		})
		line = minuteStamp.ReplaceAllString(line, "<time>")
		line = autoSnapDate.ReplaceAllString(line, "$1-<date>")
		// How often a refused write was retried depends on timing; that
		// it was tried and refused does not.
		if f[2] != "200" && slices.Contains(out, line) {
			continue
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out, nil
}

// compareOutcomes lists how the real engine's run differs from the
// simulated one's, one line per difference.
func compareOutcomes(sim, real outcome) []string {
	var out []string
	if sim.run != real.run {
		out = append(out, fmt.Sprintf("run: simulated engine %s, pulumi CLI %s", sim.run, real.run))
	}
	if sim.first != real.first {
		out = append(out, fmt.Sprintf("first failed step: simulated engine %s, pulumi CLI %s", orDefault(sim.first, "none"), orDefault(real.first, "none")))
	}
	ids := map[string]bool{}
	for id := range sim.steps {
		ids[id] = true
	}
	for id := range real.steps {
		ids[id] = true
	}
	var sorted []string
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		a, b := orDefault(sim.steps[id], "not run"), orDefault(real.steps[id], "not run")
		// After a run failed, the steps it did not get to (or cut short
		// while they ran beside the failing one) say nothing.
		if a == "not run" && sim.run == "failed" || b == "not run" && real.run == "failed" {
			continue
		}
		if a != b {
			out = append(out, fmt.Sprintf("step %s: simulated engine %s, pulumi CLI %s", id, a, b))
		}
	}
	count := func(lines []string) map[string]int {
		m := map[string]int{}
		for _, l := range lines {
			m[l]++
		}
		return m
	}
	a, b := count(sim.writes), count(real.writes)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	var writes []string
	for k := range keys {
		if a[k] != b[k] {
			writes = append(writes, fmt.Sprintf("AWS write %q: simulated engine %d, pulumi CLI %d", k, a[k], b[k]))
		}
	}
	sort.Strings(writes)
	return append(out, writes...)
}

// foundByTheTable is the history of what the table found and what fixed
// it, kept in the generated file.
const foundByTheTable = `
## Found by this table, and fixed

- **default, throttling and network-loss restore pulumi** (first run of the table, before
  572b410 and 0936af2): on the real CLI the restore failed at ` + "`up`" + `: the provider's follow-up
  ` + "`ModifyDBInstance`" + ` after the restore asked for the program's engine version 16.11 below the
  snapshot's 16.13, which AWS refuses (` + "`ModifyDBInstance 400`" + ` on the new instance, the old one
  never deleted), while the simulated engine made no follow-up modify and the rehearsal
  passed. Fixed on the simulated engine's side (it now modifies after a restore, 572b410) and in
  the runbook (a Pulumi restore raises ` + "`engineVersion`" + ` to the snapshot's first, 0936af2): both
  engines now pass with the same writes.
- **network-loss restore pulumi** (same run): the simulated engine's ` + "`up`" + ` gave up on a
  ` + "`DescribeDBInstances`" + ` after the SDK's default 3 attempts, where the real provider retries 25 times
  and rode the outage out. Fixed by 572b410 (the simulated engine retries as the provider does).
- **default and rename-refused restore console** (until 1042a15): on the real CLI the console
  restore failed at repair-state: the restored instance had RDS's default maintenance window (the
  restore API takes none) and ran the snapshot's 16.13 where the program said 16.11, so the
  preview that proves the state repair proposed ` + "`engineVersion`" + ` and ` + "`maintenanceWindow`" + `; the simulated
  engine compared neither input and passed. Fixed on both sides by 1042a15: the simulated engine
  diffs the program's in-place inputs against the state as the provider does (it now shows the
  failure), and the runbook sets the export's window and retention on the restored instance with
  one modify (` + "`later-settings`" + `) and raises the program to the snapshot's version before the restore.
- **credentials-expire restore pulumi** (until 5c7b67d): when Pulumi's refresh met the expired
  keys, the step's error was only ` + "`pulumi refresh: failed to refresh stack: exit status 1`" + `, the
  ExpiredToken text in Pulumi's own lines above it. Pulumi's operations now mark such a failure
  (from the provider's diagnostics) and the step's error names it with the next action.
- **default restore pulumi ci** (not in the table until 7dd5a93, too slow): a local file backend's
  ` + "`pulumi stack history --json`" + ` numbers every update 0, so the restore's watch for the CI's redeploy,
  which looked for an update numbered after the one before, never saw it and waited 3 hours of
  AWS time (the simulated engine numbers its updates). Any DIY backend (file, S3) is like that;
  Pulumi Cloud numbers them. The watch now goes by start time where updates are not numbered.
`

// writeDifferentialDoc rewrites docs/DIFFERENTIAL.md from the table and
// the outcomes of this run.
func writeDifferentialDoc(t *testing.T, results map[string][2]outcome, took time.Duration) {
	var b strings.Builder
	b.WriteString(`# Differential table: the simulated engine against the real pulumi CLI

Every rehearsal scenario of the simulator runs, in CI, once on the simulated
Pulumi engine (` + "`pulumiclient.SimStack`" + `, the default of ` + "`datalayer rehearse`" + `) and once on
a real pulumi CLI (` + "`datalayer rehearse --engine pulumi`" + `: ` + "`pulumiclient.LocalStack`" + `, the
YAML equivalent of the team's program, datalayer's simulated AWS provider, a
local file backend). ` + "`TestDifferential`" + ` in ` + "`rehearsal/differential_test.go`" + ` compares
what each run decided:

- each step's outcome (finished, stopped, failed, skipped, not run) and the run's;
- the AWS writes: the simulator's log of mutating requests (action, HTTP
  status, names), the new instance's random name and the minute in a
  snapshot's name made alike.

A difference fails the test unless the table lists it with its reason; a
listed difference that no longer shows fails it too. Regenerate this file with
` + "`go test ./rehearsal -run TestDifferential -update-differential`" + `.

Differences on the simulated engine's side are the simulated engine's bugs
(SimStack, owned by "provider"); those on the real side are findings about
the production path.

| case | runbook | scenario | outcome (simulated / pulumi CLI) | AWS writes | wall time (simulated / pulumi CLI) |
|---|---|---|---|---|---|
`)
	for _, c := range differentialCases {
		r, ok := results[c.name]
		if !ok {
			continue
		}
		writes := "same"
		if c.outcomeOnly != "" {
			writes = "not compared (below)"
		}
		for _, k := range c.known {
			for _, w := range k.what {
				if strings.HasPrefix(w, "AWS write") {
					writes = "differ (below)"
				}
			}
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s | %s / %s | %s | %v / %v |\n", c.name, c.opts.Runbook, c.opts.Flag("method"), orDefault(c.opts.Scenario, "default"),
			r[0].run, r[1].run, writes, r[0].wall.Round(100*time.Millisecond), r[1].wall.Round(time.Second))
	}
	fmt.Fprintf(&b, "\nThe run that wrote this file: %d cases on both engines in %v of wall time on 2 cores, two cases at a time; "+
		"the pulumi CLI's runs take nearly all of it (each Pulumi operation starts the CLI, and each world first seeds its stacks).\n",
		len(results), took.Round(time.Second))
	b.WriteString("\n## Compared by outcome only\n\n")
	for _, c := range differentialCases {
		if c.outcomeOnly != "" {
			fmt.Fprintf(&b, "### %s\n\n%s\n\n", c.name, c.outcomeOnly)
		}
	}
	b.WriteString("## Differences that remain\n\n")
	any := false
	for _, c := range differentialCases {
		for _, k := range c.known {
			any = true
			fmt.Fprintf(&b, "### %s\n\n%s\n\n", c.name, k.why)
			for _, w := range k.what {
				fmt.Fprintf(&b, "- %s\n", w)
			}
			b.WriteString("\n")
		}
	}
	if !any {
		b.WriteString("None: on every case, both engines decide the same steps and make the same AWS writes.\n")
	}
	b.WriteString(foundByTheTable)
	path := filepath.Join("..", "docs", "DIFFERENTIAL.md")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Errorf("write %s: %v", path, err)
	}
}
