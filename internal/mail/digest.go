package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net/smtp"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// The daily digest: once a day, from DigestHour in the user's zone, every
// user with a mail address gets one mail listing the notifications of the
// last day still unread in the notification centre. It complements the
// per-notification mail for those who read mail once a day, and it is the
// only mail of a day when nothing new happened: none is sent then.

// DigestStore is what the digest reads and records (store.DB).
type DigestStore interface {
	MailRecipients(ctx context.Context) ([]store.MailRecipient, error)
	Inbox(ctx context.Context, r store.Recipient, q store.InboxQuery) ([]store.InboxItem, int64, error)
	ClaimDigest(ctx context.Context, username, day string, at time.Time) (bool, error)
	ReleaseDigest(ctx context.Context, username, day string) error
}

// Grants gives a user's grants in force (policies.Authorizer does): the
// roles whose notifications reach them, and the zone of their office.
type Grants interface {
	ActiveGrants(ctx context.Context, username string, at time.Time) ([]domain.Grant, error)
}

// DigestHour is the local hour from which the day's digest goes out.
const DigestHour = 7

// Digest sends the daily digests through an SMTP server.
type Digest struct {
	Store  DigestStore
	Grants Grants
	SMTP   *SMTP
	Log    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Run sends due digests every quarter of an hour until ctx ends.
func (d *Digest) Run(ctx context.Context) {
	t := time.NewTicker(15 * time.Minute)
	defer t.Stop()
	for {
		if n, err := d.Send(ctx); err != nil {
			d.Log.Warn("daily digest", "err", err, "sent", n)
		} else if n > 0 {
			d.Log.Info("daily digest", "sent", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Send mails every digest due now and not yet sent, and returns how many
// it sent. Of several workers, one sends each (ClaimDigest); a failed mail
// is released and tried again on the next pass.
func (d *Digest) Send(ctx context.Context) (int, error) {
	now := time.Now()
	if d.Now != nil {
		now = d.Now()
	}
	users, err := d.Store.MailRecipients(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	var firstErr error
	for _, u := range users {
		grants, err := d.Grants.ActiveGrants(ctx, u.Username, now)
		if err != nil {
			return sent, err
		}
		zone := domain.WIB
		if len(grants) > 0 {
			zone = domain.ZoneOf(grants[0].Scope)
		}
		local := now.In(zone)
		if local.Hour() < DigestHour {
			continue
		}
		day := local.Format("2006-01-02")
		claimed, err := d.Store.ClaimDigest(ctx, u.Username, day, now)
		if err != nil {
			return sent, err
		}
		if !claimed {
			continue
		}
		items, unread, err := d.Store.Inbox(ctx, store.Recipient{Username: u.Username, Grants: grants},
			store.InboxQuery{UnreadOnly: true, Since: now.Add(-24 * time.Hour), Limit: 50})
		if err != nil {
			_ = d.Store.ReleaseDigest(ctx, u.Username, day)
			return sent, err
		}
		if len(items) == 0 {
			continue // nothing new: no mail, and none again today
		}
		msg, err := d.SMTP.message([]string{u.Email}, domain.Notification{
			Subject: fmt.Sprintf("[rencana] Ringkasan harian: %d notifikasi belum dibaca", unread),
			Message: digestBody(u, items, unread, zone),
		})
		if err == nil {
			err = smtp.SendMail(d.SMTP.Addr, d.SMTP.Auth, d.SMTP.From, []string{u.Email}, msg)
		}
		if err != nil {
			_ = d.Store.ReleaseDigest(ctx, u.Username, day)
			if firstErr == nil {
				firstErr = fmt.Errorf("digest for %s: %w", u.Username, err)
			}
			continue
		}
		sent++
	}
	return sent, firstErr
}

// digestBody is the plain-text digest: one line per notification, newest
// first, with its time in the user's zone.
func digestBody(u store.MailRecipient, items []store.InboxItem, unread int64, zone *time.Location) string {
	var b strings.Builder
	name := u.FullName
	if name == "" {
		name = u.Username
	}
	fmt.Fprintf(&b, "Yth. %s,\n\nNotifikasi 24 jam terakhir yang belum Anda baca di rencana:\n\n", name)
	for _, it := range items {
		l := it.CreatedAt.In(zone)
		fmt.Fprintf(&b, "- %s %s: %s\n", l.Format("02-01-2006 15.04"), l.Format("MST"), it.Message)
	}
	fmt.Fprintf(&b, "\nSeluruhnya %d notifikasi belum dibaca; buka halaman Notifikasi di rencana untuk menandainya.\n", unread)
	return b.String()
}
