package mail

import (
	"context"
	"log/slog"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// Sender delivers one notification by mail: SMTP, or LogSender in dev.
type Sender interface {
	Send(ctx context.Context, n domain.Notification) error
}

// LogSender is the development Sender: it writes the mail to the log
// instead of sending it, so `rencana dev` needs no SMTP server.
type LogSender struct{ Log *slog.Logger }

// Send logs n.
func (l LogSender) Send(_ context.Context, n domain.Notification) error {
	l.Log.Info("mail (not sent: log-only mailer)", "to_username", n.RecipientUsername, "to_role", n.RecipientRole,
		"to_scope", n.RecipientScope, "subject", n.Subject, "body", n.Message)
	return nil
}

// OutboxStore is what the outbox needs from the database (*store.DB).
type OutboxStore interface {
	UnmailedNotifications(ctx context.Context, before time.Time, limit int) ([]domain.Notification, error)
	ClaimMail(ctx context.Context, id string, at time.Time) (bool, error)
	ReleaseMail(ctx context.Context, id string) error
}

// Outbox mails stored notifications. Notifications are written with the
// transition that causes them, inside the workflow task that accepts the
// decision; Grace holds mail back until that task has surely completed (a
// transition written by a task that then failed is replaced, its
// notifications with it, within the workflow task timeout), so nobody is
// mailed about a decision Temporal never recorded. Several workers may run
// an outbox: each notification is claimed by exactly one.
type Outbox struct {
	Store  OutboxStore
	Sender Sender
	Log    *slog.Logger
	// Grace is how old a notification must be to be mailed.
	Grace time.Duration
	// Every is how often the outbox looks.
	Every time.Duration
	Now   func() time.Time
}

// NewOutbox returns an outbox with the production timings: mail leaves
// within about a minute of the decision.
func NewOutbox(s OutboxStore, sender Sender, log *slog.Logger) *Outbox {
	return &Outbox{Store: s, Sender: sender, Log: log, Grace: 30 * time.Second, Every: 10 * time.Second, Now: time.Now}
}

// Run flushes the outbox every o.Every until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	t := time.NewTicker(o.Every)
	defer t.Stop()
	for {
		if _, err := o.Flush(ctx); err != nil && ctx.Err() == nil {
			o.Log.Warn("mail outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Flush mails every notification old enough, a batch at a time, and
// returns how many it sent. A notification whose mail fails is released
// for the next pass.
func (o *Outbox) Flush(ctx context.Context) (int, error) {
	sent := 0
	for {
		now := o.Now()
		batch, err := o.Store.UnmailedNotifications(ctx, now.Add(-o.Grace), 100)
		if err != nil {
			return sent, err
		}
		failed := 0
		for _, n := range batch {
			ok, err := o.Store.ClaimMail(ctx, n.ID, now)
			if err != nil {
				return sent, err
			}
			if !ok {
				continue // another outbox has it
			}
			if err := o.Sender.Send(ctx, n); err != nil {
				failed++
				o.Log.Warn("mail not sent; will retry", "notification", n.ID, "err", err)
				if err := o.Store.ReleaseMail(ctx, n.ID); err != nil {
					return sent, err
				}
				continue
			}
			sent++
		}
		// Stop at a short batch, or when nothing in it could be sent (the
		// mail server is down: try again next tick, not in a loop).
		if len(batch) < 100 || failed == len(batch) {
			return sent, nil
		}
	}
}
