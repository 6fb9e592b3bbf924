package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// Koperasi Merah Putih pages (issue 19): the dashboard of a region with its
// drill-down, a desa's KMP with the form of its next milestone, the bulk
// start with its progress, and the milestone import with a preview. Like
// every page, all of it goes through the API as the signed-in user, so
// region scope and roles are the API's (a camat's dashboard is his
// kecamatan because the API answers nothing wider).

// CanSeeKMP is used by the layout to show "Koperasi Merah Putih".
func (u userView) CanSeeKMP() bool {
	return u.has(domain.RoleSatgasKMP, domain.RoleOperatorDesa, domain.RoleCamat, domain.RolePerencanaKecamatan,
		domain.RolePerencanaKabKota, domain.RoleReviewerKabKota, domain.RoleKadisKabKota, domain.RolePerencanaProvinsi,
		domain.RoleKadisProvinsi, domain.RolePenghubungKementrian, domain.RoleAdmin)
}

// CanStartKMP shows the bulk start (Casbin object kmp, action start).
func (u userView) CanStartKMP() bool {
	return u.has(domain.RoleSatgasKMP, domain.RoleKadisKabKota, domain.RoleKadisProvinsi, domain.RolePenghubungKementrian)
}

// CanImportKMP shows the milestone import (Casbin object kmp, action import).
func (u userView) CanImportKMP() bool { return u.has(domain.RoleSatgasKMP, domain.RoleCamat) }

// The API's KMP shapes (api/kmp.go) as the pages read them.
type kmpCounts struct {
	Total       int64                         `json:"total"`
	ByMilestone map[domain.KMPMilestone]int64 `json:"by_milestone"`
	Late        int64                         `json:"late"`
}

type kmpSummary struct {
	Region string `json:"region"`
	kmpCounts
	Children []struct {
		Region string `json:"region"`
		Name   string `json:"name"`
		kmpCounts
	} `json:"children"`
}

type kmpRecordView struct {
	Fields domain.KMPFields `json:"fields"`
	Actor  domain.Actor     `json:"actor"`
	At     time.Time        `json:"at"`
}

type kmpMilestoneView struct {
	Milestone domain.KMPMilestone `json:"milestone"`
	Label     string              `json:"label"`
	Reached   bool                `json:"reached"`
	DueAt     *time.Time          `json:"due_at"`
	Record    *kmpRecordView      `json:"record"`
}

type kmpView struct {
	RegionCode    string              `json:"region_code"`
	Name          string              `json:"name"`
	KoperasiName  string              `json:"koperasi_name"`
	Reached       int                 `json:"reached"`
	Milestone     domain.KMPMilestone `json:"milestone"`
	NextMilestone domain.KMPMilestone `json:"next_milestone"`
	NextDueAt     *time.Time          `json:"next_due_at"`
	Late          bool                `json:"late"`
	Escalation    string              `json:"escalation"`
	Milestones    []kmpMilestoneView  `json:"milestones"`
	Warnings      []string            `json:"warnings"`
	CanRecord     bool                `json:"can_record"`
}

type kmpStartView struct {
	Job        string                         `json:"job"`
	Region     string                         `json:"region"`
	Status     string                         `json:"status"`
	Total      int64                          `json:"total"`
	Started    int64                          `json:"started"`
	Already    int64                          `json:"already"`
	Failed     int64                          `json:"failed"`
	Deadlines  map[domain.KMPMilestone]string `json:"deadlines"`
	FinishedAt *time.Time                     `json:"finished_at"`
}

// kmpJobStatus is a start job's status in Indonesian.
func kmpJobStatus(st string) string {
	switch st {
	case "running":
		return "berjalan"
	case "done":
		return "selesai"
	case "failed":
		return "gagal"
	}
	return st
}

// kmpEscalation names who a late KMP was escalated to.
func kmpEscalation(to string) string {
	if to == "" {
		return "—"
	}
	return domain.Role(to).Label()
}

// kmpReachedLine is "237 terbentuk, 61 berbadan hukum, …": the dashboard's
// one-line account of a region.
func kmpReachedLine(c kmpCounts) string {
	var parts []string
	for _, s := range domain.KMPSteps {
		parts = append(parts, fmt.Sprintf("%s %s", number(float64(c.ByMilestone[s.Milestone])), s.Reached))
	}
	return strings.Join(parts, ", ")
}

type kmpChildRow struct {
	Region, Name, Line string
	Total, Late        int64
	Link               string
}

type kmpDashboard struct {
	Region   string
	Summary  kmpSummary
	Line     string
	Chart    any
	Children []kmpChildRow
	Late     []kmpView
	MoreLate bool
}

