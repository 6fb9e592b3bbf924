package api_test

import (
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// clock is a settable time for the TOTP tests (a code is good for one
// 30-second step, once).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (e *env) signIn(username, password, otp string) response {
	body := map[string]string{"username": username, "password": password}
	if otp != "" {
		body["otp"] = otp
	}
	return e.do(http.MethodPost, "/api/v1/auth/login", "", body)
}

func fieldMessage(t *testing.T, r response, field string) string {
	t.Helper()
	for _, x := range r.body["errors"].([]any) {
		fe := x.(map[string]any)
		if fe["field"] == field {
			return fe["message"].(string)
		}
	}
	t.Fatalf("no error for field %s in %s", field, r.Body.String())
	return ""
}

// Issue 23: logging out left the 12-hour token valid. Now logout revokes the
// session: the same token is 401 at once on this instance and, through the
// database, on another instance within its cache TTL.
func TestLogoutRevokesToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		other := api.New(api.Deps{DB: db, Authz: e.authz, Tokens: e.tokens, SessionCacheTTL: 50 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		onOther := func(token string) int {
			req := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			other.ServeHTTP(rec, req)
			return rec.Code
		}
		r := e.signIn(camat.username, testPassword, "")
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		token := r.str("token")
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/me", token, nil).Code)
		require.Equal(t, http.StatusOK, onOther(token), "the other instance now caches the session as active")

		out := e.do(http.MethodPost, "/api/v1/auth/logout", token, nil)
		require.Equal(t, http.StatusNoContent, out.Code, out.Body.String())
		requireProblem(t, e.do(http.MethodGet, "/api/v1/me", token, nil), http.StatusUnauthorized)
		requireProblem(t, e.do(http.MethodPost, "/api/v1/auth/logout", token, nil), http.StatusUnauthorized)
		require.Eventually(t, func() bool { return onOther(token) == http.StatusUnauthorized }, 5*time.Second, 20*time.Millisecond,
			"the revocation holds on every instance once its cache expires")
	})
}

// The sessions page's API: one's own active sessions, the current one
// marked; revoking another one ends it; another user's session is 404.
func TestSessionsListAndRevoke(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	first := e.signIn(camat.username, testPassword, "").str("token")
	second := e.signIn(camat.username, testPassword, "").str("token")
	list := e.do(http.MethodGet, "/api/v1/me/sessions", second, nil)
	require.Equal(t, http.StatusOK, list.Code)
	items := list.body["items"].([]any)
	require.Len(t, items, 2)
	var firstID string
	for _, x := range items {
		s := x.(map[string]any)
		if s["current"] == false {
			firstID = s["id"].(string)
		}
	}
	require.NotEmpty(t, firstID)
	requireProblem(t, e.do(http.MethodDelete, "/api/v1/me/sessions/"+firstID, e.token(kecPlanner), nil), http.StatusNotFound)
	require.Equal(t, http.StatusNoContent, e.do(http.MethodDelete, "/api/v1/me/sessions/"+firstID, second, nil).Code)
	requireProblem(t, e.do(http.MethodGet, "/api/v1/me", first, nil), http.StatusUnauthorized)
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/me", second, nil).Code)
}

