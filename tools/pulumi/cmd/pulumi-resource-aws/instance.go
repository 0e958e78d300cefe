package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Instance is aws:rds/instance:Instance.
type Instance struct{}

// Annotate sets the real provider's type token.
func (*Instance) Annotate(a infer.Annotator) {
	a.SetToken("rds/instance", "Instance")
	a.Describe(&Instance{}, "An RDS DB instance (datalayer test provider, backed by the RDS simulator).")
}

// InstanceArgs are the inputs, named as in @pulumi/aws.
type InstanceArgs struct {
	Identifier               *string           `pulumi:"identifier,optional"`
	InstanceClass            string            `pulumi:"instanceClass"`
	AllocatedStorage         *int              `pulumi:"allocatedStorage,optional"`
	Engine                   *string           `pulumi:"engine,optional"`
	EngineVersion            *string           `pulumi:"engineVersion,optional"`
	ParameterGroupName       *string           `pulumi:"parameterGroupName,optional"`
	VpcSecurityGroupIDs      []string          `pulumi:"vpcSecurityGroupIds,optional"`
	DbSubnetGroupName        *string           `pulumi:"dbSubnetGroupName,optional"`
	DbName                   *string           `pulumi:"dbName,optional"`
	Port                     *int              `pulumi:"port,optional"`
	MultiAz                  *bool             `pulumi:"multiAz,optional"`
	PubliclyAccessible       *bool             `pulumi:"publiclyAccessible,optional"`
	StorageEncrypted         *bool             `pulumi:"storageEncrypted,optional"`
	StorageType              *string           `pulumi:"storageType,optional"`
	Username                 *string           `pulumi:"username,optional"`
	Password                 *string           `pulumi:"password,optional" provider:"secret"`
	SkipFinalSnapshot        *bool             `pulumi:"skipFinalSnapshot,optional"`
	FinalSnapshotIdentifier  *string           `pulumi:"finalSnapshotIdentifier,optional"`
	SnapshotIdentifier       *string           `pulumi:"snapshotIdentifier,optional"`
	BackupRetentionPeriod    *int              `pulumi:"backupRetentionPeriod,optional"`
	MaintenanceWindow        *string           `pulumi:"maintenanceWindow,optional"`
	ApplyImmediately         *bool             `pulumi:"applyImmediately,optional"`
	AllowMajorVersionUpgrade *bool             `pulumi:"allowMajorVersionUpgrade,optional"`
	DeletionProtection       *bool             `pulumi:"deletionProtection,optional"`
	Tags                     map[string]string `pulumi:"tags,optional"`
}

// InstanceState is the checkpointed state: the inputs as AWS reports them,
// plus the outputs the real provider computes.
type InstanceState struct {
	InstanceArgs
	Address             string            `pulumi:"address"`
	Endpoint            string            `pulumi:"endpoint"`
	Arn                 string            `pulumi:"arn"`
	ResourceID          string            `pulumi:"resourceId"`
	Status              string            `pulumi:"status"`
	EngineVersionActual string            `pulumi:"engineVersionActual"`
	AvailabilityZone    string            `pulumi:"availabilityZone"`
	HostedZoneID        string            `pulumi:"hostedZoneId"`
	TagsAll             map[string]string `pulumi:"tagsAll,optional"`
}

// replaceKeys are the inputs whose change forces a replacement.
var replaceKeys = map[string]bool{"snapshotIdentifier": true, "identifier": true}

