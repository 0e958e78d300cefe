package runbooks

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// upResume is what a runbook tells resumeUp about the update it runs.
type upResume struct {
	// created finds the instance an interrupted create asked AWS for when
	// the pending create does not name it (a provider that names instances
	// late): known is true when AWS tells for certain, with id "" when it
	// made none. May be nil.
	created func(x *engine.Exec, op pulumiclient.PendingOperation) (id string, known bool, err error)
}

// stateRepair is one change resumeUp makes to the stack's state, with the
// words that describe it at the gate.
type stateRepair struct {
	say  string
	edit func(*pulumiclient.State) error
	// settle is an instance to wait for before the refresh (a restore AWS
	// is still making).
	settle string
}

// resumeUp finishes a stack update that an earlier session started and did
// not see end: it was cut off (the process killed, Ctrl-C) or it failed.
// It never reports done without evidence, and never sends what AWS already
// did a second time:
//
//  1. Pulumi's lock: a live holder (the interrupted `pulumi up` still
//     running) is waited for; one left by a process that is gone is
//     removed, behind the gate.
//  2. Pending operations: AWS says what each did. An interrupted create of
//     an instance that AWS has is recorded as the replacement it was
//     (the instance it replaces pending deletion, as the engine records
//     it); one AWS never saw, and every other pending operation, is
//     dropped: the refresh reads what AWS holds. Behind the gate.
//  3. What AWS is still doing (a restore, a delete) settles.
//  4. A refresh, then a preview: no changes left is the evidence that the
//     update is done; otherwise `up` runs what is missing, and a preview
//     after it must show nothing left.
func resumeUp(x *engine.Exec, stack pulumiclient.Stack, hooks upResume, each func(pulumiclient.Progress)) (pulumiclient.Summary, error) {
	var sum pulumiclient.Summary
	x.Warn("an earlier session started this update and did not see it end: AWS and Pulumi's state say what it did before anything is sent again")
	// The journal names the CLI that update ran in: a killed datalayer
	// leaves it finishing, with or without a lock file to tell.
	if err := waitForRunningUpdate(x, stack, upKey(stack, x.StepID())); err != nil {
		return sum, err
	}
	stale, err := interruptedLock(x, stack)
	if err != nil {
		return sum, err
	}
	st, err := stack.ReadState(x.Ctx())
	if err != nil {
		return sum, fmt.Errorf("read Pulumi's state after the interruption: %w", err)
	}
	repairs, err := planStateRepairs(x, st, hooks)
	if err != nil {
		return sum, err
	}
	if stale != nil || len(repairs) > 0 {
		if err := repairStack(x, stack, stale, repairs); err != nil {
			return sum, err
		}
	}
	if err := settleInstances(x, stack, repairs); err != nil {
		return sum, err
	}
	if err := x.Issue("pulumi-refresh:"+x.StepID(), map[string]any{"program": stack.ProgramDir(), "why": "resume"}); err != nil {
		return sum, err
	}
	ch, wait := progress(x, nil)
	_, err = stack.Refresh(x.Ctx(), false, ch)
	close(ch)
	wait()
	if err != nil {
		return sum, fmt.Errorf("pulumi refresh after the interruption: %w", err)
	}
	plan, err := previewStack(x, stack, "after the interruption")
	if err != nil {
		return sum, err
	}
	if !hasChanges(plan) {
		x.Say("Pulumi's state, refreshed from AWS, matches the program: the interrupted update had done everything")
		return sum, nil
	}
	x.Say("the interrupted update left this to do:")
	for _, l := range strings.Split(strings.TrimRight(planText(plan), "\n"), "\n") {
		x.Say("%s", l)
	}
	if adopted(repairs) && createsInstance(plan) {
		// AWS has the replacement the interrupted update made: another
		// replacement would make a second one.
		return sum, fmt.Errorf("the state of Pulumi now records the instance the interrupted update made, yet the preview still replaces it:\n%s"+
			"running it would make a second instance. Nothing was sent. The program and the recorded inputs differ in something that forces a replacement: compare them (`datalayer report %s` shows the repair) before going on",
			planText(plan), x.Options().RunID)
	}
	key := upKey(stack, x.StepID()) + ":resumed"
	if err := x.Issue(key, map[string]any{"program": stack.ProgramDir(), "at": x.Clock().Now()}); err != nil {
		return sum, err
	}
	sum, err = upOnce(x, stack, each)
	if err != nil {
		return sum, err
	}
	plan, err = previewStack(x, stack, "after finishing the update")
	if err != nil {
		return sum, err
	}
	if hasChanges(plan) {
		return sum, fmt.Errorf("the update was finished but a preview still proposes changes:\n%sreview them before going on (`datalayer resume` checks again)", planText(plan))
	}
	x.Say("a preview after finishing the update proposes no change: the program is applied")
	return sum, nil
}

