package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// The data round on Temporal's time-skipping test environment over a real
// SQLite projection: the table's refusals, the reminder before the due
// date and the overdue notice after it, and a reopen's new revision.
func TestDataRoundWorkflow(t *testing.T) {
	db := storetest.SQLite(t)
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quietLogger)
	env := ts.NewTestWorkflowEnvironment()
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	env.SetTestTimeout(30 * time.Second)
	Register(env, activities.New(db))

	operator := domain.Actor{Username: "operator.muna", Role: domain.RoleOperatorData, Scope: "74.05"}
	otherOperator := domain.Actor{Username: "operator.kendari", Role: domain.RoleOperatorData, Scope: "74.71"}
	prov := domain.Actor{Username: "perencana.sultra", Role: domain.RolePerencanaProvinsi, Scope: "74"}
	due := start.Add(10 * 24 * time.Hour)

	type step struct {
		after   time.Duration
		name    string
		arg     any
		refused string // the domain code of a refusal, "" for accepted
		status  domain.RoundStatus
	}
	steps := []step{
		{time.Minute, DataRoundUpdateOpen, OpenRoundRequest{Actor: prov, DueAt: due}, "", domain.RoundOpen},
		{2 * time.Minute, string(domain.RoundVerify), RoundActionRequest{Actor: kadisKab}, domain.ECONFLICT, ""},
		{3 * time.Minute, string(domain.RoundSubmit), RoundActionRequest{Actor: otherOperator}, domain.EFORBIDDEN, ""},
		{4 * time.Minute, string(domain.RoundSubmit), RoundActionRequest{Actor: kadisKab}, domain.EFORBIDDEN, ""},
		// After the due date (the overdue notice has gone out) the operator submits.
		{11 * 24 * time.Hour, string(domain.RoundSubmit), RoundActionRequest{Actor: operator}, "", domain.RoundSubmitted},
		{11*24*time.Hour + time.Minute, string(domain.RoundReturn), RoundActionRequest{Actor: kadisKab}, domain.EINVALID, ""},
		{11*24*time.Hour + 2*time.Minute, string(domain.RoundVerify), RoundActionRequest{Actor: kadisKab}, "", domain.RoundVerified},
		{11*24*time.Hour + 3*time.Minute, string(domain.RoundAccept), RoundActionRequest{Actor: kadisKab}, domain.EFORBIDDEN, ""},
		{11*24*time.Hour + 4*time.Minute, string(domain.RoundAccept), RoundActionRequest{Actor: prov}, "", domain.RoundAccepted},
		{11*24*time.Hour + 5*time.Minute, string(domain.RoundSubmit), RoundActionRequest{Actor: operator}, domain.ECONFLICT, ""},
		{11*24*time.Hour + 6*time.Minute, string(domain.RoundReopen), RoundActionRequest{Actor: prov, Comment: "Koreksi NIK."}, "", domain.RoundOpen},
	}
	got := make([]struct {
		err    error
		status domain.RoundStatus
	}, len(steps))
	for i, s := range steps {
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(s.name, "", &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) { got[i].err = err },
				OnComplete: func(r any, err error) {
					if err != nil {
						got[i].err = err
						return
					}
					got[i].status = r.(DataRound).Status
				},
			}, s.arg)
		}, s.after)
	}
	env.RegisterDelayedCallback(env.CancelWorkflow, 12*24*time.Hour)
	env.ExecuteWorkflow(DataRoundWorkflowName, DataRoundInput{Region: "74.05", Year: 2026})
	require.True(t, env.IsWorkflowCompleted())

	for i, s := range steps {
		if s.refused != "" {
			require.Error(t, got[i].err, "step %d %s", i, s.name)
			require.Equal(t, s.refused, domain.ErrorCode(AsDomainError(got[i].err)), "step %d %s", i, s.name)
			continue
		}
		require.NoError(t, got[i].err, "step %d %s", i, s.name)
		require.Equal(t, s.status, got[i].status, "step %d %s", i, s.name)
	}
	ctx := context.Background()
	r, err := db.GetDataRound(ctx, "74.05", 2026)
	require.NoError(t, err)
	require.Equal(t, domain.RoundOpen, r.Status)
	require.Equal(t, 2, r.Revision)
	require.True(t, r.Overdue)
	events, err := db.DataRoundEvents(ctx, "74.05", 2026)
	require.NoError(t, err)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	// Reopened without a new due date, long past: overdue again at once.
	require.Equal(t, []string{"open", NoticeRoundReminder, DataRoundEventOverdue, "submit", "verify", "accept", "reopen", DataRoundEventOverdue}, actions)
	require.Equal(t, due.Add(-RoundReminderBefore), events[1].At, "reminder 3 days before the due date")
	require.Equal(t, due, events[2].At, "overdue at the due date")
	require.Equal(t, "Koreksi NIK.", events[6].Comment)
	// The notifications went to the right people.
	for _, want := range []struct {
		role  domain.Role
		scope string
		kind  string
	}{
		{domain.RoleOperatorData, "74.05", NoticeRoundReminder},
		{domain.RoleKadisKabKota, "74.05", NoticeRoundOverdue},
		{domain.RolePerencanaProvinsi, "74", NoticeRoundOverdue + "_provinsi"},
		{domain.RolePerencanaProvinsi, "74", NoticeRoundChanged},
	} {
		var n int64
		require.NoError(t, db.ScanSQL(context.Background(), &n, "SELECT COUNT(*) FROM notifications WHERE recipient_role = ? AND recipient_scope = ? AND kind = ?", string(want.role), want.scope, want.kind))
		require.Positive(t, n, "%+v", want)
	}
}
