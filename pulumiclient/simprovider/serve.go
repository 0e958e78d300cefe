package simprovider

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// PluginName is the file name under which Pulumi starts an "aws" resource
// provider plugin.
const PluginName = "pulumi-resource-aws"

// InvokedAsPlugin reports whether argv0 (os.Args[0]) is the plugin's name:
// Pulumi started the datalayer binary through a plugin directory's link.
func InvokedAsPlugin(argv0 string) bool {
	return filepath.Base(argv0) == PluginName
}

// WritePluginDir makes dir a Pulumi plugin directory for the simulated
// provider: dir/pulumi-resource-aws, a symbolic link to exe (a datalayer
// binary). Give dir to Pulumi by path (Pulumi.yaml `plugins: providers:
// [{name: aws, path: dir}]`, or pulumiclient.Options.Plugins), never put it
// on a PATH. Safe when several processes write the same dir.
func WritePluginDir(dir, exe string) error {
	exe, err := filepath.Abs(exe)
	if err != nil {
		return fmt.Errorf("plugin dir: %w", err)
	}
	if st, err := os.Stat(exe); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("plugin dir: %s is not an executable datalayer binary", exe)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plugin dir: %w", err)
	}
	link := filepath.Join(dir, PluginName)
	if target, err := os.Readlink(link); err == nil && target == exe {
		return nil
	}
	tmp := fmt.Sprintf("%s.%d.tmp", link, os.Getpid())
	_ = os.Remove(tmp)
	if err := os.Symlink(exe, tmp); err != nil {
		return fmt.Errorf("plugin dir: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("plugin dir: %w", err)
	}
	return nil
}

// engineAddress picks the engine's address out of the arguments Pulumi
// passes a plugin: flags (--logtostderr, -v=N, --logflow, --tracing URL)
// and then the address.
func engineAddress(args []string) string {
	addr := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--tracing" || a == "-tracing":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			addr = a
		}
	}
	return addr
}

// Main serves the provider as a Pulumi plugin: it reads its settings from
// getenv (refusing to start without an RDS endpoint override, or with a
// real AWS one), listens on a free local port, writes the port on stdout
// as the plugin protocol asks, and serves until the engine goes away or
// the process is interrupted. It returns the process exit code.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	set, err := settingsFromEnv(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "%s (datalayer's simulated AWS provider): %v\n", PluginName, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var engine pulumirpc.EngineClient
	if addr := engineAddress(args); addr != "" {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
		if err != nil {
			fmt.Fprintf(stderr, "%s: connect to the engine at %s: %v\n", PluginName, addr, err)
			return 1
		}
		defer conn.Close()
		engine = pulumirpc.NewEngineClient(conn)
		// Stop when the engine is gone, so no provider outlives its CLI.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		if err := rpcutil.Healthcheck(ctx, addr, 5*time.Minute, cancel); err != nil {
			fmt.Fprintf(stderr, "%s: watch the engine at %s: %v\n", PluginName, addr, err)
			return 1
		}
	}
	stopServing := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stopServing)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stopServing,
		Init: func(g *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(g, newServer(set, engine))
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", PluginName, err)
		return 1
	}
	fmt.Fprintf(stdout, "%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", PluginName, err)
		return 1
	}
	return 0
}
