package runbooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// The upgrade's parameter-group work: RDS refuses a major upgrade while the
// instance keeps a custom parameter group of the old family, so the program
// gets a copy of the group for the target family, the instance is pointed at
// it, and the old group is removed only once the upgrade is verified.

func parameterGroupStep() *engine.Step {
	return &engine.Step{
		ID: "parameter-group", Title: "Plan the parameter group of the target family", Kind: engine.KindCheck, Phase: PhasePrepare,
		Needs:    []string{"instance", "target", "engine"},
		Produces: []string{"target-family", "target-group"},
		Commands: []string{
			"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].DBParameterGroups'",
			"aws rds describe-db-parameters --db-parameter-group-name {param-group} --source user",
			"aws rds describe-db-engine-versions --engine postgres --engine-version {target} --query 'DBEngineVersions[0].DBParameterGroupFamily'",
			"aws rds describe-engine-default-parameters --db-parameter-group-family {target-family} --query 'EngineDefaults.Parameters[].ParameterName'",
		},
		Explanation: "A major upgrade needs a parameter group of the target's family given with it: RDS refuses " +
			"the upgrade while the instance keeps a custom group of the old family (ours is " +
			"`postgres16-force-ssl-off`). This step reads the settings the current group makes itself " +
			"(source `user`: `rds.force_ssl = 0` and the preload libraries) and checks each one exists in the " +
			"target family. A setting the new major no longer has is named here, before anything is written.",
		Do: func(x *engine.Exec) error {
			api := deps(x).AWS
			in, err := api.Instance(x.Ctx(), x.Get("instance"))
			if err != nil {
				return fmt.Errorf("read instance %s: %w", x.Get("instance"), err)
			}
			target := x.Get("target")
			fam, err := api.EngineFamily(x.Ctx(), x.Get("engine"), target)
			if err != nil {
				return fmt.Errorf("find the parameter group family of %s: %w", target, err)
			}
			x.Set("target-family", fam)
			x.Set("param-group", in.ParameterGroup)
			if in.ParameterGroup == "" || strings.HasPrefix(in.ParameterGroup, "default.") {
				x.Say("%s uses AWS's default group %s: the upgrade moves it to default.%s by itself; no group to write", in.ID, orDefault(in.ParameterGroup, "(none)"), fam)
				x.Set("target-group", "")
				return nil
			}
			g, err := api.ParameterGroup(x.Ctx(), in.ParameterGroup)
			if err != nil {
				return fmt.Errorf("read parameter group %s: %w", in.ParameterGroup, err)
			}
			x.Set("param-family", g.Family)
			if g.Family == fam {
				x.Say("%s is already of family %s", g.Name, fam)
				x.Set("target-group", g.Name)
				return nil
			}
			user, err := api.Parameters(x.Ctx(), g.Name, awsclient.SourceUser)
			if err != nil {
				return fmt.Errorf("read the settings of %s: %w", g.Name, err)
			}
			famParams, err := api.FamilyParameters(x.Ctx(), fam)
			if err != nil {
				return fmt.Errorf("read the parameters of family %s: %w", fam, err)
			}
			x.Say("%s (family %s) sets %d parameter(s) itself:", g.Name, g.Family, len(user))
			for _, p := range user {
				x.Say("  %s = %s (%s)", p.Name, p.Value, orDefault(p.ApplyType, "dynamic"))
			}
			missing := awsclient.MissingFrom(user, famParams)
			keep := slices.DeleteFunc(slices.Clone(user), func(p awsclient.Parameter) bool {
				return slices.ContainsFunc(missing, func(m awsclient.Parameter) bool { return m.Name == p.Name })
			})
			if len(missing) > 0 {
				var names []string
				for _, m := range missing {
					names = append(names, m.Name+" = "+m.Value)
					x.Warn("%s = %s does not exist in %s: PostgreSQL %s has no such setting", m.Name, m.Value, fam, strings.TrimPrefix(fam, x.Get("engine")))
				}
				v, err := x.Choose("missing", "Settings the target family does not have",
					"These settings of "+g.Name+" do not exist in "+fam+":\n\n- "+strings.Join(names, "\n- ")+
						"\n\nAWS refuses a group that sets them. Leave them out of the new group, or stop and decide with the team.",
					"", []engine.Option{
						{Value: "leave-out", Label: "Leave them out of the " + fam + " group", Recommended: true, Reason: "the new major has no such setting"},
						{Value: "stop", Label: "Stop here; nothing is written", Reason: "to check what the setting did first"},
					})
				if err != nil {
					return err
				}
				if v == "stop" {
					return &engine.StopError{Reason: "settings missing from " + fam + ": " + strings.Join(names, ", ") + "; nothing was written"}
				}
				x.Set("left-out-params", strings.Join(names, ", "))
			}
			decls := make([]pulumiclient.ParameterDecl, 0, len(keep))
			for _, p := range keep {
				method := p.ApplyMethod
				if p.ApplyType == "static" {
					method = "pending-reboot" // RDS refuses immediate for a static parameter
				} else if method == "" {
					method = "immediate"
				}
				decls = append(decls, pulumiclient.ParameterDecl{Name: p.Name, Value: p.Value, ApplyMethod: method})
			}
			b, _ := json.Marshal(decls)
			x.Set("group-params", string(b))
			name := pulumiclient.TargetGroupName(g.Name, g.Family, fam)
			x.Set("target-group", name)
			x.Say("the program gets %s (family %s) with the same %d setting(s), and the instance is pointed at it", name, fam, len(decls))
			return nil
		},
	}
}

