package pulumiclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// secretSig is the key Pulumi puts in every serialized secret value
// (resource.SecretSig); such values are never decoded here.
const secretSig = "4dabf18193072939515e22adb298388d"

// ErrConfigNotSet is returned by GetConfig for a key the stack does not set
// (`pulumi config get` says "configuration key ... not found for stack").
var ErrConfigNotSet = errors.New("not set in the stack's config")

// ErrNoInstance is returned when the state holds no RDS instance.
var ErrNoInstance = errors.New("no aws:rds/instance:Instance in the stack state")

// ErrManyInstances is returned when the state holds more than one live RDS
// instance, so there is no single reference to restore against.
var ErrManyInstances = errors.New("more than one aws:rds/instance:Instance in the stack state")

// TrackedByResourceID reports whether the state tracks the instance by its
// resource id (db-...), as @pulumi/aws 6 and later do; older providers track
// it by identifier, so a console rename back to the old name keeps state
// pointing at the right instance only with old providers.
func (e ExportedInstance) TrackedByResourceID() bool {
	return strings.HasPrefix(e.ID, "db-") && e.ID != e.Identifier
}

// ParseExport reads the JSON of `pulumi stack export` and returns the single
// live RDS instance's settings. Secret values are never decoded.
func ParseExport(data []byte) (ExportedInstance, error) {
	var u apitype.UntypedDeployment
	if err := json.Unmarshal(data, &u); err != nil {
		return ExportedInstance{}, fmt.Errorf("parse stack export: %w (is this the output of `pulumi stack export`?)", err)
	}
	return ParseDeployment(u)
}

// ParseDeployment is ParseExport for an already decoded deployment, as the
// Automation API's Stack.Export returns it.
func ParseDeployment(u apitype.UntypedDeployment) (ExportedInstance, error) {
	d, err := decodeDeployment(u)
	if err != nil {
		return ExportedInstance{}, err
	}
	var live []apitype.ResourceV3
	for _, r := range d.Resources {
		if string(r.Type) == InstanceType && !r.Delete {
			live = append(live, r)
		}
	}
	switch len(live) {
	case 0:
		return ExportedInstance{}, fmt.Errorf("parse stack export: %w; check the selected stack (`pulumi stack ls`) and that it has been deployed", ErrNoInstance)
	case 1:
	default:
		urns := make([]string, len(live))
		for i, r := range live {
			urns[i] = string(r.URN)
		}
		return ExportedInstance{}, fmt.Errorf("parse stack export: %w: %s; the runbook handles a single database instance, pick one by hand",
			ErrManyInstances, strings.Join(urns, ", "))
	}
	return instanceFromResource(live[0]), nil
}

// decodeDeployment accepts deployment versions 3 and later; version 0 (a
// stack never deployed) reads as empty.
func decodeDeployment(u apitype.UntypedDeployment) (apitype.DeploymentV3, error) {
	var d apitype.DeploymentV3
	if len(u.Deployment) == 0 {
		return d, nil
	}
	if u.Version != 0 && u.Version < 3 {
		return d, fmt.Errorf("parse stack export: deployment version %d is too old; run `pulumi stack export` with a current CLI", u.Version)
	}
	if err := json.Unmarshal(u.Deployment, &d); err != nil {
		return d, fmt.Errorf("parse stack export: deployment: %w", err)
	}
	return d, nil
}

func instanceFromResource(r apitype.ResourceV3) ExportedInstance {
	o := r.Outputs
	if len(o) == 0 {
		o = r.Inputs
	}
	e := ExportedInstance{
		URN:                     string(r.URN),
		ID:                      string(r.ID),
		Identifier:              str(o, "identifier"),
		ResourceID:              str(o, "resourceId"),
		Address:                 str(o, "address"),
		Port:                    int32(num(o, "port")),
		Class:                   str(o, "instanceClass"),
		AllocatedStorage:        int32(num(o, "allocatedStorage")),
		StorageType:             str(o, "storageType"),
		StorageEncrypted:        boolean(o, "storageEncrypted"),
		ParameterGroup:          str(o, "parameterGroupName"),
		SecurityGroups:          strList(o, "vpcSecurityGroupIds"),
		SubnetGroup:             str(o, "dbSubnetGroupName"),
		MultiAZ:                 boolean(o, "multiAz"),
		PubliclyAccessible:      boolean(o, "publiclyAccessible"),
		DeletionProtection:      boolean(o, "deletionProtection"),
		EngineVersion:           str(o, "engineVersion"),
		EngineVersionActual:     str(o, "engineVersionActual"),
		Engine:                  str(o, "engine"),
		SkipFinalSnapshot:       boolean(o, "skipFinalSnapshot"),
		FinalSnapshotIdentifier: str(o, "finalSnapshotIdentifier"),
		SnapshotIdentifier:      str(o, "snapshotIdentifier"),
		BackupRetention:         int32(num(o, "backupRetentionPeriod")),
		MaintenanceWindow:       str(o, "maintenanceWindow"),
		Username:                str(o, "username"),
		Tags:                    strMap(o, "tags"),
		Protect:                 r.Protect,
	}
	if m, ok := o["restoreToPointInTime"].(map[string]any); ok {
		pt := &PointInTime{}
		for k, v := range m {
			pt.setField(k, fmt.Sprint(v))
		}
		e.RestoreToPointInTime = pt
	}
	if e.Identifier == "" && !strings.HasPrefix(e.ID, "db-") {
		e.Identifier = e.ID
	}
	for k, v := range o {
		if isSecret(v) {
			e.SecretOutputs = append(e.SecretOutputs, k)
		}
	}
	sort.Strings(e.SecretOutputs)
	return e
}

func isSecret(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m[secretSig]
	return ok
}

func str(m map[string]any, k string) string {
	if s, ok := m[k].(string); ok {
		return s
	}
	return ""
}

func num(m map[string]any, k string) float64 {
	switch v := m[k].(type) {
	case float64:
		return v
	case json.Number:
		f, _ := v.Float64()
		return f
	case int:
		return float64(v)
	}
	return 0
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func strList(m map[string]any, k string) []string {
	l, ok := m[k].([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, v := range l {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func strMap(m map[string]any, k string) map[string]string {
	src, ok := m[k].(map[string]any)
	if !ok || isSecret(src) {
		return nil
	}
	out := make(map[string]string, len(src))
	for key, v := range src {
		if s, ok := v.(string); ok {
			out[key] = s
		}
	}
	return out
}

// PendingOperations lists the pending operations recorded in a deployment, as
// "<type> <urn>" strings (e.g. "creating urn:pulumi:...").
func PendingOperations(u apitype.UntypedDeployment) ([]string, error) {
	d, err := decodeDeployment(u)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(d.PendingOperations))
	for _, op := range d.PendingOperations {
		out = append(out, string(op.Type)+" "+string(op.Resource.URN))
	}
	return out, nil
}
