// Package web is rencana's user interface: server-rendered pages in Bahasa
// Indonesia (html/template, no JavaScript needed), served by the same binary
// as the JSON API. Every page is built from API calls made in-process with
// the signed-in user's token, so the pages can show and do exactly what the
// API allows that user, nothing more.
package web

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cookie names. The session cookie holds the API token; the CSRF cookie
// holds a random value every form must repeat (double submit).
const (
	sessionCookie = "rencana_sesi"
	csrfCookie    = "rencana_csrf"
	csrfField     = "csrf"
)

// Deps is what the pages are built from.
type Deps struct {
	// API is the JSON API (api.Server); the pages call it in-process.
	API http.Handler
	// SecureCookies marks cookies Secure: set it when the site is served
	// over HTTPS (always, in production behind a TLS proxy).
	SecureCookies bool
	Logger        *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler serves the pages.
type Handler struct {
	api    http.Handler
	secure bool
	log    *slog.Logger
	now    func() time.Time
	pages  map[string]*template.Template
	mux    *http.ServeMux
	// pending holds register files previewed and awaiting confirmation.
	pending pendingImports
}

// New parses the templates and registers the pages.
func New(d Deps) (*Handler, error) {
	h := &Handler{api: d.API, secure: d.SecureCookies, log: d.Logger, now: d.Now, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	h.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	h.mux.HandleFunc("GET /masuk", h.loginPage)
	h.mux.HandleFunc("POST /masuk", h.login)
	h.mux.HandleFunc("POST /keluar", h.logout)
	h.mux.HandleFunc("GET /{$}", h.authed(func(w http.ResponseWriter, r *http.Request, s *session) {
		http.Redirect(w, r, "/tugas", http.StatusSeeOther)
	}))
	h.mux.HandleFunc("GET /tugas", h.authed(h.tasks))
	h.mux.HandleFunc("GET /usulan", h.authed(h.proposals))
	h.mux.HandleFunc("GET /usulan/baru", h.authed(h.newProposal))
	h.mux.HandleFunc("POST /usulan/baru", h.authed(h.createProposal))
	h.mux.HandleFunc("GET /usulan/{id}", h.authed(h.proposal))
	h.mux.HandleFunc("GET /usulan/{id}/ubah", h.authed(h.editProposal))
	h.mux.HandleFunc("POST /usulan/{id}/ubah", h.authed(h.updateProposal))
	h.mux.HandleFunc("POST /usulan/{id}/aksi/{action}", h.authed(h.act))
	h.mux.HandleFunc("GET /siklus", h.authed(h.cycles))
	h.mux.HandleFunc("GET /siklus/{id}", h.authed(h.cycle))
	h.mux.HandleFunc("GET /siklus/baru", h.authed(h.newCycle))
	h.mux.HandleFunc("POST /siklus/baru", h.authed(h.createCycle))
	h.mux.HandleFunc("GET /siklus/{id}/pagu", h.authed(h.ceilings))
	h.mux.HandleFunc("POST /siklus/{id}/pagu", h.authed(h.setCeilings))
	h.mux.HandleFunc("GET /siklus/{id}/bumdes", h.authed(h.bumdes))
	h.mux.HandleFunc("POST /siklus/{id}/bumdes", h.authed(h.createBUMDes))
	h.mux.HandleFunc("POST /siklus/{id}/bumdes/impor", h.authed(h.importBUMDes))
	h.mux.HandleFunc("POST /siklus/{id}/jadwal", h.authed(h.moveCalendar))
	h.mux.HandleFunc("POST /siklus/{id}/kunci", h.authed(h.lockCycle))
	h.mux.HandleFunc("GET /siklus/{id}/rakorda", h.authed(h.rakorda))
	h.mux.HandleFunc("POST /siklus/{id}/rakorda/{what}", h.authed(h.recordRakorda))
	h.mux.HandleFunc("GET /siklus/{id}/rakorda/berita-acara.pdf", h.authed(h.minutes))
	h.mux.HandleFunc("GET /siklus/{id}/konsolidasi", h.authed(h.consolidation))
	h.mux.HandleFunc("GET /siklus/{id}/target", h.authed(h.targetProgress))
	h.mux.HandleFunc("POST /siklus/{id}/target", h.authed(h.setTargets))
	h.mux.HandleFunc("GET /ekspor", h.authed(h.exportsPage))
	h.mux.HandleFunc("GET /ekspor/unduh", h.authed(h.exportFile))
	h.mux.HandleFunc("GET /ekspor/keputusan", h.authed(h.decisionsPage))
	h.mux.HandleFunc("POST /ekspor/keputusan", h.authed(h.previewDecisions))
	h.mux.HandleFunc("POST /ekspor/keputusan/catat", h.authed(h.recordDecisions))
	h.mux.HandleFunc("GET /notifikasi", h.authed(h.notifications))
	h.mux.HandleFunc("POST /notifikasi/baca", h.authed(h.markRead))
	h.mux.HandleFunc("GET /delegasi", h.authed(h.delegations))
	h.mux.HandleFunc("POST /delegasi", h.authed(h.createDelegation))
	h.mux.HandleFunc("POST /delegasi/{id}/cabut", h.authed(h.revokeDelegation))
	h.mux.HandleFunc("GET /koperasi", h.authed(h.koperasi))
	h.mux.HandleFunc("POST /koperasi/putaran/{region}/{year}/{action}", h.authed(h.roundAction))
	h.mux.HandleFunc("GET /koperasi/impor", h.authed(h.importForm))
	h.mux.HandleFunc("POST /koperasi/impor", h.authed(h.importPreview))
	h.mux.HandleFunc("POST /koperasi/impor/konfirmasi", h.authed(h.importConfirm))
	h.mux.HandleFunc("GET /koperasi/dasbor", h.authed(h.koperasiDashboard))
	h.mux.HandleFunc("GET /koperasi/{id}", h.authed(h.koperasiDetail))
	h.mux.HandleFunc("GET /kmp", h.authed(h.kmpDashboard))
	h.mux.HandleFunc("GET /kmp/ekspor", h.authed(h.kmpExport))
	h.mux.HandleFunc("GET /kmp/desa/{code}", h.authed(h.kmpDesa))
	h.mux.HandleFunc("POST /kmp/desa/{code}/tahap/{milestone}", h.authed(h.kmpRecord))
	h.mux.HandleFunc("GET /kmp/mulai", h.authed(h.kmpStartPage))
	h.mux.HandleFunc("POST /kmp/mulai", h.authed(h.kmpStart))
	h.mux.HandleFunc("GET /kmp/mulai/{job}", h.authed(h.kmpStartProgress))
	h.mux.HandleFunc("GET /kmp/impor", h.authed(h.kmpImportPage))
	h.mux.HandleFunc("POST /kmp/impor", h.authed(h.kmpImport))
	h.mux.HandleFunc("GET /admin/pengguna", h.authed(h.adminUsers))
	h.mux.HandleFunc("POST /admin/pengguna", h.authed(h.createUser))
	h.mux.HandleFunc("GET /admin/pengguna/{username}", h.authed(h.adminUser))
	h.mux.HandleFunc("POST /admin/pengguna/{username}/peran", h.authed(h.addRole))
	h.mux.HandleFunc("POST /admin/pengguna/{username}/cabut", h.authed(h.removeRole))
	h.mux.HandleFunc("POST /admin/pengguna/{username}/reset-sandi", h.authed(h.adminResetPassword))
	h.mux.HandleFunc("POST /admin/pengguna/{username}/akhiri-sesi", h.authed(h.adminEndSessions))
	h.mux.HandleFunc("POST /admin/pengguna/{username}/status", h.authed(h.adminSetDisabled))
	h.mux.HandleFunc("GET /akun", h.authed(h.account))
	h.mux.HandleFunc("POST /akun/kata-sandi", h.authed(h.changePassword))
	h.mux.HandleFunc("POST /akun/sesi/{id}/cabut", h.authed(h.revokeSession))
	h.mux.HandleFunc("POST /akun/2fa/{step}", h.authed(h.twoFactor))
	return h, nil
}

// ServeHTTP adds the CSRF cookie and checks it on every form post before
// the page handler runs.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" on form posts, which would hide a cross-site post.
	hd.Set("Referrer-Policy", "same-origin")
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	h.serve(sw, r)
	h.log.Info("page", "method", r.Method, "path", r.URL.Path, "status", sw.status,
		"duration_ms", float64(time.Since(start).Microseconds())/1000)
}

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	token := h.csrfToken(w, r)
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes+1<<20)
		if !sameOrigin(r) || !validCSRF(r, token) {
			h.renderStatus(w, r, nil, http.StatusForbidden, "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.")
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// csrfToken returns the request's CSRF value, issuing the cookie when the
// browser has none yet.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteStrictMode})
	// The handler that renders the form reads it from the request.
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: v})
	return v
}

