package awsclient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
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

// Poller defaults.
//
// The poller spends its requests where changes are due. A watcher says when
// it expects its change (Expect); until a window's width before that window
// the poller looks once every EarlyInterval, then every FarInterval, in the
// window as often as the budget saved meanwhile allows (down to
// FastInterval), and past it backs off. What nobody expects is looked at
// every Interval while it changes and every IdleInterval once steady.
// DefaultMaxRate caps it all as a token bucket: 1 % of the account's 12
// requests a second sustained (AWS's own bucket for the account refills at
// 12 a second and holds 300), with up to DefaultBurst requests saved for a
// window — about what a 12-minute wait saves before its window, so that a
// long wait keeps its savings; spent over a window of minutes, that is
// well under a request a second (BENCHMARKS.md, "Detection latency", has
// the figures behind these defaults). One look costs one
// DescribeDBInstances for every watched instance together and one
// DescribeDBSnapshots for every watched snapshot; when both kinds are only
// to be glanced at, one DescribeEvents since the last glance stands in for
// the two, and only what it names is described.
const (
	DefaultMaxRate       = 0.01 * AccountRequestRate // 0.12 requests a second
	DefaultBurst         = 60
	DefaultFastInterval  = 2 * time.Second
	DefaultFarInterval   = 20 * time.Second
	DefaultEarlyInterval = 60 * time.Second
	DefaultPollInterval  = 10 * time.Second
	DefaultIdleInterval  = 20 * time.Second
	DefaultSettle        = time.Minute
	DefaultCheckEvery    = 2 * time.Minute
	DefaultMaxBackoff    = 2 * time.Minute
	DefaultGoneAfter     = 3
	// startTokens is the bucket's level when the poller starts: enough for
	// the first samples, no more, so that a fresh poller's first wait costs
	// no more than its share.
	startTokens = 3
	// minRealGap keeps a rehearsal played very fast from spinning: never
	// two cycles closer than this in real time.
	minRealGap = 20 * time.Millisecond
	// eventOverlap is how far before the last events call the next one
	// starts (instants on the wall clock): AWS may list an event some time
	// after its date, and the two clocks may disagree. Events seen already
	// are skipped.
	eventOverlap = 2 * time.Minute
	// eventSkew is how long before a resource's last sample an event still
	// counts as news about it.
	eventSkew = 30 * time.Second
	// queueCap bounds a watcher's unread samples; past it the oldest go.
	queueCap = 256
)

// PollerOptions tune the poller. Zero values take the defaults above.
type PollerOptions struct {
	// Interval is the period of a changing resource nobody expects a change
	// of at a given time (the command line's --poll-interval).
	Interval time.Duration
	// IdleInterval is the period once a resource is steady (available,
	// stopped, gone) and nothing changed for Settle.
	IdleInterval time.Duration
	// FastInterval is the shortest period, when a change is due.
	FastInterval time.Duration
	// FarInterval is the longest period in and past the window where a
	// change is due.
	FarInterval time.Duration
	// EarlyInterval is the period before that window opens.
	EarlyInterval time.Duration
	// Settle is how long after the last change a resource still counts as
	// changing.
	Settle time.Duration
	// CheckEvery bounds how long RDS events alone may stand in for a
	// describe of a watched resource (some status changes have no event).
	CheckEvery time.Duration
	// MaxRate caps the poller's requests per second (the clock's seconds).
	MaxRate float64
	// Burst is how many requests the poller may save for a due window.
	Burst float64
	// MaxBackoff caps the wait after repeated failures (throttling, network).
	MaxBackoff time.Duration
	// Jitter adds up to this fraction of each period at random (default
	// 0.1; negative: none). It only lengthens waits.
	Jitter float64
	// GoneAfter is how many describes an instance must be missing from
	// before it is reported gone, unless it was last seen deleting (then at
	// once) or being renamed (then never: it is followed to its new name).
	GoneAfter int
	// NoEvents turns DescribeEvents off (benchmarks compare).
	NoEvents bool
}

