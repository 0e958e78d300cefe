package runbooks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// trackedInstance finds the AWS instance the stack's state tracks: by its
// resource id (db-…) when the provider tracks it so (@pulumi/aws 6 and
// later: a rename does not move it), else by identifier. found is false
// when AWS has no such instance.
func trackedInstance(x *engine.Exec, exp pulumiclient.ExportedInstance) (in awsclient.Instance, found bool, err error) {
	api := deps(x).AWS
	if strings.HasPrefix(exp.ID, "db-") {
		all, err := api.Instances(x.Ctx())
		if err != nil {
			return in, false, fmt.Errorf("list instances: %w", err)
		}
		for _, i := range all {
			if i.ResourceID == exp.ID {
				return i, true, nil
			}
		}
		return in, false, nil
	}
	if exp.Identifier == "" {
		return in, false, nil
	}
	in, err = api.Instance(x.Ctx(), exp.Identifier)
	switch {
	case err == nil:
		return in, true, nil
	case IsNotFound(err):
		return in, false, nil
	}
	return in, false, fmt.Errorf("look up %s: %w", exp.Identifier, err)
}

// hostInstance is the instance a db-host names: its first label.
func hostInstance(host string) string {
	if i := strings.Index(host, "."); i > 0 {
		return host[:i]
	}
	return host
}

// checkStateMatchesApp stops a run whose stack state tracks another
// instance than the one the application's db-host points at (after a
// console restore, the state follows the renamed original): any update
// would act on the wrong instance. It offers to repair the state (behind a
// gate) or stops; nothing is changed before the answer. host is the
// application's db-host ("" when unknown: nothing to compare). repaired
// says the state was changed.
func checkStateMatchesApp(x *engine.Exec, exp pulumiclient.ExportedInstance, host string) (repaired bool, err error) {
	if host == "" {
		return false, nil
	}
	tracked, found, err := trackedInstance(x, exp)
	if err != nil {
		return false, err
	}
	want := hostInstance(host)
	if !found || tracked.ID == want {
		return false, nil
	}
	app, err := deps(x).AWS.Instance(x.Ctx(), want)
	if err != nil {
		return false, fmt.Errorf("the stack's state tracks %s (resource id %s), but the application's db-host points at %s, which AWS does not show (%v). "+
			"Nothing was changed. Find out which instance the application really uses before any update", tracked.ID, tracked.ResourceID, want, err)
	}
	why := fmt.Sprintf("Pulumi's state tracks **%s** (resource id %s), but the application's db-host points at **%s** (resource id %s). "+
		"An update now would act on the instance the application does not use. This happens after a console-style restore: "+
		"the rename swap moves names, and the state keeps following the original's resource id.", tracked.ID, tracked.ResourceID, app.ID, app.ResourceID)
	x.Warn("%s", strings.ReplaceAll(why, "**", ""))
	v, err := x.Choose("state-mismatch", "The stack's state and the application disagree", why, "", []engine.Option{
		{Value: "stop", Label: "Stop here, change nothing", Recommended: true, Reason: "find out first why they disagree"},
		{Value: "repair", Label: "Point the state at " + app.ID + " (behind a typed confirmation), then go on",
			Reason: "when the application's instance is the right one, e.g. after a console restore"},
	})
	if err != nil {
		return false, err
	}
	if v != "repair" {
		return false, fmt.Errorf("stopped before changing anything: Pulumi's state tracks %s but the application uses %s. "+
			"When %s is the right instance, run this again and choose to repair the state (or `datalayer resume %s`)", tracked.ID, app.ID, app.ID, x.Options().RunID)
	}
	return true, repairState(x, app, tracked)
}

