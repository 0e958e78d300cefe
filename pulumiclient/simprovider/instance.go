package simprovider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// instance implements aws:rds/instance:Instance.
type instance struct{ env *server }

// check fills in the auto-name: the resource name plus 7 random hex
// characters, lower-cased (@pulumi/aws names RDS instances this way, e.g.
// app5ec7032), kept from the old inputs unless the resource is replaced.
func (r instance) check(urnName string, olds, news resource.PropertyMap, seed []byte) (resource.PropertyMap, error) {
	out := news.Copy()
	if err := autoName(out, olds, "identifier", urnName, "", seed); err != nil {
		return nil, err
	}
	return out, nil
}

// sameInstanceValue holds the real provider's diff suppressions: a major
// alone ("16") matches any of its minors, and the maintenance window and
// engine are compared without case (AWS stores them lower-case).
func sameInstanceValue(f field, o, n any) bool {
	os, oks := o.(string)
	ns, nks := n.(string)
	if !oks || !nks {
		return false
	}
	switch f.name {
	case "engineVersion":
		return SameEngineVersion(os, ns)
	case "maintenanceWindow", "engine":
		return strings.EqualFold(os, ns)
	}
	return false
}

func (r instance) diff(olds, news resource.PropertyMap) []change {
	return diffInputs(instanceFields, olds, news, sameInstanceValue)
}

// SameEngineVersion reports whether the program's engine version asks for
// what runs: the same version, or a major alone ("16") that the running
// minor (16.13) belongs to, as the real provider suppresses that diff.
func SameEngineVersion(running, program string) bool {
	return running == program || (program != "" && strings.HasPrefix(running, program+"."))
}

// EngineVersionFromAWS is what the real provider records as engineVersion
// when it reads the instance: the program's value when AWS runs a minor of
// exactly that major ("16" with 16.13), otherwise what AWS runs, so
// "16.11" in the program with 16.13 in AWS shows as drift.
// A version AWS has pending (a modify waiting for the maintenance window)
// wins, as in terraform-provider-aws compareActualEngineVersion.
func EngineVersionFromAWS(program, actual, pending string) string {
	if pending != "" && pending != program {
		return pending
	}
	if actual == "" {
		return program
	}
	if program != "" && strings.HasPrefix(actual, program+".") {
		return program
	}
	return actual
}

// echoedInputs are inputs AWS does not report: the state carries them from
// the program (create, update) or from the previous state (read).
var echoedInputs = []string{"allowMajorVersionUpgrade", "applyImmediately", "finalSnapshotIdentifier",
	"skipFinalSnapshot", "snapshotIdentifier", "restoreToPointInTime", "password", "tags"}