// Issue 23: "password" and "aaaaaaaaaaaa" were accepted. The policy refuses
// them wherever a password is set, in Indonesian; a change ends the other
// sessions; an admin's reset ends them all; so do "end all sessions" and
// disabling the account.
func TestPasswordPolicyAndRevocation(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	adminTok := e.token(admin)
	for _, weak := range []string{"password", "aaaaaaaaaaaa", "passwordpassword", "123456789012"} {
		r := e.do(http.MethodPost, "/api/v1/admin/users", adminTok, map[string]any{
			"username": "budi.buke", "password": weak, "full_name": "Budi Santoso",
			"roles": []any{map[string]any{"role": "camat", "scope": "74.05.03"}}})
		requireProblem(t, r, http.StatusUnprocessableEntity)
		require.Contains(t, fieldMessage(t, r, "password"), "Kata sandi", weak)
	}

	elsewhere := e.signIn(camat.username, testPassword, "").str("token")
	here := e.signIn(camat.username, testPassword, "").str("token")
	r := e.do(http.MethodPost, "/api/v1/me/password", here, map[string]string{"current_password": "salah", "new_password": "aaaaaaaaaaaa"})
	requireProblem(t, r, http.StatusUnprocessableEntity)
	require.Equal(t, "Kata sandi saat ini salah.", fieldMessage(t, r, "current_password"))
	require.Contains(t, fieldMessage(t, r, "new_password"), "pengulangan")

	const newPassword = "kuda-lompat-genteng-biru"
	r = e.do(http.MethodPost, "/api/v1/me/password", here, map[string]string{"current_password": testPassword, "new_password": newPassword})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.EqualValues(t, 1, r.body["revoked"])
	requireProblem(t, e.do(http.MethodGet, "/api/v1/me", elsewhere, nil), http.StatusUnauthorized)
	require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/me", here, nil).Code, "the session that changed it goes on")
	requireProblem(t, e.signIn(camat.username, testPassword, ""), http.StatusUnauthorized)
	require.Equal(t, http.StatusOK, e.signIn(camat.username, newPassword, "").Code)

	// The admin's reset: policy applies, every session ends.
	base := "/api/v1/admin/users/" + camat.username
	requireProblem(t, e.do(http.MethodPost, base+"/password", adminTok, map[string]string{"password": "password"}), http.StatusUnprocessableEntity)
	requireProblem(t, e.do(http.MethodPost, base+"/password", here, map[string]string{"password": "reset-oleh-admin-77"}), http.StatusForbidden)
	r = e.do(http.MethodPost, base+"/password", adminTok, map[string]string{"password": "reset-oleh-admin-77"})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	requireProblem(t, e.do(http.MethodGet, "/api/v1/me", here, nil), http.StatusUnauthorized)

	// End all sessions.
	tok := e.signIn(camat.username, "reset-oleh-admin-77", "").str("token")
	r = e.do(http.MethodDelete, base+"/sessions", adminTok, nil)
	require.Equal(t, http.StatusOK, r.Code)
	require.EqualValues(t, 1, r.body["revoked"])
	requireProblem(t, e.do(http.MethodGet, "/api/v1/me", tok, nil), http.StatusUnauthorized)

	// Disable: sessions end and login is refused; enable again.
	tok = e.signIn(camat.username, "reset-oleh-admin-77", "").str("token")
	r = e.do(http.MethodPut, base+"/disabled", adminTok, map[string]any{"disabled": true})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, true, r.body["disabled"])
	requireProblem(t, e.do(http.MethodGet, "/api/v1/me", tok, nil), http.StatusUnauthorized)
	requireProblem(t, e.signIn(camat.username, "reset-oleh-admin-77", ""), http.StatusUnauthorized)
	require.Equal(t, http.StatusOK, e.do(http.MethodPut, base+"/disabled", adminTok, map[string]any{"disabled": false}).Code)
	require.Equal(t, http.StatusOK, e.signIn(camat.username, "reset-oleh-admin-77", "").Code)
	requireProblem(t, e.do(http.MethodPut, base+"/disabled", e.token(kadisProv), map[string]any{"disabled": true}), http.StatusForbidden)
}