func (o PollerOptions) withDefaults() PollerOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Interval, DefaultPollInterval)
	def(&o.IdleInterval, DefaultIdleInterval)
	def(&o.FastInterval, DefaultFastInterval)
	def(&o.FarInterval, DefaultFarInterval)
	def(&o.EarlyInterval, DefaultEarlyInterval)
	def(&o.Settle, DefaultSettle)
	def(&o.CheckEvery, DefaultCheckEvery)
	def(&o.MaxBackoff, DefaultMaxBackoff)
	if o.FarInterval < o.FastInterval {
		o.FarInterval = o.FastInterval
	}
	if o.EarlyInterval < o.FastInterval {
		o.EarlyInterval = o.FastInterval
	}
	if o.MaxRate <= 0 {
		o.MaxRate = DefaultMaxRate
	}
	if o.Burst < 1 {
		o.Burst = DefaultBurst
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
	return o
}

// PollerStats counts what the poller has done.
type PollerStats struct {
	Cycles   int64
	Requests int64 // HTTP requests the poller sent, events calls included
	Events   int64 // DescribeEvents requests among them
	Errors   int64 // failed calls
	Started  time.Time
	// Rate is Requests per second of the poller's clock since Started.
	Rate float64
	// Share is Rate as a fraction of AccountRequestRate.
	Share float64
}

// The kinds of resource Watch takes.
const (
	ResourceInstance = "instance"
	ResourceSnapshot = "snapshot"
)

// resourceIDPattern matches an instance's resource id (DbiResourceId), which
// a rename keeps. Identifiers are lower case, so they never match.
var resourceIDPattern = regexp.MustCompile(`^db-[A-Z0-9]{20,40}$`)

// watch is one watched resource and its subscribers.
type watch struct {
	kind     string // ResourceInstance or ResourceSnapshot
	id       string // current identifier
	asked    string // identifier (or resource id) it was first watched as
	resource string // the resource id it is pinned to (watched by resource id), else ""
	renameTo string // pending new identifier, if a rename is underway
	prevID   string // set for one emission after a rename
	seen     bool
	gone     bool
	missing  int
	inst     Instance
	snap     Snapshot
	last     Change
	changed  time.Time // instant of the last change (or of the first watch)
	checked  time.Time // instant of the last look (describe or events) covering it
	describe time.Time // instant of the last describe covering it
	signal   bool      // an RDS event named it since its last describe
	subs     []*sub
}

// sub is one Watch call: its expectation and its channel.
type sub struct {
	w      *watch
	start  time.Time
	expect Expect
	after  int64 // the cycle running when it subscribed; its first sample comes from a later one
	first  bool  // its first sample was sent

	mu     sync.Mutex
	ch     chan Change
	closed bool
}

// push sends c without waiting: when the reader is queueCap samples behind,
// the oldest goes (a reader that far behind wants the latest).
func (s *sub) push(c Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for {
		select {
		case s.ch <- c:
			return
		default:
			select {
			case <-s.ch:
			default:
			}
		}
	}
}

func (s *sub) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// Poller is the run's single loop sampling every watched instance and
// snapshot, and fanning the samples out to each Watch call. Watch, Follow,
// Latest and Stats are safe from any goroutine while Run runs.
type Poller struct {
	c    *Client
	clk  clock.Clock
	opts PollerOptions

	mu         sync.Mutex
	watches    map[string]*watch // by kind/current id
	aliases    map[string]string // kind/asked id -> kind/current id
	stats      PollerStats
	budget     bucket
	seq        int64     // cycles started
	lastCycle  time.Time // instant the last cycle started
	failures   int       // consecutive failed cycles
	jitter     float64   // this period's jitter factor
	lastEvents time.Time // instant of the last DescribeEvents
	seenEvents map[string]time.Time

	cycleMu sync.Mutex
	wake    chan struct{}
	done    chan struct{} // closed when Run returns
	runOnce sync.Once
	count   func(*middleware.Stack) error
}

