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
		// A parameter the family does not have is refused: that is how a
		// setting carried over from an older major shows up.
		def, ok := familyDef(pg.Family, name)
		if !ok {
			return nil, invalidValue("Could not find parameter with name: %s", name)
		}
		if def.Fixed {
			return nil, invalidValue("The parameter %s cannot be modified.", name)
		}
		if method == "immediate" && def.ApplyType == "static" {
			return nil, invalidCombination("cannot use immediate apply method for static parameter")
		}
		if method == "" {
			method = "pending-reboot"
		}
		own := Parameter{Name: name, Value: value, ApplyType: def.ApplyType, ApplyMethod: method, Source: "user"}
		if i := slices.IndexFunc(pg.Parameters, func(x Parameter) bool { return x.Name == name }); i >= 0 {
			pg.Parameters[i] = own
		} else {
			pg.Parameters = append(pg.Parameters, own)
		}
	}
	return paramGroupNameResult{pg.Name}, nil
}

func resetParameterGroupWrites(w *World, p params, _ time.Time) (any, *apiError) {
	pg, err := userParamGroup(w, p)
	if err != nil {
		return nil, err
	}
	all, err := p.flag("ResetAllParameters")
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, g := range p.indexed("Parameters") {
		names[params{g}.str("ParameterName")] = true
	}
	if !all && len(names) == 0 {
		return nil, invalidCombination("Specify either ResetAllParameters or a list of Parameters.")
	}
	// Resetting drops the group's own value: the family default shows again.
	pg.Parameters = slices.DeleteFunc(pg.Parameters, func(x Parameter) bool { return all || names[x.Name] })
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