// Where the deployment requires it, an admin or a kepala dinas cannot log in
// with the password alone: the login says how to enrol (the secret in
// otp_enrolment), a code from it completes the login and answers recovery
// codes; then every login needs a code, each code and each recovery code
// works once. Roles that decide nothing log in as before.
func TestTwoFactorRequired(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)}
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, deps: func(d *api.Deps) { d.Require2FA = true; d.Now = clk.now }})
	for _, p := range []person{admin, kadisKab, kadisProv} {
		r := e.signIn(p.username, testPassword, "")
		requireProblem(t, r, http.StatusUnauthorized)
		require.Equal(t, "https://rencana.go.id/problems/otp_enrolment_required", r.str("type"), p.username)
		require.Contains(t, r.str("detail"), "otp")
		require.NotEmpty(t, fieldMessage(t, r, "otp"))
	}
	require.Equal(t, http.StatusOK, e.signIn(camat.username, testPassword, "").Code, "2FA stays optional for other roles")

	r := e.signIn(kadisProv.username, testPassword, "")
	enrol := r.body["otp_enrolment"].(map[string]any)
	secret := enrol["secret"].(string)
	require.Contains(t, enrol["otpauth_url"], "otpauth://totp/")
	again := e.signIn(kadisProv.username, testPassword, "")
	require.Equal(t, secret, again.body["otp_enrolment"].(map[string]any)["secret"], "the pending secret is kept until confirmed")

	requireProblem(t, e.signIn(kadisProv.username, testPassword, "000000"), http.StatusUnauthorized)
	code, err := auth.TOTPCode(secret, clk.now())
	require.NoError(t, err)
	requireProblem(t, e.signIn(kadisProv.username, "salah-sandi", code), http.StatusUnauthorized)
	r = e.signIn(kadisProv.username, testPassword, code)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	codes := r.body["recovery_codes"].([]any)
	require.Len(t, codes, auth.RecoveryCodeCount)
	require.Equal(t, true, r.body["user"].(map[string]any)["two_factor"])

	r = e.signIn(kadisProv.username, testPassword, "")
	requireProblem(t, r, http.StatusUnauthorized)
	require.Equal(t, "https://rencana.go.id/problems/otp_required", r.str("type"))
	require.Nil(t, r.body["otp_enrolment"], "an enrolled account is never shown its secret again")
	requireProblem(t, e.signIn(kadisProv.username, testPassword, code), http.StatusUnauthorized) // replay
	clk.add(30 * time.Second)
	code, err = auth.TOTPCode(secret, clk.now())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, e.signIn(kadisProv.username, testPassword, code).Code)
	requireProblem(t, e.signIn(kadisProv.username, testPassword, code), http.StatusUnauthorized) // same step again

	rc := strings.ToUpper(codes[0].(string))
	require.Equal(t, http.StatusOK, e.signIn(kadisProv.username, testPassword, rc).Code)
	requireProblem(t, e.signIn(kadisProv.username, testPassword, rc), http.StatusUnauthorized)

	// Required: it cannot be turned off.
	tok := e.signIn(kadisProv.username, testPassword, codes[1].(string)).str("token")
	requireProblem(t, e.do(http.MethodPost, "/api/v1/me/2fa/disable", tok, map[string]string{"password": testPassword, "code": codes[2].(string)}), http.StatusForbidden)
}

// Optional 2FA: any user may enrol (setup, enable with a first code), then
// logs in with a code, and may turn it off with password and code.
func TestTwoFactorOptional(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)}
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, deps: func(d *api.Deps) { d.Now = clk.now }})
	require.Equal(t, http.StatusOK, e.signIn(admin.username, testPassword, "").Code, "not required: admin logs in with a password (dev)")
	tok := e.token(kecPlanner)
	setup := e.do(http.MethodPost, "/api/v1/me/2fa/setup", tok, nil)
	require.Equal(t, http.StatusOK, setup.Code, setup.Body.String())
	secret := setup.str("secret")
	requireProblem(t, e.do(http.MethodPost, "/api/v1/me/2fa/enable", tok, map[string]string{"code": "123456"}), http.StatusUnprocessableEntity)
	code, _ := auth.TOTPCode(secret, clk.now())
	r := e.do(http.MethodPost, "/api/v1/me/2fa/enable", tok, map[string]string{"code": code})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Len(t, r.body["recovery_codes"], auth.RecoveryCodeCount)
	require.Equal(t, true, e.do(http.MethodGet, "/api/v1/me", tok, nil).body["two_factor"])

	requireProblem(t, e.signIn(kecPlanner.username, testPassword, ""), http.StatusUnauthorized)
	clk.add(30 * time.Second)
	code, _ = auth.TOTPCode(secret, clk.now())
	require.Equal(t, http.StatusOK, e.signIn(kecPlanner.username, testPassword, code).Code)

	clk.add(30 * time.Second)
	code, _ = auth.TOTPCode(secret, clk.now())
	requireProblem(t, e.do(http.MethodPost, "/api/v1/me/2fa/disable", tok, map[string]string{"password": "salah", "code": code}), http.StatusUnprocessableEntity)
	clk.add(30 * time.Second)
	code, _ = auth.TOTPCode(secret, clk.now())
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/me/2fa/disable", tok, map[string]string{"password": testPassword, "code": code}).Code)
	require.Equal(t, http.StatusOK, e.signIn(kecPlanner.username, testPassword, "").Code)
}

