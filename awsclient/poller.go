package awsclient

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/datalayer-tool/datalayer/clock"
)

// AccountRequestRate is RDS's sustained request rate per account and region
// (requests per second), shared with the console and every other tool.
const AccountRequestRate = 12.0

// Poller budget defaults.
//
// One cycle costs one DescribeDBInstances for all watched instances (a
// db-instance-id filter, up to 100 per page) plus one DescribeDBSnapshots
// for all watched snapshots (a db-snapshot-id filter): 1 request per cycle
// when only instances are watched, 2 with snapshots. At the default 5 s that
// is 0.2 req/s = 1.7 % of the account's 12 req/s while something is
// changing; once every watched resource is steady (available, stopped, gone)
// and nothing changed for Settle, the period stretches to IdleInterval
// (20 s: 0.05 req/s = 0.4 %). DefaultMaxRate caps it all: a cycle costing
// more requests waits longer, so the poller never spends more than 1.7 % of
// the budget, retries included (the poller's calls make one SDK attempt
// each; the poller itself backs off).
const (
	DefaultPollInterval = 5 * time.Second
	DefaultIdleInterval = 20 * time.Second
	DefaultSettle       = time.Minute
	DefaultMaxRate      = 0.2 // requests per second: 1.7 % of AccountRequestRate
	DefaultMaxBackoff   = 2 * time.Minute
	DefaultGoneAfter    = 3
)

// PollerOptions tune the poller. Zero values take the defaults above.
type PollerOptions struct {
	// Interval is the period while anything watched is changing.
	Interval time.Duration
	// IdleInterval is the period once everything is steady.
	IdleInterval time.Duration
	// Settle is how long after the last change (or watch) the poller keeps
	// the short period.
	Settle time.Duration
	// MaxRate caps the poller's requests per second.
	MaxRate float64
	// MaxBackoff caps the wait after repeated failures (throttling, network).
	MaxBackoff time.Duration
	// Jitter adds up to this fraction of the period at random (default 0.1;
	// negative: none). Jitter only lengthens waits, so MaxRate holds.
	Jitter float64
	// GoneAfter is how many cycles an instance must be missing before it is
	// reported gone, unless it was last seen deleting (then at once) or
	// being renamed (then never: it is followed to its new name).
	GoneAfter int
	// Buffer is the Changes channel's capacity (default 256). When it is
	// full the poller waits for the reader.
	Buffer int
}

