package simprovider

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// props reads typed values out of a property map. Secrets are unwrapped;
// null, missing and unknown values read as not set.
type props resource.PropertyMap

func (p props) value(k string) (resource.PropertyValue, bool) {
	v, ok := p[resource.PropertyKey(k)]
	if !ok {
		return v, false
	}
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsNull() || v.IsComputed() || v.IsOutput() {
		return v, false
	}
	return v, true
}

// unknown reports whether k holds a value not known yet (a preview's
// output of another resource).
func (p props) unknown(k string) bool {
	v, ok := p[resource.PropertyKey(k)]
	if !ok {
		return false
	}
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known)
}

func (p props) str(k string) string {
	if v, ok := p.value(k); ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func (p props) has(k string) bool {
	_, ok := p.value(k)
	return ok
}

func (p props) num(k string) (int, bool) {
	if v, ok := p.value(k); ok && v.IsNumber() {
		return int(v.NumberValue()), true
	}
	return 0, false
}

func (p props) boolean(k string) (bool, bool) {
	if v, ok := p.value(k); ok && v.IsBool() {
		return v.BoolValue(), true
	}
	return false, false
}

func (p props) strs(k string) []string {
	v, ok := p.value(k)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		for e.IsSecret() {
			e = e.SecretValue().Element
		}
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func (p props) strMap(k string) map[string]string {
	v, ok := p.value(k)
	if !ok || !v.IsObject() {
		return nil
	}
	out := map[string]string{}
	for mk, mv := range v.ObjectValue() {
		for mv.IsSecret() {
			mv = mv.SecretValue().Element
		}
		if mv.IsString() {
			out[string(mk)] = mv.StringValue()
		}
	}
	return out
}

// parameter is one entry of a parameter group's parameters.
type parameter struct {
	Name, Value, ApplyMethod string
}

func (p props) parameters(k string) []parameter {
	v, ok := p.value(k)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []parameter
	for _, e := range v.ArrayValue() {
		if !e.IsObject() {
			continue
		}
		o := props(e.ObjectValue())
		method := o.str("applyMethod")
		if method == "" {
			method = "immediate"
		}
		out = append(out, parameter{Name: o.str("name"), Value: o.str("value"), ApplyMethod: method})
	}
	return out
}

// canonical returns a comparable form of k's value in p for a diff: a
// value left out reads as the field's zero value, as the real provider
// reads an unset optional attribute.
func (p props) canonical(f field) any {
	switch f.kind {
	case kString:
		return p.str(f.name)
	case kInt:
		n, _ := p.num(f.name)
		return n
	case kBool:
		b, _ := p.boolean(f.name)
		return b
	case kStringSet:
		s := append([]string{}, p.strs(f.name)...)
		sort.Strings(s)
		return s
	case kStringMap:
		m := p.strMap(f.name)
		if m == nil {
			m = map[string]string{}
		}
		return m
	case kParameters:
		var s []string
		for _, prm := range p.parameters(f.name) {
			s = append(s, prm.Name+"="+prm.Value+"/"+prm.ApplyMethod)
		}
		sort.Strings(s)
		return append([]string{}, s...)
	case kPointInTime:
		pt, _ := p.pointInTime(f.name)
		return pt.String()
	}
	return nil
}

// pointInTime is a restoreToPointInTime block.
type pointInTime struct {
	RestoreTime, SourceARN, SourceID, SourceResourceID string
	UseLatest                                          bool
}

// String is the block in a comparable form; "" when empty.
func (pt pointInTime) String() string {
	var parts []string
	for _, kv := range [][2]string{{"restoreTime", pt.RestoreTime}, {"sourceDbInstanceAutomatedBackupsArn", pt.SourceARN},
		{"sourceDbInstanceIdentifier", pt.SourceID}, {"sourceDbiResourceId", pt.SourceResourceID}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if pt.UseLatest {
		parts = append(parts, "useLatestRestorableTime=true")
	}
	return strings.Join(parts, ",")
}

// pointInTime reads the block at k; ok is false when it is not set (an
// empty object, or a list holding one, counts as set).
func (p props) pointInTime(k string) (pointInTime, bool) {
	v, ok := p.value(k)
	if !ok {
		return pointInTime{}, false
	}
	if v.IsArray() && len(v.ArrayValue()) == 1 {
		v = v.ArrayValue()[0]
	}
	if !v.IsObject() {
		return pointInTime{}, false
	}
	o := props(v.ObjectValue())
	latest, _ := o.boolean("useLatestRestorableTime")
	return pointInTime{RestoreTime: o.str("restoreTime"), SourceARN: o.str("sourceDbInstanceAutomatedBackupsArn"),
		SourceID: o.str("sourceDbInstanceIdentifier"), SourceResourceID: o.str("sourceDbiResourceId"), UseLatest: latest}, true
}

// pointInTimeFailures checks a restoreToPointInTime block as the TF schema
// does: restore_time a UTC RFC 3339 time, not with
// use_latest_restorable_time; the source given once (the API's rule).
func pointInTimeFailures(k string, pt pointInTime) []*pulumirpc.CheckFailure {
	var out []*pulumirpc.CheckFailure
	fail := func(reason string) {
		out = append(out, &pulumirpc.CheckFailure{Property: k, Reason: reason})
	}
	if pt.RestoreTime != "" {
		if t, err := time.Parse(time.RFC3339, pt.RestoreTime); err != nil || t.Location() != time.UTC {
			fail(fmt.Sprintf("%s.restoreTime %q is not a UTC time in RFC 3339 format (e.g. 2026-12-02T14:01:00Z)", k, pt.RestoreTime))
		}
		if pt.UseLatest {
			fail(fmt.Sprintf("%s: restoreTime conflicts with useLatestRestorableTime", k))
		}
	}
	n := 0
	for _, s := range []string{pt.SourceARN, pt.SourceID, pt.SourceResourceID} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		fail(fmt.Sprintf("%s: give exactly one of sourceDbInstanceIdentifier, sourceDbiResourceId and sourceDbInstanceAutomatedBackupsArn", k))
	}
	return out
}

func isZero(v any) bool {
	switch t := v.(type) {
	case string:
		return t == ""
	case int:
		return t == 0
	case bool:
		return !t
	case []string:
		return len(t) == 0
	case map[string]string:
		return len(t) == 0
	}
	return v == nil
}

// change is one input that differs between the state and the program.
type change struct {
	key  string
	kind pulumirpc.PropertyDiff_Kind
}

// sameValue decides whether a field's old and new values are the same;
// nil means reflect.DeepEqual.
type sameValue func(f field, old, new any) bool

// diffInputs compares the program's inputs (news, after Check) with the
// resource's state (olds, what AWS reported at the last read). Only what
// the program sets counts, as with the real provider: a computed input the
// program leaves out keeps what AWS has and is no change; a plain optional
// one left out means its zero value.
func diffInputs(fields []field, olds, news resource.PropertyMap, same sameValue) []change {
	o, n := props(olds), props(news)
	var out []change
	for _, f := range fields {
		if f.output {
			continue
		}
		set := n.has(f.name)
		if n.unknown(f.name) {
			out = append(out, change{key: f.name, kind: kindOf(f, pulumirpc.PropertyDiff_UPDATE)})
			continue
		}
		if !set && f.computed {
			continue
		}
		ov, nv := o.canonical(f), n.canonical(f)
		if (same != nil && same(f, ov, nv)) || reflect.DeepEqual(ov, nv) {
			continue
		}
		k := pulumirpc.PropertyDiff_UPDATE
		switch {
		case isZero(ov):
			k = pulumirpc.PropertyDiff_ADD
		case !set || isZero(nv):
			k = pulumirpc.PropertyDiff_DELETE
		}
		out = append(out, change{key: f.name, kind: kindOf(f, k)})
	}
	return out
}

func kindOf(f field, k pulumirpc.PropertyDiff_Kind) pulumirpc.PropertyDiff_Kind {
	if !f.forceNew {
		return k
	}
	switch k {
	case pulumirpc.PropertyDiff_ADD:
		return pulumirpc.PropertyDiff_ADD_REPLACE
	case pulumirpc.PropertyDiff_DELETE:
		return pulumirpc.PropertyDiff_DELETE_REPLACE
	default:
		return pulumirpc.PropertyDiff_UPDATE_REPLACE
	}
}

func isReplace(k pulumirpc.PropertyDiff_Kind) bool {
	return k == pulumirpc.PropertyDiff_ADD_REPLACE || k == pulumirpc.PropertyDiff_DELETE_REPLACE ||
		k == pulumirpc.PropertyDiff_UPDATE_REPLACE
}

// diffResponse turns changes into the engine's answer. A replacement
// deletes first when the program names the resource itself (autoName is
// the field the provider fills in): two resources cannot share the name.
func diffResponse(changes []change, news resource.PropertyMap, autoName string) *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
		HasDetailedDiff: true,
	}
	for _, c := range changes {
		resp.Diffs = append(resp.Diffs, c.key)
		resp.DetailedDiff[c.key] = &pulumirpc.PropertyDiff{Kind: c.kind, InputDiff: true}
		if isReplace(c.kind) {
			resp.Replaces = append(resp.Replaces, c.key)
		}
	}
	if len(changes) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	resp.DeleteBeforeReplace = len(resp.Replaces) > 0 && props(news).has(autoName) && !isDefault(news, autoName)
	return resp
}