// instanceState is the resource's state: what AWS reports about db, with
// the inputs AWS does not report carried from prior.
func instanceState(prior resource.PropertyMap, db *rdstypes.DBInstance) resource.PropertyMap {
	p := props(prior)
	st := resource.PropertyMap{}
	for _, k := range echoedInputs {
		if v, ok := p.value(k); ok {
			st[resource.PropertyKey(k)] = v
		}
	}
	if pw, ok := st["password"]; ok {
		st["password"] = resource.MakeSecret(pw)
	}
	if !p.has("skipFinalSnapshot") {
		st["skipFinalSnapshot"] = boolProp(false)
	}
	st["identifier"] = strProp(aws.ToString(db.DBInstanceIdentifier))
	st["instanceClass"] = strProp(aws.ToString(db.DBInstanceClass))
	st["allocatedStorage"] = numProp(int(aws.ToInt32(db.AllocatedStorage)))
	st["engine"] = strProp(aws.ToString(db.Engine))
	actual := aws.ToString(db.EngineVersion)
	st["engineVersionActual"] = strProp(actual)
	pending := ""
	if db.PendingModifiedValues != nil {
		pending = aws.ToString(db.PendingModifiedValues.EngineVersion)
	}
	st["engineVersion"] = strProp(EngineVersionFromAWS(p.str("engineVersion"), actual, pending))
	if len(db.DBParameterGroups) > 0 {
		st["parameterGroupName"] = strProp(aws.ToString(db.DBParameterGroups[0].DBParameterGroupName))
	}
	var sgs []string
	for _, g := range db.VpcSecurityGroups {
		sgs = append(sgs, aws.ToString(g.VpcSecurityGroupId))
	}
	st["vpcSecurityGroupIds"] = strsProp(sgs)
	if db.DBSubnetGroup != nil {
		st["dbSubnetGroupName"] = strProp(aws.ToString(db.DBSubnetGroup.DBSubnetGroupName))
	}
	if db.DBName != nil {
		st["dbName"] = strProp(aws.ToString(db.DBName))
	} else if v, ok := p.value("dbName"); ok {
		st["dbName"] = v
	}
	st["multiAz"] = boolProp(aws.ToBool(db.MultiAZ))
	st["publiclyAccessible"] = boolProp(aws.ToBool(db.PubliclyAccessible))
	st["storageEncrypted"] = boolProp(aws.ToBool(db.StorageEncrypted))
	st["storageType"] = strProp(aws.ToString(db.StorageType))
	st["username"] = strProp(aws.ToString(db.MasterUsername))
	st["backupRetentionPeriod"] = numProp(int(aws.ToInt32(db.BackupRetentionPeriod)))
	st["maintenanceWindow"] = strProp(aws.ToString(db.PreferredMaintenanceWindow))
	st["deletionProtection"] = boolProp(aws.ToBool(db.DeletionProtection))
	port := int(aws.ToInt32(db.DbInstancePort))
	if db.Endpoint != nil {
		addr := aws.ToString(db.Endpoint.Address)
		if p := int(aws.ToInt32(db.Endpoint.Port)); p != 0 {
			port = p
		}
		st["address"] = strProp(addr)
		st["hostedZoneId"] = strProp(aws.ToString(db.Endpoint.HostedZoneId))
		if addr != "" {
			st["endpoint"] = strProp(fmt.Sprintf("%s:%d", addr, port))
		}
	}
	if port != 0 {
		st["port"] = numProp(port)
	}
	st["arn"] = strProp(aws.ToString(db.DBInstanceArn))
	st["resourceId"] = strProp(aws.ToString(db.DbiResourceId))
	st["status"] = strProp(aws.ToString(db.DBInstanceStatus))
	st["availabilityZone"] = strProp(aws.ToString(db.AvailabilityZone))
	tags := fromTags(db.TagList)
	if tags == nil {
		tags = p.strMap("tags")
	}
	if tags == nil {
		tags = map[string]string{}
	}
	st["tagsAll"] = mapProp(tags)
	return st
}

// previewState is a create's or update's state in a preview: the inputs,
// with what AWS will decide unknown.
func previewState(fields []field, inputs, prior resource.PropertyMap) resource.PropertyMap {
	st := copyMap(prior)
	for k, v := range copyMap(inputs) {
		st[k] = v
	}
	for _, f := range fields {
		k := resource.PropertyKey(f.name)
		if _, ok := st[k]; !ok && (f.output || f.computed) {
			st[k] = unknownProp()
		}
	}
	if pw, ok := st["password"]; ok && !pw.IsSecret() && !pw.IsComputed() {
		st["password"] = resource.MakeSecret(pw)
	}
	return st
}

