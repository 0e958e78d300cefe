package simprovider

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// deployedInstance is what AWS reports of the team's instance.
func deployedInstance() *rdstypes.DBInstance {
	return &rdstypes.DBInstance{
		DBInstanceIdentifier: aws.String("app5ec7032"), DbiResourceId: aws.String("db-ABCDEFGHIJKLMNOPQRSTUVWXY1"),
		DBInstanceClass: aws.String("db.t3.small"), AllocatedStorage: aws.Int32(20), Engine: aws.String("postgres"),
		EngineVersion: aws.String("16.13"), StorageType: aws.String("gp3"), StorageEncrypted: aws.Bool(true),
		MultiAZ: aws.Bool(false), PubliclyAccessible: aws.Bool(true), DeletionProtection: aws.Bool(false),
		BackupRetentionPeriod: aws.Int32(1), PreferredMaintenanceWindow: aws.String("mon:00:00-mon:03:00"),
		MasterUsername: aws.String("dbuser"), DBInstanceStatus: aws.String("available"), DbInstancePort: aws.Int32(5432),
		DBParameterGroups: []rdstypes.DBParameterGroupStatus{{DBParameterGroupName: aws.String("postgres16-force-ssl-off")}},
		VpcSecurityGroups: []rdstypes.VpcSecurityGroupMembership{{VpcSecurityGroupId: aws.String("sg-0a1b2c3d4e5f60718")}},
		DBSubnetGroup:     &rdstypes.DBSubnetGroup{DBSubnetGroupName: aws.String("data-db-subnet-group-3f9a1c2")},
		Endpoint: &rdstypes.Endpoint{Address: aws.String("app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com"), Port: aws.Int32(5432),
			HostedZoneId: aws.String("Z1TTGA775OQIYO")},
	}
}

// teamProgram is the team's program's inputs after Check (auto-named).
func teamProgram() resource.PropertyMap {
	m := resource.NewPropertyMapFromMap(map[string]any{
		"engine": "postgres", "engineVersion": "16.13", "instanceClass": "db.t3.small", "allocatedStorage": 20,
		"allowMajorVersionUpgrade": true, "username": "dbuser", "skipFinalSnapshot": false,
		"finalSnapshotIdentifier": "final-before-deletion", "publiclyAccessible": true, "storageEncrypted": true,
		"backupRetentionPeriod": 1, "applyImmediately": true, "parameterGroupName": "postgres16-force-ssl-off",
		"maintenanceWindow": "Mon:00:00-Mon:03:00", "identifier": "app5ec7032",
	})
	m["password"] = resource.MakeSecret(resource.NewStringProperty("integration-test-db-password"))
	m[defaultsKey] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("identifier")})
	return m
}

