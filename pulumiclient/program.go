package pulumiclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/aymanbagabas/go-udiff/myers"
	"gopkg.in/yaml.v3"
)

// ProgramKind says which language a data program is written in.
type ProgramKind int

// Program kinds.
const (
	ProgramTypeScript ProgramKind = iota // index.ts with `new aws.rds.Instance(...)`
	ProgramYAML                          // Pulumi.yaml with a `resources:` section
)

// String returns the kind's name.
func (k ProgramKind) String() string {
	if k == ProgramYAML {
		return "yaml"
	}
	return "typescript"
}

// ErrNoRDSInstance is returned when a program holds no RDS instance.
var ErrNoRDSInstance = errors.New("no aws.rds.Instance in the program")

// ErrManyRDSInstances is returned when a program holds more than one RDS
// instance, so there is no telling which one to change.
var ErrManyRDSInstances = errors.New("more than one aws.rds.Instance in the program")

// ProgramSettings are the instance's settings as the program writes them.
// A field is empty when the program does not set it; Raw keeps the source
// text of every top-level property (an expression such as
// `env === "production" ? 35 : 1` stays as written).
type ProgramSettings struct {
	EngineVersion           string
	SnapshotIdentifier      string
	FinalSnapshotIdentifier string
	SkipFinalSnapshot       *bool
	DeletionProtection      *bool
	// RestoreToPointInTime is the restoreToPointInTime block; nil when
	// the program has none.
	RestoreToPointInTime *PointInTime
	Raw                  map[string]string
	// Literals holds the properties the program sets to a literal value
	// (a string, number or boolean written out), unquoted; an expression
	// (a config read, a conditional, an interpolation) is left out.
	Literals map[string]string
}

// PointInTime is a restoreToPointInTime block: the source (an instance by
// identifier, or by resource id when it was deleted and its automated
// backups retained) and the time (RFC 3339 UTC) or the latest restorable
// time.
type PointInTime struct {
	SourceInstanceID string `json:"sourceDbInstanceIdentifier,omitempty"`
	SourceResourceID string `json:"sourceDbiResourceId,omitempty"`
	RestoreTime      string `json:"restoreTime,omitempty"`
	UseLatest        bool   `json:"useLatestRestorableTime,omitempty"`
}

// IsZero reports an empty block (an edit with it removes the block).
func (pt PointInTime) IsZero() bool { return pt == PointInTime{} }

// Source is the block's source: the identifier, else the resource id.
func (pt PointInTime) Source() string {
	if pt.SourceInstanceID != "" {
		return pt.SourceInstanceID
	}
	return pt.SourceResourceID
}

// String describes the block in words.
func (pt PointInTime) String() string {
	when := pt.RestoreTime
	if pt.UseLatest {
		when = "the latest restorable time"
	}
	return pt.Source() + " as of " + when
}

// fields are the block's properties in the program's order.
func (pt PointInTime) fields() [][2]string {
	var out [][2]string
	if pt.SourceInstanceID != "" {
		out = append(out, [2]string{"sourceDbInstanceIdentifier", pt.SourceInstanceID})
	}
	if pt.SourceResourceID != "" {
		out = append(out, [2]string{"sourceDbiResourceId", pt.SourceResourceID})
	}
	if pt.RestoreTime != "" {
		out = append(out, [2]string{"restoreTime", pt.RestoreTime})
	}
	return out
}

func (pt *PointInTime) setField(k, v string) {
	switch k {
	case "sourceDbInstanceIdentifier":
		pt.SourceInstanceID = v
	case "sourceDbiResourceId":
		pt.SourceResourceID = v
	case "restoreTime":
		pt.RestoreTime = v
	case "useLatestRestorableTime":
		pt.UseLatest = strings.TrimSpace(v) == "true"
	}
}

// ProgramEdit says what to change. A nil field is left alone; an empty
// SnapshotIdentifier or RestoreToPointInTime removes the property. The two
// conflict (the provider refuses both): setting one removes the other.
type ProgramEdit struct {
	SnapshotIdentifier      *string
	EngineVersion           *string
	FinalSnapshotIdentifier *string
	RestoreToPointInTime    *PointInTime
}

