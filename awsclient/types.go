package awsclient

import (
	"context"
	"time"
)

// Identity says who the program is acting as, and why: which credential
// source won. The runbook's first gotcha was a profile silently taking over.
type Identity struct {
	Account string // 12-digit account id from STS
	ARN     string // principal ARN from STS
	UserID  string
	// CredentialSource is what the SDK reports in Retrieve().Source, e.g.
	// "EnvConfigCredentials" or "SharedConfigCredentials: /home/x/.aws/credentials".
	CredentialSource string
	// Profile is the shared-config profile the SDK loaded (AWS_PROFILE or
	// "default"), even when env keys won; empty when none.
	Profile string
	Region  string
	// Endpoint is the RDS endpoint override in use (simulator, AWS_ENDPOINT_URL),
	// empty for real AWS.
	Endpoint string
}

// PendingChanges are the instance's PendingModifiedValues that matter here.
type PendingChanges struct {
	InstanceID    string // a rename not applied yet
	EngineVersion string
	InstanceClass string
	MultiAZ       *bool
	// AllocatedStorage, StorageType and BackupRetention are also named in
	// Other; their values let a deferred change be asked for again with
	// ApplyImmediately.
	AllocatedStorage int32
	StorageType      string
	BackupRetention  *int32
	Other            []string // names of any other pending fields
}

// Empty reports whether nothing is pending.
func (p PendingChanges) Empty() bool {
	return p.InstanceID == "" && p.EngineVersion == "" && p.InstanceClass == "" && p.MultiAZ == nil && len(p.Other) == 0
}

// Instance is an RDS DB instance as the runbooks need to see it.
type Instance struct {
	ID                   string // DBInstanceIdentifier, lowercase
	ResourceID           string // DbiResourceId, "db-..."; newer Pulumi providers track this
	ARN                  string
	Status               string // DBInstanceStatus: available, creating, backing-up, modifying, renaming, rebooting, deleting, upgrading, ...
	Engine               string
	EngineVersion        string
	Class                string
	AllocatedStorage     int32
	StorageType          string
	StorageEncrypted     bool
	MultiAZ              bool
	PubliclyAccessible   bool
	DeletionProtection   bool
	ParameterGroup       string
	ParameterApplyStatus string // in-sync, applying, pending-reboot
	SecurityGroups       []string
	SubnetGroup          string
	OptionGroup          string // first OptionGroupMembership, e.g. default:postgres-16
	Address              string // Endpoint.Address; empty while AWS has none
	Port                 int32
	AvailabilityZone     string
	BackupRetention      int32
	MaintenanceWindow    string
	Created              time.Time
	// LatestRestorable is LatestRestorableTime: the newest point a
	// point-in-time restore can reach (zero without automated backups).
	// The earliest is in AutomatedBackups.
	LatestRestorable time.Time
	Pending          PendingChanges
	Tags             map[string]string
}

// Snapshot is a manual or automated DB snapshot.
type Snapshot struct {
	ID               string // DBSnapshotIdentifier, e.g. "rds:app5ec7032-2026-11-25-03-10" for automated ones
	ARN              string
	InstanceID       string
	Type             string // "manual" or "automated"
	Status           string // creating, available, ...
	PercentProgress  int32
	Created          time.Time // SnapshotCreateTime
	EngineVersion    string
	AllocatedStorage int32
	Encrypted        bool
}

// RestoreSettings is everything a restore must be told, because a snapshot
// does not carry it over (parameter group, security groups, Multi-AZ...).
type RestoreSettings struct {
	SnapshotID         string
	InstanceID         string // the new instance's identifier
	Class              string
	StorageType        string
	ParameterGroup     string
	SecurityGroups     []string
	SubnetGroup        string
	MultiAZ            bool
	PubliclyAccessible bool
	DeletionProtection bool
	Port               int32 // 0: keep the snapshot's
	OptionGroup        string
	Tags               map[string]string
}

// Difference is one setting where an instance differs from what was intended.
type Difference struct {
	Field string
	Want  string
	Got   string
}

// UpgradeTarget is a version the instance's actual engine version may move to.
type UpgradeTarget struct {
	Version     string
	Description string
	Major       bool // IsMajorVersionUpgrade
	AutoUpgrade bool
}

// MaintenanceAction is a pending maintenance action on a resource; pending
// actions made a real upgrade fail silently.
type MaintenanceAction struct {
	ResourceARN      string
	Action           string // e.g. "system-update", "db-upgrade", "os-upgrade"
	Description      string
	OptInStatus      string // immediate, next-maintenance, undo-opt-in
	AutoAppliedAfter time.Time
	ForcedApply      time.Time
	CurrentApply     time.Time
}

