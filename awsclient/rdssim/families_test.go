package rdssim

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

func paramNames(ps []types.Parameter) []string {
	var out []string
	for _, p := range ps {
		out = append(out, aws.ToString(p.ParameterName))
	}
	return out
}

func TestParameterFamilies(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	defaults := func(fam string) []types.Parameter {
		out := must(e.rds.DescribeEngineDefaultParameters(ctx, &rds.DescribeEngineDefaultParametersInput{DBParameterGroupFamily: aws.String(fam)}))
		if aws.ToString(out.EngineDefaults.DBParameterGroupFamily) != fam {
			t.Fatalf("engine defaults of %s name family %q", fam, aws.ToString(out.EngineDefaults.DBParameterGroupFamily))
		}
		return out.EngineDefaults.Parameters
	}
	if !slices.Contains(paramNames(defaults("postgres16")), "old_snapshot_threshold") {
		t.Error("postgres16 lacks old_snapshot_threshold")
	}
	if slices.Contains(paramNames(defaults("postgres17")), "old_snapshot_threshold") {
		t.Error("postgres17 has old_snapshot_threshold, which PostgreSQL 17 removed")
	}
	_, err := e.rds.DescribeEngineDefaultParameters(ctx, &rds.DescribeEngineDefaultParametersInput{DBParameterGroupFamily: aws.String("postgres9")})
	wantCode(t, err, "InvalidParameterValue", 400)

	groups := must(e.rds.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(DefaultParamGroup)}))
	if f := aws.ToString(groups.DBParameterGroups[0].DBParameterGroupFamily); f != "postgres16" {
		t.Errorf("family of %s = %q", DefaultParamGroup, f)
	}
	all := must(e.rds.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(DefaultParamGroup)}))
	user := must(e.rds.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(DefaultParamGroup), Source: aws.String("user")}))
	if got := paramNames(user.Parameters); !slices.Equal(got, []string{"rds.force_ssl", "shared_preload_libraries"}) {
		t.Errorf("user parameters of %s = %v", DefaultParamGroup, got)
	}
	if len(all.Parameters) != len(defaults("postgres16")) {
		t.Errorf("the group shows %d parameters, its family %d", len(all.Parameters), len(defaults("postgres16")))
	}

	must(e.rds.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName: aws.String("postgres17-force-ssl-off"), DBParameterGroupFamily: aws.String("postgres17"), Description: aws.String("d"),
	}))
	tests := []struct {
		name   string
		param  types.Parameter
		code   string
		reason string
	}{
		{"removed in 17", types.Parameter{ParameterName: aws.String("old_snapshot_threshold"), ParameterValue: aws.String("60"), ApplyMethod: types.ApplyMethodPendingReboot}, "InvalidParameterValue", "Could not find parameter with name: old_snapshot_threshold"},
		{"unknown", types.Parameter{ParameterName: aws.String("no_such_setting"), ParameterValue: aws.String("1")}, "InvalidParameterValue", "no_such_setting"},
		{"static applied immediately", types.Parameter{ParameterName: aws.String("shared_preload_libraries"), ParameterValue: aws.String("pg_cron"), ApplyMethod: types.ApplyMethodImmediate}, "InvalidParameterCombination", "static"},
		{"not modifiable", types.Parameter{ParameterName: aws.String("log_line_prefix"), ParameterValue: aws.String("%t"), ApplyMethod: types.ApplyMethodImmediate}, "InvalidParameterValue", "cannot be modified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.rds.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("postgres17-force-ssl-off"), Parameters: []types.Parameter{tt.param}})
			wantCode(t, err, tt.code, 400)
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %v does not say %q", err, tt.reason)
			}
		})
	}
	must(e.rds.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("postgres17-force-ssl-off"), Parameters: []types.Parameter{
		{ParameterName: aws.String("rds.force_ssl"), ParameterValue: aws.String("0"), ApplyMethod: types.ApplyMethodImmediate},
	}}))

	// The group's own values survive Save and Load; the family fills in the rest.
	var buf bytes.Buffer
	if err := e.sim.Save(&buf); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Load(&buf); err != nil {
		t.Fatal(err)
	}
	after := must(e.rds.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("postgres17-force-ssl-off"), Source: aws.String("user")}))
	if len(after.Parameters) != 1 || aws.ToString(after.Parameters[0].ParameterValue) != "0" {
		t.Errorf("after Save and Load: %v", paramNames(after.Parameters))
	}
}
