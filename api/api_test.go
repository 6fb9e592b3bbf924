package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/devserver/devservertest"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// deadTemporal is a client of a port nobody listens on: Temporal down.
func deadTemporal(t *testing.T) client.Client {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	c, err := client.NewLazyClient(client.Options{HostPort: addr})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func TestHealthAndReadiness(t *testing.T) {
	temporal := devservertest.ForTest(t).Client()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{deps: func(d *api.Deps) { d.Temporal = temporal }})
		r := e.do(http.MethodGet, "/healthz", "", nil)
		require.Equal(t, http.StatusOK, r.Code)
		require.Equal(t, "ok", r.body["status"])

		r = e.do(http.MethodGet, "/readyz", "", nil)
		require.Equal(t, http.StatusOK, r.Code, r.body)
		require.Equal(t, map[string]any{"database": "ok", "temporal": "ok"}, r.body)

		// Temporal down: not ready, and it says which.
		down := newEnv(t, storetest.SQLite(t), envOptions{deps: func(d *api.Deps) { d.Temporal = deadTemporal(t) }})
		r = down.do(http.MethodGet, "/readyz", "", nil)
		require.Equal(t, http.StatusServiceUnavailable, r.Code)
		require.Equal(t, "unreachable", r.body["temporal"])
		require.Equal(t, "ok", r.body["database"])

		// Database closed: not ready either.
		require.NoError(t, db.Close())
		r = e.do(http.MethodGet, "/readyz", "", nil)
		require.Equal(t, http.StatusServiceUnavailable, r.Code)
		require.Equal(t, "unreachable", r.body["database"])
	})
}

func TestLoginAndMe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		r := e.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "Camat.Andoolo ", "password": testPassword})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, "no-store", r.Header().Get("Cache-Control"), "tokens must not be cached")
		token := r.str("token")
		require.NotEmpty(t, token)
		exp, err := time.Parse(time.RFC3339, r.str("expires_at"))
		require.NoError(t, err)
		require.WithinDuration(t, time.Now().Add(time.Hour), exp, time.Minute)
		user := r.body["user"].(map[string]any)
		require.Equal(t, "camat.andoolo", user["username"])
		roles := user["roles"].([]any)
		require.Len(t, roles, 1)
		require.Equal(t, "camat", roles[0].(map[string]any)["role"])
		require.Equal(t, "74.05.03", roles[0].(map[string]any)["scope"])

		r = e.do(http.MethodGet, "/api/v1/me", token, nil)
		require.Equal(t, http.StatusOK, r.Code)
		require.Equal(t, "camat.andoolo", r.body["username"])
	})
}

func TestLoginRefusals(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"wrong password", map[string]string{"username": "camat.andoolo", "password": "salah-sandi"}, 401, ""},
		{"unknown user", map[string]string{"username": "siapa", "password": testPassword}, 401, ""},
		{"missing password", map[string]string{"username": "camat.andoolo"}, 422, "password"},
		{"unknown field", `{"username":"camat.andoolo","password":"x","role":"admin"}`, 422, "role"},
		{"wrong type", `{"username":"camat.andoolo","password":12345678}`, 422, "password"},
		{"malformed", `{"username":`, 422, "body"},
		{"trailing data", `{"username":"a","password":"b"}{}`, 422, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(http.MethodPost, "/api/v1/auth/login", "", tc.body)
			requireProblem(t, r, tc.status)
			if tc.field != "" {
				requireField(t, r, tc.field)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, "/api/v1/auth/login", bytes.NewBufferString("username=a"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := e.serve(req)
		require.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
	})
}

// Every way a token can be wrong is a 401 problem with a Bearer challenge,
// and a disabled or deleted account is cut off although its token is valid.
func TestAuthenticationRequired(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	expired := auth.Tokens{Secret: []byte(secret), TTL: time.Minute, Now: func() time.Time { return time.Now().Add(-time.Hour) }}
	old, _, err := api.IssueSession(e.ctx, e.db, expired, camat.username, "", "")
	require.NoError(t, err)
	forged, _, err := auth.Tokens{Secret: []byte("another-secret-another-secret-xx"), TTL: time.Hour}.Issue(auth.NewSessionID(), camat.username)
	require.NoError(t, err)
	ghost, _, err := e.tokens.Issue(auth.NewSessionID(), "tidak.ada")
	require.NoError(t, err)
	// A well-signed token whose session was never recorded (or was
	// deleted) is refused like any other.
	unrecorded, _, err := e.tokens.Issue(auth.NewSessionID(), camat.username)
	require.NoError(t, err)
	disabled := e.token(kendariKec)
	require.NoError(t, e.db.ExecSQL(context.Background(), "UPDATE users SET disabled = ? WHERE username = ?", true, kendariKec.username))

	for name, token := range map[string]string{"none": "", "expired": old, "forged": forged, "garbage": "abc.def.ghi",
		"deleted user": ghost, "disabled user": disabled, "no session": unrecorded} {
		t.Run(name, func(t *testing.T) {
			r := e.do(http.MethodGet, "/api/v1/me", token, nil)
			requireProblem(t, r, http.StatusUnauthorized)
			require.Contains(t, r.Header().Get("WWW-Authenticate"), "Bearer")
			require.NotEmpty(t, r.body["detail"])
		})
	}
	// A token in another scheme is not a bearer token.
	req, _ := http.NewRequest(http.MethodGet, "/api/v1/me", nil)
	req.Header.Set("Authorization", "Basic "+e.token(camat))
	rec := e.serve(req)
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	// The valid one works.
	require.Equal(t, http.StatusOK, e.as(camat, http.MethodGet, "/api/v1/me", nil).Code)
}

