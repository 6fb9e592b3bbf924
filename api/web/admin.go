package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// The admin pages: users, their roles, and time-bound delegations. The API
// refuses everyone but the administrator; the pages only show the forms.

type grantEventView struct {
	Username  string    `json:"username"`
	Grant     grantView `json:"grant"`
	Change    string    `json:"change"`
	ChangedBy string    `json:"changed_by"`
	ChangedAt time.Time `json:"changed_at"`
}

type adminUserView struct {
	Username    string           `json:"username"`
	FullName    string           `json:"full_name"`
	Email       string           `json:"email"`
	Disabled    bool             `json:"disabled"`
	CreatedAt   time.Time        `json:"created_at"`
	Roles       []grantView      `json:"roles"`
	GrantEvents []grantEventView `json:"grant_events"`
}

type adminUsersData struct {
	Users      []adminUserView
	NextCursor string
	Roles      []domain.Role
	New        map[string]string // the create form's values after a refusal
}

func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderAdminUsers(w, r, s, http.StatusOK, nil, nil)
}

func (h *Handler) renderAdminUsers(w http.ResponseWriter, r *http.Request, s *session, status int, refusal *problem, form url.Values) {
	var page struct {
		Items      []adminUserView `json:"items"`
		NextCursor *string         `json:"next_cursor"`
	}
	q := url.Values{"limit": {"100"}}
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/admin/users", query: q}, &page); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := s.base("Pengguna", "admin")
	d.Flash = r.URL.Query().Get("pesan")
	data := adminUsersData{Users: page.Items, Roles: domain.Roles, New: map[string]string{}}
	if page.NextCursor != nil {
		data.NextCursor = *page.NextCursor
	}
	for _, k := range []string{"username", "full_name", "email", "role", "scope"} {
		data.New[k] = form.Get(k)
	}
	if refusal != nil {
		d.Error, d.Fields = refusal.message(), refusal.Fields
	}
	d.Data = data
	h.render(w, r, "admin_users", status, d)
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	body := map[string]any{
		"username": strings.TrimSpace(f.Get("username")), "full_name": strings.TrimSpace(f.Get("full_name")),
		"email": strings.TrimSpace(f.Get("email")), "password": f.Get("password"), "roles": []map[string]any{},
	}
	if role := f.Get("role"); role != "" {
		body["roles"] = []map[string]any{{"role": role, "scope": strings.TrimSpace(f.Get("scope"))}}
	}
	_, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/admin/users", body: body}, nil)
	if err != nil {
		if p, ok := err.(*problem); ok && p.Status != http.StatusUnauthorized && p.Status < 500 {
			h.renderAdminUsers(w, r, s, p.Status, p, f)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/admin/pengguna/"+url.PathEscape(body["username"].(string))+"?pesan="+url.QueryEscape("Pengguna dibuat."), http.StatusSeeOther)
}

func (h *Handler) adminUser(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderAdminUser(w, r, s, http.StatusOK, nil)
}

func (h *Handler) renderAdminUser(w http.ResponseWriter, r *http.Request, s *session, status int, refusal *problem) {
	var u adminUserView
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/admin/users/" + url.PathEscape(r.PathValue("username"))}, &u); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := s.base("Pengguna "+u.Username, "admin")
	d.Flash = r.URL.Query().Get("pesan")
	if refusal != nil {
		d.Error, d.Fields = refusal.message(), refusal.Fields
	}
	d.Data = map[string]any{"U": u, "Roles": domain.Roles}
	h.render(w, r, "admin_user", status, d)
}

// dayStart turns a date input (2026-03-01) into the start of that day in the
// admin's zone, as the API's RFC 3339 time; "" stays unset.
func dayStart(v string, zone *time.Location) (*string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, true
	}
	t, err := time.ParseInLocation("2006-01-02", v, zone)
	if err != nil {
		return nil, false
	}
	s := t.Format(time.RFC3339)
	return &s, true
}

func (h *Handler) addRole(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	body := map[string]any{"role": f.Get("role"), "scope": strings.TrimSpace(f.Get("scope"))}
	bad := &problem{Status: http.StatusUnprocessableEntity, Title: "Periksa isian yang ditandai.", Fields: map[string]string{}}
	for _, k := range []string{"valid_from", "valid_until"} {
		v, ok := dayStart(f.Get(k), s.user.zone())
		if !ok {
			bad.Fields[k] = "Tulis tanggal seperti 2026-03-01."
		}
		if v != nil {
			body[k] = *v
		}
	}
	if len(bad.Fields) > 0 {
		h.renderAdminUser(w, r, s, bad.Status, bad)
		return
	}
	h.grantChange(w, r, s, "POST", body, "Peran diberikan.")
}

func (h *Handler) removeRole(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{"role": r.PostForm.Get("role"), "scope": r.PostForm.Get("scope")}
	h.grantChange(w, r, s, "DELETE", body, "Peran dicabut.")
}

func (h *Handler) grantChange(w http.ResponseWriter, r *http.Request, s *session, method string, body map[string]any, done string) {
	user := r.PathValue("username")
	_, err := h.call(r, s.token, apiCall{method: method, path: "/api/v1/admin/users/" + url.PathEscape(user) + "/roles", body: body}, nil)
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
