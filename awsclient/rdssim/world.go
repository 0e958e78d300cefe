package rdssim

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// Default names of the simulated world; they mirror the team's data stack.
const (
	DefaultRegion       = "eu-west-2"
	DefaultAccount      = "123456789012"
	DefaultInstanceID   = "app5ec7032"
	DefaultParamGroup   = "postgres16-force-ssl-off"
	DefaultSubnetGroup  = "data-db-subnet-group-3f9a1c2"
	DefaultSecurityGrp  = "sg-0a1b2c3d4e5f60718"
	DefaultEngine       = "postgres"
	DefaultVersion      = "16.13"
	FinalSnapshotName   = "final-before-deletion"
	endpointLabel       = "c9akciq32x1z"
	appVPC              = "vpc-05a1b2c3d4e5f6071"
	defaultVPC          = "vpc-0d4c3b2a1f0e9d8c7"
	appVPCDefaultSG     = "sg-0b2c3d4e5f6071829"
	defaultVPCDefaultSG = "sg-0c3d4e5f607182930"
	hostedZoneID        = "Z1TTGA775OQIYO"
)

// World is the whole simulated account and region: everything DescribeX
// returns. Tests change it out of band through Sim.Mutate; Save and Load
// write and read it as JSON.
type World struct {
	Region    string `json:"region"`
	Account   string `json:"account"`
	Scenario  string `json:"scenario"`
	CallerARN string `json:"callerArn"` // what STS GetCallerIdentity answers
	// Callers maps access key ids to the principal ARN GetCallerIdentity
	// answers for them (in the world's account); other keys get CallerARN.
	// It lets a test tell apart who made each request (two profiles).
	Callers         map[string]string `json:"callers,omitempty"`
	Start           time.Time         `json:"start"` // the clock's reading when the world was made
	Instances       []*Instance       `json:"instances"`
	Snapshots       []*Snapshot       `json:"snapshots"`
	ParameterGroups []*ParameterGroup `json:"parameterGroups"`
	SubnetGroups    []*SubnetGroup    `json:"subnetGroups"`
	SecurityGroups  []SecurityGroup   `json:"securityGroups"`
	EngineVersions  []EngineVersion   `json:"engineVersions"`
	Events          []Event           `json:"events"`
	// Reserved holds identifiers that cannot be reused until the given time
	// (an old name after a rename).
	Reserved map[string]time.Time `json:"reserved,omitempty"`
	// ReserveFor is how long a renamed instance's old identifier stays
	// refused (RenameReserve, longer in rename-refused).
	ReserveFor time.Duration `json:"reserveFor,omitempty"`
	// IncompatibleRestores makes every restore end in incompatible-parameters.
	IncompatibleRestores bool `json:"incompatibleRestores,omitempty"`
	// Retained are the automated backups of instances deleted with
	// DeleteAutomatedBackups=false.
	Retained []RetainedBackup `json:"retained,omitempty"`
	Faults   []Fault          `json:"faults,omitempty"`

	// speed shrinks every AWS duration of this world (see later); it is
	// the speed of the simulator's clock, not part of the saved state:
	// what was scheduled is saved as wall-clock instants already.
	speed clock.Speed
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Pending mirrors PendingModifiedValues: changes waiting to be applied.
type Pending struct {
	DBInstanceIdentifier string `json:"dbInstanceIdentifier,omitempty"`
	EngineVersion        string `json:"engineVersion,omitempty"`
	DBInstanceClass      string `json:"dbInstanceClass,omitempty"`
	MultiAZ              *bool  `json:"multiAZ,omitempty"`
	AllocatedStorage     int32  `json:"allocatedStorage,omitempty"`
	StorageType          string `json:"storageType,omitempty"`
	MasterUserPassword   bool   `json:"masterUserPassword,omitempty"`
	BackupRetention      *int32 `json:"backupRetention,omitempty"`
}

// Empty reports whether nothing is pending.
func (p Pending) Empty() bool { return p == (Pending{}) }

// MaintenanceAction is a pending maintenance action on an instance.
type MaintenanceAction struct {
	Action           string    `json:"action"` // system-update, db-upgrade, hardware-maintenance...
	Description      string    `json:"description"`
	Target           string    `json:"target,omitempty"` // db-upgrade: the engine version it moves to
	OptInStatus      string    `json:"optInStatus,omitempty"`
	AutoAppliedAfter time.Time `json:"autoAppliedAfter,omitzero"`
	ForcedApply      time.Time `json:"forcedApply,omitzero"`
	CurrentApply     time.Time `json:"currentApply,omitzero"`
}

// Transition is one scheduled change of an instance, applied lazily when the
// clock passes At. Kind names the effect; see timeline.go.
type Transition struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Value   string    `json:"value,omitempty"`
	EventID string    `json:"eventId,omitempty"` // an event to record at At
	Message string    `json:"message,omitempty"` // its message
}

