package rdssim

import (
	"time"
)

// Response shapes with the element names of the RDS 2014-10-31 API.

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

type xTag struct {
	Key   string
	Value string
}

type xEndpoint struct {
	Address      string
	Port         int32
	HostedZoneID string `xml:"HostedZoneId"`
}

type xSGMembership struct {
	VpcSecurityGroupID string `xml:"VpcSecurityGroupId"`
	Status             string
}

type xPGStatus struct {
	DBParameterGroupName string
	ParameterApplyStatus string
}

type xOptionMembership struct {
	OptionGroupName string
	Status          string
}

type xAZ struct {
	Name string
}

type xSubnet struct {
	SubnetIdentifier       string
	SubnetAvailabilityZone xAZ
	SubnetStatus           string
}

type xSubnetGroup struct {
	DBSubnetGroupName        string
	DBSubnetGroupDescription string
	VpcID                    string    `xml:"VpcId"`
	SubnetGroupStatus        string    `xml:"SubnetGroupStatus"`
	Subnets                  []xSubnet `xml:"Subnets>Subnet"`
	DBSubnetGroupArn         string    `xml:",omitempty"`
}

type xPending struct {
	DBInstanceClass       string `xml:",omitempty"`
	AllocatedStorage      int32  `xml:",omitempty"`
	MasterUserPassword    string `xml:",omitempty"`
	BackupRetentionPeriod *int32 `xml:",omitempty"`
	MultiAZ               *bool  `xml:",omitempty"`
	EngineVersion         string `xml:",omitempty"`
	DBInstanceIdentifier  string `xml:",omitempty"`
	StorageType           string `xml:",omitempty"`
}

type xInstance struct {
	DBInstanceIdentifier             string
	DBInstanceClass                  string
	Engine                           string
	DBInstanceStatus                 string
	MasterUsername                   string
	DBName                           string     `xml:",omitempty"`
	Endpoint                         *xEndpoint `xml:",omitempty"`
	AllocatedStorage                 int32
	InstanceCreateTime               string `xml:",omitempty"`
	PreferredBackupWindow            string
	BackupRetentionPeriod            int32
	DBSecurityGroups                 struct{}
	VpcSecurityGroups                []xSGMembership `xml:"VpcSecurityGroups>VpcSecurityGroupMembership"`
	DBParameterGroups                []xPGStatus     `xml:"DBParameterGroups>DBParameterGroup"`
	AvailabilityZone                 string          `xml:",omitempty"`
	DBSubnetGroup                    *xSubnetGroup   `xml:",omitempty"`
	PreferredMaintenanceWindow       string
	PendingModifiedValues            xPending
	LatestRestorableTime             string `xml:",omitempty"`
	MultiAZ                          bool
	EngineVersion                    string
	AutoMinorVersionUpgrade          bool
	ReadReplicaDBInstanceIdentifiers struct{}
	LicenseModel                     string
	Iops                             int32               `xml:",omitempty"`
	StorageThroughput                int32               `xml:",omitempty"`
	OptionGroupMemberships           []xOptionMembership `xml:"OptionGroupMemberships>OptionGroupMembership"`
	PubliclyAccessible               bool
	StorageType                      string
	DbInstancePort                   int32
	StorageEncrypted                 bool
	KmsKeyID                         string `xml:"KmsKeyId,omitempty"`
	DbiResourceID                    string `xml:"DbiResourceId"`
	CACertificateIdentifier          string
	CopyTagsToSnapshot               bool
	MonitoringInterval               int32
	DBInstanceArn                    string
	IAMDatabaseAuthenticationEnabled bool
	PerformanceInsightsEnabled       bool
	DeletionProtection               bool
	TagList                          []xTag `xml:"TagList>Tag"`
	NetworkType                      string
	BackupTarget                     string
}

