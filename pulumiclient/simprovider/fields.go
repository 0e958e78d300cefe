package simprovider

import (
	"encoding/json"
	"sort"
)

// Package, version and type tokens the plugin serves, as the real provider.
const (
	Package = "aws"
	// Version is what the plugin reports; the major matches the @pulumi/aws
	// the team's program is written against.
	Version            = "7.35.0"
	InstanceType       = "aws:rds/instance:Instance"
	ParameterGroupType = "aws:rds/parameterGroup:ParameterGroup"
	parameterType      = "aws:rds/ParameterGroupParameter:ParameterGroupParameter"
	pointInTimeType    = "aws:rds/InstanceRestoreToPointInTime:InstanceRestoreToPointInTime"
)

// kind is a property's type.
type kind int

const (
	kString kind = iota
	kInt
	kBool
	kStringSet   // a set of strings (order does not matter)
	kStringMap   // tags
	kParameters  // a parameter group's parameters: a set of objects
	kPointInTime // restoreToPointInTime: one object (a MaxItems 1 block in TF)
)

// field is one property of a resource, with the traits of the real
// provider's schema (terraform-provider-aws) that decide a diff:
//   - required: the program must set it;
//   - computed (Optional+Computed): left out of the program, the provider
//     keeps what AWS reports, so leaving it out is no change;
//   - forceNew: a change replaces the resource;
//   - output: in the state only, never an input.
type field struct {
	name     string
	kind     kind
	required bool
	computed bool
	forceNew bool
	secret   bool
	output   bool
	desc     string
	// conflicts are the inputs that may not be set with this one
	// (ConflictsWith in the TF schema).
	conflicts []string
}

// instanceFields are aws:rds/instance:Instance's properties (the subset the
// runbooks use), with the traits of aws_db_instance in
// terraform-provider-aws internal/service/rds/instance.go. identifier is no
// longer ForceNew since provider v5 (the id is the resource id and a new
// identifier renames in place, hashicorp/terraform-provider-aws#31232).
var instanceFields = []field{
	{name: "allocatedStorage", kind: kInt, computed: true, desc: "Allocated storage in GiB."},
	{name: "allowMajorVersionUpgrade", kind: kBool, desc: "Allow major engine version upgrades."},
	{name: "applyImmediately", kind: kBool, computed: true, desc: "Apply changes at once rather than in the maintenance window."},
	{name: "backupRetentionPeriod", kind: kInt, computed: true, desc: "Days to retain automated backups."},
	{name: "dbName", kind: kString, computed: true, forceNew: true, desc: "Name of the database created with the instance."},
	{name: "dbSubnetGroupName", kind: kString, computed: true, desc: "DB subnet group."},
	{name: "deletionProtection", kind: kBool, desc: "Refuse deletion while true."},
	{name: "engine", kind: kString, computed: true, forceNew: true, desc: "Database engine, e.g. postgres."},
	{name: "engineVersion", kind: kString, computed: true, desc: "Engine version; a major alone (\"16\") follows AWS's minor versions."},
	{name: "finalSnapshotIdentifier", kind: kString, desc: "Name of the snapshot taken when the instance is deleted."},
	{name: "identifier", kind: kString, computed: true, desc: "Instance identifier; auto-named from the resource name when left out."},
	{name: "instanceClass", kind: kString, required: true, desc: "Instance class, e.g. db.t3.small."},
	{name: "maintenanceWindow", kind: kString, computed: true, desc: "Weekly maintenance window, e.g. Mon:00:00-Mon:03:00."},
	{name: "multiAz", kind: kBool, computed: true, desc: "Multi-AZ deployment."},
	{name: "parameterGroupName", kind: kString, computed: true, desc: "DB parameter group."},
	{name: "password", kind: kString, secret: true, desc: "Master user password."},
	{name: "port", kind: kInt, computed: true, desc: "Database port."},
	{name: "publiclyAccessible", kind: kBool, desc: "Reachable from outside the VPC."},
	// restore_to_point_in_time: Optional, ForceNew, not Computed, MaxItems
	// 1, ConflictsWith snapshot_identifier: a change or a removal replaces
	// the instance (hashicorp/terraform-provider-aws#34522).
	{name: "restoreToPointInTime", kind: kPointInTime, forceNew: true, conflicts: []string{"snapshotIdentifier"},
		desc: "Create the instance as a point-in-time restore of another (create only: a change or a removal replaces it)."},
	{name: "skipFinalSnapshot", kind: kBool, desc: "Delete without a final snapshot."},
	{name: "snapshotIdentifier", kind: kString, computed: true, forceNew: true, conflicts: []string{"restoreToPointInTime"}, desc: "Create the instance from this snapshot (its name, not its ARN)."},
	{name: "storageEncrypted", kind: kBool, forceNew: true, desc: "Encrypt storage."},
	{name: "storageType", kind: kString, computed: true, desc: "Storage type, e.g. gp3."},
	{name: "tags", kind: kStringMap, desc: "Tags."},
	{name: "username", kind: kString, computed: true, forceNew: true, desc: "Master user name."},
	{name: "vpcSecurityGroupIds", kind: kStringSet, computed: true, desc: "VPC security group ids."},

	{name: "address", kind: kString, output: true, desc: "Host name of the instance."},
	{name: "arn", kind: kString, output: true, desc: "ARN of the instance."},
	{name: "availabilityZone", kind: kString, output: true, desc: "Availability zone."},
	{name: "endpoint", kind: kString, output: true, desc: "address:port."},
	{name: "engineVersionActual", kind: kString, output: true, desc: "The engine version AWS runs."},
	{name: "hostedZoneId", kind: kString, output: true, desc: "Route 53 hosted zone of the endpoint."},
	{name: "resourceId", kind: kString, output: true, desc: "The resource id db-…, also the resource's Pulumi id."},
	{name: "status", kind: kString, output: true, desc: "The instance's status."},
	{name: "tagsAll", kind: kStringMap, output: true, desc: "All tags, including the provider's default tags."},
}

