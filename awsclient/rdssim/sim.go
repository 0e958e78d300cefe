package rdssim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// Namespaces of the two Query APIs the simulator speaks.
const (
	RDSNamespace = "http://rds.amazonaws.com/doc/2014-10-31/"
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	rdsVersion   = "2014-10-31"
	stsVersion   = "2011-06-15"
)

// Options configures a simulator.
type Options struct {
	Clock    clock.Clock // nil: clock.Real
	Scenario string      // "" = default
	Region   string      // default eu-west-2
	Account  string      // default 123456789012
	// OnListen, if set, is called by ListenAndServe with the bound address
	// (host:port) once the listener is open.
	OnListen func(addr string)
}

// Sim is the RDS control-plane simulator. It is an http.Handler; all state
// lives in a World guarded by one lock and advanced lazily from the clock.
type Sim struct {
	opts  Options
	clock clock.Clock

	mu      sync.Mutex
	world   *World
	keySeen map[string]int64 // access key id → first request number
	counts  map[string]int64

	seq atomic.Int64
}

// New builds a simulator holding the default world changed by the scenario.
func New(opts Options) (*Sim, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Scenario == "" {
		opts.Scenario = "default"
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Account == "" {
		opts.Account = DefaultAccount
	}
	if err := validScenario(opts.Scenario); err != nil {
		return nil, err
	}
	world := NewWorld(opts.Clock.Now(), opts.Region, opts.Account, opts.Scenario)
	world.speed = clock.SpeedOf(opts.Clock)
	return &Sim{
		opts: opts, clock: opts.Clock, world: world,
		keySeen: map[string]int64{}, counts: map[string]int64{},
	}, nil
}

// Requests reports how many requests the simulator has received.
func (s *Sim) Requests() int64 { return s.seq.Load() }

// RequestCounts reports how many requests each action received.
func (s *Sim) RequestCounts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// Mutate changes the world out of band (drift, a console change), under the
// lock, after bringing it up to the clock's time.
func (s *Sim) Mutate(fn func(*World)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world.advance(s.clock.Now())
	fn(s.world)
}

// InjectFault adds a fault at run time. A zero From means the next request.
func (s *Sim) InjectFault(f Fault) {
	if f.From == 0 {
		f.From = s.seq.Load() + 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world.Faults = append(s.world.Faults, f)
}

// ClearFaults removes every fault, the scenario's included.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world.Faults = nil
}

// savedState is the JSON written by Save.
type savedState struct {
	Version  int    `json:"version"`
	Requests int64  `json:"requests"`
	World    *World `json:"world"`
}

// Save writes the world as JSON.
func (s *Sim) Save(w io.Writer) error {
	s.mu.Lock()
	s.world.advance(s.clock.Now())
	data, err := json.MarshalIndent(savedState{Version: 1, Requests: s.seq.Load(), World: s.world}, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("rdssim: encode state: %w", err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("rdssim: write state: %w", err)
	}
	return nil
}

// Load replaces the world with one written by Save.
func (s *Sim) Load(r io.Reader) error {
	var st savedState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("rdssim: read state: %w (expected a file written by the simulator's Save)", err)
	}
	if st.Version != 1 || st.World == nil {
		return fmt.Errorf("rdssim: read state: unsupported state version %d: save it again with this version", st.Version)
	}
	if st.World.Reserved == nil {
		st.World.Reserved = map[string]time.Time{}
	}
	// Files saved before the default world refused a renamed-away name
	// have no reservation time.
	if st.World.ReserveFor == 0 {
		st.World.ReserveFor = RenameReserve
	}
	// Files saved before parameter families held every parameter of a
	// group; only the group's own (user) values are kept now.
	for _, pg := range st.World.ParameterGroups {
		pg.Parameters = slices.DeleteFunc(pg.Parameters, func(x Parameter) bool { return x.Source != "user" })
	}
	st.World.speed = clock.SpeedOf(s.clock)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.world = st.World
	s.seq.Store(st.Requests)
	return nil
}

var credentialPattern = regexp.MustCompile(`Credential=([^/,\s]+)/`)

// ServeHTTP answers one Query-protocol request.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	seq := s.seq.Add(1)
	reqID := requestID(seq)
	w.Header().Set("x-amzn-RequestId", reqID)

	form, err := readForm(r)
	if err != nil {
		writeError(w, RDSNamespace, reqID, errf(400, "MalformedQueryString", "%s", err))
		return
	}
	p := params{form}
	action, version := p.str("Action"), p.str("Version")
	key := ""
	if m := credentialPattern.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		key = m[1]
	}

	body, ns, aerr, drop := s.handle(seq, action, version, key, p, reqID)
	if drop {
		dropConnection(w)
		return
	}
	if aerr != nil {
		writeError(w, ns, reqID, aerr)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// handle runs one request under the lock: advance the world, apply faults,
// run the action and encode its answer. A panic becomes an InternalFailure
// answer instead of a lock left held.
func (s *Sim) handle(seq int64, action, version, key string, p params, reqID string) (body []byte, ns string, aerr *apiError, drop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns = RDSNamespace
	defer func() {
		if r := recover(); r != nil {
			body, drop = nil, false
			aerr = &apiError{Code: "InternalFailure", Message: fmt.Sprintf("simulator bug: %v", r), Status: 500, Receiver: true}
		}
	}()
	now := s.clock.Now().UTC()
	s.world.advance(now)
	s.counts[action]++
	if _, ok := s.keySeen[key]; !ok {
		s.keySeen[key] = seq
	}
	keySeq := s.keySeen[key]
	if action == "GetCallerIdentity" {
		ns = STSNamespace
	}
	for i := range s.world.Faults {
		f := &s.world.Faults[i]
		if f.applies(seq, action, keySeq, now) {
			f.Fired++
			if f.Code == FaultDrop {
				return nil, ns, nil, true
			}
			return nil, ns, f.apiError(), false
		}
	}
	var res any
	switch {
	case action == "GetCallerIdentity" && version == stsVersion:
		res = s.getCallerIdentity(key)
	case action == "":
		return nil, ns, errf(400, "MissingAction", "Missing Action"), false
	default:
		h, ok := handlers[action]
		switch {
		case !ok:
			return nil, ns, errf(400, "InvalidAction", "The action %s is not valid for this web service.", action), false
		case version != rdsVersion:
			return nil, ns, errf(400, "InvalidParameterValue", "The Version %q is not supported; use %s.", version, rdsVersion), false
		}
		res, aerr = h(s.world, p, now)
		if aerr != nil {
			return nil, ns, aerr, false
		}
	}
	body, err := encodeResponse(action, ns, reqID, res)
	if err != nil {
		return nil, ns, &apiError{Code: "InternalFailure", Message: err.Error(), Status: 500, Receiver: true}, false
	}
	return body, ns, nil, false
}

func readForm(r *http.Request) (url.Values, error) {
	form := url.Values{}
	for k, v := range r.URL.Query() {
		form[k] = v
	}
	if r.Body != nil {
		data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
		if len(bytes.TrimSpace(data)) > 0 {
			body, err := url.ParseQuery(string(data))
			if err != nil {
				return nil, fmt.Errorf("parse body: %w", err)
			}
			for k, v := range body {
				form[k] = append(form[k], v...)
			}
		}
	}
	return form, nil
}

// dropConnection closes the client's connection without answering.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func requestID(seq int64) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("rdssim-%d", seq)))
	h := fmt.Sprintf("%x", sum[:16])
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

func encodeResponse(action, ns, reqID string, res any) ([]byte, error) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, action, ns)
	enc := xml.NewEncoder(&buf)
	if res != nil {
		if err := enc.EncodeElement(res, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return nil, fmt.Errorf("encode %s: %w", action, err)
		}
	}
	if err := enc.Flush(); err != nil {
		return nil, fmt.Errorf("encode %s: %w", action, err)
	}
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, reqID, action)
	return buf.Bytes(), nil
}

