package awsclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/datalayer-tool/datalayer/clock"
)

// RDSAPI lists the RDS calls the program makes; *rds.Client implements it.
type RDSAPI interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, optFns ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribeDBSnapshots(ctx context.Context, in *rds.DescribeDBSnapshotsInput, optFns ...func(*rds.Options)) (*rds.DescribeDBSnapshotsOutput, error)
	CreateDBSnapshot(ctx context.Context, in *rds.CreateDBSnapshotInput, optFns ...func(*rds.Options)) (*rds.CreateDBSnapshotOutput, error)
	RestoreDBInstanceFromDBSnapshot(ctx context.Context, in *rds.RestoreDBInstanceFromDBSnapshotInput, optFns ...func(*rds.Options)) (*rds.RestoreDBInstanceFromDBSnapshotOutput, error)
	ModifyDBInstance(ctx context.Context, in *rds.ModifyDBInstanceInput, optFns ...func(*rds.Options)) (*rds.ModifyDBInstanceOutput, error)
	DescribeDBEngineVersions(ctx context.Context, in *rds.DescribeDBEngineVersionsInput, optFns ...func(*rds.Options)) (*rds.DescribeDBEngineVersionsOutput, error)
	DescribePendingMaintenanceActions(ctx context.Context, in *rds.DescribePendingMaintenanceActionsInput, optFns ...func(*rds.Options)) (*rds.DescribePendingMaintenanceActionsOutput, error)
	ApplyPendingMaintenanceAction(ctx context.Context, in *rds.ApplyPendingMaintenanceActionInput, optFns ...func(*rds.Options)) (*rds.ApplyPendingMaintenanceActionOutput, error)
	DescribeEvents(ctx context.Context, in *rds.DescribeEventsInput, optFns ...func(*rds.Options)) (*rds.DescribeEventsOutput, error)
	DescribeDBParameterGroups(ctx context.Context, in *rds.DescribeDBParameterGroupsInput, optFns ...func(*rds.Options)) (*rds.DescribeDBParameterGroupsOutput, error)
	DescribeDBParameters(ctx context.Context, in *rds.DescribeDBParametersInput, optFns ...func(*rds.Options)) (*rds.DescribeDBParametersOutput, error)
	DescribeEngineDefaultParameters(ctx context.Context, in *rds.DescribeEngineDefaultParametersInput, optFns ...func(*rds.Options)) (*rds.DescribeEngineDefaultParametersOutput, error)
	DescribeDBLogFiles(ctx context.Context, in *rds.DescribeDBLogFilesInput, optFns ...func(*rds.Options)) (*rds.DescribeDBLogFilesOutput, error)
	DownloadDBLogFilePortion(ctx context.Context, in *rds.DownloadDBLogFilePortionInput, optFns ...func(*rds.Options)) (*rds.DownloadDBLogFilePortionOutput, error)
	RestoreDBInstanceToPointInTime(ctx context.Context, in *rds.RestoreDBInstanceToPointInTimeInput, optFns ...func(*rds.Options)) (*rds.RestoreDBInstanceToPointInTimeOutput, error)
	DescribeDBInstanceAutomatedBackups(ctx context.Context, in *rds.DescribeDBInstanceAutomatedBackupsInput, optFns ...func(*rds.Options)) (*rds.DescribeDBInstanceAutomatedBackupsOutput, error)
}

// STSAPI lists the STS calls the program makes; *sts.Client implements it.
type STSAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var (
	_ RDSAPI = (*rds.Client)(nil)
	_ STSAPI = (*sts.Client)(nil)
	_ API    = (*Client)(nil)
)

// RenameBackoff tunes how Rename waits while AWS refuses the new name and
// while neither name answers.
type RenameBackoff struct {
	// First is the wait after the first refusal (default 15 s).
	First time.Duration
	// Max caps one wait; waits double up to it (default 2 min).
	Max time.Duration
	// GiveUp is the total time after which Rename stops trying (default 30 min).
	GiveUp time.Duration
	// Tick is how often progress is called during a wait, so a person sees a
	// countdown (default 1 s; negative: only once per wait).
	Tick time.Duration
	// Poll is the wait between looks for the new name once AWS accepted the
	// rename (default 10 s).
	Poll time.Duration
}

func (b RenameBackoff) withDefaults() RenameBackoff {
	if b.First <= 0 {
		b.First = 15 * time.Second
	}
	if b.Max <= 0 {
		b.Max = 2 * time.Minute
	}
	if b.Max < b.First {
		b.Max = b.First
	}
	if b.GiveUp <= 0 {
		b.GiveUp = 30 * time.Minute
	}
	if b.Tick == 0 {
		b.Tick = time.Second
	}
	if b.Poll <= 0 {
		b.Poll = 10 * time.Second
	}
	return b
}