// Create creates the instance, or restores it from snapshotIdentifier, and
// waits for it to be available.
func (*Instance) Create(ctx context.Context, req infer.CreateRequest[InstanceArgs]) (infer.CreateResponse[InstanceState], error) {
	in := req.Inputs
	id := aws.ToString(in.Identifier)
	if req.DryRun {
		st := InstanceState{InstanceArgs: in}
		return infer.CreateResponse[InstanceState]{Output: st}, nil
	}
	if id == "" {
		n, err := autoName(req.Name)
		if err != nil {
			return infer.CreateResponse[InstanceState]{}, err
		}
		id = n
	}
	c, err := newRDSClient(ctx)
	if err != nil {
		return infer.CreateResponse[InstanceState]{}, err
	}
	log := p.GetLogger(ctx)
	if snap := aws.ToString(in.SnapshotIdentifier); snap != "" {
		log.InfoStatusf("restoring %s from snapshot %s", id, snap)
		if _, err := c.RestoreDBInstanceFromDBSnapshot(ctx, restoreInput(id, in)); err != nil {
			return infer.CreateResponse[InstanceState]{}, fmt.Errorf("restore %s from snapshot %s: %w", id, snap, err)
		}
		if _, err := waitAvailable(ctx, c, id); err != nil {
			return infer.CreateResponse[InstanceState]{}, err
		}
		// As the AWS provider does: what a restore cannot set is applied
		// with a modify afterwards.
		if mod := postRestoreModify(id, in); mod != nil {
			log.InfoStatusf("applying settings to restored %s", id)
			if _, err := c.ModifyDBInstance(ctx, mod); err != nil {
				return infer.CreateResponse[InstanceState]{}, fmt.Errorf("modify restored instance %s: %w", id, err)
			}
		}
	} else {
		log.InfoStatusf("creating %s", id)
		if _, err := c.CreateDBInstance(ctx, createInput(id, in)); err != nil {
			return infer.CreateResponse[InstanceState]{}, fmt.Errorf("create instance %s: %w", id, err)
		}
	}
	db, err := waitAvailable(ctx, c, id)
	if err != nil {
		return infer.CreateResponse[InstanceState]{}, err
	}
	st := stateFrom(in, db)
	return infer.CreateResponse[InstanceState]{ID: st.ResourceID, Output: st}, nil
}

func createInput(id string, in InstanceArgs) *rds.CreateDBInstanceInput {
	return &rds.CreateDBInstanceInput{
		DBInstanceIdentifier:       aws.String(id),
		DBInstanceClass:            aws.String(in.InstanceClass),
		Engine:                     aws.String(orDefault(in.Engine, "postgres")),
		EngineVersion:              in.EngineVersion,
		AllocatedStorage:           int32p(in.AllocatedStorage),
		DBParameterGroupName:       in.ParameterGroupName,
		VpcSecurityGroupIds:        in.VpcSecurityGroupIDs,
		DBSubnetGroupName:          in.DbSubnetGroupName,
		DBName:                     in.DbName,
		Port:                       int32p(in.Port),
		MultiAZ:                    in.MultiAz,
		PubliclyAccessible:         in.PubliclyAccessible,
		StorageEncrypted:           in.StorageEncrypted,
		StorageType:                in.StorageType,
		MasterUsername:             in.Username,
		MasterUserPassword:         in.Password,
		BackupRetentionPeriod:      int32p(in.BackupRetentionPeriod),
		PreferredMaintenanceWindow: lowerp(in.MaintenanceWindow),
		DeletionProtection:         in.DeletionProtection,
		Tags:                       toTags(in.Tags),
	}
}

func restoreInput(id string, in InstanceArgs) *rds.RestoreDBInstanceFromDBSnapshotInput {
	return &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String(id),
		DBSnapshotIdentifier: in.SnapshotIdentifier,
		DBInstanceClass:      aws.String(in.InstanceClass),
		DBParameterGroupName: in.ParameterGroupName,
		VpcSecurityGroupIds:  in.VpcSecurityGroupIDs,
		DBSubnetGroupName:    in.DbSubnetGroupName,
		Port:                 int32p(in.Port),
		MultiAZ:              in.MultiAz,
		PubliclyAccessible:   in.PubliclyAccessible,
		StorageType:          in.StorageType,
		DeletionProtection:   in.DeletionProtection,
		Tags:                 toTags(in.Tags),
	}
}

