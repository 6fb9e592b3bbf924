package main

import (
	"context"
	"io"

	"github.com/rencana-id/rencana/internal/app"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/demo"
	"github.com/rencana-id/rencana/policies"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := config.Load(config.ModeServe, args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr)
	db, err := app.OpenStore(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Close()
	authz, err := policies.New(ctx, db)
	if err != nil {
		return err
	}
	defer authz.Close()
	// Production bootstrap: the first instance with RENCANA_ADMIN_PASSWORD
	// creates the admin account; later starts leave it alone.
	if cfg.AdminPassword != "" {
		if created, err := demo.EnsureAdmin(ctx, db, authz, cfg.AdminPassword); err != nil {
			return err
		} else if created {
			log.Info("created admin user from RENCANA_ADMIN_PASSWORD")
		}
	}
	tc, err := app.DialTemporal(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	h, err := app.NewHandler(app.NewAPI(cfg, cfg.JWTSecret, db, authz, tc, log), cfg, log)
	if err != nil {
		return err
	}
	log.Info("API listening", "addr", cfg.Addr)
	return app.ServeUntilDone(ctx, h, cfg.Addr, log)
}