// NewPoller returns a poller sampling through c on clk. Start it with Run.
func NewPoller(c *Client, clk clock.Clock, opts PollerOptions) *Poller {
	if clk == nil {
		clk = clock.Real{}
	}
	p := &Poller{
		c: c, clk: clk, opts: opts.withDefaults(),
		watches: map[string]*watch{}, aliases: map[string]string{}, seenEvents: map[string]time.Time{},
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	p.budget = bucket{rate: p.opts.MaxRate, burst: p.opts.Burst, tokens: startTokens, clk: clk}
	p.count = func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("datalayerPollerCount",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				p.mu.Lock()
				p.stats.Requests++
				if op := middleware.GetOperationName(ctx); op == "DescribeEvents" {
					p.stats.Events++
				}
				p.budget.take(1)
				p.mu.Unlock()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
	return p
}

// Options returns the options in effect (defaults filled in).
func (p *Poller) Options() PollerOptions { return p.opts }

func key(kind, id string) string { return kind + "/" + strings.ToLower(id) }

// Watch starts watching an instance (kind "instance": an identifier, or a
// resource id such as db-ABC…, which a rename keeps) or a snapshot (kind
// "snapshot") and returns this watcher's samples until ctx ends or Run
// returns (then the channel closes). The first sample is always sent, taken
// after the call: the resource as it is then, or Gone when it does not
// exist. Then every change: a new status, a rename followed, a change in a
// field the runbooks watch, Gone when it disappears. A failed look is sent
// as a sample with Err (and its text in Error) and no ID; the poller keeps
// going. exp says when the change waited for is due (the zero Expect when
// nobody knows), which is where the poller spends its requests.
func (p *Poller) Watch(ctx context.Context, kind, id string, exp Expect) <-chan Change {
	if err := validateWatch(kind, id); err != nil {
		out := make(chan Change, 1)
		err = fmt.Errorf("cannot watch %s %q: %w", kind, id, err)
		out <- Change{Kind: kind, ID: id, Err: err, Error: err.Error(), At: p.clk.Now()}
		close(out)
		return out
	}
	s := p.subscribe(kind, id, exp)
	go func() {
		select {
		case <-ctx.Done():
		case <-p.done:
		}
		p.unsubscribe(s)
		s.close()
	}()
	return s.ch
}

func validateWatch(kind, id string) error {
	switch kind {
	case ResourceInstance:
		if resourceIDPattern.MatchString(id) {
			return nil
		}
		return ValidateInstanceID(id)
	case ResourceSnapshot:
		return ValidateSnapshotRef(id)
	}
	return fmt.Errorf("%w: unknown kind %q (instance or snapshot)", ErrInvalidInput, kind)
}

func (p *Poller) subscribe(kind, id string, exp Expect) *sub {
	p.mu.Lock()
	k := key(kind, id)
	if cur, ok := p.aliases[k]; ok {
		k = cur
	}
	w, ok := p.watches[k]
	if !ok {
		w = &watch{kind: kind, id: id, asked: id, changed: p.clk.Now()}
		if kind == ResourceInstance && resourceIDPattern.MatchString(id) {
			w.resource = id
		}
		p.watches[k] = w
		p.aliases[k] = k
	}
	s := &sub{w: w, start: p.clk.Now(), expect: exp, after: p.seq, ch: make(chan Change, queueCap)}
	w.subs = append(w.subs, s)
	p.mu.Unlock()
	p.poke()
	return s
}

// unsubscribe drops a watcher; a resource nobody watches any more is no
// longer sampled.
func (p *Poller) unsubscribe(s *sub) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w := s.w
	for i, x := range w.subs {
		if x == s {
			w.subs = append(w.subs[:i], w.subs[i+1:]...)
			break
		}
	}
	if len(w.subs) > 0 {
		return
	}
	cur := key(w.kind, w.id)
	delete(p.watches, cur)
	for k, v := range p.aliases {
		if v == cur {
			delete(p.aliases, k)
		}
	}
}

// Follow tells the poller that oldID is being renamed to newID, so the
// instance is looked up under both names and never reported gone in the
// window where neither answers.
func (p *Poller) Follow(oldID, newID string) error {
	if err := ValidateInstanceID(newID); err != nil {
		return err
	}
	p.mu.Lock()
	if cur, ok := p.aliases[key(ResourceInstance, oldID)]; ok {
		if w, ok := p.watches[cur]; ok {
			w.renameTo = newID
			w.changed = p.clk.Now()
		}
	}
	p.mu.Unlock()
	p.poke()
	return nil
}

// Latest returns the latest sample of a watched resource (by the identifier
// it was watched as, or its current one) as a Change; ok is false before
// the first sample or when nobody watches it.
func (p *Poller) Latest(kind, id string) (Change, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.watches[p.aliases[key(kind, id)]]
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

// poke wakes Run to plan again (a new watch is sampled at once, budget
// permitting).
func (p *Poller) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run samples until ctx ends, then closes every watcher's channel. It
// returns ctx's error. Only the first call runs; later calls return at once
// with an error.
func (p *Poller) Run(ctx context.Context) error {
	started := false
	p.runOnce.Do(func() { started = true })
	if !started {
		return errors.New("poller: Run was already called; a run has one poller")
	}
	defer close(p.done)
	p.mu.Lock()
	if p.stats.Started.IsZero() {
		p.stats.Started = p.clk.Now()
	}
	p.mu.Unlock()
	for {
		// This plan sees every watch added so far: a poke from before it
		// would only wake the loop to plan again, leaving a timer behind.
		select {
		case <-p.wake:
		default:
		}
		wait, any := p.nextIn()
		if !any {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-p.wake:
				continue
			}
		}
		if wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-p.clk.After(wait):
			case <-p.wake:
			}
			continue
		}
		_ = p.cycle(ctx, false) // failures reach the watchers as samples
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// PollOnce runs one cycle now that describes everything watched, whatever
// is due (tests, benchmarks, a one-shot look).
func (p *Poller) PollOnce(ctx context.Context) error {
	return p.cycle(ctx, true)
}

// look is what one watch wants of this cycle.
type look int

const (
	lookSignal   look = iota // an events call may stand in for a describe
	lookDescribe             // a describe
)

// wantLocked says how soon w wants a look, and which kind. tol is how
// early a look may come (so that watches due close together share a
// cycle). Each subscriber's pace is taken as it was at w's last look, so
// that a look planned for the opening of a window comes then.
func (p *Poller) wantLocked(w *watch, tokens float64) (in, tol time.Duration, l look) {
	for _, s := range w.subs {
		if !s.first {
			return 0, 0, lookDescribe
		}
	}
	if w.signal || w.checked.IsZero() {
		return 0, 0, lookDescribe
	}
	sinceLook := p.clk.Since(w.checked)
	steady := w.steady() && p.clk.Since(w.changed) >= p.opts.Settle
	best := pace{every: time.Duration(1<<62 - 1)}
	if len(w.subs) == 0 {
		best = p.opts.paceOf(Expect{}, 0, tokens, steady)
	}
	for _, s := range w.subs {
		el := p.clk.Since(s.start) - sinceLook
		if el < 0 {
			el = 0
		}
		pc := p.opts.paceOf(s.expect, el, tokens, steady)
		if pc.every < best.every || (pc.every == best.every && pc.precise) {
			best = pc
		}
	}
	every := time.Duration(float64(best.every) * (1 + p.jitter))
	l = lookSignal
	if best.precise || p.clk.Since(w.describe) >= p.opts.CheckEvery {
		l = lookDescribe
	}
	return every - sinceLook, every / 10, l
}

// steady reports whether the resource is where it stays by itself.
func (w *watch) steady() bool {
	switch {
	case w.gone:
		return true
	case !w.seen || w.renameTo != "":
		return false
	case w.kind == ResourceInstance:
		return w.inst.Status == "available" || w.inst.Status == "stopped"
	}
	return w.snap.Status == "available"
}

// nextIn is how long until the next cycle is due; any is false when
// nothing is watched.
func (p *Poller) nextIn() (wait time.Duration, any bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.watches) == 0 {
		return 0, false
	}
	tokens := p.budget.level()
	wait = time.Duration(1<<63 - 1)
	for _, w := range p.watches {
		in, _, _ := p.wantLocked(w, tokens)
		if in < wait {
			wait = in
		}
	}
	if b := p.budget.wait(); b > wait {
		wait = b
	}
	if !p.lastCycle.IsZero() {
		since := p.clk.Since(p.lastCycle)
		if p.failures > 0 {
			back := p.opts.Interval
			for i := 1; i < p.failures && back < p.opts.MaxBackoff; i++ {
				back *= 2
			}
			if back > p.opts.MaxBackoff {
				back = p.opts.MaxBackoff
			}
			if back-since > wait {
				wait = back - since
			}
		}
		if gap := clock.SpeedOf(p.clk).SimTime(minRealGap) - since; gap > wait {
			wait = gap
		}
	}
	return wait, true
}

