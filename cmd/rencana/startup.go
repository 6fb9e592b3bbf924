package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"

	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
)

// Start-up in production: compose, systemd or an operator may start serve
// and worker before PostgreSQL or Temporal answer, and several of them at
// once on a new database. So each process waits for what it needs, with
// backoff, saying what it waits for, and bootstraps the database under a
// lock (store.WithStartupLock), instead of exiting at the first refusal.

// Backoff bounds of waitFor: the first retry comes quickly (a dependency
// started a moment earlier), later ones every maxRetryDelay.
const (
	firstRetryDelay = 250 * time.Millisecond
	maxRetryDelay   = 10 * time.Second
	// attemptTimeout bounds one try, so a dependency that accepts the
	// connection but never answers is retried like one that refuses it.
	attemptTimeout = 10 * time.Second
)

// waitFor calls try until it succeeds, doubling the pause between tries up
// to maxRetryDelay and logging each failure as "waiting for <what>". It
// gives up when ctx ends or after timeout (0: no limit), returning the last
// error with what it waited for.
func waitFor(ctx context.Context, log *slog.Logger, what string, timeout time.Duration, try func(ctx context.Context) error) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	start, delay := time.Now(), firstRetryDelay
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := try(actx)
		cancel()
		if err == nil {
			if attempt > 1 {
				log.Info(what+" is available", "waited", time.Since(start).Round(time.Millisecond).String())
			}
			return nil
		}
		log.Warn("waiting for "+what, "attempt", attempt, "retry_in", delay.String(), "err", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("gave up waiting for %s after %s (RENCANA_STARTUP_TIMEOUT): %w",
				what, time.Since(start).Round(time.Second), err)
		case <-t.C:
		}
		delay = min(2*delay, maxRetryDelay)
	}
}

// connectStore waits for the database to accept connections and opens it.
func connectStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	var db *store.DB
	err := waitFor(ctx, log, "the database (DATABASE_URL)", cfg.StartupTimeout, func(ctx context.Context) error {
		var err error
		db, err = store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
		return err
	})
	return db, err
}

// bootstrapStore applies the migrations, loads the reference data and then
// runs then (nil: nothing), all under the start-up lock: of several
// processes started together on a new database, the first does the work and
// the others wait for it, then find it done.
func bootstrapStore(ctx context.Context, db *store.DB, log *slog.Logger, then func(ctx context.Context) error) error {
	waiting := func() { log.Info("waiting for another process to finish preparing the database (start-up lock)") }
	return db.WithStartupLock(ctx, waiting, func(ctx context.Context) error {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
		start := time.Now()
		res, err := refdata.LoadBuiltin(ctx, db)
		if err != nil {
			return fmt.Errorf("load reference data: %w", err)
		}
		log.Info("reference data ready", "result", fmt.Sprintf("%+v", res), "duration", time.Since(start).Round(time.Millisecond).String())
		if then != nil {
			return then(ctx)
		}
		return nil
	})
}

// waitForSchema is for a process that does not migrate (the worker): it
// waits until serve or `rencana migrate` has brought the schema up to this
// binary's version. Taking the start-up lock first means it never looks at
// a database halfway through its bootstrap.
func waitForSchema(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger) error {
	return waitFor(ctx, log, "the database schema (run `rencana migrate` or start `rencana serve`)", cfg.StartupTimeout, func(ctx context.Context) error {
		return db.WithStartupLock(ctx, nil, func(ctx context.Context) error {
			pending, err := db.SchemaPending(ctx)
			if err != nil {
				return err
			}
			if pending {
				return errors.New("migrations pending")
			}
			return nil
		})
	})
}

// temporalDial says how to reach Temporal: address and namespace, TLS,
// and the SDK's metrics handler and interceptors (telemetry).
type temporalDial struct {
	Address, Namespace string
	TLS                *tls.Config
	Metrics            client.MetricsHandler
	Interceptors       []interceptor.ClientInterceptor
	// Timeout bounds the wait; 0 waits until ctx ends.
	Timeout time.Duration
}

// connectTemporal waits until the Temporal frontend answers and knows the
// namespace, then returns a client. A namespace that does not exist yet is
// waited for too: in a new installation it is created by a job that runs
// after the server is up (temporal operator namespace create).
func connectTemporal(ctx context.Context, d temporalDial, log *slog.Logger) (client.Client, error) {
	var c client.Client
	what := fmt.Sprintf("Temporal at %s (TEMPORAL_ADDRESS), namespace %s", d.Address, d.Namespace)
	err := waitFor(ctx, log, what, d.Timeout, func(ctx context.Context) error {
		if c == nil {
			nc, err := client.DialContext(ctx, client.Options{
				HostPort:       d.Address,
				Namespace:      d.Namespace,
				Logger:         tlog.NewStructuredLogger(log.With("component", "temporal")),
				MetricsHandler: d.Metrics,
				Interceptors:   d.Interceptors,
				ConnectionOptions: client.ConnectionOptions{
					TLS: d.TLS,
					// No gzip on the gRPC calls (the SDK's default):
					// rencana's payloads are a few kilobytes of JSON and
					// Temporal's frontend sits on the same network, so
					// compressing every poll and answer only burns CPU on
					// both ends (8% of the rencana process's CPU in a
					// profile of rencana bench).
					GrpcCompression: &client.GrpcCompressionNone{},
				},
			})
			if err != nil {
				return err
			}
			c = nc
		}
		_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: d.Namespace})
		var nf *serviceerror.NamespaceNotFound
		if errors.As(err, &nf) {
			return fmt.Errorf("namespace %s does not exist yet (temporal operator namespace create): %w", d.Namespace, err)
		}
		return err
	})
	if err != nil {
		if c != nil {
			c.Close()
		}
		return nil, fmt.Errorf("connect to Temporal at %s (TEMPORAL_ADDRESS): %w", d.Address, err)
	}
	return c, nil
}