// create creates the instance, or restores it from snapshotIdentifier, and
// waits until it is available, as the real provider (terraform-provider-aws
// resourceInstanceCreate). A failure once AWS has the instance is a partial
// failure: Pulumi records the instance and fails the step.
func (r instance) create(ctx context.Context, urn string, news resource.PropertyMap) (string, resource.PropertyMap, error) {
	in := props(news)
	id := in.str("identifier")
	if id == "" {
		return "", nil, errors.New("creating RDS DB Instance: no identifier after check")
	}
	c := r.env.client()
	w := r.env.waiter()
	pt, pitr := in.pointInTime("restoreToPointInTime")
	if snap := in.str("snapshotIdentifier"); snap != "" || pitr {
		var rid string
		if pitr {
			r.env.status(ctx, urn, "restoring %s to a point in time of %s", id, firstNonEmpty(pt.SourceID, pt.SourceResourceID, pt.SourceARN))
			pin, err := pointInTimeInput(id, in, pt)
			if err != nil {
				return "", nil, fmt.Errorf("creating RDS DB Instance (restore to point-in-time) (%s): %w", id, err)
			}
			out, err := c.RestoreDBInstanceToPointInTime(ctx, pin)
			if err != nil {
				return "", nil, fmt.Errorf("creating RDS DB Instance (restore to point-in-time) (%s): %w", id, err)
			}
			rid = resourceIDOf(out.DBInstance, id)
		} else {
			r.env.status(ctx, urn, "restoring %s from snapshot %s", id, snap)
			out, err := c.RestoreDBInstanceFromDBSnapshot(ctx, restoreInput(id, in))
			if err != nil {
				return "", nil, fmt.Errorf("creating RDS DB Instance (restore from snapshot) (%s): %w", id, err)
			}
			rid = resourceIDOf(out.DBInstance, id)
		}
		db, err := w.available(ctx, c, rid, "create")
		if err != nil {
			return r.partial(news, db, err)
		}
		// What a restore cannot set is applied with a modify once the
		// instance is available (requiresModifyDbInstance).
		if mod := postRestoreModify(id, in, db); mod != nil {
			r.env.status(ctx, urn, "applying the program's settings to restored %s", id)
			if _, err := c.ModifyDBInstance(ctx, mod); err != nil {
				return r.partial(news, db, fmt.Errorf("updating RDS DB Instance (%s): %w", id, err))
			}
			if db, err = w.updated(ctx, c, rid); err != nil {
				return r.partial(news, db, err)
			}
		}
		return aws.ToString(db.DbiResourceId), instanceState(news, db), nil
	}
	for _, k := range []string{"allocatedStorage", "engine", "password", "username"} {
		if !in.has(k) {
			return "", nil, fmt.Errorf("creating RDS DB Instance (%s): %q: required field is not set", id, k)
		}
	}
	r.env.status(ctx, urn, "creating %s", id)
	out, err := c.CreateDBInstance(ctx, createInput(id, in))
	if err != nil {
		return "", nil, fmt.Errorf("creating RDS DB Instance (%s): %w", id, err)
	}
	db, err := w.available(ctx, c, resourceIDOf(out.DBInstance, id), "create")
	if err != nil {
		return r.partial(news, db, err)
	}
	return aws.ToString(db.DbiResourceId), instanceState(news, db), nil
}

// resourceIDOf is the resource id AWS gave a new instance, which the real
// provider takes as the resource's id and waits on; the identifier when
// AWS gave none.
func resourceIDOf(db *rdstypes.DBInstance, identifier string) string {
	if db != nil && aws.ToString(db.DbiResourceId) != "" {
		return aws.ToString(db.DbiResourceId)
	}
	return identifier
}

// partial reports an instance that exists but whose create failed.
func (r instance) partial(news resource.PropertyMap, db *rdstypes.DBInstance, err error) (string, resource.PropertyMap, error) {
	if db == nil || aws.ToString(db.DbiResourceId) == "" {
		return "", nil, err
	}
	id := aws.ToString(db.DbiResourceId)
	st := instanceState(news, db)
	return id, st, &initError{id: id, state: st, inputs: news, reason: err}
}

func int32p(p props, k string) *int32 {
	if n, ok := p.num(k); ok {
		v := int32(n)
		return &v
	}
	return nil
}

func strp(p props, k string) *string {
	if p.has(k) {
		return aws.String(p.str(k))
	}
	return nil
}

func boolp(p props, k string) *bool {
	if b, ok := p.boolean(k); ok {
		return &b
	}
	return nil
}