// SetPointInTime returns an edit that sets restoreToPointInTime (and
// removes a snapshotIdentifier, which conflicts with it); a zero block
// removes it.
func SetPointInTime(pt PointInTime) ProgramEdit { return ProgramEdit{RestoreToPointInTime: &pt} }

// SetSnapshot returns an edit that sets snapshotIdentifier ("" removes it).
func SetSnapshot(id string) ProgramEdit { return ProgramEdit{SnapshotIdentifier: &id} }

// SetEngineVersion returns an edit that sets engineVersion.
func SetEngineVersion(v string) ProgramEdit { return ProgramEdit{EngineVersion: &v} }

// Program is the data program's file holding the single RDS instance.
type Program struct {
	Path string
	Kind ProgramKind
	// Line is the 1-based line of the instance's declaration.
	Line int
	src  []byte
	ts   *tsInstance
	yml  *yamlInstance
}

// LoadProgram finds the data program in dir: index.ts when present, else
// Main.yaml (a Pulumi YAML program kept apart from the project file), else
// the resources of Pulumi.yaml. It refuses a directory that is not a Pulumi
// project and a program without exactly one RDS instance.
func LoadProgram(dir string) (*Program, error) {
	project, err := projectFile(dir)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"index.ts", "Main.yaml"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return ReadProgram(p)
		}
	}
	return ReadProgram(project)
}

// ReadProgram reads one program file: a .ts file or a Pulumi.yaml.
func ReadProgram(path string) (*Program, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read program: %w", err)
	}
	return ParseProgram(path, src)
}