// Client implements API over aws-sdk-go-v2. It is safe for concurrent use.
type Client struct {
	rds      RDSAPI
	sts      STSAPI
	cfg      aws.Config
	clk      clock.Clock
	endpoint string
	rename   RenameBackoff
	waitMin  time.Duration
	waitMax  time.Duration
	requests atomic.Int64
}

type options struct {
	endpoint   string
	clk        clock.Clock
	retryer    func() aws.Retryer
	httpClient *http.Client
	rename     RenameBackoff
	waitMin    time.Duration
	waitMax    time.Duration
	rdsAPI     RDSAPI
	stsAPI     STSAPI
}

// Option configures a Client.
type Option func(*options)

// WithEndpoint points RDS and STS at url (the simulator, LocalStack...),
// overriding AWS_ENDPOINT_URL and friends.
func WithEndpoint(url string) Option { return func(o *options) { o.endpoint = url } }

// WithClock sets the clock Rename waits on (default the wall clock).
func WithClock(c clock.Clock) Option { return func(o *options) { o.clk = c } }

// WithRetry tunes the SDK's standard retryer: at most maxAttempts tries per
// call, waiting at most maxBackoff between them (jittered). Tests use a few
// milliseconds; zero values keep the SDK's defaults (3 tries, 20 s).
func WithRetry(maxAttempts int, maxBackoff time.Duration) Option {
	return func(o *options) {
		o.retryer = func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				if maxAttempts > 0 {
					so.MaxAttempts = maxAttempts
				}
				if maxBackoff > 0 {
					so.MaxBackoff = maxBackoff
					so.Backoff = retry.NewExponentialJitterBackoff(maxBackoff)
				}
			})
		}
	}
}

// WithRetryer replaces the SDK retryer altogether.
func WithRetryer(fn func() aws.Retryer) Option { return func(o *options) { o.retryer = fn } }

// WithHTTPClient sets the HTTP client both services use.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithRenameBackoff tunes Rename's waits.
func WithRenameBackoff(b RenameBackoff) Option { return func(o *options) { o.rename = b } }

// WithWaiterDelay sets the SDK waiters' delays (defaults 30 s and 2 min; the
// SDK's own maximum of 30 min is far too slow for a person watching).
func WithWaiterDelay(minDelay, maxDelay time.Duration) Option {
	return func(o *options) { o.waitMin, o.waitMax = minDelay, maxDelay }
}

// WithAPIs replaces the SDK clients built from the config, e.g. to wrap them.
func WithAPIs(r RDSAPI, s STSAPI) Option {
	return func(o *options) { o.rdsAPI, o.stsAPI = r, s }
}

