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
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
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
	// ReuseExisting lets Start use a server already listening on HostPort
	// instead of refusing (RENCANA_REUSE_TEMPORAL): such a server was not
	// started by this process, so it is neither configured nor stopped by it.
	ReuseExisting bool
	// ExtraArgs are appended to `temporal server start-dev`'s arguments,
	// e.g. "--dynamic-config-value", "KEY=VALUE" or "--sqlite-pragma",
	// "journal_mode=WAL" (`rencana bench --temporal-arg` passes them).
	ExtraArgs []string
}

// Server is a running dev server and a client connected to it.
type Server struct {
	cmd      *exec.Cmd // nil when an existing server is reused
	done     chan error
	client   client.Client
	hostPort string
	ns       string
}

// ErrPortInUse is returned by Start when something already listens on the
// requested port and ReuseExisting is not set.
var ErrPortInUse = errors.New("port in use")

// Start launches the dev server and waits until it accepts clients. The
// child is started by this package (not by testsuite.StartDevServer) so
// that it dies with its parent: on Linux it gets a parent-death signal and
// its own process group (see sysproc_linux.go), so a killed rencana leaves
// no orphan behind. A port already taken is refused unless ReuseExisting:
// the next start must not silently talk to a server it did not start.
func Start(ctx context.Context, opts Options) (*Server, error) {
	path := opts.CLIPath
	if path == "" {
		var err error
		if path, err = DefaultCLIPath(); err != nil {
			return nil, err
		}
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	clientOpts := client.Options{HostPort: opts.HostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(logger)}
	hostPort := opts.HostPort
	if hostPort == "" {
		hostPort = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", hostPort)
	if err != nil {
		if !opts.ReuseExisting {
			return nil, fmt.Errorf("%w: something already listens on %s (a Temporal server left running? rencana did not start it, so it will not use it; stop it, choose another port, or set RENCANA_REUSE_TEMPORAL=true to use it): %v",
				ErrPortInUse, hostPort, err)
		}
		c, err := dialReady(ctx, clientOpts, nil)
		if err != nil {
			return nil, fmt.Errorf("reuse temporal server at %s: %w", hostPort, err)
		}
		return &Server{client: c, hostPort: opts.HostPort, ns: ns}, nil
	}
	hostPort = l.Addr().String()
	_ = l.Close()
	clientOpts.HostPort = hostPort
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("temporal CLI not found at %s (run `make build`): %w", path, err)
	}
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	host, port, _ := net.SplitHostPort(hostPort)
	args := []string{"server", "start-dev", "--ip", host, "--port", port, "--namespace", ns,
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false",
		"--log-format", "json", "--log-level", "warn",
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
	if opts.UIPort == "" {
		args = append(args, "--headless")
	} else {
		args = append(args, "--ui-port", opts.UIPort)
	}
	if opts.DBFile != "" {
		// Write-ahead logging: one fsync per commit instead of the rollback
		// journal's several. Commits stay synchronous (durable); a bare
		// Update's median fell from 134 ms to 41 ms at 16 concurrent
		// clients on the 2-core machine (rencana bench).
		args = append(args, "--db-filename", opts.DBFile, "--sqlite-pragma", "journal_mode=wal")
	}
	args = append(args, opts.ExtraArgs...)
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childAttr()
	s := &Server{cmd: cmd, done: make(chan error, 1), hostPort: hostPort, ns: ns}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that forked the
		// child exits, not the process: keep this goroutine on its thread
		// for as long as the child lives.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.done <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	c, err := dialReady(ctx, clientOpts, s.done)
	if err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("start temporal dev server: %w", err)
	}
	s.client = c
	return s, nil
}

// dialReady dials until the server answers, ctx ends or the child exits.
func dialReady(ctx context.Context, opts client.Options, exited <-chan error) (client.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := client.DialContext(dctx, opts)
		dcancel()
		if err == nil {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("not ready: %w (last error: %v)", ctx.Err(), err)
		case werr := <-exited:
			return nil, fmt.Errorf("the server exited before it was ready: %v", werr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// HostPort is the frontend address clients dial.
func (s *Server) HostPort() string { return s.hostPort }

// Namespace is the namespace registered at start.
func (s *Server) Namespace() string { return s.ns }

// Client is the client the server was probed with; it is closed by Stop.
func (s *Server) Client() client.Client { return s.client }

// PID is the child's process id (0 for a reused server).
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop closes the client, interrupts the child and waits for it to exit,
// killing it after a grace period, so no orphan outlives rencana. A reused
// server is left running: it is not ours.
func (s *Server) Stop() error {
	if s.client != nil {
		s.client.Close()
	}
	if s.cmd == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
		return nil // interrupted children exit non-zero; that is the point
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("temporal dev server did not stop within 15s; killed")
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
