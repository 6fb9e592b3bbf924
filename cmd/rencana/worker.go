package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/internal/app"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/telemetry"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

func runWorker(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := config.Load(config.ModeWorker, args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr)
	tel, err := setupTelemetry(ctx, "rencana-worker", getenv, log)
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel, log)

	// The ops port first, so that an orchestrator sees a live process that
	// is not ready yet while it waits for the database and Temporal.
	var st workerState
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opsDone := make(chan error, 1)
	go func() {
		opsDone <- app.ServeAll(ctx, log, app.Listener{Addr: cfg.MetricsAddr, Handler: workerOps(&st, tel), Setting: "RENCANA_METRICS_ADDR"})
		cancel() // the ops port is part of the worker: no port, no worker
	}()
	log.Info("worker health and metrics", "addr", cfg.MetricsAddr)

	err = runWorkerBody(ctx, cfg, tel, &st, log)
	cancel()
	if oerr := <-opsDone; err == nil {
		err = oerr
	}
	return err
}

func runWorkerBody(ctx context.Context, cfg config.Config, tel *telemetry.Telemetry, st *workerState, log *slog.Logger) error {
	db, err := connectStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := waitForSchema(ctx, cfg, db, log); err != nil {
		return err
	}
	registerStoreMetrics(tel, db)
	st.db.Store(db)
	tc, err := connectTemporal(ctx, temporalDialFor(cfg, tel), log)
	if err != nil {
		return err
	}
	defer tc.Close()
	st.temporal.Store(&tc)
	authz, err := policies.New(ctx, db) // whom role-addressed mail reaches
	if err != nil {
		return err
	}
	defer authz.Close()
	if err := app.StartMail(ctx, cfg, db, authz, log); err != nil {
		return err
	}
	if cfg.SMTPURL != "" {
		registerMailBacklog(tel.Registry, db)
	}
	w := app.NewWorker(tc, db)
	if err := w.Start(); err != nil {
		return err
	}
	st.started.Store(true)
	log.Info("worker started", "task_queue", workflows.TaskQueue, "temporal", cfg.TemporalAddress)
	<-ctx.Done()
	st.started.Store(false)
	log.Info("stopping worker")
	w.Stop() // waits for running activities up to WorkerStopTimeout
	return nil
}

// workerState is what the worker's /readyz reports on; each part is set
// once it is connected.
type workerState struct {
	db       atomic.Pointer[store.DB]
	temporal atomic.Pointer[client.Client]
	started  atomic.Bool
}

// workerOps serves the worker's small HTTP port: /healthz (the process
// answers), /readyz (database and Temporal answer and the worker polls:
// 503 with what is missing otherwise) and /metrics.
func workerOps(st *workerState, tel *telemetry.Telemetry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		checks := map[string]string{"database": "ok", "temporal": "ok", "worker": "ok"}
		status := http.StatusOK
		fail := func(k, v string) { checks[k], status = v, http.StatusServiceUnavailable }
		if db := st.db.Load(); db == nil {
			fail("database", "waiting")
		} else if err := db.Ping(ctx); err != nil {
			fail("database", "unreachable")
		}
		if tc := st.temporal.Load(); tc == nil {
			fail("temporal", "waiting")
		} else if _, err := (*tc).CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			fail("temporal", "unreachable")
		}
		if !st.started.Load() {
			fail("worker", "not polling")
		}
		writeJSON(w, status, checks)
	})
	mux.Handle("GET /metrics", tel.MetricsHandler())
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// registerMailBacklog exports the outbox's backlog, read from the database
// at each scrape (a partial index keeps the count cheap). NaN when the
// database does not answer.
func registerMailBacklog(reg prometheus.Registerer, db *store.DB) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rencana_mail_outbox_backlog",
		Help: "Notifications waiting to be mailed (the mail outbox's backlog).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := db.MailBacklog(ctx)
		if err != nil {
			return math.NaN()
		}
		return float64(n)
	}))
}
