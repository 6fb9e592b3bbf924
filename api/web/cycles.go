package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// The cycle's working pages: the calendar (moved by the Kepala Dinas
// provinsi), the Rakorda board, the consolidation table and lock.

type cycleDetailView struct {
	cycleView
	Version     int64              `json:"version"`
	Phase       domain.Phase       `json:"phase"`
	LockedAt    *time.Time         `json:"locked_at"`
	LockedBy    string             `json:"locked_by"`
	RakordaOpen bool               `json:"rakorda_open"`
	Ceilings    []domain.Ceiling   `json:"ceilings"`
	Agreements  []domain.Agreement `json:"agreements"`
	Attendance  []domain.Attendee  `json:"attendance"`
}

func (h *Handler) getCycle(r *http.Request, s *session, id string) (cycleDetailView, error) {
	var c cycleDetailView
	_, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/cycles/" + url.PathEscape(id)}, &c)
	return c, err
}

// moveCalendar is the calendar form of the cycle page (PATCH with If-Match).
func (h *Handler) moveCalendar(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	cal := map[string]any{}
	bad := map[string]string{}
	for _, name := range calendarFields {
		v := strings.TrimSpace(r.PostForm.Get(name))
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", v, s.user.zone())
		if err != nil {
			bad["calendar."+name] = "Tulis tanggal dan jam lengkap."
			continue
		}
		cal[name] = t.UTC().Format(time.RFC3339)
	}
	if len(bad) == 0 {
		_, err := h.call(r, s.token, apiCall{method: "PATCH", path: "/api/v1/cycles/" + url.PathEscape(id),
			body: map[string]any{"calendar": cal}, headers: map[string]string{"If-Match": `"` + r.PostForm.Get("version") + `"`}}, nil)
		if err == nil {
			http.Redirect(w, r, "/siklus/"+url.PathEscape(id)+"?pesan="+url.QueryEscape("Jadwal siklus diperbarui; semua usulan terbuka mengikuti jadwal baru."), http.StatusSeeOther)
			return
		}
		p, ok := err.(*problem)
		if !ok || p.Status == http.StatusUnauthorized || p.Status >= 500 {
			h.fail(w, r, s, err)
			return
		}
		h.renderCycle(w, r, s, p.Status, p.message(), p.Fields)
		return
	}
	h.renderCycle(w, r, s, http.StatusUnprocessableEntity, "Periksa isian yang ditandai.", bad)
}

var calendarFields = []string{"submission_deadline", "review_deadline", "rakorda_start", "rakorda_end",
	"consolidation_deadline", "ministry_deadline", "mapping_deadline"}

// lockCycle moves every consolidated proposal to the ministry.
func (h *Handler) lockCycle(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	var res struct {
		Moved int `json:"moved"`
	}
	_, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/cycles/" + url.PathEscape(id) + "/actions/lock",
		body: map[string]any{"comment": strings.TrimSpace(r.PostForm.Get("comment"))}}, &res)
	if err != nil {
		p, ok := err.(*problem)
		if !ok || p.Status == http.StatusUnauthorized || p.Status >= 500 {
			h.fail(w, r, s, err)
			return
		}
		h.renderConsolidation(w, r, s, id, p.Status, p, nil)
		return
	}
	msg := fmt.Sprintf("Daftar konsolidasi dikunci: %d usulan dikirim ke Kementerian.", res.Moved)
	http.Redirect(w, r, "/siklus/"+url.PathEscape(id)+"/konsolidasi?pesan="+url.QueryEscape(msg), http.StatusSeeOther)
}

// --- Rakorda ---

type rakordaPage struct {
	CycleID      string    `json:"cycle_id"`
	Open         bool      `json:"open"`
	RakordaStart time.Time `json:"rakorda_start"`
	RakordaEnd   time.Time `json:"rakorda_end"`
	Groups       []struct {
		KabKotaCode string         `json:"kabkota_code"`
		KabKotaName string         `json:"kabkota_name"`
		Proposals   []proposalView `json:"proposals"`
		Count       int            `json:"count"`
		TotalIDR    int64          `json:"total_idr"`
	} `json:"groups"`
	Count     int   `json:"count"`
	TotalIDR  int64 `json:"total_idr"`
	Decisions []struct {
		ProposalID  string        `json:"proposal_id"`
		Title       string        `json:"title"`
		KabKotaName string        `json:"kabkota_name"`
		AmountIDR   int64         `json:"amount_idr"`
		Decision    domain.Action `json:"decision"`
		Comment     string        `json:"comment"`
	} `json:"decisions"`
	Agreements []domain.Agreement `json:"agreements"`
	Attendance []domain.Attendee  `json:"attendance"`
}

