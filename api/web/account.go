package web

import (
	"net/http"
	"net/url"
	"time"
)

// The account page (/akun): one's active sessions, each revocable; the
// password change; the optional second factor (set up, enable, disable).
// Everything goes through the API (/api/v1/me/...).

type sessionItem struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	RemoteAddr string    `json:"remote_addr"`
	Current    bool      `json:"current"`
}

type accountData struct {
	Sessions []sessionItem
	// Secret and URL of a second factor being set up; RecoveryCodes once
	// it is enabled.
	Secret, URL   string
	RecoveryCodes []string
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderAccount(w, r, s, http.StatusOK, nil, accountData{})
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, s *session, status int, refusal *problem, data accountData) {
	var list struct {
		Items []sessionItem `json:"items"`
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/me/sessions"}, &list); err != nil {
		h.fail(w, r, s, err)
		return
	}
	// The page may follow a change of the second factor: read it again.
	_, _ = h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/me"}, &s.user)
	data.Sessions = list.Items
	d := s.base("Akun Saya", "akun")
	d.Flash = r.URL.Query().Get("pesan")
	if refusal != nil {
		d.Error, d.Fields = refusal.message(), refusal.Fields
	}
	d.Data = data
	h.render(w, r, "account", status, d)
}

// refused renders the account page with an API refusal, or fails the page
// for what is not the user's to fix.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if p, ok := err.(*problem); ok && p.Status != http.StatusUnauthorized && p.Status < 500 {
		h.renderAccount(w, r, s, p.Status, p, accountData{})
		return
	}
	h.fail(w, r, s, err)
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]string{"current_password": r.PostForm.Get("current_password"), "new_password": r.PostForm.Get("new_password")}
	if r.PostForm.Get("new_password") != r.PostForm.Get("new_password2") {
		h.renderAccount(w, r, s, http.StatusUnprocessableEntity, &problem{Status: http.StatusUnprocessableEntity,
			Title: "Periksa isian yang ditandai.", Fields: map[string]string{"new_password2": "Ulangi kata sandi baru yang sama persis."}}, accountData{})
		return
	}
	var out struct {
		Revoked int `json:"revoked"`
	}
	if _, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/me/password", body: body}, &out); err != nil {
		h.refused(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/akun?pesan="+url.QueryEscape("Kata sandi diganti; sesi lain Anda telah diakhiri."), http.StatusSeeOther)
}

func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := h.call(r, s.token, apiCall{method: "DELETE", path: "/api/v1/me/sessions/" + url.PathEscape(r.PathValue("id"))}, nil); err != nil {
		h.refused(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/akun?pesan="+url.QueryEscape("Sesi diakhiri."), http.StatusSeeOther)
}

func (h *Handler) twoFactor(w http.ResponseWriter, r *http.Request, s *session) {
	switch r.PathValue("step") {
	case "mulai":
		var key struct {
			Secret string `json:"secret"`
			URL    string `json:"otpauth_url"`
		}
		if _, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/me/2fa/setup"}, &key); err != nil {
			h.refused(w, r, s, err)
			return
		}
		h.renderAccount(w, r, s, http.StatusOK, nil, accountData{Secret: key.Secret, URL: key.URL})
	case "aktifkan":
		var out struct {
			RecoveryCodes []string `json:"recovery_codes"`
		}
		if _, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/me/2fa/enable",
			body: map[string]string{"code": r.PostForm.Get("code")}}, &out); err != nil {
			h.refused(w, r, s, err)
			return
		}
		h.renderAccount(w, r, s, http.StatusOK, nil, accountData{RecoveryCodes: out.RecoveryCodes})
	case "nonaktifkan":
		if _, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/me/2fa/disable",
			body: map[string]string{"code": r.PostForm.Get("code"), "password": r.PostForm.Get("password")}}, nil); err != nil {
			h.refused(w, r, s, err)
			return
		}
		http.Redirect(w, r, "/akun?pesan="+url.QueryEscape("Verifikasi dua langkah dinonaktifkan."), http.StatusSeeOther)
	default:
		h.renderStatus(w, r, s, http.StatusNotFound, "Halaman tidak ditemukan.")
	}
}

// --- the admin's side: reset, end sessions, disable ---------------------------

func (h *Handler) adminResetPassword(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{"password": r.PostForm.Get("password"), "reset_two_factor": r.PostForm.Get("reset_two_factor") == "ya"}
	h.adminAccountChange(w, r, s, "POST", "/password", body, "Kata sandi direset; semua sesi pengguna diakhiri.")
}

func (h *Handler) adminEndSessions(w http.ResponseWriter, r *http.Request, s *session) {
	h.adminAccountChange(w, r, s, "DELETE", "/sessions", nil, "Semua sesi pengguna diakhiri.")
}

func (h *Handler) adminSetDisabled(w http.ResponseWriter, r *http.Request, s *session) {
	disabled := r.PostForm.Get("disabled") == "ya"
	done := "Akun diaktifkan kembali."
	if disabled {
		done = "Akun dinonaktifkan; semua sesinya diakhiri."
	}
	h.adminAccountChange(w, r, s, "PUT", "/disabled", map[string]any{"disabled": disabled}, done)
}

func (h *Handler) adminAccountChange(w http.ResponseWriter, r *http.Request, s *session, method, suffix string, body any, done string) {
	user := r.PathValue("username")
	_, err := h.call(r, s.token, apiCall{method: method, path: "/api/v1/admin/users/" + url.PathEscape(user) + suffix, body: body}, nil)
	if err != nil {
		if p, ok := err.(*problem); ok && p.Status != http.StatusUnauthorized && p.Status < 500 && p.Status != http.StatusNotFound {
			h.renderAdminUser(w, r, s, p.Status, p)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/admin/pengguna/"+url.PathEscape(user)+"?pesan="+url.QueryEscape(done), http.StatusSeeOther)
}
