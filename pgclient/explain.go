package pgclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Result is one spot check's measurement.
type Result struct {
	Name        string  `json:"name"`
	PlanningMS  float64 `json:"planningMs"`
	ExecutionMS float64 `json:"executionMs"`
	// Shape is the plan's node tree without costs or row counts, e.g.
	// "Sort(Hash Join(Seq Scan on flows, Hash(Seq Scan on teams)))".
	Shape string `json:"shape"`
	// Err is why the check could not be measured (timeout, syntax).
	Err string `json:"error,omitempty"`
}

// DefaultStatementTimeout bounds each spot check when none is configured.
const DefaultStatementTimeout = 30 * time.Second

// Explain runs EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) for q inside a
// transaction that is always rolled back, with statement_timeout set for it
// alone: a spot check changes nothing and cannot run away.
func (c *Client) Explain(ctx context.Context, q Query, timeout time.Duration) (Result, error) {
	if timeout <= 0 {
		timeout = DefaultStatementTimeout
	}
	res := Result{Name: q.Name}
	tx, err := c.conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("spot check %s: begin: %w", q.Name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = "+strconv.FormatInt(timeout.Milliseconds(), 10)); err != nil {
		return res, fmt.Errorf("spot check %s: set the statement timeout: %w", q.Name, err)
	}
	var raw []byte
	if err := tx.QueryRow(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+q.SQL).Scan(&raw); err != nil {
		return res, fmt.Errorf("spot check %s: %w", q.Name, err)
	}
	return parseJSONPlan(q.Name, raw)
}

// ExplainAll runs every query; a query that fails is recorded with its
// error and the others still run.
func (c *Client) ExplainAll(ctx context.Context, qs []Query, timeout time.Duration) []Result {
	out := make([]Result, 0, len(qs))
	for _, q := range qs {
		r, err := c.Explain(ctx, q, timeout)
		if err != nil {
			r = Result{Name: q.Name, Err: err.Error()}
		}
		out = append(out, r)
	}
	return out
}

type jsonExplain struct {
	Plan          jsonNode `json:"Plan"`
	PlanningTime  float64  `json:"Planning Time"`
	ExecutionTime float64  `json:"Execution Time"`
}

type jsonNode struct {
	NodeType     string     `json:"Node Type"`
	Strategy     string     `json:"Strategy"`
	JoinType     string     `json:"Join Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	Plans        []jsonNode `json:"Plans"`
}

func parseJSONPlan(name string, raw []byte) (Result, error) {
	var ex []jsonExplain
	if err := json.Unmarshal(raw, &ex); err != nil || len(ex) == 0 {
		return Result{Name: name}, fmt.Errorf("spot check %s: EXPLAIN gave no JSON plan", name)
	}
	e := ex[0]
	return Result{Name: name, PlanningMS: e.PlanningTime, ExecutionMS: e.ExecutionTime, Shape: e.Plan.shape()}, nil
}

func (n jsonNode) label() string {
	s := n.NodeType
	if n.Strategy != "" && n.Strategy != "Plain" && n.NodeType == "Aggregate" {
		s = n.Strategy + " " + s
	}
	if n.JoinType != "" && n.JoinType != "Inner" {
		s += " " + n.JoinType
	}
	if n.IndexName != "" {
		s += " using " + n.IndexName
	}
	if n.RelationName != "" {
		s += " on " + n.RelationName
	}
	return s
}

func (n jsonNode) shape() string {
	if len(n.Plans) == 0 {
		return n.label()
	}
	parts := make([]string, len(n.Plans))
	for i, c := range n.Plans {
		parts[i] = c.shape()
	}
	return n.label() + "(" + strings.Join(parts, ", ") + ")"
}

var (
	planningRE  = regexp.MustCompile(`(?i)planning time:\s*([0-9.]+)\s*ms`)
	executionRE = regexp.MustCompile(`(?i)execution time:\s*([0-9.]+)\s*ms`)
	textNodeRE  = regexp.MustCompile(`^\s*(?:->\s+)?([A-Z][A-Za-z ]*?(?: (?:using|on) \S+)*)\s+\(cost=`)
)

// ParsePasted reads EXPLAIN ANALYZE output pasted by a person (text or
// JSON format, one or several plans one after the other) and names the
// results after names in order (extra plans are numbered).
func ParsePasted(text string, names []string) ([]Result, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("nothing was pasted")
	}
	name := func(i int) string {
		if i < len(names) {
			return names[i]
		}
		return "query " + strconv.Itoa(i+1)
	}
	if strings.HasPrefix(text, "[") {
		dec := json.NewDecoder(strings.NewReader(text))
		var out []Result
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, fmt.Errorf("the pasted JSON does not parse: %w", err)
			}
			r, err := parseJSONPlan(name(len(out)), raw)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	// Text format: a plan ends at its "Execution Time" line.
	var out []Result
	var nodes []string
	cur := Result{}
	for _, l := range strings.Split(text, "\n") {
		if m := textNodeRE.FindStringSubmatch(l); m != nil {
			nodes = append(nodes, m[1])
		}
		if m := planningRE.FindStringSubmatch(l); m != nil {
			cur.PlanningMS, _ = strconv.ParseFloat(m[1], 64)
		}
		if m := executionRE.FindStringSubmatch(l); m != nil {
			cur.ExecutionMS, _ = strconv.ParseFloat(m[1], 64)
			cur.Name = name(len(out))
			cur.Shape = strings.Join(nodes, " > ")
			out = append(out, cur)
			cur, nodes = Result{}, nil
		}
	}
	if len(out) == 0 {
		return nil, errors.New(`no "Execution Time: N ms" line in what was pasted: paste the whole EXPLAIN ANALYZE output`)
	}
	return out, nil
}

// Comparison is one query before and after the upgrade.
type Comparison struct {
	Name   string  `json:"name"`
	Before Result  `json:"before"`
	After  Result  `json:"after"`
	Ratio  float64 `json:"ratio"` // after/before execution time; 0 when either is missing
	// ShapeChanged says the plan's node tree differs.
	ShapeChanged bool `json:"shapeChanged"`
	// Slower says the ratio is beyond the threshold.
	Slower bool `json:"slower"`
	// Missing says one side has no measurement.
	Missing bool `json:"missing"`
}

// Compare pairs results by name (in the order of before, then the ones only
// after) and flags an execution time more than threshold times slower.
func Compare(before, after []Result, threshold float64) []Comparison {
	byName := map[string]Result{}
	for _, r := range after {
		byName[r.Name] = r
	}
	var out []Comparison
	seen := map[string]bool{}
	add := func(b, a Result, name string, haveB, haveA bool) {
		c := Comparison{Name: name, Before: b, After: a}
		c.Missing = !haveB || !haveA || b.Err != "" || a.Err != ""
		if !c.Missing {
			if b.ExecutionMS > 0 {
				c.Ratio = a.ExecutionMS / b.ExecutionMS
			}
			c.ShapeChanged = b.Shape != a.Shape
			c.Slower = threshold > 0 && c.Ratio > threshold
		}
		out = append(out, c)
	}
	for _, b := range before {
		a, ok := byName[b.Name]
		seen[b.Name] = true
		add(b, a, b.Name, true, ok)
	}
	for _, a := range after {
		if !seen[a.Name] {
			add(Result{}, a, a.Name, false, true)
		}
	}
	return out
}