// previewStack runs a preview of stack and returns its plan.
func previewStack(x *engine.Exec, stack pulumiclient.Stack, when string) (pulumiclient.Plan, error) {
	ch, wait := progress(x, nil)
	plan, err := stack.Preview(x.Ctx(), ch)
	close(ch)
	wait()
	if err != nil {
		return plan, fmt.Errorf("pulumi preview %s: %w", when, err)
	}
	return plan, nil
}

// staleLock is a Pulumi lock whose holder is gone.
type staleLock struct{ holder string }

// interruptedLock looks at Pulumi's lock on the stack after an
// interruption. A holder still running on this machine is the interrupted
// `pulumi up` itself (a killed datalayer leaves its pulumi child running):
// it is waited for. A holder that is gone left a stale lock, returned for
// the gate. A holder that cannot be checked stops the run.
func interruptedLock(x *engine.Exec, stack pulumiclient.Stack) (*staleLock, error) {
	host, _ := os.Hostname()
	const poll = 10 * time.Second
	waited := time.Duration(0)
	for {
		lock, err := stack.Lock(x.Ctx())
		if err != nil {
			return nil, fmt.Errorf("check the stack's lock: %w", err)
		}
		if !lock.Locked {
			return nil, nil
		}
		var running, gone, unknown []string
		for _, l := range lock.Locks {
			holder := orDefault(l.Holder, l.Path)
			switch {
			case l.PID <= 0 || l.Host == "":
				unknown = append(unknown, holder)
			case l.Host != host:
				unknown = append(unknown, holder+" (another machine)")
			case l.Running:
				running = append(running, holder)
			default:
				// Gone: the CLI's process has ended, or the simulated
				// engine's operation is over (a cut-off update of this
				// very process).
				gone = append(gone, holder)
			}
		}
		switch {
		case len(lock.Locks) == 0 || len(unknown) > 0:
			fix := orDefault(lock.Fix, "make sure no update is running, then run `pulumi cancel --stack "+x.Options().Stack+"`")
			if x.Options().Rehearsal {
				fix = "wait for the process holding it to end, or start a new rehearsal with `datalayer rehearse " + x.Options().Runbook + "`"
			}
			return nil, fmt.Errorf("the Pulumi lock on stack %s is held by %s, which cannot be checked from here: another update may be running. Nothing was changed. Fix: %s; then `datalayer resume %s`",
				x.Options().Stack, orDefault(strings.Join(unknown, ", "), "an unnamed holder"), fix, x.Options().RunID)
		case len(running) > 0:
			if waited == 0 || waited%time.Minute == 0 {
				x.Say("the interrupted update is still running (%s): waiting for it to end before looking at what it did", strings.Join(running, ", "))
			}
			if waited >= waitPolicies[waitModify].limit {
				return nil, fmt.Errorf("the interrupted update (%s) still holds the stack's lock after %s: stop it (Ctrl-C in its terminal, or `kill %d`), then `datalayer resume %s`",
					strings.Join(running, ", "), round(waited), lock.Locks[0].PID, x.Options().RunID)
			}
			if err := x.Sleep(poll); err != nil {
				return nil, err
			}
			waited += poll
		default:
			return &staleLock{holder: strings.Join(gone, ", ")}, nil
		}
	}
}