// ParseProgram parses program source; path names it in errors and decides
// the language (.yaml/.yml is YAML, anything else TypeScript).
func ParseProgram(path string, src []byte) (*Program, error) {
	p := &Program{Path: path, src: src}
	ext := strings.ToLower(filepath.Ext(path))
	var err error
	if ext == ".yaml" || ext == ".yml" {
		p.Kind = ProgramYAML
		p.yml, err = findYAMLInstance(src)
		if p.yml != nil {
			p.Line = p.yml.line
		}
	} else {
		p.Kind = ProgramTypeScript
		p.ts, err = findTSInstance(src)
		if p.ts != nil {
			p.Line = lineOf(src, p.ts.start)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read program %s: %w", path, err)
	}
	return p, nil
}

// Source returns the program text as read.
func (p *Program) Source() []byte { return p.src }

// Settings reads back the instance's settings from the program.
func (p *Program) Settings() ProgramSettings {
	raw := map[string]string{}
	lit := map[string]string{}
	literals := map[string]string{}
	if p.ts != nil {
		for _, pr := range p.ts.props {
			raw[pr.key] = string(p.src[pr.valStart:pr.valEnd])
			if s, ok := tsStringLiteral(raw[pr.key]); ok {
				lit[pr.key] = s
				literals[pr.key] = s
			} else {
				lit[pr.key] = raw[pr.key]
				if v := strings.TrimSpace(raw[pr.key]); tsPlainLiteral.MatchString(v) {
					literals[pr.key] = v
				}
			}
		}
	} else {
		for _, pr := range p.yml.props {
			raw[pr.key.Value] = pr.val.Value
			lit[pr.key.Value] = pr.val.Value
			if pr.val.Kind == yaml.ScalarNode && !strings.Contains(pr.val.Value, "${") {
				literals[pr.key.Value] = pr.val.Value
			}
		}
	}
	var pitr *PointInTime
	if p.ts != nil {
		if pr, ok := p.ts.find("restoreToPointInTime"); ok {
			pitr = tsPointInTime(p.src[pr.valStart:pr.valEnd])
		}
	} else if pr, ok := p.yml.find("restoreToPointInTime"); ok && pr.val.Kind == yaml.MappingNode {
		pitr = &PointInTime{}
		for j := 0; j+1 < len(pr.val.Content); j += 2 {
			pitr.setField(pr.val.Content[j].Value, pr.val.Content[j+1].Value)
		}
	}
	s := ProgramSettings{
		EngineVersion:           lit["engineVersion"],
		SnapshotIdentifier:      lit["snapshotIdentifier"],
		FinalSnapshotIdentifier: lit["finalSnapshotIdentifier"],
		SkipFinalSnapshot:       boolLit(lit["skipFinalSnapshot"]),
		DeletionProtection:      boolLit(lit["deletionProtection"]),
		RestoreToPointInTime:    pitr,
		Raw:                     raw,
		Literals:                literals,
	}
	return s
}

// tsPointInTime reads an object literal such as
// `{ sourceDbInstanceIdentifier: "app", restoreTime: "..." }`; nil when
// the value is not one.
func tsPointInTime(v []byte) *PointInTime {
	m := tsMask(v)
	open := bytes.IndexByte(m, '{')
	if open < 0 || strings.TrimSpace(string(m[:open])) != "" {
		return nil
	}
	closeAt := matchBrace(m, open)
	if closeAt < 0 {
		return nil
	}
	pt := &PointInTime{}
	for _, pr := range tsSplitProps(v, m, open, closeAt) {
		val := string(v[pr.valStart:pr.valEnd])
		if s, ok := tsStringLiteral(val); ok {
			val = s
		}
		pt.setField(pr.key, val)
	}
	return pt
}

// tsPointInTimeLit writes a block as a one-line object literal.
func (inst *tsInstance) pointInTimeLit(pt PointInTime) string {
	var parts []string
	for _, kv := range pt.fields() {
		parts = append(parts, kv[0]+": "+inst.lit(kv[1]))
	}
	if pt.UseLatest {
		parts = append(parts, "useLatestRestorableTime: true")
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// yamlPointInTimeLit writes a block as a one-line flow mapping.
func yamlPointInTimeLit(pt PointInTime) string {
	var parts []string
	for _, kv := range pt.fields() {
		parts = append(parts, kv[0]+": "+strconv.Quote(kv[1]))
	}
	if pt.UseLatest {
		parts = append(parts, "useLatestRestorableTime: true")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// tsPlainLiteral is a number or boolean written out in TypeScript.
var tsPlainLiteral = regexp.MustCompile(`^(true|false|-?[0-9]+(\.[0-9]+)?)$`)

func boolLit(s string) *bool {
	switch strings.TrimSpace(s) {
	case "true":
		b := true
		return &b
	case "false":
		b := false
		return &b
	}
	return nil
}

// Patch is a proposed change of the program file; nothing is written until
// Write is called.
type Patch struct {
	Path string
	Old  []byte
	New  []byte
	// Diff is a unified diff of Old against New.
	Diff string
}

// Empty reports whether the patch changes nothing.
func (pt *Patch) Empty() bool { return bytes.Equal(pt.Old, pt.New) }

// Apply computes the patch for an edit, with a minimal change that keeps the
// rest of the file as it is. The file is not written.
func (p *Program) Apply(e ProgramEdit) (*Patch, error) {
	var err error
	out := append([]byte(nil), p.src...)
	cur := p
	none := ""
	// snapshotIdentifier and restoreToPointInTime conflict: setting one
	// removes the other.
	var pitrRaw *string
	if e.RestoreToPointInTime != nil {
		pitrRaw = &none
		if !e.RestoreToPointInTime.IsZero() {
			pt := *e.RestoreToPointInTime
			if pt.Source() == "" || (pt.RestoreTime == "") == !pt.UseLatest {
				return nil, fmt.Errorf("patch program: restoreToPointInTime needs a source and either a restore time or the latest restorable time")
			}
			if e.SnapshotIdentifier == nil {
				e.SnapshotIdentifier = &none
			}
		}
	} else if e.SnapshotIdentifier != nil && *e.SnapshotIdentifier != "" {
		pitrRaw = &none
	}
	for _, step := range []struct {
		key string
		val *string
	}{{"engineVersion", e.EngineVersion}, {"snapshotIdentifier", e.SnapshotIdentifier}, {"restoreToPointInTime", pitrRaw}, {"finalSnapshotIdentifier", e.FinalSnapshotIdentifier}} {
		if step.val == nil {
			continue
		}
		if step.key != "snapshotIdentifier" && step.key != "restoreToPointInTime" && *step.val == "" {
			return nil, fmt.Errorf("patch program: an empty %s is not allowed; give a value", step.key)
		}
		switch {
		case step.key == "restoreToPointInTime" && cur.ts != nil:
			if pt := e.RestoreToPointInTime; pt != nil && !pt.IsZero() {
				out, err = cur.ts.setRaw(out, step.key, cur.ts.pointInTimeLit(*pt))
			} else {
				out, err = cur.ts.set(out, step.key, "")
			}
		case step.key == "restoreToPointInTime":
			raw := ""
			if pt := e.RestoreToPointInTime; pt != nil && !pt.IsZero() {
				raw = yamlPointInTimeLit(*pt)
			}
			out, err = cur.yml.setBlock(out, step.key, raw)
		case cur.ts != nil:
			out, err = cur.ts.set(out, step.key, *step.val)
		default:
			out, err = cur.yml.set(out, step.key, *step.val)
		}
		if err != nil {
			return nil, fmt.Errorf("patch program %s: %w", p.Path, err)
		}
		// Re-parse so the next edit sees fresh offsets, and to prove the
		// result still holds exactly one instance.
		cur, err = ParseProgram(p.Path, out)
		if err != nil {
			return nil, fmt.Errorf("patch program: the edit broke the program: %w", err)
		}
	}
	rel := filepath.Base(p.Path)
	return &Patch{
		Path: p.Path,
		Old:  p.src,
		New:  out,
		Diff: unifiedDiff("a/"+rel, "b/"+rel, string(p.src), string(out)),
	}, nil
}

// unifiedDiff is a line-based unified diff with three lines of context.
func unifiedDiff(oldLabel, newLabel, a, b string) string {
	if a == b {
		return ""
	}
	d, err := udiff.ToUnified(oldLabel, newLabel, a, myers.ComputeEdits(a, b), 3)
	if err != nil {
		return udiff.Unified(oldLabel, newLabel, a, b)
	}
	return d
}

// Write writes the patched file, refusing when the file changed on disk
// since it was read.
func (pt *Patch) Write() error {
	cur, err := os.ReadFile(pt.Path)
	if err != nil {
		return fmt.Errorf("write program: %w", err)
	}
	if !bytes.Equal(cur, pt.Old) {
		return fmt.Errorf("write program: %s changed on disk since it was read; read it again and redo the edit", pt.Path)
	}
	info, err := os.Stat(pt.Path)
	if err != nil {
		return fmt.Errorf("write program: %w", err)
	}
	if err := os.WriteFile(pt.Path, pt.New, info.Mode().Perm()); err != nil {
		return fmt.Errorf("write program: %w", err)
	}
	return nil
}

// SkipPizza is the marker the team's CI reads to skip the preview
// environment for a commit.
const SkipPizza = "[skip pizza]"

// Commit commits only the program file with git, adding the [skip pizza]
// marker to the message when it is missing. It returns the new commit's hash.
func (pt *Patch) Commit(ctx context.Context, message string) (string, error) {
	if strings.TrimSpace(message) == "" {
		return "", fmt.Errorf("commit program: empty commit message")
	}
	if !strings.Contains(message, SkipPizza) {
		message = strings.TrimRight(message, "\n") + " " + SkipPizza
	}
	dir := filepath.Dir(pt.Path)
	file := filepath.Base(pt.Path)
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
		}
		return strings.TrimSpace(out.String()), nil
	}
	if _, err := git("rev-parse", "--show-toplevel"); err != nil {
		return "", fmt.Errorf("commit program: %s is not in a git repository: %w", dir, err)
	}
	if _, err := git("add", "--", file); err != nil {
		return "", fmt.Errorf("commit program: %w", err)
	}
	if _, err := git("commit", "-m", message, "--", file); err != nil {
		return "", fmt.Errorf("commit program: %w", err)
	}
	return git("rev-parse", "HEAD")
}

// ---------------------------------------------------------------------------
// TypeScript

type tsProp struct {
	key              string
	keyStart         int
	valStart, valEnd int
	commaEnd         int // position after the trailing comma, or valEnd when none
}

type tsInstance struct {
	start       int // position of `new`
	open, close int // positions of the argument object's braces
	props       []tsProp
	quote       byte
}

var tsNewInstance = regexp.MustCompile(`new\s+aws\s*\.\s*rds\s*\.\s*Instance\s*\(`)

func findTSInstance(src []byte) (*tsInstance, error) {
	m := tsMask(src)
	locs := tsNewInstance.FindAllIndex(m, -1)
	switch len(locs) {
	case 0:
		return nil, fmt.Errorf("%w: add the instance, or point the tool at the data program's directory", ErrNoRDSInstance)
	case 1:
	default:
		lines := make([]string, len(locs))
		for i, l := range locs {
			lines[i] = strconv.Itoa(lineOf(src, l[0]))
		}
		return nil, fmt.Errorf("%w (lines %s): the runbook changes a single instance; edit the file by hand", ErrManyRDSInstances, strings.Join(lines, ", "))
	}
	inst := &tsInstance{start: locs[0][0], quote: '"'}
	// Skip the first argument (the logical name) to the comma at depth 0.
	i := locs[0][1]
	depth := 0
	for ; i < len(m); i++ {
		c := m[i]
		if c == '(' || c == '[' || c == '{' {
			depth++
		} else if c == ')' || c == ']' || c == '}' {
			if depth == 0 {
				return nil, fmt.Errorf("the aws.rds.Instance at line %d has no arguments object", lineOf(src, inst.start))
			}
			depth--
		} else if c == ',' && depth == 0 {
			break
		}
	}
	i++
	for i < len(m) && isSpace(m[i]) {
		i++
	}
	if i >= len(m) || m[i] != '{' {
		return nil, fmt.Errorf("the arguments of the aws.rds.Instance at line %d are not an object literal; edit the file by hand", lineOf(src, inst.start))
	}
	inst.open = i
	closeAt := matchBrace(m, i)
	if closeAt < 0 {
		return nil, fmt.Errorf("unbalanced braces after the aws.rds.Instance at line %d", lineOf(src, inst.start))
	}
	inst.close = closeAt
	inst.props = tsSplitProps(src, m, inst.open, inst.close)
	for _, pr := range inst.props {
		v := string(src[pr.valStart:pr.valEnd])
		if len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
			inst.quote = v[0]
			break
		}
	}
	return inst, nil
}

// tsSplitProps splits the top-level properties of the object literal
// between the braces at open and closeAt.
func tsSplitProps(src, m []byte, open, closeAt int) []tsProp {
	var props []tsProp
	segStart := open + 1
	depth := 0
	for j := open + 1; j <= closeAt; j++ {
		c := m[j]
		switch {
		case c == '(' || c == '[' || c == '{':
			depth++
		case (c == ')' || c == ']' || c == '}') && j != closeAt:
			depth--
		case (c == ',' && depth == 0) || j == closeAt:
			if pr, ok := tsProperty(src, m, segStart, j); ok {
				if c == ',' {
					pr.commaEnd = j + 1
				}
				props = append(props, pr)
			}
			segStart = j + 1
		}
	}
	return props
}

var tsKey = regexp.MustCompile(`^\s*(?:([A-Za-z_$][A-Za-z0-9_$]*)|"([^"]*)"|'([^']*)')\s*:`)

func tsProperty(src, m []byte, from, to int) (tsProp, bool) {
	seg := m[from:to]
	loc := tsKey.FindSubmatchIndex(seg)
	if loc == nil {
		return tsProp{}, false // shorthand, spread or empty
	}
	var key string
	var ks int
	for g := 1; g <= 3; g++ {
		if loc[2*g] >= 0 {
			ks = from + loc[2*g]
			key = string(src[from+loc[2*g] : from+loc[2*g+1]])
			if g > 1 {
				ks-- // include the quote
			}
			break
		}
	}
	vs := from + loc[1]
	for vs < to && isSpace(m[vs]) {
		vs++
	}
	ve := to
	for ve > vs && isSpace(m[ve-1]) {
		ve--
	}
	return tsProp{key: key, keyStart: ks, valStart: vs, valEnd: ve, commaEnd: ve}, true
}

func (inst *tsInstance) find(key string) (tsProp, bool) {
	for _, p := range inst.props {
		if p.key == key {
			return p, true
		}
	}
	return tsProp{}, false
}

func (inst *tsInstance) lit(v string) string {
	q := string(inst.quote)
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, q, `\`+q)
	return q + v + q
}

// set changes, adds or (value "") removes a string property.
func (inst *tsInstance) set(src []byte, key, val string) ([]byte, error) {
	if val == "" {
		if p, exists := inst.find(key); exists {
			return tsRemove(src, p), nil
		}
		return src, nil // nothing to remove
	}
	return inst.setRaw(src, key, inst.lit(val))
}

// setRaw changes or adds a property whose value is the expression raw
// (a reference such as `parameterGroup.name`, or `true`).
func (inst *tsInstance) setRaw(src []byte, key, raw string) ([]byte, error) {
	if p, exists := inst.find(key); exists {
		return splice(src, p.valStart, p.valEnd, raw), nil
	}
	// Add after skipFinalSnapshot (where the team's own commit put it), else
	// after the last property.
	if len(inst.props) == 0 {
		return splice(src, inst.open+1, inst.open+1, " "+key+": "+raw+" "), nil
	}
	anchor := inst.props[len(inst.props)-1]
	if a, ok := inst.find("skipFinalSnapshot"); ok {
		anchor = a
	}
	if lineOf(src, inst.open) == lineOf(src, inst.close) {
		// A one-line object: insert inline.
		if anchor.commaEnd > anchor.valEnd {
			return splice(src, anchor.commaEnd, anchor.commaEnd, " "+key+": "+raw+","), nil
		}
		return splice(src, anchor.valEnd, anchor.valEnd, ", "+key+": "+raw), nil
	}
	indent := lineIndent(src, anchor.keyStart)
	out := src
	insertAt := anchor.commaEnd
	if anchor.commaEnd == anchor.valEnd {
		// The anchor is the last property without a trailing comma.
		out = splice(out, anchor.valEnd, anchor.valEnd, ",")
		insertAt = anchor.valEnd + 1
	}
	eol := bytes.IndexByte(out[insertAt:], '\n')
	if eol < 0 {
		return nil, fmt.Errorf("cannot find the end of the %s line", anchor.key)
	}
	insertAt += eol + 1
	return splice(out, insertAt, insertAt, indent+key+": "+raw+",\n"), nil
}

func tsRemove(src []byte, p tsProp) []byte {
	ls := lineStart(src, p.keyStart)
	end := p.commaEnd
	le := end
	for le < len(src) && (src[le] == ' ' || src[le] == '\t') {
		le++
	}
	if bytes.HasPrefix(src[le:], []byte("//")) {
		if nl := bytes.IndexByte(src[le:], '\n'); nl >= 0 {
			le += nl
		} else {
			le = len(src)
		}
	}
	if strings.TrimSpace(string(src[ls:p.keyStart])) == "" && (le == len(src) || src[le] == '\n') {
		if le < len(src) {
			le++
		}
		return splice(src, ls, le, "")
	}
	// Shares its line with other code: remove just the property and its comma.
	for end < len(src) && src[end] == ' ' {
		end++
	}
	return splice(src, p.keyStart, end, "")
}

// tsMask returns a copy of src with comments and the contents of string and
// template literals blanked (newlines kept), so structure can be scanned.
func tsMask(src []byte) []byte {
	m := append([]byte(nil), src...)
	blank := func(i int) {
		if m[i] != '\n' {
			m[i] = ' '
		}
	}
	for i := 0; i < len(m); i++ {
		switch {
		case m[i] == '/' && i+1 < len(m) && m[i+1] == '/':
			for ; i < len(m) && m[i] != '\n'; i++ {
				blank(i)
			}
		case m[i] == '/' && i+1 < len(m) && m[i+1] == '*':
			j := i
			for ; j < len(m) && !(m[j] == '*' && j+1 < len(m) && m[j+1] == '/' && j > i+1); j++ {
				blank(j)
			}
			if j+1 < len(m) {
				blank(j)
				blank(j + 1)
			}
			i = j + 1
		case m[i] == '"' || m[i] == '\'' || m[i] == '`':
			q := m[i]
			j := i + 1
			for ; j < len(m) && m[j] != q; j++ {
				if m[j] == '\\' && j+1 < len(m) {
					blank(j)
					j++
				}
				if q != '`' && m[j] == '\n' {
					break
				}
				blank(j)
			}
			i = j
		}
	}
	return m
}

