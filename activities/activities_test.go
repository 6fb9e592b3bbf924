package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// *store.DB is the production Store.
var _ activities.Store = (*store.DB)(nil)

type stubStore struct {
	recordErr, notifyErr error
	notes                []store.Notification
}

func (s *stubStore) RecordTransition(context.Context, store.Proposal, store.ProposalEvent) (bool, error) {
	return s.recordErr == nil, s.recordErr
}

func (s *stubStore) InsertNotification(_ context.Context, n store.Notification) error {
	if s.notifyErr != nil {
		return s.notifyErr
	}
	s.notes = append(s.notes, n)
	return nil
}

type recordingMailer struct{ sent []activities.Mail }

func (m *recordingMailer) Send(_ context.Context, mail activities.Mail) error {
	m.sent = append(m.sent, mail)
	return nil
}

func TestRecordTransitionClassifiesErrors(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	in := activities.RecordTransitionInput{
		Proposal: store.Proposal{ID: "p1"},
		Event:    store.ProposalEvent{ProposalID: "p1", Seq: 1, Action: "create", ToStage: domain.StageDraft},
	}

	// A refusal cannot be fixed by retrying: non-retryable, typed.
	run := func(s activities.Store) (converter.EncodedValue, error) {
		env := ts.NewTestActivityEnvironment()
		a := activities.New(s, nil)
		env.RegisterActivity(a)
		return env.ExecuteActivity(a.RecordTransition, in)
	}
	_, err := run(&stubStore{recordErr: domain.Errorf(domain.EINVALID, "Siklus tidak dikenal.")})
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	require.Equal(t, domain.EINVALID, app.Type())
	require.True(t, app.NonRetryable())
	require.Equal(t, "Siklus tidak dikenal.", app.Message())

	// An outage is left to the retry policy.
	_, err = run(&stubStore{recordErr: errors.New("connection refused")})
	require.ErrorAs(t, err, &app)
	require.False(t, app.NonRetryable())

	v, err := run(&stubStore{})
	require.NoError(t, err)
	var res activities.RecordTransitionResult
	require.NoError(t, v.Get(&res))
	require.True(t, res.Recorded)
}

func TestNotifyStoresThenMails(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	s, m := &stubStore{}, &recordingMailer{}
	env := ts.NewTestActivityEnvironment()
	a := activities.New(s, m)
	env.RegisterActivity(a)
	n := store.Notification{ID: "p1/2/review_requested", RecipientRole: domain.RoleReviewerKabKota, RecipientScope: "74.05",
		ProposalID: "p1", Kind: "review_requested", Message: "Usulan menunggu reviu.", CreatedAt: time.Now()}
	_, err := env.ExecuteActivity(a.Notify, activities.NotifyInput{Notification: n, Subject: "[rencana] Reviu"})
	require.NoError(t, err)
	require.Len(t, s.notes, 1)
	require.Equal(t, []activities.Mail{{ToRole: domain.RoleReviewerKabKota, ToScope: "74.05", Subject: "[rencana] Reviu", Body: "Usulan menunggu reviu."}}, m.sent)

	// Without a mailer the notification is still stored; LogMailer never fails.
	require.NoError(t, activities.LogMailer{}.Send(context.Background(), activities.Mail{ToUsername: "x"}))
}

func TestActivitiesOnRealStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := activities.New(db, nil)
		ctx := context.Background()
		n := store.Notification{ID: "p1/1/stage_changed", RecipientUsername: "siti", ProposalID: "p1", Kind: "stage_changed", Message: "Tahap berubah.", CreatedAt: time.Now()}
		require.NoError(t, a.Notify(ctx, activities.NotifyInput{Notification: n}))
		require.NoError(t, a.Notify(ctx, activities.NotifyInput{Notification: n}), "a retry is harmless")
		got, err := db.ListProposalNotifications(ctx, "p1")
		require.NoError(t, err)
		require.Len(t, got, 1)

		// A proposal of an unknown cycle is a business refusal.
		_, err = a.RecordTransition(ctx, activities.RecordTransitionInput{
			Proposal: store.Proposal{ID: "p1", CycleID: "99-2027", RegionCode: "99", Title: "x", Stage: domain.StageDraft, CreatedBy: "siti", Version: 1, CreatedAt: time.Now(), UpdatedAt: time.Now()},
			Event:    store.ProposalEvent{ProposalID: "p1", Seq: 1, Action: "create", ToStage: domain.StageDraft, At: time.Now()},
		})
		var app *temporal.ApplicationError
		require.ErrorAs(t, err, &app)
		require.Equal(t, domain.EINVALID, app.Type())
		require.True(t, app.NonRetryable())
	})
}
