package pulumiclient

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParameterGroupType is the Pulumi type token of an RDS parameter group.
const ParameterGroupType = "aws:rds/parameterGroup:ParameterGroup"

// ParameterDecl is one parameter of a parameter group.
type ParameterDecl struct {
	Name        string
	Value       string
	ApplyMethod string // immediate or pending-reboot; empty leaves the provider's default
}

// ParameterGroupDecl is an RDS parameter group the program declares.
type ParameterGroupDecl struct {
	// Resource is the Pulumi logical name.
	Resource string
	// Var is the TypeScript variable holding the resource ("" in YAML).
	Var string
	// Name and Family are the group's AWS name and family when the program
	// writes them as literals.
	Name       string
	Family     string
	Parameters []ParameterDecl
	Line       int // 1-based line of the declaration
	// declStart and declEnd span the declaration's whole lines, the comment
	// lines right above it included, in the program source.
	declStart, declEnd int
}

// MajorUpgrade is the program change of a major-version upgrade: the engine
// version, allowMajorVersionUpgrade, and — when the instance uses a custom
// parameter group — a copy of it for the target family that the instance is
// pointed at. RDS refuses a major upgrade while a custom group of the old
// family stays attached.
type MajorUpgrade struct {
	EngineVersion string // the target version, e.g. 17.6
	Family        string // the target's parameter group family, e.g. postgres17
	// GroupName is the new group's AWS name (TargetGroupName); empty when
	// the instance keeps AWS's default group, so no group is added.
	GroupName  string
	Parameters []ParameterDecl
}

// FamilyOf returns the parameter group family of an engine version
// ("postgres", "17.6" → "postgres17").
func FamilyOf(engine, version string) string {
	major, _, _ := strings.Cut(version, ".")
	if engine == "" {
		engine = "postgres"
	}
	return engine + major
}

// TargetGroupName names the new family's group after the old one:
// postgres16-force-ssl-off becomes postgres17-force-ssl-off; a name without
// the old family gets the new family in front.
func TargetGroupName(oldName, oldFamily, newFamily string) string {
	if oldName == "" {
		return newFamily + "-custom"
	}
	if oldFamily != "" && strings.Contains(oldName, oldFamily) {
		return strings.Replace(oldName, oldFamily, newFamily, 1)
	}
	return newFamily + "-" + oldName
}

// groupResourceName is the logical name (and TypeScript variable) of the
// new family's group: the old one's with the family appended.
func groupResourceName(base, family string) string {
	if base == "" {
		base = "parameterGroup"
	}
	if family == "" {
		return base
	}
	return base + strings.ToUpper(family[:1]) + family[1:]
}

// ParameterGroups lists the parameter groups the program declares.
func (p *Program) ParameterGroups() ([]ParameterGroupDecl, error) {
	if p.Kind == ProgramYAML {
		return yamlGroups(p.src)
	}
	return tsGroups(p.src)
}

// InstanceParameterGroup returns the declared group the instance's
// parameterGroupName refers to (by reference or by literal name), or nil
// when it names none of them (a default group, or one kept elsewhere).
func (p *Program) InstanceParameterGroup() (*ParameterGroupDecl, error) {
	groups, err := p.ParameterGroups()
	if err != nil {
		return nil, err
	}
	raw := strings.TrimSpace(p.Settings().Raw["parameterGroupName"])
	if raw == "" {
		return nil, nil
	}
	for i := range groups {
		g := &groups[i]
		switch {
		case p.Kind == ProgramTypeScript && g.Var != "" && (raw == g.Var+".name" || raw == g.Var+".id"):
			return g, nil
		case p.Kind == ProgramYAML && (raw == "${"+g.Resource+".name}" || raw == "${"+g.Resource+".id}"):
			return g, nil
		}
		if lit, ok := tsStringLiteral(raw); ok && p.Kind == ProgramTypeScript && g.Name != "" && lit == g.Name {
			return g, nil
		}
		if p.Kind == ProgramYAML && g.Name != "" && raw == g.Name {
			return g, nil
		}
	}
	return nil, nil
}

