package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// --- creating and moving ------------------------------------------------------

// calendarInput carries the dates as text so that a malformed date is a
// 422 naming its field rather than an unreadable body. Absent (or null)
// dates are nil: required at creation, unchanged in a PATCH.
type calendarInput struct {
	SubmissionDeadline    *string `json:"submission_deadline"`
	ReviewDeadline        *string `json:"review_deadline"`
	RakordaStart          *string `json:"rakorda_start"`
	RakordaEnd            *string `json:"rakorda_end"`
	ConsolidationDeadline *string `json:"consolidation_deadline"`
	MinistryDeadline      *string `json:"ministry_deadline"`
	MappingDeadline       *string `json:"mapping_deadline"`
}

// patch parses the dates given; a malformed one is reported on v under
// "calendar.<name>".
func (in calendarInput) patch(v *domain.Validation) workflows.CalendarPatch {
	parse := func(name string, raw *string) *time.Time {
		if raw == nil {
			return nil
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*raw))
		if err != nil {
			v.Add("calendar."+name, "Tanggal %q tidak berformat RFC 3339, misalnya 2026-03-02T00:00:00Z atau 2026-03-02T08:00:00+08:00.", *raw)
			return nil
		}
		t = t.UTC()
		return &t
	}
	return workflows.CalendarPatch{
		SubmissionDeadline:    parse("submission_deadline", in.SubmissionDeadline),
		ReviewDeadline:        parse("review_deadline", in.ReviewDeadline),
		RakordaStart:          parse("rakorda_start", in.RakordaStart),
		RakordaEnd:            parse("rakorda_end", in.RakordaEnd),
		ConsolidationDeadline: parse("consolidation_deadline", in.ConsolidationDeadline),
		MinistryDeadline:      parse("ministry_deadline", in.MinistryDeadline),
		MappingDeadline:       parse("mapping_deadline", in.MappingDeadline),
	}
}

type ceilingInput struct {
	RegionCode string `json:"region_code"`
	AmountIDR  int64  `json:"amount_idr"`
}

type targetInput struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Keywords   []string `json:"keywords"`
	Unit       string   `json:"unit"`
	Baseline   float64  `json:"baseline"`
	PercentMin float64  `json:"percent_min"`
	PercentMax float64  `json:"percent_max"`
	Min        float64  `json:"min"`
	Max        float64  `json:"max"`
	// A register target (issue 18): indicator and percent only.
	Indicator string  `json:"indicator"`
	Percent   float64 `json:"percent"`
}

type cycleCreateRequest struct {
	ProvinceCode string         `json:"province_code"`
	FiscalYear   int            `json:"fiscal_year"`
	Calendar     *calendarInput `json:"calendar"`
	Ceilings     []ceilingInput `json:"ceilings"`
	Targets      []targetInput  `json:"targets"`
}

// cycleRequestID names a creation for Temporal (the create Update's ID):
// with an Idempotency-Key it is derived from (user, key), so a retried POST
// is answered from the first; without one it is empty, and every POST is a
// new attempt.
func cycleRequestID(username, key string) string {
	if key == "" {
		return ""
	}
	return "create/" + keyedID("cycle", username, key, 15)
}

