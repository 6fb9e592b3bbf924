package workflows

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/internal/domain"
)

// The functions below are how the API talks to a DataRoundWorkflow. Every
// error they return is a *domain.Error for refusals or an internal error.

// OpenDataRound opens a kab/kota's round for a year, or moves its due
// date, in one call (Update-with-Start), and answers once the round is in
// the database. Opening a round that is already open with the same date
// changes nothing, so the province may open every kab/kota again safely.
func OpenDataRound(ctx context.Context, c client.Client, kabkota string, year int, req OpenRoundRequest) (DataRound, error) {
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       DataRoundWorkflowID(kabkota, year),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// A workflow that ended without being opened (every open refused)
		// may be started again.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	}, DataRoundWorkflowName, DataRoundInput{Region: kabkota, Year: year})
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   DataRoundUpdateOpen,
			WaitForStage: client.WorkflowUpdateStageCompleted,
			Args:         []any{req},
		},
	})
	if err != nil {
		return DataRound{}, roundError(err)
	}
	var out DataRound
	if err := h.Get(ctx, &out); err != nil {
		return DataRound{}, roundError(err)
	}
	return out, nil
}

// ActDataRound performs action on a round and returns its new state, once
// the change is in the database.
func ActDataRound(ctx context.Context, c client.Client, kabkota string, year int, action domain.RoundAction, req RoundActionRequest) (DataRound, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   DataRoundWorkflowID(kabkota, year),
		UpdateName:   string(action),
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{req},
	})
	if err != nil {
		return DataRound{}, roundError(err)
	}
	var out DataRound
	if err := h.Get(ctx, &out); err != nil {
		return DataRound{}, roundError(err)
	}
	return out, nil
}

// roundError is AsDomainError with the round's wording for a workflow
// that does not exist.
func roundError(err error) error {
	err = AsDomainError(err)
	if de, ok := err.(*domain.Error); ok && de.Code == domain.ENOTFOUND && de.Fields == nil && de.Message != "Putaran data belum dibuka." {
		return domain.Errorf(domain.ENOTFOUND, "Putaran data belum dibuka.")
	}
	return err
}
