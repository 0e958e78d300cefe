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
// background, so a clock.Manual steps the simulation deterministically.
//
// Time on the wire: the world's instants are those of its clock — the wall
// clock outside tests — and a faster world (clock.NewWall(N), a rehearsal's
// --speed N) shrinks its durations instead of running its clock ahead: a
// 7-minute restore takes 7/N minutes of real time, and every timestamp the
// simulator reports (events, create times, snapshot times) is at or before
// its clients' own now, so a client's StartTime/EndTime window or a person's
// chosen time means what it says. Scheduled dates that AWS itself reports in
// the future (pending maintenance's apply dates) stay in the future.
//
// Events: DescribeEvents has no event-id field, as in the real API; an event
// is known by its message, which the simulator writes as AWS's event
// catalogue does ("Database instance is in a state that cannot be upgraded:
// ..." is RDS-EVENT-0158). SourceArn carries the resource's ARN. IdentifyEvent
// maps a message back to its RDS-EVENT id and Catalogue lists the known ones.
//
// Timelines (AWS time, constants in timeline.go): create or restore
// 5 min creating (no Endpoint), then 2 min backing-up (Endpoint published,
// initial automated snapshot), then available; a restore in the
// restore-incompatible-parameters scenario ends in incompatible-parameters.
// A rename (NewDBInstanceIdentifier + ApplyImmediately) is renaming under the
// old name (no Endpoint) for 30 s, then neither name answers for 15 s, then
// the new name is rebooting until 3 min, then available with the new
// address; the old name stays refused with DBInstanceAlreadyExists for 4
// minutes from the switch (10 in rename-refused). An engine upgrade is
// upgrading for 10 min, the version changing after the 3-minute downtime that
// follows the 3-minute pre-check; with pending maintenance the pre-check fails
// (RDS-EVENT-0158) and the version stays. Deleting lasts until the final
// snapshot is available (3 min) plus 30 s, then DBInstanceNotFound.
//
// Beyond instances and snapshots: parameter groups belong to a family whose
// parameters they show (families.go); database log files, including the
// pg_upgrade logs a failed pre-check leaves (logs.go); pending maintenance
// of several kinds with opt-ins (ops_misc.go); automated backups, retained
// after a deletion, and point-in-time restores (pitr.go). docs/FIDELITY.md
// lists what is modelled, with sources, and what is not.
//
// As in RDS, DescribeEvents refuses a SourceIdentifier without SourceType
// (InvalidParameterCombination) and defaults to the last 60 minutes.
//
// Faults: a scenario (Scenarios) sets up the world and a list of Fault rules
// keyed on the request number (every request counts), so injected failures
// are deterministic given the sequence of requests. InjectFault adds one at
// run time.
package rdssim
