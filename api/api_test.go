package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/devserver"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/policies"
)

func TestMain(m *testing.M) { os.Exit(devserver.RunTests(m)) }

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

type fixture struct {
	db     *store.DB
	srv    *api.Server
	tokens auth.Tokens
}

const secret = "0123456789abcdef0123456789abcdef"

func newFixture(t *testing.T, db *store.DB, temporal api.Pinger) fixture {
	t.Helper()
	ctx := context.Background()
	authz, err := policies.New(ctx, db)
	require.NoError(t, err)
	t.Cleanup(authz.Close)
	hash, err := auth.HashPassword("rahasia-andoolo")
	require.NoError(t, err)
	require.NoError(t, db.CreateUser(ctx, store.User{Username: "camat.andoolo", FullName: "Camat Andoolo", PasswordHash: hash}))
	require.NoError(t, db.Gorm.Exec("INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)").Error)
	require.NoError(t, db.Gorm.Exec("INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05', 'Kabupaten Konawe Selatan', 2, '74')").Error)
	require.NoError(t, db.Gorm.Exec("INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05.03', 'Andoolo', 3, '74.05')").Error)
	require.NoError(t, authz.AddGrant(ctx, "test", "camat.andoolo", domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03"}))
	tokens := auth.Tokens{Secret: []byte(secret), TTL: time.Hour}
	srv := api.New(api.Deps{DB: db, Grants: authz, Temporal: temporal, Tokens: tokens})
	return fixture{db: db, srv: srv, tokens: tokens}
}

func (f fixture) do(t *testing.T, method, path, token string, body any) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	var r *bytes.Reader
	switch b := body.(type) {
	case nil:
		r = bytes.NewReader(nil)
	case string:
		r = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	}
	return rec, out
}

func requireProblem(t *testing.T, rec *httptest.ResponseRecorder, body map[string]any, status int) {
	t.Helper()
	require.Equal(t, status, rec.Code, rec.Body.String())
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	require.EqualValues(t, status, body["status"])
	require.NotEmpty(t, body["title"])
	require.NotEmpty(t, body["type"])
}

func TestHealthAndReadiness(t *testing.T) {
	temporal := devserver.ForTest(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, pingerFunc(func(ctx context.Context) error {
			_, err := temporal.Client().CheckHealth(ctx, nil)
			return err
		}))
		rec, body := f.do(t, http.MethodGet, "/healthz", "", nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "ok", body["status"])

		rec, body = f.do(t, http.MethodGet, "/readyz", "", nil)
		require.Equal(t, http.StatusOK, rec.Code, body)
		require.Equal(t, map[string]any{"database": "ok", "temporal": "ok"}, body)

		// Temporal down: not ready, and it says which.
		down := newFixtureNoSeed(db, pinger{err: context.DeadlineExceeded})
		rec, body = down.do(t, http.MethodGet, "/readyz", "", nil)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.Equal(t, "unreachable", body["temporal"])
		require.Equal(t, "ok", body["database"])

		// Database closed: not ready either.
		require.NoError(t, db.Close())
		rec, body = f.do(t, http.MethodGet, "/readyz", "", nil)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.Equal(t, "unreachable", body["database"])
	})
}

type pingerFunc func(context.Context) error

func (p pingerFunc) Ping(ctx context.Context) error { return p(ctx) }

func newFixtureNoSeed(db *store.DB, temporal api.Pinger) fixture {
	tokens := auth.Tokens{Secret: []byte(secret), TTL: time.Hour}
	return fixture{db: db, tokens: tokens, srv: api.New(api.Deps{DB: db, Temporal: temporal, Tokens: tokens})}
}

func TestLoginAndMe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db, pinger{})
		rec, body := f.do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "camat.andoolo", "password": "rahasia-andoolo"})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		token, _ := body["token"].(string)
		require.NotEmpty(t, token)
		exp, err := time.Parse(time.RFC3339, body["expires_at"].(string))
		require.NoError(t, err)
		require.WithinDuration(t, time.Now().Add(time.Hour), exp, time.Minute)
		user := body["user"].(map[string]any)
		require.Equal(t, "camat.andoolo", user["username"])
		require.Equal(t, "Camat Andoolo", user["full_name"])
		roles := user["roles"].([]any)
		require.Len(t, roles, 1)
		require.Equal(t, "camat", roles[0].(map[string]any)["role"])
		require.Equal(t, "74.05.03", roles[0].(map[string]any)["scope"])

		rec, body = f.do(t, http.MethodGet, "/api/v1/me", token, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "camat.andoolo", body["username"])
	})
}

func TestLoginRefusals(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), pinger{})
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"wrong password", map[string]string{"username": "camat.andoolo", "password": "salah-sandi"}, 401, ""},
		{"unknown user", map[string]string{"username": "siapa", "password": "rahasia-andoolo"}, 401, ""},
		{"missing password", map[string]string{"username": "camat.andoolo"}, 422, "password"},
		{"unknown field", `{"username":"camat.andoolo","password":"x","role":"admin"}`, 422, "role"},
		{"wrong type", `{"username":"camat.andoolo","password":12345678}`, 422, "password"},
		{"malformed", `{"username":`, 422, "body"},
		{"trailing data", `{"username":"a","password":"b"}{}`, 422, "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, body := f.do(t, http.MethodPost, "/api/v1/auth/login", "", tc.body)
			requireProblem(t, rec, body, tc.status)
			if tc.field != "" {
				errs := body["errors"].([]any)
				require.Equal(t, tc.field, errs[0].(map[string]any)["field"])
				require.NotEmpty(t, errs[0].(map[string]any)["message"])
			}
		})
	}
}

func TestAuthenticationRequired(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), pinger{})
	expired := auth.Tokens{Secret: []byte(secret), TTL: time.Minute, Now: func() time.Time { return time.Now().Add(-time.Hour) }}
	old, _, err := expired.Issue("camat.andoolo")
	require.NoError(t, err)
	forged, _, err := auth.Tokens{Secret: []byte("another-secret-another-secret-xx"), TTL: time.Hour}.Issue("camat.andoolo")
	require.NoError(t, err)
	ghost, _, err := f.tokens.Issue("tidak.ada")
	require.NoError(t, err)

	for name, token := range map[string]string{"none": "", "expired": old, "forged": forged, "garbage": "abc.def.ghi", "deleted user": ghost} {
		t.Run(name, func(t *testing.T) {
			rec, body := f.do(t, http.MethodGet, "/api/v1/me", token, nil)
			requireProblem(t, rec, body, http.StatusUnauthorized)
			require.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
		})
	}
}

func TestUnknownRouteIsProblem(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), pinger{})
	rec, body := f.do(t, http.MethodGet, "/api/v1/tidak-ada", "", nil)
	requireProblem(t, rec, body, http.StatusNotFound)
	require.Equal(t, "Tidak ditemukan", body["title"])
	require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	require.NotEmpty(t, rec.Header().Get("X-Request-Id"))
}

func TestBodyLimit(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t), pinger{})
	big := `{"username":"` + string(bytes.Repeat([]byte("a"), 2<<20)) + `","password":"x"}`
	rec, body := f.do(t, http.MethodPost, "/api/v1/auth/login", "", big)
	requireProblem(t, rec, body, http.StatusRequestEntityTooLarge)
}
