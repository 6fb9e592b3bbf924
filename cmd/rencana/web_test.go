package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// webClient is a browser without JavaScript: cookies, no redirects followed.
func webClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func getPage(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func postForm(t *testing.T, c *http.Client, u, origin string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// TestWebSecurity: pages need a session, forms need the CSRF token and this
// site's origin, cookies are HttpOnly/SameSite, user data is escaped.
func TestWebSecurity(t *testing.T) {
	dataDir := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	startDev(t, addr, dataDir, map[string]string{"RENCANA_TEMPORAL_DEV_PORT": freePort(t), "RENCANA_TEMPORAL_UI_PORT": freePort(t)})
	creds := readCredentials(filepath.Join(dataDir, "credentials.txt"))
	base := "http://" + addr
	c := webClient(t)

	resp, _ := getPage(t, c, base+"/tugas")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/masuk?lanjut=%2Ftugas", resp.Header.Get("Location"))

	_, page := getPage(t, c, base+"/masuk")
	token := csrfInput.FindStringSubmatch(page)[1]
	login := url.Values{"csrf": {token}, "username": {"kec.andoolo"}, "password": {creds.Demo}, "lanjut": {"/tugas"}}

	// Without the token, or from another site, a post changes nothing.
	resp, _ = postForm(t, c, base+"/masuk", base, url.Values{"username": {"kec.andoolo"}, "password": {creds.Demo}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = postForm(t, c, base+"/masuk", "https://evil.example", login)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Empty(t, resp.Header.Values("Set-Cookie"), "no session from a refused post")

	resp, _ = postForm(t, c, base+"/masuk", base, login)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "rencana_sesi" {
			session = ck
		}
	}
	require.NotNil(t, session)
	require.True(t, session.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, session.SameSite)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")

	// A draft created with a hostile title shows as text, never as markup.
	_, page = getPage(t, c, base+"/usulan/baru")
	token = csrfInput.FindStringSubmatch(page)[1]
	form := url.Values{"csrf": {token}, "kunci": {"0123456789abcdef0123"}, "cycle_id": {cycleOf(t, page)}, "region_code": {"74.05.03"},
		"title": {`<script>alert("x")</script> Bazar`}, "op": {"simpan"}}
	resp, _ = postForm(t, c, base+"/usulan/baru", "", url.Values{"title": {"tanpa token"}, "op": {"simpan"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = postForm(t, c, base+"/usulan/baru", base, form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, "/usulan/usl-"), loc)
	_, page = getPage(t, c, base+loc)
	require.NotContains(t, page, `<script>alert`)
	require.Contains(t, page, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Bazar`)

	// Posting the same form again (a double click) creates nothing new.
	resp, _ = postForm(t, c, base+"/usulan/baru", base, form)
	require.Equal(t, loc, resp.Header.Get("Location"))
	apiToken := login2(t, addr, "kec.andoolo", creds.Demo)
	req, _ := http.NewRequest("GET", base+"/api/v1/proposals", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer r2.Body.Close()
	var list struct{ Items []json.RawMessage }
	require.NoError(t, json.NewDecoder(r2.Body).Decode(&list))
	require.Len(t, list.Items, 1, "one proposal, not one per post")

	// The account page lists the active sessions (this one marked, the
	// API login above revocable) and refuses a weak new password.
	resp, page = getPage(t, c, base+"/akun")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "sesi ini")
	require.Contains(t, page, "/cabut", "the other session can be ended")
	token = csrfInput.FindStringSubmatch(page)[1]
	resp, page = postForm(t, c, base+"/akun/kata-sandi", base, url.Values{"csrf": {token}, "current_password": {creds.Demo},
		"new_password": {"aaaaaaaaaaaa"}, "new_password2": {"aaaaaaaaaaaa"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "pengulangan")

	// Issue 23: Keluar revokes the session; the old cookie no longer
	// opens /tugas (before, it did until the token expired).
	_, page = getPage(t, c, base+"/tugas")
	token = csrfInput.FindStringSubmatch(page)[1]
	resp, _ = postForm(t, c, base+"/keluar", base, url.Values{"csrf": {token}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	stolen := webClient(t)
	u, _ := url.Parse(base)
	stolen.Jar.SetCookies(u, []*http.Cookie{session})
	resp, _ = getPage(t, stolen, base+"/tugas")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "a logged-out cookie is refused")
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/masuk"))

	// An open redirect through lanjut= lands on the task page instead.
	_, page = getPage(t, c, base+"/masuk")
	token = csrfInput.FindStringSubmatch(page)[1]
	resp, _ = postForm(t, c, base+"/masuk", base, url.Values{"csrf": {token}, "username": {"kec.andoolo"}, "password": {creds.Demo}, "lanjut": {"/\t/evil.com"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/tugas", resp.Header.Get("Location"))
}

var cycleOption = regexp.MustCompile(`<option value="(\d\d-\d{4})"`)

func cycleOf(t *testing.T, page string) string {
	m := cycleOption.FindStringSubmatch(page)
	require.NotNil(t, m, "the form offers a cycle")
	return m[1]
}

func login2(t *testing.T, addr, username, password string) string {
	res := login(t, addr, username, password)
	return res["token"].(string)
}
