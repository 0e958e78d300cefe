package runbooks

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// restorePlanExtras lists the changes a Pulumi restore's replacement makes to
// the instance beyond taking the snapshot. None are allowed, except an
// engineVersion that only follows the snapshot's own version (patch-program
// raises an older program to it, so the restored instance is not asked to
// go back) and finalSnapshotIdentifier, which only names the snapshot taken
// when an instance is deleted.
func restorePlanExtras(p pulumiclient.Plan, programVersion, snapshotVersion string) []string {
	return restorePlanExtrasFor(p, "snapshotIdentifier", programVersion, snapshotVersion)
}

// restorePlanExtrasFor is restorePlanExtras for a restore whose own key is
// key (snapshotIdentifier, or restoreToPointInTime).
func restorePlanExtrasFor(p pulumiclient.Plan, key, programVersion, snapshotVersion string) []string {
	var extra []string
	seen := map[string]bool{}
	for _, s := range p.InstanceSteps() {
		if s.Op != pulumiclient.OpCreateReplacement && s.Op != pulumiclient.OpReplace {
			continue
		}
		for _, d := range s.Diffs {
			switch {
			case d == key:
			case d == "finalSnapshotIdentifier":
				// Pulumi's own setting, read only when an instance is
				// deleted: it changes nothing in the restored instance,
				// and the final-snapshot guard makes the old instance's
				// delete use the new name (issue 13 item 2).
			case d == "engineVersion" && programVersion != "" && programVersion == snapshotVersion:
			default:
				if !seen[d] {
					seen[d] = true
					extra = append(extra, d)
				}
			}
		}
	}
	sort.Strings(extra)
	return extra
}

// checkRestorePlan stops a Pulumi restore whose preview does more than the
// replacement: other resources (pulumiclient.CheckRestorePlan) or other
// changes riding on the replacement, which the new instance would get.
func checkRestorePlan(x *engine.Exec, p pulumiclient.Plan) error {
	if x.Get("exists") == "no" {
		return checkRestoreCreatePlan(x, p)
	}
	if err := pulumiclient.CheckRestorePlan(p); err != nil {
		return err
	}
	progVersion, snapVersion := "", ""
	if prog := deps(x).Editor; prog != nil {
		if set, err := prog.Settings(); err == nil {
			progVersion = set.EngineVersion
		}
	}
	key := "snapshotIdentifier"
	if x.Get("restore-from") == fromTime {
		key = "restoreToPointInTime"
		if v, _, err := engineVersionToKeep(x, versionOfSnapshot); err == nil {
			snapVersion = v
		}
	} else if sn, err := deps(x).AWS.Snapshot(x.Ctx(), x.Get("snapshot")); err == nil {
		snapVersion = sn.EngineVersion
	}
	if extra := restorePlanExtrasFor(p, key, progVersion, snapVersion); len(extra) > 0 {
		return fmt.Errorf("the replacement also changes %s: the restored instance would not be the restore point's as it was. Nothing was changed: "+
			"undo those changes in the program (only %s is the restore's), then `datalayer resume`", strings.Join(extra, ", "), key)
	}
	if !replacesFor(p, key) {
		return fmt.Errorf("the preview replaces the instance, but not because of %s: stop and review the program and state before going on", key)
	}
	x.Say("the plan is exactly: create-replacement, replace, delete-replaced of %s, for %s", pulumiclient.InstanceType, key)
	return nil
}

// destructiveSteps lists a plan's replacements and deletes, one line per
// resource.
func destructiveSteps(p pulumiclient.Plan) []string {
	var out []string
	keys := map[string][]string{}
	var order []string
	for _, s := range p.Steps {
		var verb string
		switch s.Op {
		case pulumiclient.OpReplace, pulumiclient.OpCreateReplacement, pulumiclient.OpDeleteReplaced:
			verb = "REPLACES"
		case pulumiclient.OpDelete:
			verb = "DELETES"
		default:
			continue
		}
		k := verb + " " + s.Type + " " + s.Name
		if _, ok := keys[k]; !ok {
			order = append(order, k)
			keys[k] = nil
		}
		for _, key := range s.Keys {
			if !slices.Contains(keys[k], key) {
				keys[k] = append(keys[k], key)
			}
		}
	}
	for _, k := range order {
		if len(keys[k]) > 0 {
			k += " (because of " + strings.Join(keys[k], ", ") + ")"
		}
		out = append(out, k)
	}
	return out
}

// warnDestructive names a deploy's replacements and deletes loudly: a
// replaced RDS instance is a new, empty-named instance and the old one
// deleted after its final snapshot.
func warnDestructive(x *engine.Exec, p pulumiclient.Plan) error {
	d := destructiveSteps(p)
	for _, l := range d {
		x.Warn("this plan %s", l)
	}
	if len(d) > 0 {
		x.Set("destructive", strings.Join(d, "; "))
		if replacesInstance(p) {
			x.Warn("replacing the RDS instance means a NEW instance with a new name (the application's db-host must follow) and the current one DELETED after its final snapshot; a restore is the restore runbook's job, not a deploy's")
		}
	} else {
		x.Set("destructive", "")
	}
	return nil
}

// replacesFor reports whether the plan's replacement names key among its
// reasons (or names none, as older engines report).
func replacesFor(p pulumiclient.Plan, key string) bool {
	for _, s := range p.InstanceSteps() {
		if s.Op != pulumiclient.OpReplace && s.Op != pulumiclient.OpCreateReplacement {
			continue
		}
		if len(s.Keys) == 0 && len(s.Diffs) == 0 {
			return true
		}
		for _, k := range append(append([]string(nil), s.Keys...), s.Diffs...) {
			if k == key {
				return true
			}
		}
	}
	return false
}

// checkRestoreCreatePlan is checkRestorePlan for an instance that was
// deleted: the refresh dropped it from Pulumi's state, so the restore is a
// create, not a replacement. The preview must create exactly the instance,
// restoring what the wizard chose (restoreToPointInTime from the retained
// automated backups by resource id, or snapshotIdentifier), and change
// nothing else.
func checkRestoreCreatePlan(x *engine.Exec, p pulumiclient.Plan) error {
	create, err := pulumiclient.CheckRestoreCreatePlan(p)
	if err != nil {
		return err
	}
	pt, snap := pulumiclient.RestoreInputs(create.Inputs)
	var key, want, got string
	if x.Get("restore-from") == fromTime {
		key, want = "restoreToPointInTime", pointInTime(x).String()
		if pt != nil {
			got = pt.String()
		}
		if snap != "" {
			got += " and snapshotIdentifier " + snap
		}
	} else {
		key, want, got = "snapshotIdentifier", x.Get("snapshot"), snap
		if pt != nil {
			got += " and restoreToPointInTime " + pt.String()
		}
	}
	if got != want {
		if got == "" {
			got = "nothing (a new, empty database)"
		}
		return fmt.Errorf("the preview creates %s from %s, not from %s as chosen (%s): the instance is gone, so the create must restore it. Nothing was changed: "+
			"set %s in the program (patch-program), then `datalayer resume`", pulumiclient.InstanceType, got, want, key, key)
	}
	x.Say("the plan is exactly: create of %s, restoring %s (%s); %s is gone, so nothing is deleted", pulumiclient.InstanceType, key, want, x.Get("instance"))
	return nil
}
