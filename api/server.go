// Package api is rencana's HTTP server (Echo): the v1 JSON API of DESIGN.md,
// its middleware (request id, access log, security headers, authentication)
// and the one error handler that turns domain errors into problem+json.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// Grants is what the API needs from the policies package to tell a user's
// roles; the Authorizer satisfies it.
type Grants interface {
	Grants(ctx context.Context, username string) ([]domain.Grant, error)
}

// Pinger reports whether a dependency is reachable; /readyz asks each.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are the parts the server is wired from (cmd/rencana does the wiring).
type Deps struct {
	DB       *store.DB
	Grants   Grants
	Temporal Pinger
	Tokens   auth.Tokens
	Logger   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the HTTP API.
type Server struct {
	e      *echo.Echo
	db     *store.DB
	grants Grants
	tmp    Pinger
	tokens auth.Tokens
	log    *slog.Logger
	now    func() time.Time
}

// MaxBodyBytes bounds every request body; proposals are small and uploads
// (nomenclature, ministry answers) go through their own limits.
const MaxBodyBytes = "1M"

// New builds the server and registers every route.
func New(d Deps) *Server {
	s := &Server{db: d.DB, grants: d.Grants, tmp: d.Temporal, tokens: d.Tokens, log: d.Logger, now: d.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(middleware.RequestID())
	e.Use(s.accessLog)
	e.Use(middleware.Recover())
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "no-referrer",
		ContentSecurityPolicy: "default-src 'self'; frame-ancestors 'none'",
	}))
	e.Use(middleware.BodyLimit(MaxBodyBytes))
	s.e = e
	s.routes()
	return s
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// Echo exposes the router so tests can list the registered routes.
func (s *Server) Echo() *echo.Echo { return s.e }

func (s *Server) routes() {
	s.e.GET("/healthz", s.healthz)
	s.e.GET("/readyz", s.readyz)

	v1 := s.e.Group("/api/v1")
	v1.POST("/auth/login", s.login)

	authed := v1.Group("", s.authenticate)
	authed.GET("/me", s.me)
}

// accessLog writes one structured line per request.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.log.Info("http",
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			"method", c.Request().Method,
			"path", c.Path(),
			"status", c.Response().Status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000,
			"user", c.Get(ctxUsername),
		)
		return nil
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when the database and Temporal both answer, so a
// load balancer sends no traffic to an instance that cannot serve it.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := s.db.Ping(ctx); err != nil {
		checks["database"] = "unreachable"
		status = http.StatusServiceUnavailable
		s.log.Warn("readyz: database", "err", err)
	}
	if s.tmp == nil {
		checks["temporal"] = "not configured"
		status = http.StatusServiceUnavailable
	} else if err := s.tmp.Ping(ctx); err != nil {
		checks["temporal"] = "unreachable"
		status = http.StatusServiceUnavailable
		s.log.Warn("readyz: temporal", "err", err)
	}
	return c.JSON(status, checks)
}

// Shutdown stops accepting requests and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.e.Shutdown(ctx) }

// Serve listens on addr until Shutdown.
func (s *Server) Serve(addr string) error {
	s.e.Server.ReadHeaderTimeout = 10 * time.Second
	s.e.Server.ReadTimeout = time.Minute
	s.e.Server.WriteTimeout = 5 * time.Minute // exports stream for a while
	s.e.Server.IdleTimeout = 2 * time.Minute
	err := s.e.Start(addr)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
