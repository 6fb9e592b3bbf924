package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

func (h *Handler) tasks(w http.ResponseWriter, r *http.Request, s *session) {
	var page taskPage
	q := url.Values{"limit": {"50"}}
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/tasks", query: q}, &page); err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := s.base("Tugas Saya", "tugas")
	d.Flash = r.URL.Query().Get("pesan")
	d.Data = page
	h.render(w, r, "tasks", http.StatusOK, d)
}

type listFilter struct {
	CycleID, Stage, Region, Q string
}

var listStages = []domain.Stage{domain.StageDraft, domain.StageKabKotaReview, domain.StageRakorda, domain.StageConsolidation,
	domain.StageMinistry, domain.StageSIPDMapping, domain.StageFinal, domain.StageRejected, domain.StageDeferred,
	domain.StageDeclined, domain.StageWithdrawn, domain.StageExpired}

func (h *Handler) proposals(w http.ResponseWriter, r *http.Request, s *session) {
	in := r.URL.Query()
	f := listFilter{CycleID: in.Get("cycle_id"), Stage: in.Get("stage"), Region: strings.TrimSpace(in.Get("region")), Q: strings.TrimSpace(in.Get("q"))}
	q := url.Values{"limit": {"50"}}
	for k, v := range map[string]string{"cycle_id": f.CycleID, "stage": f.Stage, "region": f.Region, "q": f.Q, "cursor": in.Get("cursor")} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var page proposalPage
	d := s.base("Usulan", "usulan")
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/proposals", query: q}, &page); err != nil {
		p, ok := err.(*problem)
		if !ok || p.Status != http.StatusUnprocessableEntity {
			h.fail(w, r, s, err)
			return
		}
		d.Error, d.Fields = p.message(), p.Fields // a bad filter: show it, keep the form
	}
	cycles, _ := h.listCycles(r, s)
	next := url.Values{}
	for k, v := range q {
		next[k] = v
	}
	next.Set("cursor", page.NextCursor)
	next.Del("limit")
	d.Data = map[string]any{"Filter": f, "Page": page, "Cycles": cycles, "Stages": listStages, "NextURL": "/usulan?" + next.Encode()}
	h.render(w, r, "proposals", http.StatusOK, d)
}