// New builds a Client from an aws.Config.
func New(cfg aws.Config, opts ...Option) *Client {
	o := options{clk: clock.Real{}, waitMin: 30 * time.Second, waitMax: 2 * time.Minute}
	for _, fn := range opts {
		fn(&o)
	}
	if o.waitMax < o.waitMin {
		o.waitMax = o.waitMin
	}
	c := &Client{cfg: cfg, clk: o.clk, endpoint: o.endpoint, rename: o.rename.withDefaults(), waitMin: o.waitMin, waitMax: o.waitMax}
	count := func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("datalayerRequestCount",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				c.requests.Add(1)
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
	if o.rdsAPI != nil {
		c.rds = o.rdsAPI
	} else {
		rc := rds.NewFromConfig(cfg, func(ro *rds.Options) {
			if o.endpoint != "" {
				ro.BaseEndpoint = aws.String(o.endpoint)
			}
			if o.retryer != nil {
				ro.Retryer = o.retryer()
			}
			if o.httpClient != nil {
				ro.HTTPClient = o.httpClient
			}
			if ro.HTTPClient != nil {
				ro.HTTPClient = plainBodyClient{ro.HTTPClient}
			}
			ro.APIOptions = append(ro.APIOptions, count)
		})
		c.rds = rc
		if c.endpoint == "" && rc.Options().BaseEndpoint != nil {
			c.endpoint = *rc.Options().BaseEndpoint
		}
	}
	if o.stsAPI != nil {
		c.sts = o.stsAPI
	} else {
		c.sts = sts.NewFromConfig(cfg, func(so *sts.Options) {
			if o.endpoint != "" {
				so.BaseEndpoint = aws.String(o.endpoint)
			}
			if o.retryer != nil {
				so.Retryer = o.retryer()
			}
			if o.httpClient != nil {
				so.HTTPClient = o.httpClient
			}
			if so.HTTPClient != nil {
				so.HTTPClient = plainBodyClient{so.HTTPClient}
			}
			so.APIOptions = append(so.APIOptions, count)
		})
	}
	return c
}

// LoadOptions are the few settings a user may give on the command line; all
// others come from the SDK's own environment and shared files.
type LoadOptions struct {
	// Region overrides AWS_REGION and the profile's region.
	Region string
	// Profile selects a shared-config profile, overriding AWS_PROFILE (and,
	// as in the SDK, environment keys).
	Profile string
	// Endpoint overrides AWS_ENDPOINT_URL(_RDS/_STS), e.g. a `datalayer sim`.
	Endpoint string
}

// Load reads the SDK's default configuration (AWS_PROFILE, AWS_REGION,
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_RDS, AWS_ENDPOINT_URL_STS, shared files,
// SSO...) and builds a Client from it.
func Load(ctx context.Context, lo LoadOptions, opts ...Option) (*Client, error) {
	var lf []func(*config.LoadOptions) error
	if lo.Region != "" {
		lf = append(lf, config.WithRegion(lo.Region))
	}
	if lo.Profile != "" {
		lf = append(lf, config.WithSharedConfigProfile(lo.Profile))
	}
	if lo.Endpoint != "" {
		lf = append(lf, config.WithBaseEndpoint(lo.Endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lf...)
	if err != nil {
		var pe config.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return nil, inputError("load aws config", fmt.Sprintf("the AWS profile %q does not exist in the shared config or credentials file", pe.Profile),
				"check AWS_PROFILE / --profile against ~/.aws/config and ~/.aws/credentials")
		}
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	if cfg.Region == "" {
		return nil, inputError("load aws config", "no AWS region is set",
			"set AWS_REGION (e.g. export AWS_REGION=eu-west-2) or a region in the profile")
	}
	if lo.Endpoint != "" {
		opts = append([]Option{WithEndpoint(lo.Endpoint)}, opts...)
	}
	return New(cfg, opts...), nil
}

// Requests reports how many HTTP requests (retries included) the client has
// sent so far.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Clock returns the client's clock.
func (c *Client) Clock() clock.Clock { return c.clk }

// Identity asks STS who we are and reports which credential source and
// profile the SDK picked, the region and any endpoint override.
func (c *Client) Identity(ctx context.Context) (Identity, error) {
	id := Identity{Region: c.cfg.Region, Endpoint: c.endpoint, Profile: profileOf(c.cfg)}
	if c.cfg.Credentials != nil {
		creds, err := c.cfg.Credentials.Retrieve(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return id, fmt.Errorf("read aws credentials: %w", err)
			}
			return id, &Error{Kind: KindCredentialsExpired, Op: "read aws credentials", Err: err, Message: rootMessage(err),
				Summary: "the SDK found no usable AWS credentials (expired SSO session, missing keys or profile)",
				Next:    "log in (aws sso login), export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or set AWS_PROFILE, then run `datalayer resume`"}
		}
		id.CredentialSource = creds.Source
	}
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return id, wrapErr("ask sts who we are", err)
	}
	id.Account = aws.ToString(out.Account)
	id.ARN = aws.ToString(out.Arn)
	id.UserID = aws.ToString(out.UserId)
	return id, nil
}

// profileOf finds the shared-config profile the SDK loaded.
func profileOf(cfg aws.Config) string {
	var envProfile string
	for _, src := range cfg.ConfigSources {
		switch s := src.(type) {
		case config.SharedConfig:
			if s.Profile != "" {
				return s.Profile
			}
		case *config.SharedConfig:
			if s != nil && s.Profile != "" {
				return s.Profile
			}
		case config.EnvConfig:
			envProfile = s.SharedConfigProfile
		case config.LoadOptions:
			if s.SharedConfigProfile != "" {
				return s.SharedConfigProfile
			}
		}
	}
	return envProfile
}

// Instance describes one instance by identifier (or ARN).
func (c *Client) Instance(ctx context.Context, id string) (Instance, error) {
	return c.instance(ctx, id)
}

func (c *Client) instance(ctx context.Context, id string, optFns ...func(*rds.Options)) (Instance, error) {
	op := "describe instance " + id
	if !strings.HasPrefix(id, "arn:") {
		if err := ValidateInstanceID(id); err != nil {
			return Instance{}, err
		}
	}
	out, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}, optFns...)
	if err != nil {
		return Instance{}, wrapErr(op, err)
	}
	if len(out.DBInstances) == 0 {
		return Instance{}, &Error{Kind: KindNotFound, Op: op, Code: "DBInstanceNotFound", Summary: codeHelp["DBInstanceNotFound"][0], Next: codeHelp["DBInstanceNotFound"][1]}
	}
	return instanceFrom(out.DBInstances[0]), nil
}

