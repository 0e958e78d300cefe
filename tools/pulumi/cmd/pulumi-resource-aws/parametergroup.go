package main

import (
	"context"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// ParameterGroup is aws:rds/parameterGroup:ParameterGroup.
type ParameterGroup struct{}

// Annotate sets the real provider's type token.
func (*ParameterGroup) Annotate(a infer.Annotator) {
	a.SetToken("rds/parameterGroup", "ParameterGroup")
	a.Describe(&ParameterGroup{}, "An RDS DB parameter group (datalayer test provider, backed by the RDS simulator).")
}

// Parameter is one entry of a parameter group's parameters.
type Parameter struct {
	Name        string  `pulumi:"name"`
	Value       string  `pulumi:"value"`
	ApplyMethod *string `pulumi:"applyMethod,optional"`
}

// ParameterGroupArgs are the inputs, named as in @pulumi/aws.
type ParameterGroupArgs struct {
	Name        *string           `pulumi:"name,optional"`
	Family      string            `pulumi:"family"`
	Description *string           `pulumi:"description,optional"`
	Parameters  []Parameter       `pulumi:"parameters,optional"`
	Tags        map[string]string `pulumi:"tags,optional"`
}

// ParameterGroupState is the checkpointed state.
type ParameterGroupState struct {
	ParameterGroupArgs
	Arn     string            `pulumi:"arn"`
	TagsAll map[string]string `pulumi:"tagsAll,optional"`
}

// Create creates the parameter group and sets its parameters.
func (*ParameterGroup) Create(ctx context.Context, req infer.CreateRequest[ParameterGroupArgs]) (infer.CreateResponse[ParameterGroupState], error) {
	in := req.Inputs
	if req.DryRun {
		return infer.CreateResponse[ParameterGroupState]{Output: ParameterGroupState{ParameterGroupArgs: in}}, nil
	}
	name := aws.ToString(in.Name)
	if name == "" {
		n, err := autoName(req.Name + "-")
		if err != nil {
			return infer.CreateResponse[ParameterGroupState]{}, err
		}
		name = n
	}
	desc := aws.ToString(in.Description)
	if desc == "" {
		desc = "Managed by Pulumi"
	}
	c, err := newRDSClient(ctx)
	if err != nil {
		return infer.CreateResponse[ParameterGroupState]{}, err
	}
	out, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName:   aws.String(name),
		DBParameterGroupFamily: aws.String(in.Family),
		Description:            aws.String(desc),
		Tags:                   toTags(in.Tags),
	})
	if err != nil {
		return infer.CreateResponse[ParameterGroupState]{}, fmt.Errorf("create parameter group %s: %w", name, err)
	}
	if err := setParameters(ctx, c, name, in.Parameters); err != nil {
		return infer.CreateResponse[ParameterGroupState]{}, err
	}
	st := ParameterGroupState{ParameterGroupArgs: in, TagsAll: in.Tags}
	st.Name = aws.String(name)
	st.Description = aws.String(desc)
	if out.DBParameterGroup != nil {
		st.Arn = aws.ToString(out.DBParameterGroup.DBParameterGroupArn)
	}
	return infer.CreateResponse[ParameterGroupState]{ID: name, Output: st}, nil
}

func setParameters(ctx context.Context, c *rds.Client, name string, params []Parameter) error {
	if len(params) == 0 {
		return nil
	}
	ps := make([]rdstypes.Parameter, 0, len(params))
	for _, prm := range params {
		method := rdstypes.ApplyMethod(orDefault(prm.ApplyMethod, "immediate"))
		ps = append(ps, rdstypes.Parameter{
			ParameterName:  aws.String(prm.Name),
			ParameterValue: aws.String(prm.Value),
			ApplyMethod:    method,
		})
	}
	if _, err := c.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{
		DBParameterGroupName: aws.String(name),
		Parameters:           ps,
	}); err != nil {
		return fmt.Errorf("set parameters of %s: %w", name, err)
	}
	return nil
}