func TestDiffNamesOnlyWhatTheProgramChanged(t *testing.T) {
	state := instanceState(teamProgram(), deployedInstance())
	with := func(edit func(resource.PropertyMap)) resource.PropertyMap {
		m := teamProgram()
		edit(m)
		return m
	}
	drifted := func(edit func(*rdstypes.DBInstance)) resource.PropertyMap {
		db := deployedInstance()
		edit(db)
		return instanceState(teamProgram(), db)
	}
	pitrProgram := func(at string) resource.PropertyMap {
		return with(func(m resource.PropertyMap) { m["restoreToPointInTime"] = pitrProp("app5ec7032", at) })
	}
	pitrState := instanceState(pitrProgram("2026-12-02T14:01:00Z"), deployedInstance())
	tests := []struct {
		name    string
		state   resource.PropertyMap
		program resource.PropertyMap
		want    map[string]pulumirpc.PropertyDiff_Kind
		dbr     bool
	}{
		{name: "nothing changed", state: state, program: teamProgram(), want: nil},
		{name: "instance class: only instanceClass", state: state,
			program: with(func(m resource.PropertyMap) { m["instanceClass"] = resource.NewStringProperty("db.t3.medium") }),
			want:    map[string]pulumirpc.PropertyDiff_Kind{"instanceClass": pulumirpc.PropertyDiff_UPDATE}},
		{name: "engine version upgrade", state: state,
			program: with(func(m resource.PropertyMap) { m["engineVersion"] = resource.NewStringProperty("17.7") }),
			want:    map[string]pulumirpc.PropertyDiff_Kind{"engineVersion": pulumirpc.PropertyDiff_UPDATE}},
		{name: "a major alone matches its minor", state: state,
			program: with(func(m resource.PropertyMap) { m["engineVersion"] = resource.NewStringProperty("16") })},
		{name: "maintenance window differs only in case", state: state,
			program: with(func(m resource.PropertyMap) {
				m["maintenanceWindow"] = resource.NewStringProperty("mon:00:00-mon:03:00")
			})},
		{name: "the program adds a port AWS already has", state: state,
			program: with(func(m resource.PropertyMap) { m["port"] = resource.NewNumberProperty(5432) })},
		{name: "left out, computed: AWS keeps it", state: state,
			program: with(func(m resource.PropertyMap) { delete(m, "parameterGroupName"); delete(m, "maintenanceWindow") })},
		{name: "snapshot added: replaced", state: state,
			program: with(func(m resource.PropertyMap) { m["snapshotIdentifier"] = resource.NewStringProperty("pre-release-x") }),
			want:    map[string]pulumirpc.PropertyDiff_Kind{"snapshotIdentifier": pulumirpc.PropertyDiff_ADD_REPLACE}},
		{name: "snapshot removed: computed, no change", state: instanceState(with(func(m resource.PropertyMap) {
			m["snapshotIdentifier"] = resource.NewStringProperty("pre-release-x")
		}), deployedInstance()), program: teamProgram()},
		{name: "point-in-time restore added: replaced", state: state,
			program: with(func(m resource.PropertyMap) {
				m["restoreToPointInTime"] = pitrProp("app5ec7032", "2026-12-02T14:01:00Z")
			}),
			want: map[string]pulumirpc.PropertyDiff_Kind{"restoreToPointInTime": pulumirpc.PropertyDiff_ADD_REPLACE}},
		{name: "point-in-time restore kept: no change", state: pitrState, program: pitrProgram("2026-12-02T14:01:00Z")},
		{name: "point-in-time restore to another time: replaced", state: pitrState, program: pitrProgram("2026-12-02T14:30:00Z"),
			want: map[string]pulumirpc.PropertyDiff_Kind{"restoreToPointInTime": pulumirpc.PropertyDiff_UPDATE_REPLACE}},
		{name: "point-in-time restore removed: replaced (not computed, hashicorp/terraform-provider-aws#34522)", state: pitrState,
			program: teamProgram(), want: map[string]pulumirpc.PropertyDiff_Kind{"restoreToPointInTime": pulumirpc.PropertyDiff_DELETE_REPLACE}},
		{name: "drift after refresh: the way back", state: drifted(func(db *rdstypes.DBInstance) { db.DBInstanceClass = aws.String("db.t3.medium") }),
			program: teamProgram(), want: map[string]pulumirpc.PropertyDiff_Kind{"instanceClass": pulumirpc.PropertyDiff_UPDATE}},
		{name: "AWS auto-applied a minor: the program's older minor is a change", state: drifted(func(db *rdstypes.DBInstance) {
			db.EngineVersion = aws.String("16.13")
		}), program: with(func(m resource.PropertyMap) { m["engineVersion"] = resource.NewStringProperty("16.11") }),
			want: map[string]pulumirpc.PropertyDiff_Kind{"engineVersion": pulumirpc.PropertyDiff_UPDATE}},
		{name: "deletion protection turned on in the console", state: drifted(func(db *rdstypes.DBInstance) { db.DeletionProtection = aws.Bool(true) }),
			program: teamProgram(), want: map[string]pulumirpc.PropertyDiff_Kind{"deletionProtection": pulumirpc.PropertyDiff_DELETE}},
		{name: "storage encryption left out while AWS encrypts: replaced", state: state,
			program: with(func(m resource.PropertyMap) { delete(m, "storageEncrypted") }),
			want:    map[string]pulumirpc.PropertyDiff_Kind{"storageEncrypted": pulumirpc.PropertyDiff_DELETE_REPLACE}},
		{name: "a named identifier renames in place", state: state,
			program: with(func(m resource.PropertyMap) {
				m["identifier"] = resource.NewStringProperty("app-prod")
				delete(m, defaultsKey)
			}),
			want: map[string]pulumirpc.PropertyDiff_Kind{"identifier": pulumirpc.PropertyDiff_UPDATE}},
		{name: "a named instance is deleted before its replacement", state: state,
			program: with(func(m resource.PropertyMap) {
				delete(m, defaultsKey)
				m["snapshotIdentifier"] = resource.NewStringProperty("s")
			}),
			want: map[string]pulumirpc.PropertyDiff_Kind{"snapshotIdentifier": pulumirpc.PropertyDiff_ADD_REPLACE}, dbr: true},
		{name: "final snapshot settings change the state only", state: state,
			program: with(func(m resource.PropertyMap) { m["finalSnapshotIdentifier"] = resource.NewStringProperty("final-2") }),
			want:    map[string]pulumirpc.PropertyDiff_Kind{"finalSnapshotIdentifier": pulumirpc.PropertyDiff_UPDATE}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := diffResponse(instance{}.diff(tt.state, tt.program), tt.program, "identifier")
			got := map[string]pulumirpc.PropertyDiff_Kind{}
			for k, d := range resp.DetailedDiff {
				got[k] = d.Kind
			}
			if len(got) != len(tt.want) {
				t.Fatalf("diffs = %v, want %v", got, tt.want)
			}
			for k, kind := range tt.want {
				if got[k] != kind {
					t.Errorf("%s: %v, want %v", k, got[k], kind)
				}
			}
			if (resp.Changes == pulumirpc.DiffResponse_DIFF_SOME) != (len(tt.want) > 0) {
				t.Errorf("changes = %v", resp.Changes)
			}
			if resp.DeleteBeforeReplace != tt.dbr {
				t.Errorf("delete before replace = %v, want %v", resp.DeleteBeforeReplace, tt.dbr)
			}
		})
	}
}

