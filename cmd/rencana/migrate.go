package main

import (
	"context"
	"io"

	"github.com/rencana-id/rencana/internal/app"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/policies"
)

// runMigrate applies migrations, loads reference data and seeds the default
// policy: everything a new database needs before serve and worker start.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := config.Load(config.ModeMigrate, args, getenv, stderr)
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
	authz.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	log.Info("database ready", "dialect", db.Dialect, "schema_version", v)
	return nil
}