// takeSnapshot makes sure a manual snapshot of inst named name exists and
// waits until it is available: one already there (an earlier session's
// request) is waited for, else it is requested once, journalled under key
// first. A snapshot of that name of another instance is refused.
func takeSnapshot(x *engine.Exec, key, inst, name string) (awsclient.Snapshot, error) {
	api := deps(x).AWS
	s, err := api.Snapshot(x.Ctx(), name)
	switch {
	case err == nil && s.InstanceID != "" && s.InstanceID != inst:
		return s, fmt.Errorf("a snapshot named %s exists but is of %s, not %s: delete or rename it (`aws rds delete-db-snapshot --db-snapshot-identifier %s`), then `datalayer resume`", name, s.InstanceID, inst, name)
	case err == nil:
		x.Say("snapshot %s was already requested; waiting for it", name)
	case IsNotFound(err):
		if err := x.Issue(key, map[string]string{"instance": inst, "snapshot": name}); err != nil {
			return s, err
		}
		if _, err := api.CreateSnapshot(x.Ctx(), inst, name); err != nil {
			return s, fmt.Errorf("create snapshot %s: %w", name, err)
		}
		x.Say("snapshot %s requested", name)
	default:
		return s, fmt.Errorf("look up snapshot %s: %w", name, err)
	}
	return waitSnapshotDone(x, name)
}

// snapshotBeforeName names the manual snapshot before an upgrade; a version's
// dots are not allowed in snapshot identifiers.
func snapshotBeforeName(instance, target string) string {
	return instance + "-before-" + strings.ReplaceAll(target, ".", "-")
}

func snapshotBeforeStep() *engine.Step {
	return &engine.Step{
		ID: "snapshot-before", Title: "Take a manual snapshot before the upgrade", Kind: engine.KindAction, Phase: PhasePlan,
		Needs:    []string{"instance", "target"},
		Produces: []string{"rollback-snapshot"},
		Commands: []string{
			"aws rds create-db-snapshot --db-instance-identifier {instance} --db-snapshot-identifier {instance}-before-<target with dashes>",
			"aws rds wait db-snapshot-available --db-snapshot-identifier {instance}-before-<target with dashes>",
		},
		Explanation: "A major upgrade cannot be undone in place. A named manual snapshot taken just before it is " +
			"the way back: restore it (`datalayer restore`) to a new instance of the old major. It is kept " +
			"until deleted by hand, unlike automated snapshots.",
		Do: func(x *engine.Exec) error {
			inst := x.Get("instance")
			name := snapshotBeforeName(inst, x.Get("target"))
			if _, err := takeSnapshot(x, "create-snapshot:"+name, inst, name); err != nil {
				return err
			}
			x.Set("rollback-snapshot", name)
			x.Say("snapshot %s is available: the way back is to restore it to a new instance of %s", name, x.Get("current-version"))
			return nil
		},
	}
}