// The security audit CSV names logins (success, failure, lockout), logouts,
// 2FA and password changes, and grants; admin only.
func TestSecurityAuditCSV(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, deps: func(d *api.Deps) {
		d.LoginLimit = api.LoginLimit{Burst: 2, Every: time.Hour, AddressBurst: 100, AddressEvery: time.Second}
	}})
	tok := e.signIn(camat.username, testPassword, "").str("token")
	require.Equal(t, http.StatusNoContent, e.do(http.MethodPost, "/api/v1/auth/logout", tok, nil).Code)
	for range 3 {
		e.signIn(reviewer.username, "bukan-sandinya", "")
	}
	adminTok := e.token(admin)
	require.Equal(t, http.StatusOK, e.do(http.MethodPost, "/api/v1/admin/users/"+kecPlanner.username+"/roles", adminTok,
		map[string]any{"role": "camat", "scope": "74.05.03", "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}).Code)

	requireProblem(t, e.do(http.MethodGet, "/api/v1/admin/audit/security", e.token(kadisProv), nil), http.StatusForbidden)
	r := e.do(http.MethodGet, "/api/v1/admin/audit/security", adminTok, nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	rows, err := csv.NewReader(strings.NewReader(r.Body.String())).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"waktu_utc", "peristiwa", "pengguna", "oleh", "alamat", "keterangan"}, rows[0])
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		seen[row[1]+" "+row[2]] = true
	}
	for _, want := range []string{"login_berhasil camat.andoolo", "keluar camat.andoolo", "login_gagal kabid.konsel",
		"login_diblokir kabid.konsel", "peran_diberikan kec.andoolo"} {
		require.True(t, seen[want], "%s missing in %v", want, rows)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Text is checked and normalised in one place, the JSON binder, for every
// endpoint: NFC before it is stored, line feeds and tabs only where text may
// span lines, every refusal a 422 naming the field.
func TestTextCleanedOnEveryBody(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	good := goodDraft(e.cycle.ID)
	r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", with(good,
		"title", "Pelatihan Kope\u0301rasi", "description", "baris satu\r\nbaris dua\tdengan tab"))
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	require.Equal(t, "Pelatihan Kop\u00e9rasi", r.str("title"), "stored in NFC")
	require.Equal(t, "baris satu\nbaris dua\tdengan tab", r.str("description"))
	id := r.str("id")
	// The search compares in NFC too: the decomposed spelling finds it.
	list := e.as(kecPlanner, http.MethodGet, "/api/v1/proposals?q="+url.QueryEscape("Kope\u0301rasi"), nil)
	require.Equal(t, http.StatusOK, list.Code)
	require.Len(t, list.body["items"], 1)
	requireProblem(t, e.as(kecPlanner, http.MethodGet, "/api/v1/proposals/"+url.PathEscape(id+"\x00"), nil), http.StatusNotFound)

	for _, tc := range []struct {
		name, method, path string
		who                person
		body               any
		field              string
		hdr                []header
	}{
		{"login username", http.MethodPost, "/api/v1/auth/login", person{}, map[string]string{"username": "camat\x00andoolo", "password": "x"}, "username", nil},
		{"login password not UTF-8", http.MethodPost, "/api/v1/auth/login", person{}, `{"username":"camat.andoolo","password":"` + "\xff" + `"}`, "password", nil},
		{"edit title", http.MethodPatch, "/api/v1/proposals/" + id, kecPlanner, map[string]any{"title": "x\x00"}, "title", []header{{"If-Match", r.Header().Get("ETag")}}},
		{"action comment", http.MethodPost, "/api/v1/proposals/" + id + "/actions/withdraw", kecPlanner, map[string]any{"comment": "batal\x07"}, "comment", nil},
		{"user full name", http.MethodPost, "/api/v1/admin/users", admin, map[string]any{"username": "budi.buke", "password": "kuda-lompat-genteng-biru", "full_name": "Budi\x00", "roles": []any{}}, "full_name", nil},
		{"query parameter", http.MethodGet, "/api/v1/proposals?q=" + url.QueryEscape("kopi\x00"), kecPlanner, nil, "q", nil},
		{"query parameter not UTF-8", http.MethodGet, "/api/v1/proposals?region=%FF", kecPlanner, nil, "region", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.who.username == "" {
				r = e.do(tc.method, tc.path, "", tc.body)
			} else {
				r = e.as(tc.who, tc.method, tc.path, tc.body, tc.hdr...)
			}
			requireField(t, r, tc.field)
		})
	}
	require.EqualValues(t, 1, e.countProposals())
}