// planStateRepairs decides, from AWS, what to do with each pending
// operation an interrupted update left in the state.
func planStateRepairs(x *engine.Exec, st *pulumiclient.State, hooks upResume) ([]stateRepair, error) {
	api := deps(x).AWS
	var out []stateRepair
	for _, op := range st.PendingOperations {
		op := op
		drop := func(why string) {
			out = append(out, stateRepair{say: why, edit: func(s *pulumiclient.State) error {
				s.DropPending(func(p pulumiclient.PendingOperation) bool { return p.URN == op.URN && p.Type == op.Type })
				return nil
			}})
		}
		if op.Type != "creating" {
			drop(fmt.Sprintf("drop the pending %s of %s: the refresh that follows reads what AWS holds", op.Type, nameOfURN(op.URN)))
			continue
		}
		ident := op.PendingIdentifier()
		known := ident != ""
		if !known && hooks.created != nil {
			var err error
			if ident, known, err = hooks.created(x, op); err != nil {
				return nil, err
			}
			if known && ident == "" {
				drop(fmt.Sprintf("drop the pending create of %s: AWS shows no instance made for it since the update began, so the create never reached AWS", nameOfURN(op.URN)))
				continue
			}
		}
		if !known {
			if !isInstanceURN(op.URN) {
				drop(fmt.Sprintf("drop the pending create of %s: it is not an RDS instance, and the refresh cannot adopt what it may have made", nameOfURN(op.URN)))
				continue
			}
			return nil, fmt.Errorf("the interrupted update was creating %s, and neither Pulumi's state nor AWS says which instance it asked for. Nothing was changed: running the update again could create a second one. "+
				"Look in the console for an instance created since the update began (its events say what it was restored from), then %s",
				nameOfURN(op.URN), adoptAdvice(x))
		}
		in, err := api.Instance(x.Ctx(), ident)
		switch {
		case IsNotFound(err):
			drop(fmt.Sprintf("drop the pending create of %s: AWS has no instance %s, so the create never reached AWS", nameOfURN(op.URN), ident))
			continue
		case err != nil:
			return nil, fmt.Errorf("look up %s, which the interrupted update was creating: %w", ident, err)
		}
		live := liveResource(st, op.URN)
		inputs := op.Inputs
		say := fmt.Sprintf("record %s (%s in AWS, resource id %s) as the instance Pulumi was creating for %s", in.ID, in.Status, in.ResourceID, nameOfURN(op.URN))
		if live != nil {
			final := "no final snapshot (skipFinalSnapshot)"
			if v, _ := live.Outputs["skipFinalSnapshot"].(bool); !v {
				final = fmt.Sprintf("its final snapshot %v", live.Outputs["finalSnapshotIdentifier"])
			}
			old, _ := live.Outputs["identifier"].(string)
			say += fmt.Sprintf(", and %s, which it replaces, as pending deletion: the next update deletes it with %s", orDefault(old, live.ID), final)
		}
		if live == nil {
			// A create, not a replacement: the instance it restores was
			// deleted outside Pulumi and a refresh dropped it.
			say += ": nothing in the state is replaced by it (the instance it restores was deleted outside Pulumi)"
			out = append(out, stateRepair{say: say, settle: in.ID, edit: func(s *pulumiclient.State) error {
				if liveResource(s, op.URN) != nil {
					return fmt.Errorf("the state now has a live %s: look again", nameOfURN(op.URN))
				}
				return s.AdoptCreate(op.URN, in.ResourceID, in.ID, inputs)
			}})
			continue
		}
		out = append(out, stateRepair{say: say, settle: in.ID, edit: func(s *pulumiclient.State) error {
			if liveResource(s, op.URN) == nil {
				return fmt.Errorf("the state has no live %s to replace any more", nameOfURN(op.URN))
			}
			return s.AdoptReplacement(op.URN, in.ResourceID, in.ID, inputs)
		}})
	}
	return out, nil
}

