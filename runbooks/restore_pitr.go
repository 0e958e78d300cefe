package runbooks

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// Point-in-time restore (issue 15): the wizard asks when the damage
// happened, shows the instance's restorable window, and offers a restore to
// a point just before the damage or the newest snapshot before it, with the
// data each loses in words. The restore itself goes through Pulumi
// (restoreToPointInTime) or the API (RestoreDBInstanceToPointInTime), with
// the same gates, swaps and checks as a snapshot restore.

const (
	fromTime     = "time"     // restore-from: a point in time
	fromSnapshot = "snapshot" // restore-from: a snapshot
	// latestPoint is restore-time's value for the latest restorable time.
	latestPoint = "latest"
	// unknownDamage is damage-time's value when nobody knows when.
	unknownDamage = "unknown"
	// beforeDamage is how far before the damage a restore goes.
	beforeDamage = time.Minute
)

// viaSnapshot is the snapshot branch of a restore.
var viaSnapshot = engine.Cond{Var: "restore-from", Values: []string{fromSnapshot}}

// ParseRestorePoint reads --to: an RFC 3339 time in UTC
// (2026-12-02T14:01:00Z), "latest", or a span before now such as 20m,
// 1h30m or 2d. latest is true for "latest".
func ParseRestorePoint(s string, now time.Time) (at time.Time, latest bool, err error) {
	v := strings.TrimSpace(strings.ToLower(s))
	switch {
	case v == "":
		return time.Time{}, false, errors.New("--to is empty: give a UTC time (2026-12-02T14:01:00Z), latest, or how long ago (20m, 1h30m, 2d)")
	case v == latestPoint:
		return time.Time{}, true, nil
	}
	if t, perr := time.Parse(time.RFC3339, strings.TrimSpace(s)); perr == nil {
		if _, off := t.Zone(); off != 0 {
			return time.Time{}, false, fmt.Errorf("--to %q is not in UTC: write it with Z (%s)", s, t.UTC().Format(time.RFC3339))
		}
		if t.After(now) {
			return time.Time{}, false, fmt.Errorf("--to %q is in the future (now is %s): give a time before now, or latest", s, now.UTC().Format(time.RFC3339))
		}
		return t.UTC(), false, nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, derr := strconv.Atoi(n)
		if derr != nil {
			err = derr
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d <= 0 {
		return time.Time{}, false, fmt.Errorf("--to %q is neither a UTC time (2026-12-02T14:01:00Z), latest, nor how long ago (20m, 1h30m, 2d)", s)
	}
	return now.Add(-d).UTC().Truncate(time.Second), false, nil
}

// parseDamageTime reads the wizard's answer: now, don't know, a UTC time,
// a time of day today (14:02, UTC), or how long ago (20m).
func parseDamageTime(s string, now time.Time) (at time.Time, known bool, err error) {
	v := strings.TrimSpace(strings.ToLower(s))
	switch v {
	case "", "now", latestPoint:
		return now, true, nil
	case "don't know", "dont know", "do not know", "unknown", "?":
		return time.Time{}, false, nil
	}
	if t, perr := time.Parse("15:04", v); perr == nil {
		d := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
		if d.After(now) {
			d = d.AddDate(0, 0, -1)
		}
		return d, true, nil
	}
	at, latest, err := ParseRestorePoint(s, now)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%q is not a time: answer now, don't know, a UTC time (2026-12-02T14:02:00Z or 14:02), or how long ago (20m)", s)
	}
	if latest {
		return now, true, nil
	}
	return at, true, nil
}

// lossWords says a data-loss window in words: "about 20 minutes".
func lossWords(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < 2*time.Minute:
		return "about 1 minute"
	case d < time.Hour:
		return fmt.Sprintf("about %d minutes", int(d.Minutes()+0.5))
	case d < 48*time.Hour:
		h := int(d.Hours())
		m := int(d.Minutes()) % 60
		if m == 0 {
			return fmt.Sprintf("about %d hours", h)
		}
		return fmt.Sprintf("about %d hours %d minutes", h, m)
	}
	return fmt.Sprintf("about %d days", int(d.Hours()/24))
}

// restoreWindow is an instance's automated backups as the wizard sees them.
type restoreWindow struct {
	backup awsclient.AutomatedBackup
	ok     bool // a window to restore into exists
}