// Instance is a DB instance.
type Instance struct {
	ID                   string              `json:"id"`
	ResourceID           string              `json:"resourceId"`
	Class                string              `json:"class"`
	Engine               string              `json:"engine"`
	EngineVersion        string              `json:"engineVersion"`
	Status               string              `json:"status"`
	MasterUsername       string              `json:"masterUsername"`
	DBName               string              `json:"dbName,omitempty"`
	AllocatedStorage     int32               `json:"allocatedStorage"`
	StorageType          string              `json:"storageType"`
	StorageEncrypted     bool                `json:"storageEncrypted"`
	MultiAZ              bool                `json:"multiAZ"`
	PubliclyAccessible   bool                `json:"publiclyAccessible"`
	DeletionProtection   bool                `json:"deletionProtection"`
	AutoMinorUpgrade     bool                `json:"autoMinorUpgrade"`
	CopyTagsToSnapshot   bool                `json:"copyTagsToSnapshot"`
	ParameterGroup       string              `json:"parameterGroup"`
	ParameterApplyStatus string              `json:"parameterApplyStatus"` // in-sync, applying, pending-reboot
	SecurityGroups       []string            `json:"securityGroups"`
	SubnetGroup          string              `json:"subnetGroup"`
	OptionGroup          string              `json:"optionGroup"`
	Port                 int32               `json:"port"`
	AvailabilityZone     string              `json:"availabilityZone"`
	BackupRetention      int32               `json:"backupRetention"`
	BackupWindow         string              `json:"backupWindow"`
	MaintenanceWindow    string              `json:"maintenanceWindow"`
	Created              time.Time           `json:"created"`
	EndpointUp           bool                `json:"endpointUp"` // Endpoint.Address is published
	Hidden               bool                `json:"hidden,omitempty"`
	Pending              Pending             `json:"pending"`
	Tags                 []Tag               `json:"tags,omitempty"`
	Maintenance          []MaintenanceAction `json:"maintenance,omitempty"`
	Transitions          []Transition        `json:"transitions,omitempty"`
	DeleteAutomated      bool                `json:"deleteAutomated,omitempty"`
	// Log holds the lines operations wrote to the instance's log files; the
	// hourly server logs are made up around them (logs.go).
	Log []LogLine `json:"log,omitempty"`
	// RestoredFrom and RestoreTime record a point-in-time restore: the
	// source instance and the time restored to (events carry them too).
	RestoredFrom string    `json:"restoredFrom,omitempty"`
	RestoreTime  time.Time `json:"restoreTime,omitzero"`
}

// Snapshot is a DB snapshot, manual or automated.
type Snapshot struct {
	ID               string    `json:"id"`
	InstanceID       string    `json:"instanceId"`
	ResourceID       string    `json:"resourceId"`
	Type             string    `json:"type"` // manual, automated
	Status           string    `json:"status"`
	Created          time.Time `json:"created"` // SnapshotCreateTime: when it started
	Ready            time.Time `json:"ready"`   // when it becomes available
	Engine           string    `json:"engine"`
	EngineVersion    string    `json:"engineVersion"`
	AllocatedStorage int32     `json:"allocatedStorage"`
	StorageType      string    `json:"storageType"`
	Encrypted        bool      `json:"encrypted"`
	Port             int32     `json:"port"`
	AvailabilityZone string    `json:"availabilityZone"`
	VpcID            string    `json:"vpcId"`
	InstanceCreated  time.Time `json:"instanceCreated"`
	MasterUsername   string    `json:"masterUsername"`
	Class            string    `json:"class"` // of the source instance, for restore defaults
	BackupRetention  int32     `json:"backupRetention"`
	Tags             []Tag     `json:"tags,omitempty"`
}

// Parameter is one parameter of a DB parameter group.
type Parameter struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	ApplyType   string `json:"applyType"`   // dynamic, static
	ApplyMethod string `json:"applyMethod"` // immediate, pending-reboot
	Source      string `json:"source"`      // engine-default, system, user
}

// ParameterGroup is a DB parameter group. Parameters holds only the group's
// own values (source user); the rest come from its family's defaults.
type ParameterGroup struct {
	Name        string      `json:"name"`
	Family      string      `json:"family"`
	Description string      `json:"description"`
	Parameters  []Parameter `json:"parameters,omitempty"`
}