func liveResource(st *pulumiclient.State, urn string) *pulumiclient.StateResource {
	for i := range st.Resources {
		if st.Resources[i].URN == urn && !st.Resources[i].Delete {
			return &st.Resources[i]
		}
	}
	return nil
}

func isInstanceURN(urn string) bool {
	return strings.Contains(urn, "::"+pulumiclient.InstanceType+"::")
}

// nameOfURN is the type and logical name a URN ends with.
func nameOfURN(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) >= 2 {
		return parts[len(parts)-2] + " " + parts[len(parts)-1]
	}
	return urn
}

// adoptAdvice says how to go on when an orphan cannot be identified, in
// words that can be followed where they are printed.
func adoptAdvice(x *engine.Exec) string {
	if x.Options().Rehearsal {
		return "start a new rehearsal (`datalayer rehearse " + x.Options().Runbook + "`): a rehearsal's instances cannot be repaired from outside"
	}
	stack := x.Options().Stack
	return "either delete it (`aws rds delete-db-instance --db-instance-identifier ID --skip-final-snapshot`) and `datalayer resume " + x.Options().RunID +
		"`, or import it in its place (`pulumi refresh --stack " + stack + " --import-pending-creates URN RESOURCE_ID`, the URN from `pulumi stack export --stack " + stack + "`) and `datalayer resume " + x.Options().RunID + "`"
}