// findWindow reads the restorable window of the instance, live or deleted
// (its retained automated backups, the newest if the name was reused).
func findWindow(x *engine.Exec) (restoreWindow, error) {
	bs, err := deps(x).AWS.AutomatedBackups(x.Ctx(), x.Get("instance"))
	if err != nil {
		return restoreWindow{}, fmt.Errorf("read the automated backups of %s: %w", x.Get("instance"), err)
	}
	want := "active"
	if x.Get("exists") == "no" {
		want = "retained"
	}
	var best restoreWindow
	for _, b := range bs {
		if b.Status != want || b.Latest.IsZero() {
			continue
		}
		if !best.ok || b.Latest.After(best.backup.Latest) {
			best = restoreWindow{backup: b, ok: true}
		}
	}
	return best, nil
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") }

func damageTimeStep() *engine.Step {
	return &engine.Step{
		ID: "damage-time", Title: "When did the damage happen?", Kind: engine.KindDecision, Phase: PhaseDecide, If: restoring,
		Needs: []string{"instance", "exists"}, Produces: []string{"damage-time"},
		Commands: []string{
			"aws rds describe-db-instance-automated-backups --db-instance-identifier {instance} --query 'DBInstanceAutomatedBackups[].[Status,DbiResourceId,RestoreWindow.EarliestTime,RestoreWindow.LatestTime]'",
		},
		Explanation: "RDS keeps transaction logs for an instance with automated backups, so it can be restored to any " +
			"second between its earliest and latest restorable time (the latest is usually within the last five " +
			"minutes). Knowing when the damage happened (a table dropped at 14:02) lets the restore go to just " +
			"before it, losing minutes instead of the hours since the last snapshot. For a deleted instance its " +
			"retained automated backups are used. `--to` answers this with the time to restore to.",
		Do: func(x *engine.Exec) error {
			now := x.Clock().Now().UTC()
			win, err := findWindow(x)
			if err != nil {
				return err
			}
			window := "no restorable window: the instance keeps no automated backups (backup retention 0), or they were deleted with it"
			if win.ok {
				b := win.backup
				x.Set("window-earliest", b.Earliest.UTC().Format(time.RFC3339))
				x.Set("window-latest", b.Latest.UTC().Format(time.RFC3339))
				x.Set("backup-resource-id", b.ResourceID)
				x.Set("backup-engine-version", b.EngineVersion)
				x.Set("backup-status", b.Status)
				window = fmt.Sprintf("restorable from %s to %s (%s ago; %s automated backups, resource id %s, retention %s)",
					fmtTime(b.Earliest), fmtTime(b.Latest), lossWords(now.Sub(b.Latest)), b.Status, b.ResourceID, plural(int(b.Retention), "day"))
			}
			x.Say("%s: %s", x.Get("instance"), window)
			x.Set("window-seen-at", now.Format(time.RFC3339))
			if to := x.Flag("to"); to != "" {
				at, latest, err := ParseRestorePoint(to, now)
				if err != nil {
					return err
				}
				if latest {
					x.Set("damage-time", "now")
					x.Set("restore-time", latestPoint)
				} else {
					x.Set("damage-time", at.Format(time.RFC3339))
					x.Set("restore-time", at.Format(time.RFC3339))
				}
				x.Set("point-given", to)
				x.Say("--to %s: restore to %s", to, x.Get("restore-time"))
				return nil
			}
			_, preAnswered := x.Options().Answers["damage-time/when"]
			if _, ok := x.Options().Answers["when"]; ok {
				preAnswered = true
			}
			if x.Options().Yes && !preAnswered {
				// Nobody said when: --yes does not assume "now", which would
				// restore the damage along with everything else.
				x.Say("--yes without --to: the damage time is not known (give --to to restore to a point in time)")
				x.Set("damage-time", unknownDamage)
				return nil
			}
			body := window + "\n\nAnswer now (the default: it is happening or was just noticed), a UTC time " +
				"(2026-12-02T14:02:00Z, or 14:02 for today), how long ago (20m), or don't know."
			for attempt := 1; ; attempt++ {
				// A new prompt per attempt: a resumed run replays the
				// journal's answers by prompt id, the refused one too.
				id := "when"
				if attempt > 1 {
					id = fmt.Sprintf("when-%d", attempt)
				}
				a, err := x.Text(id, "When did the damage happen?", body, "now")
				if err != nil {
					return err
				}
				at, known, perr := parseDamageTime(a, now)
				if perr != nil {
					x.Warn("%v", perr)
					body = perr.Error() + "\n\n" + window
					continue
				}
				switch {
				case !known:
					x.Set("damage-time", unknownDamage)
				case strings.EqualFold(strings.TrimSpace(a), "now") || strings.TrimSpace(a) == "":
					x.Set("damage-time", "now")
				default:
					x.Set("damage-time", at.Format(time.RFC3339))
				}
				return nil
			}
		},
	}
}

// pointOption is the point-in-time choice the wizard works out.
type pointOption struct {
	possible bool
	latest   bool
	at       time.Time // the point (when not latest)
	loss     time.Duration
	warn     []string
	why      string // why it is not possible
}

// pointFor works out the point just before the damage within the window.
func pointFor(x *engine.Exec, now time.Time) pointOption {
	var o pointOption
	if x.Get("window-latest") == "" {
		o.why = "no restorable window (no automated backups)"
		return o
	}
	earliest, _ := time.Parse(time.RFC3339, x.Get("window-earliest"))
	latestT, _ := time.Parse(time.RFC3339, x.Get("window-latest"))
	damage := x.Get("damage-time")
	switch rt := x.Get("restore-time"); {
	case rt == latestPoint || damage == "now" || damage == unknownDamage:
		o.latest, o.at = true, latestT
	case rt != "":
		o.at, _ = time.Parse(time.RFC3339, rt)
	default:
		d, _ := time.Parse(time.RFC3339, damage)
		o.at = d.Add(-beforeDamage).Truncate(time.Second)
		if o.at.After(latestT) {
			o.warn = append(o.warn, fmt.Sprintf("the damage time %s is later than the latest restorable time %s: the restore reaches only up to %s, %s before the damage",
				fmtTime(d), fmtTime(latestT), fmtTime(latestT), lossWords(d.Sub(latestT))))
			o.at = latestT
		}
	}
	if !o.latest && o.at.Before(earliest) {
		o.why = fmt.Sprintf("%s is earlier than the earliest restorable time %s: the transaction logs do not reach that far back", fmtTime(o.at), fmtTime(earliest))
		o.warn = append(o.warn, o.why)
		return o
	}
	if !o.latest && o.at.After(latestT) && x.Get("restore-time") != "" {
		o.why = fmt.Sprintf("%s is later than the latest restorable time %s (the logs of the last minutes are not shipped yet): give an earlier time, or latest", fmtTime(o.at), fmtTime(latestT))
		o.warn = append(o.warn, o.why)
		return o
	}
	o.possible = true
	o.loss = now.Sub(o.at)
	return o
}

// newestSnapshotBefore is the newest available snapshot of the instance
// taken before t (any time when t is zero).
func newestSnapshotBefore(x *engine.Exec, t time.Time) (awsclient.Snapshot, bool, error) {
	snaps, err := deps(x).AWS.Snapshots(x.Ctx(), x.Get("instance"))
	if err != nil {
		return awsclient.Snapshot{}, false, fmt.Errorf("list snapshots of %s: %w", x.Get("instance"), err)
	}
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Created.After(snaps[j].Created) })
	for _, s := range snaps {
		if s.Status == "available" && (t.IsZero() || s.Created.Before(t)) {
			return s, true, nil
		}
	}
	return awsclient.Snapshot{}, false, nil
}