// SubnetGroup is a DB subnet group.
type SubnetGroup struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	VpcID       string   `json:"vpcId"`
	Subnets     []Subnet `json:"subnets"`
}

// Subnet is one subnet of a subnet group.
type Subnet struct {
	ID   string `json:"id"`
	Zone string `json:"zone"`
}

// SecurityGroup is a VPC security group the world knows about (for defaults).
type SecurityGroup struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	VpcID   string `json:"vpcId"`
	Default bool   `json:"default"`
}

// EngineVersion is an engine version with its valid upgrade targets.
type EngineVersion struct {
	Engine    string          `json:"engine"`
	Version   string          `json:"version"`
	Family    string          `json:"family"`
	IsDefault bool            `json:"isDefault"`
	Targets   []UpgradeTarget `json:"targets"`
}

// UpgradeTarget is an entry of ValidUpgradeTarget.
type UpgradeTarget struct {
	Version string `json:"version"`
	Major   bool   `json:"major"`
}

// Event is an RDS event. ID is the catalogue id (RDS-EVENT-nnnn) the
// simulator knows it by; the wire has no field for it (see doc.go).
type Event struct {
	SourceID   string    `json:"sourceId"`
	SourceType string    `json:"sourceType"`
	SourceARN  string    `json:"sourceArn"`
	Date       time.Time `json:"date"`
	Message    string    `json:"message"`
	Categories []string  `json:"categories"`
	ID         string    `json:"id,omitempty"`
}

// Instance returns the visible instance with that identifier, or nil.
func (w *World) Instance(id string) *Instance {
	for _, in := range w.Instances {
		if in.ID == id && !in.Hidden {
			return in
		}
	}
	return nil
}

// Snapshot returns the snapshot with that identifier, or nil.
func (w *World) Snapshot(id string) *Snapshot {
	for _, sn := range w.Snapshots {
		if sn.ID == id {
			return sn
		}
	}
	return nil
}

// ParameterGroup returns the parameter group with that name, or nil.
func (w *World) ParameterGroup(name string) *ParameterGroup {
	for _, pg := range w.ParameterGroups {
		if strings.EqualFold(pg.Name, name) {
			return pg
		}
	}
	return nil
}

// SubnetGroup returns the subnet group with that name, or nil.
func (w *World) SubnetGroup(name string) *SubnetGroup {
	for _, sg := range w.SubnetGroups {
		if strings.EqualFold(sg.Name, name) {
			return sg
		}
	}
	return nil
}

// EngineVersion returns the engine version entry, or nil.
func (w *World) EngineVersion(engine, version string) *EngineVersion {
	for i := range w.EngineVersions {
		if w.EngineVersions[i].Engine == engine && w.EngineVersions[i].Version == version {
			return &w.EngineVersions[i]
		}
	}
	return nil
}

// InstanceARN is the ARN of a DB instance.
func (w *World) InstanceARN(id string) string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", w.Region, w.Account, id)
}

// SnapshotARN is the ARN of a DB snapshot.
func (w *World) SnapshotARN(id string) string {
	return fmt.Sprintf("arn:aws:rds:%s:%s:snapshot:%s", w.Region, w.Account, id)
}

// Address is the DNS name RDS gives an instance with that identifier.
func (w *World) Address(id string) string {
	return fmt.Sprintf("%s.%s.%s.rds.amazonaws.com", id, endpointLabel, w.Region)
}

// defaultSecurityGroup is the default security group of the VPC of a subnet group.
func (w *World) defaultSecurityGroup(subnetGroup string) string {
	vpc := defaultVPC
	if g := w.SubnetGroup(subnetGroup); g != nil {
		vpc = g.VpcID
	}
	for _, sg := range w.SecurityGroups {
		if sg.VpcID == vpc && sg.Default {
			return sg.ID
		}
	}
	return defaultVPCDefaultSG
}

// resourceID derives a stable "db-" + 26 upper-case alphanumerics id.
func resourceID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "/")))
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])
	return "db-" + enc[:26]
}

func family(version string) string {
	major, _, _ := strings.Cut(version, ".")
	return "postgres" + major
}

func majorOf(version string) string {
	major, _, _ := strings.Cut(version, ".")
	return major
}

func minorOf(version string) int {
	_, minor, _ := strings.Cut(version, ".")
	n, _ := strconv.Atoi(minor)
	return n
}