func upgradeProgramStep() *engine.Step {
	return &engine.Step{
		ID: "bump-version", Title: "Write the parameter group and engineVersion into the program", Kind: engine.KindAction, Phase: PhasePlan,
		Needs: []string{"target", "target-group"},
		Commands: []string{
			"# index.ts: a copy of the parameter group for {target-family} (same parameters), named {target-group};",
			"# on the aws.rds.Instance: engineVersion: \"{target}\", parameterGroupName: <new group>.name, allowMajorVersionUpgrade: true",
			"git commit -am 'chore(data): upgrade postgres to {target} [skip pizza]'",
		},
		Explanation: "Writes the upgrade into the data program: a parameter group of the target family with the " +
			"same settings next to the old one, the instance's `parameterGroupName` pointing at it, " +
			"`engineVersion` the target and `allowMajorVersionUpgrade: true`. The diff is shown first and " +
			"written only when confirmed, then committed with `[skip pizza]`. The old group stays until the " +
			"upgrade is verified.",
		Do: func(x *engine.Exec) error {
			t := x.Get("target")
			group := x.Get("target-group")
			p := deps(x).Editor
			if p == nil {
				what := "set engineVersion to " + t + " and allowMajorVersionUpgrade: true"
				if group != "" {
					what = "add a parameter group " + group + " of family " + x.Get("target-family") + " with the same parameters as " + x.Get("param-group") + ", point the instance's parameterGroupName at it, " + what
				}
				_, err := x.Manual("edit", "Edit the program by hand", "No program editor is configured: in index.ts, "+what+"; commit with [skip pizza].")
				return err
			}
			u := pulumiclient.MajorUpgrade{EngineVersion: t, Family: x.Get("target-family"), GroupName: group}
			if group != "" && group != x.Get("param-group") {
				if err := json.Unmarshal([]byte(x.Get("group-params")), &u.Parameters); err != nil && x.Get("group-params") != "" {
					return fmt.Errorf("read the planned parameters: %w", err)
				}
			} else {
				u.GroupName = "" // a default group, or one already of the family
			}
			diff, err := p.ProposeMajorUpgrade(u)
			if err != nil {
				return fmt.Errorf("prepare the program change: %w", err)
			}
			if diff == "" {
				x.Say("the program already says so: nothing to change")
				// An interrupted run may have written it without committing.
				if c, err := p.Commit(x.Ctx(), "chore(data): upgrade postgres to "+t+" "+pulumiclient.SkipPizza); err != nil {
					return fmt.Errorf("commit the program change: %w", err)
				} else if c != "" {
					x.Say("committed the change an earlier session had written: %s", c)
				}
				return nil
			}
			for _, l := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
				x.Say("%s", l)
			}
			ok, err := x.Confirm("write", "Write this change to the program?", "```diff\n"+diff+"```", true)
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("the program change was not written: run `datalayer resume` to be asked again, or edit the program by hand and resume")
			}
			if err := p.WriteProposed(); err != nil {
				return fmt.Errorf("write the program change: %w", err)
			}
			c, err := p.Commit(x.Ctx(), "chore(data): upgrade postgres to "+t+" "+pulumiclient.SkipPizza)
			if err != nil {
				return fmt.Errorf("commit the program change: %w", err)
			}
			if c == "" {
				x.Say("the program directory is not a git repository: commit the change by hand")
			} else {
				x.Say("committed %s", c)
			}
			return nil
		},
	}
}

// upgradeDiffs are the instance changes an upgrade's plan may hold.
var upgradeDiffs = []string{"engineVersion", "parameterGroupName", "allowMajorVersionUpgrade"}

// checkUpgradePlan accepts exactly the upgrade: the new group created (when
// one is planned) and the instance updated in engineVersion, parameterGroupName
// and allowMajorVersionUpgrade. Anything else stops the run before the gate.
func checkUpgradePlan(x *engine.Exec, p pulumiPlan) error {
	problems := upgradePlanProblems(p, x.Get("target"), x.Get("target-group"), x.Get("param-group"))
	if len(problems) > 0 {
		return fmt.Errorf("the plan is not just the upgrade (create the %s group, update the instance's engineVersion and parameterGroupName); it differs: %s. Nothing was changed: fix the program or the drift, then `datalayer resume`",
			orDefault(x.Get("target-family"), "new"), strings.Join(problems, "; "))
	}
	return nil
}

