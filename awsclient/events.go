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
	EventUpgradeStarted     = "RDS-EVENT-0267"
	EventUpgradeFinished    = "RDS-EVENT-0268"
)

// eventCatalogue maps the start of an event message to its RDS-EVENT id.
// The API does not return the id, only the message and categories, so the
// id is recognised from the message (source: the RDS user guide's event
// list). Longer prefixes come first where one is a prefix of another.
var eventCatalogue = []struct{ prefix, id string }{
	{"database instance is in a state that cannot be upgraded", EventUpgradeNotPossible},
	{"db instance created", EventCreated},
	{"db instance deleted", EventDeleted},
	{"db instance restarted", EventRestarted},
	{"db instance shutdown", "RDS-EVENT-0004"},
	{"db instance stopped", "RDS-EVENT-0087"},
	{"db instance started", "RDS-EVENT-0088"},
	{"backing up db instance", "RDS-EVENT-0001"},
	{"finished db instance backup", "RDS-EVENT-0002"},
	{"updated to use dbparametergroup", "RDS-EVENT-0011"},
	{"applying modification to convert to a multi-az", "RDS-EVENT-0024"},
	{"finished applying modification to convert to a multi-az", "RDS-EVENT-0025"},
	{"applying modification to database instance class", "RDS-EVENT-0012"},
	{"finished applying modification to db instance class", "RDS-EVENT-0014"},
	{"restored from snapshot", EventRestoredFromSnap},
	{"database instance patched", "RDS-EVENT-0047"},
	{"renamed instance from", "RDS-EVENT-0064"},
	{"creating manual snapshot", "RDS-EVENT-0040"},
	{"manual snapshot created", "RDS-EVENT-0042"},
	{"deleted user snapshot", "RDS-EVENT-0041"},
	{"creating automated snapshot", "RDS-EVENT-0090"},
	{"automated snapshot created", "RDS-EVENT-0091"},
	{"performing a pre-upgrade check", "RDS-EVENT-0264"},
	{"upgrade preparation started", "RDS-EVENT-0264"},
	{"upgrade preparation in progress", "RDS-EVENT-0264"},
	{"upgrade preparation finished", "RDS-EVENT-0265"},
	{"database instance outage", "RDS-EVENT-0266"},
	{"database instance in offline state", "RDS-EVENT-0266"},
	{"the engine version upgrade started", EventUpgradeStarted},
	{"upgrade in progress", EventUpgradeStarted},
	{"the engine version upgrade finished", EventUpgradeFinished},
	{"database instance upgraded", EventUpgradeFinished},
	{"the post-upgrade tasks", "RDS-EVENT-0269"},
	{"the database upgrade failed", "RDS-EVENT-0270"},
	{"a newer minor version is available", "RDS-EVENT-0155"},
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
	for _, e := range eventCatalogue {
		if strings.HasPrefix(msg, e.prefix) {
			return e.id
		}
	}
	return ""
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