func createInput(id string, in props) *rds.CreateDBInstanceInput {
	return &rds.CreateDBInstanceInput{
		DBInstanceIdentifier:       aws.String(id),
		DBInstanceClass:            aws.String(in.str("instanceClass")),
		Engine:                     aws.String(in.str("engine")),
		EngineVersion:              strp(in, "engineVersion"),
		AllocatedStorage:           int32p(in, "allocatedStorage"),
		DBParameterGroupName:       strp(in, "parameterGroupName"),
		VpcSecurityGroupIds:        in.strs("vpcSecurityGroupIds"),
		DBSubnetGroupName:          strp(in, "dbSubnetGroupName"),
		DBName:                     strp(in, "dbName"),
		Port:                       int32p(in, "port"),
		MultiAZ:                    boolp(in, "multiAz"),
		PubliclyAccessible:         aws.Bool(orFalse(in, "publiclyAccessible")),
		StorageEncrypted:           aws.Bool(orFalse(in, "storageEncrypted")),
		StorageType:                strp(in, "storageType"),
		MasterUsername:             strp(in, "username"),
		MasterUserPassword:         strp(in, "password"),
		BackupRetentionPeriod:      int32p(in, "backupRetentionPeriod"),
		PreferredMaintenanceWindow: lower(strp(in, "maintenanceWindow")),
		DeletionProtection:         aws.Bool(orFalse(in, "deletionProtection")),
		Tags:                       toTags(in.strMap("tags")),
	}
}

func orFalse(p props, k string) bool {
	b, _ := p.boolean(k)
	return b
}

func lower(s *string) *string {
	if s == nil {
		return nil
	}
	return aws.String(strings.ToLower(*s))
}

// restoreInput is the restore call, with what RestoreDBInstanceFromDBSnapshot
// takes (terraform-provider-aws resourceInstanceCreate, snapshot_identifier).
func restoreInput(id string, in props) *rds.RestoreDBInstanceFromDBSnapshotInput {
	return &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String(id),
		DBSnapshotIdentifier: aws.String(in.str("snapshotIdentifier")),
		DBInstanceClass:      aws.String(in.str("instanceClass")),
		DeletionProtection:   aws.Bool(orFalse(in, "deletionProtection")),
		PubliclyAccessible:   aws.Bool(orFalse(in, "publiclyAccessible")),
		Tags:                 toTags(in.strMap("tags")),
		DBSubnetGroupName:    strp(in, "dbSubnetGroupName"),
		Engine:               lower(strp(in, "engine")),
		MultiAZ:              boolp(in, "multiAz"),
		DBParameterGroupName: strp(in, "parameterGroupName"),
		Port:                 int32p(in, "port"),
		VpcSecurityGroupIds:  in.strs("vpcSecurityGroupIds"),
	}
}

