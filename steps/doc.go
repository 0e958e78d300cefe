// Package steps holds the three runbooks (deploy, upgrade, restore) as data,
// and the engine that runs them: decisions, gates, the journal, resume and
// the checklist export. It never imports the UI.
package steps