// parameterGroupFields are aws:rds/parameterGroup:ParameterGroup's
// properties (aws_db_parameter_group: name, family and description force a
// new group; parameters and tags update in place).
var parameterGroupFields = []field{
	{name: "description", kind: kString, computed: true, forceNew: true, desc: "Description; \"Managed by Pulumi\" when left out."},
	{name: "family", kind: kString, required: true, forceNew: true, desc: "Parameter group family, e.g. postgres16."},
	{name: "name", kind: kString, computed: true, forceNew: true, desc: "Name; auto-named from the resource name when left out."},
	{name: "parameters", kind: kParameters, desc: "Parameters to set."},
	{name: "tags", kind: kStringMap, desc: "Tags."},

	{name: "arn", kind: kString, output: true, desc: "ARN of the parameter group."},
	{name: "tagsAll", kind: kStringMap, output: true, desc: "All tags."},
}

// typeSpec is a property's type in the Pulumi package schema.
func (f field) typeSpec() map[string]any {
	var t map[string]any
	switch f.kind {
	case kString:
		t = map[string]any{"type": "string"}
	case kInt:
		t = map[string]any{"type": "integer"}
	case kBool:
		t = map[string]any{"type": "boolean"}
	case kStringSet:
		t = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
	case kStringMap:
		t = map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	case kParameters:
		t = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/types/" + parameterType}}
	case kPointInTime:
		t = map[string]any{"$ref": "#/types/" + pointInTimeType}
	}
	if f.desc != "" {
		t["description"] = f.desc
	}
	if f.secret {
		t["secret"] = true
	}
	return t
}

// resourceSpec is a resource's entry in the package schema: every field
// is an output; the non-output ones are inputs too.
func resourceSpec(description string, fields []field) map[string]any {
	inputs, outputs := map[string]any{}, map[string]any{}
	var requiredInputs, required []string
	for _, f := range fields {
		outputs[f.name] = f.typeSpec()
		if f.output {
			required = append(required, f.name)
			continue
		}
		inputs[f.name] = f.typeSpec()
		if f.required {
			requiredInputs = append(requiredInputs, f.name)
		}
		if f.required || f.computed {
			required = append(required, f.name)
		}
	}
	sort.Strings(required)
	return map[string]any{
		"description":     description,
		"inputProperties": inputs,
		"requiredInputs":  requiredInputs,
		"properties":      outputs,
		"required":        required,
	}
}

// Schema returns the package schema (JSON) the provider serves from
// GetSchema. The YAML language host type-checks programs against it, and
// resolves a short token such as aws:rds:Instance through moduleFormat, as
// with the real provider.
func Schema() ([]byte, error) {
	config := map[string]any{
		"region":     map[string]any{"type": "string", "description": "AWS region (the simulator's)."},
		"profile":    map[string]any{"type": "string", "description": "Accepted because real stacks set it; ignored: credentials come from the environment."},
		"maxRetries": map[string]any{"type": "integer", "description": "How many times an AWS call is tried; default 25."},
	}
	spec := map[string]any{
		"name":        Package,
		"version":     Version,
		"displayName": "AWS (datalayer's simulated provider)",
		"description": "Stand-in for the AWS provider, backed by datalayer's RDS simulator; never talks to real AWS.",
		"meta":        map[string]any{"moduleFormat": "(.*)(?:/[^/]*)"},
		"config":      map[string]any{"variables": config},
		"provider": map[string]any{
			"description":     "The provider type for the aws package.",
			"inputProperties": config,
		},
		"resources": map[string]any{
			InstanceType:       resourceSpec("An RDS DB instance (datalayer's simulated provider, backed by the RDS simulator).", instanceFields),
			ParameterGroupType: resourceSpec("An RDS DB parameter group (datalayer's simulated provider, backed by the RDS simulator).", parameterGroupFields),
		},
		"types": map[string]any{
			parameterType: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"name":        map[string]any{"type": "string", "description": "Parameter name."},
					"value":       map[string]any{"type": "string", "description": "Parameter value."},
					"applyMethod": map[string]any{"type": "string", "description": "immediate (default) or pending-reboot."},
				},
				"required": []string{"name", "value"},
			},
			pointInTimeType: map[string]any{
				"type":       "object",
				"properties": pointInTimeSpec(),
			},
		},
	}
	return json.Marshal(spec)
}

// pointInTimeFields are the block's properties, as in @pulumi/aws's
// InstanceRestoreToPointInTime (all optional; TF restore_to_point_in_time).
var pointInTimeFields = []struct{ name, typ, desc string }{
	{"restoreTime", "string", "The time to restore to (RFC 3339, UTC); not with useLatestRestorableTime."},
	{"sourceDbInstanceAutomatedBackupsArn", "string", "The ARN of the automated backups to restore from."},
	{"sourceDbInstanceIdentifier", "string", "The identifier of the source instance; it must exist."},
	{"sourceDbiResourceId", "string", "The resource id (db-...) of the source instance, which may have been deleted if its automated backups were retained."},
	{"useLatestRestorableTime", "boolean", "Restore to the latest restorable time; not with restoreTime."},
}

func pointInTimeSpec() map[string]any {
	out := map[string]any{}
	for _, f := range pointInTimeFields {
		out[f.name] = map[string]any{"type": f.typ, "description": f.desc}
	}
	return out
}
