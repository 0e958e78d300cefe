package rdssim

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// apiError is an error answer in RDS's envelope.
type apiError struct {
	Code     string
	Message  string
	Status   int
	Receiver bool // Type Receiver instead of Sender
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

func invalidValue(format string, args ...any) *apiError {
	return errf(400, "InvalidParameterValue", format, args...)
}

func invalidCombination(format string, args ...any) *apiError {
	return errf(400, "InvalidParameterCombination", format, args...)
}

func instanceNotFound(id string) *apiError {
	return errf(404, "DBInstanceNotFound", "DBInstance %s not found.", id)
}

func snapshotNotFound(id string) *apiError {
	return errf(404, "DBSnapshotNotFound", "DBSnapshot %s not found.", id)
}

func paramGroupNotFound(name string) *apiError {
	return errf(404, "DBParameterGroupNotFound", "DBParameterGroup not found: %s", name)
}

// params reads a Query-protocol request: flat keys, lists as
// Name.Member.N (or Name.member.N), structures as Name.Member.N.Field.
type params struct{ v url.Values }

func (p params) str(name string) string { return p.v.Get(name) }

func (p params) has(name string) bool { _, ok := p.v[name]; return ok }

func (p params) required(name string) (string, *apiError) {
	s := p.str(name)
	if s == "" {
		return "", errf(400, "MissingParameter", "The request must contain the parameter %s", name)
	}
	return s, nil
}

func (p params) boolean(name string) (*bool, *apiError) {
	if !p.has(name) {
		return nil, nil
	}
	switch strings.ToLower(p.str(name)) {
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	}
	return nil, invalidValue("Invalid boolean value for parameter %s: %q", name, p.str(name))
}

func (p params) flag(name string) (bool, *apiError) {
	b, err := p.boolean(name)
	return b != nil && *b, err
}

func (p params) integer(name string) (*int32, *apiError) {
	if !p.has(name) {
		return nil, nil
	}
	n, err := strconv.ParseInt(p.str(name), 10, 32)
	if err != nil {
		return nil, invalidValue("Invalid integer value for parameter %s: %q", name, p.str(name))
	}
	v := int32(n)
	return &v, nil
}

// long reads an int64 parameter; absent is 0.
func (p params) long(name string) (int64, *apiError) {
	if !p.has(name) {
		return 0, nil
	}
	n, err := strconv.ParseInt(p.str(name), 10, 64)
	if err != nil {
		return 0, invalidValue("Invalid long value for parameter %s: %q", name, p.str(name))
	}
	return n, nil
}

func (p params) timestamp(name string) (*time.Time, *apiError) {
	if !p.has(name) {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, p.str(name)); err == nil {
			return &t, nil
		}
	}
	return nil, invalidValue("Invalid timestamp for parameter %s: %q", name, p.str(name))
}

// indexed collects keys Name.X.N[.Rest] grouped by N in numeric order.
func (p params) indexed(name string) []url.Values {
	groups := map[int]url.Values{}
	prefix := name + "."
	for k, vs := range p.v {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		parts := strings.SplitN(rest, ".", 3)
		// Name.N or Name.Member.N[.Rest]
		var nStr, field string
		if n, err := strconv.Atoi(parts[0]); err == nil && n > 0 {
			nStr = parts[0]
			field = strings.Join(parts[1:], ".")
		} else if len(parts) >= 2 {
			nStr = parts[1]
			if len(parts) == 3 {
				field = parts[2]
			}
		} else {
			continue
		}
		n, err := strconv.Atoi(nStr)
		if err != nil || n <= 0 {
			continue
		}
		if groups[n] == nil {
			groups[n] = url.Values{}
		}
		groups[n][field] = vs
	}
	keys := make([]int, 0, len(groups))
	for n := range groups {
		keys = append(keys, n)
	}
	sort.Ints(keys)
	out := make([]url.Values, len(keys))
	for i, n := range keys {
		out[i] = groups[n]
	}
	return out
}

// list returns the values of a list parameter.
func (p params) list(name string) []string {
	var out []string
	for _, g := range p.indexed(name) {
		out = append(out, g.Get(""))
	}
	return out
}

type filter struct {
	Name   string
	Values []string
}

