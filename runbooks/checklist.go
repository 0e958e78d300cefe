package runbooks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/datalayer-tool/datalayer/engine"
)

// ChecklistOptions choose the path a checklist prints; nothing given
// prints every branch.
type ChecklistOptions struct {
	Stack string // fills {stack}; default "<stack>"
	// Flags are the runbook's options, as a run takes them (--lost,
	// --method, --to...): validated the same way.
	Flags map[string]string
	// Vars are decisions known beforehand that no flag pre-answers, e.g.
	// exists=yes (the restore: whether the instance still exists).
	Vars map[string]string
}

// checklistFill fills the placeholders a checklist shows unfilled.
var checklistFill = map[string]string{
	"instance": "<instance>", "snapshot": "<snapshot>", "new-instance": "<new-instance>",
	"final-snapshot": "<final-snapshot>", "target": "<target>", "current-version": "<current-version>",
	"instance-arn": "<instance-arn>", "new-resource-id": "<new-resource-id>", "state-urn": "<urn of the instance>",
	"param-group": "<current parameter group>", "target-family": "<target family, e.g. postgres17>",
	"target-group": "<new parameter group, e.g. postgres17-force-ssl-off>",
}

// Checklist renders a runbook as markdown (engine.RenderChecklist): the
// steps on the path chosen by the options, or every branch. It contacts
// neither AWS nor Pulumi.
func Checklist(runbook string, o ChecklistOptions) (string, error) {
	book, err := Get(runbook)
	if err != nil {
		return "", err
	}
	if err := book.CheckFlags(o.Flags); err != nil {
		return "", err
	}
	for k, v := range o.Vars {
		if err := checkDecided(book, k, v); err != nil {
			return "", err
		}
	}
	path := engine.ChecklistPath{Stack: o.Stack, Vars: map[string]string{}, Fill: map[string]string{
		"stack": orDefault(o.Stack, "<stack>"), "app-stack": orDefault(o.Stack, "<stack>"),
	}}
	for k, v := range checklistFill {
		path.Fill[k] = v
	}
	pre := map[string]string{}
	for k, v := range o.Vars {
		pre[k] = v
	}
	for k, v := range o.Flags {
		pre[k] = v
	}
	path.Fill["restore-time"] = orDefault(pre["to"], "<restore time>")
	if book.Path != nil {
		path.Vars, path.Note = book.Path(pre)
	} else {
		path.Vars = pre
	}
	return engine.RenderChecklist(book, path), nil
}

// checkDecided checks a decision known beforehand against the runbook's
// declaration of it.
func checkDecided(book *engine.Runbook, name, v string) error {
	for _, d := range book.Decisions {
		if d.Var != name {
			continue
		}
		if len(d.Values) > 0 && !slices.Contains(d.Values, v) {
			return fmt.Errorf("%s %q: say %s", name, v, strings.Join(d.Values, " or "))
		}
		return nil
	}
	return fmt.Errorf("%s is not a decision of the %s runbook", name, book.Name)
}