// cyclePlan is what one cycle asks AWS.
type cyclePlan struct {
	seq       int64
	describe  map[string]bool // kinds to describe
	events    bool            // glance at events for the kinds in glance
	glance    map[string]bool
	instIDs   []string // identifiers to describe (with pending rename targets)
	snapIDs   []string
	resources []string // resource ids of instance watches not found yet
	// covered are the watches the describes ask about; a watch added
	// meanwhile is not missing from the answer.
	covered map[*watch]bool
}

// plan decides, under p.mu, what this cycle asks: a describe of a kind
// where any due watch needs one; for kinds only glanced at, one events call
// when it stands in for two or more describes, else the describes.
func (p *Poller) planLocked(all bool) cyclePlan {
	p.seq++
	pl := cyclePlan{seq: p.seq, describe: map[string]bool{}, glance: map[string]bool{}}
	tokens := p.budget.level()
	for _, w := range p.watches {
		in, tol, l := p.wantLocked(w, tokens)
		switch {
		case all:
			pl.describe[w.kind] = true
		case in > tol:
		case l == lookDescribe:
			pl.describe[w.kind] = true
		default:
			pl.glance[w.kind] = true
		}
	}
	for k := range pl.glance {
		if pl.describe[k] {
			delete(pl.glance, k)
		}
	}
	if len(pl.glance) >= 2 && !p.opts.NoEvents {
		pl.events = true
	} else {
		for k := range pl.glance {
			pl.describe[k] = true
		}
		pl.glance = map[string]bool{}
	}
	p.collectIDsLocked(&pl)
	return pl
}

