package devserver_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rencana-id/rencana/internal/devserver"
	"github.com/rencana-id/rencana/internal/devserver/devservertest"
)

func TestMain(m *testing.M) { os.Exit(devservertest.RunTests(m)) }

func echo(ctx workflow.Context, s string) (string, error) { return "echo:" + s, nil }

// The dev server runs a real workflow end to end, so the CLI build and the
// SDK agree on the protocol.
func TestDevServerRunsWorkflow(t *testing.T) {
	srv := devservertest.ForTest(t)
	c := srv.Client()
	w := worker.New(c, "devserver-test", worker.Options{})
	w.RegisterWorkflowWithOptions(echo, workflow.RegisterOptions{Name: "echo"})
	require.NoError(t, w.Start())
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "devserver-test"}, "echo", "x")
	require.NoError(t, err)
	var out string
	require.NoError(t, run.Get(ctx, &out))
	require.Equal(t, "echo:x", out)
}

func TestStartWithoutCLIFailsClearly(t *testing.T) {
	_, err := devserver.Start(context.Background(), devserver.Options{CLIPath: "/nonexistent/temporal"})
	require.ErrorContains(t, err, "make build")
}

// helperEnv makes the test binary act as a parent process that starts a
// dev server, prints the child's pid, and waits to be killed.
const helperEnv = "RENCANA_DEVSERVER_HELPER"

func TestMain_helperParent(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		return // not a test of its own: the body runs in the helper process
	}
	// Output to a file, as `rencana dev` does (temporal.log): with pipes,
	// the child would also die of a broken pipe the next time it logs.
	logFile, err := os.CreateTemp("", "temporal-*.log")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	srv, err := devserver.Start(context.Background(), devserver.Options{Output: logFile})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("pid=%d\n", srv.PID())
	select {} // until killed
}

// Issue 23: after rencana was killed, its Temporal dev server child kept
// running. Now the child dies with its parent, even when the parent is
// killed outright (no deferred Stop runs).
func TestChildDiesWithParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	cli, err := devserver.DefaultCLIPath()
	require.NoError(t, err)
	parent := exec.Command(os.Args[0], "-test.run=^TestMain_helperParent$", "-test.count=1")
	parent.Env = append(os.Environ(), helperEnv+"=1", "RENCANA_TEMPORAL_CLI="+cli)
	out, err := parent.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, parent.Start())
	t.Cleanup(func() { _ = parent.Process.Kill(); _ = parent.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "the helper prints the child's pid once the server is ready")
	var child int
	_, err = fmt.Sscanf(line, "pid=%d", &child)
	require.NoError(t, err, line)
	require.True(t, alive(child), "the dev server runs while its parent does")

	require.NoError(t, parent.Process.Kill())
	_ = parent.Wait()
	require.Eventually(t, func() bool { return !alive(child) }, 20*time.Second, 50*time.Millisecond,
		"the dev server must die with its parent")
}

// alive reports whether pid is a running process (a zombie waiting for a
// reaper counts as gone: it runs nothing and holds no port).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// Issue 23: the next start silently reused a server it had not started.
// Now a taken port is refused, naming the setting that allows reuse.
func TestStartRefusesServerItDidNotStart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	_, err = devserver.Start(context.Background(), devserver.Options{HostPort: l.Addr().String()})
	require.ErrorIs(t, err, devserver.ErrPortInUse)
	require.ErrorContains(t, err, "RENCANA_REUSE_TEMPORAL")

	// Told to, it uses a real server that is already there, and leaves
	// it running when it stops.
	srv := devservertest.ForTest(t)
	reused, err := devserver.Start(context.Background(), devserver.Options{HostPort: srv.HostPort(), ReuseExisting: true})
	require.NoError(t, err)
	require.Zero(t, reused.PID())
	require.NoError(t, reused.Stop())
	_, err = srv.Client().CheckHealth(context.Background(), &client.CheckHealthRequest{})
	require.NoError(t, err, "stopping a reused server leaves it running")
}