// Instances lists every instance in the region, all pages.
func (c *Client) Instances(ctx context.Context) ([]Instance, error) {
	return c.describeInstances(ctx, nil)
}

// describeInstances lists instances matching filters, following Marker.
func (c *Client) describeInstances(ctx context.Context, filters []rdstypes.Filter, optFns ...func(*rds.Options)) ([]Instance, error) {
	p := rds.NewDescribeDBInstancesPaginator(c.rds, &rds.DescribeDBInstancesInput{Filters: filters})
	var all []Instance
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, optFns...)
		if err != nil {
			return nil, wrapErr("list instances", err)
		}
		for _, d := range page.DBInstances {
			all = append(all, instanceFrom(d))
		}
	}
	return all, nil
}

// Snapshots lists an instance's manual and automated snapshots, newest
// first; snapshots still being created (no time yet) come first.
func (c *Client) Snapshots(ctx context.Context, instanceID string) ([]Snapshot, error) {
	if err := ValidateInstanceID(instanceID); err != nil {
		return nil, err
	}
	p := rds.NewDescribeDBSnapshotsPaginator(c.rds, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(instanceID)})
	var all []Snapshot
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list snapshots of "+instanceID, err)
		}
		for _, s := range page.DBSnapshots {
			all = append(all, snapshotFrom(s))
		}
	}
	SortSnapshots(all)
	return all, nil
}

// SortSnapshots orders snapshots newest first; those without a create time
// (still creating) come first, ties broken by identifier.
func SortSnapshots(s []Snapshot) {
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i].Created, s[j].Created
		if a.IsZero() != b.IsZero() {
			return a.IsZero()
		}
		if !a.Equal(b) {
			return a.After(b)
		}
		return s[i].ID < s[j].ID
	})
}

// Snapshot describes one snapshot by name, automated name ("rds:...") or ARN.
func (c *Client) Snapshot(ctx context.Context, id string) (Snapshot, error) {
	if err := ValidateSnapshotRef(id); err != nil {
		return Snapshot{}, err
	}
	op := "describe snapshot " + id
	out, err := c.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(id)})
	if err != nil {
		return Snapshot{}, wrapErr(op, err)
	}
	if len(out.DBSnapshots) == 0 {
		return Snapshot{}, &Error{Kind: KindNotFound, Op: op, Code: "DBSnapshotNotFound", Summary: codeHelp["DBSnapshotNotFound"][0], Next: codeHelp["DBSnapshotNotFound"][1]}
	}
	return snapshotFrom(out.DBSnapshots[0]), nil
}

// describeSnapshots lists snapshots matching filters, following Marker.
func (c *Client) describeSnapshots(ctx context.Context, filters []rdstypes.Filter, optFns ...func(*rds.Options)) ([]Snapshot, error) {
	p := rds.NewDescribeDBSnapshotsPaginator(c.rds, &rds.DescribeDBSnapshotsInput{Filters: filters})
	var all []Snapshot
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, optFns...)
		if err != nil {
			return nil, wrapErr("list snapshots", err)
		}
		for _, s := range page.DBSnapshots {
			all = append(all, snapshotFrom(s))
		}
	}
	return all, nil
}

// CreateSnapshot starts a manual snapshot of an instance; follow it with
// WaitSnapshotAvailable or the poller.
func (c *Client) CreateSnapshot(ctx context.Context, instanceID, snapshotID string) (Snapshot, error) {
	if err := ValidateInstanceID(instanceID); err != nil {
		return Snapshot{}, err
	}
	if err := ValidateSnapshotName(snapshotID); err != nil {
		return Snapshot{}, err
	}
	out, err := c.rds.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{
		DBInstanceIdentifier: aws.String(instanceID),
		DBSnapshotIdentifier: aws.String(snapshotID),
	})
	if err != nil {
		return Snapshot{}, wrapErr(fmt.Sprintf("snapshot %s as %s", instanceID, snapshotID), err)
	}
	if out.DBSnapshot == nil {
		return Snapshot{ID: snapshotID, InstanceID: instanceID, Type: "manual", Status: "creating"}, nil
	}
	return snapshotFrom(*out.DBSnapshot), nil
}