// repairStack shows the repairs at a gate, then makes them: the stale lock
// removed (as `pulumi cancel`), the state edited (as export, edit,
// import). Each is recorded as issued first.
func repairStack(x *engine.Exec, stack pulumiclient.Stack, stale *staleLock, repairs []stateRepair) error {
	var b strings.Builder
	b.WriteString("The interrupted update left the stack in a state Pulumi will not go on from by itself. AWS says what it did; this repairs Pulumi's record to match (nothing is sent to AWS):\n\n")
	n := 1
	if stale != nil {
		fmt.Fprintf(&b, "%d. remove the lock the interrupted update left (%s; that process is gone), as `pulumi cancel` does;\n", n, stale.holder)
		n++
	}
	for _, r := range repairs {
		fmt.Fprintf(&b, "%d. %s;\n", n, r.say)
		n++
	}
	b.WriteString("\nThen a refresh reads every resource from AWS, and a preview says what is left to do.")
	expect := x.GateExpect(x.Get("instance"))
	if err := x.Gate("repair-state", "Repair Pulumi's state after the interrupted update? Type "+expect+" to go on", b.String(), expect); err != nil {
		return err
	}
	if stale != nil {
		if err := x.Issue("pulumi-cancel:"+x.StepID(), map[string]string{"holder": stale.holder}); err != nil {
			return err
		}
		if err := stack.Cancel(x.Ctx()); err != nil {
			return fmt.Errorf("remove the stale lock: %w", err)
		}
		x.Say("removed the lock the interrupted update left (%s)", stale.holder)
	}
	if len(repairs) == 0 {
		return nil
	}
	var says []string
	for _, r := range repairs {
		says = append(says, r.say)
	}
	if err := x.Issue("pulumi-state-repair:"+x.StepID(), map[string]any{"repairs": says}); err != nil {
		return err
	}
	err := stack.EditState(x.Ctx(), func(s *pulumiclient.State) error {
		for _, r := range repairs {
			if err := r.edit(s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("repair Pulumi's state: %w; nothing was written: `datalayer resume %s` looks again", err, x.Options().RunID)
	}
	for _, r := range repairs {
		x.Say("repaired: %s", r.say)
	}
	return nil
}

// settleInstances waits for what AWS is still doing with the stack's
// instances before the refresh reads them: an instance being made
// (restored, modified) becomes available, one being deleted goes.
func settleInstances(x *engine.Exec, stack pulumiclient.Stack, repairs []stateRepair) error {
	st, err := stack.ReadState(x.Ctx())
	if err != nil {
		return fmt.Errorf("read Pulumi's state: %w", err)
	}
	api := deps(x).AWS
	for _, r := range st.Resources {
		if r.Type != pulumiclient.InstanceType {
			continue
		}
		ident, _ := r.Outputs["identifier"].(string)
		if ident == "" {
			continue
		}
		in, err := api.Instance(x.Ctx(), ident)
		switch {
		case IsNotFound(err):
			continue // the refresh drops it
		case err != nil:
			return fmt.Errorf("look up %s: %w", ident, err)
		}
		switch {
		case r.Delete && in.Status == "deleting":
			x.Say("%s is being deleted (the interrupted update's delete reached AWS): waiting for it to go", ident)
			if err := waitGone(x, ident); err != nil {
				return err
			}
		case !r.Delete && in.Status != "available":
			x.Say("%s is %s: waiting for AWS to finish with it before reading it", ident, in.Status)
			kind := waitModify
			if settling(repairs, ident) || in.Status == "creating" {
				kind = waitCreate
			}
			if _, err := waitAvailable(x, ident, kind); err != nil {
				return err
			}
		}
	}
	return nil
}

// createsInstance reports whether a plan makes a new RDS instance.
func createsInstance(p pulumiclient.Plan) bool {
	for _, s := range p.Steps {
		if s.Type == pulumiclient.InstanceType && (s.Op == pulumiclient.OpCreate || s.Op == pulumiclient.OpCreateReplacement || s.Op == pulumiclient.OpReplace) {
			return true
		}
	}
	return false
}

// adopted reports whether a repair recorded a replacement AWS has.
func adopted(repairs []stateRepair) bool {
	for _, r := range repairs {
		if r.settle != "" {
			return true
		}
	}
	return false
}

func settling(repairs []stateRepair, id string) bool {
	for _, r := range repairs {
		if r.settle == id {
			return true
		}
	}
	return false
}

// upOnce runs `pulumi up` (already recorded as issued) and explains a
// failure: which operation failed, and that `datalayer resume` finds out
// what it did and finishes it.
func upOnce(x *engine.Exec, stack pulumiclient.Stack, each func(pulumiclient.Progress)) (pulumiclient.Summary, error) {
	var failedOp string
	ch, wait := progress(x, func(p pulumiclient.Progress) {
		if p.Status == pulumiclient.StepFailed && p.Op != "" {
			failedOp = string(p.Op) + " of " + strings.TrimSpace(p.Type+" "+p.Name)
		}
		if each != nil {
			each(p)
		}
	})
	key := upKey(stack, x.StepID()) + ":process"
	ctx := pulumiclient.WithProcessObserver(x.Ctx(), func(ps pulumiclient.ProcessStarted) {
		if slices.Contains(ps.Args, "up") {
			host, _ := os.Hostname()
			// Best effort: resume also finds the pid in the lock file.
			_ = x.Issue(key, map[string]any{"pid": ps.PID, "host": host, "at": ps.Started})
		}
	})
	sum, err := stack.Up(ctx, ch)
	close(ch)
	wait()
	if err == nil && sum.Result != "" && sum.Result != "succeeded" {
		err = fmt.Errorf("pulumi up ended %s", sum.Result)
	}
	if err == nil {
		x.Say("pulumi up %s in %s: %s", orDefault(sum.Result, "finished"), round(sum.Duration), changesText(sum.Changes))
		return sum, nil
	}
	if x.Ctx().Err() != nil {
		return sum, fmt.Errorf("pulumi up: %w", err)
	}
	during := ""
	if failedOp != "" {
		during = " during the " + failedOp
	}
	return sum, &upFailedError{during: during, err: err, runID: x.Options().RunID}
}

// upFailedError is a `pulumi up` that failed: part of it may have reached
// AWS. The resume finds out what and finishes it.
type upFailedError struct {
	during string
	err    error
	runID  string
}

func (e *upFailedError) Error() string {
	return fmt.Sprintf("pulumi up failed%s: %v. Part of the update may have reached AWS: `datalayer resume %s` finds out from AWS what it did, repairs Pulumi's state behind a confirmation, and finishes it",
		e.during, e.err, e.runID)
}

func (e *upFailedError) Unwrap() error { return e.err }