// engineVersions builds the postgres catalogue: 15.7–15.14, 16.3–16.13 and
// 17.2–17.7, each upgradable to later minors of its major and to a range of
// the next major that depends on the source minor.
func engineVersions() []EngineVersion {
	var all []string
	for m := 7; m <= 14; m++ {
		all = append(all, fmt.Sprintf("15.%d", m))
	}
	for m := 3; m <= 13; m++ {
		all = append(all, fmt.Sprintf("16.%d", m))
	}
	for m := 2; m <= 7; m++ {
		all = append(all, fmt.Sprintf("17.%d", m))
	}
	majorRange := func(v string) (string, int, int) {
		m := minorOf(v)
		switch majorOf(v) {
		case "15":
			lo := max(3, m-4)
			return "16", lo, min(13, m-1)
		case "16":
			switch {
			case m <= 8:
				return "17", 2, 3
			case m <= 10:
				return "17", 2, 4
			case m == 11:
				return "17", 2, 5
			case m == 12:
				return "17", 4, 6
			default:
				return "17", 6, 7
			}
		}
		return "", 0, 0
	}
	var out []EngineVersion
	for _, v := range all {
		ev := EngineVersion{Engine: DefaultEngine, Version: v, Family: family(v), IsDefault: v == "17.6"}
		for _, t := range all {
			if majorOf(t) == majorOf(v) && minorOf(t) > minorOf(v) {
				ev.Targets = append(ev.Targets, UpgradeTarget{Version: t})
			}
		}
		if nm, lo, hi := majorRange(v); nm != "" {
			for _, t := range all {
				if majorOf(t) == nm && minorOf(t) >= lo && minorOf(t) <= hi {
					ev.Targets = append(ev.Targets, UpgradeTarget{Version: t, Major: true})
				}
			}
		}
		out = append(out, ev)
	}
	return out
}

// defaultParameterGroups are the default groups of each family (engine
// defaults only) and the data stack's custom group, whose own values are
// those of the team's program: rds.force_ssl off and the preload libraries.
func defaultParameterGroups() []*ParameterGroup {
	var out []*ParameterGroup
	for _, f := range []string{"15", "16", "17"} {
		out = append(out, &ParameterGroup{
			Name: "default.postgres" + f, Family: "postgres" + f,
			Description: "Default parameter group for postgres" + f,
		})
	}
	out = append(out, &ParameterGroup{
		Name: DefaultParamGroup, Family: "postgres16", Description: "Managed by Pulumi",
		Parameters: []Parameter{
			{Name: "rds.force_ssl", Value: "0", ApplyType: "dynamic", ApplyMethod: "immediate", Source: "user"},
			{Name: "shared_preload_libraries", Value: "pg_tle,pg_stat_statements,pg_cron", ApplyType: "static", ApplyMethod: "pending-reboot", Source: "user"},
		},
	})
	return out
}