func (h *Handler) listCycles(r *http.Request, s *session) ([]cycleView, error) {
	var out struct {
		Items []cycleView `json:"items"`
	}
	res, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/cycles"}, nil)
	if err != nil {
		return nil, err
	}
	// The list is {"items":[...]}; accept a bare array too.
	if err := decodeItems(res.Body, &out.Items); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// --- the proposal form ---

type indicatorRow struct{ Name, Target, Unit, Type string }

type formValues struct {
	CycleID, RegionCode, Title, Description, Category, Amount, FundingSource, SIPDCode, Beneficiaries string
	Indicators                                                                                        []indicatorRow
	// Issue 18: register ids of the koperasi served, separated by commas
	// or spaces.
	BeneficiariesKoperasi string
	dossierForm
}

type formData struct {
	Action string
	// Key is the create's Idempotency-Key, fixed when the empty form is
	// first shown and carried through re-renders, so a double click or a
	// resubmitted page creates one proposal.
	Key          string
	Edit         bool
	Version      int64
	Cycles       []cycleView
	Regions      []regionView
	Categories   []domain.Category
	Funding      []domain.FundingSource
	Nomenclature []nomenclatureView
	V            formValues
}

// readForm reads the posted proposal form; amounts and targets typed the
// Indonesian way are converted here, other checks are the API's.
func readForm(r *http.Request) (formValues, map[string]string) {
	f := r.PostForm
	v := formValues{
		CycleID: f.Get("cycle_id"), RegionCode: f.Get("region_code"), Title: f.Get("title"),
		Description: f.Get("description"), Category: f.Get("category"), Amount: f.Get("amount_idr"),
		FundingSource: f.Get("funding_source"), SIPDCode: f.Get("sipd_code"), Beneficiaries: f.Get("beneficiaries"),
		BeneficiariesKoperasi: f.Get("beneficiaries_koperasi"),
	}
	names, targets, units := f["indicator_name"], f["indicator_target"], f["indicator_unit"]
	for i := range names {
		row := indicatorRow{Name: names[i]}
		if i < len(targets) {
			row.Target = targets[i]
		}
		if i < len(units) {
			row.Unit = units[i]
		}
		v.Indicators = append(v.Indicators, row)
	}
	v.readDossier(f)
	return v, nil
}

// body turns form values into the API's JSON; blank indicator rows are
// dropped. Conversion errors come back per field.
func (v formValues) body(withCycle bool) (map[string]any, map[string]string) {
	errs := map[string]string{}
	amount, err := parseRupiah(v.Amount)
	if err != nil {
		errs["amount_idr"] = err.Error()
	}
	inds := []map[string]any{}
	for _, row := range v.Indicators {
		if strings.TrimSpace(row.Name+row.Target+row.Unit) == "" {
			continue
		}
		t, err := parseNumber(row.Target)
		if err != nil {
			errs[fmt.Sprintf("indicators[%d].target", len(inds))] = err.Error()
		}
		ind := map[string]any{"name": strings.TrimSpace(row.Name), "target": t, "unit": strings.TrimSpace(row.Unit)}
		if row.Type != "" {
			ind["type"] = row.Type
		}
		inds = append(inds, ind)
	}
	b := map[string]any{
		"title": v.Title, "description": v.Description, "category": v.Category, "amount_idr": amount,
		"funding_source": v.FundingSource, "indicators": inds, "sipd_code": strings.TrimSpace(v.SIPDCode),
		"beneficiaries":          v.Beneficiaries,
		"beneficiaries_koperasi": strings.FieldsFunc(v.BeneficiariesKoperasi, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }),
	}
	if withCycle {
		b["cycle_id"], b["region_code"] = v.CycleID, v.RegionCode
	}
	v.dossierBody(b, errs)
	return b, errs
}

// padIndicators keeps at least three rows, and one blank row to type in.
func (v *formValues) padIndicators(extra int) {
	for len(v.Indicators) < 3 || extra > 0 {
		v.Indicators = append(v.Indicators, indicatorRow{})
		extra--
	}
	v.padRAB()
}

// formChoices fills the form's pick lists: cycles, the regions the user may
// propose for, and the sub kegiatan of the right pemda level.
func (h *Handler) formChoices(r *http.Request, s *session, fd *formData) {
	fd.Categories, fd.Funding = domain.Categories, domain.FundingSources
	if !fd.Edit {
		fd.Cycles, _ = h.listCycles(r, s)
		fd.Regions = h.proposalRegions(r, s)
		// The form preselects the newest cycle and the first region; the
		// suggestions below follow them.
		if fd.V.CycleID == "" && len(fd.Cycles) > 0 {
			fd.V.CycleID = fd.Cycles[len(fd.Cycles)-1].ID
		}
		if fd.V.RegionCode == "" && len(fd.Regions) > 0 {
			fd.V.RegionCode = fd.Regions[0].Code
		}
	}
	fd.Nomenclature = h.nomenclature(r, s, fd.V.RegionCode, fd.V.CycleID)
}

// proposalRegions lists the regions the user drafts for: their own scope
// and, for a kab/kota planner, its kecamatan.
func (h *Handler) proposalRegions(r *http.Request, s *session) []regionView {
	var out []regionView
	seen := map[string]bool{}
	add := func(rv regionView) {
		if !seen[rv.Code] {
			seen[rv.Code] = true
			out = append(out, rv)
		}
	}
	for _, g := range s.user.Roles {
		switch g.Role {
		case domain.RolePerencanaKecamatan, domain.RolePerencanaKabKota, domain.RolePerencanaProvinsi:
		default:
			continue
		}
		var self regionView
		if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/regions/" + url.PathEscape(g.Scope)}, &self); err != nil {
			continue
		}
		add(self)
		if g.Role != domain.RolePerencanaKabKota {
			// A kecamatan drafts for itself, a province for itself; a
			// kab/kota planner also for each of its kecamatan.
			continue
		}
		res, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/regions", query: url.Values{"parent": {g.Scope}}}, nil)
		if err != nil {
			continue
		}
		var kids []regionView
		if decodeItems(res.Body, &kids) == nil {
			for _, k := range kids {
				add(k)
			}
		}
	}
	return out
}