func restorePointStep() *engine.Step {
	return &engine.Step{
		ID: "restore-point", Title: "Restore to a point in time or from a snapshot?", Kind: engine.KindDecision, Phase: PhaseDecide, If: restoring,
		Needs: []string{"damage-time"}, Produces: []string{"restore-from"},
		Explanation: "Two ways back: a point just before the damage (everything written since is lost: usually " +
			"minutes), or the newest snapshot taken before it (everything since the snapshot is lost: hours). " +
			"The smaller loss is recommended. When the damage is older than the earliest restorable time, only a " +
			"snapshot reaches before it. For a deleted instance the choice is between its retained automated " +
			"backups (restored by resource id) and its final snapshot; the newer one loses less.",
		Do: func(x *engine.Exec) error {
			now := x.Clock().Now().UTC()
			pt := pointFor(x, now)
			for _, w := range pt.warn {
				x.Warn("%s", w)
			}
			var before time.Time
			if d, err := time.Parse(time.RFC3339, x.Get("damage-time")); err == nil {
				before = d
			}
			snap, haveSnap, err := newestSnapshotBefore(x, before)
			if err != nil {
				return err
			}
			deleted := x.Get("exists") == "no"
			var opts []engine.Option
			timeLabel := ""
			if pt.possible {
				when := fmtTime(pt.at)
				if pt.latest {
					when = "the latest restorable time (" + fmtTime(pt.at) + " now; later if more logs are shipped before the restore)"
				}
				src := "the instance's transaction logs"
				if deleted {
					src = "the deleted instance's retained automated backups (resource id " + x.Get("backup-resource-id") + ")"
				}
				timeLabel = fmt.Sprintf("A point in time: %s, from %s; loses what was written after it: %s", when, src, lossWords(pt.loss))
				opts = append(opts, engine.Option{Value: fromTime, Label: timeLabel})
			}
			snapLoss := time.Duration(0)
			if haveSnap {
				snapLoss = now.Sub(snap.Created)
				kind := snap.Type
				if deleted && snap.Type == "manual" && strings.Contains(snap.ID, "final") {
					kind = "final"
				}
				opts = append(opts, engine.Option{Value: fromSnapshot, Label: fmt.Sprintf("The newest snapshot%s: %s (%s, taken %s); loses what was written after it: %s",
					map[bool]string{true: " before the damage", false: ""}[!before.IsZero()], snap.ID, kind, fmtTime(snap.Created), lossWords(snapLoss))})
			}
			if len(opts) == 0 {
				return fmt.Errorf("neither a point in time (%s) nor a snapshot taken before the damage can restore %s: look for a copy elsewhere (an export, a staging sync)", pt.why, x.Get("instance"))
			}
			rec, reason := fromSnapshot, ""
			switch {
			case !pt.possible:
				reason = "the only way back: " + pt.why
			case !haveSnap:
				rec, reason = fromTime, "no snapshot was taken before the damage"
			case x.Get("damage-time") == unknownDamage:
				reason = "the damage time is not known: the latest point in time would likely bring the damage back; the newest snapshot is the last state from before it (or answer the damage time to restore to just before it)"
			case pt.loss <= snapLoss:
				rec, reason = fromTime, fmt.Sprintf("the smaller loss: %s instead of %s", lossWords(pt.loss), lossWords(snapLoss))
			default:
				reason = fmt.Sprintf("the smaller loss: %s instead of %s", lossWords(snapLoss), lossWords(pt.loss))
			}
			if deleted && pt.possible && haveSnap {
				newer := "the retained automated backups reach later than the final snapshot"
				if snap.Created.After(pt.at) {
					newer = "the snapshot is newer than the latest restorable time of the retained automated backups"
				}
				x.Say("%s is gone: %s (%s against %s)", x.Get("instance"), newer, fmtTime(pt.at), fmtTime(snap.Created))
			}
			for i := range opts {
				if opts[i].Value == rec {
					opts[i].Recommended, opts[i].Reason = true, reason
				}
			}
			preset := ""
			if x.Flag("to") != "" {
				if !pt.possible {
					return fmt.Errorf("--to %s: %s. Give a time inside the window, or leave out --to to restore from a snapshot", x.Flag("to"), pt.why)
				}
				preset = fromTime
			} else if x.Flag("snapshot") != "" {
				preset = fromSnapshot
			}
			v, err := x.Choose("from", "Restore to which point?", "Each option says what it loses: what was written after its point.", preset, opts)
			if err != nil {
				return err
			}
			x.Set("restore-from", v)
			if v == fromSnapshot {
				x.Set("data-loss", lossWords(snapLoss)+" (since the snapshot was taken)")
				return nil
			}
			rt := pt.at.UTC().Format(time.RFC3339)
			if pt.latest {
				rt = latestPoint
			}
			x.Set("restore-time", rt)
			x.Set("data-loss", lossWords(pt.loss)+" (what was written after "+fmtTime(pt.at)+")")
			if deleted {
				x.Set("restore-source", x.Get("backup-resource-id"))
			} else {
				x.Set("restore-source", x.Get("instance"))
			}
			x.Say("restoring to %s: data-loss window %s", describePoint(x), x.Get("data-loss"))
			return nil
		},
	}
}

