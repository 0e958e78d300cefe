package simprovider

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestSchemaHasTheRealProvidersNames checks the type tokens and property
// names programs written for @pulumi/aws use.
func TestSchemaHasTheRealProvidersNames(t *testing.T) {
	b, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Name      string                        `json:"name"`
		Version   string                        `json:"version"`
		Meta      struct{ ModuleFormat string } `json:"meta"`
		Resources map[string]struct {
			InputProperties map[string]struct {
				Type   string `json:"type"`
				Secret bool   `json:"secret"`
			} `json:"inputProperties"`
			RequiredInputs []string       `json:"requiredInputs"`
			Properties     map[string]any `json:"properties"`
		} `json:"resources"`
		Types map[string]any `json:"types"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Name != "aws" || schema.Version != Version || schema.Meta.ModuleFormat == "" {
		t.Fatalf("package = %q %q, moduleFormat %q", schema.Name, schema.Version, schema.Meta.ModuleFormat)
	}
	tests := []struct {
		token    string
		inputs   []string
		outputs  []string
		required []string
	}{
		{InstanceType,
			[]string{"identifier", "instanceClass", "allocatedStorage", "engine", "engineVersion", "parameterGroupName",
				"vpcSecurityGroupIds", "dbSubnetGroupName", "dbName", "port", "multiAz", "publiclyAccessible", "storageEncrypted", "storageType",
				"username", "password", "skipFinalSnapshot", "finalSnapshotIdentifier", "snapshotIdentifier",
				"backupRetentionPeriod", "maintenanceWindow", "applyImmediately", "allowMajorVersionUpgrade", "deletionProtection", "tags"},
			[]string{"address", "endpoint", "port", "arn", "resourceId", "status", "engineVersionActual", "identifier", "hostedZoneId", "tagsAll"},
			[]string{"instanceClass"}},
		{ParameterGroupType,
			[]string{"name", "family", "description", "parameters", "tags"},
			[]string{"arn", "name", "tagsAll"},
			[]string{"family"}},
	}
	for _, tt := range tests {
		r, ok := schema.Resources[tt.token]
		if !ok {
			t.Errorf("schema has no %s", tt.token)
			continue
		}
		for _, in := range tt.inputs {
			if _, ok := r.InputProperties[in]; !ok {
				t.Errorf("%s: no input %q", tt.token, in)
			}
		}
		for _, out := range tt.outputs {
			if _, ok := r.Properties[out]; !ok {
				t.Errorf("%s: no output %q", tt.token, out)
			}
		}
		if !slices.Equal(r.RequiredInputs, tt.required) {
			t.Errorf("%s: required inputs %v, want %v", tt.token, r.RequiredInputs, tt.required)
		}
	}
	in := schema.Resources[InstanceType].InputProperties
	if !in["password"].Secret {
		t.Error("password is not marked secret")
	}
	if in["allocatedStorage"].Type != "integer" || in["vpcSecurityGroupIds"].Type != "array" || in["tags"].Type != "object" {
		t.Errorf("types: allocatedStorage %q, vpcSecurityGroupIds %q, tags %q", in["allocatedStorage"].Type, in["vpcSecurityGroupIds"].Type, in["tags"].Type)
	}
	if _, ok := schema.Types[parameterType]; !ok {
		t.Errorf("no %s type", parameterType)
	}
}
