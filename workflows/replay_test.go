package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rencana-id/rencana/workflows"
)

// TestReplay replays every recorded history in testdata against the current
// code: a change that is not deterministic for running proposals or cycles
// (one not wrapped in workflow.GetVersion) fails here. The files come from
// the integration tests, run with -update-histories: lifecycle.json and
// restart.json move the calendar by Update; *_signal_calendar.json are the
// same runs from before, moved by signal and before the ceiling reservation
// (they replay through its GetVersion's default branch); cycle.json and
// consolidate_reserve.json
// come from TestIntegrationSultraCycle. Re-record only the test whose
// histories a versioned change made obsolete, and keep the old files.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no histories in testdata; run go test ./workflows/ -run Integration -update-histories")
	logger := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.ProposalWorkflow, workflow.RegisterOptions{Name: workflows.ProposalWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.CycleWorkflow, workflow.RegisterOptions{Name: workflows.CycleWorkflowName})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(logger, f))
		})
	}
}
