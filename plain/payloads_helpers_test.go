package plain

import (
	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// sampleOf is the engine's payload of a poller's sample, built by the
// runbooks' adapter as a run builds it.
func sampleOf(c awsclient.Change) *engine.Sample {
	s := runbooks.Sample(c)
	return &s
}