// Restore restores a snapshot to a new instance with exactly the given
// settings. It refuses settings that would silently fall back to AWS's
// defaults (no parameter group, no security group...), because a snapshot
// does not carry them over.
func (c *Client) Restore(ctx context.Context, s RestoreSettings) (Instance, error) {
	if err := CheckRestoreSettings(s); err != nil {
		return Instance{}, err
	}
	in := &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String(s.InstanceID),
		DBSnapshotIdentifier: aws.String(s.SnapshotID),
		DBInstanceClass:      aws.String(s.Class),
		DBParameterGroupName: aws.String(s.ParameterGroup),
		VpcSecurityGroupIds:  append([]string(nil), s.SecurityGroups...),
		DBSubnetGroupName:    aws.String(s.SubnetGroup),
		MultiAZ:              aws.Bool(s.MultiAZ),
		PubliclyAccessible:   aws.Bool(s.PubliclyAccessible),
		DeletionProtection:   aws.Bool(s.DeletionProtection),
	}
	if s.StorageType != "" {
		in.StorageType = aws.String(s.StorageType)
	}
	if s.Port > 0 {
		in.Port = aws.Int32(s.Port)
	}
	if s.OptionGroup != "" {
		in.OptionGroupName = aws.String(s.OptionGroup)
	}
	for _, k := range sortedKeys(s.Tags) {
		in.Tags = append(in.Tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(s.Tags[k])})
	}
	out, err := c.rds.RestoreDBInstanceFromDBSnapshot(ctx, in)
	if err != nil {
		return Instance{}, wrapErr(fmt.Sprintf("restore %s to %s", s.SnapshotID, s.InstanceID), err)
	}
	if out.DBInstance == nil {
		return Instance{ID: s.InstanceID, Status: "creating"}, nil
	}
	return instanceFrom(*out.DBInstance), nil
}

// CheckRestoreSettings reports the first problem with s before any call.
func CheckRestoreSettings(s RestoreSettings) error {
	if err := ValidateSnapshotRef(s.SnapshotID); err != nil {
		return err
	}
	return checkTargetSettings(s)
}

// checkTargetSettings checks the new instance's settings a snapshot or
// point-in-time restore must be given.
func checkTargetSettings(s RestoreSettings) error {
	if err := ValidateInstanceID(s.InstanceID); err != nil {
		return err
	}
	var missing []string
	if s.Class == "" {
		missing = append(missing, "instance class")
	}
	if s.ParameterGroup == "" {
		missing = append(missing, "parameter group")
	}
	if len(s.SecurityGroups) == 0 {
		missing = append(missing, "security groups")
	}
	if s.SubnetGroup == "" {
		missing = append(missing, "subnet group")
	}
	if len(missing) > 0 {
		return inputError("check restore settings",
			"the restore settings leave out "+strings.Join(missing, ", ")+"; AWS would fall back to its defaults (default parameter group with rds.force_ssl=1, the VPC's default security group)",
			"take them from the stack export (`pulumi stack export`) or the current instance")
	}
	for _, sg := range s.SecurityGroups {
		if !strings.HasPrefix(sg, "sg-") {
			return inputError("check restore settings", fmt.Sprintf("%q is not a VPC security group id", sg),
				"give security group ids (sg-...), as the stack export lists them, not their names")
		}
	}
	if s.Port < 0 || s.Port > 65535 {
		return inputError("check restore settings", fmt.Sprintf("port %d is out of range", s.Port), "use 0 to keep the snapshot's port, or 1150-65535")
	}
	return nil
}

// SettingsFrom builds restore settings that reproduce inst, restoring
// snapshotID to an instance named newID.
func SettingsFrom(inst Instance, snapshotID, newID string) RestoreSettings {
	tags := make(map[string]string, len(inst.Tags))
	for k, v := range inst.Tags {
		tags[k] = v
	}
	return RestoreSettings{
		SnapshotID: snapshotID, InstanceID: newID, Class: inst.Class, StorageType: inst.StorageType,
		ParameterGroup: inst.ParameterGroup, SecurityGroups: append([]string(nil), inst.SecurityGroups...),
		SubnetGroup: inst.SubnetGroup, MultiAZ: inst.MultiAZ, PubliclyAccessible: inst.PubliclyAccessible,
		DeletionProtection: inst.DeletionProtection, Port: inst.Port, OptionGroup: inst.OptionGroup, Tags: tags,
	}
}

// realTime is how long d of AWS time takes on the client's clock: the SDK's
// waiters sleep in real time, and a rehearsal plays AWS durations faster.
func (c *Client) realTime(d time.Duration) time.Duration {
	return clock.SpeedOf(c.clk).RealTime(d)
}

// waiterDelays are the SDK waiters' delays on the client's clock.
func (c *Client) waiterDelays() (minDelay, maxDelay time.Duration) {
	return c.realTime(c.waitMin), c.realTime(c.waitMax)
}

