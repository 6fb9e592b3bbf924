package main

import (
	"context"
	"io"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// newWorker registers every workflow and activity on the task queue.
func newWorker(c client.Client, db *store.DB) worker.Worker {
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	a := activities.New(db)
	a.Workflows = workflows.NewDriver(c) // the cycle signals and locks its proposals
	workflows.Register(w, a)
	return w
}

func runWorker(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := config.Load(config.ModeWorker, args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr)
	db, err := openStore(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	tc, err := dialTemporal(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	authz, err := policies.New(ctx, db) // whom role-addressed mail reaches
	if err != nil {
		return err
	}
	defer authz.Close()
	if err := startMail(ctx, cfg, db, authz, log); err != nil {
		return err
	}
	w := newWorker(tc, db)
	if err := w.Start(); err != nil {
		return err
	}
	log.Info("worker started", "task_queue", workflows.TaskQueue, "temporal", cfg.TemporalAddress)
	<-ctx.Done()
	log.Info("stopping worker")
	w.Stop() // waits for running activities up to WorkerStopTimeout
	return nil
}
