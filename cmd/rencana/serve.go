package main

import (
	"context"
	"io"
	"net/http"

	"github.com/rencana-id/rencana/internal/app"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/demo"
	"github.com/rencana-id/rencana/internal/telemetry"
	"github.com/rencana-id/rencana/policies"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := config.Load(config.ModeServe, args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr)
	tel, err := setupTelemetry(ctx, "rencana-api", getenv, log)
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel, log)
	db, err := connectStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	// Migrations, reference data, the default policy and the admin account
	// under the start-up lock: instances started together on a new
	// database all come up, the first doing the work.
	var authz *policies.Enforcer
	err = bootstrapStore(ctx, db, log, func(ctx context.Context) error {
		if authz, err = policies.New(ctx, db); err != nil {
			return err
		}
		// The first instance with RENCANA_ADMIN_PASSWORD creates the admin
		// account; later starts leave it alone.
		if cfg.AdminPassword == "" {
			return nil
		}
		created, err := demo.EnsureAdmin(ctx, db, authz, cfg.AdminPassword)
		if created {
			log.Info("created admin user from RENCANA_ADMIN_PASSWORD")
		}
		return err
	})
	if authz != nil {
		defer authz.Close()
	}
	if err != nil {
		return err
	}
	tc, err := connectTemporal(ctx, temporalDialFor(cfg, tel), log)
	if err != nil {
		return err
	}
	defer tc.Close()
	registerStoreMetrics(tel, db)
	h, err := app.NewHandler(newAPIServer(cfg, cfg.JWTSecret, db, authz, tc, log, tel), cfg, log)
	if err != nil {
		return err
	}
	if cfg.MetricsAddr == "" {
		// /metrics beside the API, unauthenticated like /healthz: the
		// reverse proxy keeps it from the outside (docker-compose.yml's
		// Caddyfile), or RENCANA_METRICS_ADDR moves it to an internal
		// address.
		mux := http.NewServeMux()
		mux.Handle("/metrics", tel.MetricsHandler())
		mux.Handle("/", h)
		log.Info("API listening", "addr", cfg.Addr, "metrics", cfg.Addr+"/metrics")
		return app.ServeUntilDone(ctx, mux, cfg.Addr, log)
	}
	ops := http.NewServeMux()
	ops.Handle("/metrics", tel.MetricsHandler())
	log.Info("API listening", "addr", cfg.Addr, "metrics", cfg.MetricsAddr+"/metrics")
	return app.ServeAll(ctx, log, app.Listener{Addr: cfg.Addr, Handler: h, Setting: "RENCANA_ADDR"}, app.Listener{Addr: cfg.MetricsAddr, Handler: ops, Setting: "RENCANA_METRICS_ADDR"})
}

// setupTelemetry builds the process's metrics registry and, when the OTEL_
// variables ask for it, its tracer provider.
func setupTelemetry(ctx context.Context, service string, getenv func(string) string, log interface{ Info(string, ...any) }) (*telemetry.Telemetry, error) {
	tel, err := telemetry.Setup(ctx, telemetry.Options{Service: service, Getenv: getenv})
	if err != nil {
		return nil, err
	}
	log.Info("telemetry", "metrics", "/metrics", "traces", tel.Tracing())
	return tel, nil
}
