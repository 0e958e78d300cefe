package rdssim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FaultDrop as a Fault's Code closes the connection without an answer.
const FaultDrop = "drop"

// Fault makes some requests fail. Requests are numbered from 1 in the order
// the simulator receives them (every request counts, failed or not), so a
// fault is deterministic given the request sequence.
type Fault struct {
	Name    string   `json:"name"`
	Actions []string `json:"actions,omitempty"` // only these actions; empty: every action
	// Code is the error code (Throttling, ExpiredToken, InternalFailure...)
	// or FaultDrop.
	Code    string `json:"code"`
	Status  int    `json:"status,omitempty"`  // HTTP status; 0: 400
	Message string `json:"message,omitempty"` // error message; empty: a standard one
	// From is the first request number the fault applies to; 0 when
	// injected means the next request.
	From int64 `json:"from"`
	// Count is how many consecutive requests from From fail; 0: no end.
	Count int64 `json:"count,omitempty"`
	// Every repeats the window [From, From+Count) every Every requests.
	Every int64 `json:"every,omitempty"`
	// Times caps how often the fault fires; 0: no cap.
	Times int64 `json:"times,omitempty"`
	Fired int64 `json:"fired,omitempty"`
	// OldCredentialsOnly limits the fault to requests signed with an access
	// key first seen before From (credentials expiring: fresh keys work).
	OldCredentialsOnly bool `json:"oldCredentialsOnly,omitempty"`
	// NotBefore and NotAfter limit the fault to a window of simulated time;
	// zero values leave that side open.
	NotBefore time.Time `json:"notBefore,omitzero"`
	NotAfter  time.Time `json:"notAfter,omitzero"`
}

// applies reports whether the fault hits request seq of action, signed with
// a key first seen at request keySeq, at simulated time now.
func (f *Fault) applies(seq int64, action string, keySeq int64, now time.Time) bool {
	if f.Times > 0 && f.Fired >= f.Times {
		return false
	}
	if !f.NotBefore.IsZero() && now.Before(f.NotBefore) || !f.NotAfter.IsZero() && now.After(f.NotAfter) {
		return false
	}
	if len(f.Actions) > 0 && !slices.Contains(f.Actions, action) {
		return false
	}
	if seq < f.From {
		return false
	}
	if f.OldCredentialsOnly && keySeq >= f.From {
		return false
	}
	off := seq - f.From
	if f.Every > 0 {
		off %= f.Every
	}
	return f.Count == 0 || off < f.Count
}

func (f *Fault) apiError() *apiError {
	status, msg := f.Status, f.Message
	if status == 0 {
		status = 400
	}
	if msg == "" {
		switch f.Code {
		case "Throttling":
			msg = "Rate exceeded"
		case "ExpiredToken":
			msg = "The security token included in the request is expired"
		case "ServiceUnavailable":
			msg = "Service is unavailable. Please try again later."
		default:
			msg = "An internal error has occurred. Please try your query again at a later time."
		}
	}
	return &apiError{Code: f.Code, Message: msg, Status: status, Receiver: status >= 500}
}

// ScenarioInfo names and describes a scenario.
type ScenarioInfo struct {
	Name        string
	Description string
}

var scenarios = []ScenarioInfo{
	{"default", "The data stack as it is: app5ec7032 on postgres 16.13, snapshots of the last week, no faults; a renamed-away identifier stays refused for 4 minutes, as on AWS."},
	{"throttling", "Requests 11-14 of every 20 fail with Throttling (400) and requests 37-38 of every 50 with ServiceUnavailable (503); the SDK retries, a poller must back off."},
	{"rename-refused", "After a rename the old identifier stays refused (DBInstanceAlreadyExists) for 10 minutes instead of 4."},
	{"restore-incompatible-parameters", "Every restore from a snapshot ends in incompatible-parameters instead of available."},
	{"upgrade-precheck-fails", "System-update and hardware-maintenance actions are pending; an engine upgrade emits RDS-EVENT-0158, writes pg_upgrade logs naming them, has some downtime and leaves the version unchanged until they are applied."},
	{"final-snapshot-exists", "A manual snapshot named final-before-deletion exists, so deleting with that final snapshot name fails with DBSnapshotAlreadyExists."},
	{"credentials-expire", "From request 41 on, every call signed with an access key seen before fails with ExpiredToken (403); a new key works."},
	{"network-loss", "Requests 21-26 of every 60 have their connection dropped, requests 27-28 get InternalFailure (500)."},
	{"wrong-profile", "STS GetCallerIdentity answers as arn:aws:iam::123456789012:user/docker-user, the profile that silently took over."},
}

// Scenarios lists the named scenarios, "default" first.
func Scenarios() []ScenarioInfo { return slices.Clone(scenarios) }

func scenarioNames() string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

func validScenario(name string) error {
	for _, s := range scenarios {
		if s.Name == name {
			return nil
		}
	}
	return fmt.Errorf("rdssim: unknown scenario %q: choose one of %s", name, scenarioNames())
}

// applyScenario changes a fresh default world for a scenario.
func applyScenario(w *World, name string) {
	app := w.Instance(DefaultInstanceID)
	switch name {
	case "throttling":
		w.Faults = append(w.Faults,
			Fault{Name: "throttling", Code: "Throttling", From: 11, Count: 4, Every: 20},
			Fault{Name: "5xx", Code: "ServiceUnavailable", Status: 503, From: 37, Count: 2, Every: 50})
	case "rename-refused":
		w.ReserveFor = RenameReserveLong
	case "restore-incompatible-parameters":
		w.IncompatibleRestores = true
	case "upgrade-precheck-fails":
		app.Maintenance = append(app.Maintenance, MaintenanceAction{
			Action:           "system-update",
			Description:      "New Operating System update is available",
			AutoAppliedAfter: w.Start.AddDate(0, 0, 14).Truncate(24 * time.Hour),
			ForcedApply:      w.Start.AddDate(0, 0, 45).Truncate(24 * time.Hour),
		}, MaintenanceAction{
			Action:      "hardware-maintenance",
			Description: "Hardware maintenance of the underlying host",
			ForcedApply: w.Start.AddDate(0, 0, 21).Truncate(24 * time.Hour),
		})
	case "final-snapshot-exists":
		t := w.Start.AddDate(0, -2, -5)
		sn := w.snapshotOf(app, FinalSnapshotName, "manual", t)
		sn.EngineVersion = "16.11"
		sn.Ready = t.Add(3 * time.Minute)
		w.Snapshots = append([]*Snapshot{sn}, w.Snapshots...)
	case "credentials-expire":
		w.Faults = append(w.Faults, Fault{Name: "credentials-expire", Code: "ExpiredToken", Status: 403, From: 41, OldCredentialsOnly: true})
	case "network-loss":
		w.Faults = append(w.Faults,
			Fault{Name: "network-loss", Code: FaultDrop, From: 21, Count: 6, Every: 60},
			Fault{Name: "5xx", Code: "InternalFailure", Status: 500, From: 27, Count: 2, Every: 60})
	case "wrong-profile":
		w.CallerARN = fmt.Sprintf("arn:aws:iam::%s:user/docker-user", w.Account)
	}
}