func TestUnknownRouteIsProblem(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{})
	r := e.do(http.MethodGet, "/api/v1/tidak-ada", "", nil)
	requireProblem(t, r, http.StatusNotFound)
	require.Equal(t, "Tidak ditemukan", r.body["title"])
	require.Equal(t, "nosniff", r.Header().Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", r.Header().Get("X-Frame-Options"))
	require.NotEmpty(t, r.Header().Get("Content-Security-Policy"))
	require.NotEmpty(t, r.Header().Get("X-Request-Id"))
	require.Empty(t, r.Header().Get("Access-Control-Allow-Origin"), "CORS is off by default")
}

func TestCORSOnlyWhenConfigured(t *testing.T) {
	off := newEnv(t, storetest.SQLite(t), envOptions{})
	r := off.do(http.MethodGet, "/healthz", "", nil, header{"Origin", "https://rencana.example"})
	require.Empty(t, r.Header().Get("Access-Control-Allow-Origin"))

	on := newEnv(t, storetest.SQLite(t), envOptions{deps: func(d *api.Deps) { d.CORSOrigins = []string{"https://rencana.example"} }})
	r = on.do(http.MethodGet, "/healthz", "", nil, header{"Origin", "https://rencana.example"})
	require.Equal(t, "https://rencana.example", r.Header().Get("Access-Control-Allow-Origin"))
	r = on.do(http.MethodGet, "/healthz", "", nil, header{"Origin", "https://jahat.example"})
	require.Empty(t, r.Header().Get("Access-Control-Allow-Origin"))
	// A browser's preflight for a proposal change is answered.
	r = on.do(http.MethodOptions, "/api/v1/proposals/usl-x", "", nil, header{"Origin", "https://rencana.example"},
		header{"Access-Control-Request-Method", "PATCH"}, header{"Access-Control-Request-Headers", "Authorization, If-Match"})
	require.Equal(t, http.StatusNoContent, r.Code)
	require.Equal(t, "https://rencana.example", r.Header().Get("Access-Control-Allow-Origin"))
	require.Contains(t, r.Header().Get("Access-Control-Allow-Methods"), "PATCH")
	require.Contains(t, r.Header().Get("Access-Control-Allow-Headers"), "If-Match")
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{})
	big := `{"username":"` + string(bytes.Repeat([]byte("a"), 2<<20)) + `","password":"x"}`
	r := e.do(http.MethodPost, "/api/v1/auth/login", "", big)
	requireProblem(t, r, http.StatusRequestEntityTooLarge)
}

// syncBuffer is a log sink the server may write from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestInternalErrorsAreGeneric: an internal failure is logged with its
// cause and the request id; the client sees a generic problem that names
// only the request id.
func TestInternalErrorsAreGeneric(t *testing.T) {
	logs := &syncBuffer{}
	db := storetest.SQLite(t)
	e := newEnv(t, db, envOptions{people: true, deps: func(d *api.Deps) { d.Logger = slog.New(slog.NewTextHandler(logs, nil)) }})
	token := e.token(camat)
	require.NoError(t, db.Close())
	r := e.do(http.MethodGet, "/api/v1/me", token, nil)
	requireProblem(t, r, http.StatusInternalServerError)
	id := r.Header().Get("X-Request-Id")
	require.NotEmpty(t, id)
	require.Contains(t, r.str("detail"), id)
	require.NotContains(t, strings.ToLower(r.Body.String()), "sql")
	require.NotContains(t, r.Body.String(), "closed")
	require.Contains(t, logs.String(), "request_id="+id)
	require.Contains(t, logs.String(), "database is closed")
}

// TestWorkflowsUnavailable: when Temporal does not answer, a change is a 503
// that says to look before retrying, after the configured wait, and the
// projection is untouched.
func TestWorkflowsUnavailable(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, deps: func(d *api.Deps) {
		d.Temporal = deadTemporal(t)
		d.WorkflowTimeout = 500 * time.Millisecond
	}})
	start := time.Now()
	r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", goodDraft(e.cycle.ID))
	requireProblem(t, r, http.StatusServiceUnavailable)
	require.Contains(t, r.str("detail"), "Periksa tahap usulan")
	require.Less(t, time.Since(start), 10*time.Second)
	require.Zero(t, e.countProposals())
}