// Diff: a new name or family replaces the group; parameters update in place.
func (*ParameterGroup) Diff(_ context.Context, req infer.DiffRequest[ParameterGroupArgs, ParameterGroupState]) (infer.DiffResponse, error) {
	old, news := req.State.ParameterGroupArgs, req.Inputs
	d := map[string]p.PropertyDiff{}
	if news.Name != nil && aws.ToString(news.Name) != aws.ToString(old.Name) {
		d["name"] = p.PropertyDiff{Kind: p.UpdateReplace, InputDiff: true}
	}
	if news.Family != old.Family {
		d["family"] = p.PropertyDiff{Kind: p.UpdateReplace, InputDiff: true}
	}
	if news.Description != nil && aws.ToString(news.Description) != aws.ToString(old.Description) {
		d["description"] = p.PropertyDiff{Kind: p.UpdateReplace, InputDiff: true}
	}
	if !reflect.DeepEqual(normParams(news.Parameters), normParams(old.Parameters)) {
		d["parameters"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	if len(news.Tags)+len(old.Tags) > 0 && !reflect.DeepEqual(news.Tags, old.Tags) {
		d["tags"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	replace := false
	for _, v := range d {
		if v.Kind == p.UpdateReplace {
			replace = true
		}
	}
	return p.DiffResponse{
		HasChanges:          len(d) > 0,
		DetailedDiff:        d,
		DeleteBeforeReplace: replace && news.Name != nil,
	}, nil
}

func normParams(ps []Parameter) map[string]string {
	m := map[string]string{}
	for _, prm := range ps {
		m[prm.Name] = prm.Value + "/" + orDefault(prm.ApplyMethod, "immediate")
	}
	return m
}

// Update sets changed parameters (removed ones are reset).
func (*ParameterGroup) Update(ctx context.Context, req infer.UpdateRequest[ParameterGroupArgs, ParameterGroupState]) (infer.UpdateResponse[ParameterGroupState], error) {
	st := req.State
	name := aws.ToString(st.Name)
	newState := st
	newState.ParameterGroupArgs = req.Inputs
	newState.Name = st.Name
	newState.Description = st.Description
	newState.TagsAll = req.Inputs.Tags
	if req.DryRun {
		return infer.UpdateResponse[ParameterGroupState]{Output: newState}, nil
	}
	c, err := newRDSClient(ctx)
	if err != nil {
		return infer.UpdateResponse[ParameterGroupState]{}, err
	}
	want := map[string]bool{}
	for _, prm := range req.Inputs.Parameters {
		want[prm.Name] = true
	}
	var reset []rdstypes.Parameter
	for _, prm := range st.Parameters {
		if !want[prm.Name] {
			reset = append(reset, rdstypes.Parameter{ParameterName: aws.String(prm.Name), ApplyMethod: rdstypes.ApplyMethodPendingReboot})
		}
	}
	if len(reset) > 0 {
		if _, err := c.ResetDBParameterGroup(ctx, &rds.ResetDBParameterGroupInput{DBParameterGroupName: aws.String(name), Parameters: reset}); err != nil {
			return infer.UpdateResponse[ParameterGroupState]{}, fmt.Errorf("reset parameters of %s: %w", name, err)
		}
	}
	if err := setParameters(ctx, c, name, req.Inputs.Parameters); err != nil {
		return infer.UpdateResponse[ParameterGroupState]{}, err
	}
	return infer.UpdateResponse[ParameterGroupState]{Output: newState}, nil
}

// Read checks the group still exists; parameters are kept from the state.
func (*ParameterGroup) Read(ctx context.Context, req infer.ReadRequest[ParameterGroupArgs, ParameterGroupState]) (infer.ReadResponse[ParameterGroupArgs, ParameterGroupState], error) {
	c, err := newRDSClient(ctx)
	if err != nil {
		return infer.ReadResponse[ParameterGroupArgs, ParameterGroupState]{}, err
	}
	out, err := c.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(req.ID)})
	if err != nil {
		if errorCode(err) == "DBParameterGroupNotFound" {
			return infer.ReadResponse[ParameterGroupArgs, ParameterGroupState]{}, nil
		}
		return infer.ReadResponse[ParameterGroupArgs, ParameterGroupState]{}, fmt.Errorf("describe parameter group %s: %w", req.ID, err)
	}
	if len(out.DBParameterGroups) == 0 {
		return infer.ReadResponse[ParameterGroupArgs, ParameterGroupState]{}, nil
	}
	g := out.DBParameterGroups[0]
	st := req.State
	st.Name = g.DBParameterGroupName
	st.Family = aws.ToString(g.DBParameterGroupFamily)
	st.Description = g.Description
	st.Arn = aws.ToString(g.DBParameterGroupArn)
	return infer.ReadResponse[ParameterGroupArgs, ParameterGroupState]{ID: req.ID, Inputs: req.Inputs, State: st}, nil
}

// Delete deletes the group.
func (*ParameterGroup) Delete(ctx context.Context, req infer.DeleteRequest[ParameterGroupState]) (infer.DeleteResponse, error) {
	c, err := newRDSClient(ctx)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	if _, err := c.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String(req.ID)}); err != nil {
		if errorCode(err) == "DBParameterGroupNotFound" {
			return infer.DeleteResponse{}, nil
		}
		return infer.DeleteResponse{}, fmt.Errorf("delete parameter group %s: %w", req.ID, err)
	}
	return infer.DeleteResponse{}, nil
}
