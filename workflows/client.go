package workflows

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/internal/domain"
)

// The functions below are how the API (and the cycle's activities) talk to
// a ProposalWorkflow, so that none of them has to know update names,
// Update-with-Start options or how refusals travel. Every error they return
// has gone through AsDomainError: a *domain.Error for refusals (map its code
// to a status), anything else is internal.

// CreateUpdateID is the Update ID of create: a retried Update-with-Start
// for the same proposal ID is deduplicated by Temporal and answers with the
// draft saved the first time.
const CreateUpdateID = "create"

// Create starts the proposal's workflow and saves its draft in one call
// (Update-with-Start), returning the saved draft once it is in the database.
// in.ProposalID must be fresh (the API derives it from the Idempotency-Key
// when there is one, so a retried POST lands on the same workflow).
func Create(ctx context.Context, c client.Client, in ProposalInput, req CreateRequest) (domain.Proposal, error) {
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:        ProposalWorkflowID(in.ProposalID),
		TaskQueue: TaskQueue,
		// A retry finds the running workflow; an ended proposal's ID is
		// never reused, its projection and trail already exist.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, ProposalWorkflowName, in)
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     CreateUpdateID,
			UpdateName:   UpdateCreate,
			WaitForStage: client.WorkflowUpdateStageCompleted,
			Args:         []any{req},
		},
	})
	if err != nil {
		return domain.Proposal{}, AsDomainError(err)
	}
	var p domain.Proposal
	if err := h.Get(ctx, &p); err != nil {
		return domain.Proposal{}, AsDomainError(err)
	}
	return p, nil
}

// Act performs action on a proposal and returns its new state, after the
// transition is in the database.
func Act(ctx context.Context, c client.Client, proposalID string, action domain.Action, req ActionRequest) (domain.Proposal, error) {
	return update(ctx, c, proposalID, ActionUpdateName(action), req)
}

// Edit changes a draft (PATCH with If-Match) and returns its new state.
func Edit(ctx context.Context, c client.Client, proposalID string, req EditRequest) (domain.Proposal, error) {
	return update(ctx, c, proposalID, UpdateEdit, req)
}

// Lock moves a consolidated proposal to the ministry stage; the cycle's lock
// calls it for every consolidated proposal of the cycle.
func Lock(ctx context.Context, c client.Client, proposalID string, req ActionRequest) (domain.Proposal, error) {
	return update(ctx, c, proposalID, UpdateLock, req)
}

// State asks the workflow for the live state (the projection may be read
// instead: it is never behind an answered Update).
func State(ctx context.Context, c client.Client, proposalID string) (domain.Proposal, error) {
	v, err := c.QueryWorkflow(ctx, ProposalWorkflowID(proposalID), "", QueryState)
	if err != nil {
		return domain.Proposal{}, AsDomainError(err)
	}
	var p domain.Proposal
	if err := v.Get(&p); err != nil {
		return domain.Proposal{}, err
	}
	return p, nil
}

// MoveCalendar tells a proposal its cycle's dates changed.
func MoveCalendar(ctx context.Context, c client.Client, proposalID string, cal domain.Calendar) error {
	_, err := update(ctx, c, proposalID, UpdateCalendar, cal)
	return err
}

func update(ctx context.Context, c client.Client, proposalID, name string, arg any) (domain.Proposal, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   ProposalWorkflowID(proposalID),
		UpdateName:   name,
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{arg},
	})
	if err != nil {
		return domain.Proposal{}, AsDomainError(err)
	}
	var p domain.Proposal
	if err := h.Get(ctx, &p); err != nil {
		return domain.Proposal{}, AsDomainError(err)
	}
	return p, nil
}
