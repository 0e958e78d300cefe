package steps

import (
	"fmt"
	"strings"
)

// ChecklistOptions choose the path a checklist prints; empty values print
// every branch.
type ChecklistOptions struct {
	Stack  string // fills {stack}; default "<stack>"
	Method string // restore: pulumi | console | none
	Lost   string // restore: whole | critical | isolated | none
	// Exists says whether the instance still exists (restore): yes | no.
	Exists string
}

// Checklist renders a runbook as markdown: the steps on the path chosen by
// the options (or all branches, each marked with when it applies), their
// explanations and the commands an engineer could type by hand. It contacts
// neither AWS nor Pulumi.
func Checklist(runbook string, o ChecklistOptions) (string, error) {
	book, err := Get(runbook)
	if err != nil {
		return "", err
	}
	if err := validateFlags(Options{Method: o.Method, Lost: o.Lost}); err != nil {
		return "", err
	}
	if o.Exists != "" && o.Exists != "yes" && o.Exists != "no" {
		return "", fmt.Errorf("exists %q: say yes or no", o.Exists)
	}
	vars := map[string]string{}
	if runbook == "restore" {
		if o.Lost != "" {
			vars["lost"] = o.Lost
		}
		if o.Exists != "" {
			vars["exists"] = o.Exists
		}
		if o.Method != "" {
			vars["method"] = o.Method
		} else if o.Lost != "" {
			vars["method"], _ = recommendMethod(o.Lost, o.Exists)
		}
		if l := vars["lost"]; l != "" {
			vars["maintenance"] = "off"
			if l == "whole" || l == "critical" {
				vars["maintenance"] = "on"
			}
		}
	}
	fillVars := map[string]string{
		"stack": orDefault(o.Stack, "<stack>"), "app-stack": orDefault(o.Stack, "<stack>"),
		"instance": "<instance>", "snapshot": "<snapshot>", "new-instance": "<new-instance>",
		"final-snapshot": "<final-snapshot>", "target": "<target>", "current-version": "<current-version>",
		"instance-arn": "<instance-arn>", "new-resource-id": "<new-resource-id>", "state-urn": "<urn of the instance>",
		"param-group": "<current parameter group>", "target-family": "<target family, e.g. postgres17>",
		"target-group": "<new parameter group, e.g. postgres17-force-ssl-off>",
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Checklist: %s\n\n%s\n\n", book.Title, book.Summary)
	if len(vars) > 0 {
		b.WriteString("Path:")
		for _, k := range sortedKeys(vars) {
			fmt.Fprintf(&b, " %s=%s", k, vars[k])
		}
		b.WriteString("\n\n")
	} else if runbook == "restore" {
		b.WriteString("Every branch is shown; steps marked *only when* belong to one branch.\n\n")
	}
	if runbook == "restore" && o.Lost != "" {
		m, reasons := recommendMethod(o.Lost, o.Exists)
		fmt.Fprintf(&b, "Recommended method for lost=%s: **%s** — %s.\n\n", o.Lost, m, reasons[m])
	}
	n := 0
	phase := ""
	for _, s := range book.Steps {
		if !s.OnPath(vars) {
			continue
		}
		if s.Phase != phase {
			phase = s.Phase
			fmt.Fprintf(&b, "## %s\n\n", capitalise(phase))
		}
		n++
		flags := []string{s.Kind.String()}
		if s.Destructive {
			flags = append(flags, "destructive")
		}
		if s.Group != "" {
			flags = append(flags, "runs alongside the other "+s.Group+" steps")
		}
		fmt.Fprintf(&b, "%d. [ ] **%s** (%s)", n, s.Title, strings.Join(flags, ", "))
		var open []Cond
		for _, c := range s.If {
			if vars[c.Var] == "" {
				open = append(open, c)
			}
		}
		if len(open) > 0 {
			fmt.Fprintf(&b, " — *%s*", condText(open))
		}
		b.WriteString("\n\n")
		fmt.Fprintf(&b, "   %s\n\n", fill(s.Explanation, fillVars))
		if len(s.Commands) > 0 {
			b.WriteString("   ```sh\n")
			for _, c := range s.Commands {
				fmt.Fprintf(&b, "   %s\n", fill(c, fillVars))
			}
			b.WriteString("   ```\n\n")
		}
		if s.Kind == KindGate {
			if strings.EqualFold(o.Stack, "production") || IsProductionStack(o.Stack) {
				b.WriteString("   Type the stack name to confirm; `--yes` does not apply on production.\n\n")
			} else {
				b.WriteString("   Type the name asked for (the instance for a rename or delete, else the stack) to confirm.\n\n")
			}
		}
	}
	return b.String(), nil
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