// nomenclature lists the sub kegiatan a proposal for region in cycleID can
// be mapped to: only full sub kegiatan codes (never an urusan, bidang,
// program or kegiatan such as "2" or "2.17"), of the region's pemda level,
// of the nomenclature version in force for the cycle's fiscal year.
func (h *Handler) nomenclature(r *http.Request, s *session, region, cycleID string) []nomenclatureView {
	level := "kabkota"
	if region != "" && domain.PemdaLevelOf(region) == domain.PemdaProvinsi {
		level = "provinsi"
	}
	q := url.Values{"pemda_level": {level}, "level": {"sub_kegiatan"}, "limit": {"500"}}
	if year := fiscalYearOf(cycleID); year != "" {
		q.Set("fiscal_year", year)
	}
	res, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/nomenclature", query: q}, nil)
	if err != nil {
		return nil
	}
	var rows []nomenclatureView
	if decodeItems(res.Body, &rows) != nil {
		return nil
	}
	return rows
}

// fiscalYearOf reads the fiscal year out of a cycle ID ("74-2027"), or "".
func fiscalYearOf(cycleID string) string {
	i := strings.LastIndexByte(cycleID, '-')
	if i < 0 {
		return ""
	}
	if _, err := strconv.Atoi(cycleID[i+1:]); err != nil {
		return ""
	}
	return cycleID[i+1:]
}

func (h *Handler) newProposal(w http.ResponseWriter, r *http.Request, s *session) {
	fd := formData{Action: "/usulan/baru", Key: randomKey()}
	fd.V.padIndicators(0)
	h.formChoices(r, s, &fd)
	d := s.base("Usulan baru", "baru")
	d.Data = fd
	h.render(w, r, "proposal_form", http.StatusOK, d)
}

func (h *Handler) createProposal(w http.ResponseWriter, r *http.Request, s *session) {
	v, _ := readForm(r)
	fd := formData{Action: "/usulan/baru", V: v, Key: r.PostForm.Get("kunci")}
	if len(fd.Key) < 16 || len(fd.Key) > 64 {
		fd.Key = randomKey()
	}
	d := s.base("Usulan baru", "baru")
	if r.PostForm.Get("op") == "tambah-indikator" {
		fd.V.padIndicators(1)
		h.formChoices(r, s, &fd)
		d.Data = fd
		h.render(w, r, "proposal_form", http.StatusOK, d)
		return
	}
	body, errs := v.body(true)
	if len(errs) == 0 {
		var p proposalView
		_, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/proposals", body: body, headers: map[string]string{"Idempotency-Key": fd.Key}}, &p)
		if err == nil {
			http.Redirect(w, r, "/usulan/"+url.PathEscape(p.ID)+"?pesan="+url.QueryEscape("Draf usulan tersimpan."), http.StatusSeeOther)
			return
		}
		pr, ok := err.(*problem)
		if !ok || pr.Status != http.StatusUnprocessableEntity && pr.Status != http.StatusNotFound && pr.Status != http.StatusForbidden {
			h.fail(w, r, s, err)
			return
		}
		d.Error, errs = pr.message(), pr.Fields
	} else {
		d.Error = "Periksa isian yang ditandai."
	}
	d.Fields = errs
	fd.V.padIndicators(0)
	h.formChoices(r, s, &fd)
	d.Data = fd
	h.render(w, r, "proposal_form", http.StatusUnprocessableEntity, d)
}

func (h *Handler) getProposal(r *http.Request, s *session, id string) (proposalView, error) {
	var p proposalView
	_, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/proposals/" + url.PathEscape(id)}, &p)
	return p, err
}