func writeError(w http.ResponseWriter, ns, reqID string, e *apiError) {
	typ := "Sender"
	if e.Receiver {
		typ = "Receiver"
	}
	var msg bytes.Buffer
	_ = xml.EscapeText(&msg, []byte(e.Message))
	body := fmt.Sprintf(`<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		ns, typ, e.Code, msg.String(), reqID)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(e.Status)
	_, _ = io.WriteString(w, body)
}

type xCallerIdentity struct {
	Arn     string
	UserID  string `xml:"UserId"`
	Account string
}

func (s *Sim) getCallerIdentity(key string) xCallerIdentity {
	arn := s.world.CallerARN
	if a, ok := s.world.Callers[key]; ok && a != "" {
		arn = a
	}
	user := arn[strings.LastIndex(arn, "/")+1:]
	sum := sha256.Sum256([]byte(user))
	return xCallerIdentity{
		Arn:     arn,
		UserID:  "AIDA" + strings.ToUpper(fmt.Sprintf("%x", sum[:8])),
		Account: s.world.Account,
	}
}

// Start listens on addr and serves the simulator (a *Sim, or a handler
// wrapping one) until ctx ends. It returns the bound address (host:port) and
// a channel that receives the server's final error (nil after a clean
// shutdown).
func Start(ctx context.Context, addr string, s http.Handler) (string, <-chan error, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("rdssim: listen on %s: %w (choose another --addr or free the port)", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	return ln.Addr().String(), done, nil
}

// ListenAndServe serves the simulator on addr until ctx ends, then returns
// the address it was bound to. Options.OnListen learns that address as soon
// as the listener is open.
func ListenAndServe(ctx context.Context, addr string, s *Sim) (string, error) {
	bound, done, err := Start(ctx, addr, s)
	if err != nil {
		return "", err
	}
	if s.opts.OnListen != nil {
		s.opts.OnListen(bound)
	}
	if err := <-done; err != nil {
		return bound, fmt.Errorf("rdssim: serve on %s: %w", bound, err)
	}
	return bound, nil
}
