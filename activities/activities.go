// Package activities holds the side effects the workflows need: projecting a
// proposal's transitions into the database and sending notifications. Every
// activity is idempotent, because Temporal retries it until it succeeds:
// business refusals come back as non-retryable application errors whose type
// is the domain error code, transient failures are returned as they are so
// the retry policy handles them.
package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.temporal.io/sdk/temporal"

	"github.com/rencana-id/rencana/internal/domain"
)

// Store is what the activities need from the database; *store.DB implements
// it, tests may use a fake.
type Store interface {
	// RecordTransition writes the snapshot, appends the event and stores
	// the transition's notifications in one transaction, idempotent on
	// (proposal_id, seq).
	RecordTransition(ctx context.Context, p domain.Proposal, ev domain.ProposalEvent, notes ...domain.Notification) (bool, error)
	// RecordConsolidation is RecordTransition that first checks and
	// reserves a consolidated amount against its ceiling, in the same
	// transaction; a refusal is a *domain.Error and writes nothing.
	RecordConsolidation(ctx context.Context, r domain.Reservation, p domain.Proposal, ev domain.ProposalEvent, notes ...domain.Notification) (bool, error)
	// InsertNotification stores a notification, idempotent on its ID.
	InsertNotification(ctx context.Context, n domain.Notification) error
}

// Activities carries the dependencies of every activity; register a pointer
// to it so each exported method becomes an activity named after the method.
// Cycles is the cycle projection (set by New when the Store also is one, as
// *store.DB is); Workflows reaches other workflows through Temporal and is
// set by whoever has a client (cmd/rencana's worker, with
// workflows.NewDriver): the cycle's activities and ReserveCeiling fail
// without it.
type Activities struct {
	Store Store
	// cycleTurns limits this process's concurrent Updates to each cycle
	// (ReserveCeiling), by cycle ID.
	cycleTurns sync.Map
	Cycles     CycleStore
	Workflows  Workflows
	// KMP is the Koperasi Merah Putih projection (set by New when the
	// Store also is one); KMPStarter starts KMP workflows (the worker sets
	// workflows.NewDriver); Register is the koperasi register a KMP enters
	// at badan hukum, optional: without it EnterRegister only logs.
	KMP        KMPStore
	KMPStarter KMPStarter
	Register   KoperasiRegister
}

// New builds the activities over a store.
func New(s Store) *Activities {
	a := &Activities{Store: s}
	if cs, ok := s.(CycleStore); ok {
		a.Cycles = cs
	}
	if ks, ok := s.(KMPStore); ok {
		a.KMP = ks
	}
	return a
}

// RecordTransitionInput is a proposal's snapshot after a change and the
// audit event that describes the change.
type RecordTransitionInput struct {
	Proposal domain.Proposal      `json:"proposal"`
	Event    domain.ProposalEvent `json:"event"`
	// Notifications are the in-app notifications the transition sends,
	// stored in the same transaction (the mail outbox sends them on).
	Notifications []domain.Notification `json:"notifications,omitempty"`
	// Reservation, on a consolidate, is checked against the ceiling and
	// reserved in the same transaction (Store.RecordConsolidation).
	Reservation *domain.Reservation `json:"reservation,omitempty"`
}

// RecordTransitionResult says whether this call wrote the event; false means
// an earlier attempt already had (a retry), which is still a success.
type RecordTransitionResult struct {
	Recorded bool `json:"recorded"`
}

// RecordTransition projects one transition into the database.
func (a *Activities) RecordTransition(ctx context.Context, in RecordTransitionInput) (RecordTransitionResult, error) {
	var (
		recorded bool
		err      error
	)
	if in.Reservation != nil {
		recorded, err = a.Store.RecordConsolidation(ctx, *in.Reservation, in.Proposal, in.Event, in.Notifications...)
	} else {
		recorded, err = a.Store.RecordTransition(ctx, in.Proposal, in.Event, in.Notifications...)
	}
	if err != nil {
		return RecordTransitionResult{}, classify(fmt.Errorf("record transition %s#%d: %w", in.Event.ProposalID, in.Event.Seq, err))
	}
	return RecordTransitionResult{Recorded: recorded}, nil
}

// NotifyInput is one notification to store. Subject is the mail subject
// of histories recorded before it moved into the Notification.
type NotifyInput struct {
	Notification domain.Notification `json:"notification"`
	Subject      string              `json:"subject,omitempty"`
}

// Notify stores the notification, idempotent on its ID (fixed by the
// workflow). Mail leaves later through the outbox (internal/mail), so a
// mail server that is down never holds a workflow up.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) error {
	n := in.Notification
	if n.Subject == "" {
		n.Subject = in.Subject
	}
	if err := a.Store.InsertNotification(ctx, n); err != nil {
		return classify(fmt.Errorf("notify %s: %w", n.ID, err))
	}
	return nil
}

// classify turns a domain refusal into a non-retryable application error
// whose type is the domain code (retrying cannot fix it) and leaves any other
// error retryable.
func classify(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		return temporal.NewNonRetryableApplicationError(de.Message, de.Code, err, de.Fields)
	}
	return err
}