// ApplyMajorUpgrade computes the program change of a major upgrade. It adds
// the new family's parameter group next to the old one (once: a program
// that already declares it keeps its declaration), points the instance's
// parameterGroupName at it, sets engineVersion and
// allowMajorVersionUpgrade: true. The file is not written.
func (p *Program) ApplyMajorUpgrade(u MajorUpgrade) (*Patch, error) {
	if u.EngineVersion == "" {
		return nil, errors.New("patch program: no target engine version given")
	}
	if u.GroupName != "" && u.Family == "" {
		return nil, errors.New("patch program: the new parameter group needs a family, e.g. postgres17")
	}
	cur := p
	out := append([]byte(nil), p.src...)
	reparse := func(b []byte) error {
		np, err := ParseProgram(p.Path, b)
		if err != nil {
			return fmt.Errorf("patch program: the edit broke the program: %w", err)
		}
		cur, out = np, b
		return nil
	}
	ref := ""
	if u.GroupName != "" {
		groups, err := cur.ParameterGroups()
		if err != nil {
			return nil, fmt.Errorf("patch program %s: %w", p.Path, err)
		}
		old, err := cur.InstanceParameterGroup()
		if err != nil {
			return nil, fmt.Errorf("patch program %s: %w", p.Path, err)
		}
		var existing *ParameterGroupDecl
		for i := range groups {
			g := &groups[i]
			if g.Name == u.GroupName {
				if g.Family != "" && g.Family != u.Family {
					return nil, fmt.Errorf("patch program %s: the group %s at line %d has family %s, not %s; rename one of them by hand", p.Path, g.Name, g.Line, g.Family, u.Family)
				}
				existing = g
			}
		}
		if existing == nil {
			base := ""
			if old != nil {
				base = old.Var
				if base == "" {
					base = old.Resource
				}
			}
			res := groupResourceName(base, u.Family)
			for _, g := range groups {
				if g.Resource == res || (g.Var != "" && g.Var == res) {
					return nil, fmt.Errorf("patch program %s: a resource named %s exists already (line %d) but is not the group %s; rename it by hand", p.Path, res, g.Line, u.GroupName)
				}
			}
			decl := ParameterGroupDecl{Resource: res, Var: res, Name: u.GroupName, Family: u.Family, Parameters: u.Parameters}
			var b []byte
			var err error
			if cur.Kind == ProgramYAML {
				b, err = cur.insertYAMLGroup(decl, old)
			} else {
				b, err = cur.insertTSGroup(decl, old)
			}
			if err != nil {
				return nil, fmt.Errorf("patch program %s: %w", p.Path, err)
			}
			if err := reparse(b); err != nil {
				return nil, err
			}
			existing = &decl
		}
		if cur.Kind == ProgramYAML {
			ref = strconv.Quote("${" + existing.Resource + ".name}")
		} else if existing.Var != "" {
			ref = existing.Var + ".name"
		} else {
			ref = cur.ts.lit(existing.Name)
		}
	}
	edits := []struct{ key, raw string }{
		{"engineVersion", ""},
		{"parameterGroupName", ref},
		{"allowMajorVersionUpgrade", "true"},
	}
	for _, e := range edits {
		if e.key == "parameterGroupName" && e.raw == "" {
			continue
		}
		var b []byte
		var err error
		switch {
		case e.key == "engineVersion" && cur.ts != nil:
			b, err = cur.ts.set(out, e.key, u.EngineVersion)
		case e.key == "engineVersion":
			b, err = cur.yml.set(out, e.key, u.EngineVersion)
		case cur.ts != nil:
			b, err = cur.ts.setRaw(out, e.key, e.raw)
		default:
			b, err = cur.yml.setRaw(out, e.key, e.raw)
		}
		if err != nil {
			return nil, fmt.Errorf("patch program %s: %w", p.Path, err)
		}
		if err := reparse(b); err != nil {
			return nil, err
		}
	}
	return p.patchTo(out), nil
}

