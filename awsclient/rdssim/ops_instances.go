package rdssim

import (
	"slices"
	"strings"
	"time"
)

type handler func(w *World, p params, now time.Time) (any, *apiError)

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"DescribeDBInstances":                describeInstances,
		"CreateDBInstance":                   createInstance,
		"ModifyDBInstance":                   modifyInstance,
		"RebootDBInstance":                   rebootInstance,
		"DeleteDBInstance":                   deleteInstance,
		"RestoreDBInstanceFromDBSnapshot":    restoreInstance,
		"DescribeDBSnapshots":                describeSnapshots,
		"CreateDBSnapshot":                   createSnapshot,
		"DeleteDBSnapshot":                   deleteSnapshot,
		"DescribeDBEngineVersions":           describeEngineVersions,
		"DescribePendingMaintenanceActions":  describePendingMaintenance,
		"ApplyPendingMaintenanceAction":      applyPendingMaintenance,
		"DescribeEvents":                     describeEvents,
		"DescribeDBParameterGroups":          describeParameterGroups,
		"DescribeDBParameters":               describeParameters,
		"CreateDBParameterGroup":             createParameterGroup,
		"DescribeEngineDefaultParameters":    describeEngineDefaults,
		"DescribeDBLogFiles":                 describeLogFiles,
		"RestoreDBInstanceToPointInTime":     restoreToPointInTime,
		"DescribeDBInstanceAutomatedBackups": describeAutomatedBackups,
		"DownloadDBLogFilePortion":           downloadLogPortion,
		"DescribeDBSubnetGroups":             describeSubnetGroups,
	}
}