// createCycle opens a province's cycle for a fiscal year: the N-1 rule
// (opened in year N-1, every date in N-1, in order), the province, the
// optional ceilings and targets are checked here so that a refused request
// starts no workflow; the CycleWorkflow checks them again and decides,
// one cycle per province and year, against concurrent creations.
func (s *Server) createCycle(c echo.Context) error {
	var req cycleCreateRequest
	key, err := bindCreate(c, &req)
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	province := strings.TrimSpace(req.ProvinceCode)
	requestID := cycleRequestID(user, key)

	var v domain.Validation
	provinceOK := false
	lvl, perr := domain.ParseRegionCode(province)
	switch {
	case province == "":
		v.Add("province_code", "Kode provinsi wajib diisi, misalnya 74 untuk Sulawesi Tenggara.")
	case len(province) > 13 || perr != nil || lvl != domain.LevelProvinsi:
		v.Add("province_code", "Kode %q bukan kode provinsi (dua angka, misalnya 74).", province)
	default:
		ok, err := s.db.RegionExists(ctx, province)
		if err != nil {
			return err
		}
		if !ok {
			v.Add("province_code", "Provinsi %q tidak ada dalam daftar wilayah Kemendagri.", province)
		}
		provinceOK = ok
	}
	fy := req.FiscalYear
	switch {
	case fy == 0:
		v.Add("fiscal_year", "Tahun anggaran wajib diisi, misalnya %d.", now.UTC().Year()+1)
	case fy != now.UTC().Year()+1:
		v.Add("fiscal_year", "Siklus tahun anggaran %d dibuka pada tahun %d (aturan N-1); sekarang tahun %d, jadi hanya siklus tahun anggaran %d yang dapat dibuka.",
			fy, fy-1, now.UTC().Year(), now.UTC().Year()+1)
	}
	var cal domain.Calendar
	if req.Calendar == nil {
		v.Add("calendar", "Kalender wajib diisi: submission_deadline, review_deadline, rakorda_start, rakorda_end, consolidation_deadline, ministry_deadline, mapping_deadline.")
	} else {
		// Order and N-1 are judged only on dates that could be read, so a
		// malformed date is reported once, as malformed.
		var parsed domain.Validation
		cal = req.Calendar.patch(&parsed).Apply(domain.Calendar{})
		copyFields(&v, parsed.Err(), "")
		if parsed.Err() == nil && fy >= 2000 && fy <= 2100 {
			copyFields(&v, cal.Validate(fy), "")
		}
	}
	ceilings := make([]domain.Ceiling, len(req.Ceilings))
	for i, ce := range req.Ceilings {
		ceilings[i] = domain.Ceiling{RegionCode: strings.TrimSpace(ce.RegionCode), AmountIDR: ce.AmountIDR}
	}
	if provinceOK {
		if err := s.checkCeilings(ctx, &v, province, ceilings); err != nil {
			return err
		}
	}
	targets := checkTargets(&v, req.Targets)
	if err := v.Err(); err != nil {
		return err
	}

	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjCycle, Action: policies.ActCreate, Region: province, At: now})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang membuka siklus perencanaan provinsi %s; hanya Kepala Dinas provinsi tersebut.", province)
	}

	id := domain.CycleID(province, fy)
	if existing, err := s.db.GetCycle(ctx, id); err == nil {
		// A retry of a creation that went through answers as the first did;
		// anything else is a second cycle for the province and year.
		if requestID != "" && s.createdBy(ctx, id, requestID) {
			return s.respondCycle(c, http.StatusCreated, id)
		}
		return &domain.Error{Code: domain.ECONFLICT,
			Message: fmt.Sprintf("Siklus %s (provinsi %s, tahun anggaran %d) sudah dibuka oleh %s; satu provinsi hanya memiliki satu siklus per tahun anggaran. Ubah jadwalnya dengan PATCH /api/v1/cycles/%s.",
				id, province, fy, existing.CreatedBy, id),
			Fields: []domain.FieldError{
				{Field: "province_code", Message: fmt.Sprintf("Provinsi %s sudah memiliki siklus tahun anggaran %d.", province, fy)},
				{Field: "fiscal_year", Message: fmt.Sprintf("Siklus tahun anggaran %d untuk provinsi %s sudah ada (%s).", fy, province, id)},
			}}
	} else if domain.ErrorCode(err) != domain.ENOTFOUND {
		return err
	}

	wctx, cancel := s.workflowContext(c)
	defer cancel()
	_, err = workflows.CreateCycle(wctx, s.temporal, workflows.CreateCycleRequest{
		Actor: domain.Actor{Username: user, Role: d.Role, Scope: d.Scope}, ProvinceCode: province, FiscalYear: fy,
		Calendar: cal, Ceilings: ceilings, Targets: targets, RequestID: requestID,
	})
	if err != nil {
		return s.workflowFailure(c, err)
	}
	return s.respondCycle(c, http.StatusCreated, id)
}

