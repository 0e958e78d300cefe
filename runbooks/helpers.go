package runbooks

import (
	"sort"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
)

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// round rounds a duration for people: to the second past a minute, else to
// a tenth of a second.
func round(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fill replaces {var} placeholders in s with known, non-secret values.
func fill(s string, vars map[string]string) string { return engine.Fill(s, vars) }

// awsIdentity is the run's recorded identity as the AWS client's type.
func awsIdentity(id engine.Identity) awsclient.Identity {
	return awsclient.Identity{
		Account: id.Account, ARN: id.ARN, UserID: id.UserID, CredentialSource: id.CredentialSource,
		Profile: id.Profile, Region: id.Region, Endpoint: id.Endpoint,
	}
}