// WaitAvailable waits with the SDK's DBInstanceAvailable waiter until the
// instance is available, for at most maxWait (AWS time, as the waits). The waiter treats
// DBInstanceNotFound as final, so do not use it on a name that a rename has
// not made effective yet (Rename handles that window).
func (c *Client) WaitAvailable(ctx context.Context, id string, maxWait time.Duration) (Instance, error) {
	if err := ValidateInstanceID(id); err != nil {
		return Instance{}, err
	}
	w := rds.NewDBInstanceAvailableWaiter(c.rds, func(o *rds.DBInstanceAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = c.waiterDelays()
	})
	out, err := w.WaitForOutput(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}, c.realTime(maxWait))
	if err != nil {
		return Instance{}, waiterErr("wait for "+id+" to be available", err)
	}
	if len(out.DBInstances) == 0 {
		return Instance{}, &Error{Kind: KindNotFound, Op: "wait for " + id, Summary: "the instance vanished", Next: "check `datalayer status`"}
	}
	return instanceFrom(out.DBInstances[0]), nil
}

// WaitDeleted waits with the SDK's DBInstanceDeleted waiter until the
// instance is gone, for at most maxWait.
func (c *Client) WaitDeleted(ctx context.Context, id string, maxWait time.Duration) error {
	if err := ValidateInstanceID(id); err != nil {
		return err
	}
	w := rds.NewDBInstanceDeletedWaiter(c.rds, func(o *rds.DBInstanceDeletedWaiterOptions) {
		o.MinDelay, o.MaxDelay = c.waiterDelays()
	})
	return waiterErr("wait for "+id+" to be deleted", w.Wait(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)}, c.realTime(maxWait)))
}

// WaitSnapshotAvailable waits with the SDK's DBSnapshotAvailable waiter.
func (c *Client) WaitSnapshotAvailable(ctx context.Context, id string, maxWait time.Duration) (Snapshot, error) {
	if err := ValidateSnapshotRef(id); err != nil {
		return Snapshot{}, err
	}
	w := rds.NewDBSnapshotAvailableWaiter(c.rds, func(o *rds.DBSnapshotAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = c.waiterDelays()
	})
	out, err := w.WaitForOutput(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(id)}, c.realTime(maxWait))
	if err != nil {
		return Snapshot{}, waiterErr("wait for snapshot "+id, err)
	}
	if len(out.DBSnapshots) == 0 {
		return Snapshot{}, &Error{Kind: KindNotFound, Op: "wait for snapshot " + id, Summary: "the snapshot vanished", Next: "check the snapshot list"}
	}
	return snapshotFrom(out.DBSnapshots[0]), nil
}

// waiterErr sorts a waiter's error: API errors as usual, a terminal state or
// a timeout as InvalidState with the waiter's text.
func waiterErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	w := wrapErr(op, err)
	var e *Error
	if errors.As(w, &e) && e.Code == "" && e.Kind == KindOther {
		e.Kind = KindInvalidState
		e.Summary = "the wait ended without success"
		e.Next = "look at the instance's status (`datalayer status`) and its events before retrying"
	}
	return w
}

// UpgradeTargets lists the versions engine version may move to, as AWS
// reports them for that exact version (pass the instance's actual version,
// not the one in code: AWS applies minors on its own). Sorted by version.
func (c *Client) UpgradeTargets(ctx context.Context, engine, version string) ([]UpgradeTarget, error) {
	if engine == "" || version == "" {
		return nil, inputError("list upgrade targets", "engine and engine version are both needed", "read them from the instance (`datalayer status --instance ID`)")
	}
	op := fmt.Sprintf("list upgrade targets of %s %s", engine, version)
	p := rds.NewDescribeDBEngineVersionsPaginator(c.rds, &rds.DescribeDBEngineVersionsInput{Engine: aws.String(engine), EngineVersion: aws.String(version)})
	var found bool
	var out []UpgradeTarget
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrapErr(op, err)
		}
		for _, v := range page.DBEngineVersions {
			found = true
			for _, t := range v.ValidUpgradeTarget {
				out = append(out, UpgradeTarget{
					Version: aws.ToString(t.EngineVersion), Description: aws.ToString(t.Description),
					Major: aws.ToBool(t.IsMajorVersionUpgrade), AutoUpgrade: aws.ToBool(t.AutoUpgrade),
				})
			}
		}
	}
	if !found {
		return nil, &Error{Kind: KindNotFound, Op: op, Summary: "AWS does not offer this engine version in this region",
			Next: "check the version the instance really runs (`datalayer status --instance ID`)"}
	}
	sort.SliceStable(out, func(i, j int) bool { return CompareVersions(out[i].Version, out[j].Version) < 0 })
	return out, nil
}