// createdBy reports whether the cycle's creation was the request
// requestID: the create event records the request it carried.
func (s *Server) createdBy(ctx context.Context, cycleID, requestID string) bool {
	events, err := s.db.ListCycleEvents(ctx, cycleID)
	if err != nil || len(events) == 0 || events[0].Action != workflows.CycleEventCreate {
		return false
	}
	var req workflows.CreateCycleRequest
	return json.Unmarshal(events[0].Payload, &req) == nil && req.RequestID == requestID
}

// copyFields adds the field errors of a validation error to v, prefixing
// their field names.
func copyFields(v *domain.Validation, err error, prefix string) {
	if de, ok := err.(*domain.Error); ok {
		for _, f := range de.Fields {
			v.Add(prefix+f.Field, "%s", f.Message)
		}
	}
}

// checkCeilings validates ceilings for province: each for the province
// itself or one of its kab/kota that exists, named once, more than 0 and
// within MaxAmountIDR. Whether a ceiling is below what is already
// consolidated is the workflow's to say: it holds the reservations.
func (s *Server) checkCeilings(ctx context.Context, v *domain.Validation, province string, ceilings []domain.Ceiling) error {
	if len(ceilings) > maxCeilings {
		v.Add("ceilings", "Paling banyak %d pagu indikatif (sekarang %d).", maxCeilings, len(ceilings))
		return nil
	}
	seen := map[string]bool{}
	for i, ce := range ceilings {
		field := fmt.Sprintf("ceilings[%d]", i)
		lvl, err := domain.ParseRegionCode(ce.RegionCode)
		switch {
		case ce.RegionCode == "":
			v.Add(field+".region_code", "Kode kab/kota wajib diisi, misalnya %s.01, atau %s untuk usulan tingkat provinsi.", province, province)
		case len(ce.RegionCode) > 13 || err != nil || lvl > domain.LevelKabKota || domain.RegionProvince(ce.RegionCode) != province:
			v.Add(field+".region_code", "Pagu indikatif hanya untuk provinsi %s atau salah satu kab/kotanya; %q tidak termasuk.", province, ce.RegionCode)
		case seen[ce.RegionCode]:
			v.Add(field+".region_code", "Pagu indikatif untuk %s disebut lebih dari sekali.", ce.RegionCode)
		default:
			seen[ce.RegionCode] = true
			ok, err := s.db.RegionExists(ctx, ce.RegionCode)
			if err != nil {
				return err
			}
			if !ok {
				v.Add(field+".region_code", "Wilayah %q tidak ada dalam daftar wilayah Kemendagri.", ce.RegionCode)
			}
		}
		if ce.AmountIDR <= 0 {
			v.Add(field+".amount_idr", "Pagu indikatif harus lebih dari 0 rupiah; hapus barisnya bila kab/kota ini tanpa pagu.")
		}
		domain.CheckAmount(v, field+".amount_idr", "Pagu indikatif", ce.AmountIDR)
	}
	return nil
}

