package awsclient

import (
	"sort"
	"strconv"
	"strings"
)

// Compare lists every setting where inst differs from the restore settings
// it was created with. Port is compared only when the settings fix it, tags
// only for the keys the settings name.
func Compare(s RestoreSettings, inst Instance) []Difference {
	var d diffs
	d.str("DBInstanceIdentifier", s.InstanceID, inst.ID)
	d.str("DBInstanceClass", s.Class, inst.Class)
	if s.StorageType != "" {
		d.str("StorageType", s.StorageType, inst.StorageType)
	}
	d.str("DBParameterGroupName", s.ParameterGroup, inst.ParameterGroup)
	d.set("VpcSecurityGroupIds", s.SecurityGroups, inst.SecurityGroups)
	d.str("DBSubnetGroupName", s.SubnetGroup, inst.SubnetGroup)
	d.flag("MultiAZ", s.MultiAZ, inst.MultiAZ)
	d.flag("PubliclyAccessible", s.PubliclyAccessible, inst.PubliclyAccessible)
	d.flag("DeletionProtection", s.DeletionProtection, inst.DeletionProtection)
	if s.Port != 0 {
		d.num("Port", int64(s.Port), int64(inst.Port))
	}
	if s.OptionGroup != "" {
		d.str("OptionGroupName", s.OptionGroup, inst.OptionGroup)
	}
	d.tags(s.Tags, inst.Tags)
	return d.out
}

// CompareInstances lists the configuration settings where got differs from
// want: what "diff the new instance against the export" needs. Identity
// (identifier, resource id, ARN, address), status and create time are not
// compared; tags only for keys want has; empty strings in want are skipped
// (the export did not say). The maintenance window is compared without case
// (Pulumi writes "Mon:00:00-Mon:03:00", AWS answers "mon:00:00-mon:03:00").
func CompareInstances(want, got Instance) []Difference {
	var d diffs
	d.str("Engine", want.Engine, got.Engine)
	d.str("EngineVersion", want.EngineVersion, got.EngineVersion)
	d.str("DBInstanceClass", want.Class, got.Class)
	if want.AllocatedStorage != 0 {
		d.num("AllocatedStorage", int64(want.AllocatedStorage), int64(got.AllocatedStorage))
	}
	d.str("StorageType", want.StorageType, got.StorageType)
	d.flag("StorageEncrypted", want.StorageEncrypted, got.StorageEncrypted)
	d.flag("MultiAZ", want.MultiAZ, got.MultiAZ)
	d.flag("PubliclyAccessible", want.PubliclyAccessible, got.PubliclyAccessible)
	d.flag("DeletionProtection", want.DeletionProtection, got.DeletionProtection)
	d.str("DBParameterGroupName", want.ParameterGroup, got.ParameterGroup)
	if len(want.SecurityGroups) > 0 {
		d.set("VpcSecurityGroupIds", want.SecurityGroups, got.SecurityGroups)
	}
	d.str("DBSubnetGroupName", want.SubnetGroup, got.SubnetGroup)
	d.str("OptionGroupName", want.OptionGroup, got.OptionGroup)
	if want.Port != 0 {
		d.num("Port", int64(want.Port), int64(got.Port))
	}
	if want.BackupRetention != 0 {
		d.num("BackupRetentionPeriod", int64(want.BackupRetention), int64(got.BackupRetention))
	}
	if want.MaintenanceWindow != "" && !strings.EqualFold(want.MaintenanceWindow, got.MaintenanceWindow) {
		d.add("PreferredMaintenanceWindow", want.MaintenanceWindow, got.MaintenanceWindow)
	}
	d.tags(want.Tags, got.Tags)
	return d.out
}

type diffs struct{ out []Difference }

func (d *diffs) add(field, want, got string) {
	d.out = append(d.out, Difference{Field: field, Want: want, Got: got})
}

// str compares strings; an empty want means "not specified".
func (d *diffs) str(field, want, got string) {
	if want != "" && want != got {
		d.add(field, want, got)
	}
}

func (d *diffs) flag(field string, want, got bool) {
	if want != got {
		d.add(field, strconv.FormatBool(want), strconv.FormatBool(got))
	}
}

func (d *diffs) num(field string, want, got int64) {
	if want != got {
		d.add(field, strconv.FormatInt(want, 10), strconv.FormatInt(got, 10))
	}
}

// set compares two lists as sets, shown sorted and comma-separated.
func (d *diffs) set(field string, want, got []string) {
	w, g := sortedCopy(want), sortedCopy(got)
	if strings.Join(w, ",") != strings.Join(g, ",") {
		d.add(field, strings.Join(w, ", "), strings.Join(g, ", "))
	}
}

func (d *diffs) tags(want, got map[string]string) {
	for _, k := range sortedKeys(want) {
		g, ok := got[k]
		if !ok {
			d.add("Tag "+k, want[k], "(missing)")
		} else if g != want[k] {
			d.add("Tag "+k, want[k], g)
		}
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
