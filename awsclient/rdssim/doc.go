// Package rdssim is an RDS control-plane simulator: an http.Handler speaking
// the RDS Query API (form POST, Version=2014-10-31, XML answers with the real
// element names and error envelope, the x-amzn-RequestId header) plus STS
// GetCallerIdentity, so that the real aws-sdk-go-v2 clients and the official
// AWS CLI v2 work against it unchanged.
//
// State lives in a World (instances, snapshots, parameter and subnet groups,
// engine versions, events) that is advanced lazily on every request from an
// injected clock: each operation schedules timed transitions (creating →
// backing-up → available, renaming → rebooting → available, deleting until
// the final snapshot exists, upgrading with its pre-check and downtime...),
// applied in time order when the clock passes them. No goroutine runs in the
// background, so a clock.Manual steps the simulation deterministically and a
// clock.Scaled plays a 7-minute restore in seconds.
//
// Events: DescribeEvents has no event-id field, as in the real API; an event
// is known by its message, which the simulator writes as AWS's event
// catalogue does ("Database instance is in a state that cannot be upgraded:
// ..." is RDS-EVENT-0158). SourceArn carries the resource's ARN. IdentifyEvent
// maps a message back to its RDS-EVENT id and Catalogue lists the known ones.
//
// Faults: a scenario (Scenarios) sets up the world and a list of Fault rules
// keyed on the request number (every request counts), so injected failures
// are deterministic given the sequence of requests. InjectFault adds one at
// run time.
package rdssim