type xSnapshot struct {
	DBSnapshotIdentifier             string
	DBInstanceIdentifier             string
	SnapshotCreateTime               string `xml:",omitempty"`
	Engine                           string
	AllocatedStorage                 int32
	Status                           string
	Port                             int32
	AvailabilityZone                 string
	VpcID                            string `xml:"VpcId"`
	InstanceCreateTime               string
	MasterUsername                   string
	EngineVersion                    string
	LicenseModel                     string
	SnapshotType                     string
	OptionGroupName                  string
	PercentProgress                  int32
	StorageType                      string
	Encrypted                        bool
	KmsKeyID                         string `xml:"KmsKeyId,omitempty"`
	DBSnapshotArn                    string
	IAMDatabaseAuthenticationEnabled bool
	DbiResourceID                    string `xml:"DbiResourceId"`
	TagList                          []xTag `xml:"TagList>Tag"`
	OriginalSnapshotCreateTime       string `xml:",omitempty"`
	SnapshotTarget                   string
	Iops                             int32 `xml:",omitempty"`
	StorageThroughput                int32 `xml:",omitempty"`
}

type xUpgradeTarget struct {
	Engine                string
	EngineVersion         string
	Description           string
	AutoUpgrade           bool
	IsMajorVersionUpgrade bool
}

type xEngineVersion struct {
	Engine                             string
	EngineVersion                      string
	DBParameterGroupFamily             string
	DBEngineDescription                string
	DBEngineVersionDescription         string
	ValidUpgradeTarget                 []xUpgradeTarget `xml:"ValidUpgradeTarget>UpgradeTarget"`
	SupportsLogExportsToCloudwatchLogs bool
	SupportsReadReplica                bool
	Status                             string
	SupportsParallelQuery              bool
	SupportsGlobalDatabases            bool
	MajorEngineVersion                 string
}

type xEvent struct {
	SourceIdentifier string
	SourceType       string
	Message          string
	EventCategories  []string `xml:"EventCategories>EventCategory"`
	Date             string
	SourceArn        string
}

type xPendingAction struct {
	Action               string
	AutoAppliedAfterDate string `xml:",omitempty"`
	ForcedApplyDate      string `xml:",omitempty"`
	OptInStatus          string `xml:",omitempty"`
	CurrentApplyDate     string `xml:",omitempty"`
	Description          string
}

type xResourcePending struct {
	ResourceIdentifier              string
	PendingMaintenanceActionDetails []xPendingAction `xml:"PendingMaintenanceActionDetails>PendingMaintenanceAction"`
}

type xParamGroup struct {
	DBParameterGroupName   string
	DBParameterGroupFamily string
	Description            string
	DBParameterGroupArn    string
}

type xParameter struct {
	ParameterName  string
	ParameterValue string `xml:",omitempty"`
	Description    string
	Source         string
	ApplyType      string
	DataType       string
	AllowedValues  string `xml:",omitempty"`
	IsModifiable   bool
	ApplyMethod    string
}

