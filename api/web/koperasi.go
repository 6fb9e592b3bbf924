package web

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
)

// The register's page (issue 17): the data rounds the user may see, with
// the actions the API allows them, the indicators of their region and a
// searchable list of koperasi. Everything through the API as the user.

type roundRow struct {
	domain.DataRound
	Name           string               `json:"name"`
	Late           bool                 `json:"late"`
	AllowedActions []domain.RoundAction `json:"allowed_actions"`
}

type koperasiPage struct {
	Region     string
	Year       int
	Q          string
	Rounds     []roundRow
	Indicators *domain.KoperasiIndicators
	Items      []domain.Koperasi
	Next       string
}

// CanSeeRegister is used by the layout to show "Data Koperasi".
func (u userView) CanSeeRegister() bool { return len(u.Roles) > 0 }

func (h *Handler) koperasi(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := koperasiPage{Year: h.now().Year(), Q: strings.TrimSpace(q.Get("q")), Region: q.Get("wilayah")}
	if y, err := strconv.Atoi(q.Get("tahun")); err == nil {
		d.Year = y
	}
	if d.Region == "" && len(s.user.Roles) > 0 {
		d.Region = s.user.Roles[0].Scope
	}
	var rounds struct {
		Items []roundRow `json:"items"`
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/data-rounds", query: url.Values{"year": {strconv.Itoa(d.Year)}}}, &rounds); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d.Rounds = lateFirst(rounds.Items)
	var ind domain.KoperasiIndicators
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/koperasi/indicators",
		query: url.Values{"region": {d.Region}, "year": {strconv.Itoa(d.Year)}}}, &ind); err == nil {
		d.Indicators = &ind
	}
	var list struct {
		Items      []domain.Koperasi `json:"items"`
		NextCursor *string           `json:"next_cursor"`
	}
	lq := url.Values{"year": {strconv.Itoa(d.Year)}, "limit": {"50"}}
	if d.Q != "" {
		lq.Set("q", d.Q)
	}
	if d.Region != domain.NationalScope {
		lq.Set("region", d.Region)
	}
	if c := q.Get("cursor"); c != "" {
		lq.Set("cursor", c)
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/koperasi", query: lq}, &list); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d.Items = list.Items
	if list.NextCursor != nil {
		d.Next = *list.NextCursor
	}
	p := s.base("Data Koperasi", "koperasi")
	p.Data = d
	p.Flash = q.Get("pesan")
	h.render(w, r, "koperasi", http.StatusOK, p)
}

// lateFirst orders the rounds for the province's view: the late kab/kota
// first, each group in the API's order.
func lateFirst(rounds []roundRow) []roundRow {
	sort.SliceStable(rounds, func(i, j int) bool { return rounds[i].Late && !rounds[j].Late })
	return rounds
}

// roundAction posts a data round action with its comment.
func (h *Handler) roundAction(w http.ResponseWriter, r *http.Request, s *session) {
	region, year, action := r.PathValue("region"), r.PathValue("year"), domain.RoundAction(r.PathValue("action"))
	body := map[string]any{"comment": strings.TrimSpace(r.PostForm.Get("comment"))}
	_, err := h.call(r, s.token, apiCall{method: "POST", path: fmt.Sprintf("/api/v1/data-rounds/%s/%s/actions/%s",
		url.PathEscape(region), url.PathEscape(year), url.PathEscape(string(action))), body: body}, nil)
	msg := fmt.Sprintf("Aksi \"%s\" pada putaran data %s %s berhasil.", action.Label(), region, year)
	if err != nil {
		if pr, ok := err.(*problem); ok && pr.Status != http.StatusUnauthorized {
			msg = "Ditolak: " + pr.message()
		} else {
			h.fail(w, r, s, err)
			return
		}
	}
	http.Redirect(w, r, "/koperasi?tahun="+url.QueryEscape(year)+"&pesan="+url.QueryEscape(msg), http.StatusSeeOther)
}