// Actions lists the RDS actions the simulator implements (STS
// GetCallerIdentity comes on top).
func Actions() []string {
	out := make([]string, 0, len(handlers))
	for a := range handlers {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

type xInstances struct {
	Items []xInstance `xml:"DBInstance"`
}

type describeInstancesResult struct {
	Marker      string `xml:",omitempty"`
	DBInstances xInstances
}

type instanceResult struct {
	DBInstance xInstance
}

// findInstance resolves an identifier, an ARN or a DbiResourceId.
func (w *World) findInstance(ref string) *Instance {
	for _, in := range w.Instances {
		if in.Hidden {
			continue
		}
		if in.ID == strings.ToLower(ref) || w.InstanceARN(in.ID) == ref || strings.EqualFold(in.ResourceID, ref) {
			return in
		}
	}
	return nil
}

// instanceRef validates and resolves the DBInstanceIdentifier parameter.
func (w *World) instanceRef(p params, name string) (*Instance, *apiError) {
	ref, err := p.required(name)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(ref, "arn:") && !strings.HasPrefix(strings.ToLower(ref), "db-") || strings.HasPrefix(strings.ToLower(ref), "db-") && len(ref) != 29 {
		if err := checkIdentifier(name, ref); err != nil {
			return nil, err
		}
	}
	in := w.findInstance(ref)
	if in == nil {
		return nil, instanceNotFound(ref)
	}
	return in, nil
}

// taken reports whether an identifier is in use or still refused.
func (w *World) taken(id string, now time.Time) bool {
	for _, in := range w.Instances {
		if in.ID == id || in.Pending.DBInstanceIdentifier == id && in.Status == "renaming" {
			return true
		}
	}
	if until, ok := w.Reserved[id]; ok {
		if now.Before(until) {
			return true
		}
		delete(w.Reserved, id)
	}
	return false
}

func describeInstances(w *World, p params, now time.Time) (any, *apiError) {
	filters, err := p.filters("db-cluster-id", "db-instance-id", "dbi-resource-id", "domain", "engine")
	if err != nil {
		return nil, err
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	var list []*Instance
	if p.str("DBInstanceIdentifier") != "" {
		in, err := w.instanceRef(p, "DBInstanceIdentifier")
		if err != nil {
			return nil, err
		}
		list = []*Instance{in}
	} else {
		for _, in := range w.Instances {
			if !in.Hidden {
				list = append(list, in)
			}
		}
	}
	list = slices.DeleteFunc(slices.Clone(list), func(in *Instance) bool {
		for _, f := range filters {
			match := false
			for _, v := range f.Values {
				switch f.Name {
				case "db-instance-id":
					match = match || in.ID == strings.ToLower(v) || w.InstanceARN(in.ID) == v
				case "dbi-resource-id":
					match = match || strings.EqualFold(in.ResourceID, v)
				case "engine":
					match = match || in.Engine == v
				}
			}
			if !match {
				return true
			}
		}
		return false
	})
	lo, hi, marker := paginate(len(list), offset, limit)
	res := describeInstancesResult{Marker: marker}
	for _, in := range list[lo:hi] {
		res.DBInstances.Items = append(res.DBInstances.Items, w.xInstance(in, now))
	}
	return res, nil
}

// checkParameterGroup resolves a parameter group for an engine version.
func (w *World) checkParameterGroup(name, version string) *apiError {
	pg := w.ParameterGroup(name)
	if pg == nil {
		return paramGroupNotFound(name)
	}
	if pg.Family != family(version) {
		return invalidCombination("The parameter group %s with DBParameterGroupFamily %s can't be used for this instance. Use a parameter group with DBParameterGroupFamily %s.", pg.Name, pg.Family, family(version))
	}
	return nil
}

func (w *World) checkSubnetGroup(name string) *apiError {
	if w.SubnetGroup(name) == nil {
		return errf(404, "DBSubnetGroupNotFoundFault", "DBSubnetGroup '%s' not found.", name)
	}
	return nil
}

func checkWindow(p params, name string) *apiError {
	if v := p.str(name); v != "" && !windowPattern.MatchString(strings.ToLower(v)) {
		return invalidValue("The parameter %s must be in the format ddd:hh24:mi-ddd:hh24:mi, e.g. mon:00:00-mon:03:00.", name)
	}
	return nil
}

// resolveVersion maps "16" or "16.13" to a catalogue version.
func (w *World) resolveVersion(engine, v string) (string, *apiError) {
	if v == "" {
		for _, ev := range w.EngineVersions {
			if ev.Engine == engine && ev.IsDefault {
				return ev.Version, nil
			}
		}
	}
	if !strings.Contains(v, ".") {
		best := ""
		for _, ev := range w.EngineVersions {
			if ev.Engine == engine && majorOf(ev.Version) == v {
				best = ev.Version
			}
		}
		if best != "" {
			return best, nil
		}
	}
	if w.EngineVersion(engine, v) == nil {
		return "", invalidValue("Cannot find version %s for %s", v, engine)
	}
	return v, nil
}

func createInstance(w *World, p params, now time.Time) (any, *apiError) {
	id, err := p.required("DBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	if err := checkIdentifier("DBInstanceIdentifier", id); err != nil {
		return nil, err
	}
	id = strings.ToLower(id)
	class, err := p.required("DBInstanceClass")
	if err != nil {
		return nil, err
	}
	if err := checkClass(class); err != nil {
		return nil, err
	}
	engine, err := p.required("Engine")
	if err != nil {
		return nil, err
	}
	if engine != DefaultEngine {
		return nil, invalidValue("Invalid DB engine: %s", engine)
	}
	version, err := w.resolveVersion(engine, p.str("EngineVersion"))
	if err != nil {
		return nil, err
	}
	user, err := p.required("MasterUsername")
	if err != nil {
		return nil, err
	}
	if ValidIdentifier(user) != nil || strings.Contains(user, "-") {
		return nil, invalidValue("MasterUsername %s cannot be used. It must begin with a letter and contain only letters and digits.", user)
	}
	manage, err := p.flag("ManageMasterUserPassword")
	if err != nil {
		return nil, err
	}
	if pw := p.v.Get("MasterUserPassword"); !manage {
		if pw == "" {
			return nil, errf(400, "MissingParameter", "The request must contain the parameter MasterUserPassword")
		}
		if len(pw) < 8 {
			return nil, invalidValue("The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.")
		}
	}
	storage, err := p.integer("AllocatedStorage")
	if err != nil {
		return nil, err
	}
	if storage == nil {
		return nil, errf(400, "MissingParameter", "The request must contain the parameter AllocatedStorage")
	}
	if *storage < 20 || *storage > 65536 {
		return nil, invalidValue("Invalid storage size for engine name postgres and storage type gp3: %d", *storage)
	}
	in := &Instance{
		ID: id, ResourceID: resourceID(w.Account, id, now.Format(time.RFC3339Nano)), Class: class,
		Engine: engine, EngineVersion: version, MasterUsername: user, DBName: p.str("DBName"),
		AllocatedStorage: *storage, StorageType: "gp3", AutoMinorUpgrade: true,
		ParameterGroup: "default." + family(version), ParameterApplyStatus: "in-sync",
		SubnetGroup: "default", OptionGroup: "default:postgres-" + majorOf(version), Port: 5432,
		AvailabilityZone: w.Region + "a", BackupRetention: 1, BackupWindow: "03:07-03:37",
		MaintenanceWindow: "sun:04:12-sun:04:42", Created: now, Tags: p.tags(),
	}
	if err := w.applyCommonSettings(in, p, version); err != nil {
		return nil, err
	}
	if p.has("BackupRetentionPeriod") {
		n, err := p.integer("BackupRetentionPeriod")
		if err != nil {
			return nil, err
		}
		if *n < 0 || *n > 35 {
			return nil, invalidValue("Invalid backup retention period: %d. It must be between 0 and 35.", *n)
		}
		in.BackupRetention = *n
	}
	if err := checkWindow(p, "PreferredMaintenanceWindow"); err != nil {
		return nil, err
	}
	if v := p.str("PreferredMaintenanceWindow"); v != "" {
		in.MaintenanceWindow = strings.ToLower(v)
	}
	if enc, err := p.boolean("StorageEncrypted"); err != nil {
		return nil, err
	} else if enc != nil {
		in.StorageEncrypted = *enc
	}
	if w.taken(id, now) {
		return nil, errf(400, "DBInstanceAlreadyExists", "DB instance already exists")
	}
	w.Instances = append(w.Instances, in)
	w.startCreate(in, now, creation{EventID: "RDS-EVENT-0005"})
	return instanceResult{w.xInstance(in, now)}, nil
}

// applyCommonSettings reads the settings Create and Restore share.
func (w *World) applyCommonSettings(in *Instance, p params, version string) *apiError {
	if v := p.str("DBSubnetGroupName"); v != "" {
		if err := w.checkSubnetGroup(v); err != nil {
			return err
		}
		in.SubnetGroup = strings.ToLower(v)
	}
	if v := p.str("DBParameterGroupName"); v != "" {
		if err := w.checkParameterGroup(v, version); err != nil {
			return err
		}
		in.ParameterGroup = w.ParameterGroup(v).Name
	}
	sgs := p.list("VpcSecurityGroupIds")
	if err := checkSecurityGroups(sgs); err != nil {
		return err
	}
	if len(sgs) > 0 {
		in.SecurityGroups = sgs
	} else {
		in.SecurityGroups = []string{w.defaultSecurityGroup(in.SubnetGroup)}
	}
	for name, dst := range map[string]*bool{
		"MultiAZ": &in.MultiAZ, "PubliclyAccessible": &in.PubliclyAccessible,
		"DeletionProtection": &in.DeletionProtection, "AutoMinorVersionUpgrade": &in.AutoMinorUpgrade,
		"CopyTagsToSnapshot": &in.CopyTagsToSnapshot,
	} {
		b, err := p.boolean(name)
		if err != nil {
			return err
		}
		if b != nil {
			*dst = *b
		}
	}
	if v := p.str("StorageType"); v != "" {
		if err := checkStorageType(v); err != nil {
			return err
		}
		in.StorageType = v
	}
	if port, err := p.integer("Port"); err != nil {
		return err
	} else if port != nil {
		if *port < 1150 || *port > 65535 {
			return invalidValue("Invalid port %d: it must be between 1150 and 65535.", *port)
		}
		in.Port = *port
	}
	if v := p.str("AvailabilityZone"); v != "" {
		if in.MultiAZ {
			return invalidCombination("Requesting a specific availability zone is not valid for Multi-AZ instances.")
		}
		in.AvailabilityZone = v
	}
	if v := p.str("OptionGroupName"); v != "" {
		in.OptionGroup = v
	}
	return nil
}

func restoreInstance(w *World, p params, now time.Time) (any, *apiError) {
	id, err := p.required("DBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	if err := checkIdentifier("DBInstanceIdentifier", id); err != nil {
		return nil, err
	}
	id = strings.ToLower(id)
	snapRef, err := p.required("DBSnapshotIdentifier")
	if err != nil {
		return nil, err
	}
	sn := w.findSnapshot(snapRef)
	if sn == nil {
		if !strings.HasPrefix(snapRef, "arn:") && !strings.HasPrefix(snapRef, "rds:") {
			if err := checkSnapshotName("DBSnapshotIdentifier", snapRef); err != nil {
				return nil, err
			}
		}
		return nil, snapshotNotFound(snapRef)
	}
	if sn.Status != "available" {
		return nil, errf(400, "InvalidDBSnapshotState", "Snapshot %s is not in the available state (it is %s).", sn.ID, sn.Status)
	}
	in := &Instance{
		ID: id, ResourceID: resourceID(w.Account, id, now.Format(time.RFC3339Nano)), Class: sn.Class,
		Engine: sn.Engine, EngineVersion: sn.EngineVersion, MasterUsername: sn.MasterUsername,
		AllocatedStorage: sn.AllocatedStorage, StorageType: "gp3", StorageEncrypted: sn.Encrypted,
		AutoMinorUpgrade: true, ParameterGroup: "default." + family(sn.EngineVersion),
		ParameterApplyStatus: "in-sync", SubnetGroup: "default",
		OptionGroup: "default:postgres-" + majorOf(sn.EngineVersion), Port: sn.Port,
		AvailabilityZone: w.Region + "b", BackupRetention: max(sn.BackupRetention, 1),
		BackupWindow: "03:07-03:37", MaintenanceWindow: "thu:22:13-thu:22:43", Created: now,
		Tags: append([]Tag(nil), sn.Tags...),
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
	if tags := p.tags(); len(tags) > 0 {
		in.Tags = tags
	}
	if w.taken(id, now) {
		return nil, errf(400, "DBInstanceAlreadyExists", "DB instance already exists")
	}
	w.Instances = append(w.Instances, in)
	w.startCreate(in, now, creation{EventID: "RDS-EVENT-0043", Message: catalogue["RDS-EVENT-0043"].Message + sn.ID, Restored: true})
	return instanceResult{w.xInstance(in, now)}, nil
}

func requireAvailable(in *Instance) *apiError {
	if in.Status != "available" {
		return errf(400, "InvalidDBInstanceState", "Database instance is not in available state (it is %s).", in.Status)
	}
	return nil
}

func modifyInstance(w *World, p params, now time.Time) (any, *apiError) {
	in, err := w.instanceRef(p, "DBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	immediate, err := p.flag("ApplyImmediately")
	if err != nil {
		return nil, err
	}
	allowMajor, err := p.flag("AllowMajorVersionUpgrade")
	if err != nil {
		return nil, err
	}
	newID := strings.ToLower(p.str("NewDBInstanceIdentifier"))
	if newID == in.ID {
		newID = ""
	}
	if p.str("NewDBInstanceIdentifier") != "" {
		if err := checkIdentifier("NewDBInstanceIdentifier", p.str("NewDBInstanceIdentifier")); err != nil {
			return nil, err
		}
	}
	target := p.str("EngineVersion")
	if target == in.EngineVersion {
		target = ""
	}
	major := false
	if target != "" {
		ev := w.EngineVersion(in.Engine, in.EngineVersion)
		var found *UpgradeTarget
		if ev != nil {
			for i := range ev.Targets {
				if ev.Targets[i].Version == target {
					found = &ev.Targets[i]
				}
			}
		}
		if w.EngineVersion(in.Engine, target) == nil {
			return nil, invalidValue("Cannot find version %s for %s", target, in.Engine)
		}
		if found == nil {
			return nil, invalidCombination("Cannot upgrade %s from %s to %s", in.Engine, in.EngineVersion, target)
		}
		major = found.Major
		if major && !allowMajor {
			return nil, invalidCombination("The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.")
		}
	}
	if newID != "" && target != "" {
		return nil, invalidCombination("You can't rename a DB instance and change its engine version in the same request.")
	}
	versionAfter := in.EngineVersion
	if target != "" {
		versionAfter = target
	}
	pgName := ""
	if v := p.str("DBParameterGroupName"); v != "" && !strings.EqualFold(v, in.ParameterGroup) {
		if err := w.checkParameterGroup(v, versionAfter); err != nil {
			return nil, err
		}
		pgName = w.ParameterGroup(v).Name
	}
	// A major upgrade needs a parameter group of the target family. RDS
	// moves a default group along by itself; a custom one must be replaced
	// in the same request.
	upgradeGroup := ""
	if major {
		switch {
		case pgName != "":
			upgradeGroup = pgName
		case strings.HasPrefix(in.ParameterGroup, "default."):
			upgradeGroup = "default." + family(target)
		default:
			return nil, invalidCombination("The current DB parameter group %s is custom. You must explicitly specify a new DB parameter group, either default or custom, for the engine version upgrade.", in.ParameterGroup)
		}
	}
	sgs := p.list("VpcSecurityGroupIds")
	if err := checkSecurityGroups(sgs); err != nil {
		return nil, err
	}
	if v := p.str("DBSubnetGroupName"); v != "" {
		if err := w.checkSubnetGroup(v); err != nil {
			return nil, err
		}
	}
	class := p.str("DBInstanceClass")
	if class != "" {
		if err := checkClass(class); err != nil {
			return nil, err
		}
		if class == in.Class {
			class = ""
		}
	}
	multiAZ, err := p.boolean("MultiAZ")
	if err != nil {
		return nil, err
	}
	if multiAZ != nil && *multiAZ == in.MultiAZ {
		multiAZ = nil
	}
	storage, err := p.integer("AllocatedStorage")
	if err != nil {
		return nil, err
	}
	if storage != nil {
		if *storage < in.AllocatedStorage {
			return nil, invalidValue("Invalid storage size: you can't reduce allocated storage from %d to %d GiB.", in.AllocatedStorage, *storage)
		}
		if *storage == in.AllocatedStorage {
			storage = nil
		}
	}
	if v := p.str("StorageType"); v != "" {
		if err := checkStorageType(v); err != nil {
			return nil, err
		}
	}
	retention, err := p.integer("BackupRetentionPeriod")
	if err != nil {
		return nil, err
	}
	if retention != nil && (*retention < 0 || *retention > 35) {
		return nil, invalidValue("Invalid backup retention period: %d. It must be between 0 and 35.", *retention)
	}
	if err := checkWindow(p, "PreferredMaintenanceWindow"); err != nil {
		return nil, err
	}
	bools := map[string]*bool{}
	for _, name := range []string{"PubliclyAccessible", "DeletionProtection", "AutoMinorVersionUpgrade", "CopyTagsToSnapshot"} {
		b, err := p.boolean(name)
		if err != nil {
			return nil, err
		}
		bools[name] = b
	}
	if err := requireAvailable(in); err != nil {
		return nil, err
	}
	if newID != "" && w.taken(newID, now) {
		return nil, errf(400, "DBInstanceAlreadyExists", "DB instance already exists")
	}

	// Settings that apply at once whatever ApplyImmediately says.
	quick := false
	if len(sgs) > 0 && !slices.Equal(sgs, in.SecurityGroups) {
		in.SecurityGroups = sgs
		quick = true
	}
	if pgName != "" && !(major && immediate) {
		in.ParameterGroup = pgName
		in.ParameterApplyStatus = "applying"
		w.schedule(in, now, QuickModify, tParams, "pending-reboot", "RDS-EVENT-0011", catalogue["RDS-EVENT-0011"].Message+pgName)
		quick = true
	}
	if v := p.str("DBSubnetGroupName"); v != "" && !strings.EqualFold(v, in.SubnetGroup) {
		in.SubnetGroup = strings.ToLower(v)
		quick = true
	}
	if v := strings.ToLower(p.str("PreferredMaintenanceWindow")); v != "" && v != in.MaintenanceWindow {
		in.MaintenanceWindow = v
	}
	for name, b := range bools {
		if b == nil {
			continue
		}
		switch name {
		case "PubliclyAccessible":
			quick = quick || in.PubliclyAccessible != *b
			in.PubliclyAccessible = *b
		case "DeletionProtection":
			in.DeletionProtection = *b
		case "AutoMinorVersionUpgrade":
			in.AutoMinorUpgrade = *b
		case "CopyTagsToSnapshot":
			in.CopyTagsToSnapshot = *b
		}
	}
	if p.v.Get("MasterUserPassword") != "" {
		if len(p.v.Get("MasterUserPassword")) < 8 {
			return nil, invalidValue("The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.")
		}
		in.Pending.MasterUserPassword = true
		w.schedule(in, now, QuickModify, tClear, "", "", "")
		quick = true
	}

	// Settings that wait for the maintenance window unless ApplyImmediately.
	slow := false
	if class != "" {
		in.Pending.DBInstanceClass = class
		slow = true
	}
	if multiAZ != nil {
		in.Pending.MultiAZ = multiAZ
		slow = true
	}
	if storage != nil {
		in.Pending.AllocatedStorage = *storage
		slow = true
	}
	if v := p.str("StorageType"); v != "" && v != in.StorageType {
		in.Pending.StorageType = v
		slow = true
	}
	if retention != nil && *retention != in.BackupRetention {
		if immediate {
			in.BackupRetention = *retention
			quick = true
		} else {
			in.Pending.BackupRetention = retention
		}
	}
	if newID != "" {
		in.Pending.DBInstanceIdentifier = newID
	}
	if target != "" {
		in.Pending.EngineVersion = target
	}
	if !immediate {
		if quick {
			in.Status = "modifying"
			w.schedule(in, now, QuickModify, tStatus, "available", "", "")
		}
		return instanceResult{w.xInstance(in, now)}, nil
	}

	switch {
	case newID != "":
		w.logShutdown(in, w.later(now, RenameGapStart))
		w.logStartup(in, w.later(now, RenameDone-20*time.Second), in.EngineVersion)
		in.Status = "renaming"
		in.EndpointUp = false
		w.schedule(in, now, RenameGapStart, tHide, "", "", "")
		w.schedule(in, now, RenameSwitch, tRename, newID, "", "Renamed instance from "+in.ID+" to "+newID+".")
		w.schedule(in, now, RenameSwitch, tStatus, "rebooting", "", "")
		if pgName != "" {
			w.schedule(in, now, RenameDone, tParams, "in-sync", "", "")
		}
		if slow {
			w.schedule(in, now, RenameDone, tApply, "", "", "")
		}
		w.schedule(in, now, RenameDone, tEndpoint, "on", "", "")
		w.schedule(in, now, RenameDone, tStatus, "available", "RDS-EVENT-0006", "")
	case target != "":
		w.startUpgrade(in, now, target, major, upgradeGroup)
	case slow:
		in.Status = "modifying"
		if class != "" {
			w.schedule(in, now, 0, tStatus, "modifying", "RDS-EVENT-0012", "")
		}
		if multiAZ != nil && *multiAZ {
			w.schedule(in, now, 0, tStatus, "modifying", "RDS-EVENT-0024", "")
		} else if multiAZ != nil {
			w.schedule(in, now, 0, tStatus, "modifying", "RDS-EVENT-0028", "")
		}
		w.schedule(in, now, SlowModify, tApply, "", "", "")
		if class != "" {
			w.schedule(in, now, SlowModify, tStatus, "modifying", "RDS-EVENT-0014", "")
		}
		if multiAZ != nil && *multiAZ {
			w.schedule(in, now, SlowModify, tStatus, "modifying", "RDS-EVENT-0025", "")
		} else if multiAZ != nil {
			w.schedule(in, now, SlowModify, tStatus, "modifying", "RDS-EVENT-0029", "")
		}
		w.schedule(in, now, SlowModify, tStatus, "available", "", "")
	case quick:
		in.Status = "modifying"
		w.schedule(in, now, QuickModify, tStatus, "available", "", "")
	}
	slices.SortStableFunc(in.Transitions, func(a, b Transition) int { return a.At.Compare(b.At) })
	return instanceResult{w.xInstance(in, now)}, nil
}

// startUpgrade schedules an engine upgrade: about 10 minutes, with 3 minutes
// of downtime after the pre-check. Pending maintenance makes the pre-check
// fail (RDS-EVENT-0158): the instance still goes down and comes back, on its
// old version.
//
// A major upgrade also moves the instance to group (of the target family)
// when the new version comes up; the restart leaves it in-sync.
func (w *World) startUpgrade(in *Instance, now time.Time, target string, major bool, group string) {
	in.Status = "upgrading"
	in.Pending.EngineVersion = target
	w.schedule(in, now, 0, tStatus, "upgrading", "RDS-EVENT-0264", "")
	down := w.later(now, UpgradePrecheck)
	if len(in.Maintenance) > 0 {
		// The pre-check fails; the instance still restarts, on its old version.
		var pending []string
		for _, m := range in.Maintenance {
			pending = append(pending, m.Action+" ("+m.Description+")")
		}
		w.logUpgradeRefused(in, now, down, target, []string{
			"The DB instance has pending maintenance that must be completed before a major version upgrade: " + strings.Join(pending, ", ") + ".",
			"Postgres cluster is in a state where pg_upgrade can not be completed successfully.",
		})
		w.logShutdown(in, w.later(down, 30*time.Second))
		w.logStartup(in, w.later(down, 30*time.Second+UpgradeDowntime-20*time.Second), in.EngineVersion)
		w.schedule(in, now, UpgradePrecheck, tStatus, "upgrading", "RDS-EVENT-0158",
			catalogue["RDS-EVENT-0158"].Message+"Postgres cluster is in a state where pg_upgrade can not be completed successfully.")
		w.schedule(in, now, UpgradePrecheck+30*time.Second, tStatus, "upgrading", "RDS-EVENT-0266", "")
		w.schedule(in, now, UpgradePrecheck+30*time.Second+UpgradeDowntime, tStatus, "upgrading", "RDS-EVENT-0006", "")
		w.schedule(in, now, UpgradeDuration, tClear, "", "", "")
		w.schedule(in, now, UpgradeDuration, tStatus, "available", "", "")
		return
	}
	w.logShutdown(in, down)
	w.logStartup(in, w.later(down, UpgradeDowntime-20*time.Second), target)
	w.schedule(in, now, UpgradePrecheck, tStatus, "upgrading", "RDS-EVENT-0265", "")
	w.schedule(in, now, UpgradePrecheck, tStatus, "upgrading", "RDS-EVENT-0266", "")
	w.schedule(in, now, UpgradePrecheck, tStatus, "upgrading", "RDS-EVENT-0267", "")
	w.schedule(in, now, UpgradePrecheck+UpgradeDowntime, tVersion, target, "RDS-EVENT-0268", "")
	if group != "" && group != in.ParameterGroup {
		w.schedule(in, now, UpgradePrecheck+UpgradeDowntime, tGroup, group, "RDS-EVENT-0011", catalogue["RDS-EVENT-0011"].Message+group)
	}
	if major {
		w.schedule(in, now, UpgradePrecheck+UpgradeDowntime, tStatus, "upgrading", "RDS-EVENT-0269", "")
	}
	w.schedule(in, now, UpgradeDuration, tStatus, "available", "RDS-EVENT-0047", "")
}

func rebootInstance(w *World, p params, now time.Time) (any, *apiError) {
	in, err := w.instanceRef(p, "DBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	failover, err := p.flag("ForceFailover")
	if err != nil {
		return nil, err
	}
	if failover && !in.MultiAZ {
		return nil, invalidCombination("ForceFailover is only valid for Multi-AZ DB instances.")
	}
	if in.Status != "available" && in.Status != "incompatible-parameters" {
		return nil, errf(400, "InvalidDBInstanceState", "Database instance is not in available state (it is %s).", in.Status)
	}
	in.Status = "rebooting"
	w.logShutdown(in, now)
	w.logStartup(in, w.later(now, RebootDuration-20*time.Second), in.EngineVersion)
	w.schedule(in, now, RebootDuration, tParams, "in-sync", "", "")
	w.schedule(in, now, RebootDuration, tStatus, "available", "RDS-EVENT-0006", "")
	return instanceResult{w.xInstance(in, now)}, nil
}

func deleteInstance(w *World, p params, now time.Time) (any, *apiError) {
	in, err := w.instanceRef(p, "DBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	skip, err := p.flag("SkipFinalSnapshot")
	if err != nil {
		return nil, err
	}
	final := p.str("FinalDBSnapshotIdentifier")
	deleteAutomated := true
	if b, err := p.boolean("DeleteAutomatedBackups"); err != nil {
		return nil, err
	} else if b != nil {
		deleteAutomated = *b
	}
	switch {
	case skip && final != "":
		return nil, invalidCombination("Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.")
	case !skip && final == "":
		return nil, invalidCombination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
	}
	if final != "" {
		if err := checkSnapshotName("FinalDBSnapshotIdentifier", final); err != nil {
			return nil, err
		}
		final = strings.ToLower(final)
	}
	if in.DeletionProtection {
		return nil, invalidValue("Cannot delete protected DB Instance, please disable deletion protection and try again.")
	}
	if in.Status == "deleting" {
		return nil, errf(400, "InvalidDBInstanceState", "Instance %s is already being deleted.", in.ID)
	}
	if final != "" {
		switch in.Status {
		case "available", "backing-up", "incompatible-parameters", "storage-full", "stopped":
		default:
			return nil, errf(400, "InvalidDBInstanceState", "Cannot create a snapshot because the database instance %s is not currently in the available state.", in.ID)
		}
		if w.Snapshot(final) != nil {
			return nil, errf(400, "DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the identifier %s already exists.", final)
		}
	}
	in.Status = "deleting"
	in.Transitions = nil
	in.DeleteAutomated = deleteAutomated
	gone := w.later(now, DeleteNoSnapshot)
	if final != "" {
		sn := w.snapshotOf(in, final, "manual", now)
		sn.Status = "creating"
		sn.Ready = w.later(now, SnapshotDuration)
		w.Snapshots = append(w.Snapshots, sn)
		w.snapshotEvent(sn, now, "RDS-EVENT-0040")
		gone = w.later(sn.Ready, DeleteDelay)
	}
	w.schedule(in, gone, 0, tRemove, "", "RDS-EVENT-0003", "")
	return instanceResult{w.xInstance(in, now)}, nil
}
