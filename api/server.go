// Package api is rencana's HTTP server (Echo): the v1 JSON API of api/openapi.yaml,
// its middleware (request id, access log, security headers, authentication)
// and the one error handler that turns domain errors into problem+json.
//
// Handlers read the proposals projection for lists, details, history and the
// task inbox, and change proposals only through the ProposalWorkflow's
// Updates (package workflows), which answer after the change is in the
// projection: a client that is told "done" sees it in every list at once.
// Casbin (package policies) decides who may do what where; the workflow
// validator re-checks stage, deadlines and separation of duties.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// Deps are the parts the server is wired from (cmd/rencana does the wiring).
type Deps struct {
	DB *store.DB
	// Authz decides every request and manages grants.
	Authz policies.Authorizer
	// Temporal runs the proposal workflows; /readyz asks it too.
	Temporal client.Client
	// Tokens signs and verifies login tokens; its secret comes from the
	// configuration (RENCANA_JWT_SECRET).
	Tokens auth.Tokens
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LoginLimit bounds failed logins; the zero value means
	// DefaultLoginLimit.
	LoginLimit LoginLimit
	// CORSOrigins lists the browser origins allowed to call the API from
	// another site; empty (the default) sends no CORS headers at all, so
	// only same-origin pages and non-browser clients can call it.
	CORSOrigins []string
	// WorkflowTimeout bounds how long a request waits for a workflow
	// Update (a stopped worker must turn into a 503, not a hung
	// connection); zero means DefaultWorkflowTimeout.
	WorkflowTimeout time.Duration
	// TrustedProxies are the CIDR ranges of reverse proxies whose
	// X-Forwarded-For is believed when telling a client's address (login
	// rate limits); empty means the peer address is the client's.
	TrustedProxies []string
	// Metrics, when set, receives the request counters and latency
	// histograms (rencana_http_*); cmd/rencana serves it as /metrics.
	Metrics prometheus.Registerer
	// Tracer, when set, starts a server span per request (see startSpan);
	// nil means no traces.
	Tracer trace.Tracer
	// Require2FA makes admins and kepala dinas log in with a second factor
	// (RENCANA_REQUIRE_2FA: on for `rencana serve`, off for `rencana dev`).
	Require2FA bool
	// SessionCacheTTL is how long an instance trusts what it read about a
	// session; zero means DefaultSessionCacheTTL.
	SessionCacheTTL time.Duration
}

// Server is the HTTP API.
type Server struct {
	e        *echo.Echo
	db       *store.DB
	authz    policies.Authorizer
	temporal client.Client
	tokens   auth.Tokens
	log      *slog.Logger
	now      func() time.Time
	limiter  *loginLimiter
	authn    []echo.MiddlewareFunc
	wfWait   time.Duration
	metrics  *httpMetrics // nil without Deps.Metrics
	tracer   trace.Tracer // nil without Deps.Tracer
	// sessions caches session states briefly (sessions.go).
	sessions   *sessionCache
	require2FA bool
	// ownBodyLimit holds "METHOD /path" of the routes exempt from
	// MaxBodyBytes because they enforce a limit of their own; filled while
	// routes are registered, read-only afterwards.
	ownBodyLimit map[string]bool
}

// MaxBodyBytes bounds every request body; proposals are small and uploads
// (nomenclature, ministry answers) go through their own limits.
const MaxBodyBytes = "1M"

// DefaultWorkflowTimeout is how long a request waits for a workflow Update
// by default: an Update normally answers in well under a second, a
// database outage is retried for a while before the client is told.
const DefaultWorkflowTimeout = 30 * time.Second

// New builds the server and registers every route.
func New(d Deps) *Server {
	s := &Server{db: d.DB, authz: d.Authz, temporal: d.Temporal, tokens: d.Tokens, log: d.Logger, now: d.Now, wfWait: d.WorkflowTimeout, tracer: d.Tracer}
	s.require2FA = d.Require2FA
	s.sessions = &sessionCache{ttl: d.SessionCacheTTL, m: map[string]cachedSession{}}
	if s.sessions.ttl <= 0 {
		s.sessions.ttl = DefaultSessionCacheTTL
	}
	if s.wfWait <= 0 {
		s.wfWait = DefaultWorkflowTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.limiter = newLoginLimiter(d.LoginLimit, s.now)
	if d.Metrics != nil {
		s.metrics = newHTTPMetrics(d.Metrics)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	// The client address keys the login rate limit: only trusted proxies
	// may name it, or anyone could dodge the limit with a forged header.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(d.TrustedProxies) > 0 {
		e.IPExtractor = echo.ExtractIPFromXFFHeader(trustOptions(d.TrustedProxies, s.log)...)
	}
	e.Use(middleware.RequestID())
	e.Use(s.accessLog)
	e.Use(middleware.Recover())
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ReferrerPolicy:        "no-referrer",
		ContentSecurityPolicy: "default-src 'self'; frame-ancestors 'none'",
		HSTSMaxAge:            31536000, // sent only over TLS (or behind a TLS proxy)
	}))
	e.Use(noStore)
	e.Use(cleanQuery)
	if len(d.CORSOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  d.CORSOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowHeaders:  []string{echo.HeaderAuthorization, echo.HeaderContentType, "If-Match", "Idempotency-Key"},
			ExposeHeaders: []string{"ETag", "Location", "Retry-After", echo.HeaderXRequestID},
			MaxAge:        600,
		}))
	}
	// Uploads bound their bodies themselves, with larger limits; the
	// routes that do are named in ownBodyLimit (see exemptBodyLimit).
	s.ownBodyLimit = map[string]bool{}
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit:   MaxBodyBytes,
		Skipper: func(c echo.Context) bool { return s.ownBodyLimit[c.Request().Method+" "+c.Path()] },
	}))
	s.e = e
	s.authn = s.authMiddleware()
	s.routes()
	return s
}

