// Package engine runs runbooks: steps, conditions, decisions and gates,
// parallel groups, the journal (append-only, resumable), run and stack
// locks, resume, the report and the checklist rendering, and the events
// every renderer reads. It knows no AWS or Pulumi client and no UI: a
// runbook's content (package runbooks) brings its clients in Deps.Clients
// and turns what they see into the engine's own payloads (Sample,
// PulumiStep).
package engine
