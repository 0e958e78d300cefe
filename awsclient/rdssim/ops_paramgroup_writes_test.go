package rdssim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

func TestParameterGroupWrites(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	name := aws.String("pg-writes")
	must(e.rds.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName: name, DBParameterGroupFamily: aws.String("postgres16"), Description: aws.String("d"),
	}))
	param := func() string {
		out := must(e.rds.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: name, Source: aws.String("user")}))
		for _, p := range out.Parameters {
			if aws.ToString(p.ParameterName) == "rds.force_ssl" {
				return aws.ToString(p.ParameterValue)
			}
		}
		return ""
	}
	out := must(e.rds.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{
		DBParameterGroupName: name,
		Parameters: []types.Parameter{{
			ParameterName: aws.String("rds.force_ssl"), ParameterValue: aws.String("0"), ApplyMethod: types.ApplyMethodImmediate,
		}},
	}))
	if aws.ToString(out.DBParameterGroupName) != "pg-writes" || param() != "0" {
		t.Fatalf("modify: name %q, rds.force_ssl %q", aws.ToString(out.DBParameterGroupName), param())
	}
	must(e.rds.ResetDBParameterGroup(ctx, &rds.ResetDBParameterGroupInput{
		DBParameterGroupName: name,
		Parameters:           []types.Parameter{{ParameterName: aws.String("rds.force_ssl"), ApplyMethod: types.ApplyMethodPendingReboot}},
	}))
	if got := param(); got != "" {
		t.Fatalf("after reset rds.force_ssl is still a user value: %q", got)
	}
	_, err := e.rds.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{
		DBParameterGroupName: aws.String("default.postgres16"),
		Parameters:           []types.Parameter{{ParameterName: aws.String("x"), ParameterValue: aws.String("1")}},
	})
	wantCode(t, err, "InvalidParameterValue", 400)
	must(e.rds.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: name}))
	_, err = e.rds.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: name})
	wantCode(t, err, "DBParameterGroupNotFound", 404)
	// The default world's instance uses postgres16-force-ssl-off.
	_, err = e.rds.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String("postgres16-force-ssl-off")})
	wantCode(t, err, "InvalidDBParameterGroupState", 400)
}
