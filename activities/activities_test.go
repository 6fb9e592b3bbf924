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
	notes                []domain.Notification
	reserved             []domain.Reservation
}

func (s *stubStore) RecordTransition(context.Context, domain.Proposal, domain.ProposalEvent, ...domain.Notification) (bool, error) {
	return s.recordErr == nil, s.recordErr
}

func (s *stubStore) RecordConsolidation(_ context.Context, r domain.Reservation, _ domain.Proposal, _ domain.ProposalEvent, _ ...domain.Notification) (bool, error) {
	if s.recordErr == nil {
		s.reserved = append(s.reserved, r)
	}
	return s.recordErr == nil, s.recordErr
}

func (s *stubStore) InsertNotification(_ context.Context, n domain.Notification) error {
	if s.notifyErr != nil {
		return s.notifyErr
	}
	s.notes = append(s.notes, n)
	return nil
}

func TestRecordTransitionClassifiesErrors(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	in := activities.RecordTransitionInput{
		Proposal: domain.Proposal{ID: "p1"},
		Event:    domain.ProposalEvent{ProposalID: "p1", Seq: 1, Action: "create", ToStage: domain.StageDraft},
	}

	// A refusal cannot be fixed by retrying: non-retryable, typed.
	run := func(s activities.Store) (converter.EncodedValue, error) {
		env := ts.NewTestActivityEnvironment()
		a := activities.New(s)
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

func TestNotifyStoresWithSubject(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	s := &stubStore{}
	env := ts.NewTestActivityEnvironment()
	a := activities.New(s)
	env.RegisterActivity(a)
	n := domain.Notification{ID: "p1/2/review_requested", RecipientRole: domain.RoleReviewerKabKota, RecipientScope: "74.05",
		ProposalID: "p1", Kind: "review_requested", Message: "Usulan menunggu reviu.", CreatedAt: time.Now()}
	// Histories recorded before the subject moved into the notification
	// still carry it beside: it is kept for the mail outbox.
	_, err := env.ExecuteActivity(a.Notify, activities.NotifyInput{Notification: n, Subject: "[rencana] Reviu"})
	require.NoError(t, err)
	require.Len(t, s.notes, 1)
	require.Equal(t, "[rencana] Reviu", s.notes[0].Subject)

	s.notifyErr = domain.Errorf(domain.EINVALID, "Notifikasi tidak lengkap.")
	_, err = env.ExecuteActivity(a.Notify, activities.NotifyInput{Notification: n})
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	require.True(t, app.NonRetryable())
}

func TestActivitiesOnRealStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := activities.New(db)
		ctx := context.Background()
		n := domain.Notification{ID: "p1/1/stage_changed", RecipientUsername: "siti", ProposalID: "p1", Kind: "stage_changed", Message: "Tahap berubah.", CreatedAt: time.Now()}
		require.NoError(t, a.Notify(ctx, activities.NotifyInput{Notification: n}))
		require.NoError(t, a.Notify(ctx, activities.NotifyInput{Notification: n}), "a retry is harmless")
		got, err := db.ListProposalNotifications(ctx, "p1")
		require.NoError(t, err)
		require.Len(t, got, 1)

		// A proposal of an unknown cycle is a business refusal.
		_, err = a.RecordTransition(ctx, activities.RecordTransitionInput{
			Proposal: domain.Proposal{ID: "p1", CycleID: "99-2027", RegionCode: "99", Title: "x", Stage: domain.StageDraft, CreatedBy: "siti", Version: 1, CreatedAt: time.Now(), UpdatedAt: time.Now()},
			Event:    domain.ProposalEvent{ProposalID: "p1", Seq: 1, Action: "create", ToStage: domain.StageDraft, At: time.Now()},
		})
		var app *temporal.ApplicationError
		require.ErrorAs(t, err, &app)
		require.Equal(t, domain.EINVALID, app.Type())
		require.True(t, app.NonRetryable())
	})
}
