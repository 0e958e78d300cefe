package pulumiclient

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestProgramParameterGroups(t *testing.T) {
	tests := []struct {
		file string
		want []ParameterGroupDecl
		// inst is the group the instance uses ("" for none).
		inst string
	}{
		{"planx-index.ts", []ParameterGroupDecl{{
			Resource: "parameterGroup", Var: "parameterGroup", Name: "postgres16-force-ssl-off", Family: "postgres16", Line: 25,
			Parameters: []ParameterDecl{
				{Name: "rds.force_ssl", Value: "0", ApplyMethod: "immediate"},
				{Name: "shared_preload_libraries", Value: "pg_tle,pg_stat_statements,pg_cron", ApplyMethod: "pending-reboot"},
			},
		}}, "parameterGroup"},
		{"data-Pulumi.yaml", []ParameterGroupDecl{{
			Resource: "parameterGroup", Name: "postgres16-force-ssl-off", Family: "postgres16", Line: 7,
			Parameters: []ParameterDecl{{Name: "rds.force_ssl", Value: "0", ApplyMethod: "immediate"}},
		}}, "parameterGroup"},
		{"oneline.ts", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := ReadProgram(filepath.Join("testdata", "program", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.ParameterGroups()
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				got[i].declStart, got[i].declEnd = 0, 0
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("groups = %+v\nwant %+v", got, tt.want)
			}
			g, err := p.InstanceParameterGroup()
			if err != nil {
				t.Fatal(err)
			}
			if name := ""; g != nil {
				name = g.Resource
				if name != tt.inst {
					t.Errorf("instance group = %q, want %q", name, tt.inst)
				}
			} else if tt.inst != "" {
				t.Errorf("instance group = none, want %q", tt.inst)
			}
		})
	}
}

var upgradeTo17 = MajorUpgrade{
	EngineVersion: "17.6", Family: "postgres17", GroupName: "postgres17-force-ssl-off",
	Parameters: []ParameterDecl{
		{Name: "rds.force_ssl", Value: "0", ApplyMethod: "immediate"},
		{Name: "shared_preload_libraries", Value: "pg_tle,pg_stat_statements,pg_cron", ApplyMethod: "pending-reboot"},
	},
}

func TestProgramMajorUpgrade(t *testing.T) {
	noGroup := upgradeTo17
	noGroup.GroupName, noGroup.Parameters = "", nil
	tests := []struct {
		name string
		file string
		edit MajorUpgrade
		// wantRef is the instance's parameterGroupName after the edit.
		wantRef string
	}{
		{"major-upgrade-ts", "planx-index.ts", upgradeTo17, "parameterGroupPostgres17.name"},
		{"major-upgrade-yaml", "data-Pulumi.yaml", upgradeTo17, "${parameterGroupPostgres17.name}"},
		{"major-upgrade-no-group-ts", "oneline.ts", upgradeTo17, "parameterGroupPostgres17.name"},
		{"major-upgrade-default-group-ts", "oneline.ts", noGroup, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ReadProgram(filepath.Join("testdata", "program", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			pt, err := p.ApplyMajorUpgrade(tt.edit)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseProgram(p.Path, pt.New)
			if err != nil {
				t.Fatalf("patched program does not parse: %v", err)
			}
			s := again.Settings()
			if s.EngineVersion != "17.6" || strings.TrimSpace(s.Raw["allowMajorVersionUpgrade"]) != "true" || s.Raw["parameterGroupName"] != tt.wantRef {
				t.Errorf("after patch: engineVersion %q allowMajorVersionUpgrade %q parameterGroupName %q", s.EngineVersion, s.Raw["allowMajorVersionUpgrade"], s.Raw["parameterGroupName"])
			}
			if tt.edit.GroupName != "" {
				g, err := again.InstanceParameterGroup()
				if err != nil || g == nil {
					t.Fatalf("the instance's group after the patch: %v %v", g, err)
				}
				if g.Name != tt.edit.GroupName || g.Family != tt.edit.Family || !reflect.DeepEqual(g.Parameters, tt.edit.Parameters) {
					t.Errorf("new group = %+v", *g)
				}
			}
			// Applying it again changes nothing (a resumed run).
			pt2, err := again.ApplyMajorUpgrade(tt.edit)
			if err != nil {
				t.Fatal(err)
			}
			if !pt2.Empty() {
				t.Errorf("second apply changed the program again:\n%s", pt2.Diff)
			}
			golden(t, filepath.Join("program", tt.name+".diff"), pt.Diff)
		})
	}
}

func TestProgramRemoveOldParameterGroup(t *testing.T) {
	for _, file := range []string{"planx-index.ts", "data-Pulumi.yaml"} {
		t.Run(file, func(t *testing.T) {
			p, err := ReadProgram(filepath.Join("testdata", "program", file))
			if err != nil {
				t.Fatal(err)
			}
			// Before the upgrade the instance still uses the old group.
			if _, err := p.RemoveParameterGroup("parameterGroup"); err == nil || !strings.Contains(err.Error(), "still referred to") {
				t.Fatalf("removing the group in use = %v, want a refusal", err)
			}
			pt, err := p.ApplyMajorUpgrade(upgradeTo17)
			if err != nil {
				t.Fatal(err)
			}
			up, err := ParseProgram(p.Path, pt.New)
			if err != nil {
				t.Fatal(err)
			}
			rm, err := up.RemoveParameterGroup("parameterGroup")
			if err != nil {
				t.Fatal(err)
			}
			after, err := ParseProgram(p.Path, rm.New)
			if err != nil {
				t.Fatalf("the program does not parse after the removal: %v", err)
			}
			groups, _ := after.ParameterGroups()
			if len(groups) != 1 || groups[0].Name != "postgres17-force-ssl-off" {
				t.Errorf("groups after removal = %+v", groups)
			}
			if g, _ := after.InstanceParameterGroup(); g == nil || g.Name != "postgres17-force-ssl-off" {
				t.Errorf("the instance lost its group: %+v", g)
			}
			golden(t, filepath.Join("program", "remove-old-group-"+strings.ReplaceAll(file, ".", "-")+".diff"), rm.Diff)
		})
	}
}

func TestTargetGroupName(t *testing.T) {
	tests := []struct{ old, oldFam, newFam, want string }{
		{"postgres16-force-ssl-off", "postgres16", "postgres17", "postgres17-force-ssl-off"},
		{"force-ssl-off", "postgres16", "postgres17", "postgres17-force-ssl-off"},
		{"", "postgres16", "postgres17", "postgres17-custom"},
	}
	for _, tt := range tests {
		if got := TargetGroupName(tt.old, tt.oldFam, tt.newFam); got != tt.want {
			t.Errorf("TargetGroupName(%q) = %q, want %q", tt.old, got, tt.want)
		}
	}
	if got := FamilyOf("postgres", "17.6"); got != "postgres17" {
		t.Errorf("FamilyOf = %q", got)
	}
}
