package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/internal/config"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// newestSnapshots is how many snapshots `status` shows per instance.
const newestSnapshots = 5

func (a *app) statusCmd() *cobra.Command {
	var (
		stack    string
		instance string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show an instance (or every instance in the region) and its newest snapshots",
		Long: `Show, once, the RDS instance of a stack — or one instance, or every instance in
the region — with its status, engine version, class and endpoint, and its newest
snapshots with their age. Nothing is changed.

The stack's instance identifier comes from stacks[].instance in the config
file, else from the data stack's Pulumi state (pulumi stack export, run in
data.dir). Endpoints follow the AWS SDK's settings, so AWS_ENDPOINT_URL pointing at a
running ` + "`datalayer sim`" + ` works.`,
		Example: `  datalayer status
  datalayer status --instance app5ec7032 --json
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 datalayer status`,
		Args: cobra.NoArgs,
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			l, err := a.config()
			if err != nil {
				return err
			}
			if stack != "" {
				id, err := a.stackInstance(cmd.Context(), l, stack)
				if err != nil {
					return err
				}
				instance = id
			}
			if instance != "" {
				if err := awsclient.ValidateInstanceID(instance); err != nil {
					return &UsageError{Err: fmt.Errorf("--instance: %w", err)}
				}
			}
			client, err := a.awsClient(cmd.Context(), l)
			if err != nil {
				return err
			}
			rep, err := collectStatus(cmd.Context(), client, instance)
			if err != nil {
				return err
			}
			rep.Region, rep.Endpoint = l.Region, l.Endpoint
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.writeTable(cmd.OutOrStdout(), a.io.Now())
		}),
	}
	f := cmd.Flags()
	f.StringVar(&stack, "stack", "", "the stack whose instance to show (stacks[].instance in the config, else its Pulumi state)")
	f.StringVar(&instance, "instance", "", "the RDS instance identifier to show")
	f.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	cmd.MarkFlagsMutuallyExclusive("stack", "instance")
	_ = cmd.RegisterFlagCompletionFunc("stack", a.completeStacks)
	return cmd
}

// stackInstance finds a stack's RDS instance: from the config file when it
// names one (fast), else from the data stack's Pulumi state.
func (a *app) stackInstance(ctx context.Context, l config.Loaded, name string) (string, error) {
	s, err := l.Stack(name)
	if err != nil {
		return "", &UsageError{Err: err}
	}
	if s.Instance != "" {
		return s.Instance, nil
	}
	hint := "pass --instance ID, or set instance: under the stack in the config file (datalayer status without flags lists every instance)"
	dir, err := programDir("data.dir", l.Data.Dir)
	if err != nil {
		return "", &UsageError{Err: fmt.Errorf("stack %s: no instance configured and %w; or %s", s.Name, err, hint)}
	}
	st, err := pulumiclient.OpenLocal(ctx, dir, s.Name, pulumiclient.Options{Pulumi: l.Pulumi.Binary, BackendURL: l.Pulumi.BackendURL})
	if err != nil {
		return "", fmt.Errorf("stack %s: %w; or %s", s.Name, err, hint)
	}
	exp, err := st.Export(ctx)
	if err != nil {
		return "", fmt.Errorf("stack %s: read the instance from its state: %w; or %s", s.Name, err, hint)
	}
	return exp.Identifier, nil
}

