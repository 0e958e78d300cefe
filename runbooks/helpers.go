package runbooks

import (
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

// awsIdentity is the run's recorded identity as the AWS client's type.
func awsIdentity(id engine.Identity) awsclient.Identity {
	return awsclient.Identity{
		Account: id.Account, ARN: id.ARN, UserID: id.UserID, CredentialSource: id.CredentialSource,
		Profile: id.Profile, Region: id.Region, Endpoint: id.Endpoint,
	}
}
