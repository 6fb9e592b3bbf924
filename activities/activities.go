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
	"log/slog"

	"go.temporal.io/sdk/temporal"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// Proposal is the representation of a proposal (store.Proposal), re-exported
// so workflows can use it without importing the store.
type Proposal = store.Proposal

// Indicator is one measurable target of a proposal.
type Indicator = store.Indicator

// ProposalEvent is one line of a proposal's audit trail.
type ProposalEvent = store.ProposalEvent

// Notification is an in-app message to a user or to a role within a scope.
type Notification = store.Notification

// Store is what the activities need from the database; *store.DB implements
// it, tests may use a fake.
type Store interface {
	// RecordTransition writes the snapshot and appends the event in one
	// transaction, idempotent on (proposal_id, seq).
	RecordTransition(ctx context.Context, p store.Proposal, ev store.ProposalEvent) (bool, error)
	// InsertNotification stores a notification, idempotent on its ID.
	InsertNotification(ctx context.Context, n store.Notification) error
}

// Mail is a notification as an e-mail; the recipient is a user or every
// holder of a role within a scope, for the Mailer to resolve.
type Mail struct {
	ToUsername string
	ToRole     domain.Role
	ToScope    string
	Subject    string
	Body       string
}

// Mailer sends notifications by mail. It is optional: notifications are
// always stored in-app first, mail is a courtesy.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// LogMailer is the development Mailer: it writes the mail to the log
// instead of sending it, so `rencana dev` needs no SMTP server.
type LogMailer struct {
	Log *slog.Logger
}

// Send logs m.
func (l LogMailer) Send(_ context.Context, m Mail) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	log.Info("mail (not sent: log-only mailer)", "to_username", m.ToUsername, "to_role", m.ToRole,
		"to_scope", m.ToScope, "subject", m.Subject, "body", m.Body)
	return nil
}

// Activities carries the dependencies of every activity; register a pointer
// to it so each exported method becomes an activity named after the method.
// Cycles is the cycle projection (set by New when the Store also is one, as
// *store.DB is); Workflows reaches other workflows through Temporal and is
// set by whoever has a client (cmd/rencana's worker, with
// workflows.NewDriver): the cycle's activities and ReserveCeiling fail
// without it.
type Activities struct {
	Store     Store
	Mailer    Mailer
	Cycles    CycleStore
	Workflows Workflows
}

// New builds the activities over a store and an optional mailer (nil sends
// no mail).
func New(s Store, m Mailer) *Activities {
	a := &Activities{Store: s, Mailer: m}
	if cs, ok := s.(CycleStore); ok {
		a.Cycles = cs
	}
	return a
}

// RecordTransitionInput is a proposal's snapshot after a change and the
// audit event that describes the change.
type RecordTransitionInput struct {
	Proposal Proposal      `json:"proposal"`
	Event    ProposalEvent `json:"event"`
}

// RecordTransitionResult says whether this call wrote the event; false means
// an earlier attempt already had (a retry), which is still a success.
type RecordTransitionResult struct {
	Recorded bool `json:"recorded"`
}

// RecordTransition projects one transition into the database.
func (a *Activities) RecordTransition(ctx context.Context, in RecordTransitionInput) (RecordTransitionResult, error) {
	recorded, err := a.Store.RecordTransition(ctx, in.Proposal, in.Event)
	if err != nil {
		return RecordTransitionResult{}, classify(fmt.Errorf("record transition %s#%d: %w", in.Event.ProposalID, in.Event.Seq, err))
	}
	return RecordTransitionResult{Recorded: recorded}, nil
}

// NotifyInput is one notification to store (and mail, when a Mailer is set).
type NotifyInput struct {
	Notification Notification `json:"notification"`
	Subject      string       `json:"subject"`
}

// Notify stores the notification, then mails it. A mail failure is retried
// with the activity; the stored notification is not duplicated because its
// ID is fixed by the workflow.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) error {
	if err := a.Store.InsertNotification(ctx, in.Notification); err != nil {
		return classify(fmt.Errorf("notify %s: %w", in.Notification.ID, err))
	}
	if a.Mailer == nil {
		return nil
	}
	n := in.Notification
	if err := a.Mailer.Send(ctx, Mail{ToUsername: n.RecipientUsername, ToRole: n.RecipientRole, ToScope: n.RecipientScope,
		Subject: in.Subject, Body: n.Message}); err != nil {
		return fmt.Errorf("mail %s: %w", n.ID, err)
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