// RemoveParameterGroup computes the removal of a declared parameter group
// (by logical name), refusing while anything in the program still refers to
// it. The file is not written.
func (p *Program) RemoveParameterGroup(resource string) (*Patch, error) {
	groups, err := p.ParameterGroups()
	if err != nil {
		return nil, fmt.Errorf("patch program %s: %w", p.Path, err)
	}
	for _, g := range groups {
		if g.Resource != resource {
			continue
		}
		var refs int
		if p.Kind == ProgramYAML {
			refs = countOutside(p.src, g, regexp.MustCompile(`\$\{`+regexp.QuoteMeta(g.Resource)+`[.}\[]`))
		} else if g.Var != "" {
			refs = countOutside(tsMask(p.src), g, regexp.MustCompile(`(^|[^\w$.])`+regexp.QuoteMeta(g.Var)+`\b`))
		}
		if refs > 0 {
			return nil, fmt.Errorf("patch program %s: the parameter group %s (line %d) is still referred to %d time(s); point those at the new group first", p.Path, resource, g.Line, refs)
		}
		start, end := g.declStart, g.declEnd
		// Drop one blank line left between the neighbours.
		if end < len(p.src) && p.src[end] == '\n' {
			end++
		} else if start > 1 && p.src[start-1] == '\n' && p.src[start-2] == '\n' {
			start--
		}
		out := splice(p.src, start, end, "")
		if _, err := ParseProgram(p.Path, out); err != nil {
			return nil, fmt.Errorf("patch program: removing %s broke the program: %w", resource, err)
		}
		return p.patchTo(out), nil
	}
	return nil, fmt.Errorf("patch program %s: no parameter group %s is declared", p.Path, resource)
}

// countOutside counts matches of re in src outside the group's declaration.
func countOutside(src []byte, g ParameterGroupDecl, re *regexp.Regexp) int {
	n := 0
	for _, loc := range re.FindAllIndex(src, -1) {
		if loc[0] >= g.declStart && loc[0] < g.declEnd {
			continue
		}
		n++
	}
	return n
}

func (p *Program) patchTo(out []byte) *Patch {
	rel := filepath.Base(p.Path)
	return &Patch{Path: p.Path, Old: p.src, New: out, Diff: unifiedDiff("a/"+rel, "b/"+rel, string(p.src), string(out))}
}

// ---------------------------------------------------------------------------
// TypeScript

var (
	tsNewGroup = regexp.MustCompile(`new\s+aws\s*\.\s*rds\s*\.\s*ParameterGroup\s*\(`)
	tsDeclVar  = regexp.MustCompile(`(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=;]+)?=\s*$`)
)

func tsGroups(src []byte) ([]ParameterGroupDecl, error) {
	m := tsMask(src)
	var out []ParameterGroupDecl
	for _, loc := range tsNewGroup.FindAllIndex(m, -1) {
		g := ParameterGroupDecl{Line: lineOf(src, loc[0])}
		stmt := loc[0]
		if mm := tsDeclVar.FindSubmatchIndex(m[max(0, loc[0]-300):loc[0]]); mm != nil {
			off := max(0, loc[0]-300)
			g.Var = string(src[off+mm[2] : off+mm[3]])
			stmt = off + mm[0]
		}
		paren := loc[1] - 1
		closeParen := matchBrace(m, paren)
		if closeParen < 0 {
			return nil, fmt.Errorf("unbalanced parentheses after the aws.rds.ParameterGroup at line %d", g.Line)
		}
		// The logical name: the first argument when it is a string literal.
		i := loc[1]
		for i < closeParen && isSpace(m[i]) {
			i++
		}
		if i < closeParen && (m[i] == '"' || m[i] == '\'') {
			j := i + 1
			for j < closeParen && m[j] != m[i] {
				j++
			}
			g.Resource, _ = tsStringLiteral(string(src[i : j+1]))
			i = j + 1
		}
		// The arguments object.
		for i < closeParen && m[i] != ',' {
			i++
		}
		for i < closeParen && (m[i] == ',' || isSpace(m[i])) {
			i++
		}
		if i < closeParen && m[i] == '{' {
			objClose := matchBrace(m, i)
			for _, pr := range tsSplitProps(src, m, i, objClose) {
				val := string(src[pr.valStart:pr.valEnd])
				switch pr.key {
				case "name":
					g.Name, _ = tsStringLiteral(val)
				case "family":
					g.Family, _ = tsStringLiteral(val)
				case "parameters":
					g.Parameters = tsParameters(src, m, pr)
				}
			}
		}
		// The statement's whole lines, with the comment lines right above.
		end := closeParen + 1
		for end < len(m) && (m[end] == ' ' || m[end] == '\t') {
			end++
		}
		if end < len(m) && m[end] == ';' {
			end++
		}
		if nl := bytes.IndexByte(src[end:], '\n'); nl >= 0 {
			end += nl + 1
		} else {
			end = len(src)
		}
		g.declStart, g.declEnd = commentedLineStart(src, stmt), end
		out = append(out, g)
	}
	return out, nil
}

