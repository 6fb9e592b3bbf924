package main

import (
	"log/slog"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/mail"
	"github.com/rencana-id/rencana/internal/store"
)

// newMailer picks how notifications leave the system besides the in-app
// inbox: SMTP when RENCANA_SMTP_URL is set, the log in dev, nothing
// otherwise (config has already validated the URL and sender).
func newMailer(cfg config.Config, db *store.DB, holders mail.Holders, log *slog.Logger) (activities.Mailer, error) {
	switch {
	case cfg.SMTPURL != "":
		m, err := mail.ParseURL(cfg.SMTPURL, cfg.MailFrom, db, holders)
		if err != nil {
			return nil, err
		}
		log.Info("notifications are mailed", "smtp", m.Addr, "from", m.From)
		return m, nil
	case cfg.Mode == config.ModeDev:
		return activities.LogMailer{Log: log}, nil
	default:
		log.Info("notifications are in-app only (set RENCANA_SMTP_URL to mail them)")
		return nil, nil
	}
}
