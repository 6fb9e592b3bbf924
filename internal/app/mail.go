package app

import (
	"context"
	"log/slog"

	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/mail"
	"github.com/rencana-id/rencana/internal/store"
)

// mailPolicies is what mail needs of the Authorizer: who holds a role over
// a region, and a user's grants.
type mailPolicies interface {
	mail.Holders
	mail.Grants
}

// StartMail starts the mail outbox, which sends stored notifications on
// besides the in-app inbox: by SMTP when RENCANA_SMTP_URL is set, to the
// log in dev, not at all otherwise (config has already validated the URL
// and sender). It runs until ctx ends.
// With SMTP it also sends each user with an address a daily digest of the
// notifications still unread (mail.Digest).
func StartMail(ctx context.Context, cfg config.Config, db *store.DB, holders mailPolicies, log *slog.Logger) error {
	var sender mail.Sender
	switch {
	case cfg.SMTPURL != "":
		m, err := mail.ParseURL(cfg.SMTPURL, cfg.MailFrom, db, holders)
		if err != nil {
			return err
		}
		log.Info("notifications are mailed", "smtp", m.Addr, "from", m.From)
		sender = m
		go (&mail.Digest{Store: db, Grants: holders, SMTP: m, Log: log}).Run(ctx)
	case cfg.Mode == config.ModeDev:
		sender = mail.LogSender{Log: log}
	default:
		log.Info("notifications are in-app only (set RENCANA_SMTP_URL to mail them)")
		return nil
	}
	go mail.NewOutbox(db, sender, log).Run(ctx)
	return nil
}