func (o PollerOptions) withDefaults() PollerOptions {
	if o.Interval <= 0 {
		o.Interval = DefaultPollInterval
	}
	if o.IdleInterval <= 0 {
		o.IdleInterval = DefaultIdleInterval
	}
	if o.IdleInterval < o.Interval {
		o.IdleInterval = o.Interval
	}
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	if o.MaxRate <= 0 {
		o.MaxRate = DefaultMaxRate
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Jitter == 0 {
		o.Jitter = 0.1
	}
	if o.Jitter < 0 {
		o.Jitter = 0
	}
	if o.GoneAfter <= 0 {
		o.GoneAfter = DefaultGoneAfter
	}
	if o.Buffer <= 0 {
		o.Buffer = 256
	}
	return o
}

// PollerStats counts what the poller has done.
type PollerStats struct {
	Cycles   int64
	Requests int64 // HTTP requests the poller sent
	Errors   int64 // failed cycles
	Started  time.Time
	// Rate is Requests per second of the poller's clock since Started.
	Rate float64
	// Share is Rate as a fraction of AccountRequestRate.
	Share float64
}

// watch is one watched resource.
type watch struct {
	kind     string // "instance" or "snapshot"
	id       string // current identifier
	asked    string // identifier the caller watched
	renameTo string // pending new identifier, if a rename is underway
	prevID   string // set for one emission after a rename
	seen     bool
	gone     bool
	missing  int
	inst     Instance
	snap     Snapshot
	last     Change
}

// Poller is the run's single loop sampling every watched instance and
// snapshot. Watch, Unwatch, Follow and Latest are safe to call from any
// goroutine while Run is running.
type Poller struct {
	c    *Client
	clk  clock.Clock
	opts PollerOptions

	mu         sync.Mutex
	watches    map[string]*watch // by current id
	aliases    map[string]string // asked id -> current id
	lastChange time.Time
	stats      PollerStats

	cycleMu sync.Mutex
	closed  bool // guarded by cycleMu: Changes is closed
	changes chan Change
	wake    chan struct{}
	runOnce sync.Once
	count   func(*middleware.Stack) error
}

// NewPoller returns a poller sampling through c on clk.
func NewPoller(c *Client, clk clock.Clock, opts PollerOptions) *Poller {
	if clk == nil {
		clk = clock.Real{}
	}
	p := &Poller{
		c: c, clk: clk, opts: opts.withDefaults(),
		watches: map[string]*watch{}, aliases: map[string]string{},
		wake: make(chan struct{}, 1),
	}
	p.changes = make(chan Change, p.opts.Buffer)
	p.count = func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("datalayerPollerCount",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				p.mu.Lock()
				p.stats.Requests++
				p.mu.Unlock()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
	return p
}

// Options returns the options in effect (defaults filled in).
func (p *Poller) Options() PollerOptions { return p.opts }

// Changes delivers every observed change, in order. It is closed when Run
// returns.
func (p *Poller) Changes() <-chan Change { return p.changes }

// WatchInstance starts watching an instance (it need not exist yet: a
// restore's new instance is reported when it appears).
func (p *Poller) WatchInstance(id string) error {
	if err := ValidateInstanceID(id); err != nil {
		return err
	}
	p.add(&watch{kind: "instance", id: id, asked: id})
	return nil
}

// WatchSnapshot starts watching a snapshot (it need not exist yet: a final
// snapshot is reported when it appears).
func (p *Poller) WatchSnapshot(id string) error {
	if err := ValidateSnapshotRef(id); err != nil {
		return err
	}
	p.add(&watch{kind: "snapshot", id: id, asked: id})
	return nil
}

func (p *Poller) add(w *watch) {
	p.mu.Lock()
	if _, ok := p.watches[w.id]; !ok {
		p.watches[w.id] = w
	}
	p.aliases[w.asked] = w.id
	p.lastChange = p.clk.Now()
	p.mu.Unlock()
	p.poke()
}

// Follow tells the poller that oldID is being renamed to newID, so the
// instance is looked up under both names and never reported gone in the
// window where neither answers.
func (p *Poller) Follow(oldID, newID string) error {
	if err := ValidateInstanceID(newID); err != nil {
		return err
	}
	p.mu.Lock()
	if cur, ok := p.aliases[oldID]; ok {
		if w, ok := p.watches[cur]; ok && w.kind == "instance" {
			w.renameTo = newID
		}
	}
	p.lastChange = p.clk.Now()
	p.mu.Unlock()
	p.poke()
	return nil
}

// Unwatch stops watching id (the watched or the current identifier).
func (p *Poller) Unwatch(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := id
	if a, ok := p.aliases[id]; ok {
		cur = a
	}
	delete(p.watches, cur)
	for k, v := range p.aliases {
		if v == cur || k == id {
			delete(p.aliases, k)
		}
	}
}

// Latest returns the latest sample of id (watched or current identifier)
// as a Change; ok is false before the first sample.
func (p *Poller) Latest(id string) (Change, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := id
	if a, ok := p.aliases[id]; ok {
		cur = a
	}
	w, ok := p.watches[cur]
	if !ok || (!w.seen && !w.gone) {
		return Change{}, false
	}
	return w.last, true
}

// Stats reports the poller's counters and its request rate so far.
func (p *Poller) Stats() PollerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	if !s.Started.IsZero() {
		if secs := p.clk.Since(s.Started).Seconds(); secs > 0 {
			s.Rate = float64(s.Requests) / secs
			s.Share = s.Rate / AccountRequestRate
		}
	}
	return s
}

// RequestRate is the poller's requests per second so far.
func (p *Poller) RequestRate() float64 { return p.Stats().Rate }

// poke wakes Run early (a new watch is sampled at once, within MaxRate).
func (p *Poller) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run samples until ctx ends, then closes Changes. It returns ctx's error.
// Only the first call runs; later calls return at once with an error.
func (p *Poller) Run(ctx context.Context) error {
	started := false
	p.runOnce.Do(func() { started = true })
	if !started {
		return errors.New("poller: Run was already called; a run has one poller")
	}
	defer func() {
		p.cycleMu.Lock()
		p.closed = true
		close(p.changes)
		p.cycleMu.Unlock()
	}()
	p.mu.Lock()
	if p.stats.Started.IsZero() {
		p.stats.Started = p.clk.Now()
	}
	p.mu.Unlock()
	failures := 0
	for {
		start := p.clk.Now()
		cost, err := p.poll(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			failures++
		} else {
			failures = 0
		}
		wait := p.nextWait(cost, failures)
		minGap := time.Duration(float64(cost) / p.opts.MaxRate * float64(time.Second))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.clk.After(wait):
		case <-p.wake:
			// Sample soon, but never faster than the budget allows.
			if left := minGap - p.clk.Since(start); left > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-p.clk.After(left):
				}
			}
		}
	}
}