// SplitTargets keeps major and minor upgrade targets apart.
func SplitTargets(ts []UpgradeTarget) (major, minor []UpgradeTarget) {
	for _, t := range ts {
		if t.Major {
			major = append(major, t)
		} else {
			minor = append(minor, t)
		}
	}
	return major, minor
}

// CompareVersions compares dotted versions numerically ("16.9" < "16.13").
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y string
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		xn, xok := atoi(x)
		yn, yok := atoi(y)
		switch {
		case xok && yok && xn != yn:
			if xn < yn {
				return -1
			}
			return 1
		case !(xok && yok) && x != y:
			return strings.Compare(x, y)
		}
	}
	return 0
}

func atoi(s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}

// PendingMaintenance lists pending maintenance actions for an instance,
// given by ARN (or by identifier); empty lists every resource's.
func (c *Client) PendingMaintenance(ctx context.Context, instanceARN string) ([]MaintenanceAction, error) {
	in := &rds.DescribePendingMaintenanceActionsInput{}
	switch {
	case instanceARN == "":
	case strings.HasPrefix(instanceARN, "arn:"):
		in.ResourceIdentifier = aws.String(instanceARN)
	default:
		if err := ValidateInstanceID(instanceARN); err != nil {
			return nil, err
		}
		in.Filters = []rdstypes.Filter{{Name: aws.String("db-instance-id"), Values: []string{instanceARN}}}
	}
	p := rds.NewDescribePendingMaintenanceActionsPaginator(c.rds, in)
	var out []MaintenanceAction
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list pending maintenance", err)
		}
		for _, r := range page.PendingMaintenanceActions {
			for _, a := range r.PendingMaintenanceActionDetails {
				out = append(out, MaintenanceAction{
					ResourceARN: aws.ToString(r.ResourceIdentifier), Action: aws.ToString(a.Action),
					Description: aws.ToString(a.Description), OptInStatus: aws.ToString(a.OptInStatus),
					AutoAppliedAfter: aws.ToTime(a.AutoAppliedAfterDate), ForcedApply: aws.ToTime(a.ForcedApplyDate),
					CurrentApply: aws.ToTime(a.CurrentApplyDate),
				})
			}
		}
	}
	return out, nil
}

// Opt-in values for ApplyMaintenance.
const (
	OptInImmediate       = "immediate"
	OptInNextMaintenance = "next-maintenance"
	OptInUndo            = "undo-opt-in"
)

// ApplyMaintenance opts in to a pending maintenance action (immediate,
// next-maintenance or undo-opt-in).
func (c *Client) ApplyMaintenance(ctx context.Context, instanceARN, action, optIn string) error {
	if !strings.HasPrefix(instanceARN, "arn:") {
		return inputError("apply maintenance", fmt.Sprintf("%q is not an ARN", instanceARN), "pass the instance's ARN (Instance.ARN)")
	}
	if action == "" {
		return inputError("apply maintenance", "no action given", "pass the action from the pending maintenance list (e.g. system-update)")
	}
	switch optIn {
	case OptInImmediate, OptInNextMaintenance, OptInUndo:
	default:
		return inputError("apply maintenance", fmt.Sprintf("opt-in %q is not one of immediate, next-maintenance, undo-opt-in", optIn), "pick one of those three")
	}
	_, err := c.rds.ApplyPendingMaintenanceAction(ctx, &rds.ApplyPendingMaintenanceActionInput{
		ResourceIdentifier: aws.String(instanceARN), ApplyAction: aws.String(action), OptInType: aws.String(optIn),
	})
	return wrapErr(fmt.Sprintf("apply %s (%s)", action, optIn), err)
}

