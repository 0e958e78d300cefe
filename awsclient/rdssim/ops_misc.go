package rdssim

import (
	"slices"
	"strings"
	"time"
)

type xEngineVersions struct {
	Items []xEngineVersion `xml:"DBEngineVersion"`
}

type describeEngineVersionsResult struct {
	Marker           string `xml:",omitempty"`
	DBEngineVersions xEngineVersions
}

func describeEngineVersions(w *World, p params, _ time.Time) (any, *apiError) {
	filters, err := p.filters("db-parameter-group-family", "engine", "engine-mode", "engine-version", "status")
	if err != nil {
		return nil, err
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	defaultOnly, err := p.flag("DefaultOnly")
	if err != nil {
		return nil, err
	}
	if _, err := p.flag("IncludeAll"); err != nil {
		return nil, err
	}
	engine, version, fam := p.str("Engine"), p.str("EngineVersion"), p.str("DBParameterGroupFamily")
	if version != "" && engine == "" {
		return nil, invalidCombination("The parameter Engine must be provided when EngineVersion is provided.")
	}
	var list []*EngineVersion
	for i := range w.EngineVersions {
		ev := &w.EngineVersions[i]
		if engine != "" && ev.Engine != engine {
			continue
		}
		// A version "16" matches every 16.x, as RDS does.
		if version != "" && ev.Version != version && majorOf(ev.Version) != version {
			continue
		}
		if fam != "" && ev.Family != fam {
			continue
		}
		if defaultOnly && !ev.IsDefault && version == "" {
			continue
		}
		keep := true
		for _, f := range filters {
			match := false
			for _, v := range f.Values {
				switch f.Name {
				case "db-parameter-group-family":
					match = match || ev.Family == v
				case "engine":
					match = match || ev.Engine == v
				case "engine-mode":
					match = match || v == "provisioned"
				case "engine-version":
					match = match || ev.Version == v
				case "status":
					match = match || v == "available"
				}
			}
			keep = keep && match
		}
		if keep {
			list = append(list, ev)
		}
	}
	if defaultOnly && version != "" && len(list) > 1 {
		list = list[len(list)-1:]
	}
	lo, hi, marker := paginate(len(list), offset, limit)
	res := describeEngineVersionsResult{Marker: marker}
	for _, ev := range list[lo:hi] {
		res.DBEngineVersions.Items = append(res.DBEngineVersions.Items, xEngine(ev))
	}
	return res, nil
}

type xPendingList struct {
	Items []xResourcePending `xml:"ResourcePendingMaintenanceActions"`
}

type describePendingResult struct {
	Marker                    string `xml:",omitempty"`
	PendingMaintenanceActions xPendingList
}

type applyPendingResult struct {
	ResourcePendingMaintenanceActions xResourcePending
}

func (w *World) instanceByARN(arn string) *Instance {
	for _, in := range w.Instances {
		if !in.Hidden && w.InstanceARN(in.ID) == arn {
			return in
		}
	}
	return nil
}

func describePendingMaintenance(w *World, p params, now time.Time) (any, *apiError) {
	filters, err := p.filters("db-cluster-id", "db-instance-id")
	if err != nil {
		return nil, err
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	arn := p.str("ResourceIdentifier")
	if arn != "" && w.instanceByARN(arn) == nil {
		return nil, errf(404, "ResourceNotFoundFault", "The specified resource ARN %s was not found.", arn)
	}
	var list []*Instance
	for _, in := range w.Instances {
		if in.Hidden || len(in.Maintenance) == 0 || arn != "" && w.InstanceARN(in.ID) != arn {
			continue
		}
		keep := true
		for _, f := range filters {
			match := false
			for _, v := range f.Values {
				if f.Name == "db-instance-id" {
					match = match || in.ID == strings.ToLower(v) || w.InstanceARN(in.ID) == v
				}
			}
			keep = keep && match
		}
		if keep {
			list = append(list, in)
		}
	}
	lo, hi, marker := paginate(len(list), offset, limit)
	res := describePendingResult{Marker: marker}
	for _, in := range list[lo:hi] {
		res.PendingMaintenanceActions.Items = append(res.PendingMaintenanceActions.Items, w.xPending(in, now))
	}
	return res, nil
}

func applyPendingMaintenance(w *World, p params, now time.Time) (any, *apiError) {
	arn, err := p.required("ResourceIdentifier")
	if err != nil {
		return nil, err
	}
	action, err := p.required("ApplyAction")
	if err != nil {
		return nil, err
	}
	optIn, err := p.required("OptInType")
	if err != nil {
		return nil, err
	}
	if optIn != "immediate" && optIn != "next-maintenance" && optIn != "undo-opt-in" {
		return nil, invalidValue("Invalid OptInType %s: use immediate, next-maintenance or undo-opt-in.", optIn)
	}
	in := w.instanceByARN(arn)
	if in == nil {
		return nil, errf(404, "ResourceNotFoundFault", "The specified resource ARN %s was not found.", arn)
	}
	switch action {
	case "system-update", "db-upgrade", "hardware-maintenance", "os-upgrade", "ca-certificate-rotation":
	default:
		return nil, invalidValue("Invalid ApplyAction %s: use system-update, db-upgrade, hardware-maintenance, os-upgrade or ca-certificate-rotation.", action)
	}
	idx := slices.IndexFunc(in.Maintenance, func(m MaintenanceAction) bool { return m.Action == action })
	if idx < 0 {
		return nil, invalidValue("There is no pending maintenance action %s for resource %s.", action, arn)
	}
	m := &in.Maintenance[idx]
	switch optIn {
	case "immediate":
		if m.OptInStatus == "immediate" {
			break
		}
		// Behind maintenance already running, the action waits its turn.
		if in.Status != "maintenance" {
			if err := requireAvailable(in); err != nil {
				return nil, err
			}
		}
		in.unscheduleMaintenance(action)
		m.OptInStatus, m.CurrentApply = "immediate", now
		if in.Status != "maintenance" {
			w.startMaintenance(in, now, action)
		}
	case "next-maintenance":
		if m.OptInStatus == "immediate" {
			return nil, invalidCombination("The pending maintenance action %s is already being applied: an opt-in of type immediate can't be undone.", action)
		}
		in.unscheduleMaintenance(action)
		m.OptInStatus = "next-maintenance"
		m.CurrentApply = nextWindow(in.MaintenanceWindow, now)
		w.schedule(in, m.CurrentApply, 0, tMaintWindow, action, "", "")
		slices.SortStableFunc(in.Transitions, func(a, b Transition) int { return a.At.Compare(b.At) })
	case "undo-opt-in":
		if m.OptInStatus == "immediate" {
			return nil, invalidCombination("An opt-in request of type immediate can't be undone (%s).", action)
		}
		in.unscheduleMaintenance(action)
		m.OptInStatus = ""
		m.CurrentApply = time.Time{}
	}
	res := applyPendingResult{ResourcePendingMaintenanceActions: w.xPending(in, now)}
	return res, nil
}

// nextWindow is the start of the next maintenance window "ddd:hh:mm-...".
func nextWindow(window string, now time.Time) time.Time {
	days := map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	start, _, _ := strings.Cut(window, "-")
	parts := strings.Split(start, ":")
	if len(parts) != 3 {
		return now.Add(24 * time.Hour)
	}
	t, err := time.Parse("15:04", parts[1]+":"+parts[2])
	if err != nil {
		return now.Add(24 * time.Hour)
	}
	day := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	for i := 0; i < 8; i++ {
		c := day.AddDate(0, 0, i)
		if c.Weekday() == days[parts[0]] && c.After(now) {
			return c
		}
	}
	return now.Add(7 * 24 * time.Hour)
}

type xEvents struct {
	Items []xEvent `xml:"Event"`
}

type describeEventsResult struct {
	Marker string `xml:",omitempty"`
	Events xEvents
}

var sourceTypes = []string{"db-instance", "db-parameter-group", "db-security-group", "db-snapshot", "db-cluster",
	"db-cluster-snapshot", "custom-engine-version", "db-proxy", "blue-green-deployment", "db-shard-group", "zero-etl"}

func describeEvents(w *World, p params, now time.Time) (any, *apiError) {
	if len(p.indexed("Filters")) > 0 {
		return nil, invalidValue("The Filters parameter isn't currently supported for DescribeEvents.")
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	src, typ := p.str("SourceIdentifier"), p.str("SourceType")
	if typ != "" && !slices.Contains(sourceTypes, typ) {
		return nil, invalidValue("Invalid source type: %s", typ)
	}
	if src != "" && typ == "" {
		return nil, invalidCombination("Cannot specify SourceIdentifier without SourceType.")
	}
	start, err := p.timestamp("StartTime")
	if err != nil {
		return nil, err
	}
	end, err := p.timestamp("EndTime")
	if err != nil {
		return nil, err
	}
	dur, err := p.integer("Duration")
	if err != nil {
		return nil, err
	}
	to := now
	if end != nil {
		to = *end
	}
	from := to.Add(-60 * time.Minute)
	switch {
	case start != nil:
		from = *start
	case dur != nil:
		if *dur < 0 {
			return nil, invalidValue("Duration must not be negative.")
		}
		from = to.Add(-time.Duration(*dur) * time.Minute)
	}
	if oldest := now.AddDate(0, 0, -14); from.Before(oldest) {
		from = oldest
	}
	cats := p.list("EventCategories")
	list := slices.DeleteFunc(slices.Clone(w.Events), func(e Event) bool {
		if e.Date.Before(from) || e.Date.After(to) {
			return true
		}
		if typ != "" && e.SourceType != typ {
			return true
		}
		if src != "" && e.SourceID != strings.ToLower(src) && e.SourceARN != src {
			return true
		}
		if len(cats) > 0 && !slices.ContainsFunc(e.Categories, func(c string) bool { return slices.Contains(cats, c) }) {
			return true
		}
		return false
	})
	slices.SortStableFunc(list, func(a, b Event) int { return a.Date.Compare(b.Date) })
	lo, hi, marker := paginate(len(list), offset, limit)
	res := describeEventsResult{Marker: marker}
	for _, e := range list[lo:hi] {
		res.Events.Items = append(res.Events.Items, xEventOf(e))
	}
	return res, nil
}

type xParamGroups struct {
	Items []xParamGroup `xml:"DBParameterGroup"`
}

type describeParamGroupsResult struct {
	Marker            string `xml:",omitempty"`
	DBParameterGroups xParamGroups
}

type createParamGroupResult struct {
	DBParameterGroup xParamGroup
}

func describeParameterGroups(w *World, p params, _ time.Time) (any, *apiError) {
	if len(p.indexed("Filters")) > 0 {
		if _, err := p.filters(); err != nil {
			return nil, err
		}
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	var list []*ParameterGroup
	if name := p.str("DBParameterGroupName"); name != "" {
		pg := w.ParameterGroup(name)
		if pg == nil {
			return nil, paramGroupNotFound(name)
		}
		list = []*ParameterGroup{pg}
	} else {
		list = w.ParameterGroups
	}
	lo, hi, marker := paginate(len(list), offset, limit)
	res := describeParamGroupsResult{Marker: marker}
	for _, pg := range list[lo:hi] {
		res.DBParameterGroups.Items = append(res.DBParameterGroups.Items, w.xParamGroup(pg))
	}
	return res, nil
}

type xParameters struct {
	Items []xParameter `xml:"Parameter"`
}

type describeParametersResult struct {
	Marker     string `xml:",omitempty"`
	Parameters xParameters
}

func describeParameters(w *World, p params, _ time.Time) (any, *apiError) {
	name, err := p.required("DBParameterGroupName")
	if err != nil {
		return nil, err
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	pg := w.ParameterGroup(name)
	if pg == nil {
		return nil, paramGroupNotFound(name)
	}
	src := p.str("Source")
	switch src {
	case "", "user", "system", "engine-default":
	default:
		return nil, invalidValue("Invalid source %s: use user, system or engine-default.", src)
	}
	list := slices.DeleteFunc(parametersOf(pg), func(x Parameter) bool { return src != "" && x.Source != src })
	lo, hi, marker := paginate(len(list), offset, limit)
	res := describeParametersResult{Marker: marker}
	for _, x := range list[lo:hi] {
		res.Parameters.Items = append(res.Parameters.Items, xParam(pg.Family, x))
	}
	return res, nil
}

type xEngineDefaults struct {
	DBParameterGroupFamily string
	Marker                 string `xml:",omitempty"`
	Parameters             xParameters
}

type engineDefaultsResult struct {
	EngineDefaults xEngineDefaults
}

// describeEngineDefaults lists a family's parameters with their engine
// defaults: what a runbook checks an old group's settings against before it
// moves them to the target family.
func describeEngineDefaults(w *World, p params, _ time.Time) (any, *apiError) {
	fam, err := p.required("DBParameterGroupFamily")
	if err != nil {
		return nil, err
	}
	if len(p.indexed("Filters")) > 0 {
		if _, err := p.filters(); err != nil {
			return nil, err
		}
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(w.EngineVersions, func(ev EngineVersion) bool { return ev.Family == fam }) {
		return nil, invalidValue("DBParameterGroupFamily %s is not valid.", fam)
	}
	list := familyDefaults(fam)
	lo, hi, marker := paginate(len(list), offset, limit)
	res := engineDefaultsResult{EngineDefaults: xEngineDefaults{DBParameterGroupFamily: fam, Marker: marker}}
	for _, x := range list[lo:hi] {
		res.EngineDefaults.Parameters.Items = append(res.EngineDefaults.Parameters.Items, xParam(fam, x))
	}
	return res, nil
}

func createParameterGroup(w *World, p params, _ time.Time) (any, *apiError) {
	name, err := p.required("DBParameterGroupName")
	if err != nil {
		return nil, err
	}
	fam, err := p.required("DBParameterGroupFamily")
	if err != nil {
		return nil, err
	}
	desc, err := p.required("Description")
	if err != nil {
		return nil, err
	}
	if validName(name, 255) != nil || strings.HasPrefix(strings.ToLower(name), "default.") {
		return nil, invalidValue("The parameter DBParameterGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.")
	}
	if !slices.ContainsFunc(w.EngineVersions, func(ev EngineVersion) bool { return ev.Family == fam }) {
		return nil, invalidValue("DBParameterGroupFamily %s is not valid.", fam)
	}
	if w.ParameterGroup(name) != nil {
		return nil, errf(400, "DBParameterGroupAlreadyExists", "Parameter group %s already exists", name)
	}
	pg := &ParameterGroup{Name: strings.ToLower(name), Family: fam, Description: desc}
	w.ParameterGroups = append(w.ParameterGroups, pg)
	return createParamGroupResult{w.xParamGroup(pg)}, nil
}

type xSubnetGroups struct {
	Items []xSubnetGroup `xml:"DBSubnetGroup"`
}

type describeSubnetGroupsResult struct {
	Marker         string `xml:",omitempty"`
	DBSubnetGroups xSubnetGroups
}

func describeSubnetGroups(w *World, p params, _ time.Time) (any, *apiError) {
	if len(p.indexed("Filters")) > 0 {
		if _, err := p.filters(); err != nil {
			return nil, err
		}
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	var list []*SubnetGroup
	if name := p.str("DBSubnetGroupName"); name != "" {
		if err := w.checkSubnetGroup(name); err != nil {
			return nil, err
		}
		list = []*SubnetGroup{w.SubnetGroup(name)}
	} else {
		list = w.SubnetGroups
	}
	lo, hi, marker := paginate(len(list), offset, limit)
	res := describeSubnetGroupsResult{Marker: marker}
	for _, g := range list[lo:hi] {
		res.DBSubnetGroups.Items = append(res.DBSubnetGroups.Items, w.xSubnetGroup(g))
	}
	return res, nil
}
