package rdssim

import (
	"slices"
	"strings"
	"time"
)

// Point-in-time restore and automated backups. An instance with a backup
// retention period above 0 keeps automated backups: daily snapshots plus
// transaction logs shipped every 5 minutes, so it can be restored to any
// second from EarliestRestorableTime (the retention period back, or its
// first automated snapshot) to LatestRestorableTime (the last log upload,
// up to 5 minutes ago). Deleted with DeleteAutomatedBackups=false, its
// automated backup is retained (status "retained") and can still be restored
// by resource id until it expires.

const (
	logShipInterval = 5 * time.Minute // transaction logs go to S3 this often
	// PITRReplay is how much longer a point-in-time restore takes than a
	// snapshot restore: the transaction logs are replayed up to the time.
	PITRReplay = 3 * time.Minute
)

// RetainedBackup is the automated backup of a deleted instance.
type RetainedBackup struct {
	InstanceID       string    `json:"instanceId"`
	ResourceID       string    `json:"resourceId"`
	InstanceCreated  time.Time `json:"instanceCreated"`
	Deleted          time.Time `json:"deleted"`
	Retention        int32     `json:"retention"`
	Engine           string    `json:"engine"`
	EngineVersion    string    `json:"engineVersion"`
	Class            string    `json:"class"`
	AllocatedStorage int32     `json:"allocatedStorage"`
	StorageType      string    `json:"storageType"`
	Encrypted        bool      `json:"encrypted"`
	Port             int32     `json:"port"`
	AvailabilityZone string    `json:"availabilityZone"`
	VpcID            string    `json:"vpcId"`
	MasterUsername   string    `json:"masterUsername"`
	BackupWindow     string    `json:"backupWindow"`
	Tags             []Tag     `json:"tags,omitempty"`
}

// window is a restorable window; zero when there is none.
type window struct{ Earliest, Latest time.Time }

func (r window) ok() bool { return !r.Earliest.IsZero() && !r.Latest.Before(r.Earliest) }

// restoreWindow computes the window of a resource's automated backups that
// ran until end (now for a live instance, the deletion for a retained one),
// seen at now.
func (w *World) restoreWindow(resourceID string, retention int32, end, now time.Time) window {
	if retention <= 0 {
		return window{}
	}
	var first time.Time
	for _, sn := range w.Snapshots {
		if sn.Type == "automated" && sn.ResourceID == resourceID && sn.Status == "available" && (first.IsZero() || sn.Created.Before(first)) {
			first = sn.Created
		}
	}
	if first.IsZero() {
		return window{} // still waiting for its first automated snapshot
	}
	earliest := maxTime(first, w.later(now, -time.Duration(retention)*24*time.Hour)).Truncate(time.Second)
	// The logs of the 5 minutes under way (in AWS time since the world
	// began) are not shipped yet.
	since := w.speed.SimTime(end.Sub(w.Start))
	lag := since % logShipInterval
	if lag <= 0 {
		lag = logShipInterval
	}
	latest := w.later(end, -lag).Truncate(time.Second)
	if latest.Before(first) {
		latest = first
	}
	return window{Earliest: earliest, Latest: latest}
}

// liveWindow is a live instance's restorable window.
func (w *World) liveWindow(in *Instance, now time.Time) window {
	if in.Status == "creating" {
		return window{}
	}
	return w.restoreWindow(in.ResourceID, in.BackupRetention, now, now)
}

// retain keeps the automated backup of an instance being deleted.
func (w *World) retain(in *Instance, at time.Time) {
	if in.BackupRetention <= 0 {
		return
	}
	w.Retained = append(w.Retained, RetainedBackup{
		InstanceID: in.ID, ResourceID: in.ResourceID, InstanceCreated: in.Created, Deleted: at,
		Retention: in.BackupRetention, Engine: in.Engine, EngineVersion: in.EngineVersion, Class: in.Class,
		AllocatedStorage: in.AllocatedStorage, StorageType: in.StorageType, Encrypted: in.StorageEncrypted,
		Port: in.Port, AvailabilityZone: in.AvailabilityZone, VpcID: w.vpcOf(in.SubnetGroup),
		MasterUsername: in.MasterUsername, BackupWindow: in.BackupWindow, Tags: slices.Clone(in.Tags),
	})
}