// nextWait is the wait before the next cycle: the period for the current
// activity, doubled per failure up to MaxBackoff, never below the budget,
// plus jitter.
func (p *Poller) nextWait(cost, failures int) time.Duration {
	p.mu.Lock()
	period := p.opts.Interval
	if p.idleLocked() {
		period = p.opts.IdleInterval
	}
	p.mu.Unlock()
	if failures > 0 {
		for i := 0; i < failures && period < p.opts.MaxBackoff; i++ {
			period *= 2
		}
		if period > p.opts.MaxBackoff {
			period = p.opts.MaxBackoff
		}
	}
	if floor := time.Duration(float64(cost) / p.opts.MaxRate * float64(time.Second)); period < floor {
		period = floor
	}
	if p.opts.Jitter > 0 {
		period += time.Duration(rand.Float64() * p.opts.Jitter * float64(period))
	}
	return period
}

// idleLocked reports whether everything watched is steady and settled.
func (p *Poller) idleLocked() bool {
	if p.clk.Since(p.lastChange) < p.opts.Settle {
		return false
	}
	for _, w := range p.watches {
		switch {
		case w.gone:
		case !w.seen || w.renameTo != "":
			return false
		case w.kind == "instance" && w.inst.Status != "available" && w.inst.Status != "stopped":
			return false
		case w.kind == "snapshot" && w.snap.Status != "available":
			return false
		}
	}
	return true
}

// PollOnce runs one cycle now: one request for all watched instances, one
// for all watched snapshots. Changes go to Changes (so read it, or size
// Buffer, when calling PollOnce without Run). Meant for use without Run
// (a one-shot status, a benchmark); after Run returned it still samples but
// emits nothing.
func (p *Poller) PollOnce(ctx context.Context) error {
	_, err := p.poll(ctx)
	return err
}

