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
//
// Activities are registered by method value, and the workflows call them
// by the same method values (acts.RecordTransition), so an editor follows
// a call to its code. Temporal names a method value by its method name:
// the names recorded in histories (RecordTransition, Notify, ...) are the
// method names, so renaming one of these methods needs
// RegisterActivityWithOptions with the old name (workflows/replay_test.go
// catches a rename).
func Register(r worker.Registry, a *activities.Activities) {
	r.RegisterWorkflowWithOptions(ProposalWorkflow, workflow.RegisterOptions{Name: ProposalWorkflowName})
	r.RegisterWorkflowWithOptions(CycleWorkflow, workflow.RegisterOptions{Name: CycleWorkflowName})
	for _, fn := range []any{
		a.RecordTransition, a.Notify, a.ReserveCeiling, // the proposal's
		a.RecordCycle, a.SignalCalendar, a.PrepareLock, a.LockBatch, // the cycle's
		a.RecordDataRound,                             // the data round's
		a.RecordKMP, a.EnterRegister, a.StartKMPBatch, // Koperasi Merah Putih's
	} {
		r.RegisterActivity(fn)
	}
	r.RegisterWorkflowWithOptions(DataRoundWorkflow, workflow.RegisterOptions{Name: DataRoundWorkflowName})
	r.RegisterWorkflowWithOptions(KMPWorkflow, workflow.RegisterOptions{Name: KMPWorkflowName})
	r.RegisterWorkflowWithOptions(KMPStartWorkflow, workflow.RegisterOptions{Name: KMPStartWorkflowName})
}