// collectIDsLocked lists what the describes of pl ask for: every watched
// resource of a described kind (one request covers them all).
func (p *Poller) collectIDsLocked(pl *cyclePlan) {
	pl.instIDs, pl.snapIDs, pl.resources = nil, nil, nil
	pl.covered = map[*watch]bool{}
	for _, w := range p.watches {
		if pl.describe[w.kind] {
			pl.covered[w] = true
		}
		switch {
		case w.kind == ResourceInstance && pl.describe[ResourceInstance]:
			if w.resource != "" && !w.seen {
				pl.resources = append(pl.resources, w.resource)
				continue
			}
			pl.instIDs = append(pl.instIDs, w.id)
			if w.renameTo != "" {
				pl.instIDs = append(pl.instIDs, w.renameTo)
			}
		case w.kind == ResourceSnapshot && pl.describe[ResourceSnapshot]:
			pl.snapIDs = append(pl.snapIDs, w.id)
		}
	}
	sort.Strings(pl.instIDs)
	sort.Strings(pl.snapIDs)
	sort.Strings(pl.resources)
	pl.instIDs = dedupe(pl.instIDs)
	pl.snapIDs = dedupe(pl.snapIDs)
	pl.resources = dedupe(pl.resources)
}

// cycle runs one cycle: plan, ask, record, deliver.
func (p *Poller) cycle(ctx context.Context, all bool) error {
	p.cycleMu.Lock()
	defer p.cycleMu.Unlock()
	p.mu.Lock()
	p.lastCycle = p.clk.Now()
	p.jitter = rand.Float64() * p.opts.Jitter
	p.stats.Cycles++
	if p.stats.Started.IsZero() {
		p.stats.Started = p.lastCycle
	}
	pl := p.planLocked(all)
	p.mu.Unlock()

	opt := func(o *rds.Options) {
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 1)
		o.APIOptions = append(o.APIOptions, p.count)
	}
	var errs []error
	failed := func(kinds []string, err error) {
		errs = append(errs, err)
		p.mu.Lock()
		p.stats.Errors++
		p.mu.Unlock()
		p.failLooks(kinds, err)
	}
	if pl.events {
		if err := p.glanceEvents(ctx, opt); err != nil {
			failed([]string{ResourceInstance, ResourceSnapshot}, err)
		} else {
			p.mu.Lock()
			now := p.clk.Now()
			for _, w := range p.watches {
				if pl.glance[w.kind] {
					w.checked = now
				}
				if w.signal {
					pl.describe[w.kind] = true
				}
			}
			p.collectIDsLocked(&pl)
			p.mu.Unlock()
		}
	}
	if len(pl.instIDs) > 0 || len(pl.resources) > 0 {
		if err := p.describeInstances(ctx, pl, opt); err != nil {
			failed([]string{ResourceInstance}, err)
		}
	}
	if len(pl.snapIDs) > 0 {
		list, err := p.c.describeSnapshots(ctx, []rdstypes.Filter{{Name: aws.String("db-snapshot-id"), Values: pl.snapIDs}}, opt)
		if err != nil {
			failed([]string{ResourceSnapshot}, err)
		} else {
			p.applySnapshots(list, pl)
		}
	}
	p.mu.Lock()
	if len(errs) > 0 {
		p.failures++
	} else {
		p.failures = 0
	}
	p.mu.Unlock()
	return errors.Join(errs...)
}