func (h *Handler) editProposal(w http.ResponseWriter, r *http.Request, s *session) {
	p, err := h.getProposal(r, s, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	if p.Stage != domain.StageDraft {
		h.renderStatus(w, r, s, http.StatusConflict, "Hanya draf yang dapat diubah.")
		return
	}
	fd := formData{Action: "/usulan/" + url.PathEscape(p.ID) + "/ubah", Edit: true, Version: p.Version, V: valuesOf(p)}
	fd.V.padIndicators(1)
	h.formChoices(r, s, &fd)
	d := s.base("Ubah draf", "usulan")
	d.Data = fd
	h.render(w, r, "proposal_form", http.StatusOK, d)
}

func valuesOf(p proposalView) formValues {
	v := formValues{CycleID: p.CycleID, RegionCode: p.RegionCode, Title: p.Title, Description: p.Description,
		Category: string(p.Category), FundingSource: string(p.FundingSource), SIPDCode: p.SIPDCode, Beneficiaries: p.Beneficiaries,
		BeneficiariesKoperasi: strings.Join(p.BeneficiariesKoperasi, ", ")}
	if p.AmountIDR != 0 {
		v.Amount = strings.TrimPrefix(rupiah(p.AmountIDR), "Rp ")
	}
	for _, ind := range p.Indicators {
		v.Indicators = append(v.Indicators, indicatorRow{Name: ind.Name, Target: number(ind.Target), Unit: ind.Unit, Type: ind.Type})
	}
	v.dossierForm = dossierFormOf(p.dossierView)
	return v
}

func (h *Handler) updateProposal(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	v, _ := readForm(r)
	version := r.PostForm.Get("version")
	fd := formData{Action: "/usulan/" + url.PathEscape(id) + "/ubah", Edit: true, V: v}
	fd.Version, _ = strconv.ParseInt(version, 10, 64)
	d := s.base("Ubah draf", "usulan")
	if r.PostForm.Get("op") == "tambah-indikator" {
		fd.V.padIndicators(1)
		h.formChoices(r, s, &fd)
		d.Data = fd
		h.render(w, r, "proposal_form", http.StatusOK, d)
		return
	}
	body, errs := v.body(false)
	if len(errs) == 0 {
		_, err := h.call(r, s.token, apiCall{method: "PATCH", path: "/api/v1/proposals/" + url.PathEscape(id), body: body,
			headers: map[string]string{"If-Match": `"` + version + `"`}}, nil)
		if err == nil {
			http.Redirect(w, r, "/usulan/"+url.PathEscape(id)+"?pesan="+url.QueryEscape("Perubahan tersimpan."), http.StatusSeeOther)
			return
		}
		pr, ok := err.(*problem)
		if !ok || (pr.Status != http.StatusUnprocessableEntity && pr.Status != http.StatusPreconditionFailed) {
			h.fail(w, r, s, err)
			return
		}
		d.Error, errs = pr.message(), pr.Fields
		if pr.Status == http.StatusPreconditionFailed {
			d.Error = "Usulan ini telah diubah orang lain sejak Anda membukanya. Buka ulang halaman untuk melihat versi terbaru."
		}
	} else {
		d.Error = "Periksa isian yang ditandai."
	}
	d.Fields = errs
	fd.V.padIndicators(0)
	h.formChoices(r, s, &fd)
	d.Data = fd
	h.render(w, r, "proposal_form", http.StatusUnprocessableEntity, d)
}

// --- the proposal page and its actions ---

type proposalPageData struct {
	P            proposalView
	Region       *regionView
	History      []eventView
	CanEdit      bool
	Funding      []domain.FundingSource
	Nomenclature []nomenclatureView
}

func (h *Handler) proposalData(r *http.Request, s *session, id string) (proposalPageData, error) {
	p, err := h.getProposal(r, s, id)
	if err != nil {
		return proposalPageData{}, err
	}
	pd := proposalPageData{P: p, Funding: domain.FundingSources}
	var reg regionView
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/regions/" + url.PathEscape(p.RegionCode)}, &reg); err == nil {
		pd.Region = &reg
	}
	if res, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/proposals/" + url.PathEscape(id) + "/history"}, nil); err == nil {
		_ = decodeItems(res.Body, &pd.History)
	}
	for _, a := range p.AllowedActions {
		if a == domain.ActionMap {
			pd.Nomenclature = h.nomenclature(r, s, p.RegionCode, p.CycleID)
		}
	}
	// Editing a draft is the creator's or a planner's of the region; the
	// API decides on save, the button only hides where it would surely fail.
	pd.CanEdit = p.CreatedBy == s.user.Username || s.user.has(domain.RolePerencanaKabKota, domain.RolePerencanaKecamatan)
	return pd, nil
}

