package runbooks

import (
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

func TestUpgradePlanProblems(t *testing.T) {
	group := pulumiclient.PlannedStep{Type: pulumiclient.ParameterGroupType, Op: pulumiclient.OpCreate, Name: "parameterGroupPostgres17"}
	inst := func(diffs ...string) pulumiclient.PlannedStep {
		return pulumiclient.PlannedStep{Type: pulumiclient.InstanceType, Op: pulumiclient.OpUpdate, Name: "app", Diffs: diffs}
	}
	same := pulumiclient.PlannedStep{Type: pulumiclient.ParameterGroupType, Op: pulumiclient.OpSame, Name: "parameterGroup"}
	stack := pulumiclient.PlannedStep{Type: "pulumi:pulumi:Stack", Op: pulumiclient.OpSame}
	plan := func(s ...pulumiclient.PlannedStep) pulumiclient.Plan { return pulumiclient.Plan{Steps: s} }
	tests := []struct {
		name string
		plan pulumiclient.Plan
		// newGroup says a group of the target family is planned.
		newGroup bool
		want     []string // substrings of the problems; none: accepted
	}{
		{"the upgrade", plan(stack, same, group, inst("engineVersion", "parameterGroupName")), true, nil},
		{"with allowMajorVersionUpgrade", plan(group, inst("engineVersion", "parameterGroupName", "allowMajorVersionUpgrade")), true, nil},
		{"default group: engine only", plan(inst("engineVersion")), false, nil},
		{"group not created", plan(inst("engineVersion", "parameterGroupName")), true, []string{"no create of the parameter group postgres17-force-ssl-off"}},
		{"instance not pointed at the group", plan(group, inst("engineVersion")), true, []string{"does not change parameterGroupName"}},
		{"another change rides along", plan(group, inst("engineVersion", "parameterGroupName", "instanceClass")), true, []string{"also changes instanceClass"}},
		{"a replacement", plan(group, pulumiclient.PlannedStep{Type: pulumiclient.InstanceType, Op: pulumiclient.OpReplace, Name: "app", Keys: []string{"engineVersion"}}), true,
			[]string{"replace aws:rds/instance:Instance app (replaced because of engineVersion)", "no update of the instance"}},
		{"the old group deleted", plan(group, inst("engineVersion", "parameterGroupName"), pulumiclient.PlannedStep{Type: pulumiclient.ParameterGroupType, Op: pulumiclient.OpDelete, Name: "parameterGroup"}), true,
			[]string{"delete aws:rds/parameterGroup:ParameterGroup parameterGroup"}},
		{"a bucket changes", plan(group, inst("engineVersion", "parameterGroupName"), pulumiclient.PlannedStep{Type: "aws:s3/bucket:Bucket", Op: pulumiclient.OpUpdate, Name: "user-data"}), true,
			[]string{"update aws:s3/bucket:Bucket user-data"}},
		{"nothing changes", plan(stack, same), true, []string{"no update of the instance: is engineVersion 17.7 in the program?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := ""
			if tt.newGroup {
				tg = "postgres17-force-ssl-off"
			}
			got := upgradePlanProblems(tt.plan, "17.7", tg, "postgres16-force-ssl-off")
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("refused the upgrade's plan: %v", got)
			}
			all := strings.Join(got, "; ")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems %q lack %q", all, w)
				}
			}
		})
	}
}

func TestUpgradeChecklistNamesTheWholeJob(t *testing.T) {
	md, err := Checklist("upgrade", ChecklistOptions{Stack: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	order := []string{
		"**Plan the parameter group of the target family**", "describe-db-parameters --db-parameter-group-name",
		"**Run the EXPLAIN ANALYZE spot checks (before)**", "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)",
		"**Take a manual snapshot before the upgrade**", "aws rds create-db-snapshot",
		"**Write the parameter group and engineVersion into the program**", "[skip pizza]",
		"**Upgrade (pulumi up) while watching RDS events**", "download-db-log-file-portion",
		"**Verify the new version and parameter group**", "reboot-db-instance",
		"**Run the EXPLAIN ANALYZE spot checks again and compare (after)**",
		"**List the extensions whose version is behind the new engine**",
		"**Offer removing the old parameter group from the program**",
	}
	at := 0
	for _, w := range order {
		i := strings.Index(md[at:], w)
		if i < 0 {
			t.Fatalf("checklist lacks %q after position %d", w, at)
		}
		at += i
	}
}

// TestStagingFirstIgnoresRehearsals: production's "staging first" check
// counts only a real, verified upgrade of another stack to the same target;
// a rehearsal's timings used to count as one.
func TestStagingFirstIgnoresRehearsals(t *testing.T) {
	dir := t.TempDir()
	write := func(id string, info engine.RunInfo, verified, errText string) {
		t.Helper()
		info.RunID, info.Runbook = id, "upgrade"
		j, err := engine.OpenJournal(engine.JournalPath(dir, id))
		if err != nil {
			t.Fatal(err)
		}
		evs := []engine.Event{{Seq: 1, Type: engine.EventRunStarted, Run: &info}}
		if verified != "" {
			evs = append(evs, engine.Event{Seq: 2, Type: engine.EventVariable, StepID: "verify", Name: "verified-version", Value: verified})
		}
		evs = append(evs, engine.Event{Seq: 3, Type: engine.EventRunFinished, Text: "done", Err: errText})
		for _, e := range evs {
			if err := j.Append(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("r1-rehearsal", engine.RunInfo{Stack: "staging", Rehearsal: true}, "17.7", "")
	write("r2-other-target", engine.RunInfo{Stack: "staging"}, "17.6", "")
	write("r3-failed", engine.RunInfo{Stack: "staging"}, "17.7", "verify: instance runs 16.13")
	write("r4-production", engine.RunInfo{Stack: "production", Production: true}, "17.7", "")
	if r, ok := stagingUpgradeDone(dir, "17.7"); ok {
		t.Fatalf("counted %s as staging's upgrade to 17.7", r.Info.RunID)
	}
	write("r5-staging", engine.RunInfo{Stack: "staging"}, "17.7", "")
	if r, ok := stagingUpgradeDone(dir, "17.7"); !ok || r.Info.RunID != "r5-staging" {
		t.Fatalf("staging's real upgrade not found: %+v %v", r, ok)
	}
}
