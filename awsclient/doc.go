// Package awsclient is the program's only way into AWS: a small domain API
// (identity, instances, snapshots, restore with explicit settings, rename with
// retry, upgrade targets, maintenance, events) over aws-sdk-go-v2, typed
// errors that say what to do next, and the one poller of a run: it watches
// every instance and snapshot a run waits for, fans the samples out to each
// watcher, and spends its share of the account's request budget where
// changes are due.
package awsclient
