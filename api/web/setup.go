package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// The cycle's setup pages (issue 22): opening a cycle with its calendar,
// the pagu indikatif per kab/kota and the BUMDes businesses. Each posts to
// the API endpoint that already judges it; the pages only carry the form
// and show the API's field messages beside the fields.

// provinceScope is the province the user heads as Kepala Dinas provinsi,
// or "" when none.
func (u userView) provinceScope() string {
	for _, g := range u.Roles {
		if g.Role == domain.RoleKadisProvinsi && len(g.Actions) == 0 {
			return g.Scope
		}
	}
	return ""
}

// CanOpenCycle is used by the cycle list to offer "Buka siklus baru".
func (u userView) CanOpenCycle() bool { return u.provinceScope() != "" }

// cycleForm is what the Kepala Dinas typed, kept across a refusal.
type cycleForm struct {
	Province, Year string
	Dates          map[string]string
}

var calendarLabels = map[string]string{
	"submission_deadline": "Batas pengajuan", "review_deadline": "Batas reviu kab/kota",
	"rakorda_start": "Rakorda dimulai", "rakorda_end": "Rakorda berakhir",
	"consolidation_deadline": "Batas konsolidasi", "ministry_deadline": "Batas kementerian",
	"mapping_deadline": "Batas pemetaan SIPD",
}

// newCycle shows the form, dated for the only fiscal year that may be
// opened now (N-1: next year's), every date in this year and in order.
func (h *Handler) newCycle(w http.ResponseWriter, r *http.Request, s *session) {
	if !s.user.CanOpenCycle() {
		h.renderStatus(w, r, s, http.StatusForbidden, "Hanya Kepala Dinas provinsi yang dapat membuka siklus perencanaan.")
		return
	}
	h.renderNewCycle(w, r, s, http.StatusOK, nil, cycleForm{Province: s.user.provinceScope(), Year: strconv.Itoa(h.now().Year() + 1), Dates: map[string]string{}})
}

func (h *Handler) renderNewCycle(w http.ResponseWriter, r *http.Request, s *session, status int, refusal *problem, f cycleForm) {
	d := s.base("Buka siklus baru", "siklus")
	if refusal != nil {
		d.Error, d.Fields = refusal.message(), refusal.Fields
	}
	var dates []dateField
	for _, name := range calendarFields {
		dates = append(dates, newDateField(name, calendarLabels[name], nil, s.user.zone(), f.Dates[name], d.Fields["calendar."+name]))
	}
	d.Data = map[string]any{"F": f, "Dates": dates, "ThisYear": h.now().Year(), "Key": randomKey()}
	h.render(w, r, "cycle_new", status, d)
}

// createCycle posts the form to POST /api/v1/cycles.
func (h *Handler) createCycle(w http.ResponseWriter, r *http.Request, s *session) {
	pf := r.PostForm
	f := cycleForm{Province: strings.TrimSpace(pf.Get("province_code")), Year: strings.TrimSpace(pf.Get("fiscal_year")), Dates: map[string]string{}}
	bad := map[string]string{}
	cal := map[string]any{}
	for _, name := range calendarFields {
		v := strings.TrimSpace(pf.Get(name))
		f.Dates[name] = v
		t, err := time.ParseInLocation("2006-01-02T15:04", v, s.user.zone())
		if err != nil {
			bad["calendar."+name] = "Tulis tanggal dan jam lengkap."
			continue
		}
		cal[name] = t.UTC().Format(time.RFC3339)
	}
	year, err := strconv.Atoi(f.Year)
	if err != nil {
		bad["fiscal_year"] = "Tulis tahun anggaran sebagai angka, misalnya " + strconv.Itoa(h.now().Year()+1) + "."
	}
	if len(bad) > 0 {
		h.renderNewCycle(w, r, s, http.StatusUnprocessableEntity, &problem{Status: 422, Title: "Periksa isian yang ditandai.", Fields: bad}, f)
		return
	}
	var created struct {
		ID string `json:"id"`
	}
	_, err = h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/cycles",
		body:    map[string]any{"province_code": f.Province, "fiscal_year": year, "calendar": cal},
		headers: map[string]string{"Idempotency-Key": pf.Get("key")}}, &created)
	if err != nil {
		if !h.refusedForm(w, r, s, err) {
			return
		}
		h.renderNewCycle(w, r, s, err.(*problem).Status, err.(*problem), f)
		return
	}
	http.Redirect(w, r, "/siklus/"+url.PathEscape(created.ID)+"?pesan="+url.QueryEscape("Siklus dibuka."), http.StatusSeeOther)
}

