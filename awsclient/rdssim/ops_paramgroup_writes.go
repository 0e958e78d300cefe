package rdssim

import (
	"slices"
	"strings"
	"time"
)

// This file was added by the pulumitools engineer: the test Pulumi provider
// (tools/pulumi) manages aws:rds/parameterGroup:ParameterGroup, which needs
// ModifyDBParameterGroup, ResetDBParameterGroup and DeleteDBParameterGroup.
// The handlers register only when the simulator does not already have its
// own, so the simulator's owner can replace them without conflict.
func init() {
	for action, h := range map[string]handler{
		"ModifyDBParameterGroup": modifyParameterGroupWrites,
		"ResetDBParameterGroup":  resetParameterGroupWrites,
		"DeleteDBParameterGroup": deleteParameterGroupWrites,
	} {
		if _, ok := handlers[action]; !ok {
			handlers[action] = h
		}
	}
}

type paramGroupNameResult struct {
	DBParameterGroupName string
}

// userParamGroup resolves a parameter group that a user may change.
func userParamGroup(w *World, p params) (*ParameterGroup, *apiError) {
	name, err := p.required("DBParameterGroupName")
	if err != nil {
		return nil, err
	}
	pg := w.ParameterGroup(name)
	if pg == nil {
		return nil, paramGroupNotFound(name)
	}
	if strings.HasPrefix(pg.Name, "default.") {
		return nil, invalidValue("Default parameter groups cannot be modified: %s", pg.Name)
	}
	return pg, nil
}

func modifyParameterGroupWrites(w *World, p params, _ time.Time) (any, *apiError) {
	pg, err := userParamGroup(w, p)
	if err != nil {
		return nil, err
	}
	groups := p.indexed("Parameters")
	if len(groups) == 0 {
		return nil, errf(400, "MissingParameter", "The request must contain the parameter Parameters")
	}
	if len(groups) > 20 {
		return nil, invalidValue("A maximum of 20 parameters can be modified in a single request.")
	}
	for _, g := range groups {
		sub := params{g}
		name, value, method := sub.str("ParameterName"), sub.str("ParameterValue"), sub.str("ApplyMethod")
		if name == "" {
			return nil, invalidValue("A parameter name is required.")
		}
		if method != "" && method != "immediate" && method != "pending-reboot" {
			return nil, invalidValue("Invalid apply method %s for parameter %s.", method, name)
		}
		i := slices.IndexFunc(pg.Parameters, func(x Parameter) bool { return x.Name == name })
		if i < 0 {
			pg.Parameters = append(pg.Parameters, Parameter{Name: name, ApplyType: "dynamic"})
			i = len(pg.Parameters) - 1
		}
		x := &pg.Parameters[i]
		if method == "immediate" && x.ApplyType == "static" {
			return nil, invalidCombination("cannot use immediate apply method for static parameter")
		}
		x.Value, x.Source = value, "user"
		if method != "" {
			x.ApplyMethod = method
		}
	}
	return paramGroupNameResult{pg.Name}, nil
}

func resetParameterGroupWrites(w *World, p params, _ time.Time) (any, *apiError) {
	pg, err := userParamGroup(w, p)
	if err != nil {
		return nil, err
	}
	var defaults []Parameter
	if def := w.ParameterGroup("default." + pg.Family); def != nil {
		defaults = def.Parameters
	}
	all, _ := p.flag("ResetAllParameters")
	names := map[string]bool{}
	for _, g := range p.indexed("Parameters") {
		names[params{g}.str("ParameterName")] = true
	}
	var out []Parameter
	for _, x := range pg.Parameters {
		if x.Source != "user" || (!all && !names[x.Name]) {
			out = append(out, x)
			continue
		}
		if i := slices.IndexFunc(defaults, func(d Parameter) bool { return d.Name == x.Name }); i >= 0 {
			out = append(out, defaults[i])
		}
	}
	pg.Parameters = out
	return paramGroupNameResult{pg.Name}, nil
}

func deleteParameterGroupWrites(w *World, p params, _ time.Time) (any, *apiError) {
	pg, err := userParamGroup(w, p)
	if err != nil {
		return nil, err
	}
	for _, in := range w.Instances {
		if in.ParameterGroup == pg.Name {
			return nil, errf(400, "InvalidDBParameterGroupState", "One or more database instances are still members of this parameter group %s, so the group cannot be deleted", pg.Name)
		}
	}
	w.ParameterGroups = slices.DeleteFunc(w.ParameterGroups, func(x *ParameterGroup) bool { return x == pg })
	return nil, nil
}
