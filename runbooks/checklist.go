package runbooks

import (
	"fmt"

	"github.com/datalayer-tool/datalayer/engine"
)

// ChecklistOptions choose the path a checklist prints; empty values print
// every branch.
type ChecklistOptions struct {
	Stack  string // fills {stack}; default "<stack>"
	Method string // restore: pulumi | console | none
	Lost   string // restore: whole | critical | isolated | none
	// Exists says whether the instance still exists (restore): yes | no.
	Exists string
	// To is --to (restore): a point in time; the checklist then shows the
	// point-in-time branch.
	To string
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
	if err := validateFlags(engine.Options{Runbook: runbook, Method: o.Method, Lost: o.Lost, To: o.To}); err != nil {
		return "", err
	}
	if o.Exists != "" && o.Exists != "yes" && o.Exists != "no" {
		return "", fmt.Errorf("exists %q: say yes or no", o.Exists)
	}
	path := engine.ChecklistPath{Stack: o.Stack, Vars: map[string]string{}, Fill: map[string]string{
		"stack": orDefault(o.Stack, "<stack>"), "app-stack": orDefault(o.Stack, "<stack>"),
	}}
	for k, v := range checklistFill {
		path.Fill[k] = v
	}
	path.Fill["restore-time"] = orDefault(o.To, "<restore time>")
	if book.Path != nil {
		path.Vars, path.Note = book.Path(map[string]string{"lost": o.Lost, "method": o.Method, "exists": o.Exists, "to": o.To})
	}
	return engine.RenderChecklist(book, path), nil
}