// describePoint says what a restore restores, for gates and messages.
func describePoint(x *engine.Exec) string {
	if x.Get("restore-from") != fromTime {
		return "snapshot " + x.Get("snapshot")
	}
	when := x.Get("restore-time")
	if when == latestPoint {
		when = "the latest restorable time"
	}
	src := x.Get("instance")
	if x.Get("exists") == "no" {
		src += " (deleted; its retained automated backups, " + x.Get("restore-source") + ")"
	}
	return src + " as of " + when
}

// pointInTime is the program's restoreToPointInTime block for the choice.
func pointInTime(x *engine.Exec) pulumiclient.PointInTime {
	pt := pulumiclient.PointInTime{}
	if x.Get("exists") == "no" {
		pt.SourceResourceID = x.Get("restore-source")
	} else {
		pt.SourceInstanceID = x.Get("restore-source")
	}
	if rt := x.Get("restore-time"); rt == latestPoint {
		pt.UseLatest = true
	} else {
		pt.RestoreTime = rt
	}
	return pt
}

// pointInTimeSettings is the console restore's call for the choice.
func pointInTimeSettings(x *engine.Exec, rs awsclient.RestoreSettings) (awsclient.PointInTimeSettings, error) {
	ps := awsclient.PointInTimeSettings{RestoreSettings: rs}
	if x.Get("exists") == "no" {
		ps.SourceResourceID = x.Get("restore-source")
	} else {
		ps.SourceInstanceID = x.Get("restore-source")
	}
	if rt := x.Get("restore-time"); rt == latestPoint {
		ps.UseLatest = true
	} else {
		t, err := time.Parse(time.RFC3339, rt)
		if err != nil {
			return ps, fmt.Errorf("the recorded restore time %q: %w", rt, err)
		}
		ps.RestoreTime = t
	}
	return ps, nil
}