func TestCheckAutoNamesLikeThePulumiAWSProvider(t *testing.T) {
	seed := []byte("seed-1")
	news := resource.NewPropertyMapFromMap(map[string]any{"instanceClass": "db.t3.small"})
	got, err := instance{}.check("app", nil, news, seed)
	if err != nil {
		t.Fatal(err)
	}
	name := props(got).str("identifier")
	if !regexp.MustCompile(`^app[0-9a-f]{7}$`).MatchString(name) || !isDefault(got, "identifier") {
		t.Fatalf("auto-name = %q (defaults %v), want app + 7 hex, recorded as a default", name, got[defaultsKey])
	}
	again, _ := instance{}.check("app", nil, news, seed)
	if props(again).str("identifier") != name {
		t.Error("the same seed gave another name: a preview and its update would disagree")
	}
	other, _ := instance{}.check("app", nil, news, []byte("seed-2"))
	if props(other).str("identifier") == name {
		t.Error("another seed gave the same name")
	}
	kept, _ := instance{}.check("app", got, news, []byte("seed-3"))
	if props(kept).str("identifier") != name {
		t.Errorf("an existing instance's name changed: %q → %q", name, props(kept).str("identifier"))
	}
	named := resource.NewPropertyMapFromMap(map[string]any{"instanceClass": "db.t3.small", "identifier": "app-prod"})
	if out, _ := (instance{}).check("app", nil, named, seed); props(out).str("identifier") != "app-prod" || isDefault(out, "identifier") {
		t.Errorf("a named instance = %v", out)
	}
	pg, _ := parameterGroup{}.check("parameterGroup", nil, resource.NewPropertyMapFromMap(map[string]any{"family": "postgres16"}), seed)
	if n := props(pg).str("name"); !regexp.MustCompile(`^parametergroup-[0-9a-f]{7}$`).MatchString(n) || props(pg).str("description") != "Managed by Pulumi" {
		t.Errorf("parameter group = %v", pg)
	}
}

// pitrProp is a restoreToPointInTime block from an instance at a time.
func pitrProp(source, at string) resource.PropertyValue {
	return resource.NewObjectProperty(resource.NewPropertyMapFromMap(map[string]any{
		"sourceDbInstanceIdentifier": source, "restoreTime": at,
	}))
}

