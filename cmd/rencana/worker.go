package main

import (
	"context"
	"io"

	"github.com/rencana-id/rencana/internal/app"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

func runWorker(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := config.Load(config.ModeWorker, args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr)
	db, err := app.OpenStore(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	tc, err := app.DialTemporal(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	authz, err := policies.New(ctx, db) // whom role-addressed mail reaches
	if err != nil {
		return err
	}
	defer authz.Close()
	if err := app.StartMail(ctx, cfg, db, authz, log); err != nil {
		return err
	}
	w := app.NewWorker(tc, db)
	if err := w.Start(); err != nil {
		return err
	}
	log.Info("worker started", "task_queue", workflows.TaskQueue, "temporal", cfg.TemporalAddress)
	<-ctx.Done()
	log.Info("stopping worker")
	w.Stop() // waits for running activities up to WorkerStopTimeout
	return nil
}