// describeInstances samples the watched instances, and looks up by resource
// id those watched by it and not found yet, and those gone missing without a
// known rename.
func (p *Poller) describeInstances(ctx context.Context, pl cyclePlan, opt func(*rds.Options)) error {
	var found []Instance
	if len(pl.resources) > 0 {
		list, err := p.c.describeInstances(ctx, []rdstypes.Filter{{Name: aws.String("dbi-resource-id"), Values: pl.resources}}, opt)
		if err != nil {
			return err
		}
		found = list
	}
	var list []Instance
	if len(pl.instIDs) > 0 {
		var err error
		list, err = p.c.describeInstances(ctx, []rdstypes.Filter{{Name: aws.String("db-instance-id"), Values: pl.instIDs}}, opt)
		if err != nil {
			return err
		}
	}
	lookup := p.applyInstances(list, found, pl)
	if len(lookup) > 0 {
		// An instance went missing without a known rename, or its name now
		// belongs to another instance: look for it by its resource id,
		// which a rename keeps (one request, rarely).
		list, err := p.c.describeInstances(ctx, []rdstypes.Filter{{Name: aws.String("dbi-resource-id"), Values: lookup}}, opt)
		if err == nil {
			p.applyFound(list, pl.seq)
		}
	}
	return nil
}

// glanceEvents lists the RDS events since the last glance (one call for
// every watched resource) and marks the watches they name.
func (p *Poller) glanceEvents(ctx context.Context, opt func(*rds.Options)) error {
	p.mu.Lock()
	since := p.lastEvents
	if since.IsZero() {
		since = p.stats.Started
	}
	p.mu.Unlock()
	now := p.clk.Now()
	evs, err := p.c.allEvents(ctx, since.Add(-eventOverlap), opt)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastEvents = now
	for k, at := range p.seenEvents {
		if at.Before(now.Add(-4 * eventOverlap)) {
			delete(p.seenEvents, k)
		}
	}
	for _, e := range evs {
		k := e.SourceType + "|" + strings.ToLower(e.SourceID) + "|" + e.Time.UTC().Format(time.RFC3339Nano) + "|" + e.Message
		if _, dup := p.seenEvents[k]; dup {
			continue
		}
		p.seenEvents[k] = e.Time
		kind := ""
		switch e.SourceType {
		case "db-instance":
			kind = ResourceInstance
		case "db-snapshot":
			kind = ResourceSnapshot
		default:
			continue
		}
		for _, w := range p.watches {
			if w.kind == kind && w.names(e.SourceID) && !e.Time.Before(w.describe.Add(-eventSkew)) {
				w.signal = true
			}
		}
	}
	return nil
}

// names reports whether id is one of the names the watch goes by.
func (w *watch) names(id string) bool {
	for _, n := range []string{w.id, w.asked, w.renameTo, w.prevID} {
		if n != "" && strings.EqualFold(n, id) {
			return true
		}
	}
	return false
}