func (a *app) completeStacks(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	l, err := a.config()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names := make([]string, len(l.Stacks))
	for i, s := range l.Stacks {
		names[i] = s.Name
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// awsClient builds the real AWS client from the configuration. Endpoint and
// profile are passed only when they came from the file or a flag: values
// from the environment are the SDK's own to read (an explicit profile would
// beat exported keys, and AWS_ENDPOINT_URL_RDS must not redirect STS).
func (a *app) awsClient(ctx context.Context, l config.Loaded) (*awsclient.Client, error) {
	lo := awsLoadOptions(l)
	// Eight tries (backoff up to 20 s) instead of the SDK's three: a
	// throttling burst shared with the console and other tools should cost a
	// runbook step some seconds, not the step. AWS_MAX_ATTEMPTS still wins.
	var opts []awsclient.Option
	if os.Getenv("AWS_MAX_ATTEMPTS") == "" {
		opts = append(opts, awsclient.WithRetry(8, 20*time.Second))
	}
	c, err := awsclient.Load(ctx, lo, opts...)
	if err != nil {
		return nil, fmt.Errorf("aws: %w", err)
	}
	return c, nil
}

// awsLoadOptions are the AWS settings of the configuration that the SDK
// would not find by itself in the environment.
func awsLoadOptions(l config.Loaded) awsclient.LoadOptions {
	lo := awsclient.LoadOptions{Region: l.Region, Profile: l.Profile}
	if !strings.HasPrefix(l.Sources["endpoint"], "$") {
		lo.Endpoint = l.Endpoint
	}
	return lo
}

// statusReport is what `status` prints; its JSON form is stable for scripts.
type statusReport struct {
	Region    string           `json:"region"`
	Endpoint  string           `json:"endpoint,omitempty"`
	Instances []instanceStatus `json:"instances"`
}

type instanceStatus struct {
	ID             string           `json:"id"`
	ResourceID     string           `json:"resourceId"`
	Status         string           `json:"status"`
	Engine         string           `json:"engine"`
	EngineVersion  string           `json:"engineVersion"`
	Class          string           `json:"class"`
	Storage        int32            `json:"allocatedStorageGiB"`
	MultiAZ        bool             `json:"multiAZ"`
	ParameterGroup string           `json:"parameterGroup"`
	Address        string           `json:"address,omitempty"`
	Port           int32            `json:"port,omitempty"`
	Pending        []string         `json:"pending,omitempty"`
	Snapshots      []snapshotStatus `json:"snapshots"`
	SnapshotCount  int              `json:"snapshotCount"`
}

type snapshotStatus struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Status   string    `json:"status"`
	Progress int32     `json:"percentProgress"`
	Created  time.Time `json:"created,omitzero"`
}

// collectStatus reads one instance (id given) or all of them, and each one's
// snapshots, with the snapshot calls in parallel.
func collectStatus(ctx context.Context, api awsclient.API, id string) (statusReport, error) {
	var insts []awsclient.Instance
	if id != "" {
		inst, err := api.Instance(ctx, id)
		if err != nil {
			return statusReport{}, fmt.Errorf("status: %w", err)
		}
		insts = []awsclient.Instance{inst}
	} else {
		all, err := api.Instances(ctx)
		if err != nil {
			return statusReport{}, fmt.Errorf("status: %w", err)
		}
		insts = all
	}
	rep := statusReport{Instances: make([]instanceStatus, len(insts))}
	errs := make([]error, len(insts))
	var wg sync.WaitGroup
	for i, inst := range insts {
		rep.Instances[i] = instanceRow(inst)
		wg.Add(1)
		go func() {
			defer wg.Done()
			snaps, err := api.Snapshots(ctx, inst.ID)
			if err != nil {
				errs[i] = fmt.Errorf("status: %w", err)
				return
			}
			rep.Instances[i].SnapshotCount = len(snaps)
			rep.Instances[i].Snapshots = []snapshotStatus{}
			for j, s := range snaps {
				if j == newestSnapshots {
					break
				}
				rep.Instances[i].Snapshots = append(rep.Instances[i].Snapshots, snapshotStatus{
					ID: s.ID, Type: s.Type, Status: s.Status, Progress: s.PercentProgress, Created: s.Created,
				})
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func instanceRow(in awsclient.Instance) instanceStatus {
	row := instanceStatus{
		ID: in.ID, ResourceID: in.ResourceID, Status: in.Status, Engine: in.Engine,
		EngineVersion: in.EngineVersion, Class: in.Class, Storage: in.AllocatedStorage,
		MultiAZ: in.MultiAZ, ParameterGroup: in.ParameterGroup, Address: in.Address, Port: in.Port,
	}
	p := in.Pending
	if p.InstanceID != "" {
		row.Pending = append(row.Pending, "rename to "+p.InstanceID)
	}
	if p.EngineVersion != "" {
		row.Pending = append(row.Pending, "engine version "+p.EngineVersion)
	}
	if p.InstanceClass != "" {
		row.Pending = append(row.Pending, "class "+p.InstanceClass)
	}
	if p.MultiAZ != nil {
		row.Pending = append(row.Pending, fmt.Sprintf("multi-AZ %t", *p.MultiAZ))
	}
	row.Pending = append(row.Pending, p.Other...)
	return row
}

func (r statusReport) writeTable(w io.Writer, now time.Time) error {
	where := "region " + r.Region
	if r.Endpoint != "" {
		where += ", endpoint " + r.Endpoint
	}
	if len(r.Instances) == 0 {
		_, err := fmt.Fprintf(w, "No RDS instances in %s.\n", where)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "RDS instances in %s:\n\n", where)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tSTATUS\tENGINE\tCLASS\tSTORAGE\tMULTI-AZ\tPARAMETER GROUP\tENDPOINT")
	for _, in := range r.Instances {
		endpoint := "-"
		if in.Address != "" {
			endpoint = fmt.Sprintf("%s:%d", in.Address, in.Port)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%d GiB\t%s\t%s\t%s\n", in.ID, in.Status, in.Engine, in.EngineVersion,
			in.Class, in.Storage, yesNo(in.MultiAZ), in.ParameterGroup, endpoint)
	}
	_ = tw.Flush()
	for _, in := range r.Instances {
		if len(in.Pending) > 0 {
			fmt.Fprintf(&b, "\n%s has pending changes: %s\n", in.ID, strings.Join(in.Pending, ", "))
		}
		fmt.Fprintf(&b, "\nSnapshots of %s (newest %d of %d):\n", in.ID, len(in.Snapshots), in.SnapshotCount)
		if len(in.Snapshots) == 0 {
			b.WriteString("  none\n")
			continue
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  SNAPSHOT\tTYPE\tSTATUS\tCREATED (UTC)\tAGE")
		for _, s := range in.Snapshots {
			status, created, age := s.Status, "-", "-"
			if s.Status == "creating" {
				status = fmt.Sprintf("creating %d%%", s.Progress)
			}
			if !s.Created.IsZero() {
				created = s.Created.UTC().Format("2006-01-02 15:04")
				age = runbooks.HumanAge(now.Sub(s.Created))
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.ID, s.Type, status, created, age)
		}
		_ = tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