func (p params) filters(allowed ...string) ([]filter, *apiError) {
	var out []filter
	for _, g := range p.indexed("Filters") {
		sub := params{g}
		f := filter{Name: sub.str("Name"), Values: sub.list("Values")}
		if f.Name == "" {
			return nil, errf(400, "MissingParameter", "The request must contain the parameter Filters.Filter.Name")
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == f.Name
		}
		if !ok {
			return nil, invalidValue("Unrecognized filter name: %s.", f.Name)
		}
		if len(f.Values) == 0 {
			return nil, invalidValue("Filter %s must have at least one value.", f.Name)
		}
		out = append(out, f)
	}
	return out, nil
}

func (p params) tags() []Tag {
	var out []Tag
	for _, g := range p.indexed("Tags") {
		sub := params{g}
		out = append(out, Tag{Key: sub.str("Key"), Value: sub.str("Value")})
	}
	return out
}

// page reads Marker and MaxRecords (default 100, 20..100).
func (p params) page() (offset, limit int, err *apiError) {
	limit = 100
	if n, e := p.integer("MaxRecords"); e != nil {
		return 0, 0, e
	} else if n != nil {
		if *n < 20 || *n > 100 {
			return 0, 0, invalidValue("Invalid value %d for MaxRecords. Must be between 20 and 100", *n)
		}
		limit = int(*n)
	}
	if m := p.str("Marker"); m != "" {
		raw, decErr := base64.RawURLEncoding.DecodeString(m)
		s, ok := strings.CutPrefix(string(raw), "offset:")
		n, convErr := strconv.Atoi(s)
		if decErr != nil || !ok || convErr != nil || n < 0 {
			return 0, 0, invalidValue("The marker %q is not valid. Use the Marker returned by a previous call.", m)
		}
		offset = n
	}
	return offset, limit, nil
}

// paginate cuts a page out of n items and returns the marker for the next.
func paginate(n, offset, limit int) (lo, hi int, marker string) {
	lo = min(offset, n)
	hi = min(lo+limit, n)
	if hi < n {
		marker = base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(hi)))
	}
	return lo, hi, marker
}

var identifierChars = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*$`)

// ValidIdentifier checks a DB instance identifier the way RDS does: 1 to 63
// letters, digits or hyphens, starting with a letter, not ending with a
// hyphen and without two consecutive hyphens.
func ValidIdentifier(id string) error { return validName(id, 63) }

// ValidSnapshotName checks a DB snapshot identifier: the same rules as an
// instance identifier, up to 255 characters.
func ValidSnapshotName(id string) error { return validName(id, 255) }

func validName(id string, maxLen int) error {
	switch {
	case id == "":
		return fmt.Errorf("identifier is empty")
	case len(id) > maxLen:
		return fmt.Errorf("identifier is longer than %d characters", maxLen)
	case !identifierChars.MatchString(id):
		return fmt.Errorf("identifier must begin with a letter and contain only ASCII letters, digits and hyphens")
	case strings.HasSuffix(id, "-"):
		return fmt.Errorf("identifier must not end with a hyphen")
	case strings.Contains(id, "--"):
		return fmt.Errorf("identifier must not contain two consecutive hyphens")
	}
	return nil
}

func checkIdentifier(param, id string) *apiError {
	if ValidIdentifier(id) != nil {
		return invalidValue("The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.", param)
	}
	return nil
}

func checkSnapshotName(param, id string) *apiError {
	if ValidSnapshotName(id) != nil {
		return invalidValue("The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.", param)
	}
	return nil
}

var (
	classPattern  = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	sgPattern     = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	windowPattern = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

func checkClass(class string) *apiError {
	if !classPattern.MatchString(class) {
		return invalidValue("Invalid DB Instance class: %s", class)
	}
	return nil
}

func checkSecurityGroups(ids []string) *apiError {
	for _, id := range ids {
		if !sgPattern.MatchString(id) {
			return invalidValue("Invalid security group , groupId= %s, groupName=.", id)
		}
	}
	return nil
}

func checkStorageType(t string) *apiError {
	switch t {
	case "gp2", "gp3", "io1", "io2", "standard":
		return nil
	}
	return invalidValue("Invalid storage type: %s", t)
}