// upgradePlanProblems lists how a plan differs from the upgrade's.
func upgradePlanProblems(p pulumiPlan, target, targetGroup, oldGroup string) []string {
	var problems []string
	created, updated := false, false
	newGroup := targetGroup != "" && targetGroup != oldGroup
	for _, s := range p.Steps {
		switch {
		case s.Op == pulumiclient.OpSame || s.Op == "" || s.Type == "pulumi:pulumi:Stack":
			continue
		case s.Type == pulumiclient.ParameterGroupType && s.Op == pulumiclient.OpCreate && newGroup && !created:
			created = true
		case s.Type == pulumiclient.InstanceType && s.Op == pulumiclient.OpUpdate && !updated:
			updated = true
			var other []string
			for _, d := range s.Diffs {
				if !slices.Contains(upgradeDiffs, d) {
					other = append(other, d)
				}
			}
			if len(other) > 0 {
				problems = append(problems, "the instance update also changes "+strings.Join(other, ", "))
			}
			if len(s.Diffs) > 0 && !slices.Contains(s.Diffs, "engineVersion") {
				problems = append(problems, "the instance update does not change engineVersion")
			}
			if newGroup && len(s.Diffs) > 0 && !slices.Contains(s.Diffs, "parameterGroupName") {
				problems = append(problems, "the instance update does not change parameterGroupName")
			}
		default:
			what := fmt.Sprintf("%s %s %s", s.Op, s.Type, s.Name)
			if len(s.Keys) > 0 {
				what += " (replaced because of " + strings.Join(s.Keys, ", ") + ")"
			}
			problems = append(problems, what)
		}
	}
	if !updated {
		problems = append(problems, fmt.Sprintf("no update of the instance: is engineVersion %s in the program?", target))
	}
	if newGroup && !created {
		problems = append(problems, "no create of the parameter group "+targetGroup)
	}
	return problems
}

// upgradeLogLines picks the lines of pg_upgrade logs that say why.
var upgradeLogLines = regexp.MustCompile(`(?i)(error|fatal|fail|cannot|could not|not be completed|pending maintenance|incompatible|\*failure\*)`)

// fetchUpgradeLogs downloads the pg_upgrade logs an upgrade attempt left,
// shows the lines that say why and saves the files with the run.
func fetchUpgradeLogs(x *engine.Exec, instance string, since time.Time) {
	api := deps(x).AWS
	files, err := api.LogFiles(x.Ctx(), instance)
	if err != nil {
		x.Warn("could not list the log files of %s (%v): `aws rds describe-db-log-files --db-instance-identifier %s` shows them", instance, err, instance)
		return
	}
	dir := filepath.Join(x.Options().StateDir, "runs", x.Options().RunID)
	found := 0
	for _, f := range files {
		if !strings.Contains(f.Name, "pg_upgrade") || (!f.LastWritten.IsZero() && f.LastWritten.Before(since.Add(-time.Hour))) {
			continue
		}
		found++
		text, err := api.LogPortion(x.Ctx(), instance, f.Name)
		if err != nil {
			x.Warn("could not download %s (%v): `aws rds download-db-log-file-portion --db-instance-identifier %s --log-file-name %s --starting-token 0 --output text`", f.Name, err, instance, f.Name)
			continue
		}
		for _, l := range strings.Split(text, "\n") {
			if upgradeLogLines.MatchString(l) {
				x.Warn("%s: %s", f.Name, strings.TrimSpace(l))
			}
		}
		path := filepath.Join(dir, strings.ReplaceAll(f.Name, "/", "_"))
		if err := os.MkdirAll(dir, 0o700); err == nil {
			err = os.WriteFile(path, []byte(text), 0o600)
			if err == nil {
				x.Say("saved %s with the run: %s", f.Name, path)
				x.Set("upgrade-log:"+f.Name, path)
				continue
			}
		}
		x.Warn("could not save %s with the run", f.Name)
	}
	if found == 0 {
		x.Warn("%s has no pg_upgrade log files: RDS writes them only when the upgrade reached pg_upgrade; read the events and error/postgresql.log.*", instance)
	}
}