// tsParameters reads the objects of a `parameters: [{...}, ...]` array.
func tsParameters(src, m []byte, pr tsProp) []ParameterDecl {
	var out []ParameterDecl
	if pr.valStart >= len(m) || m[pr.valStart] != '[' {
		return nil
	}
	arrClose := matchBrace(m, pr.valStart)
	for i := pr.valStart + 1; i > 0 && i < arrClose; i++ {
		if m[i] != '{' {
			continue
		}
		c := matchBrace(m, i)
		var d ParameterDecl
		for _, q := range tsSplitProps(src, m, i, c) {
			v, _ := tsStringLiteral(string(src[q.valStart:q.valEnd]))
			switch q.key {
			case "name":
				d.Name = v
			case "value":
				d.Value = v
			case "applyMethod":
				d.ApplyMethod = v
			}
		}
		out = append(out, d)
		i = c
	}
	return out
}

// commentedLineStart is the start of pos's line, moved up over the `//`
// comment lines right above it.
func commentedLineStart(src []byte, pos int) int {
	ls := lineStart(src, pos)
	for ls > 0 {
		prev := lineStart(src, ls-1)
		if !strings.HasPrefix(strings.TrimSpace(string(src[prev:ls])), "//") {
			break
		}
		ls = prev
	}
	return ls
}

func (p *Program) insertTSGroup(g ParameterGroupDecl, old *ParameterGroupDecl) ([]byte, error) {
	inst := p.ts
	indent := "  "
	if len(inst.props) > 0 {
		if in := lineIndent(p.src, inst.props[0].keyStart); in != "" && lineOf(p.src, inst.open) != lineOf(p.src, inst.close) {
			indent = in
		}
	}
	lit := inst.lit
	var b strings.Builder
	fmt.Fprintf(&b, "// The %s copy of the parameter group, for the major upgrade to %s (written by datalayer).\n", g.Family, strings.TrimPrefix(g.Family, "postgres"))
	fmt.Fprintf(&b, "const %s = new aws.rds.ParameterGroup(%s, {\n", g.Var, lit(g.Resource))
	fmt.Fprintf(&b, "%sname: %s,\n%sfamily: %s,\n", indent, lit(g.Name), indent, lit(g.Family))
	if len(g.Parameters) > 0 {
		fmt.Fprintf(&b, "%sparameters: [\n", indent)
		for _, prm := range g.Parameters {
			fmt.Fprintf(&b, "%s%s{\n", indent, indent)
			fmt.Fprintf(&b, "%s%s%sname: %s,\n", indent, indent, indent, lit(prm.Name))
			fmt.Fprintf(&b, "%s%s%svalue: %s,\n", indent, indent, indent, lit(prm.Value))
			if prm.ApplyMethod != "" {
				fmt.Fprintf(&b, "%s%s%sapplyMethod: %s,\n", indent, indent, indent, lit(prm.ApplyMethod))
			}
			fmt.Fprintf(&b, "%s%s},\n", indent, indent)
		}
		fmt.Fprintf(&b, "%s],\n", indent)
	}
	b.WriteString("});\n")
	text := b.String()
	if old != nil {
		// Right after the old group, separated by a blank line.
		return splice(p.src, old.declEnd, old.declEnd, "\n"+text), nil
	}
	// Before the instance's statement (and its comment lines).
	at := commentedLineStart(p.src, inst.start)
	return splice(p.src, at, at, text+"\n"), nil
}

// ---------------------------------------------------------------------------
// YAML

