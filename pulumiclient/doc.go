// Package pulumiclient drives the data and application stacks through the
// Pulumi Automation API, turns engine events into typed progress, classifies
// plans, parses stack exports and patches the data program. A simulated
// engine with the same surface backs rehearsals.
package pulumiclient