func (h *Handler) proposal(w http.ResponseWriter, r *http.Request, s *session) {
	pd, err := h.proposalData(r, s, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := s.base(pd.P.Title, "usulan")
	d.Flash = r.URL.Query().Get("pesan")
	d.Data = pd
	h.render(w, r, "proposal", http.StatusOK, d)
}

func (h *Handler) act(w http.ResponseWriter, r *http.Request, s *session) {
	id, action := r.PathValue("id"), domain.Action(r.PathValue("action"))
	f := r.PostForm
	body := map[string]any{"comment": strings.TrimSpace(f.Get("comment"))}
	fieldErrs := map[string]string{}
	switch action {
	case domain.ActionConsolidate:
		prio, err := strconv.Atoi(strings.TrimSpace(f.Get("priority")))
		if err != nil {
			fieldErrs["priority"] = "Tulis prioritas dengan angka bulat, misalnya 1."
		}
		amount, err := parseRupiah(f.Get("consolidated_amount_idr"))
		if err != nil {
			fieldErrs["consolidated_amount_idr"] = err.Error()
		}
		body["priority"], body["consolidated_amount_idr"], body["funding_source"] = prio, amount, f.Get("funding_source")
	case domain.ActionFund:
		body["funding_source"] = f.Get("funding_source")
	case domain.ActionMap:
		body["sipd_code"] = strings.TrimSpace(f.Get("sipd_code"))
	}
	var err error
	if len(fieldErrs) == 0 {
		_, err = h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/proposals/" + url.PathEscape(id) + "/actions/" + url.PathEscape(string(action)),
			body: body, headers: map[string]string{"If-Match": `"` + f.Get("version") + `"`}}, nil)
		if err == nil {
			msg := fmt.Sprintf("Aksi \"%s\" berhasil.", action.Label())
			back := "/usulan/" + url.PathEscape(id)
			if k := f.Get("kembali"); k != "" {
				back = safeNext(k) // the Rakorda board or the consolidation table
			}
			http.Redirect(w, r, back+"?pesan="+url.QueryEscape(msg), http.StatusSeeOther)
			return
		}
	}
	if pr, ok := err.(*problem); ok && pr.Status == http.StatusUnauthorized {
		h.fail(w, r, s, err)
		return
	}
	// Refused from the consolidation table: stay on the table, the reason
	// beside the row, what was typed kept.
	if cycleID := consolidationReturn(f.Get("kembali")); cycleID != "" && action == domain.ActionConsolidate && (err == nil || isProblem(err)) {
		row := &rowRefusal{ProposalID: id, Fields: fieldErrs, Priority: f.Get("priority"),
			Amount: f.Get("consolidated_amount_idr"), Funding: f.Get("funding_source"), Message: "Periksa isian yang ditandai."}
		status := http.StatusUnprocessableEntity
		if pr, ok := err.(*problem); ok {
			status, row.Message, row.Fields = pr.Status, pr.message(), pr.Fields
		}
		h.renderConsolidation(w, r, s, cycleID, status, nil, row)
		return
	}
	// Refused: show the proposal again with the reason beside the form.
	pd, perr := h.proposalData(r, s, id)
	if perr != nil {
		h.fail(w, r, s, perr)
		return
	}
	d := s.base(pd.P.Title, "usulan")
	d.Data = pd
	status := http.StatusUnprocessableEntity
	if pr, ok := err.(*problem); ok {
		status, d.Error, d.Fields = pr.Status, pr.message(), pr.Fields
		if pr.Status == http.StatusUnauthorized {
			h.fail(w, r, s, err)
			return
		}
	} else if err != nil {
		h.fail(w, r, s, err)
		return
	} else {
		d.Error, d.Fields = "Periksa isian yang ditandai.", fieldErrs
	}
	h.render(w, r, "proposal", status, d)
}

