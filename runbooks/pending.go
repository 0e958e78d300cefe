package runbooks

import (
	"fmt"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
)

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// nextWindow returns the next occurrence after now of a weekly maintenance
// window as RDS writes it ("mon:00:00-mon:03:00", UTC): the one in progress,
// or the next to start.
func nextWindow(window string, now time.Time) (start, end time.Time, ok bool) {
	parse := func(s string) (time.Weekday, int, bool) {
		var d string
		var h, m int
		parts := strings.SplitN(strings.ToLower(strings.TrimSpace(s)), ":", 2)
		if len(parts) != 2 {
			return 0, 0, false
		}
		d = parts[0]
		if _, err := fmt.Sscanf(parts[1], "%d:%d", &h, &m); err != nil {
			return 0, 0, false
		}
		wd, found := weekdays[d]
		return wd, h*60 + m, found && h < 24 && m < 60
	}
	from, to, cut := strings.Cut(window, "-")
	if !cut {
		return start, end, false
	}
	sd, sm, ok1 := parse(from)
	ed, em, ok2 := parse(to)
	if !ok1 || !ok2 {
		return start, end, false
	}
	now = now.UTC()
	week := now.Truncate(24*time.Hour).AddDate(0, 0, -int(now.Weekday())) // Sunday 00:00
	at := func(d time.Weekday, mins int) time.Time {
		return week.AddDate(0, 0, int(d)).Add(time.Duration(mins) * time.Minute)
	}
	s0, e0 := at(sd, sm), at(ed, em)
	if !e0.After(s0) {
		e0 = e0.AddDate(0, 0, 7) // wraps past the end of the week
	}
	for k := -1; k <= 1; k++ {
		start, end = s0.AddDate(0, 0, 7*k), e0.AddDate(0, 0, 7*k)
		if end.After(now) {
			return start, end, true
		}
	}
	return start, end, true
}

// pendingLines says what an instance holds for its maintenance window.
func pendingLines(in awsclient.Instance) []string {
	p := in.Pending
	var out []string
	if p.EngineVersion != "" {
		out = append(out, fmt.Sprintf("engine version %s → %s", in.EngineVersion, p.EngineVersion))
	}
	if p.InstanceClass != "" {
		out = append(out, fmt.Sprintf("instance class %s → %s", in.Class, p.InstanceClass))
	}
	if p.MultiAZ != nil {
		out = append(out, fmt.Sprintf("Multi-AZ %v → %v", in.MultiAZ, *p.MultiAZ))
	}
	if p.AllocatedStorage > 0 {
		out = append(out, fmt.Sprintf("allocated storage %d → %d GiB", in.AllocatedStorage, p.AllocatedStorage))
	}
	if p.StorageType != "" {
		out = append(out, fmt.Sprintf("storage type %s → %s", in.StorageType, p.StorageType))
	}
	if p.BackupRetention != nil {
		out = append(out, fmt.Sprintf("backup retention %d → %d days", in.BackupRetention, *p.BackupRetention))
	}
	named := map[string]bool{"AllocatedStorage": true, "StorageType": true, "BackupRetentionPeriod": true}
	for _, o := range p.Other {
		if !named[o] {
			out = append(out, o+" (changed)")
		}
	}
	return out
}

// handleDeferred ends an update whose changes AWS holds for the maintenance
// window (the program does not set applyImmediately, Pulumi's default):
// it says what is pending, when it applies and how to apply it now, and
// offers to apply it now behind a gate. It returns the instance as it
// ends: still holding the changes, or with them applied.
func handleDeferred(x *engine.Exec, in awsclient.Instance) (awsclient.Instance, error) {
	lines := pendingLines(in)
	when := "in the next maintenance window"
	if start, end, ok := nextWindow(in.MaintenanceWindow, x.Clock().Now()); ok {
		when = fmt.Sprintf("in the next maintenance window, %s to %s UTC (window %s)", start.Format("Mon 2006-01-02 15:04"), end.Format("15:04"), in.MaintenanceWindow)
	}
	x.Warn("AWS holds these changes of %s for its maintenance window, not applied yet: %s", in.ID, strings.Join(lines, "; "))
	x.Warn("they apply %s, unless applied now; the program leaves applyImmediately unset (Pulumi's default), which asks for exactly that", when)
	now := "the program applies them now, behind a typed confirmation (choose below)"
	if !x.Options().Rehearsal {
		now = "`" + awsclient.ApplyPendingCommand(in) + "` (AWS then also applies anything else pending), or choose below and the program does it"
	}
	x.Say("to apply them now: %s; an instance class, Multi-AZ or engine change means minutes of downtime", now)
	body := fmt.Sprintf("Pending on **%s**: %s.\n\nThey apply %s. Applying now may mean downtime (an instance class, Multi-AZ or engine change restarts the instance).",
		in.ID, strings.Join(lines, "; "), when)
	v, err := x.Choose("deferred", "Apply the pending changes now?", body, "", []engine.Option{
		{Value: "window", Label: "Leave them for the maintenance window", Recommended: true, Reason: "what the program asks for (applyImmediately unset)"},
		{Value: "now", Label: "Apply them now (typed confirmation first)", Reason: "when they cannot wait; expect downtime"},
	})
	if err != nil {
		return in, err
	}
	if v != "now" {
		x.Say("left for the maintenance window: %s", strings.Join(lines, "; "))
		return in, nil
	}
	if err := x.Gate("apply-now", "Apply the pending changes of "+in.ID+" now? Type "+x.GateExpect(in.ID)+" to go on", body, x.GateExpect(in.ID)); err != nil {
		return in, err
	}
	if err := x.Issue("apply-pending:"+in.ID, map[string]any{"instance": in.ID, "pending": lines}); err != nil {
		return in, err
	}
	if _, err := deps(x).AWS.ApplyPendingNow(x.Ctx(), in.ID); err != nil {
		return in, fmt.Errorf("apply the pending changes now: %w", err)
	}
	// The instance may still answer "available" for a moment before AWS
	// starts: wait until it has left the pending state.
	after, err := waitApplied(x, in.ID)
	if err != nil {
		return in, err
	}
	x.Say("%s applied the changes: %s", after.ID, strings.Join(lines, "; "))
	return after, nil
}

// waitApplied watches an instance whose deferred changes were asked for
// now until it is available with nothing left pending.
func waitApplied(x *engine.Exec, id string) (awsclient.Instance, error) {
	c, err := watch(x, "instance", id, waitPolicyFor(x, waitModify), func(c awsclient.Change) (bool, error) {
		if c.Gone {
			return false, nil
		}
		if why, bad := badStatuses[c.NewStatus]; bad {
			return false, fmt.Errorf("instance %s is %s: %s", id, c.NewStatus, why)
		}
		return c.NewStatus == "available" && c.Instance != nil && !c.Instance.Deferred(), nil
	})
	if err != nil {
		return awsclient.Instance{}, err
	}
	return *c.Instance, nil
}