// retainedWindow is a retained backup's window; it shrinks as the
// retention period passes and is gone once it is empty.
func (w *World) retainedWindow(r RetainedBackup, now time.Time) window {
	win := w.restoreWindow(r.ResourceID, r.Retention, r.Deleted, now)
	if !win.ok() {
		return window{}
	}
	return win
}

// automatedBackupARN names an automated backup.
func (w *World) automatedBackupARN(resourceID string) string {
	return "arn:aws:rds:" + w.Region + ":" + w.Account + ":auto-backup:ab-" + strings.TrimPrefix(strings.ToLower(resourceID), "db-")
}

type xRestoreWindow struct {
	EarliestTime string `xml:",omitempty"`
	LatestTime   string `xml:",omitempty"`
}

type xAutomatedBackup struct {
	DBInstanceArn                 string
	DbiResourceID                 string `xml:"DbiResourceId"`
	Region                        string
	DBInstanceIdentifier          string
	RestoreWindow                 xRestoreWindow
	AllocatedStorage              int32
	Status                        string
	Port                          int32
	AvailabilityZone              string
	VpcID                         string `xml:"VpcId"`
	InstanceCreateTime            string
	MasterUsername                string
	Engine                        string
	EngineVersion                 string
	LicenseModel                  string
	StorageType                   string
	Encrypted                     bool
	KmsKeyID                      string `xml:"KmsKeyId,omitempty"`
	BackupRetentionPeriod         int32
	PreferredBackupWindow         string
	DBInstanceAutomatedBackupsArn string
	BackupTarget                  string
	TagList                       []xTag `xml:"TagList>Tag"`
}

type xAutomatedBackups struct {
	Items []xAutomatedBackup `xml:"DBInstanceAutomatedBackup"`
}

type describeAutomatedBackupsResult struct {
	Marker                     string `xml:",omitempty"`
	DBInstanceAutomatedBackups xAutomatedBackups
}

func (w *World) xBackup(id, resourceID string, created time.Time, status string, win window, r RetainedBackup) xAutomatedBackup {
	x := xAutomatedBackup{
		DBInstanceArn: w.InstanceARN(id), DbiResourceID: resourceID, Region: w.Region, DBInstanceIdentifier: id,
		AllocatedStorage: r.AllocatedStorage, Status: status, Port: r.Port, AvailabilityZone: r.AvailabilityZone,
		VpcID: r.VpcID, InstanceCreateTime: ts(created), MasterUsername: r.MasterUsername, Engine: r.Engine,
		EngineVersion: r.EngineVersion, LicenseModel: "postgresql-license", StorageType: r.StorageType,
		Encrypted: r.Encrypted, BackupRetentionPeriod: r.Retention, PreferredBackupWindow: r.BackupWindow,
		DBInstanceAutomatedBackupsArn: w.automatedBackupARN(resourceID), BackupTarget: "region",
	}
	if win.ok() {
		x.RestoreWindow = xRestoreWindow{EarliestTime: ts(win.Earliest), LatestTime: ts(win.Latest)}
	}
	if r.Encrypted {
		x.KmsKeyID = "arn:aws:kms:" + w.Region + ":" + w.Account + ":key/3c1e8e5a-7b2d-4f6a-9c0e-1d2f3a4b5c6d"
	}
	for _, t := range r.Tags {
		x.TagList = append(x.TagList, xTag(t))
	}
	return x
}

// backupOf describes a live instance as its automated backup.
func backupOf(in *Instance, vpc string) RetainedBackup {
	return RetainedBackup{
		InstanceID: in.ID, ResourceID: in.ResourceID, InstanceCreated: in.Created, Retention: in.BackupRetention,
		Engine: in.Engine, EngineVersion: in.EngineVersion, Class: in.Class, AllocatedStorage: in.AllocatedStorage,
		StorageType: in.StorageType, Encrypted: in.StorageEncrypted, Port: in.Port, AvailabilityZone: in.AvailabilityZone,
		VpcID: vpc, MasterUsername: in.MasterUsername, BackupWindow: in.BackupWindow, Tags: in.Tags,
	}
}