func TestCheckPointInTimeLikeTheTFSchema(t *testing.T) {
	block := func(m map[string]any) resource.PropertyValue {
		return resource.NewObjectProperty(resource.NewPropertyMapFromMap(m))
	}
	tests := []struct {
		name  string
		extra map[string]any
		want  string // a failure's reason holds this; "" for none
	}{
		{"by identifier at a time", map[string]any{"restoreToPointInTime": pitrProp("app5ec7032", "2026-12-02T14:01:00Z")}, ""},
		{"by resource id, latest", map[string]any{"restoreToPointInTime": block(map[string]any{
			"sourceDbiResourceId": "db-ABC", "useLatestRestorableTime": true})}, ""},
		{"with a snapshot", map[string]any{"snapshotIdentifier": "s", "restoreToPointInTime": pitrProp("app", "2026-12-02T14:01:00Z")},
			"restoreToPointInTime conflicts with snapshotIdentifier"},
		{"a local time", map[string]any{"restoreToPointInTime": pitrProp("app", "2026-12-02T15:01:00+01:00")}, "not a UTC time in RFC 3339"},
		{"not a time", map[string]any{"restoreToPointInTime": pitrProp("app", "20 minutes ago")}, "not a UTC time in RFC 3339"},
		{"time and latest", map[string]any{"restoreToPointInTime": block(map[string]any{
			"sourceDbInstanceIdentifier": "app", "restoreTime": "2026-12-02T14:01:00Z", "useLatestRestorableTime": true})},
			"restoreTime conflicts with useLatestRestorableTime"},
		{"no source", map[string]any{"restoreToPointInTime": block(map[string]any{"useLatestRestorableTime": true})}, "give exactly one of"},
		{"two sources", map[string]any{"restoreToPointInTime": block(map[string]any{
			"sourceDbInstanceIdentifier": "app", "sourceDbiResourceId": "db-ABC", "useLatestRestorableTime": true})}, "give exactly one of"},
		{"not an object", map[string]any{"restoreToPointInTime": "app"}, "wrong type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := teamProgram()
			for k, v := range tt.extra {
				if pv, ok := v.(resource.PropertyValue); ok {
					m[resource.PropertyKey(k)] = pv
				} else {
					m[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
				}
			}
			var reasons []string
			for _, f := range checkTypes(instanceFields, m) {
				reasons = append(reasons, f.Reason)
			}
			got := strings.Join(reasons, "; ")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("failures = %q, want one with %q", got, tt.want)
			}
		})
	}
}

func TestCheckFailures(t *testing.T) {
	news := resource.NewPropertyMapFromMap(map[string]any{"allocatedStorage": "20"})
	var got []string
	for _, f := range checkTypes(instanceFields, news) {
		got = append(got, f.Property)
	}
	if !slices.Equal(got, []string{"allocatedStorage", "instanceClass"}) {
		t.Errorf("failures on %v = %v", news, got)
	}
	news["instanceClass"] = resource.MakeComputed(resource.NewStringProperty(""))
	news["allocatedStorage"] = resource.NewNumberProperty(20)
	if f := checkTypes(instanceFields, news); len(f) != 0 {
		t.Errorf("an unknown class failed the check: %v", f)
	}
}

func TestEngineVersionFromAWS(t *testing.T) {
	tests := []struct{ program, actual, pending, want string }{
		{"16.11", "16.13", "", "16.13"}, // AWS moved the minor: drift
		{"16", "16.13", "", "16"},       // major only: no drift
		{"16.13", "16.13", "", "16.13"},
		{"", "16.13", "", "16.13"},
		{"16.1", "16.13", "", "16.13"},     // a prefix that is not a version part
		{"17.6", "16.13", "", "16.13"},     // an upgrade that did not happen shows again
		{"16.13", "16.13", "17.6", "17.6"}, // waiting for the maintenance window
	}
	for _, tt := range tests {
		if got := EngineVersionFromAWS(tt.program, tt.actual, tt.pending); got != tt.want {
			t.Errorf("EngineVersionFromAWS(%q, %q) = %q, want %q", tt.program, tt.actual, got, tt.want)
		}
	}
}

func TestPostRestoreModifySendsWhatDiffers(t *testing.T) {
	restored := deployedInstance()
	in := props(teamProgram())
	m := postRestoreModify("app1234567", in, restored)
	if m == nil || m.MasterUserPassword == nil || m.EngineVersion != nil || m.AllocatedStorage != nil || m.PreferredMaintenanceWindow != nil {
		t.Fatalf("modify after a restore of the same settings = %+v, want the password only", m)
	}
	older := teamProgram()
	older["engineVersion"] = resource.NewStringProperty("16.11")
	older["backupRetentionPeriod"] = resource.NewNumberProperty(7)
	m = postRestoreModify("app1234567", props(older), restored)
	if aws.ToString(m.EngineVersion) != "16.11" || aws.ToInt32(m.BackupRetentionPeriod) != 7 || !aws.ToBool(m.ApplyImmediately) {
		t.Fatalf("modify = %+v, want engine version 16.11 and retention 7, at once", m)
	}
	bare := resource.NewPropertyMapFromMap(map[string]any{"instanceClass": "db.t3.small", "snapshotIdentifier": "s"})
	if m := postRestoreModify("x", props(bare), restored); m != nil {
		t.Errorf("nothing to apply, yet a modify: %+v", m)
	}
}