func validCSRF(r *http.Request, token string) bool {
	parse := r.ParseForm
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		// An upload form: its fields, the token among them, are parts.
		parse = func() error { return r.ParseMultipartForm(maxUploadMemory) }
	}
	if err := parse(); err != nil {
		return false
	}
	// An upload (the KMP import) carries the token in its multipart body.
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return false
		}
	}
	got := r.PostForm.Get(csrfField)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// sameOrigin refuses a post whose Origin (sent by every current browser on
// POST) names another site: a second line of defence behind the token.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return true // privacy settings hide it; the CSRF token still decides
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// session is the signed-in user of a request.
type session struct {
	token string
	user  userView
	csrf  string
	// unread is the number of unread notifications, for the header.
	unread int64
}

// authed runs page only for a signed-in user; others go to the login page
// and come back afterwards.
func (h *Handler) authed(page func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err == nil && c.Value != "" {
			var u userView
			if _, err := h.call(r, c.Value, apiCall{method: "GET", path: "/api/v1/me"}, &u); err == nil {
				csrf, _ := r.Cookie(csrfCookie)
				s := &session{token: c.Value, user: u, csrf: csrf.Value}
				var inbox struct {
					Unread int64 `json:"unread"`
				}
				if _, err := h.call(r, c.Value, apiCall{method: "GET", path: "/api/v1/notifications", query: url.Values{"unread": {"true"}, "limit": {"1"}}}, &inbox); err == nil {
					s.unread = inbox.Unread
				}
				page(w, r, s)
				return
			}
		}
		h.clearSession(w)
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = "/tugas"
		}
		http.Redirect(w, r, "/masuk?lanjut="+url.QueryEscape(next), http.StatusSeeOther)
	}
}