// refusedForm reports whether err is a refusal the form shows beside its
// fields; otherwise it has already shown err as a page.
func (h *Handler) refusedForm(w http.ResponseWriter, r *http.Request, s *session, err error) bool {
	p, ok := err.(*problem)
	if !ok || p.Status == http.StatusUnauthorized || p.Status == http.StatusNotFound || p.Status >= 500 {
		h.fail(w, r, s, err)
		return false
	}
	return true
}

// ceilingRow is one kab/kota of the pagu form.
type ceilingRow struct {
	Index       int
	Code, Name  string
	Value, Text string
	Error       string
}

// ceilings shows the pagu indikatif per kab/kota of the cycle's province;
// the Kepala Dinas provinsi may change them while the cycle is not locked.
func (h *Handler) ceilings(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderCeilings(w, r, s, http.StatusOK, nil, nil)
}

func (h *Handler) renderCeilings(w http.ResponseWriter, r *http.Request, s *session, status int, refusal *problem, posted map[string]string) {
	c, err := h.getCycle(r, s, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	res, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/regions", query: url.Values{"parent": {c.ProvinceCode}}}, nil)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	var regions []regionView
	_ = decodeItems(res.Body, &regions)
	amounts := map[string]int64{}
	var total int64
	for _, ce := range c.Ceilings {
		amounts[ce.RegionCode] = ce.AmountIDR
		total += ce.AmountIDR
	}
	d := s.base("Pagu indikatif "+c.ID, "siklus")
	d.Flash = r.URL.Query().Get("pesan")
	if refusal != nil {
		d.Error, d.Fields = refusal.message(), refusal.Fields
	}
	rows := make([]ceilingRow, len(regions))
	for i, reg := range regions {
		row := ceilingRow{Index: i, Code: reg.Code, Name: reg.Name}
		if a, ok := amounts[reg.Code]; ok {
			row.Value, row.Text = strconv.FormatInt(a, 10), rupiah(a)
		}
		if v, ok := posted[reg.Code]; ok {
			row.Value = v
		}
		row.Error = d.Fields["ceilings["+strconv.Itoa(i)+"]"]
		if e := d.Fields["ceilings["+strconv.Itoa(i)+"].amount_idr"]; e != "" {
			row.Error = e
		}
		rows[i] = row
	}
	canEdit := s.user.provinceScope() == c.ProvinceCode && !c.Locked
	d.Data = map[string]any{"Cycle": c, "Rows": rows, "Total": total, "CanEdit": canEdit}
	h.render(w, r, "ceilings", status, d)
}

// setCeilings posts the form to PUT /api/v1/cycles/{id}/ceilings: every
// kab/kota with an amount; an empty field means no ceiling.
func (h *Handler) setCeilings(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	codes := r.PostForm["region_code"]
	values := r.PostForm["amount_idr"]
	posted := map[string]string{}
	bad := map[string]string{}
	list := []map[string]any{}
	for i, code := range codes {
		v := ""
		if i < len(values) {
			v = strings.TrimSpace(values[i])
		}
		posted[code] = v
		if v == "" {
			continue
		}
		// People write 1.500.000.000 or 1 500 000 000; rupiah has no cents.
		n, err := strconv.ParseInt(strings.NewReplacer(".", "", " ", "", "Rp", "").Replace(v), 10, 64)
		if err != nil {
			bad["ceilings["+strconv.Itoa(i)+"]"] = "Tulis pagu dalam rupiah bulat, misalnya 1500000000."
			continue
		}
		// The API numbers its messages by position in the list it gets.
		list = append(list, map[string]any{"region_code": code, "amount_idr": n, "row": i})
	}
	if len(bad) > 0 {
		h.renderCeilings(w, r, s, http.StatusUnprocessableEntity, &problem{Status: 422, Title: "Periksa isian yang ditandai.", Fields: bad}, posted)
		return
	}
	body := make([]map[string]any, len(list))
	for j, l := range list {
		body[j] = map[string]any{"region_code": l["region_code"], "amount_idr": l["amount_idr"]}
	}
	_, err := h.call(r, s.token, apiCall{method: "PUT", path: "/api/v1/cycles/" + url.PathEscape(id) + "/ceilings",
		body: map[string]any{"ceilings": body}}, nil)
	if err != nil {
		if !h.refusedForm(w, r, s, err) {
			return
		}
		p := err.(*problem)
		// Renumber the API's ceilings[j] to the form's row.
		fields := map[string]string{}
		for k, m := range p.Fields {
			for j, l := range list {
				prefix := "ceilings[" + strconv.Itoa(j) + "]"
				if strings.HasPrefix(k, prefix) {
					k = "ceilings[" + strconv.Itoa(l["row"].(int)) + "]" + strings.TrimPrefix(k, prefix)
					break
				}
			}
			fields[k] = m
		}
		p.Fields = fields
		h.renderCeilings(w, r, s, p.Status, p, posted)
		return
	}
	http.Redirect(w, r, "/siklus/"+url.PathEscape(id)+"/pagu?pesan="+url.QueryEscape("Pagu indikatif disimpan."), http.StatusSeeOther)
}

// bumdesView is one line of GET /api/v1/cycles/{id}/bumdes.
type bumdesView struct {
	ID         string   `json:"id"`
	RegionCode string   `json:"region_code"`
	Name       string   `json:"name"`
	Business   string   `json:"business"`
	Keywords   []string `json:"keywords"`
	Active     bool     `json:"active"`
}

type bumdesForm struct{ Region, Name, Business, Keywords string }

// bumdes lists the BUMDes businesses the user may read in the cycle's
// province and, for a planner who may record them, the form to add one.
func (h *Handler) bumdes(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderBUMDes(w, r, s, http.StatusOK, nil, bumdesForm{})
}

func (h *Handler) renderBUMDes(w http.ResponseWriter, r *http.Request, s *session, status int, refusal *problem, f bumdesForm) {
	id := r.PathValue("id")
	c, err := h.getCycle(r, s, id)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	res, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/cycles/" + url.PathEscape(id) + "/bumdes"}, nil)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	var list []bumdesView
	_ = decodeItems(res.Body, &list)
	d := s.base("BUMDes "+c.ID, "siklus")
	d.Flash = r.URL.Query().Get("pesan")
	if refusal != nil {
		d.Error, d.Fields = refusal.message(), refusal.Fields
	}
	var importRows []string
	if v := d.Fields["import"]; v != "" {
		importRows = strings.Split(v, "\n")
	}
	d.Data = map[string]any{"Cycle": c, "Items": list, "F": f, "Key": randomKey(), "ImportProblems": importRows,
		"CanManage": s.user.has(domain.RolePerencanaKabKota, domain.RolePerencanaProvinsi, domain.RoleAdmin)}
	h.render(w, r, "bumdes", status, d)
}

// createBUMDes posts the form to POST /api/v1/cycles/{id}/bumdes.
func (h *Handler) createBUMDes(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	pf := r.PostForm
	f := bumdesForm{Region: strings.TrimSpace(pf.Get("region_code")), Name: strings.TrimSpace(pf.Get("name")),
		Business: strings.TrimSpace(pf.Get("business")), Keywords: strings.TrimSpace(pf.Get("keywords"))}
	keywords := []string{}
	for _, k := range strings.Split(f.Keywords, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keywords = append(keywords, k)
		}
	}
	_, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/cycles/" + url.PathEscape(id) + "/bumdes",
		body:    map[string]any{"region_code": f.Region, "name": f.Name, "business": f.Business, "keywords": keywords},
		headers: map[string]string{"Idempotency-Key": pf.Get("key")}}, nil)
	if err != nil {
		if !h.refusedForm(w, r, s, err) {
			return
		}
		p := err.(*problem)
		for k, m := range p.Fields { // keywords[i] is shown beside the one keywords field
			if strings.HasPrefix(k, "keywords[") {
				p.Fields["keywords"] = m
			}
		}
		h.renderBUMDes(w, r, s, p.Status, p, f)
		return
	}
	http.Redirect(w, r, "/siklus/"+url.PathEscape(id)+"/bumdes?pesan="+url.QueryEscape("Usaha BUMDes dicatat."), http.StatusSeeOther)
}