// Events lists an instance's RDS events since a time, oldest first, each
// with its RDS-EVENT id when known.
func (c *Client) Events(ctx context.Context, instanceID string, since time.Time) ([]Event, error) {
	if err := ValidateInstanceID(instanceID); err != nil {
		return nil, err
	}
	in := &rds.DescribeEventsInput{
		SourceIdentifier: aws.String(instanceID),
		SourceType:       rdstypes.SourceTypeDbInstance,
	}
	if !since.IsZero() {
		in.StartTime = aws.Time(since)
	}
	p := rds.NewDescribeEventsPaginator(c.rds, in)
	var out []Event
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list events of "+instanceID, err)
		}
		for _, e := range page.Events {
			out = append(out, eventFrom(e))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

// instanceFrom maps the SDK's DBInstance.
func instanceFrom(d rdstypes.DBInstance) Instance {
	in := Instance{
		ID:                 aws.ToString(d.DBInstanceIdentifier),
		ResourceID:         aws.ToString(d.DbiResourceId),
		ARN:                aws.ToString(d.DBInstanceArn),
		Status:             aws.ToString(d.DBInstanceStatus),
		Engine:             aws.ToString(d.Engine),
		EngineVersion:      aws.ToString(d.EngineVersion),
		Class:              aws.ToString(d.DBInstanceClass),
		AllocatedStorage:   aws.ToInt32(d.AllocatedStorage),
		StorageType:        aws.ToString(d.StorageType),
		StorageEncrypted:   aws.ToBool(d.StorageEncrypted),
		MultiAZ:            aws.ToBool(d.MultiAZ),
		PubliclyAccessible: aws.ToBool(d.PubliclyAccessible),
		DeletionProtection: aws.ToBool(d.DeletionProtection),
		AvailabilityZone:   aws.ToString(d.AvailabilityZone),
		BackupRetention:    aws.ToInt32(d.BackupRetentionPeriod),
		MaintenanceWindow:  aws.ToString(d.PreferredMaintenanceWindow),
		Created:            aws.ToTime(d.InstanceCreateTime),
		LatestRestorable:   aws.ToTime(d.LatestRestorableTime),
	}
	if len(d.DBParameterGroups) > 0 {
		in.ParameterGroup = aws.ToString(d.DBParameterGroups[0].DBParameterGroupName)
		in.ParameterApplyStatus = aws.ToString(d.DBParameterGroups[0].ParameterApplyStatus)
	}
	for _, g := range d.VpcSecurityGroups {
		in.SecurityGroups = append(in.SecurityGroups, aws.ToString(g.VpcSecurityGroupId))
	}
	if d.DBSubnetGroup != nil {
		in.SubnetGroup = aws.ToString(d.DBSubnetGroup.DBSubnetGroupName)
	}
	if d.Endpoint != nil {
		in.Address = aws.ToString(d.Endpoint.Address)
		in.Port = aws.ToInt32(d.Endpoint.Port)
	}
	if in.Port == 0 && d.DbInstancePort != nil {
		in.Port = *d.DbInstancePort
	}
	if len(d.OptionGroupMemberships) > 0 {
		in.OptionGroup = aws.ToString(d.OptionGroupMemberships[0].OptionGroupName)
	}
	if len(d.TagList) > 0 {
		in.Tags = make(map[string]string, len(d.TagList))
		for _, t := range d.TagList {
			in.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	if pm := d.PendingModifiedValues; pm != nil {
		in.Pending = PendingChanges{
			InstanceID:       aws.ToString(pm.DBInstanceIdentifier),
			EngineVersion:    aws.ToString(pm.EngineVersion),
			InstanceClass:    aws.ToString(pm.DBInstanceClass),
			MultiAZ:          pm.MultiAZ,
			AllocatedStorage: aws.ToInt32(pm.AllocatedStorage),
			StorageType:      aws.ToString(pm.StorageType),
			BackupRetention:  pm.BackupRetentionPeriod,
		}
		other := map[string]bool{
			"AllocatedStorage": pm.AllocatedStorage != nil, "BackupRetentionPeriod": pm.BackupRetentionPeriod != nil,
			"CACertificateIdentifier": pm.CACertificateIdentifier != nil, "DBSubnetGroupName": pm.DBSubnetGroupName != nil,
			"Iops": pm.Iops != nil, "MasterUserPassword": pm.MasterUserPassword != nil, "Port": pm.Port != nil,
			"StorageType": pm.StorageType != nil, "StorageThroughput": pm.StorageThroughput != nil,
			"IAMDatabaseAuthenticationEnabled": pm.IAMDatabaseAuthenticationEnabled != nil, "Engine": pm.Engine != nil,
		}
		for _, k := range sortedBoolKeys(other) {
			in.Pending.Other = append(in.Pending.Other, k)
		}
	}
	return in
}

// snapshotFrom maps the SDK's DBSnapshot.
func snapshotFrom(s rdstypes.DBSnapshot) Snapshot {
	return Snapshot{
		ID:               aws.ToString(s.DBSnapshotIdentifier),
		ARN:              aws.ToString(s.DBSnapshotArn),
		InstanceID:       aws.ToString(s.DBInstanceIdentifier),
		Type:             aws.ToString(s.SnapshotType),
		Status:           aws.ToString(s.Status),
		PercentProgress:  aws.ToInt32(s.PercentProgress),
		Created:          aws.ToTime(s.SnapshotCreateTime),
		EngineVersion:    aws.ToString(s.EngineVersion),
		AllocatedStorage: aws.ToInt32(s.AllocatedStorage),
		Encrypted:        aws.ToBool(s.Encrypted),
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedBoolKeys(m map[string]bool) []string {
	var keys []string
	for k, v := range m {
		if v {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