// postRestoreModify is the modify the AWS provider issues after a restore
// for settings a restore does not take (nil when there are none).
func postRestoreModify(id string, in InstanceArgs) *rds.ModifyDBInstanceInput {
	m := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), ApplyImmediately: aws.Bool(true)}
	any := false
	if in.Password != nil {
		m.MasterUserPassword, any = in.Password, true
	}
	if in.BackupRetentionPeriod != nil {
		m.BackupRetentionPeriod, any = int32p(in.BackupRetentionPeriod), true
	}
	if in.MaintenanceWindow != nil {
		m.PreferredMaintenanceWindow, any = lowerp(in.MaintenanceWindow), true
	}
	if in.AllocatedStorage != nil {
		m.AllocatedStorage, any = int32p(in.AllocatedStorage), true
	}
	if in.EngineVersion != nil {
		m.EngineVersion, any = in.EngineVersion, true
		m.AllowMajorVersionUpgrade = in.AllowMajorVersionUpgrade
	}
	if !any {
		return nil
	}
	return m
}

// Read refreshes the state from DescribeDBInstances, so refresh shows drift.
func (*Instance) Read(ctx context.Context, req infer.ReadRequest[InstanceArgs, InstanceState]) (infer.ReadResponse[InstanceArgs, InstanceState], error) {
	c, err := newRDSClient(ctx)
	if err != nil {
		return infer.ReadResponse[InstanceArgs, InstanceState]{}, err
	}
	ident := aws.ToString(req.State.Identifier)
	rid := req.State.ResourceID
	if rid == "" && strings.HasPrefix(req.ID, "db-") {
		rid = req.ID
	}
	if ident == "" && !strings.HasPrefix(req.ID, "db-") {
		ident = req.ID // import by identifier
	}
	db, err := findInstance(ctx, c, ident, rid)
	if err != nil {
		return infer.ReadResponse[InstanceArgs, InstanceState]{}, err
	}
	if db == nil {
		return infer.ReadResponse[InstanceArgs, InstanceState]{}, nil // gone
	}
	st := stateFrom(req.State.InstanceArgs, db)
	inputs := req.Inputs
	observed := st.InstanceArgs
	// Inputs follow what AWS reports for the settings it reports, so a
	// later preview shows the way back to the program's values.
	inputs.InstanceClass = observed.InstanceClass
	inputs.AllocatedStorage = observed.AllocatedStorage
	inputs.EngineVersion = keepIfSet(inputs.EngineVersion, observed.EngineVersion)
	inputs.ParameterGroupName = keepIfSet(inputs.ParameterGroupName, observed.ParameterGroupName)
	if inputs.VpcSecurityGroupIDs != nil {
		inputs.VpcSecurityGroupIDs = observed.VpcSecurityGroupIDs
	}
	inputs.MultiAz = keepIfSetBool(inputs.MultiAz, observed.MultiAz)
	inputs.PubliclyAccessible = keepIfSetBool(inputs.PubliclyAccessible, observed.PubliclyAccessible)
	inputs.DeletionProtection = keepIfSetBool(inputs.DeletionProtection, observed.DeletionProtection)
	inputs.BackupRetentionPeriod = keepIfSetInt(inputs.BackupRetentionPeriod, observed.BackupRetentionPeriod)
	if inputs.Identifier != nil {
		inputs.Identifier = observed.Identifier
	}
	return infer.ReadResponse[InstanceArgs, InstanceState]{ID: st.ResourceID, Inputs: inputs, State: st}, nil
}

func keepIfSet(in, observed *string) *string {
	if in == nil {
		return nil
	}
	return observed
}

func keepIfSetBool(in, observed *bool) *bool {
	if in == nil {
		return nil
	}
	return observed
}

func keepIfSetInt(in, observed *int) *int {
	if in == nil {
		return nil
	}
	return observed
}

// Diff compares the program's inputs with the state: snapshotIdentifier
// (and identifier when the program sets it) force a replacement; other
// changes are updates in place.
func (*Instance) Diff(_ context.Context, req infer.DiffRequest[InstanceArgs, InstanceState]) (infer.DiffResponse, error) {
	return diffInstance(req.State.InstanceArgs, req.Inputs), nil
}

