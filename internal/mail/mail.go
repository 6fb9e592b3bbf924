// Package mail sends rencana's notifications by mail. Notifications are
// always stored in-app first, with the transition that causes them; the
// Outbox then hands each to a Sender: SMTP when RENCANA_SMTP_URL is set,
// the log in dev. Mail is the courtesy copy for users who have an address.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// Users resolves usernames to mail addresses (store.DB does).
type Users interface {
	UserEmails(ctx context.Context, usernames []string) ([]string, error)
}

// Holders lists who holds a role over a region (policies.Authorizer does);
// a notification addressed to "the reviewers of 74.05" reaches them.
type Holders interface {
	Holders(ctx context.Context, role domain.Role, region string, at time.Time) ([]string, error)
}

// SMTP is a Sender that delivers through one SMTP server.
type SMTP struct {
	// Addr is host:port of the server.
	Addr string
	// Auth is nil for an unauthenticated relay. net/smtp refuses PLAIN auth
	// over an unencrypted connection to anything but localhost, so
	// credentials never cross the network in clear.
	Auth smtp.Auth
	From string
	Users
	Holders
	Now func() time.Time
}

// ParseURL reads RENCANA_SMTP_URL, smtp://user:password@host:port, into an
// SMTP mailer sending as from. The password may be percent-encoded.
func ParseURL(raw, from string, users Users, holders Holders) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, fmt.Errorf("must be smtp://user:password@host:port")
	}
	port := u.Port()
	if port == "" {
		port = "587"
	}
	if !strings.Contains(from, "@") {
		return nil, fmt.Errorf("sender %q is not a mail address", from)
	}
	m := &SMTP{Addr: net.JoinHostPort(u.Hostname(), port), From: from, Users: users, Holders: holders, Now: time.Now}
	if u.User != nil {
		pw, _ := u.User.Password()
		m.Auth = smtp.PlainAuth("", u.User.Username(), pw, u.Hostname())
	}
	return m, nil
}

// Send mails m to its recipient: the user, or every current holder of the
// role over the scope. No address is not an error: the in-app notification
// already reached them. A failure is returned so the outbox tries again later.
func (s *SMTP) Send(ctx context.Context, m domain.Notification) error {
	var usernames []string
	if m.RecipientUsername != "" {
		usernames = []string{m.RecipientUsername}
	} else if m.RecipientRole != "" {
		hs, err := s.Holders.Holders(ctx, m.RecipientRole, m.RecipientScope, s.Now())
		if err != nil {
			return fmt.Errorf("mail recipients: %w", err)
		}
		usernames = hs
	}
	to, err := s.Users.UserEmails(ctx, usernames)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return nil
	}
	msg, err := s.message(to, m)
	if err != nil {
		return err
	}
	return smtp.SendMail(s.Addr, s.Auth, s.From, to, msg)
}

// message renders an RFC 5322 message; the subject is RFC 2047 encoded so
// Indonesian text with any character survives every relay.
func (s *SMTP) message(to []string, m domain.Notification) ([]byte, error) {
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	_, host, _ := strings.Cut(s.From, "@")
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: rencana <%s>\r\n", s.From)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(to, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", s.Now().UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id), host)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	body := strings.ReplaceAll(m.Message, "\r\n", "\n")
	// net/smtp's data writer does the dot-stuffing; lines only need CRLF.
	for _, line := range strings.Split(body, "\n") {
		b.WriteString(line + "\r\n")
	}
	return b.Bytes(), nil
}
