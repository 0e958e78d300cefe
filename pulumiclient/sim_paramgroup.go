package pulumiclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
)

// Parameter groups in the simulated engine (added by the upgrade engineer,
// issue 14; kept in its own file so the engine's owner can move it). A
// group the program declares is created when AWS does not have it yet; the
// instance's parameterGroupName follows the group the program points it
// at, in the same ModifyDBInstance as an engine upgrade, as the AWS
// provider sends them. The simulated state does not record groups: one
// that exists in AWS counts as deployed, so a group removed from the
// program is not planned for deletion (a known gap of the simulation).

// simGroupRDS lists the parameter group calls the simulated engine makes.
type simGroupRDS interface {
	DescribeDBParameterGroups(ctx context.Context, in *rds.DescribeDBParameterGroupsInput, opts ...func(*rds.Options)) (*rds.DescribeDBParameterGroupsOutput, error)
	CreateDBParameterGroup(ctx context.Context, in *rds.CreateDBParameterGroupInput, opts ...func(*rds.Options)) (*rds.CreateDBParameterGroupOutput, error)
	ModifyDBParameterGroup(ctx context.Context, in *rds.ModifyDBParameterGroupInput, opts ...func(*rds.Options)) (*rds.ModifyDBParameterGroupOutput, error)
}

// simGroups is the parameter group part of a simulated plan.
type simGroups struct {
	create []ParameterGroupDecl // declared, not in AWS yet
	// instance is the AWS name of the group the program points the
	// instance at; "" when it names none of the declared groups.
	instance string
}

// planGroups reads the program's groups and asks AWS which exist.
func (s *SimStack) planGroups(ctx context.Context) (simGroups, error) {
	var out simGroups
	prog, err := LoadProgram(s.dir)
	if errors.Is(err, ErrNoRDSInstance) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	decls, err := prog.ParameterGroups()
	if err != nil {
		return out, err
	}
	if g, err := prog.InstanceParameterGroup(); err == nil && g != nil {
		out.instance = g.Name
	}
	api, ok := s.opts.RDS.(simGroupRDS)
	if !ok {
		return out, nil
	}
	for _, d := range decls {
		if d.Name == "" {
			continue
		}
		err := s.call(ctx, func(ctx context.Context) error {
			_, err := api.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(d.Name)})
			return err
		})
		var ae smithy.APIError
		switch {
		case err == nil:
		case errors.As(err, &ae) && ae.ErrorCode() == "DBParameterGroupNotFound":
			out.create = append(out.create, d)
		default:
			return out, fmt.Errorf("read parameter group %s: %w", d.Name, err)
		}
	}
	return out, nil
}

// groupSteps are the planned steps of the groups to create.
func (s *SimStack) groupSteps(g simGroups) []PlannedStep {
	var steps []PlannedStep
	for _, d := range g.create {
		steps = append(steps, PlannedStep{URN: s.urn(ParameterGroupType, d.Resource), Type: ParameterGroupType, Op: OpCreate, Name: d.Resource})
	}
	return steps
}

// createGroups creates the planned groups with their parameters.
func (s *SimStack) createGroups(ctx context.Context, g simGroups, em emitter) error {
	api, ok := s.opts.RDS.(simGroupRDS)
	if !ok && len(g.create) > 0 {
		return errors.New("the simulated engine's RDS client cannot create parameter groups")
	}
	for _, d := range g.create {
		urn := s.urn(ParameterGroupType, d.Resource)
		em.send(Progress{URN: urn, Type: ParameterGroupType, Op: OpCreate, Status: StepStarted})
		fail := func(err error) error {
			em.diag(urn, "error", fmt.Sprintf("creating RDS DB Parameter Group (%s): %v", d.Name, err))
			em.send(Progress{URN: urn, Type: ParameterGroupType, Op: OpCreate, Status: StepFailed})
			return fmt.Errorf("create parameter group %s: %w", d.Name, err)
		}
		if err := s.call(ctx, func(ctx context.Context) error {
			_, err := api.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
				DBParameterGroupName: aws.String(d.Name), DBParameterGroupFamily: aws.String(d.Family), Description: aws.String("Managed by Pulumi"),
			})
			return err
		}); err != nil {
			return fail(err)
		}
		if len(d.Parameters) > 0 {
			ps := make([]rdstypes.Parameter, 0, len(d.Parameters))
			for _, p := range d.Parameters {
				method := p.ApplyMethod
				if method == "" {
					method = "immediate"
				}
				ps = append(ps, rdstypes.Parameter{ParameterName: aws.String(p.Name), ParameterValue: aws.String(p.Value), ApplyMethod: rdstypes.ApplyMethod(method)})
			}
			if err := s.call(ctx, func(ctx context.Context) error {
				_, err := api.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(d.Name), Parameters: ps})
				return err
			}); err != nil {
				return fail(err)
			}
		}
		em.send(Progress{URN: urn, Type: ParameterGroupType, Op: OpCreate, Status: StepDone, ID: d.Name})
	}
	return nil
}