// pointInTimeInput is the point-in-time restore call, with the settings
// RestoreDBInstanceToPointInTime takes (terraform-provider-aws
// resourceInstanceCreate, restore_to_point_in_time); the rest follows in
// the same modify as after a snapshot restore.
func pointInTimeInput(id string, in props, pt pointInTime) (*rds.RestoreDBInstanceToPointInTimeInput, error) {
	pin := &rds.RestoreDBInstanceToPointInTimeInput{
		TargetDBInstanceIdentifier: aws.String(id),
		DBInstanceClass:            aws.String(in.str("instanceClass")),
		DeletionProtection:         aws.Bool(orFalse(in, "deletionProtection")),
		PubliclyAccessible:         aws.Bool(orFalse(in, "publiclyAccessible")),
		Tags:                       toTags(in.strMap("tags")),
		DBSubnetGroupName:          strp(in, "dbSubnetGroupName"),
		MultiAZ:                    boolp(in, "multiAz"),
		DBParameterGroupName:       strp(in, "parameterGroupName"),
		Port:                       int32p(in, "port"),
		VpcSecurityGroupIds:        in.strs("vpcSecurityGroupIds"),
		StorageType:                strp(in, "storageType"),
		Engine:                     lower(strp(in, "engine")),
	}
	switch {
	case pt.SourceID != "":
		pin.SourceDBInstanceIdentifier = aws.String(pt.SourceID)
	case pt.SourceResourceID != "":
		pin.SourceDbiResourceId = aws.String(pt.SourceResourceID)
	default:
		pin.SourceDBInstanceAutomatedBackupsArn = aws.String(pt.SourceARN)
	}
	if pt.UseLatest {
		pin.UseLatestRestorableTime = aws.Bool(true)
	} else if pt.RestoreTime != "" {
		t, err := time.Parse(time.RFC3339, pt.RestoreTime)
		if err != nil {
			return nil, fmt.Errorf("restoreTime %q: %w", pt.RestoreTime, err)
		}
		pin.RestoreTime = aws.Time(t.UTC())
	}
	return pin, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// postRestoreModify is the modify the real provider sends once a restored
// instance is available, for the settings a restore does not take:
// allocated storage, backup retention, engine version, maintenance window,
// password and storage type (terraform-provider-aws resourceInstanceCreate,
// requiresModifyDbInstance). Only values that differ from the restored
// instance are sent (the password always: it cannot be read back); nil
// when nothing differs.
func postRestoreModify(id string, in props, db *rdstypes.DBInstance) *rds.ModifyDBInstanceInput {
	m := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), ApplyImmediately: aws.Bool(true)}
	changed := false
	if n, ok := in.num("allocatedStorage"); ok && int32(n) != aws.ToInt32(db.AllocatedStorage) {
		m.AllocatedStorage, changed = aws.Int32(int32(n)), true
	}
	if n, ok := in.num("backupRetentionPeriod"); ok && int32(n) != aws.ToInt32(db.BackupRetentionPeriod) {
		m.BackupRetentionPeriod, changed = aws.Int32(int32(n)), true
	}
	if v := in.str("engineVersion"); v != "" && !SameEngineVersion(aws.ToString(db.EngineVersion), v) {
		m.EngineVersion, changed = aws.String(v), true
	}
	if v := in.str("maintenanceWindow"); v != "" && !strings.EqualFold(v, aws.ToString(db.PreferredMaintenanceWindow)) {
		m.PreferredMaintenanceWindow, changed = aws.String(strings.ToLower(v)), true
	}
	if v := in.str("storageType"); v != "" && v != aws.ToString(db.StorageType) {
		m.StorageType, changed = aws.String(v), true
	}
	if in.has("password") {
		m.MasterUserPassword, changed = aws.String(in.str("password")), true
	}
	if !changed {
		return nil
	}
	// allowMajorVersionUpgrade alone would be "No modifications were
	// requested"; it goes along with the others.
	m.AllowMajorVersionUpgrade = boolp(in, "allowMajorVersionUpgrade")
	return m
}

// read refreshes the state by the resource's id (the resource id db-…, so
// the state follows the instance through renames), as the real provider's
// Read. A gone instance returns an empty id. The inputs the program had
// follow what AWS reports, so the next preview shows the way back.
func (r instance) read(ctx context.Context, id string, state, inputs resource.PropertyMap) (string, resource.PropertyMap, resource.PropertyMap, error) {
	db, err := findInstance(ctx, r.env.client(), id)
	if err != nil || db == nil {
		return "", nil, nil, err
	}
	prior := state
	if len(prior) == 0 {
		prior = inputs // an import
	}
	st := instanceState(prior, db)
	newInputs := inputs.Copy()
	for _, f := range instanceFields {
		k := resource.PropertyKey(f.name)
		if f.output || isEchoed(f.name) {
			continue
		}
		if _, ok := newInputs[k]; ok {
			if v, ok := st[k]; ok {
				newInputs[k] = v
			}
		}
	}
	return aws.ToString(db.DbiResourceId), st, newInputs, nil
}

func isEchoed(k string) bool {
	for _, e := range echoedInputs {
		if e == k {
			return true
		}
	}
	return false
}