// diffInstance is the pure part of Diff.
func diffInstance(old, news InstanceArgs) p.DiffResponse {
	resp := p.DiffResponse{DetailedDiff: map[string]p.PropertyDiff{}}
	ov, nv := reflect.ValueOf(old), reflect.ValueOf(news)
	t := ov.Type()
	replace := false
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("pulumi"), ",")
		o, n := ov.Field(i), nv.Field(i)
		if name == "identifier" && n.IsNil() {
			continue // auto-named: the state's name is not an input
		}
		if name == "engineVersion" && sameEngineVersion(o, n) {
			continue
		}
		if reflect.DeepEqual(o.Interface(), n.Interface()) || (isEmpty(o) && isEmpty(n)) {
			continue
		}
		kind := p.Update
		switch {
		case isEmpty(o):
			kind = p.Add
		case isEmpty(n):
			kind = p.Delete
		}
		if replaceKeys[name] {
			replace = true
			switch kind {
			case p.Add:
				kind = p.AddReplace
			case p.Delete:
				kind = p.DeleteReplace
			default:
				kind = p.UpdateReplace
			}
		}
		resp.DetailedDiff[name] = p.PropertyDiff{Kind: kind, InputDiff: true}
	}
	resp.HasChanges = len(resp.DetailedDiff) > 0
	// A fixed identifier cannot exist twice, so it must go first.
	resp.DeleteBeforeReplace = replace && news.Identifier != nil
	return resp
}

// sameEngineVersion treats "16" and "16.13" as the same, as the AWS provider
// does for a major-only engineVersion.
func sameEngineVersion(o, n reflect.Value) bool {
	if o.IsNil() || n.IsNil() {
		return false
	}
	ov, nv := o.Elem().String(), n.Elem().String()
	return ov == nv || strings.HasPrefix(ov, nv+".")
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return v.IsNil() || (v.Kind() != reflect.Pointer && v.Len() == 0)
	case reflect.String:
		return v.Len() == 0
	}
	return false
}

// Update applies changes with ModifyDBInstance and waits for available.
func (*Instance) Update(ctx context.Context, req infer.UpdateRequest[InstanceArgs, InstanceState]) (infer.UpdateResponse[InstanceState], error) {
	in, old := req.Inputs, req.State
	if req.DryRun {
		st := old
		st.InstanceArgs = in
		st.Identifier = old.Identifier
		return infer.UpdateResponse[InstanceState]{Output: st}, nil
	}
	ident := aws.ToString(old.Identifier)
	mod, changed := modifyInput(ident, old.InstanceArgs, in)
	c, err := newRDSClient(ctx)
	if err != nil {
		return infer.UpdateResponse[InstanceState]{}, err
	}
	if changed {
		p.GetLogger(ctx).InfoStatusf("modifying %s", ident)
		if _, err := c.ModifyDBInstance(ctx, mod); err != nil {
			return infer.UpdateResponse[InstanceState]{}, fmt.Errorf("modify instance %s: %w", ident, err)
		}
	}
	if mod.NewDBInstanceIdentifier != nil {
		ident = *mod.NewDBInstanceIdentifier
	}
	db, err := waitAvailable(ctx, c, ident)
	if err != nil {
		return infer.UpdateResponse[InstanceState]{}, err
	}
	return infer.UpdateResponse[InstanceState]{Output: stateFrom(in, db)}, nil
}

