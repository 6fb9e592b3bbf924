package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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

// listener is one HTTP server of a process: where, what, and the setting
// that names the address (for the error when the port is taken).
type listener struct {
	addr    string
	handler http.Handler
	setting string
}

// serveUntilDone serves h on addr until ctx ends, then drains in-flight
// requests for up to 15 seconds.
func serveUntilDone(ctx context.Context, h http.Handler, addr string, log *slog.Logger) error {
	return serveAll(ctx, log, listener{addr, h, "RENCANA_ADDR"})
}

// serveAll runs every listener until ctx ends or one of them fails, then
// shuts all of them down, each draining in-flight requests for up to 15
// seconds.
func serveAll(ctx context.Context, log *slog.Logger, ls ...listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(ls))
	for _, l := range ls {
		go func() {
			err := serveOne(ctx, l, log)
			cancel() // one down: stop the others too
			errc <- err
		}()
	}
	var errs []error
	for range ls {
		errs = append(errs, <-errc)
	}
	return errors.Join(errs...)
}

func serveOne(ctx context.Context, l listener, log *slog.Logger) error {
	srv := &http.Server{
		Addr: l.addr, Handler: l.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      5 * time.Minute, // exports stream for a while
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() {
		err := srv.ListenAndServe()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		if err != nil {
			return fmt.Errorf("listen on %s (%s): %w", l.addr, l.setting, err)
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("shutting down HTTP server", "addr", l.addr)
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return <-errc
}
