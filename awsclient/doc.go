// Package awsclient is the program's only way into AWS: a small domain API
// (identity, instances, snapshots, restore with explicit settings, rename with
// retry, upgrade targets, maintenance, events) over aws-sdk-go-v2, typed
// errors that say what to do next, and one shared poller per run.
package awsclient