func (h *Handler) rakorda(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderRakorda(w, r, s, http.StatusOK, nil)
}

func (h *Handler) renderRakorda(w http.ResponseWriter, r *http.Request, s *session, status int, refusal *problem) {
	id := r.PathValue("id")
	var rp rakordaPage
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/cycles/" + url.PathEscape(id) + "/rakorda"}, &rp); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := s.base("Rakorda "+id, "siklus")
	d.Flash = r.URL.Query().Get("pesan")
	if refusal != nil {
		d.Error, d.Fields = refusal.message(), refusal.Fields
	}
	agreements := make([]string, len(rp.Agreements))
	for i, a := range rp.Agreements {
		agreements[i] = a.Text
	}
	attendance := make([]string, len(rp.Attendance))
	for i, a := range rp.Attendance {
		attendance[i] = strings.Join([]string{a.Name, a.Position, a.Institution}, "; ")
	}
	d.Data = map[string]any{"R": rp, "AgreementsText": strings.Join(agreements, "\n"), "AttendanceText": strings.Join(attendance, "\n")}
	h.render(w, r, "rakorda", status, d)
}

// recordRakorda saves the agreements (one per line) or the attendance (one
// person per line: name; position; institution).
func (h *Handler) recordRakorda(w http.ResponseWriter, r *http.Request, s *session) {
	id, what := r.PathValue("id"), r.PathValue("what")
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(r.PostForm.Get("text"), "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	var path string
	var body map[string]any
	switch what {
	case "kesepakatan":
		path, body = "/agreements", map[string]any{"agreements": append([]string{}, lines...)}
	case "daftar-hadir":
		people := []map[string]string{}
		for _, l := range lines {
			parts := strings.SplitN(l, ";", 3)
			for len(parts) < 3 {
				parts = append(parts, "")
			}
			people = append(people, map[string]string{"name": strings.TrimSpace(parts[0]), "position": strings.TrimSpace(parts[1]), "institution": strings.TrimSpace(parts[2])})
		}
		path, body = "/attendance", map[string]any{"attendance": people}
	default:
		h.renderStatus(w, r, s, http.StatusNotFound, "Halaman tidak ditemukan.")
		return
	}
	_, err := h.call(r, s.token, apiCall{method: "PUT", path: "/api/v1/cycles/" + url.PathEscape(id) + "/rakorda" + path, body: body}, nil)
	if err != nil {
		p, ok := err.(*problem)
		if !ok || p.Status == http.StatusUnauthorized || p.Status >= 500 {
			h.fail(w, r, s, err)
			return
		}
		h.renderRakorda(w, r, s, p.Status, p)
		return
	}
	http.Redirect(w, r, "/siklus/"+url.PathEscape(id)+"/rakorda?pesan="+url.QueryEscape("Tersimpan."), http.StatusSeeOther)
}

// download passes an API file (PDF, CSV, XLSX) straight through to the
// browser, streamed, with the API's own headers.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, s *session, path string, q url.Values) {
	target := path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req := r.Clone(r.Context())
	req.Method, req.Body, req.ContentLength = http.MethodGet, http.NoBody, 0
	req.URL = &url.URL{Path: path, RawQuery: q.Encode()}
	req.RequestURI = target
	req.Header = http.Header{"Authorization": {"Bearer " + s.token}}
	h.api.ServeHTTP(w, req)
}

func (h *Handler) minutes(w http.ResponseWriter, r *http.Request, s *session) {
	h.download(w, r, s, "/api/v1/cycles/"+url.PathEscape(r.PathValue("id"))+"/rakorda/minutes.pdf", nil)
}

// --- consolidation ---

type consolidationPage struct {
	CycleID string `json:"cycle_id"`
	Locked  bool   `json:"locked"`
	Rows    []struct {
		P           proposalView `json:"proposal"`
		KabKotaName string       `json:"kabkota_name"`
		Warnings    []struct {
			Kind    string `json:"kind"`
			Message string `json:"message"`
		} `json:"warnings"`
	} `json:"rows"`
	Ceilings []struct {
		RegionCode   string `json:"region_code"`
		RegionName   string `json:"region_name"`
		CeilingIDR   *int64 `json:"ceiling_idr"`
		ConsumedIDR  int64  `json:"consumed_idr"`
		RemainingIDR *int64 `json:"remaining_idr"`
		ProposedIDR  int64  `json:"proposed_idr"`
	} `json:"ceilings"`
	Targets []struct {
		Target struct {
			Name string `json:"name"`
			Unit string `json:"unit"`
		} `json:"target"`
		MinValue float64 `json:"min_value"`
		MaxValue float64 `json:"max_value"`
		Achieved float64 `json:"achieved"`
		Status   string  `json:"status"`
	} `json:"targets"`
	Unconsolidated       int   `json:"unconsolidated"`
	TotalProposedIDR     int64 `json:"total_proposed_idr"`
	TotalConsolidatedIDR int64 `json:"total_consolidated_idr"`
}

