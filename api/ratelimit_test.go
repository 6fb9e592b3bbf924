package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// fakeClock is a clock tests move by hand, so refills need no waiting.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// login posts credentials from a given peer address, optionally claiming
// another one in X-Forwarded-For.
func login(t *testing.T, e *env, username, password, remote, forwardedFor string) *httptest.ResponseRecorder {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = remote + ":40000"
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	rec := e.serve(req)
	return rec
}

func TestLoginRateLimit(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, deps: func(d *api.Deps) {
		d.Now = clock.Now
		d.LoginLimit = api.LoginLimit{Burst: 3, Every: time.Minute, AddressBurst: 5, AddressEvery: time.Minute}
	}})
	const home, other = "203.0.113.7", "198.51.100.9"

	// Successful logins never count.
	for range 6 {
		require.Equal(t, http.StatusOK, login(t, e, camat.username, testPassword, home, "").Code)
	}
	// Three wrong passwords for one account from one address, then even the
	// right password waits, with Retry-After and a problem document.
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, login(t, e, camat.username, "salah-sandi", home, "").Code)
	}
	rec := login(t, e, camat.username, testPassword, home, "")
	require.Equal(t, http.StatusTooManyRequests, rec.Code, rec.Body.String())
	require.Equal(t, "60", rec.Header().Get("Retry-After"))
	require.Equal(t, "application/problem+json", rec.Header().Get("Content-Type"))
	require.Contains(t, rec.Body.String(), "Coba lagi dalam 60 detik")

	// The same account from elsewhere is not affected, nor is a forged
	// X-Forwarded-For believed without trusted proxies.
	require.Equal(t, http.StatusOK, login(t, e, camat.username, testPassword, other, "").Code)
	require.Equal(t, http.StatusTooManyRequests, login(t, e, camat.username, testPassword, home, other).Code)

	// Another account from the same address has its own pair budget, but
	// the address's budget (5) is shared: 3 spent above, 2 more here.
	for range 2 {
		require.Equal(t, http.StatusUnauthorized, login(t, e, reviewer.username, "salah-sandi", home, "").Code)
	}
	require.Equal(t, http.StatusTooManyRequests, login(t, e, kadisKab.username, testPassword, home, "").Code)

	// A minute later one attempt is back.
	clock.Add(time.Minute)
	require.Equal(t, http.StatusOK, login(t, e, camat.username, testPassword, home, "").Code)

	// A success wipes the pair's failures: from a third address, two
	// failures, a success, then three failures in a row are all answered.
	const third = "192.0.2.50"
	for range 2 {
		require.Equal(t, http.StatusUnauthorized, login(t, e, camat.username, "salah-sandi", third, "").Code)
	}
	require.Equal(t, http.StatusOK, login(t, e, camat.username, testPassword, third, "").Code)
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, login(t, e, camat.username, "salah-sandi", third, "").Code)
	}
	require.Equal(t, http.StatusTooManyRequests, login(t, e, camat.username, "salah-sandi", third, "").Code)
}

// Behind a trusted reverse proxy the client's address comes from
// X-Forwarded-For, so clients of one proxy do not share one budget.
func TestLoginRateLimitBehindProxy(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, deps: func(d *api.Deps) {
		d.LoginLimit = api.LoginLimit{Burst: 1, Every: time.Hour, AddressBurst: 1, AddressEvery: time.Hour}
		d.TrustedProxies = []string{"10.0.0.0/8"}
	}})
	const proxy = "10.1.2.3"
	require.Equal(t, http.StatusUnauthorized, login(t, e, camat.username, "salah", proxy, "203.0.113.7").Code)
	require.Equal(t, http.StatusTooManyRequests, login(t, e, camat.username, testPassword, proxy, "203.0.113.7").Code)
	require.Equal(t, http.StatusOK, login(t, e, camat.username, testPassword, proxy, "198.51.100.9").Code)
}