func describeAutomatedBackups(w *World, p params, now time.Time) (any, *apiError) {
	filters, err := p.filters("status", "db-instance-id", "dbi-resource-id")
	if err != nil {
		return nil, err
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	id, resID, arn := strings.ToLower(p.str("DBInstanceIdentifier")), p.str("DbiResourceId"), p.str("DBInstanceAutomatedBackupsArn")
	if id != "" && !strings.HasPrefix(id, "arn:") {
		if err := checkIdentifier("DBInstanceIdentifier", id); err != nil {
			return nil, err
		}
	}
	var list []xAutomatedBackup
	keep := func(x xAutomatedBackup) {
		if id != "" && x.DBInstanceIdentifier != id && x.DBInstanceArn != id ||
			resID != "" && !strings.EqualFold(x.DbiResourceID, resID) ||
			arn != "" && x.DBInstanceAutomatedBackupsArn != arn {
			return
		}
		for _, f := range filters {
			match := false
			for _, v := range f.Values {
				switch f.Name {
				case "status":
					match = match || x.Status == v
				case "db-instance-id":
					match = match || x.DBInstanceIdentifier == strings.ToLower(v) || x.DBInstanceArn == v
				case "dbi-resource-id":
					match = match || strings.EqualFold(x.DbiResourceID, v)
				}
			}
			if !match {
				return
			}
		}
		list = append(list, x)
	}
	for _, in := range w.Instances {
		if in.Hidden || in.BackupRetention <= 0 || in.Status == "deleting" && !in.DeleteAutomated {
			continue
		}
		win := w.liveWindow(in, now)
		status := "active"
		if !win.ok() {
			status = "creating"
		}
		keep(w.xBackup(in.ID, in.ResourceID, in.Created, status, win, backupOf(in, w.vpcOf(in.SubnetGroup))))
	}
	for _, r := range w.Retained {
		if win := w.retainedWindow(r, now); win.ok() {
			keep(w.xBackup(r.InstanceID, r.ResourceID, r.InstanceCreated, "retained", win, r))
		}
	}
	if len(list) == 0 && (id != "" || resID != "" || arn != "") {
		return nil, errf(404, "DBInstanceAutomatedBackupNotFound", "No automated backup found for %s.", firstOf(id, resID, arn))
	}
	lo, hi, marker := paginate(len(list), offset, limit)
	return describeAutomatedBackupsResult{Marker: marker, DBInstanceAutomatedBackups: xAutomatedBackups{Items: list[lo:hi]}}, nil
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// pitrSource is what a point-in-time restore starts from: a live instance
// or a retained automated backup.
type pitrSource struct {
	ID     string
	Window window
	Backup RetainedBackup
	Live   *Instance
}

func (w *World) pitrSource(p params, now time.Time) (pitrSource, *apiError) {
	id, resID, arn := p.str("SourceDBInstanceIdentifier"), p.str("SourceDbiResourceId"), p.str("SourceDBInstanceAutomatedBackupsArn")
	n := 0
	for _, s := range []string{id, resID, arn} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return pitrSource{}, invalidCombination("Specify exactly one of SourceDBInstanceIdentifier, SourceDbiResourceId and SourceDBInstanceAutomatedBackupsArn.")
	}
	if id != "" {
		if !strings.HasPrefix(id, "arn:") {
			if err := checkIdentifier("SourceDBInstanceIdentifier", id); err != nil {
				return pitrSource{}, err
			}
		}
		in := w.findInstance(id)
		if in == nil {
			return pitrSource{}, instanceNotFound(id)
		}
		return w.liveSource(in, now)
	}
	for _, in := range w.Instances {
		if !in.Hidden && (strings.EqualFold(in.ResourceID, resID) || arn != "" && w.automatedBackupARN(in.ResourceID) == arn) {
			return w.liveSource(in, now)
		}
	}
	for _, r := range w.Retained {
		if strings.EqualFold(r.ResourceID, resID) || arn != "" && w.automatedBackupARN(r.ResourceID) == arn {
			if win := w.retainedWindow(r, now); win.ok() {
				return pitrSource{ID: r.InstanceID, Window: win, Backup: r}, nil
			}
		}
	}
	return pitrSource{}, errf(404, "DBInstanceAutomatedBackupNotFound", "No automated backup found for %s.", firstOf(resID, arn))
}

func (w *World) liveSource(in *Instance, now time.Time) (pitrSource, *apiError) {
	if in.BackupRetention <= 0 {
		return pitrSource{}, errf(400, "PointInTimeRestoreNotEnabled", "Point-in-time restore is not enabled for DB instance %s: its backup retention period is 0.", in.ID)
	}
	win := w.liveWindow(in, now)
	if !win.ok() {
		return pitrSource{}, errf(400, "InvalidDBInstanceState", "DB instance %s has no restorable time yet: its first automated backup is not complete.", in.ID)
	}
	return pitrSource{ID: in.ID, Window: win, Backup: backupOf(in, w.vpcOf(in.SubnetGroup)), Live: in}, nil
}

func restoreToPointInTime(w *World, p params, now time.Time) (any, *apiError) {
	id, err := p.required("TargetDBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	if err := checkIdentifier("TargetDBInstanceIdentifier", id); err != nil {
		return nil, err
	}
	id = strings.ToLower(id)
	latest, err := p.flag("UseLatestRestorableTime")
	if err != nil {
		return nil, err
	}
	at, err := p.timestamp("RestoreTime")
	if err != nil {
		return nil, err
	}
	switch {
	case latest && at != nil:
		return nil, invalidCombination("Cannot specify both RestoreTime and UseLatestRestorableTime.")
	case !latest && at == nil:
		return nil, invalidCombination("Specify RestoreTime or UseLatestRestorableTime.")
	}
	src, err := w.pitrSource(p, now)
	if err != nil {
		return nil, err
	}
	restoreTime := src.Window.Latest
	if at != nil {
		restoreTime = at.UTC()
		if restoreTime.Before(src.Window.Earliest) || restoreTime.After(src.Window.Latest) {
			return nil, errf(400, "InvalidRestoreFault", "The restore time %s is outside the restorable window of %s: from %s to %s.",
				ts(restoreTime), src.ID, ts(src.Window.Earliest), ts(src.Window.Latest))
		}
	}
	b := src.Backup
	in := &Instance{
		ID: id, ResourceID: resourceID(w.Account, id, now.Format(time.RFC3339Nano)), Class: b.Class,
		Engine: b.Engine, EngineVersion: b.EngineVersion, MasterUsername: b.MasterUsername,
		AllocatedStorage: b.AllocatedStorage, StorageType: "gp3", StorageEncrypted: b.Encrypted,
		AutoMinorUpgrade: true, ParameterGroup: "default." + family(b.EngineVersion),
		ParameterApplyStatus: "in-sync", SubnetGroup: "default",
		OptionGroup: "default:postgres-" + majorOf(b.EngineVersion), Port: b.Port,
		AvailabilityZone: w.Region + "b", BackupRetention: max(b.Retention, 1),
		BackupWindow: "03:07-03:37", MaintenanceWindow: "thu:22:13-thu:22:43", Created: now,
		Tags: slices.Clone(b.Tags), RestoredFrom: src.ID, RestoreTime: restoreTime,
	}
	if v := p.str("DBInstanceClass"); v != "" {
		if err := checkClass(v); err != nil {
			return nil, err
		}
		in.Class = v
	}
	if err := w.applyCommonSettings(in, p, in.EngineVersion); err != nil {
		return nil, err
	}
	if n, err := p.integer("AllocatedStorage"); err != nil {
		return nil, err
	} else if n != nil {
		if *n < b.AllocatedStorage {
			return nil, invalidValue("Invalid storage size: the restored instance needs at least %d GiB.", b.AllocatedStorage)
		}
		in.AllocatedStorage = *n
	}
	if n, err := p.integer("BackupRetentionPeriod"); err != nil {
		return nil, err
	} else if n != nil {
		if *n < 0 || *n > 35 {
			return nil, invalidValue("Invalid backup retention period: %d. It must be between 0 and 35.", *n)
		}
		in.BackupRetention = *n
	}
	if tags := p.tags(); len(tags) > 0 {
		in.Tags = tags
	}
	if w.taken(id, now) {
		return nil, errf(400, "DBInstanceAlreadyExists", "DB instance already exists")
	}
	w.Instances = append(w.Instances, in)
	w.startCreate(in, now, creation{EventID: "RDS-EVENT-0019", Message: "Restored from DB instance " + src.ID + " to " + id + ".", Restored: true, Extra: PITRReplay})
	return restorePITRResult{w.xInstance(in, now)}, nil
}

type restorePITRResult struct {
	DBInstance xInstance
}