func tsStringLiteral(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) < 2 {
		return "", false
	}
	q := v[0]
	if (q != '"' && q != '\'') || v[len(v)-1] != q {
		return "", false
	}
	body := v[1 : len(v)-1]
	if strings.ContainsRune(body, rune(q)) && !strings.Contains(body, `\`+string(q)) {
		return "", false
	}
	r := strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\'`, `'`)
	return r.Replace(body), true
}

func matchBrace(m []byte, open int) int {
	depth := 0
	for i := open; i < len(m); i++ {
		switch m[i] {
		case '{', '(', '[':
			depth++
		case '}', ')', ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// ---------------------------------------------------------------------------
// YAML

type yamlProp struct {
	key, val *yaml.Node
}

type yamlInstance struct {
	name     string
	line     int
	propsKey *yaml.Node // the "properties" key, nil when absent
	typeNode *yaml.Node
	props    []yamlProp
}

func findYAMLInstance(src []byte) (*yamlInstance, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: the file is empty or not a mapping", ErrNoRDSInstance)
	}
	resources := mapGet(doc.Content[0], "resources")
	var found []*yamlInstance
	if resources != nil && resources.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(resources.Content); i += 2 {
			k, v := resources.Content[i], resources.Content[i+1]
			t := mapGet(v, "type")
			if t == nil || (t.Value != "aws:rds:Instance" && t.Value != InstanceType) {
				continue
			}
			inst := &yamlInstance{name: k.Value, line: k.Line, typeNode: t}
			if props := mapGetKey(v, "properties"); props != nil {
				inst.propsKey = props[0]
				if props[1].Kind == yaml.MappingNode {
					for j := 0; j+1 < len(props[1].Content); j += 2 {
						inst.props = append(inst.props, yamlProp{props[1].Content[j], props[1].Content[j+1]})
					}
				}
			}
			found = append(found, inst)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w (no resource of type aws:rds:Instance): add the instance, or point the tool at the data program's directory", ErrNoRDSInstance)
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, f := range found {
		names[i] = fmt.Sprintf("%s (line %d)", f.name, f.line)
	}
	return nil, fmt.Errorf("%w: %s; the runbook changes a single instance, edit the file by hand", ErrManyRDSInstances, strings.Join(names, ", "))
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if kv := mapGetKey(m, key); kv != nil {
		return kv[1]
	}
	return nil
}

func mapGetKey(m *yaml.Node, key string) []*yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i : i+2]
		}
	}
	return nil
}

