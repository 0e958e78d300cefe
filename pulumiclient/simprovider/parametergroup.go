package simprovider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// parameterGroup implements aws:rds/parameterGroup:ParameterGroup.
type parameterGroup struct{ env *server }

// check fills in the auto-name (resource name, "-", 7 hex characters,
// lower-cased) and the default description "Managed by Pulumi".
func (r parameterGroup) check(urnName string, olds, news resource.PropertyMap, seed []byte) (resource.PropertyMap, error) {
	out := news.Copy()
	if err := autoName(out, olds, "name", urnName, "-", seed); err != nil {
		return nil, err
	}
	if !props(out).has("description") && !props(out).unknown("description") {
		out["description"] = strProp("Managed by Pulumi")
	}
	return out, nil
}

func (r parameterGroup) diff(olds, news resource.PropertyMap) []change {
	return diffInputs(parameterGroupFields, olds, news, nil)
}

func groupState(inputs resource.PropertyMap, arn string) resource.PropertyMap {
	st := copyMap(inputs)
	st["arn"] = strProp(arn)
	tags := props(inputs).strMap("tags")
	if tags == nil {
		tags = map[string]string{}
	}
	st["tagsAll"] = mapProp(tags)
	return st
}

// create creates the group and sets its parameters; the id is its name.
func (r parameterGroup) create(ctx context.Context, urn string, news resource.PropertyMap) (string, resource.PropertyMap, error) {
	in := props(news)
	name := in.str("name")
	c := r.env.client()
	r.env.status(ctx, urn, "creating parameter group %s", name)
	out, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName:   aws.String(name),
		DBParameterGroupFamily: aws.String(in.str("family")),
		Description:            aws.String(in.str("description")),
		Tags:                   toTags(in.strMap("tags")),
	})
	if err != nil {
		return "", nil, fmt.Errorf("creating RDS DB Parameter Group (%s): %w", name, err)
	}
	arn := ""
	if out.DBParameterGroup != nil {
		arn = aws.ToString(out.DBParameterGroup.DBParameterGroupArn)
	}
	st := groupState(news, arn)
	if err := setParameters(ctx, c, name, in.parameters("parameters")); err != nil {
		return name, st, &initError{id: name, state: st, inputs: news, reason: err}
	}
	return name, st, nil
}

func setParameters(ctx context.Context, c *rds.Client, name string, params []parameter) error {
	if len(params) == 0 {
		return nil
	}
	ps := make([]rdstypes.Parameter, 0, len(params))
	for _, prm := range params {
		ps = append(ps, rdstypes.Parameter{
			ParameterName:  aws.String(prm.Name),
			ParameterValue: aws.String(prm.Value),
			ApplyMethod:    rdstypes.ApplyMethod(prm.ApplyMethod),
		})
	}
	if _, err := c.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(name), Parameters: ps}); err != nil {
		return fmt.Errorf("modifying RDS DB Parameter Group (%s): %w", name, err)
	}
	return nil
}

// update resets the parameters the program dropped and sets the others.
func (r parameterGroup) update(ctx context.Context, urn, _ string, olds, news resource.PropertyMap) (resource.PropertyMap, error) {
	name := props(olds).str("name")
	want := map[string]bool{}
	for _, prm := range props(news).parameters("parameters") {
		want[prm.Name] = true
	}
	var reset []rdstypes.Parameter
	for _, prm := range props(olds).parameters("parameters") {
		if !want[prm.Name] {
			reset = append(reset, rdstypes.Parameter{ParameterName: aws.String(prm.Name), ApplyMethod: rdstypes.ApplyMethodPendingReboot})
		}
	}
	c := r.env.client()
	r.env.status(ctx, urn, "modifying parameter group %s", name)
	if len(reset) > 0 {
		if _, err := c.ResetDBParameterGroup(ctx, &rds.ResetDBParameterGroupInput{DBParameterGroupName: aws.String(name), Parameters: reset}); err != nil {
			return nil, fmt.Errorf("resetting RDS DB Parameter Group (%s): %w", name, err)
		}
	}
	if err := setParameters(ctx, c, name, props(news).parameters("parameters")); err != nil {
		return nil, err
	}
	st := groupState(news, props(olds).str("arn"))
	st["name"] = strProp(name)
	return st, nil
}

// read checks the group still exists; its parameters stay as in the state.
func (r parameterGroup) read(ctx context.Context, id string, state, inputs resource.PropertyMap) (string, resource.PropertyMap, resource.PropertyMap, error) {
	out, err := r.env.client().DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(id)})
	if errorCode(err) == "DBParameterGroupNotFound" {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("reading RDS DB Parameter Group (%s): %w", id, err)
	}
	if len(out.DBParameterGroups) == 0 {
		return "", nil, nil, nil
	}
	g := out.DBParameterGroups[0]
	st := state.Copy()
	if len(st) == 0 {
		st = groupState(inputs, "")
	}
	st["name"] = strProp(aws.ToString(g.DBParameterGroupName))
	st["family"] = strProp(aws.ToString(g.DBParameterGroupFamily))
	st["description"] = strProp(aws.ToString(g.Description))
	st["arn"] = strProp(aws.ToString(g.DBParameterGroupArn))
	return id, st, inputs, nil
}

// delete deletes the group; one already gone is fine.
func (r parameterGroup) delete(ctx context.Context, urn, _ string, olds resource.PropertyMap) error {
	name := props(olds).str("name")
	r.env.status(ctx, urn, "deleting parameter group %s", name)
	_, err := r.env.client().DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String(name)})
	if err != nil && errorCode(err) != "DBParameterGroupNotFound" {
		return fmt.Errorf("deleting RDS DB Parameter Group (%s): %w", name, err)
	}
	return nil
}