// modifyInput builds the ModifyDBInstance call for what changed.
func modifyInput(ident string, old, in InstanceArgs) (*rds.ModifyDBInstanceInput, bool) {
	m := &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(ident),
		ApplyImmediately:     in.ApplyImmediately,
	}
	changed := false
	if in.InstanceClass != old.InstanceClass {
		m.DBInstanceClass, changed = aws.String(in.InstanceClass), true
	}
	if in.AllocatedStorage != nil && !reflect.DeepEqual(in.AllocatedStorage, old.AllocatedStorage) {
		m.AllocatedStorage, changed = int32p(in.AllocatedStorage), true
	}
	if in.EngineVersion != nil && (old.EngineVersion == nil ||
		!sameEngineVersion(reflect.ValueOf(old.EngineVersion), reflect.ValueOf(in.EngineVersion))) {
		m.EngineVersion, changed = in.EngineVersion, true
		m.AllowMajorVersionUpgrade = in.AllowMajorVersionUpgrade
	}
	if in.ParameterGroupName != nil && aws.ToString(in.ParameterGroupName) != aws.ToString(old.ParameterGroupName) {
		m.DBParameterGroupName, changed = in.ParameterGroupName, true
	}
	if in.VpcSecurityGroupIDs != nil && !reflect.DeepEqual(in.VpcSecurityGroupIDs, old.VpcSecurityGroupIDs) {
		m.VpcSecurityGroupIds, changed = in.VpcSecurityGroupIDs, true
	}
	if in.MultiAz != nil && aws.ToBool(in.MultiAz) != aws.ToBool(old.MultiAz) {
		m.MultiAZ, changed = in.MultiAz, true
	}
	if in.PubliclyAccessible != nil && aws.ToBool(in.PubliclyAccessible) != aws.ToBool(old.PubliclyAccessible) {
		m.PubliclyAccessible, changed = in.PubliclyAccessible, true
	}
	if in.DeletionProtection != nil && aws.ToBool(in.DeletionProtection) != aws.ToBool(old.DeletionProtection) {
		m.DeletionProtection, changed = in.DeletionProtection, true
	}
	if in.BackupRetentionPeriod != nil && !reflect.DeepEqual(in.BackupRetentionPeriod, old.BackupRetentionPeriod) {
		m.BackupRetentionPeriod, changed = int32p(in.BackupRetentionPeriod), true
	}
	if in.MaintenanceWindow != nil && !strings.EqualFold(aws.ToString(in.MaintenanceWindow), aws.ToString(old.MaintenanceWindow)) {
		m.PreferredMaintenanceWindow, changed = lowerp(in.MaintenanceWindow), true
	}
	if in.StorageType != nil && aws.ToString(in.StorageType) != aws.ToString(old.StorageType) {
		m.StorageType, changed = in.StorageType, true
	}
	if in.Password != nil && aws.ToString(in.Password) != aws.ToString(old.Password) {
		m.MasterUserPassword, changed = in.Password, true
	}
	return m, changed
}

