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
// the integration tests, run with -update-histories: lifecycle.json,
// restart.json and consolidate_reserve.json project by local activity and
// reserve the ceiling in the projection's transaction; *_ceiling_cycle.json
// (and cycle_reserve_updates.json) are the same runs from before, when a
// consolidate reserved through the cycle's workflow;
// *_activity_projection.json are older, with
// RecordTransition and Notify as activities of their own (they replay
// through versionLocalProjection's default branch); *_signal_calendar.json
// are older still, the calendar moved by signal and before the ceiling
// reservation; cycle.json comes from TestIntegrationSultraCycle;
// *_deadline_reminders.json are the newest, with the reminders before every
// stage's deadline (versionDeadlineReminders).
// Re-record only the test whose histories a versioned change made
// obsolete, and keep the old files.
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