// repairState points the state's RDS instance at target (from tracked),
// behind a gate, then refreshes and proves with a preview that the program
// and the repaired state agree: no change proposed.
func repairState(x *engine.Exec, target, tracked awsclient.Instance) error {
	data := deps(x).Data
	body := fmt.Sprintf("The stack's state is edited (as `pulumi stack export`, an edit and `pulumi stack import` would): its "+
		"`%s` stops tracking **%s** (resource id %s) and tracks **%s** (resource id %s). Nothing changes in AWS: "+
		"%s stays as it is, outside Pulumi. Then a refresh reads the instance, and a preview must propose no change.",
		pulumiclient.InstanceType, tracked.ID, tracked.ResourceID, target.ID, target.ResourceID, tracked.ID)
	if err := x.Gate("repair", "Point Pulumi's state at "+target.ID+"? Type "+x.GateExpect(target.ID)+" to go on", body, x.GateExpect(target.ID)); err != nil {
		return err
	}
	// The edit is a write: recorded before it is made (a resumed run finds
	// the state already retargeted and goes on).
	if err := x.Issue("state-retarget:"+target.ResourceID, map[string]string{"from": tracked.ResourceID, "to": target.ResourceID, "instance": target.ID}); err != nil {
		return err
	}
	err := data.EditState(x.Ctx(), func(s *pulumiclient.State) error {
		r, err := s.LiveInstance()
		if err != nil {
			return err
		}
		if r.ID == target.ResourceID {
			return errAlreadyRetargeted
		}
		retarget(r, target)
		return nil
	})
	switch {
	case errors.Is(err, errAlreadyRetargeted):
		x.Say("the state already tracks %s (%s)", target.ID, target.ResourceID)
	case err != nil:
		return fmt.Errorf("repair the state: %w", err)
	default:
		x.Say("the state now tracks %s (resource id %s)", target.ID, target.ResourceID)
	}
	if err := x.Issue("pulumi-refresh:"+x.StepID(), map[string]any{"program": data.ProgramDir()}); err != nil {
		return err
	}
	ch, wait := progress(x, nil)
	_, err = data.Refresh(x.Ctx(), false, ch)
	close(ch)
	wait()
	if err != nil {
		return fmt.Errorf("refresh after the repair: %w", err)
	}
	plan, err := preview(x, "after the state repair")
	if err != nil {
		return err
	}
	if !hasChanges(plan) {
		x.Say("the preview after the state repair proposes no change: Pulumi's state and the program agree with AWS")
		return nil
	}
	// AWS applies minor versions on its own: a program that pins an older
	// one asks for a downgrade, repair or no repair. That drift is not the
	// repair's; bringing the program to what AWS runs lets the preview
	// prove the rest.
	if onlyEngineVersion(plan) {
		if err := followAWSVersion(x, target); err != nil {
			return err
		}
		if plan, err = preview(x, "after the state repair"); err != nil {
			return err
		}
	}
	if hasChanges(plan) {
		return fmt.Errorf("the preview after the state repair still proposes changes:\n%s\nThe state now tracks %s, but the program and AWS differ: review the plan before any update",
			planText(plan), target.ID)
	}
	x.Say("the preview after the state repair proposes no change: Pulumi's state and the program agree with AWS")
	return nil
}

// onlyEngineVersion reports whether a plan's only change is an update of the
// instance's engineVersion.
func onlyEngineVersion(p pulumiclient.Plan) bool {
	found := false
	for _, s := range p.Steps {
		switch {
		case s.Op == pulumiclient.OpSame || s.Op == "":
		case s.Type == pulumiclient.InstanceType && s.Op == pulumiclient.OpUpdate && len(s.Diffs) == 1 && s.Diffs[0] == "engineVersion":
			found = true
		default:
			return false
		}
	}
	return found
}

// followAWSVersion offers to set the program's engineVersion to what the
// instance runs, when the program asks for an older version (AWS applied
// minor versions on its own); the change is shown and committed.
func followAWSVersion(x *engine.Exec, in awsclient.Instance) error {
	prog := deps(x).Editor
	if prog == nil {
		return nil
	}
	set, err := prog.Settings()
	if err != nil || set.EngineVersion == "" || !olderVersion(set.EngineVersion, in.EngineVersion) {
		return nil
	}
	ok, err := x.Confirm("follow-aws-version", fmt.Sprintf("Set engineVersion in the program to %s?", in.EngineVersion),
		fmt.Sprintf("The program asks for postgres %s but %s runs %s: AWS applied minor versions on its own, and any update "+
			"would ask AWS to go back to %s, which it refuses. Setting the program to what AWS runs changes nothing in AWS.",
			set.EngineVersion, in.ID, in.EngineVersion, set.EngineVersion), true)
	if err != nil || !ok {
		return err
	}
	diff, err := prog.SetEngineVersion(in.EngineVersion)
	if err != nil {
		return fmt.Errorf("set engineVersion %s: %w", in.EngineVersion, err)
	}
	for _, l := range strings.Split(strings.TrimRight(diff, "\n"), "\n") {
		x.Say("%s", l)
	}
	c, err := prog.Commit(x.Ctx(), "chore(data): engineVersion follows what AWS runs ("+in.EngineVersion+") [skip pizza]")
	switch {
	case err != nil:
		return fmt.Errorf("commit the program change: %w", err)
	case c == "":
		x.Say("the program directory is not a git repository: commit the change by hand")
	default:
		x.Say("committed %s", c)
	}
	return nil
}

var errAlreadyRetargeted = errors.New("already retargeted")

// retarget makes a state resource describe target: its id (the resource
// id, which newer providers read by) and the outputs that name it. The
// refresh that follows reads every other output from AWS.
func retarget(r *pulumiclient.StateResource, target awsclient.Instance) {
	r.ID = target.ResourceID
	if r.Outputs == nil {
		r.Outputs = map[string]any{}
	}
	set := func(k string, v any) {
		if v != "" {
			r.Outputs[k] = v
		}
	}
	set("identifier", target.ID)
	set("resourceId", target.ResourceID)
	set("arn", target.ARN)
	set("address", target.Address)
	if target.Address != "" && target.Port > 0 {
		r.Outputs["endpoint"] = fmt.Sprintf("%s:%d", target.Address, target.Port)
	}
}

// preview runs a preview of the data stack and shows its plan.
func preview(x *engine.Exec, when string) (pulumiclient.Plan, error) {
	ch, wait := progress(x, nil)
	plan, err := deps(x).Data.Preview(x.Ctx(), ch)
	close(ch)
	wait()
	if err != nil {
		return plan, fmt.Errorf("preview %s: %w", when, err)
	}
	return plan, nil
}
