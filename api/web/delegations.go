package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// delegationView is one line of GET /api/v1/delegations.
type delegationView struct {
	ID         string      `json:"id"`
	From       string      `json:"from"`
	To         string      `json:"to"`
	Role       domain.Role `json:"role"`
	Scope      string      `json:"scope"`
	Actions    []string    `json:"actions"`
	ValidFrom  time.Time   `json:"valid_from"`
	ValidUntil time.Time   `json:"valid_until"`
	RevokedAt  *time.Time  `json:"revoked_at"`
}

// delegationForm is what the kepala dinas typed, kept across a refusal.
type delegationForm struct {
	To, Role, Scope, From, Until string
	Actions                      map[string]bool
}

// delegatingRole is the kepala dinas role (and its scope) the user may
// delegate from, or "" when none.
func (u userView) delegatingRole() (domain.Role, string) {
	for _, g := range u.Roles {
		if (g.Role == domain.RoleKadisKabKota || g.Role == domain.RoleKadisProvinsi) && len(g.Actions) == 0 {
			return g.Role, g.Scope
		}
	}
	return "", ""
}

// delegations lists the delegations the user gave or received and, for a
// kepala dinas, the form to give one.
func (h *Handler) delegations(w http.ResponseWriter, r *http.Request, s *session) {
	role, scope := s.user.delegatingRole()
	h.renderDelegations(w, r, s, http.StatusOK, nil, delegationForm{Role: string(role), Scope: scope, Actions: map[string]bool{}})
}

func (h *Handler) renderDelegations(w http.ResponseWriter, r *http.Request, s *session, status int, refusal *problem, f delegationForm) {
	res, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/delegations"}, nil)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	var list []delegationView
	_ = decodeItems(res.Body, &list)
	role, _ := s.user.delegatingRole()
	var actions []domain.Action
	if role != "" {
		for _, a := range []domain.Action{domain.ActionApprove, domain.ActionReturn, domain.ActionReject, domain.ActionAccept, domain.ActionDefer} {
			if role == domain.RoleKadisKabKota && (a == domain.ActionAccept || a == domain.ActionDefer) {
				continue
			}
			if role == domain.RoleKadisProvinsi && (a == domain.ActionApprove || a == domain.ActionReturn) {
				continue
			}
			actions = append(actions, a)
		}
	}
	d := s.base("Delegasi", "delegasi")
	d.Flash = r.URL.Query().Get("pesan")
	if refusal != nil {
		d.Error, d.Fields = refusal.message(), refusal.Fields
	}
	d.Data = map[string]any{"Items": list, "Me": s.user.Username, "CanDelegate": role != "", "Actions": actions, "F": f}
	h.render(w, r, "delegations", status, d)
}

// createDelegation posts the form to POST /api/v1/delegations.
func (h *Handler) createDelegation(w http.ResponseWriter, r *http.Request, s *session) {
	pf := r.PostForm
	f := delegationForm{To: strings.TrimSpace(pf.Get("to")), Role: pf.Get("role"), Scope: strings.TrimSpace(pf.Get("scope")),
		From: pf.Get("valid_from"), Until: pf.Get("valid_until"), Actions: map[string]bool{}}
	for _, a := range pf["actions"] {
		f.Actions[a] = true
	}
	body := map[string]any{"to": f.To, "role": f.Role, "scope": f.Scope, "actions": pf["actions"]}
	bad := map[string]string{}
	for field, v := range map[string]string{"valid_from": f.From, "valid_until": f.Until} {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, s.user.zone())
		if err != nil {
			bad[field] = "Tulis tanggal dan jam lengkap."
			continue
		}
		body[field] = t.UTC().Format(time.RFC3339)
	}
	if len(bad) > 0 {
		h.renderDelegations(w, r, s, http.StatusUnprocessableEntity, &problem{Status: 422, Title: "Periksa isian yang ditandai.", Fields: bad}, f)
		return
	}
	if _, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/delegations", body: body}, nil); err != nil {
		p, ok := err.(*problem)
		if !ok || p.Status == http.StatusUnauthorized || p.Status >= 500 {
			h.fail(w, r, s, err)
			return
		}
		h.renderDelegations(w, r, s, p.Status, p, f)
		return
	}
	http.Redirect(w, r, "/delegasi?pesan="+url.QueryEscape("Delegasi diberikan."), http.StatusSeeOther)
}

// revokeDelegation posts DELETE /api/v1/delegations/{id}.
func (h *Handler) revokeDelegation(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := h.call(r, s.token, apiCall{method: "DELETE", path: "/api/v1/delegations/" + url.PathEscape(r.PathValue("id"))}, nil); err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/delegasi?pesan="+url.QueryEscape("Delegasi dicabut."), http.StatusSeeOther)
}
