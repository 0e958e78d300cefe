package main

import (
	"encoding/json"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
)

// TestSchema checks the real provider's type tokens and property names.
func TestSchema(t *testing.T) {
	prov, err := newProvider()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := integration.NewServer(t.Context(), Name, semver.MustParse(Version), integration.WithProvider(prov))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Name      string `json:"name"`
		Resources map[string]struct {
			InputProperties map[string]struct {
				Secret bool `json:"secret"`
			} `json:"inputProperties"`
			Properties map[string]any `json:"properties"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Name != "aws" {
		t.Fatalf("package name = %q, want aws", schema.Name)
	}
	tests := []struct {
		token   string
		inputs  []string
		outputs []string
	}{
		{"aws:rds/instance:Instance",
			[]string{"identifier", "instanceClass", "allocatedStorage", "engine", "engineVersion", "parameterGroupName",
				"vpcSecurityGroupIds", "dbSubnetGroupName", "multiAz", "publiclyAccessible", "storageEncrypted", "storageType",
				"username", "password", "skipFinalSnapshot", "finalSnapshotIdentifier", "snapshotIdentifier",
				"backupRetentionPeriod", "maintenanceWindow", "applyImmediately", "allowMajorVersionUpgrade", "deletionProtection", "tags"},
			[]string{"address", "endpoint", "port", "arn", "resourceId", "status", "engineVersionActual", "identifier"}},
		{"aws:rds/parameterGroup:ParameterGroup",
			[]string{"name", "family", "description", "parameters", "tags"},
			[]string{"arn", "name"}},
	}
	for _, tt := range tests {
		r, ok := schema.Resources[tt.token]
		if !ok {
			t.Errorf("schema has no %s; resources: %v", tt.token, keys(schema.Resources))
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
	}
	if !schema.Resources["aws:rds/instance:Instance"].InputProperties["password"].Secret {
		t.Error("password is not marked secret")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
