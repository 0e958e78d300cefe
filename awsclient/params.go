package awsclient

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// ParameterGroup is a DB parameter group and the family it belongs to. A
// major-version upgrade needs a group of the target family.
type ParameterGroup struct {
	Name        string
	Family      string // e.g. postgres16
	Description string
	ARN         string
}

// Parameter is one parameter of a group or of a family's engine defaults.
type Parameter struct {
	Name        string
	Value       string // empty when AWS shows no value (the engine's built-in default)
	Source      string // user, system, engine-default
	ApplyType   string // dynamic, static
	ApplyMethod string // immediate, pending-reboot
	Modifiable  bool
}

// ParameterGroup describes one parameter group, with its family.
func (c *Client) ParameterGroup(ctx context.Context, name string) (ParameterGroup, error) {
	op := "describe parameter group " + name
	if strings.TrimSpace(name) == "" {
		return ParameterGroup{}, inputError(op, "no parameter group name given", "read it from the instance (`datalayer status --instance ID`)")
	}
	out, err := c.rds.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String(name)})
	if err != nil {
		return ParameterGroup{}, wrapErr(op, err)
	}
	if len(out.DBParameterGroups) == 0 {
		return ParameterGroup{}, &Error{Kind: KindNotFound, Op: op, Code: "DBParameterGroupNotFound", Summary: codeHelp["DBParameterGroupNotFound"][0], Next: codeHelp["DBParameterGroupNotFound"][1]}
	}
	g := out.DBParameterGroups[0]
	return ParameterGroup{
		Name: aws.ToString(g.DBParameterGroupName), Family: aws.ToString(g.DBParameterGroupFamily),
		Description: aws.ToString(g.Description), ARN: aws.ToString(g.DBParameterGroupArn),
	}, nil
}

// Parameter sources DescribeDBParameters filters on.
const (
	SourceUser          = "user"
	SourceEngineDefault = "engine-default"
	SourceSystem        = "system"
)

// Parameters lists a group's parameters, every page, sorted by name; source
// (SourceUser, ...) keeps only those of that source, "" keeps all. The
// SourceUser ones are the values the group sets itself: what must be carried
// to a group of the next family. A default group has none.
func (c *Client) Parameters(ctx context.Context, group, source string) ([]Parameter, error) {
	op := "list the parameters of " + group
	if strings.TrimSpace(group) == "" {
		return nil, inputError(op, "no parameter group name given", "read it from the instance (`datalayer status --instance ID`)")
	}
	in := &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(group)}
	if source != "" {
		in.Source = aws.String(source)
	}
	p := rds.NewDescribeDBParametersPaginator(c.rds, in)
	var out []Parameter
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrapErr(op, err)
		}
		for _, x := range page.Parameters {
			out = append(out, parameterFrom(x))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// FamilyParameters lists a family's parameters with their engine defaults
// (DescribeEngineDefaultParameters), every page, sorted by name.
func (c *Client) FamilyParameters(ctx context.Context, family string) ([]Parameter, error) {
	op := "list the parameters of family " + family
	if strings.TrimSpace(family) == "" {
		return nil, inputError(op, "no parameter group family given", "use the family of the target version (EngineFamily), e.g. postgres17")
	}
	p := rds.NewDescribeEngineDefaultParametersPaginator(c.rds, &rds.DescribeEngineDefaultParametersInput{DBParameterGroupFamily: aws.String(family)})
	var out []Parameter
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrapErr(op, err)
		}
		if page.EngineDefaults == nil {
			break
		}
		for _, x := range page.EngineDefaults.Parameters {
			out = append(out, parameterFrom(x))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// EngineFamily reports the parameter group family of an engine version, as
// DescribeDBEngineVersions gives it (postgres 17.6 → postgres17).
func (c *Client) EngineFamily(ctx context.Context, engine, version string) (string, error) {
	op := fmt.Sprintf("find the parameter group family of %s %s", engine, version)
	if engine == "" || version == "" {
		return "", inputError(op, "engine and engine version are both needed", "read them from the instance or the chosen upgrade target")
	}
	out, err := c.rds.DescribeDBEngineVersions(ctx, &rds.DescribeDBEngineVersionsInput{Engine: aws.String(engine), EngineVersion: aws.String(version)})
	if err != nil {
		return "", wrapErr(op, err)
	}
	for _, v := range out.DBEngineVersions {
		if aws.ToString(v.EngineVersion) == version && aws.ToString(v.DBParameterGroupFamily) != "" {
			return aws.ToString(v.DBParameterGroupFamily), nil
		}
	}
	return "", &Error{Kind: KindNotFound, Op: op, Summary: "AWS does not offer this engine version in this region",
		Next: "pick a version from the upgrade targets (`datalayer upgrade` lists them)"}
}

// MissingFrom returns the parameters of set whose names the family does not
// have: settings of an old group that a group of the target family cannot
// carry (old_snapshot_threshold is gone in postgres17).
func MissingFrom(set, family []Parameter) []Parameter {
	var out []Parameter
	for _, p := range set {
		if !slices.ContainsFunc(family, func(f Parameter) bool { return f.Name == p.Name }) {
			out = append(out, p)
		}
	}
	return out
}

func parameterFrom(x rdstypes.Parameter) Parameter {
	return Parameter{
		Name: aws.ToString(x.ParameterName), Value: aws.ToString(x.ParameterValue), Source: aws.ToString(x.Source),
		ApplyType: aws.ToString(x.ApplyType), ApplyMethod: string(x.ApplyMethod), Modifiable: aws.ToBool(x.IsModifiable),
	}
}