func yamlGroups(src []byte) ([]ParameterGroupDecl, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	resources := mapGet(doc.Content[0], "resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, nil
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	offset := func(line int) int { // start of a 1-based line
		n := 0
		for i := 0; i < line-1 && i < len(lines); i++ {
			n += len(lines[i])
		}
		return n
	}
	var out []ParameterGroupDecl
	for i := 0; i+1 < len(resources.Content); i += 2 {
		k, v := resources.Content[i], resources.Content[i+1]
		t := mapGet(v, "type")
		if t == nil || (t.Value != "aws:rds:ParameterGroup" && t.Value != ParameterGroupType) {
			continue
		}
		g := ParameterGroupDecl{Resource: k.Value, Line: k.Line}
		if props := mapGet(v, "properties"); props != nil {
			if n := mapGet(props, "name"); n != nil && n.Kind == yaml.ScalarNode {
				g.Name = n.Value
			}
			if f := mapGet(props, "family"); f != nil && f.Kind == yaml.ScalarNode {
				g.Family = f.Value
			}
			if ps := mapGet(props, "parameters"); ps != nil && ps.Kind == yaml.SequenceNode {
				for _, item := range ps.Content {
					var d ParameterDecl
					if n := mapGet(item, "name"); n != nil {
						d.Name = n.Value
					}
					if n := mapGet(item, "value"); n != nil {
						d.Value = n.Value
					}
					if n := mapGet(item, "applyMethod"); n != nil {
						d.ApplyMethod = n.Value
					}
					g.Parameters = append(g.Parameters, d)
				}
			}
		}
		g.declStart = offset(k.Line)
		g.declEnd = offset(lastLine(v) + 1)
		out = append(out, g)
	}
	return out, nil
}

// lastLine is the last line any node of the subtree is on.
func lastLine(n *yaml.Node) int {
	l := n.Line
	for _, c := range n.Content {
		l = max(l, lastLine(c))
	}
	return l
}

func (p *Program) insertYAMLGroup(g ParameterGroupDecl, old *ParameterGroupDecl) ([]byte, error) {
	inst := p.yml
	// Indent like the instance: its key's indent, and one unit more for
	// the keys under it.
	keyIndent, unit := "", "  "
	if l := lineStartOfLine(p.src, inst.line); l >= 0 {
		keyIndent = lineIndent(p.src, l)
	}
	if inst.propsKey != nil && inst.propsKey.Column-1 > len(keyIndent) {
		unit = strings.Repeat(" ", inst.propsKey.Column-1-len(keyIndent))
	}
	var b strings.Builder
	q := strconv.Quote
	fmt.Fprintf(&b, "%s# The %s copy of the parameter group, for the major upgrade (written by datalayer).\n", keyIndent, g.Family)
	fmt.Fprintf(&b, "%s%s:\n", keyIndent, g.Resource)
	fmt.Fprintf(&b, "%s%stype: aws:rds:ParameterGroup\n", keyIndent, unit)
	fmt.Fprintf(&b, "%s%sproperties:\n", keyIndent, unit)
	in3 := keyIndent + unit + unit
	fmt.Fprintf(&b, "%sname: %s\n%sfamily: %s\n", in3, q(g.Name), in3, q(g.Family))
	if len(g.Parameters) > 0 {
		fmt.Fprintf(&b, "%sparameters:\n", in3)
		for _, prm := range g.Parameters {
			fmt.Fprintf(&b, "%s%s- name: %s\n", in3, unit, q(prm.Name))
			fmt.Fprintf(&b, "%s%s  value: %s\n", in3, unit, q(prm.Value))
			if prm.ApplyMethod != "" {
				fmt.Fprintf(&b, "%s%s  applyMethod: %s\n", in3, unit, q(prm.ApplyMethod))
			}
		}
	}
	at := lineStartOfLine(p.src, inst.line)
	if old != nil {
		at = old.declEnd
	}
	if at < 0 {
		return nil, errors.New("cannot find where to add the parameter group; edit the file by hand")
	}
	return splice(p.src, at, at, b.String()), nil
}

// lineStartOfLine is the offset of a 1-based line, -1 past the end.
func lineStartOfLine(src []byte, line int) int {
	pos := 0
	for l := 1; l < line; l++ {
		nl := bytes.IndexByte(src[pos:], '\n')
		if nl < 0 {
			return -1
		}
		pos += nl + 1
	}
	return pos
}