func trustOptions(cidrs []string, log *slog.Logger) []echo.TrustOption {
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			log.Warn("ignoring invalid trusted proxy range", "range", c, "err", err)
			continue
		}
		opts = append(opts, echo.TrustIPRange(n))
	}
	return opts
}

// noStore keeps tokens and proposals out of shared and browser caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// Echo exposes the router so tests can list the registered routes.
func (s *Server) Echo() *echo.Echo { return s.e }

// routes registers every endpoint. Authentication is attached per route,
// not per group, so an unknown path answers 404 rather than 401. The
// OpenAPI document (api/openapi.yaml) lists the same routes; a test keeps them equal.
func (s *Server) routes() {
	s.e.GET("/healthz", s.healthz)
	s.e.GET("/readyz", s.readyz)

	v1 := s.e.Group("/api/v1")
	v1.GET("/openapi.json", s.openapi)
	v1.POST("/auth/login", s.login)

	a := s.authn
	v1.GET("/me", s.me, a...)
	v1.POST("/auth/logout", s.logout, a...)
	v1.GET("/me/sessions", s.mySessions, a...)
	v1.DELETE("/me/sessions/:sid", s.revokeMySession, a...)
	v1.POST("/me/password", s.changePassword, a...)
	v1.POST("/me/2fa/setup", s.twoFactorSetup, a...)
	v1.POST("/me/2fa/enable", s.twoFactorEnable, a...)
	v1.POST("/me/2fa/disable", s.twoFactorDisable, a...)

	v1.POST("/proposals", s.createProposal, a...)
	v1.GET("/proposals", s.listProposals, a...)
	v1.GET("/proposals/summary", s.summarizeProposals, a...)
	v1.GET("/proposals/:id", s.getProposal, a...)
	v1.PATCH("/proposals/:id", s.editProposal, a...)
	v1.GET("/proposals/:id/history", s.proposalHistory, a...)
	v1.GET("/proposals/:id/comments", s.listComments, a...)
	v1.POST("/proposals/:id/comments", s.addComment, a...)
	v1.POST("/proposals/:id/actions/:action", s.act, a...)
	v1.GET("/tasks", s.tasks, a...)

	v1.GET("/cycles", s.listCycles, a...)
	v1.GET("/cycles/:id", s.getCycle, a...)
	v1.GET("/regions", s.listRegions, a...)
	v1.GET("/regions/:code", s.getRegion, a...)
	v1.GET("/nomenclature", s.searchNomenclature, a...)

	v1.POST("/admin/users", s.createUser, a...)
	v1.GET("/admin/users", s.listUsers, a...)
	v1.GET("/admin/users/:username", s.getUser, a...)
	v1.POST("/admin/users/:username/roles", s.addRole, a...)
	v1.DELETE("/admin/users/:username/roles", s.removeRole, a...)
	v1.POST("/admin/users/:username/password", s.resetPassword, a...)
	v1.DELETE("/admin/users/:username/sessions", s.endUserSessions, a...)
	v1.PUT("/admin/users/:username/disabled", s.setUserDisabled, a...)
	v1.GET("/admin/audit/security", s.securityAudit, a...)

	s.cycleRoutes(v1, a)
	s.exportRoutes(v1, a)
	s.notificationRoutes(v1, a)
	s.delegationRoutes(v1, a)
	s.registerRoutes(v1, a)
	s.kmpRoutes(v1, a)
	s.registerTargetRoutes(v1, a)
}

// exemptBodyLimit takes rt out of the global MaxBodyBytes limit. Only for
// a route whose handler bounds the body itself (an upload with its own,
// larger limit): without that, the body would be unbounded.
func (s *Server) exemptBodyLimit(rt *echo.Route) {
	s.ownBodyLimit[rt.Method+" "+rt.Path] = true
}

// accessLog writes one structured line per request, with its request id
// (and trace id when traces are on, to find the request in the tracing
// backend), and records it in the metrics.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		defer s.startSpan(c)()
		if s.metrics != nil {
			s.metrics.inFlight.Inc()
			defer s.metrics.inFlight.Dec()
		}
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		took := time.Since(start)
		s.metrics.observe(c, took)
		attrs := []any{
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			"method", c.Request().Method,
			"path", c.Path(),
			"status", c.Response().Status,
			"duration_ms", float64(took.Microseconds()) / 1000,
			"user", c.Get(ctxUsername),
			"remote", c.RealIP(),
		}
		if sc := trace.SpanContextFromContext(c.Request().Context()); sc.IsSampled() {
			attrs = append(attrs, "trace_id", sc.TraceID().String())
		}
		s.log.Info("http", attrs...)
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
	if s.temporal == nil {
		checks["temporal"] = "not configured"
		status = http.StatusServiceUnavailable
	} else if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
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