// Delete deletes the instance, taking the final snapshot unless
// skipFinalSnapshot, and waits until it is gone. A final snapshot name that
// already exists fails the delete, as in AWS.
func (*Instance) Delete(ctx context.Context, req infer.DeleteRequest[InstanceState]) (infer.DeleteResponse, error) {
	st := req.State
	ident := aws.ToString(st.Identifier)
	c, err := newRDSClient(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	db, err := findInstance(ctx, c, ident, st.ResourceID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if db == nil {
		return infer.DeleteResponse{}, nil // already gone
	}
	ident = aws.ToString(db.DBInstanceIdentifier)
	in := &rds.DeleteDBInstanceInput{
		DBInstanceIdentifier: aws.String(ident),
		SkipFinalSnapshot:    aws.Bool(aws.ToBool(st.SkipFinalSnapshot)),
	}
	if !aws.ToBool(st.SkipFinalSnapshot) {
		final := aws.ToString(st.FinalSnapshotIdentifier)
		if final == "" {
			return infer.DeleteResponse{}, fmt.Errorf("delete instance %s: skipFinalSnapshot is false but no finalSnapshotIdentifier is set: set one, or skipFinalSnapshot: true", ident)
		}
		in.FinalDBSnapshotIdentifier = aws.String(final)
	}
	p.GetLogger(ctx).InfoStatusf("deleting %s", ident)
	if _, err := c.DeleteDBInstance(ctx, in); err != nil {
		if isNotFound(err) {
			return infer.DeleteResponse{}, nil
		}
		return infer.DeleteResponse{}, fmt.Errorf("delete instance %s: %w", ident, err)
	}
	if err := waitGone(ctx, c, ident); err != nil {
		return infer.DeleteResponse{}, err
	}
	return infer.DeleteResponse{}, nil
}

// stateFrom builds the state from the program's inputs and what AWS says.
func stateFrom(in InstanceArgs, db *rdstypes.DBInstance) InstanceState {
	st := InstanceState{InstanceArgs: in}
	st.Identifier = db.DBInstanceIdentifier
	st.InstanceClass = aws.ToString(db.DBInstanceClass)
	st.AllocatedStorage = intp(db.AllocatedStorage)
	st.Engine = db.Engine
	actual := aws.ToString(db.EngineVersion)
	st.EngineVersionActual = actual
	st.EngineVersion = engineVersionFromAWS(in.EngineVersion, actual)
	if len(db.DBParameterGroups) > 0 {
		st.ParameterGroupName = db.DBParameterGroups[0].DBParameterGroupName
	}
	var sgs []string
	for _, g := range db.VpcSecurityGroups {
		sgs = append(sgs, aws.ToString(g.VpcSecurityGroupId))
	}
	st.VpcSecurityGroupIDs = sgs
	if db.DBSubnetGroup != nil {
		st.DbSubnetGroupName = db.DBSubnetGroup.DBSubnetGroupName
	}
	if db.DBName != nil {
		st.DbName = db.DBName
	}
	st.MultiAz = db.MultiAZ
	st.PubliclyAccessible = db.PubliclyAccessible
	st.StorageEncrypted = db.StorageEncrypted
	st.StorageType = db.StorageType
	st.Username = db.MasterUsername
	st.BackupRetentionPeriod = intp(db.BackupRetentionPeriod)
	if db.PreferredMaintenanceWindow != nil && (in.MaintenanceWindow == nil ||
		!strings.EqualFold(*in.MaintenanceWindow, *db.PreferredMaintenanceWindow)) {
		st.MaintenanceWindow = db.PreferredMaintenanceWindow
	}
	st.DeletionProtection = db.DeletionProtection
	if db.Endpoint != nil {
		st.Address = aws.ToString(db.Endpoint.Address)
		port := int(aws.ToInt32(db.Endpoint.Port))
		st.Port = &port
		st.HostedZoneID = aws.ToString(db.Endpoint.HostedZoneId)
		if st.Address != "" {
			st.Endpoint = fmt.Sprintf("%s:%d", st.Address, port)
		}
	} else if db.DbInstancePort != nil && *db.DbInstancePort != 0 {
		st.Port = intp(db.DbInstancePort)
	}
	st.Arn = aws.ToString(db.DBInstanceArn)
	st.ResourceID = aws.ToString(db.DbiResourceId)
	st.Status = aws.ToString(db.DBInstanceStatus)
	st.AvailabilityZone = aws.ToString(db.AvailabilityZone)
	if tags := fromTags(db.TagList); tags != nil {
		st.TagsAll = tags
	} else {
		st.TagsAll = in.Tags
	}
	return st
}

// engineVersionFromAWS is what the AWS provider records as engineVersion:
// the program's value when AWS runs a later minor of exactly that prefix
// ("16" with 16.13), otherwise AWS's version — so "16.11" in the program
// with 16.13 in AWS shows as drift.
func engineVersionFromAWS(program *string, actual string) *string {
	if actual == "" {
		return program
	}
	if program != nil && strings.HasPrefix(actual, *program+".") {
		return program
	}
	return aws.String(actual)
}

func orDefault(s *string, def string) string {
	if s == nil || *s == "" {
		return def
	}
	return *s
}

func int32p(i *int) *int32 {
	if i == nil {
		return nil
	}
	v := int32(*i)
	return &v
}

func intp(i *int32) *int {
	if i == nil {
		return nil
	}
	v := int(*i)
	return &v
}

func lowerp(s *string) *string {
	if s == nil {
		return nil
	}
	v := strings.ToLower(*s)
	return &v
}
