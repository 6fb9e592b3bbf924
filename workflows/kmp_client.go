package workflows

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// RecordKMPMilestone runs the milestone Update on a desa's KMP and returns
// the KMP once the milestone is in the database. updateID, when not empty,
// makes a retried request (the import re-uploaded) a duplicate Temporal
// answers from the first run.
func RecordKMPMilestone(ctx context.Context, c client.Client, regionCode, updateID string, req KMPMilestoneRequest) (KMP, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   KMPWorkflowID(regionCode),
		UpdateID:     updateID,
		UpdateName:   UpdateKMPMilestone,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{req},
	})
	if err != nil {
		return KMP{}, kmpError(err)
	}
	var k KMP
	if err := h.Get(ctx, &k); err != nil {
		return KMP{}, kmpError(err)
	}
	return k, nil
}

// kmpError is AsDomainError with KMP's words for an ended or unknown workflow.
func kmpError(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return domain.Errorf(domain.ECONFLICT, "Pembentukan KMP wilayah ini tidak berjalan (sudah selesai atau belum dimulai).")
	}
	return AsDomainError(err)
}

// StartKMPJob starts the bulk start job's workflow; a second call for the
// same job while it runs attaches to it.
func StartKMPJob(ctx context.Context, c client.Client, in KMPStartInput) (client.WorkflowRun, error) {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       KMPStartWorkflowID(in.Job.ID),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, KMPStartWorkflowName, in)
	if err != nil {
		return nil, AsDomainError(err)
	}
	return run, nil
}

var _ activities.KMPStarter = (*Driver)(nil)

// StartKMP starts a desa's KMPWorkflow; a workflow of that ID that runs or
// completed is not started again (started false). One that was terminated
// or failed is started afresh: an operator ended it, a start repairs it.
func (d *Driver) StartKMP(ctx context.Context, in activities.KMPStart) (bool, error) {
	_, err := d.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       KMPWorkflowID(in.RegionCode),
		TaskQueue:                TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// Without it the SDK answers a running workflow with its handle.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, KMPWorkflowName, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}