// update applies what changed with one ModifyDBInstance, then waits for the
// instance (terraform-provider-aws resourceInstanceUpdate). Changes AWS
// does not hold (final snapshot settings, allowMajorVersionUpgrade,
// applyImmediately, tags) only change the state.
func (r instance) update(ctx context.Context, urn, id string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
	o, n := props(olds), props(news)
	ident := o.str("identifier")
	mod := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(ident), ApplyImmediately: aws.Bool(orFalse(n, "applyImmediately"))}
	changed := false
	for _, c := range r.diff(olds, news) {
		switch c.key {
		case "instanceClass":
			mod.DBInstanceClass = aws.String(n.str(c.key))
		case "allocatedStorage":
			mod.AllocatedStorage = int32p(n, c.key)
		case "engineVersion":
			mod.EngineVersion = aws.String(n.str(c.key))
			mod.AllowMajorVersionUpgrade = aws.Bool(orFalse(n, "allowMajorVersionUpgrade"))
		case "parameterGroupName":
			mod.DBParameterGroupName = aws.String(n.str(c.key))
		case "vpcSecurityGroupIds":
			mod.VpcSecurityGroupIds = n.strs(c.key)
		case "dbSubnetGroupName":
			mod.DBSubnetGroupName = aws.String(n.str(c.key))
		case "multiAz":
			mod.MultiAZ = aws.Bool(orFalse(n, c.key))
		case "publiclyAccessible":
			mod.PubliclyAccessible = aws.Bool(orFalse(n, c.key))
		case "deletionProtection":
			mod.DeletionProtection = aws.Bool(orFalse(n, c.key))
		case "backupRetentionPeriod":
			mod.BackupRetentionPeriod = int32p(n, c.key)
		case "maintenanceWindow":
			mod.PreferredMaintenanceWindow = lower(strp(n, c.key))
		case "storageType":
			mod.StorageType = aws.String(n.str(c.key))
		case "password":
			mod.MasterUserPassword = aws.String(n.str(c.key))
		case "port":
			mod.DBPortNumber = int32p(n, c.key)
		case "identifier":
			mod.NewDBInstanceIdentifier = aws.String(n.str(c.key))
		default:
			continue // not an AWS setting
		}
		changed = true
	}
	c := r.env.client()
	if changed {
		r.env.status(ctx, urn, "modifying %s", ident)
		if _, err := c.ModifyDBInstance(ctx, mod); err != nil {
			return nil, fmt.Errorf("updating RDS DB Instance (%s): %w", ident, err)
		}
	}
	if id == "" {
		id = ident
	}
	db, err := r.env.waiter().updated(ctx, c, id)
	if err != nil {
		return nil, err
	}
	prior := news.Copy()
	if !n.has("engineVersion") {
		prior["engineVersion"] = olds["engineVersion"]
	}
	return instanceState(prior, db), nil
}

// delete deletes the instance named in the state, with the final snapshot
// the STATE asks for (finalSnapshotIdentifier, skipFinalSnapshot): for a
// replaced instance that is the old resource's state, whatever the program
// says now. A final snapshot name that exists fails the delete
// (DBSnapshotAlreadyExists), as in AWS.
func (r instance) delete(ctx context.Context, urn, id string, olds resource.PropertyMap) error {
	st := props(olds)
	ident := st.str("identifier")
	in := &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(ident), SkipFinalSnapshot: aws.Bool(orFalse(st, "skipFinalSnapshot"))}
	if !orFalse(st, "skipFinalSnapshot") {
		final := st.str("finalSnapshotIdentifier")
		if final == "" {
			return fmt.Errorf("deleting RDS DB Instance (%s): final_snapshot_identifier is required when skip_final_snapshot is false: set finalSnapshotIdentifier, or skipFinalSnapshot: true", ident)
		}
		in.FinalDBSnapshotIdentifier = aws.String(final)
	}
	c := r.env.client()
	r.env.status(ctx, urn, "deleting %s", ident)
	_, err := c.DeleteDBInstance(ctx, in)
	if errorCode(err) == "InvalidParameterCombination" && strings.Contains(err.Error(), "eletion protection") &&
		!orFalse(st, "deletionProtection") && orFalse(st, "applyImmediately") {
		// Deletion protection was turned on outside the program: the real
		// provider turns it off again, then deletes.
		if _, merr := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(ident),
			DeletionProtection: aws.Bool(false), ApplyImmediately: aws.Bool(true)}); merr != nil {
			return fmt.Errorf("updating RDS DB Instance (%s): %w", ident, merr)
		}
		if _, werr := r.env.waiter().updated(ctx, c, ident); werr != nil { // before the delete: the name is current
			return werr
		}
		_, err = c.DeleteDBInstance(ctx, in)
	}
	if isNotFound(err) {
		return nil
	}
	if err != nil && !(errorCode(err) == "InvalidDBInstanceState" && strings.Contains(err.Error(), "already being deleted")) {
		return fmt.Errorf("deleting RDS DB Instance (%s): %w", ident, err)
	}
	if id == "" {
		id = ident
	}
	return r.env.waiter().gone(ctx, c, id)
}