func (w *World) xInstance(in *Instance, now time.Time) xInstance {
	x := xInstance{
		DBInstanceIdentifier: in.ID, DBInstanceClass: in.Class, Engine: in.Engine,
		DBInstanceStatus: in.Status, MasterUsername: in.MasterUsername, DBName: in.DBName,
		AllocatedStorage: in.AllocatedStorage, PreferredBackupWindow: in.BackupWindow,
		BackupRetentionPeriod: in.BackupRetention, AvailabilityZone: in.AvailabilityZone,
		PreferredMaintenanceWindow: in.MaintenanceWindow, MultiAZ: in.MultiAZ,
		EngineVersion: in.EngineVersion, AutoMinorVersionUpgrade: in.AutoMinorUpgrade,
		LicenseModel: "postgresql-license", PubliclyAccessible: in.PubliclyAccessible,
		StorageType: in.StorageType, StorageEncrypted: in.StorageEncrypted,
		DbiResourceID: in.ResourceID, CACertificateIdentifier: "rds-ca-rsa2048-g1",
		CopyTagsToSnapshot: in.CopyTagsToSnapshot, DBInstanceArn: w.InstanceARN(in.ID),
		DeletionProtection: in.DeletionProtection, NetworkType: "IPV4", BackupTarget: "region",
		OptionGroupMemberships: []xOptionMembership{{OptionGroupName: in.OptionGroup, Status: "in-sync"}},
		DBParameterGroups:      []xPGStatus{{DBParameterGroupName: in.ParameterGroup, ParameterApplyStatus: in.ParameterApplyStatus}},
	}
	if in.StorageEncrypted {
		x.KmsKeyID = "arn:aws:kms:" + w.Region + ":" + w.Account + ":key/3c1e8e5a-7b2d-4f6a-9c0e-1d2f3a4b5c6d"
	}
	if in.StorageType == "gp3" {
		x.Iops, x.StorageThroughput = 3000, 125
	}
	if in.EndpointUp {
		x.Endpoint = &xEndpoint{Address: w.Address(in.ID), Port: in.Port, HostedZoneID: hostedZoneID}
	}
	if in.Status != "creating" {
		x.InstanceCreateTime = ts(in.Created)
		if win := w.liveWindow(in, now); win.ok() {
			x.LatestRestorableTime = ts(win.Latest)
		}
	}
	for _, sg := range in.SecurityGroups {
		x.VpcSecurityGroups = append(x.VpcSecurityGroups, xSGMembership{VpcSecurityGroupID: sg, Status: "active"})
	}
	if g := w.SubnetGroup(in.SubnetGroup); g != nil {
		sg := w.xSubnetGroup(g)
		sg.DBSubnetGroupArn = ""
		x.DBSubnetGroup = &sg
	}
	p := in.Pending
	x.PendingModifiedValues = xPending{
		DBInstanceClass: p.DBInstanceClass, AllocatedStorage: p.AllocatedStorage,
		BackupRetentionPeriod: p.BackupRetention, MultiAZ: p.MultiAZ, EngineVersion: p.EngineVersion,
		DBInstanceIdentifier: p.DBInstanceIdentifier, StorageType: p.StorageType,
	}
	if p.MasterUserPassword {
		x.PendingModifiedValues.MasterUserPassword = "****"
	}
	for _, t := range in.Tags {
		x.TagList = append(x.TagList, xTag(t))
	}
	return x
}

func (w *World) xSubnetGroup(g *SubnetGroup) xSubnetGroup {
	x := xSubnetGroup{
		DBSubnetGroupName: g.Name, DBSubnetGroupDescription: g.Description, VpcID: g.VpcID,
		SubnetGroupStatus: "Complete",
		DBSubnetGroupArn:  "arn:aws:rds:" + w.Region + ":" + w.Account + ":subgrp:" + g.Name,
	}
	for _, s := range g.Subnets {
		x.Subnets = append(x.Subnets, xSubnet{SubnetIdentifier: s.ID, SubnetAvailabilityZone: xAZ{s.Zone}, SubnetStatus: "Active"})
	}
	return x
}

func (w *World) xSnapshot(sn *Snapshot, now time.Time) xSnapshot {
	x := xSnapshot{
		DBSnapshotIdentifier: sn.ID, DBInstanceIdentifier: sn.InstanceID, SnapshotCreateTime: ts(sn.Created),
		Engine: sn.Engine, AllocatedStorage: sn.AllocatedStorage, Status: sn.Status, Port: sn.Port,
		AvailabilityZone: sn.AvailabilityZone, VpcID: sn.VpcID, InstanceCreateTime: ts(sn.InstanceCreated),
		MasterUsername: sn.MasterUsername, EngineVersion: sn.EngineVersion, LicenseModel: "postgresql-license",
		SnapshotType: sn.Type, OptionGroupName: "default:postgres-" + majorOf(sn.EngineVersion),
		PercentProgress: 100, StorageType: sn.StorageType, Encrypted: sn.Encrypted,
		DBSnapshotArn: w.SnapshotARN(sn.ID), DbiResourceID: sn.ResourceID,
		OriginalSnapshotCreateTime: ts(sn.Created), SnapshotTarget: "region",
	}
	if sn.Encrypted {
		x.KmsKeyID = "arn:aws:kms:" + w.Region + ":" + w.Account + ":key/3c1e8e5a-7b2d-4f6a-9c0e-1d2f3a4b5c6d"
	}
	if sn.StorageType == "gp3" {
		x.Iops, x.StorageThroughput = 3000, 125
	}
	if sn.Status == "creating" {
		total := sn.Ready.Sub(sn.Created)
		done := now.Sub(sn.Created)
		pct := int32(0)
		if total > 0 && done > 0 {
			pct = int32(done * 100 / total)
		}
		x.PercentProgress = min(pct, 99)
	}
	for _, t := range sn.Tags {
		x.TagList = append(x.TagList, xTag(t))
	}
	return x
}