func (h *Handler) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// safeNext keeps a post-login redirect on this site (ASVS 5.1.5): only a
// path of this site, judged as a browser would read it. The value is
// decoded (repeatedly: %252F is %2F is /) and stripped of control
// characters and spaces (browsers drop tabs and newlines inside URLs, so
// "/\t/evil.com" is "//evil.com"), and both the value as given and as
// decoded must be a plain absolute path: no scheme, no host, no second
// leading slash, no backslash anywhere (browsers read "\" as "/").
func safeNext(next string) string {
	const home = "/tugas"
	if len(next) > 2000 || !plainPath(next) {
		return home
	}
	d := next
	for range 5 {
		u, err := url.PathUnescape(d)
		if err != nil {
			return home
		}
		u = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || unicode.IsSpace(r) {
				return -1
			}
			return r
		}, u)
		if u == d {
			break
		}
		if !plainPath(u) {
			return home
		}
		d = u
	}
	return next
}

// plainPath reports whether p is "/" followed by a path of this site.
func plainPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\") {
		return false
	}
	for _, r := range p {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return false
		}
	}
	u, err := url.Parse(p)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == ""
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	csrf, _ := r.Cookie(csrfCookie)
	h.render(w, r, "login", http.StatusOK, pageData{CSRF: csrf.Value, Title: "Masuk",
		Data: map[string]string{"Next": safeNext(r.URL.Query().Get("lanjut"))}})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	username := strings.TrimSpace(r.PostForm.Get("username"))
	next := safeNext(r.PostForm.Get("lanjut"))
	var out struct {
		Token         string    `json:"token"`
		ExpiresAt     time.Time `json:"expires_at"`
		RecoveryCodes []string  `json:"recovery_codes"`
	}
	body := map[string]string{"username": username, "password": r.PostForm.Get("password")}
	if otp := strings.TrimSpace(r.PostForm.Get("otp")); otp != "" {
		body["otp"] = otp
	}
	_, err := h.call(r, "", apiCall{method: "POST", path: "/api/v1/auth/login", body: body}, &out)
	csrf, _ := r.Cookie(csrfCookie)
	if err != nil {
		status, msg := http.StatusUnauthorized, "Nama pengguna atau kata sandi salah."
		data := map[string]any{"Next": next, "Username": username}
		if p, ok := err.(*problem); ok {
			status, msg = p.Status, p.message()
			// A second factor is asked for: the form keeps the password
			// field and adds the code (and, to enrol, the key to add).
			if strings.HasSuffix(p.Type, "/otp_required") || strings.HasSuffix(p.Type, "/otp_enrolment_required") {
				data["OTP"] = true
				data["OTPSecret"], data["OTPURL"] = p.OTPSecret, p.OTPURL
				if m := p.Fields["otp"]; m != "" && body["otp"] != "" {
					msg = m
				}
			}
		}
		h.render(w, r, "login", status, pageData{CSRF: csrf.Value, Title: "Masuk", Error: msg, Data: data})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: out.Token, Path: "/", Expires: out.ExpiresAt,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	if len(out.RecoveryCodes) > 0 {
		// Enrolment just completed: the recovery codes are shown once.
		h.render(w, r, "login", http.StatusOK, pageData{CSRF: csrf.Value, Title: "Kode pemulihan",
			Data: map[string]any{"Next": next, "RecoveryCodes": out.RecoveryCodes}})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout revokes the session in the API (so the token in the cookie stops
// working everywhere, not only in this browser), then clears the cookie.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if _, err := h.call(r, c.Value, apiCall{method: "POST", path: "/api/v1/auth/logout"}, nil); err != nil {
			h.log.Info("logout: session already ended", "err", err)
		}
	}
	h.clearSession(w)
	http.Redirect(w, r, "/masuk", http.StatusSeeOther)
}
