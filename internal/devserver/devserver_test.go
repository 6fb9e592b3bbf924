package devserver_test

import (
	"context"
	"os"
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