func xEngine(ev *EngineVersion) xEngineVersion {
	x := xEngineVersion{
		Engine: ev.Engine, EngineVersion: ev.Version, DBParameterGroupFamily: ev.Family,
		DBEngineDescription: "PostgreSQL", DBEngineVersionDescription: "PostgreSQL " + ev.Version + "-R1",
		SupportsLogExportsToCloudwatchLogs: true, SupportsReadReplica: true, Status: "available",
		MajorEngineVersion: majorOf(ev.Version),
	}
	for _, t := range ev.Targets {
		x.ValidUpgradeTarget = append(x.ValidUpgradeTarget, xUpgradeTarget{
			Engine: ev.Engine, EngineVersion: t.Version, Description: "PostgreSQL " + t.Version + "-R1",
			IsMajorVersionUpgrade: t.Major,
		})
	}
	return x
}

func xEventOf(e Event) xEvent {
	return xEvent{
		SourceIdentifier: e.SourceID, SourceType: e.SourceType, Message: e.Message,
		EventCategories: e.Categories, Date: ts(e.Date), SourceArn: e.SourceARN,
	}
}

func (w *World) xPending(in *Instance, now time.Time) xResourcePending {
	x := xResourcePending{ResourceIdentifier: w.InstanceARN(in.ID)}
	for _, m := range in.Maintenance {
		x.PendingMaintenanceActionDetails = append(x.PendingMaintenanceActionDetails, xPendingAction{
			Action: m.Action, AutoAppliedAfterDate: ts(m.AutoAppliedAfter), ForcedApplyDate: ts(m.ForcedApply),
			OptInStatus: m.OptInStatus, CurrentApplyDate: ts(m.effectiveDate(in.MaintenanceWindow, now)), Description: m.Description,
		})
	}
	return x
}

// effectiveDate is CurrentApplyDate: the opted-in date, else the earlier of
// the first maintenance window after AutoAppliedAfter and ForcedApply; zero
// when none is set.
func (m MaintenanceAction) effectiveDate(window string, now time.Time) time.Time {
	if !m.CurrentApply.IsZero() {
		return m.CurrentApply
	}
	var at time.Time
	if !m.AutoAppliedAfter.IsZero() {
		at = nextWindow(window, maxTime(m.AutoAppliedAfter, now))
	}
	if !m.ForcedApply.IsZero() && (at.IsZero() || m.ForcedApply.Before(at)) {
		at = m.ForcedApply
	}
	return at
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (w *World) xParamGroup(pg *ParameterGroup) xParamGroup {
	return xParamGroup{
		DBParameterGroupName: pg.Name, DBParameterGroupFamily: pg.Family, Description: pg.Description,
		DBParameterGroupArn: "arn:aws:rds:" + w.Region + ":" + w.Account + ":pg:" + pg.Name,
	}
}

func xParam(family string, p Parameter) xParameter {
	x := xParameter{
		ParameterName: p.Name, ParameterValue: p.Value, Source: p.Source, ApplyType: p.ApplyType,
		DataType: "string", IsModifiable: true, ApplyMethod: p.ApplyMethod, Description: "Parameter " + p.Name,
	}
	if d, ok := familyDef(family, p.Name); ok {
		x.DataType, x.AllowedValues, x.Description, x.IsModifiable = d.DataType, d.Allowed, d.Description, !d.Fixed
		x.ApplyType = d.ApplyType
	}
	if x.ApplyMethod == "" {
		x.ApplyMethod = "pending-reboot"
	}
	return x
}