// Event is an RDS event, e.g. RDS-EVENT-0158 "Database instance is in a state
// that cannot be upgraded: ...".
type Event struct {
	SourceID   string
	SourceType string // db-instance, db-snapshot, ...
	Time       time.Time
	Message    string
	Categories []string
	ID         string // "RDS-EVENT-0158", parsed from the event's SourceArn/EventId or message catalogue
}

// Change is one observed change of a watched instance or snapshot, as the
// poller emits it.
type Change struct {
	Kind      string // "instance" or "snapshot"
	ID        string
	OldStatus string // empty on the first sample
	NewStatus string // "" with Gone=true when it disappeared
	Gone      bool
	At        time.Time
	Instance  *Instance // the latest sample, for instances
	Snapshot  *Snapshot // the latest sample, for snapshots
	Err       error     // a poll failed (throttled, network); the poller keeps going
	// Error is Err's text, which survives where an error does not (JSON).
	Error string
	// PreviousID is set on the first sample after a rename was observed:
	// the instance was watched as PreviousID and now answers as ID.
	PreviousID string
	// Watched is the identifier (or resource id) the resource was watched
	// as; it stays the same across renames. Empty for failed polls.
	Watched string
}

// RenameProgress reports each try of a rename while AWS still refuses the name.
type RenameProgress struct {
	Attempt int
	NextTry time.Duration // wait before the next try
	Err     error         // why this try was refused
	// Phase says what Rename is waiting for: RenameRefused (AWS still
	// refuses the new name) or RenameWaitingForName (AWS accepted the
	// rename; neither name answers yet).
	Phase string
}

// Rename phases reported in RenameProgress.Phase.
const (
	RenameRefused        = "refused"
	RenameWaitingForName = "waiting-for-name"
)

// API is what the runbooks need from AWS. *Client implements it against the
// real SDK; the same client talks to the simulator through BaseEndpoint.
type API interface {
	Identity(ctx context.Context) (Identity, error)
	Instance(ctx context.Context, id string) (Instance, error)
	Instances(ctx context.Context) ([]Instance, error)
	Snapshots(ctx context.Context, instanceID string) ([]Snapshot, error) // newest first, manual and automated
	Snapshot(ctx context.Context, id string) (Snapshot, error)
	CreateSnapshot(ctx context.Context, instanceID, snapshotID string) (Snapshot, error)
	Restore(ctx context.Context, s RestoreSettings) (Instance, error)
	// Rename renames and retries with backoff while AWS refuses the new name
	// (DBInstanceAlreadyExists), calling progress before each wait.
	Rename(ctx context.Context, oldID, newID string, progress func(RenameProgress)) (Instance, error)
	UpgradeTargets(ctx context.Context, engine, version string) ([]UpgradeTarget, error)
	PendingMaintenance(ctx context.Context, instanceARN string) ([]MaintenanceAction, error)
	ApplyMaintenance(ctx context.Context, instanceARN, action, optIn string) error
	// ApplyPendingNow applies the changes an instance holds for its
	// maintenance window now.
	ApplyPendingNow(ctx context.Context, id string) (Instance, error)
	// ApplyLaterSettings sets, at once, what a restore from a snapshot
	// could not be given (the maintenance window, backup retention).
	ApplyLaterSettings(ctx context.Context, id string, s LaterSettings) (Instance, error)
	Events(ctx context.Context, instanceID string, since time.Time) ([]Event, error)

	// ParameterGroup describes a parameter group with its family.
	ParameterGroup(ctx context.Context, name string) (ParameterGroup, error)
	// Parameters lists a group's parameters of a source ("" all; SourceUser
	// the values the group sets itself).
	Parameters(ctx context.Context, group, source string) ([]Parameter, error)
	// FamilyParameters lists a family's parameters with engine defaults.
	FamilyParameters(ctx context.Context, family string) ([]Parameter, error)
	// EngineFamily gives the parameter group family of an engine version.
	EngineFamily(ctx context.Context, engine, version string) (string, error)
	// LogFiles lists an instance's log files; LogPortion downloads one
	// (the pg_upgrade logs say why an upgrade was refused).
	LogFiles(ctx context.Context, instanceID string) ([]LogFile, error)
	LogPortion(ctx context.Context, instanceID, file string) (string, error)

	// AutomatedBackups lists automated backups with their restorable window,
	// of one instance (live or deleted) or, for "", of every instance.
	AutomatedBackups(ctx context.Context, instanceID string) ([]AutomatedBackup, error)
	// RestoreToPointInTime restores an instance's automated backup, as of a
	// time, to a new instance with exactly the given settings.
	RestoreToPointInTime(ctx context.Context, s PointInTimeSettings) (Instance, error)
}
