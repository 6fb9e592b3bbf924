// Package devserver runs the Temporal CLI's development server as a child
// process: `rencana dev` uses it so a newcomer needs nothing but Go, and the
// integration tests use it so that they exercise a real Temporal server.
// The binary is bin/temporal, built by `make build` (never downloaded).
package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// Options says where the CLI is and how to run it.
type Options struct {
	// CLIPath is the Temporal CLI executable; empty means bin/temporal in the
	// module root found from the working directory.
	CLIPath string
	// HostPort is the frontend address; empty picks a free port.
	HostPort string
	// Namespace is registered at start; empty means "default".
	Namespace string
	// DBFile persists workflows across restarts; empty keeps them in memory.
	DBFile string
	// UIPort enables the web UI on that port; empty runs headless.
	UIPort string
	// Output receives the server's own logs; nil discards them.
	Output io.Writer
	// Logger is used by the client the server hands back.
	Logger *slog.Logger
	// ExtraArgs are appended to `temporal server start-dev`'s arguments,
	// e.g. "--dynamic-config-value", "KEY=VALUE" or "--sqlite-pragma",
	// "journal_mode=WAL" (`rencana bench --temporal-arg` passes them).
	ExtraArgs []string
}

// Server is a running dev server and a client connected to it.
type Server struct {
	dev      *testsuite.DevServer
	hostPort string
	ns       string
}

// Start launches the dev server and waits until it accepts clients.
func Start(ctx context.Context, opts Options) (*Server, error) {
	path := opts.CLIPath
	if path == "" {
		var err error
		if path, err = DefaultCLIPath(); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("temporal CLI not found at %s (run `make build`): %w", path, err)
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	args := []string{
		// Human decisions are Updates and creation is Update-with-Start.
		"--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true",
		"--dynamic-config-value", "frontend.enableExecuteMultiOperation=true",
		// One partition per task queue: the dev server has one matching
		// host and rencana one task queue, and with the default four a
		// new proposal's first workflow task could wait in a partition
		// no poller was on. Measured: create (Update-with-Start) p95 at 4
		// clients fell from 1.9 s to well under the other actions'.
		"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
		"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
	}
	if opts.DBFile != "" {
		// Write-ahead logging: one fsync per commit instead of the rollback
		// journal's several. Commits stay synchronous (durable); a bare
		// Update's median fell from 134 ms to 41 ms at 16 concurrent
		// clients on the 2-core machine (rencana bench).
		args = append(args, "--sqlite-pragma", "journal_mode=wal")
	}
	dev, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath: path,
		ClientOptions: &client.Options{
			HostPort:  opts.HostPort,
			Namespace: ns,
			Logger:    tlog.NewStructuredLogger(logger),
		},
		DBFilename: opts.DBFile,
		EnableUI:   opts.UIPort != "",
		UIPort:     opts.UIPort,
		LogFormat:  "json",
		LogLevel:   "warn",
		ExtraArgs:  append(args, opts.ExtraArgs...),
		Stdout:     out,
		Stderr:     out,
	})
	if err != nil {
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	return &Server{dev: dev, hostPort: dev.FrontendHostPort(), ns: ns}, nil
}

// HostPort is the frontend address clients dial.
func (s *Server) HostPort() string { return s.hostPort }

// Namespace is the namespace registered at start.
func (s *Server) Namespace() string { return s.ns }

// Client is the client the server was probed with; it is closed by Stop.
func (s *Server) Client() client.Client { return s.dev.Client() }

// Stop interrupts the child and waits for it to exit, so no orphan outlives
// rencana; after a grace period it gives up waiting.
func (s *Server) Stop() error {
	done := make(chan error, 1)
	go func() { done <- s.dev.Stop() }()
	select {
	case err := <-done:
		var exit interface{ ExitCode() int }
		if errors.As(err, &exit) {
			return nil // interrupted children exit non-zero; that is the point
		}
		return err
	case <-time.After(15 * time.Second):
		return errors.New("temporal dev server did not stop within 15s")
	}
}

// DefaultCLIPath is $RENCANA_TEMPORAL_CLI, or bin/temporal under the module
// root (the nearest parent directory holding go.mod).
func DefaultCLIPath() (string, error) {
	if p := os.Getenv("RENCANA_TEMPORAL_CLI"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "bin", "temporal"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("bin", "temporal"), nil
		}
		dir = parent
	}
}

// FreePort is a loopback TCP port nothing listens on at the moment of
// asking: for a dev server, a metrics endpoint or an API started beside it.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