// poll runs one cycle and returns how many requests it made.
func (p *Poller) poll(ctx context.Context) (int, error) {
	p.cycleMu.Lock()
	defer p.cycleMu.Unlock()
	p.mu.Lock()
	before := p.stats.Requests
	var instIDs, snapIDs, resIDs []string
	for _, w := range p.watches {
		switch w.kind {
		case "instance":
			instIDs = append(instIDs, w.id)
			if w.renameTo != "" {
				instIDs = append(instIDs, w.renameTo)
			}
		case "snapshot":
			snapIDs = append(snapIDs, w.id)
		}
	}
	p.stats.Cycles++
	p.mu.Unlock()
	sort.Strings(instIDs)
	sort.Strings(snapIDs)

	opt := func(o *rds.Options) {
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1)
		o.APIOptions = append(o.APIOptions, p.count)
	}
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
		p.mu.Lock()
		p.stats.Errors++
		p.mu.Unlock()
		p.emit(ctx, Change{At: p.clk.Now(), Err: err})
	}
	if len(instIDs) > 0 {
		list, err := p.c.describeInstances(ctx, []rdstypes.Filter{{Name: aws.String("db-instance-id"), Values: dedupe(instIDs)}}, opt)
		if err != nil {
			fail(err)
		} else {
			resIDs = p.applyInstances(ctx, list)
		}
	}
	if len(resIDs) > 0 && firstErr == nil {
		// An instance went missing without a known rename: look for it by
		// its resource id, which a rename keeps (one request, rarely).
		list, err := p.c.describeInstances(ctx, []rdstypes.Filter{{Name: aws.String("dbi-resource-id"), Values: resIDs}}, opt)
		if err == nil {
			p.applyFound(ctx, list)
		}
	}
	if len(snapIDs) > 0 {
		list, err := p.c.describeSnapshots(ctx, []rdstypes.Filter{{Name: aws.String("db-snapshot-id"), Values: snapIDs}}, opt)
		if err != nil {
			fail(err)
		} else {
			p.applySnapshots(ctx, list)
		}
	}
	p.mu.Lock()
	cost := int(p.stats.Requests - before)
	p.mu.Unlock()
	return cost, firstErr
}

// applyInstances records a sample of instances and emits changes. It
// returns the resource ids of instances that went missing without a known
// rename, to be looked up by resource id.
func (p *Poller) applyInstances(ctx context.Context, list []Instance) []string {
	byID := make(map[string]Instance, len(list))
	for _, in := range list {
		byID[in.ID] = in
	}
	now := p.clk.Now()
	var out []Change
	var lookup []string
	p.mu.Lock()
	for _, w := range p.sortedWatchesLocked("instance") {
		in, ok := byID[w.id]
		if !ok && w.renameTo != "" {
			if in, ok = byID[w.renameTo]; ok {
				p.rekeyLocked(w, w.renameTo)
			}
		}
		if ok {
			if c, changed := w.sampleInstance(in, now); changed {
				out = append(out, c)
			}
			continue
		}
		if !w.seen || w.gone {
			continue
		}
		w.missing++
		switch {
		case w.inst.Status == "deleting":
			out = append(out, w.markGone(now))
		case w.renameTo != "" || w.inst.Status == "renaming":
			// The window in which neither name answers: keep waiting.
		case w.missing >= p.opts.GoneAfter:
			out = append(out, w.markGone(now))
		default:
			if w.inst.ResourceID != "" {
				lookup = append(lookup, w.inst.ResourceID)
			}
		}
	}
	if len(out) > 0 {
		p.lastChange = now
	}
	p.mu.Unlock()
	p.emit(ctx, out...)
	return lookup
}

// applyFound matches instances found by resource id to missing watches.
func (p *Poller) applyFound(ctx context.Context, list []Instance) {
	now := p.clk.Now()
	var out []Change
	p.mu.Lock()
	for _, in := range list {
		for _, w := range p.sortedWatchesLocked("instance") {
			if w.seen && !w.gone && w.inst.ResourceID == in.ResourceID && w.id != in.ID {
				p.rekeyLocked(w, in.ID)
				if c, changed := w.sampleInstance(in, now); changed {
					out = append(out, c)
				}
			}
		}
	}
	if len(out) > 0 {
		p.lastChange = now
	}
	p.mu.Unlock()
	p.emit(ctx, out...)
}