// kmpDashboard shows a region (wilayah, default the user's own scope): its
// counts per milestone as a line and a chart, the late desa first, and the
// regions one level down to drill into.
func (h *Handler) kmpDashboard(w http.ResponseWriter, r *http.Request, s *session) {
	region := strings.TrimSpace(r.URL.Query().Get("wilayah"))
	q := url.Values{}
	if region != "" {
		q.Set("region", region)
	}
	var d kmpDashboard
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/kmp/summary", query: q}, &d.Summary); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d.Region = d.Summary.Region
	d.Line = kmpReachedLine(d.Summary.kmpCounts)
	var bars []bar
	for _, st := range domain.KMPSteps {
		n := d.Summary.ByMilestone[st.Milestone]
		bars = append(bars, bar{Label: st.Label, Value: n, Text: number(float64(n)) + " " + st.Reached})
	}
	d.Chart = barChart(bars)
	for _, c := range d.Summary.Children {
		row := kmpChildRow{Region: c.Region, Name: c.Name, Line: kmpReachedLine(c.kmpCounts), Total: c.Total, Late: c.Late,
			Link: "/kmp?wilayah=" + url.QueryEscape(c.Region)}
		if len(c.Region) == 13 { // a desa: its own page
			row.Link = "/kmp/desa/" + url.PathEscape(c.Region)
		}
		d.Children = append(d.Children, row)
	}
	// Late first: the most late at the top, so whoever follows up sees them.
	sort.SliceStable(d.Children, func(i, j int) bool { return d.Children[i].Late > d.Children[j].Late })
	var late struct {
		Items      []kmpView `json:"items"`
		NextCursor *string   `json:"next_cursor"`
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/kmp",
		query: url.Values{"region": {d.Region}, "late": {"true"}, "limit": {"50"}}}, &late); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d.Late, d.MoreLate = late.Items, late.NextCursor != nil
	p := s.base("Koperasi Merah Putih", "kmp")
	p.Data = d
	p.Flash = r.URL.Query().Get("pesan")
	h.render(w, r, "kmp", http.StatusOK, p)
}

// kmpExport downloads the dashboard as XLSX.
func (h *Handler) kmpExport(w http.ResponseWriter, r *http.Request, s *session) {
	q := url.Values{}
	if v := strings.TrimSpace(r.URL.Query().Get("wilayah")); v != "" {
		q.Set("region", v)
	}
	h.download(w, r, s, "/api/v1/kmp/export", q)
}

// kmpFormField is one input of the next milestone's form.
type kmpFormField struct {
	domain.KMPField
	Kind  string // date, number, text, list, units
	Value string
	Error string
}

type kmpUnitChoice struct {
	Unit    domain.KMPUnit
	Label   string
	Checked bool
}

type kmpDesaPage struct {
	KMP      kmpView
	Next     domain.KMPMilestone
	Form     []kmpFormField
	Units    []kmpUnitChoice
	Warnings []string
}

// kmpDesa shows a desa's KMP: every milestone with its deadline and record,
// and the form of the next one for those who record it.
func (h *Handler) kmpDesa(w http.ResponseWriter, r *http.Request, s *session) {
	h.showKMPDesa(w, r, s, http.StatusOK, nil, nil)
}

