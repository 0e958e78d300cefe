package simprovider

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// server is the gRPC ResourceProvider service.
type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	set    settings
	engine pulumirpc.EngineClient // nil without an engine address (tests)

	mu          sync.Mutex
	region      string // the stack's aws:region
	profile     string // the stack's aws:profile
	maxAttempts int    // the stack's aws:maxRetries
}

// newServer returns the provider service for settings read at start-up.
func newServer(set settings, engine pulumirpc.EngineClient) *server {
	return &server{set: set, engine: engine}
}

// resourceType is what each resource type implements.
type resourceType interface {
	check(urnName string, olds, news resource.PropertyMap, seed []byte) (resource.PropertyMap, error)
	diff(olds, news resource.PropertyMap) []change
	create(ctx context.Context, urn string, news resource.PropertyMap) (string, resource.PropertyMap, error)
	read(ctx context.Context, id string, state, inputs resource.PropertyMap) (string, resource.PropertyMap, resource.PropertyMap, error)
	update(ctx context.Context, urn, id string, olds, news resource.PropertyMap) (resource.PropertyMap, error)
	delete(ctx context.Context, urn, id string, olds resource.PropertyMap) error
}

// typeOf returns the implementation of a request's resource type, with
// its fields and the input the provider auto-names.
func (s *server) typeOf(urn, typ string) (resourceType, []field, string, error) {
	if typ == "" {
		typ = string(resource.URN(urn).Type())
	}
	switch typ {
	case InstanceType:
		return instance{env: s}, instanceFields, "identifier", nil
	case ParameterGroupType:
		return parameterGroup{env: s}, parameterGroupFields, "name", nil
	}
	return nil, nil, "", fmt.Errorf("datalayer's simulated AWS provider does not implement %s; it implements %s and %s", typ, InstanceType, ParameterGroupType)
}

func (s *server) client() *rds.Client {
	s.mu.Lock()
	region, profile, attempts := s.region, s.profile, s.maxAttempts
	s.mu.Unlock()
	set := s.set
	if attempts > 0 && set.maxAttempts == MaxAttempts {
		set.maxAttempts = attempts // AWS_MAX_ATTEMPTS wins over the stack's config
	}
	return set.newRDSClientAs(region, profile)
}

func (s *server) waiter() waiter { return waiter{poll: s.set.poll, timeout: s.set.timeout} }

// status shows a passing status line for urn in the CLI's display.
func (s *server) status(ctx context.Context, urn, format string, args ...any) {
	if s.engine == nil {
		return
	}
	_, _ = s.engine.Log(ctx, &pulumirpc.LogRequest{
		Severity: pulumirpc.LogSeverity_INFO, Message: fmt.Sprintf(format, args...), Urn: urn, Ephemeral: true,
	})
}

// initError is a create that left a resource behind: Pulumi records it
// (with the reason as its init error) and fails the step.
type initError struct {
	id     string
	state  resource.PropertyMap
	inputs resource.PropertyMap
	reason error
}

func (e *initError) Error() string { return e.reason.Error() }

func (e *initError) Unwrap() error { return e.reason }

