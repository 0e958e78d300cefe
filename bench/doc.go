// Package bench holds the cross-cutting benchmarks of datalayer: they compose
// the real parts (the aws-sdk-go-v2 client and the shared poller against the
// RDS simulator over HTTP, the rehearsal engine, the AWS CLI) and report the
// figures BENCHMARKS.md quotes: detection latency next to the SDK waiter and
// `aws rds wait`, API cost as a share of the account's request budget, and
// per-step overhead of whole runs.
//
// The benchmarks run only with -bench (go test -run '^$' -bench . ./bench/);
// the package's tests check the harness itself (the step clock, the
// percentiles) and time nothing.
//
// Simulated time is driven by a StepClock, a discrete-event clock that jumps
// straight to the next timer any goroutine is waiting for, so a 10-minute
// wait runs in milliseconds and every latency is exact to the nanosecond of
// simulated time rather than blurred by the machine's scheduling.
package bench
