package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
)

// designStageTable is the stage table (domain.Transitions) written out by hand, so that a
// change to StageActions (widening or narrowing a stage) fails here instead
// of being mirrored by tests that derive their expectations from it.
var designStageTable = map[domain.Stage][]domain.Action{
	domain.StageDraft:         {domain.ActionSubmit, domain.ActionWithdraw},
	domain.StageKabKotaReview: {domain.ActionApprove, domain.ActionReturn, domain.ActionReject, domain.ActionWithdraw},
	domain.StageRakorda:       {domain.ActionAccept, domain.ActionDefer, domain.ActionReject},
	domain.StageConsolidation: {domain.ActionConsolidate},
	domain.StageMinistry:      {domain.ActionFund, domain.ActionDecline},
	domain.StageSIPDMapping:   {domain.ActionMap},
}

func designAllows(s domain.Stage, a domain.Action) bool {
	for _, x := range designStageTable[s] {
		if x == a {
			return true
		}
	}
	return false
}

func TestStageActionsMatchDesign(t *testing.T) {
	for _, s := range []domain.Stage{domain.StageDraft, domain.StageKabKotaReview, domain.StageRakorda,
		domain.StageConsolidation, domain.StageMinistry, domain.StageSIPDMapping,
		domain.StageFinal, domain.StageRejected, domain.StageDeferred, domain.StageDeclined,
		domain.StageWithdrawn, domain.StageExpired} {
		require.ElementsMatch(t, designStageTable[s], domain.StageActions(s), "stage %s", s)
	}
}

// An action carrying the version the caller saw (If-Match) is refused with
// EPRECONDITION when the proposal has moved on since.
func TestActionStaleVersionRefused(t *testing.T) {
	st := &ProposalState{Calendar: testCalendar(), Created: true}
	st.Proposal.Stage = domain.StageKabKotaReview
	st.Proposal.Version = 3
	st.Proposal.CreatedBy = planner.Username
	now := tReview

	stale := checkAction(st, domain.ActionApprove, ActionRequest{Actor: reviewer, ExpectedVersion: 2}, now)
	require.NotNil(t, stale)
	require.Equal(t, domain.EPRECONDITION, stale.Code)

	require.Nil(t, checkAction(st, domain.ActionApprove, ActionRequest{Actor: reviewer, ExpectedVersion: 3}, now))
	require.Nil(t, checkAction(st, domain.ActionApprove, ActionRequest{Actor: reviewer}, now), "no If-Match, no check")
}