func (inst *yamlInstance) find(key string) (yamlProp, bool) {
	for _, p := range inst.props {
		if p.key.Value == key {
			return p, true
		}
	}
	return yamlProp{}, false
}

func (inst *yamlInstance) set(src []byte, key, val string) ([]byte, error) {
	if val == "" {
		return inst.setRaw(src, key, "")
	}
	return inst.setRaw(src, key, strconv.Quote(val))
}

// setRaw changes, adds or (raw "") removes a one-line property whose value
// is written as raw (a quoted string, or a bare `true`).
func (inst *yamlInstance) setRaw(src []byte, key, raw string) ([]byte, error) {
	lines := strings.SplitAfter(string(src), "\n")
	p, exists := inst.find(key)
	switch {
	case exists:
		if p.val.Kind != yaml.ScalarNode || p.val.Line != p.key.Line || p.val.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return nil, fmt.Errorf("%s at line %d is not a one-line value; edit the file by hand", key, p.key.Line)
		}
		ln := lines[p.key.Line-1]
		if raw == "" {
			lines = append(lines[:p.key.Line-1], lines[p.key.Line:]...)
			return []byte(strings.Join(lines, "")), nil
		}
		start := byteCol(ln, p.val.Column)
		end := start + yamlScalarLen(ln[start:])
		lines[p.key.Line-1] = ln[:start] + raw + ln[end:]
		return []byte(strings.Join(lines, "")), nil
	case raw == "":
		return src, nil
	case inst.propsKey == nil:
		return nil, fmt.Errorf("the instance %s has no properties section; edit the file by hand", inst.name)
	}
	var at int // insert before this 0-based line index
	var indent string
	if a, ok := inst.find("skipFinalSnapshot"); ok && a.val.Line == a.key.Line {
		at = a.key.Line
		indent = strings.Repeat(" ", a.key.Column-1)
	} else if len(inst.props) > 0 {
		at = inst.props[0].key.Line - 1
		indent = strings.Repeat(" ", inst.props[0].key.Column-1)
	} else {
		return nil, fmt.Errorf("the instance %s has an empty properties section; edit the file by hand", inst.name)
	}
	nl := indent + key + ": " + raw + "\n"
	lines = append(lines[:at], append([]string{nl}, lines[at:]...)...)
	return []byte(strings.Join(lines, "")), nil
}

