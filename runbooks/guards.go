package runbooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// The versions an `up` is checked against.
const (
	versionOfInstance = "instance" // what AWS runs now (deploy, upgrade)
	versionOfSnapshot = "snapshot" // what the restored instance will run (Pulumi restore)
)

// engineVersionStep stops any `up` that would ask AWS for a downgrade. AWS
// applies minor versions on its own, so the program's engineVersion can be
// below what runs (16.11 in code, 16.13 in AWS): an update then sends the
// older version, and AWS refuses it. In a Pulumi restore the refusal comes
// after the new instance exists (the provider's follow-up modify sets the
// program's version on it), leaving the replacement half done. The fix is
// to bump the program to what AWS runs: shown as a diff, written and
// committed on confirmation; declined, the run stops with the fix.
func engineVersionStep(id string, conds []engine.Cond, against string) *engine.Step {
	what, console := "the version AWS runs", ""
	if against == versionOfSnapshot {
		what = "the version of the snapshot being restored"
		console = "In a console restore the restored instance runs the snapshot's version (a restore cannot " +
			"choose another) and the stack follows it after the swap: a program below it asks for a downgrade at " +
			"the next deploy, and the preview that proves the state repair proposes it. "
	}
	return &engine.Step{
		ID: id, Title: "Keep engineVersion at or above " + what, Kind: engine.KindCheck, Phase: PhasePlan, If: conds,
		Needs: []string{"instance"},
		Commands: []string{
			"grep -n engineVersion index.ts",
			"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].EngineVersion'",
			"aws rds describe-db-snapshots --db-snapshot-identifier {snapshot} --query 'DBSnapshots[0].EngineVersion'   # restore",
		},
		Explanation: "AWS applies minor versions on its own between deployments, so `engineVersion` in the program " +
			"can be below what really runs (the team once had 12.17 in code and 12.19 in AWS). Any `pulumi up` " +
			"sends the program's version, and AWS refuses to go back to an older one: a deploy or upgrade fails, " +
			"and in a Pulumi restore the refusal comes after the new instance exists, half-way through the " +
			"replacement. " + console + "Before any `up` the program is compared with " + what + ", and a version " +
			"below it is raised to it (the diff is shown first).",
		Do: func(x *engine.Exec) error {
			if firstDeploy(x) {
				return engine.Skip("first deploy: no instance runs yet, AWS creates the program's engineVersion")
			}
			running, source, err := engineVersionToKeep(x, against)
			if err != nil {
				return err
			}
			p := deps(x).Editor
			var program string
			if p != nil {
				ps, err := p.Settings()
				if err != nil {
					return fmt.Errorf("read the program's engineVersion: %w", err)
				}
				program = ps.EngineVersion
			} else {
				program = x.Get("code-version")
			}
			switch {
			case running == "":
				return engine.Skip("AWS does not say which version %s runs", source)
			case program == "":
				x.Say("the program pins no engineVersion; %s runs %s", source, running)
				return nil
			case !olderVersion(program, running):
				x.Say("engineVersion %s in the program is not below %s, which %s runs: `up` asks for no downgrade", program, running, source)
				return nil
			}
			x.Warn("engineVersion %s in the program is below %s, which %s runs: `pulumi up` would ask AWS for a downgrade, which AWS refuses%s",
				program, running, source, halfWay(x, against))
			fix := fmt.Sprintf("set engineVersion to %q in the program in %s (AWS applied the newer version on its own), commit it, then `datalayer resume`", running, deps(x).Data.ProgramDir())
			if p == nil {
				_, err := x.Manual("bump", "Set engineVersion to "+running+" in index.ts and commit", "No program editor is configured: "+fix+".")
				return err
			}
			diff, err := p.Propose(pulumiclient.SetEngineVersion(running))
			if err != nil {
				return fmt.Errorf("prepare the engineVersion change: %w", err)
			}
			body := fmt.Sprintf("The program says engineVersion %s; %s runs %s. Raise the program to %s (it only records what AWS already did):\n\n```diff\n%s```",
				program, source, running, running, diff)
			ok, err := x.Confirm("bump", "Raise engineVersion from "+program+" to "+running+"?", body, true)
			if err != nil {
				return err
			}
			if !ok {
				// A failure, not a stop: a resume checks the program again.
				return fmt.Errorf("engineVersion %s is below %s, which %s runs, and was kept; nothing was changed. Fix: %s", program, running, source, fix)
			}
			if err := p.WriteProposed(); err != nil {
				return fmt.Errorf("write engineVersion %s: %w", running, err)
			}
			for _, l := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
				x.Say("%s", l)
			}
			c, err := p.Commit(x.Ctx(), "chore(data): engineVersion "+running+", the version AWS runs [skip pizza]")
			if err != nil {
				return fmt.Errorf("commit the engineVersion change: %w", err)
			}
			if c == "" {
				x.Say("engineVersion is now %s; the program directory is not a git repository: commit the change by hand", running)
			} else {
				x.Say("engineVersion is now %s (committed %s)", running, c)
			}
			x.Set("code-version", running)
			return nil
		},
	}
}