// pointInTimeEventPrefix starts RDS-EVENT-0019's message, "Restored from
// DB instance <source> to <target>.", recorded on a point-in-time restore.
const pointInTimeEventPrefix = "Restored from DB instance "

// restoredFromInstance returns the instance AWS says id was restored from
// to a point in time (RDS-EVENT-0019 since since), or "".
func restoredFromInstance(x *engine.Exec, id string, since time.Time) (string, error) {
	evs, err := deps(x).AWS.Events(x.Ctx(), id, since)
	if err != nil {
		return "", fmt.Errorf("read the RDS events of %s: %w", id, err)
	}
	for _, e := range evs {
		if rest, ok := strings.CutPrefix(e.Message, pointInTimeEventPrefix); ok {
			src, _, _ := strings.Cut(rest, " to ")
			return strings.TrimSpace(src), nil
		}
	}
	return "", nil
}

// restoreReport is the report's section on a restore's point: the chosen
// time, the restorable window when it was chosen, and the data-loss window.
func restoreReport(vars map[string]string) string {
	if vars["restore-from"] == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Restore point\n\n")
	if vars["restore-from"] == fromSnapshot {
		fmt.Fprintf(&b, "- Restored from: snapshot %s\n", orDefault(vars["snapshot"], "?"))
	} else {
		when := vars["restore-time"]
		if when == latestPoint {
			when = "the latest restorable time"
		}
		fmt.Fprintf(&b, "- Restored to: %s (point in time, source %s)\n", when, orDefault(vars["restore-source"], "?"))
	}
	if g := vars["point-given"]; g != "" {
		fmt.Fprintf(&b, "- Point given: --to %s\n", g)
	} else if d := vars["damage-time"]; d != "" {
		fmt.Fprintf(&b, "- Damage time given: %s\n", d)
	}
	if vars["window-latest"] != "" {
		fmt.Fprintf(&b, "- Restorable window at %s: %s to %s\n", orDefault(vars["window-seen-at"], "the choice"), vars["window-earliest"], vars["window-latest"])
	} else {
		b.WriteString("- Restorable window: none (no automated backups)\n")
	}
	if l := vars["data-loss"]; l != "" {
		fmt.Fprintf(&b, "- Data-loss window: %s\n", l)
	}
	b.WriteString("\n")
	return b.String()
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
