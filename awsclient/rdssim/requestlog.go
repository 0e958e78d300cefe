package rdssim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// IsMutating reports whether an RDS action changes the world (anything but
// Describe*, List* and STS's GetCallerIdentity).
func IsMutating(action string) bool {
	if action == "" || action == "GetCallerIdentity" {
		return false
	}
	return !strings.HasPrefix(action, "Describe") && !strings.HasPrefix(action, "List")
}

// LoggedRequest is one mutating request as the request log records it.
type LoggedRequest struct {
	// Time is the simulator's clock when the answer was sent.
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	// Status is the HTTP status of the answer; 0 when the connection was
	// dropped (network-loss).
	Status   int    `json:"status"`
	Instance string `json:"instance,omitempty"`
	Snapshot string `json:"snapshot,omitempty"`
	// NewInstance is a rename's NewDBInstanceIdentifier.
	NewInstance string `json:"newInstance,omitempty"`
	// AccessKey is the access key id the request was signed with: who
	// made it (datalayer, the Pulumi provider, the AWS CLI).
	AccessKey string `json:"accessKey,omitempty"`
	// Agent is the caller's User-Agent, shortened to its first product.
	Agent string `json:"agent,omitempty"`
}

// OK reports whether AWS accepted the request.
func (l LoggedRequest) OK() bool { return l.Status == http.StatusOK }

// LogMutating wraps h (a *Sim or a handler around one) so that every
// mutating request is written to w as one JSON line once it has been
// answered; after, when not nil, runs then (e.g. to save the world). Reads
// are served untouched.
func LogMutating(h http.Handler, clk clock.Clock, w io.Writer, after func(LoggedRequest)) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		form := url.Values{}
		if r.Body != nil {
			data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body = io.NopCloser(bytes.NewReader(data))
			form, _ = url.ParseQuery(string(data))
		}
		for k, v := range r.URL.Query() {
			if _, ok := form[k]; !ok {
				form[k] = v
			}
		}
		action := form.Get("Action")
		if !IsMutating(action) {
			h.ServeHTTP(rw, r)
			return
		}
		sw := &statusRecorder{ResponseWriter: rw, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		l := LoggedRequest{
			Time: clk.Now().UTC(), Action: action, Status: sw.status,
			Instance: form.Get("DBInstanceIdentifier"), Snapshot: form.Get("DBSnapshotIdentifier"),
			NewInstance: form.Get("NewDBInstanceIdentifier"), Agent: firstProduct(r.UserAgent()),
		}
		if m := credentialPattern.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			l.AccessKey = m[1]
		}
		b, _ := json.Marshal(l)
		mu.Lock()
		_, _ = w.Write(append(b, '\n'))
		if s, ok := w.(interface{ Sync() error }); ok {
			_ = s.Sync()
		}
		mu.Unlock()
		if after != nil {
			after(l)
		}
	})
}

func firstProduct(ua string) string {
	f := strings.Fields(ua)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// ReadRequestLog parses a request log written by LogMutating.
func ReadRequestLog(r io.Reader) ([]LoggedRequest, error) {
	var out []LoggedRequest
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var l LoggedRequest
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return out, fmt.Errorf("request log line %d: %w", n, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// statusRecorder remembers the status written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Hijack lets the simulator drop a connection (network-loss scenario).
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("rdssim: the response writer cannot drop the connection")
	}
	s.status = 0
	return h.Hijack()
}