func halfWay(x *engine.Exec, against string) string {
	switch {
	case against == versionOfSnapshot && x.Get("method") == "console":
		return " at the next deploy once the restored instance has taken the old one's place"
	case against == versionOfSnapshot:
		return " once the restored instance exists, leaving the replacement half done"
	}
	return ""
}

// engineVersionToKeep is the version `up` must not go below, and what runs it.
func engineVersionToKeep(x *engine.Exec, against string) (version, source string, err error) {
	api := deps(x).AWS
	if against == versionOfSnapshot && x.Get("restore-from") == fromTime {
		// A point-in-time restore runs the source's version (the retained
		// backups' for a deleted instance).
		if x.Get("exists") == "no" {
			return x.Get("backup-engine-version"), "the retained automated backup of " + x.Get("instance"), nil
		}
		in, err := api.Instance(x.Ctx(), x.Get("instance"))
		if err != nil {
			return "", "", fmt.Errorf("read instance %s: %w", x.Get("instance"), err)
		}
		return in.EngineVersion, x.Get("instance") + " (the point-in-time restore's source)", nil
	}
	if against == versionOfSnapshot {
		snap := x.Get("snapshot")
		s, err := api.Snapshot(x.Ctx(), snap)
		if err != nil {
			return "", "", fmt.Errorf("read snapshot %s: %w", snap, err)
		}
		return s.EngineVersion, "snapshot " + snap, nil
	}
	inst := x.Get("instance")
	in, err := api.Instance(x.Ctx(), inst)
	if err != nil {
		return "", "", fmt.Errorf("read instance %s: %w", inst, err)
	}
	return in.EngineVersion, inst, nil
}

// finalSnapshotStep checks, before Pulumi deletes or replaces the instance,
// what that delete will really do. Pulumi deletes the instance in its state
// with the state's inputs (finalSnapshotIdentifier, skipFinalSnapshot),
// never the program's, and AWS refuses the delete while deletionProtection
// is on in AWS. A problem found here would otherwise surface half-way: the
// new instance up, the old one not deleted, the update failed. A final
// snapshot name that is taken (or missing) in a Pulumi restore is fixed
// behind a gate by a separate update that applies a free name to the
// existing instance first; anything else stops with the fix to do by hand.
func finalSnapshotStep(id string, conds []engine.Cond) *engine.Step {
	return &engine.Step{
		ID: id, Title: "Make sure the old instance gets a final snapshot", Kind: engine.KindCheck, Phase: PhasePlan,
		If: conds, Needs: []string{"instance"},
		Commands: []string{
			"pulumi stack export --stack {stack} | jq '.deployment.resources[] | select(.type==\"aws:rds/instance:Instance\") | .outputs | {skipFinalSnapshot, finalSnapshotIdentifier}'",
			"aws rds describe-db-snapshots --db-snapshot-identifier {final-snapshot}   # must say DBSnapshotNotFound",
			"aws rds describe-db-instances --db-instance-identifier {instance} --query 'DBInstances[0].DeletionProtection'",
		},
		Explanation: "Before Pulumi deletes or replaces the instance, three things must hold for the delete: " +
			"`skipFinalSnapshot` is false, `finalSnapshotIdentifier` names a snapshot that does not exist yet, and " +
			"AWS does not protect the instance from deletion. Pulumi deletes with the values in its state, not the " +
			"program's: a name changed only in `index.ts` does not reach the existing instance. A name left from " +
			"an earlier replacement fails the delete half-way with DBSnapshotAlreadyExists, with two instances " +
			"and a failed update left behind. In a restore the fix is a separate update, first, that gives the " +
			"existing instance a free name (nothing changes in AWS); the program keeps that name.",
		Do: func(x *engine.Exec) error {
			d := deps(x)
			if firstDeploy(x) {
				return engine.Skip("first deploy: there is no old instance to delete")
			}
			if facts, ok := x.Issued(finalSnapshotUpKey(x)); ok {
				// An earlier session started the separate update: finish it
				// with the name it chose.
				var f struct {
					Name string `json:"final-snapshot"`
				}
				if err := json.Unmarshal([]byte(facts), &f); err == nil && f.Name != "" {
					return applyFinalSnapshotFirst(x, pulumiclient.Guards{}, f.Name, true)
				}
			}
			exp, err := d.Data.Export(x.Ctx())
			if err != nil {
				return fmt.Errorf("read the stack export: %w", err)
			}
			var prog *pulumiclient.ProgramSettings
			if d.Editor != nil {
				if ps, err := d.Editor.Settings(); err == nil {
					prog = &ps
				}
			}
			g := pulumiclient.ReadGuards(prog, &exp)
			inst := x.Get("instance")
			if live, err := d.AWS.Instance(x.Ctx(), inst); err == nil && live.DeletionProtection && !g.DeletionProtection {
				g.DeletionProtection = true
				x.Warn("AWS protects %s from deletion although Pulumi's state says it does not (drift): the delete would be refused", inst)
			}
			name := g.FinalSnapshotIdentifier
			exists, err := snapshotExists(x, name)
			if err != nil {
				return err
			}
			problems := g.Problems(exists)
			if len(problems) == 0 {
				x.Say("the delete of %s will take final snapshot %q (from Pulumi's state; skipFinalSnapshot is false), a name that is free in AWS", inst, name)
				warnNextFinalSnapshot(x, g)
				x.Set("final-snapshot", name)
				return nil
			}
			for _, pr := range problems {
				x.Warn("%s", pr)
			}
			if !nameFixable(x, g) {
				return fmt.Errorf("%s. Nothing was changed. %s", strings.Join(problems, "; "), finalSnapshotByHand(x, g, exists))
			}
			newName, err := freeFinalSnapshotName(x, g)
			if err != nil {
				return err
			}
			return applyFinalSnapshotFirst(x, g, newName, false)
		},
	}
}

