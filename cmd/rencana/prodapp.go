package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/telemetry"
	"github.com/rencana-id/rencana/policies"
)

// newAPIServer wires the HTTP server; with tel its requests are counted in
// tel's registry and, when traces are on, traced.
func newAPIServer(cfg config.Config, secret []byte, db *store.DB, authz *policies.Enforcer, tc client.Client, log *slog.Logger, tel *telemetry.Telemetry) *api.Server {
	d := api.Deps{
		DB:       db,
		Authz:    authz,
		Temporal: tc,
		Tokens:   auth.Tokens{Secret: secret, TTL: cfg.TokenTTL},
		Logger:   log,

		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: cfg.TrustedProxies,
	}
	if tel != nil {
		d.Metrics = tel.Registry
		if tel.Tracing() {
			d.Tracer = tel.Tracer("github.com/rencana-id/rencana/api")
		}
	}
	return api.New(d)
}

// temporalDialFor is how serve and worker reach Temporal: the configured
// address, namespace and TLS, the SDK's metrics into tel's registry and its
// tracing interceptor when traces are on.
func temporalDialFor(cfg config.Config, tel *telemetry.Telemetry) temporalDial {
	d := temporalDial{
		Address: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace, TLS: cfg.TemporalTLS,
		Timeout: cfg.StartupTimeout, Metrics: tel.TemporalMetrics(),
	}
	// The interceptor only fails on invalid options, which are fixed here.
	d.Interceptors, _ = tel.TemporalInterceptors()
	return d
}

// registerStoreMetrics exports the database pool's statistics (open, idle
// and in-use connections, waits for a free one) through Prometheus's
// sql.DBStats collector: go_sql_*{db_name="rencana"}.
func registerStoreMetrics(tel *telemetry.Telemetry, db *store.DB) {
	tel.Registry.MustRegister(collectors.NewDBStatsCollector(db.SQL(), "rencana"))
}

// shutdownTelemetry flushes spans still buffered at exit.
func shutdownTelemetry(tel *telemetry.Telemetry, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		log.Warn("telemetry shutdown", "err", err)
	}
}