// NewWorld builds the default world as it looks at now, then applies the
// named scenario's changes. The scenario must be known.
func NewWorld(now time.Time, region, account, scenario string) *World {
	now = now.UTC()
	w := &World{
		Region: region, Account: account, Scenario: scenario, Start: now,
		CallerARN:       fmt.Sprintf("arn:aws:iam::%s:user/planx-staging-pulumi", account),
		ParameterGroups: defaultParameterGroups(),
		EngineVersions:  engineVersions(),
		Reserved:        map[string]time.Time{},
		ReserveFor:      RenameReserve,
		SubnetGroups: []*SubnetGroup{
			{Name: DefaultSubnetGroup, Description: "Managed by Pulumi", VpcID: appVPC, Subnets: []Subnet{
				{ID: "subnet-0a1b2c3d4e5f60001", Zone: region + "a"},
				{ID: "subnet-0a1b2c3d4e5f60002", Zone: region + "b"},
				{ID: "subnet-0a1b2c3d4e5f60003", Zone: region + "c"},
			}},
			{Name: "default", Description: "default", VpcID: defaultVPC, Subnets: []Subnet{
				{ID: "subnet-0d1e2f3a4b5c60001", Zone: region + "a"},
				{ID: "subnet-0d1e2f3a4b5c60002", Zone: region + "b"},
			}},
		},
		SecurityGroups: []SecurityGroup{
			{ID: DefaultSecurityGrp, Name: "db-sg-6a1e0f2", VpcID: appVPC},
			{ID: appVPCDefaultSG, Name: "default", VpcID: appVPC, Default: true},
			{ID: defaultVPCDefaultSG, Name: "default", VpcID: defaultVPC, Default: true},
		},
	}
	created := now.AddDate(0, 0, -600).Truncate(time.Hour).Add(17*time.Minute + 42*time.Second)
	app := &Instance{
		ID: DefaultInstanceID, ResourceID: resourceID(account, DefaultInstanceID, created.Format(time.RFC3339)),
		Class: "db.t3.small", Engine: DefaultEngine, EngineVersion: DefaultVersion, Status: "available",
		MasterUsername: "dbuser", AllocatedStorage: 20, StorageType: "gp3", StorageEncrypted: true,
		PubliclyAccessible: true, AutoMinorUpgrade: true, ParameterGroup: DefaultParamGroup,
		ParameterApplyStatus: "in-sync", SecurityGroups: []string{DefaultSecurityGrp},
		SubnetGroup: DefaultSubnetGroup, OptionGroup: "default:postgres-16", Port: 5432,
		AvailabilityZone: region + "a", BackupRetention: 1, BackupWindow: "03:07-03:37",
		MaintenanceWindow: "mon:00:00-mon:03:00", Created: created, EndpointUp: true,
		Tags: []Tag{{Key: "Name", Value: "app"}},
	}
	w.Instances = append(w.Instances, app)
	// Seven automated daily snapshots before now, around 03:1x.
	day := time.Date(now.Year(), now.Month(), now.Day(), 3, 10, 0, 0, time.UTC)
	var autos []*Snapshot
	for i := 0; len(autos) < 7; i++ {
		t := day.AddDate(0, 0, -i).Add(time.Duration((i*3)%8) * time.Minute).Add(21 * time.Second)
		if !t.Before(now) {
			continue
		}
		sn := w.snapshotOf(app, "rds:"+app.ID+"-"+t.Format("2006-01-02-15-04"), "automated", t)
		sn.Ready = t.Add(2 * time.Minute)
		autos = append(autos, sn)
		w.addEvent(Event{SourceID: app.ID, SourceType: "db-instance", SourceARN: w.InstanceARN(app.ID), Date: t, ID: "RDS-EVENT-0001"}, "")
		w.addEvent(Event{SourceID: app.ID, SourceType: "db-instance", SourceARN: w.InstanceARN(app.ID), Date: sn.Ready, ID: "RDS-EVENT-0002"}, "")
	}
	sort.Slice(autos, func(i, j int) bool { return autos[i].Created.Before(autos[j].Created) })
	old := w.snapshotOf(app, "after-postgres-update-167", "manual", now.AddDate(0, -9, 0).Add(-4*time.Hour))
	old.EngineVersion = "16.7"
	old.Ready = old.Created.Add(4 * time.Minute)
	rel := now.AddDate(0, 0, -3).Add(-2 * time.Hour)
	pre := w.snapshotOf(app, "pre-release-"+rel.Format("2006-01-02"), "manual", rel)
	pre.Ready = pre.Created.Add(3 * time.Minute)
	w.Snapshots = append([]*Snapshot{old, pre}, autos...)
	sort.SliceStable(w.Snapshots, func(i, j int) bool { return w.Snapshots[i].Created.Before(w.Snapshots[j].Created) })
	sort.SliceStable(w.Events, func(i, j int) bool { return w.Events[i].Date.Before(w.Events[j].Date) })
	applyScenario(w, scenario)
	return w
}

// snapshotOf builds an available snapshot of an instance (not added to the world).
func (w *World) snapshotOf(in *Instance, id, typ string, at time.Time) *Snapshot {
	return &Snapshot{
		ID: id, InstanceID: in.ID, ResourceID: in.ResourceID, Type: typ, Status: "available",
		Created: at, Ready: at, Engine: in.Engine, EngineVersion: in.EngineVersion,
		AllocatedStorage: in.AllocatedStorage, StorageType: in.StorageType, Encrypted: in.StorageEncrypted,
		Port: in.Port, AvailabilityZone: in.AvailabilityZone, VpcID: w.vpcOf(in.SubnetGroup),
		InstanceCreated: in.Created, MasterUsername: in.MasterUsername, Class: in.Class,
		BackupRetention: in.BackupRetention, Tags: append([]Tag(nil), in.Tags...),
	}
}

func (w *World) vpcOf(subnetGroup string) string {
	if g := w.SubnetGroup(subnetGroup); g != nil {
		return g.VpcID
	}
	return defaultVPC
}

// addEvent records an event; when msg is empty the catalogue's text is used.
func (w *World) addEvent(e Event, msg string) {
	if msg == "" {
		msg = catalogue[e.ID].Message
	}
	e.Message = msg
	if c, ok := catalogue[e.ID]; ok {
		e.Categories = c.Categories
	}
	if e.Categories == nil {
		e.Categories = []string{}
	}
	w.Events = append(w.Events, e)
}

func (w *World) snapshotEvent(sn *Snapshot, at time.Time, id string) {
	w.addEvent(Event{SourceID: sn.ID, SourceType: "db-snapshot", SourceARN: w.SnapshotARN(sn.ID), Date: at, ID: id}, "")
}
