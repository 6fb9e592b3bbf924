package app

import (
	"context"
	"log/slog"

	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/mail"
	"github.com/rencana-id/rencana/internal/store"
)

// StartMail starts the mail outbox, which sends stored notifications on
// besides the in-app inbox: by SMTP when RENCANA_SMTP_URL is set, to the
// log in dev, not at all otherwise (config has already validated the URL
// and sender). It runs until ctx ends.
func StartMail(ctx context.Context, cfg config.Config, db *store.DB, holders mail.Holders, log *slog.Logger) error {
	var sender mail.Sender
	switch {
	case cfg.SMTPURL != "":
		m, err := mail.ParseURL(cfg.SMTPURL, cfg.MailFrom, db, holders)
		if err != nil {
			return err
		}
		log.Info("notifications are mailed", "smtp", m.Addr, "from", m.From)
		sender = m
	case cfg.Mode == config.ModeDev:
		sender = mail.LogSender{Log: log}
	default:
		log.Info("notifications are in-app only (set RENCANA_SMTP_URL to mail them)")
		return nil
	}
	go mail.NewOutbox(db, sender, log).Run(ctx)
	return nil
}
