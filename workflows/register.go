package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rencana-id/rencana/activities"
)

// Register puts every workflow and activity of rencana on r (a worker, or a
// test environment), under the names the contract fixes; cmd/rencana calls
// it so the worker and the tests cannot drift apart. The cycle's activities
// and ReserveCeiling also need a.Workflows (NewDriver over the worker's
// client).
func Register(r worker.Registry, a *activities.Activities) {
	r.RegisterWorkflowWithOptions(ProposalWorkflow, workflow.RegisterOptions{Name: ProposalWorkflowName})
	r.RegisterWorkflowWithOptions(CycleWorkflow, workflow.RegisterOptions{Name: CycleWorkflowName})
	r.RegisterWorkflowWithOptions(KMPWorkflow, workflow.RegisterOptions{Name: KMPWorkflowName})
	r.RegisterWorkflowWithOptions(KMPStartWorkflow, workflow.RegisterOptions{Name: KMPStartWorkflowName})
	r.RegisterActivity(a)
}