// failLooks sends a failed look to the subscribers of the kinds it was for.
func (p *Poller) failLooks(kinds []string, err error) {
	c := Change{Err: err, Error: err.Error(), At: p.clk.Now()}
	if len(kinds) == 1 {
		c.Kind = kinds[0]
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.watches {
		for _, k := range kinds {
			if w.kind == k {
				for _, s := range w.subs {
					s.push(c)
				}
			}
		}
	}
}

// applyInstances records a describe of the instances (list; found: those
// looked up by resource id) and delivers. It returns the resource ids to
// look up: instances gone missing without a known rename, and pinned ones
// whose name now answers for another instance.
func (p *Poller) applyInstances(list, found []Instance, pl cyclePlan) []string {
	seq := pl.seq
	byID := make(map[string]Instance, len(list))
	for _, in := range list {
		byID[strings.ToLower(in.ID)] = in
	}
	byRes := make(map[string]Instance, len(found))
	for _, in := range found {
		byRes[in.ResourceID] = in
	}
	now := p.clk.Now()
	var lookup []string
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.sortedWatchesLocked(ResourceInstance) {
		if !pl.covered[w] {
			continue
		}
		if w.resource != "" && !w.seen {
			in, ok := byRes[w.resource]
			w.checked, w.describe, w.signal = now, now, false
			if ok {
				p.rekeyLocked(w, in.ID)
				w.prevID = ""
				p.deliverLocked(w, w.sampleInstance(in, now), seq)
			} else {
				p.deliverLocked(w, w.markMissing(now), seq)
			}
			continue
		}
		w.checked, w.describe, w.signal = now, now, false
		in, ok := byID[strings.ToLower(w.id)]
		if ok && w.resource != "" && in.ResourceID != w.resource {
			ok = false // the name is another instance's now
		}
		if !ok && w.renameTo != "" {
			if in, ok = byID[strings.ToLower(w.renameTo)]; ok {
				p.rekeyLocked(w, in.ID)
			}
		}
		if ok {
			p.deliverLocked(w, w.sampleInstance(in, now), seq)
			continue
		}
		if !w.seen || w.gone {
			p.deliverLocked(w, w.markMissing(now), seq)
			continue
		}
		w.missing++
		var c *Change
		switch {
		case w.inst.Status == "deleting":
			c = w.markMissing(now)
		case w.renameTo != "" || w.inst.Status == "renaming":
			// The window in which neither name answers: keep waiting.
		case w.missing >= p.opts.GoneAfter:
			c = w.markMissing(now)
		default:
			if w.inst.ResourceID != "" {
				lookup = append(lookup, w.inst.ResourceID)
			}
		}
		p.deliverLocked(w, c, seq)
	}
	return lookup
}

// applyFound matches instances found by resource id to missing watches.
func (p *Poller) applyFound(list []Instance, seq int64) {
	now := p.clk.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, in := range list {
		for _, w := range p.sortedWatchesLocked(ResourceInstance) {
			if w.seen && !w.gone && w.inst.ResourceID == in.ResourceID && w.id != in.ID {
				p.rekeyLocked(w, in.ID)
				p.deliverLocked(w, w.sampleInstance(in, now), seq)
			}
		}
	}
}

// applySnapshots records a describe of the watched snapshots and delivers.
func (p *Poller) applySnapshots(list []Snapshot, pl cyclePlan) {
	byID := make(map[string]Snapshot, len(list))
	for _, s := range list {
		byID[strings.ToLower(s.ID)] = s
	}
	now := p.clk.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.sortedWatchesLocked(ResourceSnapshot) {
		if !pl.covered[w] {
			continue
		}
		w.checked, w.describe, w.signal = now, now, false
		s, ok := byID[strings.ToLower(w.id)]
		if !ok {
			p.deliverLocked(w, w.markMissing(now), pl.seq)
			continue
		}
		first := !w.seen || w.gone
		cp := s
		var out *Change
		if first || s.Status != w.snap.Status || s.PercentProgress != w.snap.PercentProgress {
			c := Change{Kind: ResourceSnapshot, ID: s.ID, NewStatus: s.Status, At: now, Watched: w.asked, Snapshot: &cp}
			if !first {
				c.OldStatus = w.snap.Status
			}
			w.last, w.changed = c, now
			out = &c
		} else {
			w.last.Snapshot = &cp
		}
		w.seen, w.gone, w.snap = true, false, s
		p.deliverLocked(w, out, pl.seq)
	}
}

// deliverLocked queues a change (nil: none) for w's subscribers, and the
// resource as it is now for those still waiting for their first sample
// from a cycle that started after they subscribed.
func (p *Poller) deliverLocked(w *watch, c *Change, seq int64) {
	for _, s := range w.subs {
		switch {
		case !s.first && s.after < seq:
			s.first = true
			if c != nil {
				s.push(*c)
			} else {
				s.push(w.current(p.clk.Now()))
			}
		case s.first && c != nil:
			s.push(*c)
		}
	}
}

// current is the resource as last sampled, as a first sample.
func (w *watch) current(now time.Time) Change {
	c := w.last
	c.At, c.OldStatus, c.PreviousID = now, "", ""
	if c.Kind == "" {
		c.Kind, c.ID, c.Watched = w.kind, w.id, w.asked
	}
	if !w.seen || w.gone {
		c.Gone, c.NewStatus = true, ""
	}
	return c
}

// sampleInstance records in and returns the change to deliver, if any: a
// new status, a first sample, a rename, or a change in a field the
// runbooks watch (pending values, parameter apply status, engine version,
// address).
func (w *watch) sampleInstance(in Instance, now time.Time) *Change {
	first := !w.seen || w.gone
	old := w.inst
	changed := first || w.prevID != "" || in.Status != old.Status ||
		in.ParameterApplyStatus != old.ParameterApplyStatus || in.EngineVersion != old.EngineVersion ||
		in.Address != old.Address || !samePending(in.Pending, old.Pending)
	w.seen, w.gone, w.missing, w.inst = true, false, 0, in
	if in.Pending.InstanceID != "" {
		w.renameTo = in.Pending.InstanceID
	} else if strings.EqualFold(w.renameTo, in.ID) {
		w.renameTo = ""
	}
	cp := in
	if !changed {
		w.last.Instance = &cp
		return nil
	}
	c := Change{Kind: ResourceInstance, ID: in.ID, NewStatus: in.Status, At: now, Instance: &cp, PreviousID: w.prevID, Watched: w.asked}
	if !first {
		c.OldStatus = old.Status
	}
	w.prevID = ""
	w.last, w.changed = c, now
	return &c
}

// markMissing records that the resource is not there: a change (Gone) when
// it was there before, nothing when it was already gone or never seen.
func (w *watch) markMissing(now time.Time) *Change {
	if !w.seen || w.gone {
		w.gone = w.seen
		return nil
	}
	c := Change{Kind: w.kind, ID: w.id, Gone: true, At: now, Watched: w.asked}
	if w.kind == ResourceInstance {
		c.OldStatus = w.inst.Status
		cp := w.inst
		c.Instance = &cp
	} else {
		c.OldStatus = w.snap.Status
		cp := w.snap
		c.Snapshot = &cp
	}
	w.gone, w.missing = true, 0
	w.last, w.changed = c, now
	return &c
}

// rekeyLocked moves a watch to its new identifier after a rename.
func (p *Poller) rekeyLocked(w *watch, newID string) {
	if w.id == newID {
		return
	}
	oldKey, newKey := key(w.kind, w.id), key(w.kind, newID)
	delete(p.watches, oldKey)
	w.prevID = w.id
	w.id = newID
	if other, ok := p.watches[newKey]; ok && other != w {
		// Another watch knew the new name before (it waited for it): both
		// now follow the same resource under it.
		for _, s := range other.subs {
			s.w = w
		}
		w.subs = append(w.subs, other.subs...)
	}
	p.watches[newKey] = w
	for k, v := range p.aliases {
		if v == oldKey || v == newKey {
			p.aliases[k] = newKey
		}
	}
	p.aliases[newKey] = newKey
	if strings.EqualFold(w.renameTo, newID) {
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

// allEvents lists every event in the region since a time, all pages.
func (c *Client) allEvents(ctx context.Context, since time.Time, optFns ...func(*rds.Options)) ([]Event, error) {
	p := rds.NewDescribeEventsPaginator(c.rds, &rds.DescribeEventsInput{StartTime: aws.Time(since)})
	var out []Event
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, optFns...)
		if err != nil {
			return nil, wrapErr("list events", err)
		}
		for _, e := range page.Events {
			out = append(out, eventFrom(e))
		}
	}
	return out, nil
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
