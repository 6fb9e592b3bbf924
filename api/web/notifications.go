package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// notificationView is one line of GET /api/v1/notifications.
type notificationView struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	ProposalID string     `json:"proposal_id"`
	Text       string     `json:"text"`
	Subject    string     `json:"subject"`
	CreatedAt  time.Time  `json:"created_at"`
	ReadAt     *time.Time `json:"read_at"`
	DataRound  *struct {
		RegionCode string `json:"region_code"`
		Year       int    `json:"year"`
	} `json:"data_round"`
	KMPRegionCode string `json:"kmp_region_code"`
}

// Link is where the notification leads: its proposal, its data round or
// Koperasi Merah Putih in the register, else the cycles.
func (n notificationView) Link() string {
	switch {
	case n.ProposalID != "":
		return "/usulan/" + url.PathEscape(n.ProposalID)
	case n.DataRound != nil:
		return "/koperasi?" + url.Values{"wilayah": {n.DataRound.RegionCode}, "tahun": {strconv.Itoa(n.DataRound.Year)}}.Encode()
	case n.KMPRegionCode != "":
		return "/kmp/desa/" + url.PathEscape(n.KMPRegionCode)
	}
	return "/siklus"
}

// notifications is the notification centre: newest first, unread marked,
// each linking to its proposal, with "mark read" per line and for all.
func (h *Handler) notifications(w http.ResponseWriter, r *http.Request, s *session) {
	q := url.Values{"limit": {"100"}}
	onlyUnread := r.URL.Query().Get("belum") == "1"
	if onlyUnread {
		q.Set("unread", "true")
	}
	var list struct {
		Items  []notificationView `json:"items"`
		Unread int64              `json:"unread"`
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/notifications", query: q}, &list); err != nil {
		h.fail(w, r, s, err)
		return
	}
	s.unread = list.Unread
	d := s.base("Notifikasi", "notifikasi")
	d.Flash = r.URL.Query().Get("pesan")
	d.Data = map[string]any{"Items": list.Items, "Unread": list.Unread, "OnlyUnread": onlyUnread}
	h.render(w, r, "notifications", http.StatusOK, d)
}

// markRead marks one notification (field id) or all (field semua=1) read.
func (h *Handler) markRead(w http.ResponseWriter, r *http.Request, s *session) {
	body := map[string]any{}
	msg := "Notifikasi ditandai sudah dibaca."
	if r.PostForm.Get("semua") == "1" {
		body["all"] = true
		msg = "Semua notifikasi ditandai sudah dibaca."
	} else {
		body["ids"] = []string{r.PostForm.Get("id")}
	}
	if _, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/notifications/read", body: body}, nil); err != nil {
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/notifikasi?pesan="+url.QueryEscape(msg), http.StatusSeeOther)
}