func unmarshal(s *structpb.Struct, label string) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	m, err := plugin.UnmarshalProperties(s, plugin.MarshalOptions{Label: label, KeepUnknowns: true, KeepSecrets: true, SkipNulls: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return m, nil
}

// unmarshalBoth decodes a request's two property maps (olds and news,
// state and inputs).
func unmarshalBoth(a *structpb.Struct, la string, b *structpb.Struct, lb string) (resource.PropertyMap, resource.PropertyMap, error) {
	ma, err := unmarshal(a, la)
	if err != nil {
		return nil, nil, err
	}
	mb, err := unmarshal(b, lb)
	if err != nil {
		return nil, nil, err
	}
	return ma, mb, nil
}

func marshal(m resource.PropertyMap, label string) (*structpb.Struct, error) {
	s, err := plugin.MarshalProperties(m, plugin.MarshalOptions{Label: label, KeepUnknowns: true, KeepSecrets: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	return s, nil
}

// rpcError turns an initError into the engine's partial-failure error.
func rpcError(err error) error {
	ie, ok := err.(*initError)
	if !ok {
		return err
	}
	props, merr := marshal(ie.state, "init error state")
	if merr != nil {
		return err
	}
	inputs, _ := marshal(ie.inputs, "init error inputs")
	return rpcerror.WithDetails(rpcerror.New(codes.Unknown, ie.reason.Error()),
		&pulumirpc.ErrorResourceInitFailed{Id: ie.id, Properties: props, Reasons: []string{ie.reason.Error()}, Inputs: inputs})
}

// GetPluginInfo implements pulumirpc.ResourceProviderServer.
func (s *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// GetSchema implements pulumirpc.ResourceProviderServer.
func (s *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	b, err := Schema()
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(b)}, nil
}

// CheckConfig implements pulumirpc.ResourceProviderServer: the provider's
// configuration is taken as given.
func (s *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig implements pulumirpc.ResourceProviderServer.
func (s *server) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, news, err := unmarshalBoth(req.GetOldInputs(), "old config", req.GetNews(), "new config")
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}
	for _, k := range []string{"region", "profile", "maxRetries"} {
		if !olds[resource.PropertyKey(k)].DeepEquals(news[resource.PropertyKey(k)]) {
			resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
			resp.Diffs = append(resp.Diffs, k)
		}
	}
	return resp, nil
}

// Configure implements pulumirpc.ResourceProviderServer: the stack's
// aws:region, aws:profile (whose keys beat exported ones, as in the real
// provider) and aws:maxRetries apply.
func (s *server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args, err := unmarshal(req.GetArgs(), "config")
	if err != nil {
		return nil, err
	}
	region := props(args).str("region")
	profile := props(args).str("profile")
	attempts, _ := props(args).num("maxRetries")
	s.mu.Lock()
	s.region, s.profile, s.maxAttempts = region, profile, attempts
	s.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

// Check implements pulumirpc.ResourceProviderServer.
func (s *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	r, fields, _, err := s.typeOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	olds, news, err := unmarshalBoth(req.GetOlds(), "olds", req.GetNews(), "news")
	if err != nil {
		return nil, err
	}
	name := req.GetName()
	if name == "" {
		name = resource.URN(req.GetUrn()).Name()
	}
	failures := checkTypes(fields, news)
	inputs, err := r.check(name, olds, news, req.GetRandomSeed())
	if err != nil {
		return nil, err
	}
	out, err := marshal(inputs, "checked inputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out, Failures: failures}, nil
}

// Diff implements pulumirpc.ResourceProviderServer: it compares the
// program's checked inputs with the state.
func (s *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	r, _, autoKey, err := s.typeOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	olds, news, err := unmarshalBoth(req.GetOlds(), "olds", req.GetNews(), "news")
	if err != nil {
		return nil, err
	}
	return diffResponse(r.diff(olds, news), news, autoKey), nil
}

// Create implements pulumirpc.ResourceProviderServer.
func (s *server) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	r, fields, _, err := s.typeOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetProperties(), "properties")
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		out, err := marshal(previewState(fields, news, nil), "preview state")
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Properties: out}, nil
	}
	id, state, err := r.create(ctx, req.GetUrn(), news)
	if err != nil {
		return nil, rpcError(err)
	}
	out, err := marshal(state, "state")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

// Read implements pulumirpc.ResourceProviderServer (refresh and import).
func (s *server) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	r, _, _, err := s.typeOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	state, inputs, err := unmarshalBoth(req.GetProperties(), "state", req.GetInputs(), "inputs")
	if err != nil {
		return nil, err
	}
	id, st, ins, err := r.read(ctx, req.GetId(), state, inputs)
	if err != nil {
		return nil, err
	}
	if id == "" {
		return &pulumirpc.ReadResponse{}, nil // gone: refresh drops it
	}
	outState, err := marshal(st, "state")
	if err != nil {
		return nil, err
	}
	outInputs, err := marshal(ins, "inputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: id, Properties: outState, Inputs: outInputs}, nil
}

// Update implements pulumirpc.ResourceProviderServer.
func (s *server) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	r, fields, _, err := s.typeOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	olds, news, err := unmarshalBoth(req.GetOlds(), "olds", req.GetNews(), "news")
	if err != nil {
		return nil, err
	}
	var state resource.PropertyMap
	if req.GetPreview() {
		state = previewState(fields, news, olds)
	} else if state, err = r.update(ctx, req.GetUrn(), req.GetId(), olds, news); err != nil {
		return nil, err
	}
	out, err := marshal(state, "state")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

// Delete implements pulumirpc.ResourceProviderServer: it deletes as the
// state (the old resource's properties) says.
func (s *server) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	r, _, _, err := s.typeOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetProperties(), "state")
	if err != nil {
		return nil, err
	}
	if err := r.delete(ctx, req.GetUrn(), req.GetId(), olds); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Cancel implements pulumirpc.ResourceProviderServer. Like the real
// provider (pulumi-terraform-bridge: "For TF, this is a no-op") it does
// nothing: on the CLI's first Ctrl-C the operation in flight runs on to
// its end, and only the engine stops starting new ones.
func (s *server) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
