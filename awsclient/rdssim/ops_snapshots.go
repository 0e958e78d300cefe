package rdssim

import (
	"slices"
	"strings"
	"time"
)

type xSnapshots struct {
	Items []xSnapshot `xml:"DBSnapshot"`
}

type describeSnapshotsResult struct {
	Marker      string `xml:",omitempty"`
	DBSnapshots xSnapshots
}

type snapshotResult struct {
	DBSnapshot xSnapshot
}

// findSnapshot resolves a snapshot name or ARN.
func (w *World) findSnapshot(ref string) *Snapshot {
	for _, sn := range w.Snapshots {
		if sn.ID == strings.ToLower(ref) || w.SnapshotARN(sn.ID) == ref {
			return sn
		}
	}
	return nil
}

func describeSnapshots(w *World, p params, now time.Time) (any, *apiError) {
	filters, err := p.filters("db-instance-id", "db-snapshot-id", "dbi-resource-id", "snapshot-type", "engine")
	if err != nil {
		return nil, err
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	typ := p.str("SnapshotType")
	switch typ {
	case "", "automated", "manual", "shared", "public", "awsbackup":
	default:
		return nil, invalidValue("Invalid snapshot type: %s. Valid types are automated, manual, shared, public and awsbackup.", typ)
	}
	instRef := p.str("DBInstanceIdentifier")
	if instRef != "" && !strings.HasPrefix(instRef, "arn:") {
		if err := checkIdentifier("DBInstanceIdentifier", instRef); err != nil {
			return nil, err
		}
	}
	snapRef := p.str("DBSnapshotIdentifier")
	if snapRef != "" {
		sn := w.findSnapshot(snapRef)
		if sn == nil {
			if !strings.HasPrefix(snapRef, "arn:") && !strings.HasPrefix(snapRef, "rds:") {
				if err := checkSnapshotName("DBSnapshotIdentifier", snapRef); err != nil {
					return nil, err
				}
			}
			return nil, snapshotNotFound(snapRef)
		}
	}
	resID := p.str("DbiResourceId")
	list := slices.DeleteFunc(slices.Clone(w.Snapshots), func(sn *Snapshot) bool {
		if snapRef != "" && sn != w.findSnapshot(snapRef) {
			return true
		}
		if instRef != "" && sn.InstanceID != strings.ToLower(instRef) && w.InstanceARN(sn.InstanceID) != instRef {
			return true
		}
		if resID != "" && !strings.EqualFold(sn.ResourceID, resID) {
			return true
		}
		if typ != "" && sn.Type != typ || typ == "" && snapRef == "" && sn.Type != "manual" && sn.Type != "automated" {
			return true
		}
		for _, f := range filters {
			match := false
			for _, v := range f.Values {
				switch f.Name {
				case "db-instance-id":
					match = match || sn.InstanceID == strings.ToLower(v) || w.InstanceARN(sn.InstanceID) == v
				case "db-snapshot-id":
					match = match || sn.ID == strings.ToLower(v) || w.SnapshotARN(sn.ID) == v
				case "dbi-resource-id":
					match = match || strings.EqualFold(sn.ResourceID, v)
				case "snapshot-type":
					match = match || sn.Type == v
				case "engine":
					match = match || sn.Engine == v
				}
			}
			if !match {
				return true
			}
		}
		return false
	})
	lo, hi, marker := paginate(len(list), offset, limit)
	res := describeSnapshotsResult{Marker: marker}
	for _, sn := range list[lo:hi] {
		res.DBSnapshots.Items = append(res.DBSnapshots.Items, w.xSnapshot(sn, now))
	}
	return res, nil
}

func createSnapshot(w *World, p params, now time.Time) (any, *apiError) {
	name, err := p.required("DBSnapshotIdentifier")
	if err != nil {
		return nil, err
	}
	if err := checkSnapshotName("DBSnapshotIdentifier", name); err != nil {
		return nil, err
	}
	name = strings.ToLower(name)
	in, err := w.instanceRef(p, "DBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	if w.Snapshot(name) != nil {
		return nil, errf(400, "DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the identifier %s already exists.", name)
	}
	if in.Status != "available" {
		return nil, errf(400, "InvalidDBInstanceState", "Cannot create a snapshot because the database instance %s is not currently in the available state.", in.ID)
	}
	sn := w.snapshotOf(in, name, "manual", now)
	sn.Status = "creating"
	sn.Ready = w.later(now, SnapshotDuration)
	if tags := p.tags(); len(tags) > 0 {
		sn.Tags = tags
	} else if !in.CopyTagsToSnapshot {
		sn.Tags = nil
	}
	w.Snapshots = append(w.Snapshots, sn)
	w.snapshotEvent(sn, now, "RDS-EVENT-0040")
	in.Status = "backing-up"
	w.schedule(in, now, SnapshotDuration, tStatus, "available", "", "")
	return snapshotResult{w.xSnapshot(sn, now)}, nil
}

func deleteSnapshot(w *World, p params, now time.Time) (any, *apiError) {
	name, err := p.required("DBSnapshotIdentifier")
	if err != nil {
		return nil, err
	}
	sn := w.findSnapshot(name)
	if sn == nil {
		if err := checkSnapshotName("DBSnapshotIdentifier", name); err != nil && !strings.HasPrefix(name, "rds:") {
			return nil, err
		}
		return nil, snapshotNotFound(name)
	}
	if sn.Type != "manual" {
		return nil, errf(400, "InvalidDBSnapshotState", "Only manual snapshots may be deleted.")
	}
	if sn.Status != "available" && sn.Status != "failed" {
		return nil, errf(400, "InvalidDBSnapshotState", "Cannot delete the snapshot because it is not in the available state (it is %s).", sn.Status)
	}
	w.Snapshots = slices.DeleteFunc(w.Snapshots, func(x *Snapshot) bool { return x == sn })
	w.snapshotEvent(sn, now, "RDS-EVENT-0041")
	x := w.xSnapshot(sn, now)
	x.Status = "deleted"
	return snapshotResult{x}, nil
}
