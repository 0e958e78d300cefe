package rdssim

import (
	"slices"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// Durations of the simulated operations, in AWS time. They follow what the
// team measured on staging (a restore is available after about 7 minutes, an
// upgrade takes about 10 with 3 minutes of downtime).
//
// A world played faster (a rehearsal's --speed N) shrinks every one of them
// by N while its instants stay on the wall clock, so everything it reports
// has happened by its clients' own clock. Schedule a change with
// World.schedule, and compute any other instant that lies an AWS duration
// away with World.later: never add such a duration to an instant directly.
const (
	CreateDuration      = 5 * time.Minute  // creating
	InitialBackup       = 2 * time.Minute  // backing-up after creating
	SnapshotDuration    = 3 * time.Minute  // a manual snapshot of 20 GiB
	DeleteDelay         = 30 * time.Second // after the final snapshot, until the instance is gone
	DeleteNoSnapshot    = 2 * time.Minute  // deleting without a final snapshot
	RenameGapStart      = 30 * time.Second // renaming; then neither name answers
	RenameSwitch        = 45 * time.Second // the new name answers, rebooting
	RenameDone          = 3 * time.Minute  // available under the new name
	RebootDuration      = 1 * time.Minute
	QuickModify         = 1 * time.Minute // security groups, parameter group, backup settings
	SlowModify          = 6 * time.Minute // class, Multi-AZ, storage
	UpgradePrecheck     = 3 * time.Minute // pre-check, then downtime starts
	UpgradeDowntime     = 3 * time.Minute
	UpgradeDuration     = 10 * time.Minute
	MaintenanceDuration = 4 * time.Minute
	// RenameReserve is how long, after a rename takes effect, RDS still
	// refuses the old identifier (DBInstanceAlreadyExists): the runbook's "a
	// painstaking few minutes". The rename-refused scenario makes it
	// RenameReserveLong.
	RenameReserve     = 4 * time.Minute
	RenameReserveLong = 10 * time.Minute
)

// Transition kinds.
const (
	tStatus      = "status"       // Status = Value
	tEndpoint    = "endpoint"     // EndpointUp = Value == "on"
	tHide        = "hide"         // the instance answers to no name
	tRename      = "rename"       // ID = Value
	tVersion     = "version"      // EngineVersion = Value
	tApply       = "apply"        // apply Pending to the instance
	tClear       = "clear"        // clear Pending
	tParams      = "params"       // ParameterApplyStatus = Value
	tRemove      = "remove"       // the instance is gone
	tAutoBackup  = "auto-backup"  // start an automated snapshot named Value
	tMaintenance = "maintenance"  // the pending maintenance action Value is done
	tCreated     = "created-time" // Created = At (InstanceCreateTime appears)
	tMaintWindow = "maint-window" // the maintenance window opens for the opted-in action Value
	tGroup       = "param-group"  // ParameterGroup = Value, in-sync (a major upgrade's new group)
)

// later is the instant at which d of AWS time after base has passed in this
// world: d shrunk by the world's speed.
func (w *World) later(base time.Time, d time.Duration) time.Time {
	return base.Add(clock.Speed(w.speed).RealTime(d))
}

// schedule appends to in a transition that happens after of AWS time from
// base.
func (w *World) schedule(in *Instance, base time.Time, after time.Duration, kind, value, eventID, msg string) {
	in.Transitions = append(in.Transitions, Transition{At: w.later(base, after), Kind: kind, Value: value, EventID: eventID, Message: msg})
}

// advance applies, in time order, every transition and snapshot completion
// due at now. Everything happens lazily here, on each request, so a Manual
// clock steps the world deterministically.
func (w *World) advance(now time.Time) {
	for {
		var (
			at   time.Time
			inst *Instance
			snap *Snapshot
		)
		for _, in := range w.Instances {
			if len(in.Transitions) > 0 && !in.Transitions[0].At.After(now) {
				if inst == nil && snap == nil || in.Transitions[0].At.Before(at) {
					at, inst, snap = in.Transitions[0].At, in, nil
				}
			}
		}
		for _, sn := range w.Snapshots {
			if sn.Status == "creating" && !sn.Ready.After(now) {
				if inst == nil && snap == nil || sn.Ready.Before(at) {
					at, inst, snap = sn.Ready, nil, sn
				}
			}
		}
		switch {
		case snap != nil:
			snap.Status = "available"
			if snap.Type == "automated" {
				w.snapshotEvent(snap, at, "RDS-EVENT-0091")
			} else {
				w.snapshotEvent(snap, at, "RDS-EVENT-0042")
			}
		case inst != nil:
			t := inst.Transitions[0]
			inst.Transitions = inst.Transitions[1:]
			w.apply(inst, t)
		default:
			return
		}
	}
}

func (w *World) apply(in *Instance, t Transition) {
	switch t.Kind {
	case tStatus:
		in.Status = t.Value
	case tEndpoint:
		in.EndpointUp = t.Value == "on"
	case tHide:
		in.Hidden = true
	case tRename:
		old := in.ID
		in.ID = t.Value
		in.Hidden = false
		in.Pending.DBInstanceIdentifier = ""
		for _, sn := range w.Snapshots {
			if sn.InstanceID == old && sn.Type == "automated" {
				sn.InstanceID = in.ID
			}
		}
		if w.ReserveFor > 0 {
			w.Reserved[old] = w.later(t.At, w.ReserveFor)
		}
	case tVersion:
		in.EngineVersion = t.Value
		in.OptionGroup = "default:postgres-" + majorOf(t.Value)
		in.Pending.EngineVersion = ""
	case tApply:
		p := in.Pending
		if p.DBInstanceClass != "" {
			in.Class = p.DBInstanceClass
		}
		if p.MultiAZ != nil {
			in.MultiAZ = *p.MultiAZ
		}
		if p.AllocatedStorage != 0 {
			in.AllocatedStorage = p.AllocatedStorage
		}
		if p.StorageType != "" {
			in.StorageType = p.StorageType
		}
		if p.BackupRetention != nil {
			in.BackupRetention = *p.BackupRetention
		}
		in.Pending = Pending{DBInstanceIdentifier: p.DBInstanceIdentifier, EngineVersion: p.EngineVersion}
	case tClear:
		in.Pending = Pending{}
	case tParams:
		in.ParameterApplyStatus = t.Value
	case tGroup:
		in.ParameterGroup, in.ParameterApplyStatus = t.Value, "in-sync"
	case tRemove:
		w.Instances = slices.DeleteFunc(w.Instances, func(x *Instance) bool { return x == in })
		if !in.DeleteAutomated {
			w.retain(in, t.At)
		} else {
			w.Snapshots = slices.DeleteFunc(w.Snapshots, func(sn *Snapshot) bool {
				return sn.Type == "automated" && sn.ResourceID == in.ResourceID
			})
		}
	case tAutoBackup:
		if w.Snapshot(t.Value) == nil {
			sn := w.snapshotOf(in, t.Value, "automated", t.At)
			sn.Status = "creating"
			sn.Ready = w.later(t.At, InitialBackup)
			w.Snapshots = append(w.Snapshots, sn)
			w.snapshotEvent(sn, t.At, "RDS-EVENT-0090")
		}
	case tMaintenance:
		done := slices.IndexFunc(in.Maintenance, func(m MaintenanceAction) bool { return m.Action == t.Value })
		if done >= 0 && in.Maintenance[done].Target != "" {
			in.EngineVersion = in.Maintenance[done].Target
		}
		in.Maintenance = slices.DeleteFunc(in.Maintenance, func(m MaintenanceAction) bool { return m.Action == t.Value })
		w.addEvent(Event{SourceID: in.ID, SourceType: "db-instance", SourceARN: w.InstanceARN(in.ID), Date: t.At, ID: "RDS-EVENT-0027"}, "")
		// Actions opted in while this one ran follow it; then the instance is back.
		if next := slices.IndexFunc(in.Maintenance, func(m MaintenanceAction) bool { return m.OptInStatus == "immediate" }); next >= 0 {
			w.startMaintenance(in, t.At, in.Maintenance[next].Action)
		} else {
			in.Status = "available"
			w.logStartup(in, w.later(t.At, -20*time.Second), in.EngineVersion)
			w.addEvent(Event{SourceID: in.ID, SourceType: "db-instance", SourceARN: w.InstanceARN(in.ID), Date: t.At, ID: "RDS-EVENT-0047"}, "")
		}
		return
	case tMaintWindow:
		i := slices.IndexFunc(in.Maintenance, func(m MaintenanceAction) bool { return m.Action == t.Value && m.OptInStatus == "next-maintenance" })
		switch {
		case i < 0:
		case in.Status == "available":
			in.Maintenance[i].OptInStatus = "immediate"
			w.startMaintenance(in, t.At, t.Value)
		case in.Status == "maintenance":
			in.Maintenance[i].OptInStatus = "immediate"
		default:
			// Busy at the window: RDS waits for the next one.
			in.Maintenance[i].CurrentApply = nextWindow(in.MaintenanceWindow, t.At)
			w.schedule(in, in.Maintenance[i].CurrentApply, 0, tMaintWindow, t.Value, "", "")
		}
	case tCreated:
		in.Created = t.At
	}
	if t.EventID != "" || t.Message != "" {
		e := Event{SourceID: in.ID, SourceType: "db-instance", SourceARN: w.InstanceARN(in.ID), Date: t.At, ID: t.EventID}
		w.addEvent(e, t.Message)
		if t.EventID == "" {
			last := &w.Events[len(w.Events)-1]
			if t.Kind == tRename {
				last.Categories = renameCategories
			} else {
				last.Categories = incompatibleCategories
			}
		}
	}
}

// startMaintenance takes the instance down for one pending maintenance
// action from at; when it is done, the next opted-in action follows or the
// instance is available again (see tMaintenance).
func (w *World) startMaintenance(in *Instance, at time.Time, action string) {
	in.Status = "maintenance"
	w.addEvent(Event{SourceID: in.ID, SourceType: "db-instance", SourceARN: w.InstanceARN(in.ID), Date: at, ID: "RDS-EVENT-0026"}, "")
	w.logShutdown(in, w.later(at, 30*time.Second))
	w.schedule(in, at, MaintenanceDuration, tMaintenance, action, "", "")
	slices.SortStableFunc(in.Transitions, func(a, b Transition) int { return a.At.Compare(b.At) })
}

// unscheduleMaintenance drops an action's pending window opening.
func (in *Instance) unscheduleMaintenance(action string) {
	in.Transitions = slices.DeleteFunc(in.Transitions, func(t Transition) bool { return t.Kind == tMaintWindow && t.Value == action })
}

// creation says how an instance came to be: the event its endpoint comes
// with, and whether it was restored (snapshot or point in time).
type creation struct {
	EventID  string
	Message  string // "" for the catalogue's text
	Restored bool
	Extra    time.Duration // on top of CreateDuration (replaying logs)
}

// startCreate schedules creating → backing-up → available (or
// incompatible-parameters) for a new or restored instance.
func (w *World) startCreate(in *Instance, now time.Time, c creation) {
	in.Status = "creating"
	in.EndpointUp = false
	in.Transitions = nil
	create := CreateDuration + c.Extra
	done := w.later(now, create)
	w.logStartup(in, w.later(done, -20*time.Second), in.EngineVersion)
	w.schedule(in, now, create, tCreated, "", "", "")
	w.schedule(in, now, create, tEndpoint, "on", c.EventID, c.Message)
	if c.Restored && w.IncompatibleRestores {
		w.schedule(in, now, create, tStatus, "incompatible-parameters", "",
			"DB instance is in the incompatible-parameters state: a parameter in DB parameter group "+
				in.ParameterGroup+" is not compatible with the instance class "+in.Class+
				"; reset it or choose another parameter group, then reboot")
		return
	}
	if in.BackupRetention > 0 {
		w.schedule(in, now, create, tStatus, "backing-up", "RDS-EVENT-0001", "")
		w.schedule(in, now, create, tAutoBackup, "rds:"+in.ID+"-"+done.UTC().Format("2006-01-02-15-04"), "", "")
		w.schedule(in, now, create+InitialBackup, tStatus, "available", "RDS-EVENT-0002", "")
		return
	}
	w.schedule(in, now, create, tStatus, "available", "", "")
}
