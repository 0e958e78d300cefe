package runbooks

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pgclient"
)

// upgradeTables hold JSON the report shows as tables, not in the timeline.
var upgradeTables = []string{spotBeforeVar, spotAfterVar, extBeforeVar, "group-params"}

// upgradeReport renders an upgrade run's results: the way back, the
// parameter group, the spot checks side by side, the extensions to migrate
// and the saved pg_upgrade logs. Empty for runs that have none of them. A
// rehearsal's way back is rehearsed too: its snapshot is in the
// rehearsal's world, not in AWS.
func upgradeReport(info engine.RunInfo, vars map[string]string) string {
	rehearsal := info.Rehearsal
	var b strings.Builder
	if s := vars["rollback-snapshot"]; s != "" {
		fmt.Fprintf(&b, "## The way back\n\nManual snapshot **%s**, taken before the upgrade", s)
		if v := vars["current-version"]; v != "" {
			fmt.Fprintf(&b, " (PostgreSQL %s)", v)
		}
		if rehearsal {
			b.WriteString(". It exists in this rehearsal's simulated world only; `datalayer rehearse restore` rehearses the way back.\n\n")
		} else {
			fmt.Fprintf(&b, ". Restore it to a new instance (`datalayer restore`, pick %s) to go back.\n\n", s)
		}
	}
	if g := vars["target-group"]; g != "" {
		fmt.Fprintf(&b, "## Parameter group\n\n- Before: %s (%s)\n- After: %s (%s)\n", vars["param-group"], orDefault(vars["param-family"], "?"), g, orDefault(vars["target-family"], "?"))
		var ps []struct{ Name, Value, ApplyMethod string }
		if json.Unmarshal([]byte(vars["group-params"]), &ps) == nil && len(ps) > 0 {
			var parts []string
			for _, p := range ps {
				parts = append(parts, p.Name+"="+p.Value)
			}
			fmt.Fprintf(&b, "- Carried over: %s\n", strings.Join(parts, ", "))
		}
		if l := vars["left-out-params"]; l != "" {
			fmt.Fprintf(&b, "- Left out (not in %s): %s\n", vars["target-family"], l)
		}
		if vars["reboot-needed"] == "yes" {
			fmt.Fprintf(&b, "- **pending-reboot**: `aws rds reboot-db-instance --db-instance-identifier %s` applies the static settings\n", vars["instance"])
		}
		b.WriteString("\n")
	}
	b.WriteString(spotCheckTable(vars))
	if o, ok := vars[extAfterVar]; ok {
		b.WriteString("## Extensions to migrate\n\n")
		if o == "" {
			b.WriteString("Every installed extension is at the new engine's default version.\n\n")
		} else {
			for _, l := range strings.Split(o, "; ") {
				fmt.Fprintf(&b, "- %s\n", l)
			}
			b.WriteString("\n")
		}
	} else if e := vars[extBeforeVar]; e != "" {
		var exts []pgclient.Extension
		if json.Unmarshal([]byte(e), &exts) == nil && len(exts) > 0 {
			b.WriteString("## Extensions installed before the upgrade\n\n")
			for _, x := range exts {
				fmt.Fprintf(&b, "- %s %s (default %s)\n", x.Name, x.Installed, orDefault(x.Default, "none"))
			}
			b.WriteString("\n")
		}
	}
	var logs []string
	for k, v := range vars {
		if f, ok := strings.CutPrefix(k, "upgrade-log:"); ok {
			logs = append(logs, fmt.Sprintf("- %s: `%s`", f, v))
		}
	}
	if len(logs) > 0 {
		sort.Strings(logs)
		b.WriteString("## pg_upgrade logs saved with the run\n\n" + strings.Join(logs, "\n") + "\n\n")
	}
	return b.String()
}

// spotCheckTable shows each spot check before and after, side by side.
func spotCheckTable(vars map[string]string) string {
	var cmp []pgclient.Comparison
	if s := vars[spotAfterVar]; s != "" {
		_ = json.Unmarshal([]byte(s), &cmp)
	} else if s := vars[spotBeforeVar]; s != "" {
		var before []pgclient.Result
		_ = json.Unmarshal([]byte(s), &before)
		for _, r := range before {
			cmp = append(cmp, pgclient.Comparison{Name: r.Name, Before: r, Missing: true})
		}
	}
	if len(cmp) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Spot checks (EXPLAIN ANALYZE)\n\n")
	b.WriteString("| query | planning before | planning after | execution before | execution after | ratio | plan shape | flag |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---|---|\n")
	ms := func(r pgclient.Result, v float64, have bool) string {
		switch {
		case !have:
			return "—"
		case r.Err != "":
			return "error"
		}
		return strconv.FormatFloat(v, 'f', 3, 64) + " ms"
	}
	for _, c := range cmp {
		hb := c.Before.Name != ""
		ha := c.After.Name != ""
		ratio, shape, flag := "—", "—", ""
		if !c.Missing {
			ratio = "x" + strconv.FormatFloat(c.Ratio, 'f', 2, 64)
			shape = "same"
			if c.ShapeChanged {
				shape = "**changed**: " + c.Before.Shape + " → " + c.After.Shape
			}
		}
		switch {
		case c.Slower:
			flag = "**slower**"
		case c.Before.Err != "" || c.After.Err != "":
			flag = "error: " + orDefault(c.After.Err, c.Before.Err)
		case c.Missing && hb && !ha:
			flag = "not measured after"
		case c.Missing && ha && !hb:
			flag = "not measured before"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", cell(c.Name),
			ms(c.Before, c.Before.PlanningMS, hb), ms(c.After, c.After.PlanningMS, ha),
			ms(c.Before, c.Before.ExecutionMS, hb), ms(c.After, c.After.ExecutionMS, ha),
			ratio, cell(shape), cell(flag))
	}
	b.WriteString("\n")
	return b.String()
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", "<br>")
}
