package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/rencana-id/rencana/activities"
)

// Register puts every workflow and activity of rencana on r (a worker, or a
// test environment), under the names the contract fixes; cmd/rencana calls
// it so the worker and the tests cannot drift apart.
func Register(r worker.Registry, a *activities.Activities) {
	r.RegisterWorkflowWithOptions(ProposalWorkflow, workflow.RegisterOptions{Name: ProposalWorkflowName})
	r.RegisterActivity(a)
}
