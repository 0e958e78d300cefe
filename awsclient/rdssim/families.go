package rdssim

import (
	"slices"
	"strings"
)

// paramDef is one parameter as a DB parameter group family defines it: its
// engine default and how a change applies. A family is the major version's
// set (postgres16, postgres17): a parameter that PostgreSQL removed in a major
// is absent from that family, so a runbook can tell which of an old group's
// settings have no place in the target family.
type paramDef struct {
	Name        string
	Value       string // the engine default; empty when RDS shows none
	ApplyType   string // dynamic, static
	DataType    string // string, integer, boolean, list
	Allowed     string
	Description string
	Source      string   // engine-default or system
	Fixed       bool     // not modifiable
	Only        []string // the families that have it; nil: every postgres family
}

// familyParams lists the parameters the simulator knows for the postgres
// families it offers. The set is small but real: the log settings are RDS's
// documented defaults, rds.force_ssl is on by default, and
// old_snapshot_threshold exists up to postgres16 only (PostgreSQL 17 removed
// the setting). Sources in docs/FIDELITY.md.
var familyParams = []paramDef{
	{Name: "autovacuum", Value: "1", ApplyType: "dynamic", DataType: "boolean", Allowed: "0,1", Description: "Starts the autovacuum subprocess.", Source: "engine-default"},
	{Name: "idle_in_transaction_session_timeout", ApplyType: "dynamic", DataType: "integer", Allowed: "0-2147483647", Description: "Sets the maximum allowed duration of any idling transaction.", Source: "engine-default"},
	{Name: "log_filename", Value: "postgresql.log.%Y-%m-%d-%H", ApplyType: "dynamic", DataType: "string", Allowed: "postgresql.log.%Y-%m-%d,postgresql.log.%Y-%m-%d-%H,postgresql.log.%Y-%m-%d-%H%M", Description: "Sets the file name pattern for log files.", Source: "system"},
	{Name: "log_line_prefix", Value: "%t:%r:%u@%d:[%p]:", ApplyType: "dynamic", DataType: "string", Description: "Controls information prefixed to each log line.", Source: "system", Fixed: true},
	{Name: "log_min_duration_statement", ApplyType: "dynamic", DataType: "integer", Allowed: "-1-2147483647", Description: "Sets the minimum execution time above which statements will be logged.", Source: "engine-default"},
	{Name: "log_rotation_age", Value: "60", ApplyType: "dynamic", DataType: "integer", Allowed: "1-1440", Description: "Automatic log file rotation will occur after N minutes.", Source: "system"},
	{Name: "max_connections", Value: "LEAST({DBInstanceClassMemory/9531392},5000)", ApplyType: "static", DataType: "integer", Allowed: "6-262143", Description: "Sets the maximum number of concurrent connections.", Source: "system"},
	{Name: "old_snapshot_threshold", ApplyType: "static", DataType: "integer", Allowed: "-1-86400", Description: "Time before a snapshot is too old to read pages changed after the snapshot was taken.", Source: "engine-default", Only: []string{"postgres15", "postgres16"}},
	{Name: "rds.force_ssl", Value: "1", ApplyType: "dynamic", DataType: "boolean", Allowed: "0,1", Description: "Force SSL connections.", Source: "system"},
	{Name: "rds.logical_replication", Value: "0", ApplyType: "static", DataType: "boolean", Allowed: "0,1", Description: "Enables logical decoding.", Source: "system"},
	{Name: "shared_preload_libraries", Value: "pg_stat_statements", ApplyType: "static", DataType: "list", Description: "Lists shared libraries to preload into server.", Source: "system"},
	{Name: "statement_timeout", ApplyType: "dynamic", DataType: "integer", Allowed: "0-2147483647", Description: "Sets the maximum allowed duration of any statement.", Source: "engine-default"},
	{Name: "track_io_timing", Value: "1", ApplyType: "dynamic", DataType: "boolean", Allowed: "0,1", Description: "Collects timing statistics for database I/O activity.", Source: "system"},
	{Name: "work_mem", ApplyType: "dynamic", DataType: "integer", Allowed: "64-2147483647", Description: "Sets the maximum memory to be used for query workspaces.", Source: "engine-default"},
}

// familyDefaults returns the engine-default parameters of a family, by name.
func familyDefaults(family string) []Parameter {
	var out []Parameter
	for _, d := range familyParams {
		if d.Only != nil && !slices.Contains(d.Only, family) {
			continue
		}
		out = append(out, Parameter{Name: d.Name, Value: d.Value, ApplyType: d.ApplyType, ApplyMethod: "pending-reboot", Source: d.Source})
	}
	return out
}

// familyDef finds a parameter's definition in a family.
func familyDef(family, name string) (paramDef, bool) {
	for _, d := range familyParams {
		if d.Name == name && (d.Only == nil || slices.Contains(d.Only, family)) {
			return d, true
		}
	}
	return paramDef{}, false
}

// parametersOf is what DescribeDBParameters shows for a group: every
// parameter of its family, with the group's own values (source user) over
// the engine defaults.
func parametersOf(pg *ParameterGroup) []Parameter {
	out := familyDefaults(pg.Family)
	for _, own := range pg.Parameters {
		own.Source = "user"
		if i := slices.IndexFunc(out, func(x Parameter) bool { return x.Name == own.Name }); i >= 0 {
			out[i] = own
		} else {
			out = append(out, own)
		}
	}
	slices.SortFunc(out, func(a, b Parameter) int { return strings.Compare(a.Name, b.Name) })
	return out
}
