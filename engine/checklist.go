package engine

import (
	"fmt"
	"strings"
)

// ChecklistPath is the path a checklist prints and how its placeholders
// are filled.
type ChecklistPath struct {
	Stack string // "" or a stack name; decides the gates' wording
	// Vars are the decided variables: steps off their path are left out.
	// Empty prints every branch, each step marked with when it applies.
	Vars map[string]string
	// Fill fills the {var} placeholders of explanations and commands.
	Fill map[string]string
	// Note is markdown printed after the path (a recommendation).
	Note string
}

// RenderChecklist renders a runbook as markdown: the steps on the path (or
// all branches, each marked with when it applies), their explanations and
// the commands an engineer could type by hand. It runs nothing.
func RenderChecklist(book *Runbook, o ChecklistPath) string {
	vars, fillVars := o.Vars, o.Fill
	var b strings.Builder
	fmt.Fprintf(&b, "# Checklist: %s\n\n%s\n\n", book.Title, book.Summary)
	if len(vars) > 0 {
		b.WriteString("Path:")
		for _, k := range sortedKeys(vars) {
			fmt.Fprintf(&b, " %s=%s", k, vars[k])
		}
		b.WriteString("\n\n")
	}
	b.WriteString(o.Note)
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
	return b.String()
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