// importBUMDes forwards the uploaded CSV to POST
// /api/v1/cycles/{id}/bumdes/import; a refused file is listed row by row.
func (h *Handler) importBUMDes(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	_, _, data, err := uploadedFile(r, maxUploadMemory)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	if len(data) == 0 {
		h.renderBUMDes(w, r, s, http.StatusUnprocessableEntity, &problem{Status: 422, Title: "Pilih berkas CSV usaha BUMDes."}, bumdesForm{})
		return
	}
	var res struct {
		Saved int `json:"saved"`
	}
	_, err = h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/cycles/" + url.PathEscape(id) + "/bumdes/import", raw: data, rawType: "text/csv"}, &res)
	if err != nil {
		if !h.refusedForm(w, r, s, err) {
			return
		}
		p := err.(*problem)
		// Shown as a list under the import form, not beside the one-record form.
		p.Fields = map[string]string{"import": strings.Join(rowProblems(p.Fields), "\n")}
		h.renderBUMDes(w, r, s, p.Status, p, bumdesForm{})
		return
	}
	http.Redirect(w, r, "/siklus/"+url.PathEscape(id)+"/bumdes?pesan="+url.QueryEscape(strconv.Itoa(res.Saved)+" usaha BUMDes diimpor."), http.StatusSeeOther)
}