// setBlock changes, adds or (raw "") removes a property whose value may
// span lines (a mapping): the old value's lines are replaced by one line.
func (inst *yamlInstance) setBlock(src []byte, key, raw string) ([]byte, error) {
	p, exists := inst.find(key)
	if !exists || (p.val.Kind == yaml.ScalarNode && p.val.Line == p.key.Line) {
		return inst.setRaw(src, key, raw)
	}
	lines := strings.SplitAfter(string(src), "\n")
	first, last := p.key.Line-1, lastLine(p.val)-1
	var with []string
	if raw != "" {
		with = []string{strings.Repeat(" ", p.key.Column-1) + key + ": " + raw + "\n"}
	}
	lines = append(lines[:first], append(with, lines[last+1:]...)...)
	return []byte(strings.Join(lines, "")), nil
}

// byteCol turns yaml.v3's 1-based rune column into a byte offset in line.
func byteCol(line string, col int) int {
	n := 0
	for i := range line {
		if n == col-1 {
			return i
		}
		n++
	}
	return len(line)
}

// yamlScalarLen is the length of the one-line scalar at the start of s.
func yamlScalarLen(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case '"':
		for i := 1; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == '"' {
				return i + 1
			}
		}
	case '\'':
		for i := 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
	}
	end := len(strings.TrimRight(s, "\r\n"))
	if i := strings.Index(s, " #"); i >= 0 && i < end {
		end = i
	}
	return len(strings.TrimRight(s[:end], " \t"))
}

// ---------------------------------------------------------------------------
// helpers

func splice(src []byte, from, to int, with string) []byte {
	out := make([]byte, 0, len(src)-(to-from)+len(with))
	out = append(out, src[:from]...)
	out = append(out, with...)
	return append(out, src[to:]...)
}

func lineOf(src []byte, pos int) int { return bytes.Count(src[:pos], []byte("\n")) + 1 }

func lineStart(src []byte, pos int) int { return bytes.LastIndexByte(src[:pos], '\n') + 1 }

func lineIndent(src []byte, pos int) string {
	ls := lineStart(src, pos)
	i := ls
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	return string(src[ls:i])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