// applySnapshots records a sample of snapshots and emits changes.
func (p *Poller) applySnapshots(ctx context.Context, list []Snapshot) {
	byID := make(map[string]Snapshot, len(list))
	for _, s := range list {
		byID[s.ID] = s
	}
	now := p.clk.Now()
	var out []Change
	p.mu.Lock()
	for _, w := range p.sortedWatchesLocked("snapshot") {
		s, ok := byID[w.id]
		switch {
		case ok:
			first := !w.seen || w.gone
			if first || s.Status != w.snap.Status || s.PercentProgress != w.snap.PercentProgress {
				c := Change{Kind: "snapshot", ID: s.ID, NewStatus: s.Status, At: now, Watched: w.asked}
				if !first {
					c.OldStatus = w.snap.Status
				}
				cp := s
				c.Snapshot = &cp
				w.last = c
				out = append(out, c)
			} else {
				cp := s
				w.last.Snapshot = &cp
			}
			w.seen, w.gone, w.snap = true, false, s
		case w.seen && !w.gone:
			out = append(out, w.markGone(now))
		}
	}
	if len(out) > 0 {
		p.lastChange = now
	}
	p.mu.Unlock()
	p.emit(ctx, out...)
}

// sampleInstance records in and reports the change to emit, if any: a new
// status, a first sample, a rename, or a change in a field the runbooks
// watch (pending values, parameter apply status, engine version, address).
func (w *watch) sampleInstance(in Instance, now time.Time) (Change, bool) {
	first := !w.seen || w.gone
	old := w.inst
	changed := first || w.prevID != "" || in.Status != old.Status ||
		in.ParameterApplyStatus != old.ParameterApplyStatus || in.EngineVersion != old.EngineVersion ||
		in.Address != old.Address || !samePending(in.Pending, old.Pending)
	w.seen, w.gone, w.missing, w.inst = true, false, 0, in
	if in.Pending.InstanceID != "" {
		w.renameTo = in.Pending.InstanceID
	} else if w.renameTo == in.ID {
		w.renameTo = ""
	}
	cp := in
	if !changed {
		w.last.Instance = &cp
		return Change{}, false
	}
	c := Change{Kind: "instance", ID: in.ID, NewStatus: in.Status, At: now, Instance: &cp, PreviousID: w.prevID, Watched: w.asked}
	if !first {
		c.OldStatus = old.Status
	}
	w.prevID = ""
	w.last = c
	return c, true
}

// markGone records that the resource disappeared.
func (w *watch) markGone(now time.Time) Change {
	c := Change{Kind: w.kind, ID: w.id, Gone: true, At: now, Watched: w.asked}
	if w.kind == "instance" {
		c.OldStatus = w.inst.Status
		cp := w.inst
		c.Instance = &cp
	} else {
		c.OldStatus = w.snap.Status
		cp := w.snap
		c.Snapshot = &cp
	}
	w.gone, w.missing = true, 0
	w.last = c
	return c
}

// rekeyLocked moves a watch to its new identifier after a rename.
func (p *Poller) rekeyLocked(w *watch, newID string) {
	if w.id == newID {
		return
	}
	delete(p.watches, w.id)
	w.prevID = w.id
	w.id = newID
	p.watches[newID] = w
	for k, v := range p.aliases {
		if v == w.prevID {
			p.aliases[k] = newID
		}
	}
	p.aliases[newID] = newID
	if w.renameTo == newID {
		w.renameTo = ""
	}
}

func (p *Poller) sortedWatchesLocked(kind string) []*watch {
	var ws []*watch
	for _, w := range p.watches {
		if w.kind == kind {
			ws = append(ws, w)
		}
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].id < ws[j].id })
	return ws
}

// emit sends changes in order, waiting for the reader if the buffer is full.
// The caller holds cycleMu.
func (p *Poller) emit(ctx context.Context, cs ...Change) {
	if p.closed {
		return
	}
	for _, c := range cs {
		select {
		case p.changes <- c:
		case <-ctx.Done():
			return
		}
	}
}

func samePending(a, b PendingChanges) bool {
	if a.InstanceID != b.InstanceID || a.EngineVersion != b.EngineVersion || a.InstanceClass != b.InstanceClass {
		return false
	}
	if (a.MultiAZ == nil) != (b.MultiAZ == nil) || (a.MultiAZ != nil && *a.MultiAZ != *b.MultiAZ) {
		return false
	}
	if len(a.Other) != len(b.Other) {
		return false
	}
	for i := range a.Other {
		if a.Other[i] != b.Other[i] {
			return false
		}
	}
	return true
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
