package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Parse reads a YAML document over c: keys present in the document replace
// c's values (lists are replaced whole), keys absent keep them. Unknown
// keys, wrong types and duplicate keys are errors naming the field's path.
// Parse does not run Validate.
func Parse(data []byte, c *Config) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("not valid YAML: %w", err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	return decode("", doc.Content[0], reflect.ValueOf(c).Elem(), 0)
}

var durationType = reflect.TypeOf(Duration(0))

const maxDepth = 16

func decode(path string, n *yaml.Node, v reflect.Value, depth int) error {
	if depth > maxDepth {
		return pathErr(path, n, "is nested too deeply")
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return pathErr(path, n, "is an unresolved alias")
		}
		return decode(path, n.Alias, v, depth+1)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // "key:" with no value keeps the default
	}
	if v.Type() == durationType {
		s, err := scalar(path, n, "a duration such as 10s")
		if err != nil {
			return err
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return pathErr(path, n, fmt.Sprintf("%q is not a duration such as 10s or 1m30s", s))
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		return decodeStruct(path, n, v, depth)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return pathErr(path, n, "must be a list, got "+describe(n))
		}
		out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			// Items start from zero values: a list replaces the default whole.
			if err := decode(fmt.Sprintf("%s[%d]", path, i), item, out.Index(i), depth+1); err != nil {
				return err
			}
		}
		v.Set(out)
		return nil
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return pathErr(path, n, "must be a string, got "+describe(n))
		}
		switch n.ShortTag() {
		case "!!str", "!!int", "!!float":
			v.SetString(n.Value)
			return nil
		}
		return pathErr(path, n, "must be a string, got "+describe(n)+"; quote it")
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			return pathErr(path, n, "must be true or false, got "+describe(n))
		}
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return pathErr(path, n, "must be true or false, got "+describe(n))
		}
		v.SetBool(b)
		return nil
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!float" && n.ShortTag() != "!!int") {
			return pathErr(path, n, "must be a number, got "+describe(n))
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return pathErr(path, n, "must be a number, got "+describe(n))
		}
		v.SetFloat(f)
		return nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			return pathErr(path, n, "must be a whole number, got "+describe(n))
		}
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil || v.OverflowInt(i) {
			return pathErr(path, n, "must be a whole number in range, got "+describe(n))
		}
		v.SetInt(i)
		return nil
	}
	return pathErr(path, n, "has a type the configuration cannot hold")
}

func decodeStruct(path string, n *yaml.Node, v reflect.Value, depth int) error {
	if n.Kind != yaml.MappingNode {
		return pathErr(path, n, "must be a mapping of keys to values, got "+describe(n))
	}
	fields := map[string]reflect.Value{}
	collectFields(v, fields)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return pathErr(path, k, "has a key that is not a plain name")
		}
		key := k.Value
		child := key
		if path != "" {
			child = path + "." + key
		}
		if key == "<<" {
			return pathErr(child, k, "merge keys are not supported; write the keys out")
		}
		if seen[key] {
			return pathErr(child, k, "appears twice")
		}
		seen[key] = true
		f, ok := fields[key]
		if !ok {
			return pathErr(child, k, "is not a known setting"+suggest(key, fields))
		}
		if err := decode(child, val, f, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// collectFields maps yaml names to settable fields, flattening ",inline".
func collectFields(v reflect.Value, out map[string]reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" {
			collectFields(v.Field(i), out)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		out[name] = v.Field(i)
	}
}

func suggest(key string, fields map[string]reflect.Value) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	norm := strings.NewReplacer("-", "_", " ", "_").Replace(strings.ToLower(key))
	for _, name := range names {
		if name == norm {
			return fmt.Sprintf(" (did you mean %s?)", name)
		}
	}
	return " (known: " + strings.Join(names, ", ") + ")"
}

func scalar(path string, n *yaml.Node, want string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", pathErr(path, n, "must be "+want+", got "+describe(n))
	}
	return n.Value, nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", v)
		case "!!int":
			return "the number " + v
		case "!!float":
			return "the number " + v
		case "!!bool":
			return "the boolean " + v
		}
		return fmt.Sprintf("%s %q", n.ShortTag(), v)
	}
	return "something else"
}

func pathErr(path string, n *yaml.Node, problem string) error {
	if path == "" {
		path = "(top level)"
	}
	if n != nil && n.Line > 0 {
		problem = fmt.Sprintf("%s (line %d)", problem, n.Line)
	}
	return &FieldError{Path: path, Problem: problem}
}
