package rdssim

import (
	"sort"
	"strings"
)

// EventDef is one entry of the RDS event catalogue: the id AWS documents, the
// categories and the message (for messages with a variable part, the fixed
// text before it).
type EventDef struct {
	ID         string
	Categories []string
	Message    string
}

// The catalogue follows AWS's "Amazon RDS event categories and event messages"
// page. Events marked "sim:" have no documented id; they are recorded
// without one.
var catalogue = map[string]EventDef{
	"RDS-EVENT-0001": {Categories: []string{"backup"}, Message: "Backing up DB instance"},
	"RDS-EVENT-0002": {Categories: []string{"backup"}, Message: "Finished DB Instance backup"},
	"RDS-EVENT-0003": {Categories: []string{"deletion"}, Message: "DB instance deleted"},
	"RDS-EVENT-0005": {Categories: []string{"creation"}, Message: "DB instance created"},
	"RDS-EVENT-0006": {Categories: []string{"availability"}, Message: "DB instance restarted"},
	"RDS-EVENT-0019": {Categories: []string{"restoration"}, Message: "Restored from DB instance "},
	"RDS-EVENT-0011": {Categories: []string{"configuration change"}, Message: "Updated to use DBParameterGroup "},
	"RDS-EVENT-0012": {Categories: []string{"configuration change"}, Message: "Applying modification to database instance class"},
	"RDS-EVENT-0014": {Categories: []string{"configuration change"}, Message: "Finished applying modification to DB instance class"},
	"RDS-EVENT-0024": {Categories: []string{"configuration change"}, Message: "Applying modification to convert to a Multi-AZ DB instance"},
	"RDS-EVENT-0025": {Categories: []string{"configuration change"}, Message: "Finished applying modification to convert to a Multi-AZ DB instance"},
	"RDS-EVENT-0026": {Categories: []string{"maintenance"}, Message: "Applying off-line patches to DB instance"},
	"RDS-EVENT-0027": {Categories: []string{"maintenance"}, Message: "Finished applying off-line patches to DB instance"},
	"RDS-EVENT-0028": {Categories: []string{"configuration change"}, Message: "Applying modification to convert to a standard (Single-AZ) DB instance"},
	"RDS-EVENT-0029": {Categories: []string{"configuration change"}, Message: "Finished applying modification to convert to a standard (Single-AZ) DB instance"},
	"RDS-EVENT-0040": {Categories: []string{"creation"}, Message: "Creating manual snapshot"},
	"RDS-EVENT-0041": {Categories: []string{"deletion"}, Message: "Deleted user snapshot"},
	"RDS-EVENT-0042": {Categories: []string{"creation"}, Message: "Manual snapshot created"},
	"RDS-EVENT-0043": {Categories: []string{"restoration"}, Message: "Restored from snapshot "},
	"RDS-EVENT-0047": {Categories: []string{"maintenance"}, Message: "Database instance patched"},
	"RDS-EVENT-0090": {Categories: []string{"creation"}, Message: "Creating automated snapshot"},
	"RDS-EVENT-0091": {Categories: []string{"creation"}, Message: "Automated snapshot created"},
	"RDS-EVENT-0158": {Categories: []string{"maintenance", "failure"}, Message: "Database instance is in a state that cannot be upgraded: "},
	"RDS-EVENT-0264": {Categories: []string{"maintenance", "notification"}, Message: "The pre-check started for the DB engine version upgrade."},
	"RDS-EVENT-0265": {Categories: []string{"maintenance", "notification"}, Message: "The pre-check finished for the DB engine version upgrade."},
	"RDS-EVENT-0266": {Categories: []string{"maintenance", "notification"}, Message: "The downtime started for the DB instance."},
	"RDS-EVENT-0267": {Categories: []string{"maintenance", "notification"}, Message: "The engine version upgrade started."},
	"RDS-EVENT-0268": {Categories: []string{"maintenance", "notification"}, Message: "The engine version upgrade finished."},
	"RDS-EVENT-0269": {Categories: []string{"maintenance", "notification"}, Message: "The post-upgrade tasks are in progress."},
	"RDS-EVENT-0270": {Categories: []string{"maintenance", "failure"}, Message: "The DB engine version upgrade failed. The upgrade rollback succeeded."},
}

// Events without a documented id still need categories.
var (
	renameCategories       = []string{"configuration change"}
	incompatibleCategories = []string{"failure", "configuration change"}
)

// Catalogue returns the events the simulator records, sorted by id. A client
// can use it to tell which event a message is, since DescribeEvents has no
// event-id field.
func Catalogue() []EventDef {
	out := make([]EventDef, 0, len(catalogue))
	for id, d := range catalogue {
		d.ID = id
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IdentifyEvent returns the RDS-EVENT id whose catalogue text starts msg, or
// "" when none does. The longest match wins, so "Finished applying
// modification..." is not taken for "Applying modification...".
func IdentifyEvent(msg string) string {
	best, bestLen := "", 0
	for id, d := range catalogue {
		if strings.HasPrefix(msg, d.Message) && len(d.Message) > bestLen {
			best, bestLen = id, len(d.Message)
		}
	}
	return best
}
