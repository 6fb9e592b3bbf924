// Package app wires rencana's parts the way every command runs them: the
// store, the Temporal client, the API and its handler, the worker and the
// mail outbox. cmd/rencana and cmd/rencana-bench (the load generator, a
// binary of its own) share it, so the benchmark measures what ships.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/api/web"
	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// OpenStore connects to the database; with migrate it also applies the
// migrations and loads the reference data (both idempotent).
func OpenStore(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if !migrate {
		return db, nil
	}
	if err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	start := time.Now()
	res, err := refdata.LoadBuiltin(ctx, db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("load reference data: %w", err)
	}
	log.Info("reference data ready", "result", fmt.Sprintf("%+v", res), "duration", time.Since(start).Round(time.Millisecond).String())
	return db, nil
}

// DialTemporal connects a client to the Temporal frontend at addr.
func DialTemporal(ctx context.Context, addr, namespace string, log *slog.Logger) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  addr,
		Namespace: namespace,
		Logger:    tlog.NewStructuredLogger(log.With("component", "temporal")),
		// No gzip on the gRPC calls (the SDK's default): rencana's payloads
		// are a few kilobytes of JSON and Temporal's frontend sits on the
		// same network, so compressing every poll and answer only burns
		// CPU on both ends (8% of the rencana process's CPU in a profile
		// of rencana bench).
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: &client.GrpcCompressionNone{}},
	})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (TEMPORAL_ADDRESS): %w", addr, err)
	}
	return c, nil
}

// NewAPI wires the HTTP server.
func NewAPI(cfg config.Config, secret []byte, db *store.DB, authz *policies.Enforcer, tc client.Client, log *slog.Logger) *api.Server {
	return api.New(api.Deps{
		DB:       db,
		Authz:    authz,
		Temporal: tc,
		Tokens:   auth.Tokens{Secret: secret, TTL: cfg.TokenTTL},
		Logger:   log,

		CORSOrigins:    cfg.CORSOrigins,
		TrustedProxies: cfg.TrustedProxies,
		Require2FA:     cfg.Require2FA,
	})
}

// NewHandler puts the JSON API and the web pages behind one address: the
// API owns /api/, /healthz and /readyz, the pages everything else. The pages
// call the API in-process, so they can do only what it allows.
func NewHandler(srv *api.Server, cfg config.Config, log *slog.Logger) (http.Handler, error) {
	pages, err := web.New(web.Deps{API: srv, SecureCookies: cfg.SecureCookies, Logger: log})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", srv)
	mux.Handle("/healthz", srv)
	mux.Handle("/readyz", srv)
	mux.Handle("/", pages)
	return mux, nil
}

// Listener is one HTTP server of a process: where, what, and the setting
// that names the address (for the error when the port is taken).
type Listener struct {
	Addr    string
	Handler http.Handler
	Setting string
}

// ServeUntilDone serves h on addr until ctx ends, then drains in-flight
// requests for up to 15 seconds.
func ServeUntilDone(ctx context.Context, h http.Handler, addr string, log *slog.Logger) error {
	return ServeAll(ctx, log, Listener{addr, h, "RENCANA_ADDR"})
}

// ServeAll runs every listener until ctx ends or one of them fails, then
// shuts all of them down, each draining in-flight requests for up to 15
// seconds: the API beside its metrics port, the worker's ops port.
func ServeAll(ctx context.Context, log *slog.Logger, ls ...Listener) error {
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

func serveOne(ctx context.Context, l Listener, log *slog.Logger) error {
	srv := &http.Server{
		Addr: l.Addr, Handler: l.Handler,
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
			return fmt.Errorf("listen on %s (%s): %w", l.Addr, l.Setting, err)
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("shutting down HTTP server", "addr", l.Addr)
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return <-errc
}