// defaultsKey lists the inputs the provider filled in itself (its
// auto-names), as the real provider records them.
const defaultsKey = "__defaults"

func isDefault(inputs resource.PropertyMap, key string) bool {
	v, ok := inputs[defaultsKey]
	if !ok || !v.IsArray() {
		return false
	}
	for _, e := range v.ArrayValue() {
		if e.IsString() && e.StringValue() == key {
			return true
		}
	}
	return false
}

// autoName fills key with Pulumi's auto-name when the program leaves it
// out: the old name when the resource exists (olds), otherwise the
// resource's name plus random hex characters (separator between them),
// lower-cased as AWS stores RDS names. The random part comes from the
// engine's seed, so a preview and its update agree.
func autoName(news, olds resource.PropertyMap, key, logical, separator string, seed []byte) error {
	if props(news).has(key) || props(news).unknown(key) {
		return nil
	}
	name := ""
	if props(olds).has(key) && isDefault(olds, key) {
		name = props(olds).str(key)
	} else {
		suffix, err := randomHex(seed, logical, 7)
		if err != nil {
			return err
		}
		name = strings.ToLower(logical) + separator + suffix
	}
	news[resource.PropertyKey(key)] = resource.NewStringProperty(name)
	news[defaultsKey] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty(key)})
	return nil
}