// --- cycles ---

func (h *Handler) cycles(w http.ResponseWriter, r *http.Request, s *session) {
	cs, err := h.listCycles(r, s)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := s.base("Siklus", "siklus")
	d.Data = cs
	h.render(w, r, "cycles", http.StatusOK, d)
}

type datedLabel struct {
	Name  string
	Label string
	At    time.Time
}

// proposalSummary is GET /api/v1/proposals/summary: the cycle page's
// charts, counted by the database whatever the cycle's size.
type proposalSummary struct {
	Count     int64 `json:"count"`
	AmountIDR int64 `json:"amount_idr"`
	Stages    []struct {
		Key   domain.Stage `json:"key"`
		Count int64        `json:"count"`
	} `json:"stages"`
	KabKota []struct {
		Key       string `json:"key"`
		AmountIDR int64  `json:"amount_idr"`
	} `json:"kabkota"`
}

func (h *Handler) cycle(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderCycle(w, r, s, http.StatusOK, "", nil)
}

func (h *Handler) renderCycle(w http.ResponseWriter, r *http.Request, s *session, status int, errMsg string, fields map[string]string) {
	c, err := h.getCycle(r, s, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	var sum proposalSummary
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/proposals/summary", query: url.Values{"cycle_id": {c.ID}}}, &sum); err != nil {
		h.fail(w, r, s, err)
		return
	}
	var stageBars, kabBars []bar
	for _, st := range sum.Stages {
		stageBars = append(stageBars, bar{Label: st.Key.Label(), Value: st.Count, Text: strconv.FormatInt(st.Count, 10)})
	}
	for _, k := range sum.KabKota { // largest amount first
		name := k.Key
		var reg regionView
		if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/regions/" + url.PathEscape(k.Key)}, &reg); err == nil {
			name = reg.Name
		}
		kabBars = append(kabBars, bar{Label: name, Value: k.AmountIDR, Text: rupiah(k.AmountIDR)})
	}
	cal := c.Calendar
	d := s.base("Siklus "+c.ID, "siklus")
	d.Flash = r.URL.Query().Get("pesan")
	d.Error, d.Fields = errMsg, fields
	d.Data = map[string]any{
		"Cycle": c, "PhaseLabel": c.Phase.Label(), "Total": sum.Count, "Amount": sum.AmountIDR,
		"StageChart": barChart(stageBars), "AmountChart": barChart(kabBars),
		// A locked cycle's list is with the ministry: its page says so and
		// shows the calendar read-only (the workflow refuses moving Rakorda
		// or consolidation after the lock anyway).
		"CanMove": s.user.has(domain.RoleKadisProvinsi) && !c.Locked,
		"Dates": []datedLabel{
			{"submission_deadline", "Batas pengajuan", cal.SubmissionDeadline}, {"review_deadline", "Batas reviu kab/kota", cal.ReviewDeadline},
			{"rakorda_start", "Rakorda dimulai", cal.RakordaStart}, {"rakorda_end", "Rakorda berakhir", cal.RakordaEnd},
			{"consolidation_deadline", "Batas konsolidasi", cal.ConsolidationDeadline}, {"ministry_deadline", "Batas kementerian", cal.MinistryDeadline},
			{"mapping_deadline", "Batas pemetaan SIPD", cal.MappingDeadline},
		},
	}
	h.render(w, r, "cycle", status, d)
}

func isProblem(err error) bool {
	_, ok := err.(*problem)
	return ok
}

func randomKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
