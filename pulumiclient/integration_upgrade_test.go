package pulumiclient

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// TestIntegrationMajorUpgrade runs the upgrade's program change through the
// real pulumi CLI, the YAML language host and the test provider against the
// simulator: the preview is exactly a create of the target family's group
// and an update of the instance (engineVersion, parameterGroupName); up
// leaves the instance on the new major with the new group, which keeps
// rds.force_ssl=0; removing the old group afterwards plans its delete only.
func TestIntegrationMajorUpgrade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newITEnv(t)
	dir := e.project("data", map[string]string{"Pulumi.yaml": dataProgram, "Pulumi.staging.yaml": dataStackConfig})
	s := e.open(dir)
	if _, err := s.Up(ctx, nil); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	first, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}

	prog, err := LoadProgram(dir)
	if err != nil {
		t.Fatal(err)
	}
	newGroup := TargetGroupName("postgres16-force-ssl-off-it", "postgres16", "postgres17")
	pt, err := prog.ApplyMajorUpgrade(MajorUpgrade{EngineVersion: "17.7", Family: "postgres17", GroupName: newGroup,
		Parameters: []ParameterDecl{{Name: "rds.force_ssl", Value: "0", ApplyMethod: "immediate"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := pt.Write(); err != nil {
		t.Fatal(err)
	}

	plan, err := s.Preview(ctx, nil)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	var ops []string
	for _, st := range plan.Steps {
		if st.Op == OpSame || st.Type == "pulumi:pulumi:Stack" {
			continue
		}
		ops = append(ops, string(st.Op)+" "+st.Type)
		if st.Type == InstanceType {
			slices.Sort(st.Diffs)
			if !slices.Equal(st.Diffs, []string{"engineVersion", "parameterGroupName"}) {
				t.Errorf("instance update diffs = %v, want engineVersion and parameterGroupName", st.Diffs)
			}
		}
	}
	if want := []string{"create " + ParameterGroupType, "update " + InstanceType}; !slices.Equal(ops, want) {
		t.Fatalf("upgrade plan = %v, want %v", ops, want)
	}

	if _, err := s.Up(ctx, nil); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	out, err := e.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(first.Identifier)})
	if err != nil {
		t.Fatal(err)
	}
	db := out.DBInstances[0]
	if v := aws.ToString(db.EngineVersion); v != "17.7" {
		t.Errorf("engine version after up = %s, want 17.7", v)
	}
	if g := aws.ToString(db.DBParameterGroups[0].DBParameterGroupName); g != newGroup {
		t.Errorf("parameter group after up = %s, want %s", g, newGroup)
	}
	params, err := e.rds.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(newGroup), Source: aws.String("user")})
	if err != nil {
		t.Fatal(err)
	}
	ssl := ""
	for _, p := range params.Parameters {
		if aws.ToString(p.ParameterName) == "rds.force_ssl" {
			ssl = aws.ToString(p.ParameterValue)
		}
	}
	if ssl != "0" {
		t.Errorf("rds.force_ssl in %s = %q, want 0", newGroup, ssl)
	}

	// Once verified: the old group leaves the program; a later deploy deletes it.
	after, err := LoadProgram(dir)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := after.RemoveParameterGroup("parameterGroup")
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.Write(); err != nil {
		t.Fatal(err)
	}
	plan, err = s.Preview(ctx, nil)
	if err != nil {
		t.Fatalf("preview of the removal: %v", err)
	}
	ops = nil
	for _, st := range plan.Steps {
		if st.Op != OpSame && st.Type != "pulumi:pulumi:Stack" {
			ops = append(ops, string(st.Op)+" "+st.Type+" "+st.Name)
		}
	}
	if want := []string{"delete " + ParameterGroupType + " parameterGroup"}; !slices.Equal(ops, want) {
		t.Fatalf("removal plan = %v, want %v", ops, want)
	}
	if _, err := s.Up(ctx, nil); err != nil {
		t.Fatalf("deploy of the removal: %v", err)
	}
	if _, err := e.rds.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String("postgres16-force-ssl-off-it")}); err == nil {
		t.Error("the old parameter group still exists after the removal was deployed")
	}
}