func randomHex(seed []byte, salt string, n int) (string, error) {
	if len(seed) > 0 {
		sum := sha256.Sum256(append(append([]byte{}, seed...), salt...))
		return hex.EncodeToString(sum[:])[:n], nil
	}
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auto-name: %w", err)
	}
	return hex.EncodeToString(b)[:n], nil
}

// checkTypes returns a failure for each required input left out and each
// input of the wrong type (unknown values pass: they are checked when known).
func checkTypes(fields []field, news resource.PropertyMap) []*pulumirpc.CheckFailure {
	var out []*pulumirpc.CheckFailure
	n := props(news)
	for _, f := range fields {
		if f.output {
			continue
		}
		if n.unknown(f.name) {
			continue
		}
		v, ok := n.value(f.name)
		if !ok {
			if f.required {
				out = append(out, &pulumirpc.CheckFailure{Property: f.name, Reason: fmt.Sprintf("Missing required property '%s'", f.name)})
			}
			continue
		}
		good := true
		switch f.kind {
		case kString:
			good = v.IsString()
		case kInt:
			good = v.IsNumber() && v.NumberValue() == float64(int(v.NumberValue()))
		case kBool:
			good = v.IsBool()
		case kStringSet, kParameters:
			good = v.IsArray()
		case kStringMap:
			good = v.IsObject()
		case kPointInTime:
			var pt pointInTime
			if pt, good = n.pointInTime(f.name); good {
				out = append(out, pointInTimeFailures(f.name, pt)...)
			}
		}
		if !good {
			out = append(out, &pulumirpc.CheckFailure{Property: f.name, Reason: fmt.Sprintf("%s has the wrong type (%s)", f.name, v.TypeString())})
		}
		for _, c := range f.conflicts {
			if n.has(c) && f.name < c { // each pair once
				out = append(out, &pulumirpc.CheckFailure{Property: f.name, Reason: fmt.Sprintf("%s conflicts with %s: set one of them", f.name, c)})
			}
		}
	}
	return out
}

// copyMap returns a shallow copy of m without the provider's internal keys.
func copyMap(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		if !strings.HasPrefix(string(k), "__") {
			out[k] = v
		}
	}
	return out
}

func strProp(s string) resource.PropertyValue { return resource.NewStringProperty(s) }

func numProp(n int) resource.PropertyValue { return resource.NewNumberProperty(float64(n)) }

func boolProp(b bool) resource.PropertyValue { return resource.NewBoolProperty(b) }

func strsProp(ss []string) resource.PropertyValue {
	arr := make([]resource.PropertyValue, 0, len(ss))
	for _, s := range ss {
		arr = append(arr, resource.NewStringProperty(s))
	}
	return resource.NewArrayProperty(arr)
}

func mapProp(m map[string]string) resource.PropertyValue {
	obj := resource.PropertyMap{}
	for k, v := range m {
		obj[resource.PropertyKey(k)] = resource.NewStringProperty(v)
	}
	return resource.NewObjectProperty(obj)
}

func unknownProp() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}