// showKMPDesa renders the desa page; posted and prob, after a refused
// form, put the user's input back with the API's messages beside it.
func (h *Handler) showKMPDesa(w http.ResponseWriter, r *http.Request, s *session, status int, posted url.Values, prob *problem) {
	var k kmpView
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/kmp/" + url.PathEscape(r.PathValue("code"))}, &k); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := kmpDesaPage{KMP: k, Next: k.NextMilestone, Warnings: k.Warnings}
	if step, ok := k.NextMilestone.Step(); ok && k.CanRecord {
		for _, f := range step.Fields {
			ff := kmpFormField{KMPField: f, Kind: "text", Value: posted.Get(f.Name)}
			switch f.Name {
			case "date":
				ff.Kind = "date"
			case "attendance":
				ff.Kind = "number"
			case "pengawas":
				ff.Kind = "list"
			case "units":
				ff.Kind = "units"
				for _, u := range domain.KMPUnits {
					d.Units = append(d.Units, kmpUnitChoice{Unit: u.Unit, Label: u.Label, Checked: contains(posted["units"], string(u.Unit))})
				}
			}
			if prob != nil {
				ff.Error = prob.Fields["fields."+f.Name]
			}
			d.Form = append(d.Form, ff)
		}
	}
	p := s.base(k.KoperasiName, "kmp")
	p.Data = d
	p.Zone = domain.ZoneOf(k.RegionCode)
	p.Flash = r.URL.Query().Get("pesan")
	if prob != nil {
		p.Error = prob.message()
	}
	h.render(w, r, "kmp_desa", status, p)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// kmpRecord posts the milestone form to the workflow's Update; a refusal
// shows the form again with the messages beside the fields.
func (h *Handler) kmpRecord(w http.ResponseWriter, r *http.Request, s *session) {
	code, m := r.PathValue("code"), domain.KMPMilestone(r.PathValue("milestone"))
	step, ok := m.Step()
	if !ok {
		h.renderStatus(w, r, s, http.StatusNotFound, "Tahap tidak dikenal.")
		return
	}
	f := r.PostForm
	body := map[string]any{}
	local := &problem{Status: http.StatusUnprocessableEntity, Title: "Isian belum benar", Fields: map[string]string{}}
	for _, fd := range step.Fields {
		v := strings.TrimSpace(f.Get(fd.Name))
		switch fd.Name {
		case "attendance":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				local.Fields["fields.attendance"] = "Jumlah hadir harus bilangan bulat."
				continue
			}
			body["attendance"] = n
		case "pengawas":
			var names []string
			for _, n := range strings.Split(v, ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
			if len(names) > 0 {
				body["pengawas"] = names
			}
		case "units":
			if us := f["units"]; len(us) > 0 {
				body["units"] = us
			}
		default:
			if v != "" {
				body[fd.Name] = v
			}
		}
	}
	if len(local.Fields) > 0 {
		local.Detail = "Periksa isian yang ditandai."
		h.showKMPDesa(w, r, s, http.StatusUnprocessableEntity, f, local)
		return
	}
	var k kmpView
	_, err := h.call(r, s.token, apiCall{method: "POST", path: fmt.Sprintf("/api/v1/kmp/%s/milestones/%s", url.PathEscape(code), url.PathEscape(string(m))), body: body}, &k)
	if err != nil {
		if p, ok := err.(*problem); ok && (p.Status == http.StatusUnprocessableEntity || p.Status == http.StatusConflict) {
			h.showKMPDesa(w, r, s, p.Status, f, p)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	msg := fmt.Sprintf("Tahap %s tercatat.", step.Label)
	if len(k.Warnings) > 0 {
		msg += " Perhatian: " + strings.Join(k.Warnings, " ")
	}
	http.Redirect(w, r, "/kmp/desa/"+url.PathEscape(code)+"?pesan="+url.QueryEscape(msg), http.StatusSeeOther)
}

type kmpDeadlineField struct {
	Milestone domain.KMPMilestone
	Label     string
	Value     string
	Error     string
}

type kmpStartPage struct {
	Region    string
	Key       string
	Deadlines []kmpDeadlineField
	Job       *kmpStartView
	Done      bool
}

// kmpStartPage is the bulk start form: a region and a deadline per
// milestone. Its hidden key is the request's Idempotency-Key, so
// submitting the form twice (a double click, a retry after a time-out)
// follows the same job instead of starting another.
func (h *Handler) kmpStartPage(w http.ResponseWriter, r *http.Request, s *session) {
	h.showKMPStart(w, r, s, http.StatusOK, url.Values{}, nil)
}

func (h *Handler) showKMPStart(w http.ResponseWriter, r *http.Request, s *session, status int, posted url.Values, prob *problem) {
	d := kmpStartPage{Region: posted.Get("region"), Key: posted.Get("kunci")}
	if d.Region == "" && len(s.user.Roles) > 0 {
		d.Region = s.user.Roles[0].Scope
	}
	if d.Key == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		d.Key = hex.EncodeToString(b[:])
	}
	for _, st := range domain.KMPSteps {
		f := kmpDeadlineField{Milestone: st.Milestone, Label: st.Label, Value: posted.Get("batas_" + string(st.Milestone))}
		if prob != nil {
			f.Error = prob.Fields["deadlines."+string(st.Milestone)]
		}
		d.Deadlines = append(d.Deadlines, f)
	}
	p := s.base("Mulai pembentukan KMP", "kmp")
	p.Data = d
	if prob != nil {
		p.Fields = prob.Fields
		p.Error = prob.message()
	}
	h.render(w, r, "kmp_mulai", status, p)
}

// kmpStart posts the bulk start and shows its progress page. A deadline
// is the end of its day in the region's zone.
func (h *Handler) kmpStart(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	region := strings.TrimSpace(f.Get("region"))
	zone := domain.ZoneOf(region)
	deadlines := map[string]string{}
	local := &problem{Status: http.StatusUnprocessableEntity, Title: "Isian belum benar", Fields: map[string]string{}}
	for _, st := range domain.KMPSteps {
		v := strings.TrimSpace(f.Get("batas_" + string(st.Milestone)))
		if v == "" {
			continue
		}
		day, err := time.ParseInLocation(domain.KMPDateLayout, v, zone)
		if err != nil {
			local.Fields["deadlines."+string(st.Milestone)] = "Tanggal harus berbentuk TTTT-BB-HH."
			continue
		}
		deadlines[string(st.Milestone)] = day.Add(24*time.Hour - time.Second).Format(time.RFC3339)
	}
	if len(local.Fields) > 0 {
		local.Detail = "Periksa tanggal yang ditandai."
		h.showKMPStart(w, r, s, http.StatusUnprocessableEntity, f, local)
		return
	}
	var job kmpStartView
	_, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/kmp/start",
		body: map[string]any{"region": region, "deadlines": deadlines}, headers: map[string]string{"Idempotency-Key": f.Get("kunci")}}, &job)
	if err != nil {
		if p, ok := err.(*problem); ok && p.Status == http.StatusUnprocessableEntity {
			h.showKMPStart(w, r, s, p.Status, f, p)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/kmp/mulai/"+url.PathEscape(job.Job)+"?kunci="+url.QueryEscape(f.Get("kunci")), http.StatusSeeOther)
}

// kmpStartProgress shows a start job's counts. The job runs in its own
// workflow, so the page can be left and reloaded; while it runs it offers
// to continue the same job (same key), which a stopped job needs and a
// running one ignores.
func (h *Handler) kmpStartProgress(w http.ResponseWriter, r *http.Request, s *session) {
	var job kmpStartView
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/kmp/start/" + url.PathEscape(r.PathValue("job"))}, &job); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := kmpStartPage{Region: job.Region, Key: r.URL.Query().Get("kunci"), Job: &job, Done: job.FinishedAt != nil}
	zone := domain.ZoneOf(job.Region)
	for _, st := range domain.KMPSteps {
		f := kmpDeadlineField{Milestone: st.Milestone, Label: st.Label}
		if t, err := time.Parse(time.RFC3339, job.Deadlines[st.Milestone]); err == nil {
			f.Value = t.In(zone).Format(domain.KMPDateLayout)
		}
		d.Deadlines = append(d.Deadlines, f)
	}
	p := s.base("Kemajuan pembentukan KMP "+job.Region, "kmp")
	p.Data = d
	h.render(w, r, "kmp_mulai", http.StatusOK, p)
}

type kmpImportPreview struct {
	CSV       string
	DryRun    bool
	Applied   int
	Unchanged int
	Warnings  []string
	Errors    []struct {
		Row     int    `json:"row"`
		Field   string `json:"field"`
		Message string `json:"message"`
	}
	Done bool
}

// kmpImportPage is the upload form.
func (h *Handler) kmpImportPage(w http.ResponseWriter, r *http.Request, s *session) {
	p := s.base("Impor tahap KMP", "kmp")
	p.Data = kmpImportPreview{}
	h.render(w, r, "kmp_impor", http.StatusOK, p)
}

// kmpImport previews an uploaded file (the API's dry run: what would be
// applied, or every bad row) and, when confirmed, applies the same text,
// carried in the preview's form so the user confirms what they saw.
func (h *Handler) kmpImport(w http.ResponseWriter, r *http.Request, s *session) {
	var csv []byte
	confirm := r.PostForm.Get("konfirmasi") == "ya"
	if confirm {
		csv = []byte(r.PostForm.Get("csv"))
	} else if file, _, err := r.FormFile("file"); err == nil {
		defer file.Close()
		csv, err = io.ReadAll(file)
		if err != nil {
			h.fail(w, r, s, err)
			return
		}
	} else {
		csv = []byte(r.PostForm.Get("csv"))
	}
	d := kmpImportPreview{CSV: string(csv), DryRun: !confirm}
	p := s.base("Impor tahap KMP", "kmp")
	status := http.StatusOK
	res, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/kmp/imports", query: url.Values{"dry_run": {strconv.FormatBool(!confirm)}},
		raw: csv, rawType: "text/csv"}, nil)
	if err != nil {
		pr, ok := err.(*problem)
		if !ok || pr.Status == http.StatusUnauthorized || pr.Status == http.StatusForbidden {
			h.fail(w, r, s, err)
			return
		}
		status = pr.Status
		p.Error = pr.message()
		if res != nil {
			_ = json.Unmarshal(res.Body, &d) // the row errors
		}
	} else {
		_ = json.Unmarshal(res.Body, &d)
		d.DryRun, d.Done = !confirm, confirm
		if confirm {
			p.Flash = fmt.Sprintf("%d tahap tercatat, %d sudah tercatat sebelumnya.", d.Applied, d.Unchanged)
		}
	}
	d.CSV = string(csv)
	p.Data = d
	h.render(w, r, "kmp_impor", status, p)
}