// checkTargets validates the targets and returns them trimmed.
func checkTargets(v *domain.Validation, in []targetInput) []domain.Target {
	if len(in) > maxTargets {
		v.Add("targets", "Paling banyak %d target (sekarang %d).", maxTargets, len(in))
		return nil
	}
	out := make([]domain.Target, len(in))
	seen := map[string]bool{}
	for i, t := range in {
		prefix := fmt.Sprintf("targets[%d]", i)
		kw := make([]string, 0, len(t.Keywords))
		for j, k := range t.Keywords {
			domain.CheckLen(v, fmt.Sprintf("%s.keywords[%d]", prefix, j), "Kata kunci", k, maxKeyword)
			if k = strings.TrimSpace(k); k != "" {
				kw = append(kw, k)
			}
		}
		d := domain.Target{Code: strings.TrimSpace(t.Code), Name: strings.TrimSpace(t.Name), Keywords: kw, Unit: strings.TrimSpace(t.Unit),
			Baseline: t.Baseline, PercentMin: t.PercentMin, PercentMax: t.PercentMax, Min: t.Min, Max: t.Max,
			Indicator: domain.RegisterIndicator(strings.TrimSpace(t.Indicator)), Percent: t.Percent}
		if d.IsRegister() {
			// A register target is named by its indicator unless the
			// request names it otherwise.
			if d.Code == "" {
				d.Code = string(d.Indicator)
			}
			if d.Name == "" {
				d.Name = d.Indicator.Label()
			}
		}
		d.Validate(v, prefix)
		domain.CheckLen(v, prefix+".code", "Kode target", d.Code, maxTargetCode)
		domain.CheckLen(v, prefix+".name", "Nama target", d.Name, maxTargetName)
		domain.CheckLen(v, prefix+".unit", "Satuan", d.Unit, domain.MaxUnit)
		if len(t.Keywords) > maxTargetKeywords {
			v.Add(prefix+".keywords", "Paling banyak %d kata kunci (sekarang %d).", maxTargetKeywords, len(t.Keywords))
		}
		for name, x := range map[string]float64{"baseline": t.Baseline, "min": t.Min, "max": t.Max} {
			if x > maxTargetValue {
				v.Add(prefix+"."+name, "Nilai paling besar %d; periksa kelebihan angka nol.", maxTargetValue)
			}
		}
		for name, x := range map[string]float64{"percent_min": t.PercentMin, "percent_max": t.PercentMax} {
			if x > 1000 {
				v.Add(prefix+"."+name, "Persentase paling besar 1000.")
			}
		}
		if d.Code != "" && seen[d.Code] {
			v.Add(prefix+".code", "Kode target %q disebut lebih dari sekali.", d.Code)
		}
		seen[d.Code] = true
		out[i] = d
	}
	return out
}

// cyclePatchRequest is a PATCH of a cycle: only the calendar moves here.
// The other fields are decoded only to refuse them with a message that says
// where they are changed.
type cyclePatchRequest struct {
	Calendar     *calendarInput  `json:"calendar"`
	ProvinceCode json.RawMessage `json:"province_code"`
	FiscalYear   json.RawMessage `json:"fiscal_year"`
	Ceilings     json.RawMessage `json:"ceilings"`
	Targets      json.RawMessage `json:"targets"`
}

// moveCycle moves dates (PATCH with If-Match). It answers once every open
// proposal of the cycle has been sent the new calendar, so the next action
// on any of them is judged by the new dates.
func (s *Server) moveCycle(c echo.Context) error {
	w := cycleWrite{object: policies.ObjCycle, action: policies.ActUpdate, refused: "Anda tidak berwenang mengubah jadwal siklus %s; hanya Kepala Dinas provinsinya.", ifMatchRequired: true}
	return cycleUpdate(s, c, w, func(cy domain.Cycle, req *cyclePatchRequest) (cycleCall, error) {
		var v domain.Validation
		if req.ProvinceCode != nil {
			v.Add("province_code", "Provinsi siklus tidak dapat diubah.")
		}
		if req.FiscalYear != nil {
			v.Add("fiscal_year", "Tahun anggaran siklus tidak dapat diubah.")
		}
		if req.Ceilings != nil {
			v.Add("ceilings", "Pagu indikatif diubah dengan PUT /api/v1/cycles/%s/ceilings.", cy.ID)
		}
		if req.Targets != nil {
			v.Add("targets", "Target kinerja diubah dengan PUT /api/v1/cycles/%s/targets.", cy.ID)
		}
		var patch workflows.CalendarPatch
		if req.Calendar != nil {
			patch = req.Calendar.patch(&v)
		}
		if patch == (workflows.CalendarPatch{}) && v.Err() == nil {
			v.Add("calendar", "Sertakan minimal satu tanggal kalender yang diubah, misalnya calendar.rakorda_start.")
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		// The N-1 rule and the order, on the calendar as it would become, with
		// field names; the workflow judges again against its own state.
		if err := patch.Apply(cy.Calendar).Validate(cy.FiscalYear); err != nil {
			return nil, err
		}
		return func(ctx context.Context, actor domain.Actor, version int64) error {
			_, err := workflows.MoveCycleCalendar(ctx, s.temporal, cy.ID, workflows.MoveCalendarRequest{Actor: actor, ExpectedVersion: version, Calendar: patch})
			return err
		}, nil
	})
}