func verifyUpgradeStep() *engine.Step {
	return &engine.Step{
		ID: "verify", Title: "Verify the new version and parameter group", Kind: engine.KindCheck, Phase: PhaseVerify,
		Needs:    []string{"target", "instance"},
		Produces: []string{"verified-version"},
		Commands: []string{
			"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].[DBInstanceStatus,EngineVersion,DBParameterGroups]'",
			"aws rds reboot-db-instance --db-instance-identifier {instance}   # only when the group is pending-reboot",
		},
		Explanation: "The instance must be `available` on the target version, with the new parameter group " +
			"`in-sync`. A group left `pending-reboot` (a static setting such as the preload libraries) is " +
			"reported with the reboot that applies it; the reboot is a few minutes of downtime, so it is yours " +
			"to schedule.",
		Do: func(x *engine.Exec) error {
			id := x.Get("instance")
			in, err := waitAvailableNow(x, id)
			if err != nil {
				return err
			}
			if in.EngineVersion != x.Get("target") {
				return fmt.Errorf("instance %s runs %s, not %s", in.ID, in.EngineVersion, x.Get("target"))
			}
			if g := x.Get("target-group"); g != "" && !strings.EqualFold(in.ParameterGroup, g) {
				return fmt.Errorf("instance %s uses parameter group %s, not %s: check the program's parameterGroupName and run `datalayer deploy`", in.ID, in.ParameterGroup, g)
			}
			if fam := x.Get("target-family"); fam != "" && in.ParameterGroup != "" {
				if g, err := deps(x).AWS.ParameterGroup(x.Ctx(), in.ParameterGroup); err == nil && g.Family != fam {
					return fmt.Errorf("parameter group %s is of family %s, not %s", g.Name, g.Family, fam)
				}
			}
			switch in.ParameterApplyStatus {
			case "in-sync", "":
				x.Say("%s is available on %s with parameter group %s in-sync", in.ID, in.EngineVersion, in.ParameterGroup)
			case "pending-reboot":
				x.Warn("parameter group %s is pending-reboot: its static settings apply after a reboot. Reboot at a quiet time: `aws rds reboot-db-instance --db-instance-identifier %s`", in.ParameterGroup, in.ID)
				x.Set("reboot-needed", "yes")
			default:
				x.Warn("parameter group %s is %s; look again in a few minutes (`datalayer status --instance %s`)", in.ParameterGroup, in.ParameterApplyStatus, in.ID)
			}
			x.Set("verified-version", in.EngineVersion)
			if s := x.Get("rollback-snapshot"); s != "" {
				x.Say("the way back stays snapshot %s (restore it to a new instance of %s)", s, x.Get("current-version"))
			}
			return nil
		},
	}
}

func removeOldGroupStep() *engine.Step {
	return &engine.Step{
		ID: "remove-old-group", Title: "Offer removing the old parameter group from the program", Kind: engine.KindDecision, Phase: PhaseVerify,
		Needs:    []string{"verified-version"},
		Commands: []string{"# index.ts: delete the old aws.rds.ParameterGroup ({param-group}); deploy it later with `datalayer deploy`"},
		Explanation: "Only once the upgrade is verified: the old family's group is no longer used and can go " +
			"from the program. The change is committed now and deployed later (`datalayer deploy`), so the " +
			"way back stays simple until the team is sure.",
		Do: func(x *engine.Exec) error {
			old := x.Get("param-group")
			if old == "" || old == x.Get("target-group") || x.Get("target-group") == "" {
				return engine.Skip("no old parameter group to remove")
			}
			p := deps(x).Editor
			if p == nil {
				return engine.Skip("no program editor: remove %s from index.ts by hand when ready", old)
			}
			groups, _, err := p.ParameterGroups()
			if err != nil {
				return fmt.Errorf("read the program's parameter groups: %w", err)
			}
			res := ""
			for _, g := range groups {
				if g.Name == old {
					res = g.Resource
				}
			}
			if res == "" {
				return engine.Skip("the program does not declare %s", old)
			}
			diff, err := p.ProposeRemoveParameterGroup(res)
			if err != nil {
				return fmt.Errorf("prepare the removal of %s: %w", old, err)
			}
			ok, err := x.Confirm("remove", "Remove the old parameter group "+old+" from the program?",
				"The upgrade is verified and nothing uses "+old+" any more. The change is committed now and "+
					"deployed later with `datalayer deploy`.\n\n```diff\n"+diff+"```", false)
			if err != nil {
				return err
			}
			if !ok {
				return engine.Skip("kept %s in the program; remove it later", old)
			}
			if err := p.WriteProposed(); err != nil {
				return fmt.Errorf("write the program change: %w", err)
			}
			c, err := p.Commit(x.Ctx(), "chore(data): remove the "+x.Get("param-family")+" parameter group "+pulumiclient.SkipPizza)
			if err != nil {
				return fmt.Errorf("commit the program change: %w", err)
			}
			x.Say("removed %s from the program%s; deploy it later with `datalayer deploy --stack %s`", old, commitText(c), x.Options().Stack)
			return nil
		},
	}
}

func commitText(c string) string {
	if c == "" {
		return " (not a git repository: commit it by hand)"
	}
	return " (commit " + c + ")"
}