// snapshotExists asks AWS whether a snapshot of that name exists.
func snapshotExists(x *engine.Exec, name string) (bool, error) {
	if name == "" {
		return false, nil
	}
	s, err := deps(x).AWS.Snapshot(x.Ctx(), name)
	switch {
	case err == nil:
		x.Warn("snapshot %q already exists (taken %s)", name, s.Created.UTC().Format(time.RFC3339))
		return true, nil
	case IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("check whether snapshot %q exists: %w", name, err)
}

// warnNextFinalSnapshot says when the replacement will be given a final
// snapshot name that is taken already: its own delete, at the next
// replacement, would fail the same way.
func warnNextFinalSnapshot(x *engine.Exec, g pulumiclient.Guards) {
	next := g.Next.FinalSnapshotIdentifier
	if next == "" || next == g.FinalSnapshotIdentifier {
		return
	}
	if s, err := deps(x).AWS.Snapshot(x.Ctx(), next); err == nil {
		x.Warn("the program gives the new instance final snapshot name %q, which exists already (taken %s): its own delete, at the next replacement, would fail; this run's guard will catch it then", next, s.Created.UTC().Format(time.RFC3339))
	}
}

// nameFixable reports whether the only problem is the final snapshot's
// name, in a Pulumi restore whose program the run edits: then a separate
// update can apply a free name to the existing instance first.
func nameFixable(x *engine.Exec, g pulumiclient.Guards) bool {
	p := deps(x).Editor
	if p == nil || g.DeletionProtection || g.SkipFinalSnapshot || x.Get("snapshot") == "" {
		return false
	}
	ps, err := p.Settings()
	return err == nil && ps.SnapshotIdentifier == x.Get("snapshot")
}

// freeFinalSnapshotName picks the name the separate update applies: the
// program's own, when it differs from the state's and is free (someone
// changed it by hand), else the state's name with the date and time.
func freeFinalSnapshotName(x *engine.Exec, g pulumiclient.Guards) (string, error) {
	if n := g.Next.FinalSnapshotIdentifier; n != "" && n != g.FinalSnapshotIdentifier {
		taken, err := snapshotExists(x, n)
		if err != nil {
			return "", err
		}
		if !taken {
			return n, nil
		}
	}
	base := orDefault(g.FinalSnapshotIdentifier, orDefault(g.Next.FinalSnapshotIdentifier, "final-before-deletion"))
	stamp := base + "-" + x.Clock().Now().UTC().Format("20060102-1504")
	for i := 1; i < 10; i++ {
		name := stamp
		if i > 1 {
			name = fmt.Sprintf("%s-%d", stamp, i)
		}
		taken, err := snapshotExists(x, name)
		if err != nil {
			return "", err
		}
		if !taken {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free final snapshot name found near %q: choose one, set finalSnapshotIdentifier in the program, and `datalayer resume`", stamp)
}

// finalSnapshotByHand is the fix to do by hand when the run cannot apply
// one itself, in words that can be followed where they are printed.
func finalSnapshotByHand(x *engine.Exec, g pulumiclient.Guards, exists bool) string {
	stack, inst := x.Options().Stack, x.Get("instance")
	if x.Options().Rehearsal {
		return "In this rehearsal the fix cannot be made from outside: start a new rehearsal (`datalayer rehearse " + x.Options().Runbook + "`)."
	}
	var fixes []string
	if g.DeletionProtection {
		fixes = append(fixes, fmt.Sprintf("turn deletion protection off on %s (`aws rds modify-db-instance --db-instance-identifier %s --no-deletion-protection --apply-immediately`) and set deletionProtection: false in the program", inst, inst))
	}
	if g.SkipFinalSnapshot || g.FinalSnapshotIdentifier == "" || exists {
		fixes = append(fixes, "give the existing instance a final snapshot it can take, with an update of its own before the replacement: in index.ts leave out what forces the replacement, set skipFinalSnapshot: false and a finalSnapshotIdentifier that does not exist in AWS, run `datalayer deploy --stack "+stack+"` (AWS is not changed by it), then put the change back")
	}
	if exists {
		fixes = append(fixes, fmt.Sprintf("or move the old snapshot aside: `aws rds copy-db-snapshot --source-db-snapshot-identifier %s --target-db-snapshot-identifier %s-kept`, `aws rds wait db-snapshot-available --db-snapshot-identifier %s-kept`, `aws rds delete-db-snapshot --db-snapshot-identifier %s`",
			g.FinalSnapshotIdentifier, g.FinalSnapshotIdentifier, g.FinalSnapshotIdentifier, g.FinalSnapshotIdentifier))
	}
	return "Fix: " + strings.Join(fixes, "; ") + "; then `datalayer resume` checks again."
}

// applyFinalSnapshotFirst gives the existing instance the final snapshot
// name newName before the replacement, behind a gate: the program without
// its snapshotIdentifier and with the new name must preview as an update of
// finalSnapshotIdentifier alone; `up` records it in the state (AWS is not
// called: the name only matters when the instance is deleted); then the
// snapshotIdentifier goes back and the program keeps the new name.
func applyFinalSnapshotFirst(x *engine.Exec, g pulumiclient.Guards, newName string, resumed bool) error {
	d, p := deps(x), deps(x).Editor
	inst, snap := x.Get("instance"), x.Get("snapshot")
	key := finalSnapshotUpKey(x)
	exp, err := d.Data.Export(x.Ctx())
	if err != nil {
		return fmt.Errorf("read the stack export: %w", err)
	}
	if exp.FinalSnapshotIdentifier != newName {
		if resumed {
			x.Say("the earlier session's separate update did not reach Pulumi's state: running it again")
		} else if err := finalSnapshotGate(x, g, newName); err != nil {
			return err
		}
		if _, err := p.Propose(pulumiclient.ProgramEdit{SnapshotIdentifier: ptrTo(""), FinalSnapshotIdentifier: &newName}); err != nil {
			return fmt.Errorf("prepare the separate update: %w", err)
		}
		if err := p.WriteProposed(); err != nil {
			return fmt.Errorf("write the separate update: %w", err)
		}
		ch, wait := progress(x, nil)
		plan, err := d.Data.Preview(x.Ctx(), ch)
		close(ch)
		wait()
		if err != nil {
			return restoreSnapshotIdentifier(x, snap, newName, fmt.Errorf("pulumi preview of the separate update: %w", err))
		}
		if !onlyFinalSnapshotUpdate(plan, engineVersionIsAWS(x)) {
			return restoreSnapshotIdentifier(x, snap, newName, fmt.Errorf("the separate update would do more than record finalSnapshotIdentifier %s:\n%snothing was applied", newName, planText(plan)))
		}
		if err := x.Issue(key, map[string]any{"final-snapshot": newName, "program": d.Data.ProgramDir()}); err != nil {
			return restoreSnapshotIdentifier(x, snap, newName, err)
		}
		ch, wait = progress(x, nil)
		_, err = d.Data.Up(x.Ctx(), ch)
		close(ch)
		wait()
		if err != nil {
			return restoreSnapshotIdentifier(x, snap, newName, fmt.Errorf("pulumi up of the separate update: %w", err))
		}
	}
	exp, err = d.Data.Export(x.Ctx())
	if err != nil {
		return fmt.Errorf("read the stack export after the separate update: %w", err)
	}
	if exp.FinalSnapshotIdentifier != newName {
		return restoreSnapshotIdentifier(x, snap, newName, fmt.Errorf("after the separate update Pulumi's state still gives %s the final snapshot name %q, not %q: `datalayer resume` tries again", inst, exp.FinalSnapshotIdentifier, newName))
	}
	x.Say("Pulumi's state now gives %s the final snapshot name %s, which is free in AWS", inst, newName)
	if err := restoreSnapshotIdentifier(x, snap, newName, nil); err != nil {
		return err
	}
	c, err := p.Commit(x.Ctx(), "fix(data): finalSnapshotIdentifier "+newName+", the old name is taken in AWS [skip pizza]")
	if err != nil {
		return fmt.Errorf("commit the program change: %w", err)
	}
	if c != "" {
		x.Say("committed %s", c)
	}
	x.Set("final-snapshot", newName)
	return nil
}

func finalSnapshotUpKey(x *engine.Exec) string { return upKey(nil, x.StepID()) + ":final-snapshot" }

// finalSnapshotGate asks before the separate update, showing the program's
// net change.
func finalSnapshotGate(x *engine.Exec, g pulumiclient.Guards, newName string) error {
	p, inst := deps(x).Editor, x.Get("instance")
	net, err := p.Propose(pulumiclient.ProgramEdit{FinalSnapshotIdentifier: &newName})
	if err != nil {
		return fmt.Errorf("prepare the finalSnapshotIdentifier change: %w", err)
	}
	body := fmt.Sprintf("The delete of **%s** at the end of the restore would take final snapshot **%s** (the name in Pulumi's state), which is not free. "+
		"Before the replacement, a separate `pulumi up` on stack **%s** gives the existing instance the free name **%s**: the program is first "+
		"previewed without its snapshotIdentifier (it must show an update of finalSnapshotIdentifier alone; AWS is not changed), updated, "+
		"then snapshotIdentifier goes back. The program keeps the new name:\n\n```diff\n%s```",
		inst, orDefault(g.FinalSnapshotIdentifier, "(none)"), x.Options().Stack, newName, net)
	expect := x.GateExpect(inst)
	return x.Gate("rename-final", "Give "+inst+" the final snapshot name "+newName+" first? Type "+expect+" to go on", body, expect)
}

// restoreSnapshotIdentifier puts the restore's snapshotIdentifier back in
// the program (keeping the new final snapshot name) and returns cause.
func restoreSnapshotIdentifier(x *engine.Exec, snap, finalName string, cause error) error {
	p := deps(x).Editor
	if _, err := p.Propose(pulumiclient.ProgramEdit{SnapshotIdentifier: &snap, FinalSnapshotIdentifier: &finalName}); err != nil {
		return errors.Join(cause, fmt.Errorf("put snapshotIdentifier %q back in the program: %w (add it by hand before `datalayer resume`)", snap, err))
	}
	if err := p.WriteProposed(); err != nil {
		return errors.Join(cause, fmt.Errorf("put snapshotIdentifier %q back in the program: %w (add it by hand before `datalayer resume`)", snap, err))
	}
	return cause
}

// engineVersionIsAWS reports whether the program's engineVersion is the one
// AWS runs: an update that records it asks AWS for nothing new.
func engineVersionIsAWS(x *engine.Exec) bool {
	p := deps(x).Editor
	if p == nil {
		return false
	}
	ps, err := p.Settings()
	if err != nil || ps.EngineVersion == "" {
		return false
	}
	in, err := deps(x).AWS.Instance(x.Ctx(), x.Get("instance"))
	return err == nil && in.EngineVersion == ps.EngineVersion
}

// onlyFinalSnapshotUpdate reports whether a plan only records a new
// finalSnapshotIdentifier on the instance (and, when sameVersion says the
// program's engineVersion is what AWS runs already, that version).
func onlyFinalSnapshotUpdate(p pulumiclient.Plan, sameVersion bool) bool {
	updated := false
	for _, s := range p.Steps {
		switch {
		case s.Op == pulumiclient.OpSame || s.Op == pulumiclient.OpRead || s.Op == pulumiclient.OpRefresh || s.Op == "":
		case s.Type == pulumiclient.InstanceType && s.Op == pulumiclient.OpUpdate:
			for _, k := range s.Diffs {
				if k != "finalSnapshotIdentifier" && !(k == "engineVersion" && sameVersion) {
					return false
				}
			}
			updated = true
		default:
			return false
		}
	}
	return updated
}

func ptrTo[T any](v T) *T { return &v }
