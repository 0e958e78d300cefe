package awsclient

import (
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Well-known RDS event ids the runbooks react to.
const (
	EventUpgradeNotPossible = "RDS-EVENT-0158" // the instance cannot be upgraded (pg_upgrade precheck failed)
	EventCreated            = "RDS-EVENT-0005"
	EventDeleted            = "RDS-EVENT-0003"
	EventRestarted          = "RDS-EVENT-0006"
	EventRestoredFromSnap   = "RDS-EVENT-0043"
	EventRestoredToPoint    = "RDS-EVENT-0019" // restored from a point-in-time backup
	EventUpgradeStarted     = "RDS-EVENT-0267"
	EventUpgradeFinished    = "RDS-EVENT-0268"
)

// eventCatalogue maps the start of an event message to its RDS-EVENT id.
// The API does not return the id, only the message and categories, so the
// id is recognised from the message text as the RDS user guide's event list
// words it (compared without case; the longest matching start wins).
var eventCatalogue = []struct{ prefix, id string }{
	{"Backing up DB instance", "RDS-EVENT-0001"},
	{"Finished DB Instance backup", "RDS-EVENT-0002"},
	{"DB instance deleted", EventDeleted},
	{"DB instance shutdown", "RDS-EVENT-0004"},
	{"DB instance created", EventCreated},
	{"DB instance restarted", EventRestarted},
	{"Updated to use DBParameterGroup", "RDS-EVENT-0011"},
	{"Applying modification to database instance class", "RDS-EVENT-0012"},
	{"Finished applying modification to DB instance class", "RDS-EVENT-0014"},
	{"Applying modification to convert to a Multi-AZ DB instance", "RDS-EVENT-0024"},
	{"Finished applying modification to convert to a Multi-AZ DB instance", "RDS-EVENT-0025"},
	{"Applying off-line patches to DB instance", "RDS-EVENT-0026"},
	{"Finished applying off-line patches to DB instance", "RDS-EVENT-0027"},
	{"Applying modification to convert to a standard (Single-AZ) DB instance", "RDS-EVENT-0028"},
	{"Finished applying modification to convert to a standard (Single-AZ) DB instance", "RDS-EVENT-0029"},
	{"Creating manual snapshot", "RDS-EVENT-0040"},
	{"Deleted user snapshot", "RDS-EVENT-0041"},
	{"Manual snapshot created", "RDS-EVENT-0042"},
	{"Restored from snapshot", EventRestoredFromSnap},
	{"Restored from DB instance", EventRestoredToPoint},
	{"Database instance patched", "RDS-EVENT-0047"},
	{"DB instance stopped", "RDS-EVENT-0087"},
	{"DB instance started", "RDS-EVENT-0088"},
	{"Creating automated snapshot", "RDS-EVENT-0090"},
	{"Automated snapshot created", "RDS-EVENT-0091"},
	{"A newer minor version is available", "RDS-EVENT-0155"},
	{"Database instance is in a state that cannot be upgraded", EventUpgradeNotPossible},
	{"The pre-check started for the DB engine version upgrade", "RDS-EVENT-0264"},
	{"The pre-check finished for the DB engine version upgrade", "RDS-EVENT-0265"},
	{"The downtime started for the DB instance", "RDS-EVENT-0266"},
	{"The engine version upgrade started", EventUpgradeStarted},
	{"The engine version upgrade finished", EventUpgradeFinished},
	{"The post-upgrade tasks are in progress", "RDS-EVENT-0269"},
	{"The DB engine version upgrade failed", "RDS-EVENT-0270"},
}

// eventIDInText finds an id written into the message or the source ARN
// (some tools, and our simulator's extension, carry it there).
var eventIDInText = regexp.MustCompile(`RDS-EVENT-\d{4}`)

// EventID recognises an event's RDS-EVENT id from its message, or "".
func EventID(message string) string {
	if m := eventIDInText.FindString(message); m != "" {
		return m
	}
	msg := strings.ToLower(strings.TrimSpace(message))
	best, bestLen := "", 0
	for _, e := range eventCatalogue {
		if len(e.prefix) > bestLen && strings.HasPrefix(msg, strings.ToLower(e.prefix)) {
			best, bestLen = e.id, len(e.prefix)
		}
	}
	return best
}

// eventFrom maps the SDK's Event.
func eventFrom(e rdstypes.Event) Event {
	ev := Event{
		SourceID:   aws.ToString(e.SourceIdentifier),
		SourceType: string(e.SourceType),
		Time:       aws.ToTime(e.Date),
		Message:    aws.ToString(e.Message),
		Categories: append([]string(nil), e.EventCategories...),
	}
	ev.ID = EventID(ev.Message)
	if ev.ID == "" {
		ev.ID = eventIDInText.FindString(aws.ToString(e.SourceArn))
	}
	return ev
}