func (h *Handler) consolidation(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderConsolidation(w, r, s, r.PathValue("id"), http.StatusOK, nil, nil)
}

// rowRefusal is a consolidate refused from the table: the table is shown
// again with the message beside the row and what the user typed in it.
type rowRefusal struct {
	ProposalID string
	Message    string
	Fields     map[string]string
	Priority   string
	Amount     string
	Funding    string
}

// Field returns the message for one of the row's inputs.
func (rr *rowRefusal) Field(name string) string {
	if rr == nil {
		return ""
	}
	return rr.Fields[name]
}

// consolidationReturn reads the cycle ID out of a consolidate form's
// "kembali" (/siklus/{id}/konsolidasi), or "" when the form came from
// elsewhere.
func consolidationReturn(back string) string {
	rest, ok := strings.CutPrefix(back, "/siklus/")
	if !ok {
		return ""
	}
	id, ok := strings.CutSuffix(rest, "/konsolidasi")
	if !ok || id == "" || strings.ContainsAny(id, "/?#") {
		return ""
	}
	return id
}

func (h *Handler) renderConsolidation(w http.ResponseWriter, r *http.Request, s *session, id string, status int, refusal *problem, row *rowRefusal) {
	var cp consolidationPage
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/cycles/" + url.PathEscape(id) + "/consolidation"}, &cp); err != nil {
		h.fail(w, r, s, err)
		return
	}
	var bars []bar
	for _, c := range cp.Ceilings {
		if c.CeilingIDR == nil || *c.CeilingIDR == 0 {
			continue
		}
		pct := c.ConsumedIDR * 100 / *c.CeilingIDR
		bars = append(bars, bar{Label: c.RegionName, Value: pct, Text: fmt.Sprintf("%d%% dari %s", pct, rupiah(*c.CeilingIDR))})
	}
	d := s.base("Konsolidasi "+id, "siklus")
	d.Flash = r.URL.Query().Get("pesan")
	if refusal != nil {
		d.Error, d.Fields = refusal.message(), refusal.Fields
	}
	if row != nil {
		d.Error = "Konsolidasi tidak disimpan: lihat pesan pada baris usulan."
	}
	d.Data = map[string]any{"C": cp, "CeilingChart": barChart(bars), "Funding": domain.FundingSources,
		"CanLock": s.user.has(domain.RoleKadisProvinsi) && !cp.Locked, "Row": row}
	h.render(w, r, "consolidation", status, d)
}

// --- exports ---

func (h *Handler) exportsPage(w http.ResponseWriter, r *http.Request, s *session) {
	cycles, err := h.listCycles(r, s)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := s.base("Ekspor", "ekspor")
	d.Data = map[string]any{"Cycles": cycles, "Years": fiscalYears(cycles), "National": s.user.has(domain.RolePenghubungKementrian, domain.RoleAdmin)}
	h.render(w, r, "exports", http.StatusOK, d)
}

func (h *Handler) exportFile(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range []string{"cycle_id", "fiscal_year", "format"} {
		if v := in.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	path := "/api/v1/exports/consolidated"
	if in.Get("jenis") == "audit" {
		path = "/api/v1/exports/audit"
		q.Del("format")
	}
	if _, err := strconv.Atoi(q.Get("fiscal_year")); q.Get("fiscal_year") != "" && err != nil {
		h.renderStatus(w, r, s, http.StatusUnprocessableEntity, "Tahun anggaran harus angka.")
		return
	}
	h.download(w, r, s, path, q)
}

// fiscalYears lists the fiscal years of cycles, each once, in their order.
func fiscalYears(cycles []cycleView) []int {
	seen := map[int]bool{}
	var ys []int
	for _, c := range cycles {
		if !seen[c.FiscalYear] {
			seen[c.FiscalYear] = true
			ys = append(ys, c.FiscalYear)
		}
	}
	return ys
}
