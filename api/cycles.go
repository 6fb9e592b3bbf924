package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/minutes"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// The planning-cycle endpoints (issue 6). Every change goes through the
// cycle's CycleWorkflow (workflows/cycle_client.go), whose Updates answer
// once the change is in the projection; reads come from the projection
// (store). A cycle is visible to whoever may read cycles of its province
// (policy.csv: cycle read, reach related); anyone else gets 404 for it and
// everything under it, exactly as for a cycle that does not exist. Past
// that, each endpoint asks the Authorizer for its own object and action on
// the cycle's province, and answers 403 when refused.

// Input bounds of the cycle endpoints, for the same reason as validate.go's:
// a slip or a hostile client is stopped with a message, not stored.
const (
	maxCeilings       = 100 // a province has at most a few dozen kab/kota
	maxTargets        = 50
	maxTargetCode     = 40
	maxTargetName     = 200
	maxTargetKeywords = 20
	maxKeyword        = 100
	maxTargetValue    = 1_000_000_000
	maxAgreements     = 200
	maxAgreement      = 4000 // the workflow's bound on one kesepakatan
	maxAttendees      = 500
	maxPersonField    = 200
	maxBUMDesKeywords = 20
	maxBUMDesBusiness = 500
)

// cycleRoutes registers the planning-cycle endpoints (issue 6): creation,
// dates, ceilings, targets, Rakorda and consolidation, and lock. GET
// /cycles and GET /cycles/{id} are registered with the other reads in
// routes(); their handlers are here.
func (s *Server) cycleRoutes(v1 *echo.Group, a []echo.MiddlewareFunc) {
	v1.POST("/cycles", s.createCycle, a...)
	v1.PATCH("/cycles/:id", s.moveCycle, a...)
	v1.PUT("/cycles/:id/ceilings", s.setCeilings, a...)
	v1.PUT("/cycles/:id/targets", s.setTargets, a...)
	v1.POST("/cycles/:id/actions/lock", s.lockCycle, a...)
	v1.GET("/cycles/:id/lock", s.lockProgress, a...)
	v1.GET("/cycles/:id/events", s.cycleEvents, a...)
	v1.GET("/cycles/:id/rakorda", s.rakorda, a...)
	v1.PUT("/cycles/:id/rakorda/agreements", s.recordAgreements, a...)
	v1.PUT("/cycles/:id/rakorda/attendance", s.recordAttendance, a...)
	v1.GET("/cycles/:id/rakorda/minutes.pdf", s.rakordaMinutes, a...)
	v1.GET("/cycles/:id/consolidation", s.consolidation, a...)
	v1.GET("/cycles/:id/bumdes", s.listBUMDes, a...)
	v1.POST("/cycles/:id/bumdes", s.createBUMDes, a...)
}

// --- reading cycles ---------------------------------------------------------

type cycleList struct {
	Items []store.CycleDetail `json:"items"`
}

// listCycles lists the cycles the caller may read, newest fiscal year
// first, each with its phase, ceilings, targets and Rakorda record. There is
// one cycle per province and year, so reading each one's details is a
// handful of small queries per visible cycle.
func (s *Server) listCycles(c echo.Context) error {
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	cycles, err := s.db.ListCycles(ctx)
	if err != nil {
		return err
	}
	out := cycleList{Items: []store.CycleDetail{}}
	for _, cy := range cycles {
		d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjCycle, Action: policies.ActRead, Region: cy.ProvinceCode, At: now})
		if err != nil {
			return err
		}
		if !d.Allowed {
			continue
		}
		detail, err := s.db.GetCycleDetail(ctx, cy.ID, now)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, detail)
	}
	return c.JSON(http.StatusOK, out)
}

// getCycle answers with the cycle's detail and its version as ETag (the
// If-Match of PATCH and the PUTs below); 404 for a cycle the caller may not
// read, as for one that does not exist.
func (s *Server) getCycle(c echo.Context) error {
	cy, err := s.visibleCycle(c)
	if err != nil {
		return err
	}
	return s.respondCycle(c, http.StatusOK, cy.ID)
}

// visibleCycle reads the cycle of the path's id if the caller may read
// cycles of its province; otherwise it is ENOTFOUND, like a cycle that does
// not exist, so ids of other provinces' cycles cannot be probed.
func (s *Server) visibleCycle(c echo.Context) (domain.Cycle, error) {
	ctx, id := c.Request().Context(), c.Param("id")
	if len(id) > maxCycleID {
		return domain.Cycle{}, domain.Errorf(domain.ENOTFOUND, "Siklus %q tidak ditemukan.", id)
	}
	cy, err := s.db.GetCycle(ctx, id)
	if err != nil {
		return domain.Cycle{}, err
	}
	d, err := s.authz.Decide(ctx, policies.Request{Username: currentUser(c), Object: policies.ObjCycle, Action: policies.ActRead, Region: cy.ProvinceCode, At: s.now()})
	if err != nil {
		return domain.Cycle{}, err
	}
	if !d.Allowed {
		return domain.Cycle{}, domain.Errorf(domain.ENOTFOUND, "Siklus %q tidak ditemukan.", id)
	}
	return cy, nil
}

// authorizedCycle is visibleCycle followed by the endpoint's own decision
// (object, action) on the cycle's province; refused is the 403's message,
// formatted with the cycle id.
func (s *Server) authorizedCycle(c echo.Context, object, action, refused string) (domain.Cycle, domain.Actor, error) {
	cy, err := s.visibleCycle(c)
	if err != nil {
		return cy, domain.Actor{}, err
	}
	user := currentUser(c)
	d, err := s.authz.Decide(c.Request().Context(), policies.Request{Username: user, Object: object, Action: action, Region: cy.ProvinceCode, At: s.now()})
	if err != nil {
		return cy, domain.Actor{}, err
	}
	if !d.Allowed {
		return cy, domain.Actor{}, domain.Errorf(domain.EFORBIDDEN, refused, cy.ID)
	}
	return cy, domain.Actor{Username: user, Role: d.Role, Scope: d.Scope}, nil
}

// respondCycle answers with the projection's detail of cycle id and its
// version as ETag. Updates answer after the projection has the change, so
// this is the state the change produced.
func (s *Server) respondCycle(c echo.Context, status int, id string) error {
	d, err := s.db.GetCycleDetail(c.Request().Context(), id, s.now())
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", etag(d.Version))
	if status == http.StatusCreated {
		h.Set(echo.HeaderLocation, "/api/v1/cycles/"+d.ID)
	}
	return c.JSON(status, d)
}

// cycleIfMatch reads the cycle version a change expects. required makes a
// missing header 428; "*" means any version.
func cycleIfMatch(c echo.Context, required bool) (int64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	switch {
	case h == "" && required:
		return 0, echo.NewHTTPError(http.StatusPreconditionRequired,
			"Sertakan header If-Match berisi ETag siklus yang Anda ubah (dari GET /api/v1/cycles/{id}), agar perubahan orang lain tidak tertimpa.")
	case h == "" || h == "*":
		return 0, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v <= 0 {
		return 0, domain.Errorf(domain.EPRECONDITION, "If-Match %q bukan ETag siklus; gunakan ETag dari GET /api/v1/cycles/{id}.", h)
	}
	return v, nil
}

// cycleFailure turns what a cycle workflow call returned into what the
// client should hear. A cycle that is in the database but has no workflow
// to change it (a cycle written directly, as old demo data was, or one whose
// workflow an operator ended) cannot be changed: that is the cycle's state,
// 409, not a missing resource.
func (s *Server) cycleFailure(c echo.Context, cycleID string, err error) error {
	err = s.workflowFailure(c, err)
	switch domain.ErrorCode(err) {
	case domain.EUNAVAILABLE:
		return domain.Errorf(domain.EUNAVAILABLE,
			"Layanan alur kerja belum menjawab. Periksa siklus %s (GET /api/v1/cycles/%s) sebelum mencoba lagi, karena perubahan mungkin tetap tersimpan.", cycleID, cycleID)
	case domain.ENOTFOUND:
		return domain.Errorf(domain.ECONFLICT,
			"Siklus %s tidak dijalankan oleh alur kerja siklus (data lama, atau alur kerjanya sudah dihentikan); perubahan tidak dapat diproses.", cycleID)
	}
	return err
}

// workflowContext bounds a workflow call by the server's wait.
func (s *Server) workflowContext(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), s.wfWait)
}

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
	sum := sha256.Sum256([]byte("rencana/cycle\x00" + username + "\x00" + key))
	return "create/" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// createCycle opens a province's cycle for a fiscal year: the N-1 rule
// (opened in year N-1, every date in N-1, in order), the province, the
// optional ceilings and targets are checked here so that a refused request
// starts no workflow; the CycleWorkflow checks them again and decides,
// one cycle per province and year, against concurrent creations.
func (s *Server) createCycle(c echo.Context) error {
	var req cycleCreateRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
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
		checkAmount(v, field+".amount_idr", "Pagu indikatif", ce.AmountIDR)
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
			checkLen(v, fmt.Sprintf("%s.keywords[%d]", prefix, j), "Kata kunci", k, maxKeyword)
			if k = strings.TrimSpace(k); k != "" {
				kw = append(kw, k)
			}
		}
		d := domain.Target{Code: strings.TrimSpace(t.Code), Name: strings.TrimSpace(t.Name), Keywords: kw, Unit: strings.TrimSpace(t.Unit),
			Baseline: t.Baseline, PercentMin: t.PercentMin, PercentMax: t.PercentMax, Min: t.Min, Max: t.Max}
		d.Validate(v, prefix)
		checkLen(v, prefix+".code", "Kode target", d.Code, maxTargetCode)
		checkLen(v, prefix+".name", "Nama target", d.Name, maxTargetName)
		checkLen(v, prefix+".unit", "Satuan", d.Unit, maxUnit)
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
	cy, actor, err := s.authorizedCycle(c, policies.ObjCycle, policies.ActUpdate, "Anda tidak berwenang mengubah jadwal siklus %s; hanya Kepala Dinas provinsinya.")
	if err != nil {
		return err
	}
	version, err := cycleIfMatch(c, true)
	if err != nil {
		return err
	}
	var req cyclePatchRequest
	if err := bind(c, &req); err != nil {
		return err
	}
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
		return err
	}
	// The N-1 rule and the order, on the calendar as it would become, with
	// field names; the workflow judges again against its own state.
	if err := patch.Apply(cy.Calendar).Validate(cy.FiscalYear); err != nil {
		return err
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	if _, err := workflows.MoveCycleCalendar(wctx, s.temporal, cy.ID, workflows.MoveCalendarRequest{Actor: actor, ExpectedVersion: version, Calendar: patch}); err != nil {
		return s.cycleFailure(c, cy.ID, err)
	}
	return s.respondCycle(c, http.StatusOK, cy.ID)
}

// --- ceilings and targets -----------------------------------------------------

type ceilingsRequest struct {
	Ceilings *[]ceilingInput `json:"ceilings"`
}

// setCeilings replaces the cycle's pagu indikatif (PUT: the list given is
// the whole list; a kab/kota left out has no ceiling). If-Match is optional.
func (s *Server) setCeilings(c echo.Context) error {
	cy, actor, err := s.authorizedCycle(c, policies.ObjCycle, policies.ActUpdate, "Anda tidak berwenang menetapkan pagu indikatif siklus %s; hanya Kepala Dinas provinsinya.")
	if err != nil {
		return err
	}
	version, err := cycleIfMatch(c, false)
	if err != nil {
		return err
	}
	var req ceilingsRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Ceilings == nil {
		return invalidField("ceilings", "Sertakan daftar pagu indikatif ([] untuk menghapus semuanya), misalnya [{\"region_code\":\"%s.05\",\"amount_idr\":1500000000}].", cy.ProvinceCode)
	}
	ceilings := make([]domain.Ceiling, len(*req.Ceilings))
	for i, ce := range *req.Ceilings {
		ceilings[i] = domain.Ceiling{RegionCode: strings.TrimSpace(ce.RegionCode), AmountIDR: ce.AmountIDR}
	}
	var v domain.Validation
	if err := s.checkCeilings(c.Request().Context(), &v, cy.ProvinceCode, ceilings); err != nil {
		return err
	}
	if err := v.Err(); err != nil {
		return err
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	if _, err := workflows.SetCycleCeilings(wctx, s.temporal, cy.ID, workflows.SetCeilingsRequest{Actor: actor, ExpectedVersion: version, Ceilings: ceilings}); err != nil {
		return s.cycleFailure(c, cy.ID, err)
	}
	return s.respondCycle(c, http.StatusOK, cy.ID)
}

type targetsRequest struct {
	Targets *[]targetInput `json:"targets"`
}

// setTargets replaces the cycle's performance targets (PUT).
func (s *Server) setTargets(c echo.Context) error {
	cy, actor, err := s.authorizedCycle(c, policies.ObjCycle, policies.ActUpdate, "Anda tidak berwenang menetapkan target kinerja siklus %s; hanya Kepala Dinas provinsinya.")
	if err != nil {
		return err
	}
	version, err := cycleIfMatch(c, false)
	if err != nil {
		return err
	}
	var req targetsRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Targets == nil {
		return invalidField("targets", "Sertakan daftar target kinerja ([] untuk menghapus semuanya).")
	}
	var v domain.Validation
	targets := checkTargets(&v, *req.Targets)
	if err := v.Err(); err != nil {
		return err
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	if _, err := workflows.SetCycleTargets(wctx, s.temporal, cy.ID, workflows.SetTargetsRequest{Actor: actor, ExpectedVersion: version, Targets: targets}); err != nil {
		return s.cycleFailure(c, cy.ID, err)
	}
	return s.respondCycle(c, http.StatusOK, cy.ID)
}

// --- lock -------------------------------------------------------------------

type lockRequest struct {
	Comment string `json:"comment" text:"multiline"`
}

type lockResult struct {
	Cycle   store.CycleDetail `json:"cycle"`
	Moved   int               `json:"moved"`
	Skipped int               `json:"skipped"`
}

// lockCycle moves every consolidated proposal of the cycle to the ministry
// in one step. It is refused (409) while Rakorda has not ended or while any
// proposal in consolidation is not consolidated; the latter names each one
// in errors[] as "proposals.<id>". A lock of thousands may outlast the
// request: the client is then told 503 and follows GET .../lock, because
// the lock goes on in the workflow.
func (s *Server) lockCycle(c echo.Context) error {
	cy, actor, err := s.authorizedCycle(c, policies.ObjCycle, policies.ActLock, "Anda tidak berwenang mengunci siklus %s; hanya Kepala Dinas provinsinya.")
	if err != nil {
		return err
	}
	var req lockRequest
	if err := bindOptional(c, &req); err != nil {
		return err
	}
	var v domain.Validation
	checkLen(&v, "comment", "Komentar", req.Comment, maxComment)
	if err := v.Err(); err != nil {
		return err
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	res, err := workflows.LockCycle(wctx, s.temporal, cy.ID, workflows.LockCycleRequest{Actor: actor, Comment: strings.TrimSpace(req.Comment)})
	if err != nil {
		err = s.cycleFailure(c, cy.ID, err)
		if domain.ErrorCode(err) == domain.EUNAVAILABLE {
			return domain.Errorf(domain.EUNAVAILABLE,
				"Penguncian siklus %s belum selesai dalam waktu permintaan dan tetap berjalan; pantau kemajuannya di GET /api/v1/cycles/%s/lock sebelum mencoba lagi.", cy.ID, cy.ID)
		}
		return err
	}
	detail, err := s.db.GetCycleDetail(c.Request().Context(), cy.ID, s.now())
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(detail.Version))
	return c.JSON(http.StatusOK, lockResult{Cycle: detail, Moved: res.Moved, Skipped: res.Skipped})
}

type lockProgressView struct {
	Attempt   int           `json:"attempt"` // 0: never locked
	Running   bool          `json:"running"`
	Actor     *domain.Actor `json:"actor"`
	StartedAt *time.Time    `json:"started_at"`
	Total     int           `json:"total"`
	Moved     int           `json:"moved"`
	Skipped   int           `json:"skipped"`
	Failed    int           `json:"failed"`
}

// lockProgress shows how far the cycle's last lock got, from the cycle's
// workflow itself (the projection only learns of the lock at its end).
func (s *Server) lockProgress(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjLockProgress, policies.ActRead, "Anda tidak berwenang melihat kemajuan penguncian siklus %s.")
	if err != nil {
		return err
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	p, err := workflows.CycleLockProgress(wctx, s.temporal, cy.ID)
	if err != nil {
		return s.cycleFailure(c, cy.ID, err)
	}
	out := lockProgressView{Attempt: p.Attempt, Running: p.Running, Total: p.Total, Moved: p.Moved, Skipped: p.Skipped, Failed: p.Failed}
	if p.Attempt > 0 {
		actor, at := p.Actor, p.StartedAt.UTC()
		out.Actor, out.StartedAt = &actor, &at
	}
	return c.JSON(http.StatusOK, out)
}

// --- audit trail --------------------------------------------------------------

type cycleEventView struct {
	CycleID string          `json:"cycle_id"`
	Seq     int64           `json:"seq"`
	Action  string          `json:"action"`
	Actor   domain.Actor    `json:"actor"`
	Comment string          `json:"comment"`
	Payload json.RawMessage `json:"payload"`
	At      time.Time       `json:"at"`
}

type cycleEventList struct {
	Items []cycleEventView `json:"items"`
}

// cycleEvents lists the cycle's recorded changes, oldest first: who opened
// it, moved its dates, set its ceilings and targets, recorded the Rakorda
// and locked it. The workflow's run id (the event's origin) stays inside.
func (s *Server) cycleEvents(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjCycleEvents, policies.ActRead, "Anda tidak berwenang melihat riwayat perubahan siklus %s.")
	if err != nil {
		return err
	}
	events, err := s.db.ListCycleEvents(c.Request().Context(), cy.ID)
	if err != nil {
		return err
	}
	out := cycleEventList{Items: make([]cycleEventView, len(events))}
	for i, ev := range events {
		payload := ev.Payload
		if len(payload) == 0 {
			payload = json.RawMessage("{}")
		}
		out.Items[i] = cycleEventView{CycleID: ev.CycleID, Seq: ev.Seq, Action: ev.Action, Actor: ev.Actor, Comment: ev.Comment, Payload: payload, At: ev.At.UTC()}
	}
	return c.JSON(http.StatusOK, out)
}

// --- Rakorda ------------------------------------------------------------------

type agendaGroupView struct {
	KabKotaCode string         `json:"kabkota_code"`
	KabKotaName string         `json:"kabkota_name"`
	Proposals   []proposalView `json:"proposals"`
	Count       int            `json:"count"`
	TotalIDR    int64          `json:"total_idr"`
}

type rakordaView struct {
	CycleID      string                  `json:"cycle_id"`
	Phase        domain.Phase            `json:"phase"`
	Open         bool                    `json:"open"`
	RakordaStart time.Time               `json:"rakorda_start"`
	RakordaEnd   time.Time               `json:"rakorda_end"`
	Groups       []agendaGroupView       `json:"groups"`
	Count        int                     `json:"count"`
	TotalIDR     int64                   `json:"total_idr"`
	Decisions    []store.RakordaDecision `json:"decisions"`
	Agreements   []domain.Agreement      `json:"agreements"`
	Attendance   []domain.Attendee       `json:"attendance"`
}

// rakorda is the session's page: the agenda (proposals still in stage
// rakorda, grouped by kab/kota with each group's total, each with what the
// caller may do with it now), the decisions taken so far, the agreements
// and the attendance, and whether the session is open.
func (s *Server) rakorda(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjRakorda, policies.ActRead, "Anda tidak berwenang melihat agenda Rakorda siklus %s.")
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	rec, err := s.db.RakordaRecord(ctx, cy.ID, now)
	if err != nil {
		return err
	}
	out := rakordaView{
		CycleID: cy.ID, Phase: rec.Cycle.Phase, Open: rec.Cycle.RakordaOpen,
		RakordaStart: rec.Cycle.Calendar.RakordaStart, RakordaEnd: rec.Cycle.Calendar.RakordaEnd,
		Groups: make([]agendaGroupView, 0, len(rec.Undecided.Groups)), Count: rec.Undecided.Count, TotalIDR: rec.Undecided.TotalIDR,
		Decisions: rec.Decisions, Agreements: rec.Cycle.Agreements, Attendance: rec.Cycle.Attendance,
	}
	for _, g := range rec.Undecided.Groups {
		gv := agendaGroupView{KabKotaCode: g.KabKotaCode, KabKotaName: g.KabKotaName, Count: g.Count, TotalIDR: g.TotalIDR,
			Proposals: make([]proposalView, 0, len(g.Proposals))}
		for _, p := range g.Proposals {
			pv, err := s.view(ctx, user, p, &cy, now)
			if err != nil {
				return err
			}
			gv.Proposals = append(gv.Proposals, pv)
		}
		out.Groups = append(out.Groups, gv)
	}
	return c.JSON(http.StatusOK, out)
}

type agreementsRequest struct {
	Agreements *[]string `json:"agreements"`
}

// recordAgreements replaces the Rakorda's kesepakatan, numbered in the
// order given (PUT). The workflow accepts them from the opening of Rakorda
// until the cycle is locked.
func (s *Server) recordAgreements(c echo.Context) error {
	cy, actor, err := s.authorizedCycle(c, policies.ObjRakorda, policies.ActRecord, "Anda tidak berwenang mencatat kesepakatan Rakorda siklus %s.")
	if err != nil {
		return err
	}
	version, err := cycleIfMatch(c, false)
	if err != nil {
		return err
	}
	var req agreementsRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	var v domain.Validation
	if req.Agreements == nil {
		v.Add("agreements", "Sertakan daftar kesepakatan, satu teks per kesepakatan ([] untuk menghapus semuanya).")
	} else if n := len(*req.Agreements); n > maxAgreements {
		v.Add("agreements", "Paling banyak %d kesepakatan (sekarang %d).", maxAgreements, n)
	} else {
		for i, a := range *req.Agreements {
			field := fmt.Sprintf("agreements[%d]", i)
			if strings.TrimSpace(a) == "" {
				v.Add(field, "Kesepakatan nomor %d kosong; isi atau hapus.", i+1)
			}
			checkLen(&v, field, fmt.Sprintf("Kesepakatan nomor %d", i+1), a, maxAgreement)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	texts := make([]string, len(*req.Agreements))
	for i, a := range *req.Agreements {
		texts[i] = strings.TrimSpace(a)
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	if _, err := workflows.RecordRakordaAgreements(wctx, s.temporal, cy.ID, workflows.RecordAgreementsRequest{Actor: actor, ExpectedVersion: version, Agreements: texts}); err != nil {
		return s.cycleFailure(c, cy.ID, err)
	}
	return s.respondCycle(c, http.StatusOK, cy.ID)
}

type attendeeInput struct {
	Name        string `json:"name"`
	Position    string `json:"position"`
	Institution string `json:"institution"`
	RegionCode  string `json:"region_code"`
}

type attendanceRequest struct {
	Attendance *[]attendeeInput `json:"attendance"`
}

// recordAttendance replaces the Rakorda's daftar hadir, numbered in the
// order given (PUT).
func (s *Server) recordAttendance(c echo.Context) error {
	cy, actor, err := s.authorizedCycle(c, policies.ObjRakorda, policies.ActRecord, "Anda tidak berwenang mencatat daftar hadir Rakorda siklus %s.")
	if err != nil {
		return err
	}
	version, err := cycleIfMatch(c, false)
	if err != nil {
		return err
	}
	var req attendanceRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	var v domain.Validation
	var list []domain.Attendee
	switch {
	case req.Attendance == nil:
		v.Add("attendance", "Sertakan daftar hadir, satu objek {name, position, institution} per peserta ([] untuk mengosongkan).")
	case len(*req.Attendance) > maxAttendees:
		v.Add("attendance", "Paling banyak %d peserta (sekarang %d).", maxAttendees, len(*req.Attendance))
	default:
		for i, a := range *req.Attendance {
			prefix := fmt.Sprintf("attendance[%d]", i)
			at := domain.Attendee{Name: strings.TrimSpace(a.Name), Position: strings.TrimSpace(a.Position),
				Institution: strings.TrimSpace(a.Institution), RegionCode: strings.TrimSpace(a.RegionCode)}
			if at.Name == "" {
				v.Add(prefix+".name", "Nama peserta wajib diisi.")
			}
			checkLen(&v, prefix+".name", "Nama", at.Name, maxPersonField)
			checkLen(&v, prefix+".position", "Jabatan", at.Position, maxPersonField)
			checkLen(&v, prefix+".institution", "Instansi", at.Institution, maxPersonField)
			if at.RegionCode != "" {
				if _, err := domain.ParseRegionCode(at.RegionCode); err != nil || len(at.RegionCode) > 13 {
					v.Add(prefix+".region_code", "Kode wilayah %q tidak berbentuk 74, 74.05 atau 74.05.03.", at.RegionCode)
				}
			}
			list = append(list, at)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if list == nil {
		list = []domain.Attendee{}
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	if _, err := workflows.RecordRakordaAttendance(wctx, s.temporal, cy.ID, workflows.RecordAttendanceRequest{Actor: actor, ExpectedVersion: version, Attendance: list}); err != nil {
		return s.cycleFailure(c, cy.ID, err)
	}
	return s.respondCycle(c, http.StatusOK, cy.ID)
}

// rakordaMinutes renders the berita acara of the cycle's Rakorda as a PDF:
// attendance, the decision on every proposal, the agreements, what is still
// undecided. It reads the projection, so it says exactly what was recorded.
func (s *Server) rakordaMinutes(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjRakorda, policies.ActRead, "Anda tidak berwenang mengunduh berita acara Rakorda siklus %s.")
	if err != nil {
		return err
	}
	now := s.now()
	rec, err := s.db.RakordaRecord(c.Request().Context(), cy.ID, now)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := minutes.Render(&buf, rec, minutes.Options{GeneratedAt: now}); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, minutes.Filename(cy.ID)))
	return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
}

// --- consolidation --------------------------------------------------------------

type consolidationRowView struct {
	Proposal    proposalView    `json:"proposal"`
	KabKotaCode string          `json:"kabkota_code"`
	KabKotaName string          `json:"kabkota_name"`
	Warnings    []store.Warning `json:"warnings"`
}

type consolidationView struct {
	CycleID              string                 `json:"cycle_id"`
	Phase                domain.Phase           `json:"phase"`
	Locked               bool                   `json:"locked"`
	Rows                 []consolidationRowView `json:"rows"`
	Ceilings             []store.CeilingUsage   `json:"ceilings"`
	Targets              []store.TargetProgress `json:"targets"`
	Unconsolidated       int                    `json:"unconsolidated"`
	TotalProposedIDR     int64                  `json:"total_proposed_idr"`
	TotalConsolidatedIDR int64                  `json:"total_consolidated_idr"`
}

// consolidation is the provincial planner's working view: every proposal
// that reached consolidation or later, ranked within its kab/kota, with
// duplicate and BUMDes warnings and what the caller may do with it; the
// consumption of each ceiling; and the targets against the proposals'
// indicators.
func (s *Server) consolidation(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjConsolidation, policies.ActRead, "Anda tidak berwenang melihat konsolidasi siklus %s.")
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	v, err := s.db.ConsolidationView(ctx, cy.ID)
	if err != nil {
		return err
	}
	out := consolidationView{
		CycleID: cy.ID, Phase: cy.Calendar.PhaseAt(now), Locked: cy.Locked, Rows: make([]consolidationRowView, 0, len(v.Rows)),
		Ceilings: v.Ceilings, Targets: v.Targets, Unconsolidated: v.Unconsolidated,
		TotalProposedIDR: v.TotalProposedIDR, TotalConsolidatedIDR: v.TotalConsolidatedIDR,
	}
	for _, r := range v.Rows {
		pv, err := s.view(ctx, user, r.Proposal, &cy, now)
		if err != nil {
			return err
		}
		out.Rows = append(out.Rows, consolidationRowView{Proposal: pv, KabKotaCode: r.KabKotaCode, KabKotaName: r.KabKotaName, Warnings: r.Warnings})
	}
	return c.JSON(http.StatusOK, out)
}

// --- BUMDes businesses --------------------------------------------------------

type bumdesList struct {
	Items []store.BUMDesBusiness `json:"items"`
}

// listBUMDes lists the recorded BUMDes businesses of the cycle's province
// that the caller may read: each is decided on its own desa, so a kab/kota
// planner sees those of its kab/kota.
func (s *Server) listBUMDes(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjBUMDes, policies.ActRead, "Anda tidak berwenang melihat data usaha BUMDes siklus %s.")
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	all, err := s.db.ListBUMDesBusinesses(ctx, cy.ProvinceCode, false)
	if err != nil {
		return err
	}
	out := bumdesList{Items: []store.BUMDesBusiness{}}
	for _, b := range all {
		d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjBUMDes, Action: policies.ActRead, Region: b.RegionCode, At: now})
		if err != nil {
			return err
		}
		if d.Allowed {
			out.Items = append(out.Items, b)
		}
	}
	return c.JSON(http.StatusOK, out)
}

type bumdesRequest struct {
	RegionCode string   `json:"region_code"`
	Name       string   `json:"name"`
	Business   string   `json:"business"`
	Keywords   []string `json:"keywords"`
}

// bumdesID names a new BUMDes business record; with an Idempotency-Key it
// is derived from (user, key), so a retried POST writes the same record
// again instead of a second one.
func bumdesID(username, key string) string {
	var b [10]byte
	if key == "" {
		_, _ = rand.Read(b[:])
	} else {
		sum := sha256.Sum256([]byte("rencana/bumdes\x00" + username + "\x00" + key))
		copy(b[:], sum[:])
	}
	return "bdm-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// createBUMDes records a business a BUMDes runs in a desa of the cycle's
// province, so that consolidation warns about proposals that would compete
// with it. Businesses belong to the desa, not to the cycle: the cycle in the
// path is where the planner works and which province is meant.
func (s *Server) createBUMDes(c echo.Context) error {
	cy, err := s.visibleCycle(c)
	if err != nil {
		return err
	}
	var req bumdesRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	b := store.BUMDesBusiness{
		ID: bumdesID(user, key), RegionCode: strings.TrimSpace(req.RegionCode), Name: strings.TrimSpace(req.Name),
		Business: strings.TrimSpace(req.Business), Active: true, UpdatedAt: now.UTC(),
	}
	var v domain.Validation
	lvl, perr := domain.ParseRegionCode(b.RegionCode)
	switch {
	case b.RegionCode == "":
		v.Add("region_code", "Kode desa wajib diisi, misalnya %s.05.03.2001.", cy.ProvinceCode)
	case len(b.RegionCode) > 13 || perr != nil || lvl != domain.LevelDesa:
		v.Add("region_code", "Kode %q bukan kode desa/kelurahan (empat segmen, misalnya 74.05.03.2001).", b.RegionCode)
	case domain.RegionProvince(b.RegionCode) != cy.ProvinceCode:
		v.Add("region_code", "Desa %s tidak termasuk provinsi %s dari siklus %s.", b.RegionCode, cy.ProvinceCode, cy.ID)
	default:
		ok, err := s.db.RegionExists(ctx, b.RegionCode)
		if err != nil {
			return err
		}
		if !ok {
			v.Add("region_code", "Desa %q tidak ada dalam daftar wilayah Kemendagri.", b.RegionCode)
		}
	}
	if b.Name == "" {
		v.Add("name", "Nama BUMDes wajib diisi, misalnya BUMDes Maju Bersama.")
	}
	checkLen(&v, "name", "Nama BUMDes", b.Name, maxPersonField)
	if b.Business == "" {
		v.Add("business", "Jenis usaha wajib diisi, misalnya pengolahan kopi bubuk.")
	}
	checkLen(&v, "business", "Jenis usaha", b.Business, maxBUMDesBusiness)
	if len(req.Keywords) > maxBUMDesKeywords {
		v.Add("keywords", "Paling banyak %d kata kunci (sekarang %d).", maxBUMDesKeywords, len(req.Keywords))
	}
	for i, k := range req.Keywords {
		checkLen(&v, fmt.Sprintf("keywords[%d]", i), "Kata kunci", k, maxKeyword)
		if k = strings.TrimSpace(k); k != "" {
			b.Keywords = append(b.Keywords, k)
		}
	}
	if len(b.Keywords) == 0 {
		v.Add("keywords", "Minimal satu kata kunci usaha wajib diisi (kata yang akan muncul di judul usulan yang menyainginya, misalnya kopi).")
	}
	if err := v.Err(); err != nil {
		return err
	}
	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjBUMDes, Action: policies.ActManage, Region: b.RegionCode, At: now})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang mencatat usaha BUMDes di desa %s.", b.RegionCode)
	}
	if err := s.db.SaveBUMDesBusiness(ctx, b); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, b)
}

// --- OpenAPI ------------------------------------------------------------------

var pCycleID = Param{Name: "id", In: "path", Required: true, Desc: "Id siklus, misalnya 74-2027.", Schema: str("")}

// cycleOperations documents cycleRoutes.
func cycleOperations() []Operation {
	idem := Param{Name: "Idempotency-Key", In: "header", Desc: "Kunci unik per percobaan: pengiriman ulang dengan kunci yang sama menghasilkan hasil yang sama.", Schema: str("")}
	optIfMatch := Param{Name: "If-Match", In: "header", Desc: "ETag siklus yang diharapkan (opsional); 412 bila siklus sudah berubah.", Schema: str("")}
	change := []int{403, 404, 409, 412, 415, 422, 503}
	return []Operation{
		{Method: "POST", Path: "/api/v1/cycles", ID: "createCycle", Tag: "siklus",
			Summary: "Buka siklus perencanaan provinsi untuk tahun anggaran N (Kepala Dinas provinsi). Aturan N-1: dibuka pada tahun N-1 dan semua tanggal kalender jatuh pada tahun N-1, berurutan.",
			Params:  []Param{idem}, Body: "CycleCreate", BodyReq: true, Status: 201, Result: "Cycle", Errors: []int{403, 409, 415, 422, 503}},
		{Method: "PATCH", Path: "/api/v1/cycles/{id}", ID: "moveCycle", Tag: "siklus",
			Summary: "Geser tanggal kalender; menjawab setelah semua usulan terbuka menerima kalender baru.",
			Params:  []Param{pCycleID, {Name: "If-Match", In: "header", Required: true, Desc: "ETag dari GET siklus.", Schema: str("")}},
			Body:    "CyclePatch", BodyReq: true, Status: 200, Result: "Cycle", Errors: []int{403, 404, 409, 412, 415, 422, 428, 503}},
		{Method: "PUT", Path: "/api/v1/cycles/{id}/ceilings", ID: "setCeilings", Tag: "siklus",
			Summary: "Tetapkan pagu indikatif per kab/kota (seluruh daftar); konsolidasi yang melampauinya ditolak.",
			Params:  []Param{pCycleID, optIfMatch}, Body: "CeilingsInput", BodyReq: true, Status: 200, Result: "Cycle", Errors: change},
		{Method: "PUT", Path: "/api/v1/cycles/{id}/targets", ID: "setTargets", Tag: "siklus",
			Summary: "Tetapkan target kinerja provinsi (seluruh daftar).",
			Params:  []Param{pCycleID, optIfMatch}, Body: "TargetsInput", BodyReq: true, Status: 200, Result: "Cycle", Errors: change},
		{Method: "POST", Path: "/api/v1/cycles/{id}/actions/lock", ID: "lockCycle", Tag: "siklus",
			Summary: "Kunci daftar konsolidasi: semua usulan terkonsolidasi pindah ke tahap kementerian. Ditolak (409, errors[] berisi proposals.<id>) selama ada usulan yang belum dikonsolidasi.",
			Params:  []Param{pCycleID}, Body: "LockRequest", Status: 200, Result: "LockResult", Errors: []int{403, 404, 409, 415, 422, 503}},
		{Method: "GET", Path: "/api/v1/cycles/{id}/lock", ID: "lockProgress", Tag: "siklus",
			Summary: "Kemajuan penguncian terakhir.", Params: []Param{pCycleID}, Status: 200, Result: "LockProgress", Errors: []int{404, 409, 503}},
		{Method: "GET", Path: "/api/v1/cycles/{id}/events", ID: "cycleEvents", Tag: "siklus",
			Summary: "Riwayat perubahan siklus, terlama dahulu.", Params: []Param{pCycleID}, Status: 200, Result: "CycleEventList", Errors: []int{404}},
		{Method: "GET", Path: "/api/v1/cycles/{id}/rakorda", ID: "rakorda", Tag: "rakorda",
			Summary: "Agenda Rakorda per kab/kota dengan jumlahnya, keputusan, kesepakatan, daftar hadir, dan apakah sidang dibuka.",
			Params:  []Param{pCycleID}, Status: 200, Result: "RakordaView", Errors: []int{403, 404}},
		{Method: "PUT", Path: "/api/v1/cycles/{id}/rakorda/agreements", ID: "recordAgreements", Tag: "rakorda",
			Summary: "Catat kesepakatan Rakorda (seluruh daftar, bernomor sesuai urutan); sejak Rakorda dibuka sampai siklus dikunci.",
			Params:  []Param{pCycleID, optIfMatch}, Body: "AgreementsInput", BodyReq: true, Status: 200, Result: "Cycle", Errors: change},
		{Method: "PUT", Path: "/api/v1/cycles/{id}/rakorda/attendance", ID: "recordAttendance", Tag: "rakorda",
			Summary: "Catat daftar hadir Rakorda (seluruh daftar); sejak Rakorda dibuka sampai siklus dikunci.",
			Params:  []Param{pCycleID, optIfMatch}, Body: "AttendanceInput", BodyReq: true, Status: 200, Result: "Cycle", Errors: change},
		{Method: "GET", Path: "/api/v1/cycles/{id}/rakorda/minutes.pdf", ID: "rakordaMinutes", Tag: "rakorda",
			Summary: "Berita acara Rakorda (PDF): daftar hadir, keputusan atas setiap usulan, kesepakatan.",
			Params:  []Param{pCycleID}, Status: 200, ResultType: "application/pdf", Errors: []int{403, 404}},
		{Method: "GET", Path: "/api/v1/cycles/{id}/consolidation", ID: "consolidation", Tag: "konsolidasi",
			Summary: "Konsolidasi provinsi: usulan berperingkat per kab/kota dengan peringatan duplikat dan BUMDes, serapan pagu indikatif, capaian target.",
			Params:  []Param{pCycleID}, Status: 200, Result: "ConsolidationView", Errors: []int{403, 404}},
		{Method: "GET", Path: "/api/v1/cycles/{id}/bumdes", ID: "listBUMDes", Tag: "konsolidasi",
			Summary: "Usaha BUMDes yang tercatat di provinsi siklus dan boleh Anda lihat.",
			Params:  []Param{pCycleID}, Status: 200, Result: "BUMDesList", Errors: []int{403, 404}},
		{Method: "POST", Path: "/api/v1/cycles/{id}/bumdes", ID: "createBUMDes", Tag: "konsolidasi",
			Summary: "Catat usaha yang dijalankan BUMDes di sebuah desa provinsi siklus; konsolidasi memperingatkan usulan yang menyainginya.",
			Params:  []Param{pCycleID, idem}, Body: "BUMDesCreate", BodyReq: true, Status: 201, Result: "BUMDes", Errors: []int{403, 404, 415, 422}},
	}
}

func rupiahSchema(desc string) jsonObject {
	o := integer(desc + " Bilangan bulat rupiah.")
	o["minimum"] = 0
	return o
}

// requiredAll lists every property of props as required, for answers that
// always carry every key.
func requiredAll(props jsonObject) []string {
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func closedObject(props jsonObject) jsonObject { return object(requiredAll(props), props) }

// cycleSchemas are the schemas cycleOperations (and GET /cycles) refer to.
func cycleSchemas() jsonObject {
	calProps, calText := jsonObject{}, jsonObject{}
	for _, f := range (domain.Calendar{}).Fields() {
		calProps[f.Name] = dateTime(f.Name)
		calText[f.Name] = jsonObject{"type": "string", "format": "date-time", "description": f.Name + " (RFC 3339)."}
	}
	phase := strEnum("Fase siklus menurut kalender saat ini.", "drafting", "review", "rakorda", "consolidation", "ministry", "mapping", "closed")
	actor := closedObject(jsonObject{"username": str("Pelaku."), "role": str("Peran."), "scope": str("Cakupan.")})
	cycleProps := jsonObject{
		"id": str("Id siklus, misalnya 74-2027."), "province_code": str("Provinsi."), "fiscal_year": integer("Tahun anggaran (N)."),
		"calendar": ref("Calendar"), "locked": boolean("Daftar konsolidasi sudah dikunci."),
		"locked_at": nullable(dateTime("Waktu penguncian.")), "locked_by": str("Pengunci."),
		"version":    integer("Jumlah perubahan yang dicatat alur kerja siklus; juga ETag untuk If-Match."),
		"created_by": str("Pembuka siklus."), "created_at": dateTime("Dibuat."), "updated_at": dateTime("Diubah."),
		"phase": phase, "rakorda_open": boolean("Sidang Rakorda sedang dibuka."),
		"ceilings": array(ref("Ceiling")), "targets": array(ref("Target")),
		"agreements": array(ref("Agreement")), "attendance": array(ref("Attendee")),
	}
	targetProps := func() jsonObject {
		return jsonObject{
			"code": str("Kode target, unik dalam siklus."), "name": str("Nama target."),
			"keywords":    array(str("Frasa yang dicari pada nama indikator usulan.")),
			"unit":        str("Satuan indikator yang dihitung; kosong: semua satuan."),
			"baseline":    number("Nilai dasar untuk target persentase (mis. jumlah koperasi aktif)."),
			"percent_min": number("Persentase minimal dari baseline."), "percent_max": number("Persentase maksimal dari baseline."),
			"min": number("Target minimal absolut."), "max": number("Target maksimal absolut; 0: tanpa batas atas."),
		}
	}
	ceilingInput := object([]string{"region_code", "amount_idr"}, jsonObject{
		"region_code": str("Kab/kota provinsi siklus, atau provinsi itu sendiri untuk usulan tingkat provinsi."),
		"amount_idr":  rupiahSchema("Pagu indikatif, lebih dari 0."),
	})
	return jsonObject{
		"Calendar":      object(requiredAll(calProps), calProps),
		"CalendarInput": object(nil, calText),
		"Cycle":         closedObject(cycleProps),
		"CycleList":     object([]string{"items"}, jsonObject{"items": array(ref("Cycle"))}),
		"Ceiling":       object([]string{"region_code", "amount_idr"}, jsonObject{"region_code": str("Kab/kota atau provinsi."), "amount_idr": rupiahSchema("Pagu indikatif.")}),
		"Target":        object([]string{"code", "name", "keywords", "unit"}, targetProps()),
		"Agreement":     closedObject(jsonObject{"number": integer("Nomor urut."), "text": str("Isi kesepakatan.")}),
		"Attendee": object([]string{"number", "name", "position", "institution"}, jsonObject{
			"number": integer("Nomor urut."), "name": str("Nama."), "position": str("Jabatan."), "institution": str("Instansi."),
			"region_code": str("Wilayah yang diwakili (opsional)."),
		}),
		"CycleCreate": object([]string{"province_code", "fiscal_year", "calendar"}, jsonObject{
			"province_code": str("Kode provinsi, misalnya 74."),
			"fiscal_year":   integer("Tahun anggaran N; siklus dibuka pada tahun N-1."),
			"calendar":      ref("CalendarInput"),
			"ceilings":      array(ceilingInput),
			"targets":       array(object([]string{"code", "name", "keywords"}, targetProps())),
		}),
		"CyclePatch": object([]string{"calendar"}, jsonObject{"calendar": ref("CalendarInput")}),
		"CeilingsInput": object([]string{"ceilings"}, jsonObject{
			"ceilings": array(ceilingInput),
		}),
		"TargetsInput": object([]string{"targets"}, jsonObject{
			"targets": array(object([]string{"code", "name", "keywords"}, targetProps())),
		}),
		"AgreementsInput": object([]string{"agreements"}, jsonObject{
			"agreements": array(str("Isi satu kesepakatan, paling panjang 4000 karakter; bernomor sesuai urutan.")),
		}),
		"AttendanceInput": object([]string{"attendance"}, jsonObject{
			"attendance": array(object([]string{"name"}, jsonObject{
				"name": str("Nama, wajib."), "position": str("Jabatan."), "institution": str("Instansi."),
				"region_code": str("Wilayah yang diwakili (opsional)."),
			})),
		}),
		"LockRequest": object(nil, jsonObject{"comment": str("Catatan penguncian (opsional).")}),
		"LockResult": closedObject(jsonObject{
			"cycle": ref("Cycle"), "moved": integer("Usulan yang dipindahkan ke tahap kementerian."),
			"skipped": integer("Usulan yang sudah dipindahkan sebelumnya."),
		}),
		"LockProgress": closedObject(jsonObject{
			"attempt": integer("Penguncian ke-; 0 bila belum pernah."), "running": boolean("Sedang berjalan."),
			"actor": nullable(actor), "started_at": nullable(dateTime("Mulai.")),
			"total": integer("Usulan terkonsolidasi saat mulai."), "moved": integer("Sudah dipindahkan."),
			"skipped": integer("Dilewati (sudah pindah)."), "failed": integer("Gagal dipindahkan."),
		}),
		"CycleEvent": closedObject(jsonObject{
			"cycle_id": str("Siklus."), "seq": integer("Urutan."),
			"action": strEnum("Perubahan.", "create", "move_calendar", "set_ceilings", "set_targets", "record_agreements", "record_attendance", "lock"),
			"actor":  actor, "comment": str("Catatan."),
			"payload": jsonObject{"type": "object", "description": "Isi perubahan."}, "at": dateTime("Waktu."),
		}),
		"CycleEventList": object([]string{"items"}, jsonObject{"items": array(ref("CycleEvent"))}),
		"AgendaGroup": closedObject(jsonObject{
			"kabkota_code": str("Kab/kota (atau provinsi untuk usulan provinsi)."), "kabkota_name": str("Nama."),
			"proposals": array(ref("Proposal")), "count": integer("Jumlah usulan."), "total_idr": rupiahSchema("Jumlah pagu usulan."),
		}),
		"RakordaDecision": closedObject(jsonObject{
			"proposal_id": str("Usulan."), "title": str("Judul."), "region_code": str("Wilayah."), "region_name": str("Nama wilayah."),
			"kabkota_code": str("Kab/kota."), "kabkota_name": str("Nama kab/kota."), "category": str("Kategori."),
			"amount_idr": rupiahSchema("Pagu usulan."), "decision": strEnum("Keputusan.", "accept", "defer", "reject"),
			"comment": str("Alasan."), "actor": actor, "at": dateTime("Waktu."),
		}),
		"RakordaView": closedObject(jsonObject{
			"cycle_id": str("Siklus."), "phase": phase, "open": boolean("Sidang dibuka sekarang: accept/defer/reject hanya saat dibuka."),
			"rakorda_start": dateTime("Pembukaan."), "rakorda_end": dateTime("Penutupan."),
			"groups": array(ref("AgendaGroup")), "count": integer("Usulan pada agenda."), "total_idr": rupiahSchema("Jumlah pagu usulan pada agenda."),
			"decisions": array(ref("RakordaDecision")), "agreements": array(ref("Agreement")), "attendance": array(ref("Attendee")),
		}),
		"Warning": object([]string{"kind", "message"}, jsonObject{
			"kind": strEnum("Jenis peringatan.", store.WarningDuplicate, store.WarningBUMDes), "message": str("Penjelasan."),
			"proposal_id": str("Usulan lain (duplikat)."), "bumdes_id": str("Usaha BUMDes."),
			"similarity": number("Kesamaan judul 0-1 (duplikat)."),
		}),
		"ConsolidationRow": closedObject(jsonObject{
			"proposal": ref("Proposal"), "kabkota_code": str("Kab/kota."), "kabkota_name": str("Nama kab/kota."),
			"warnings": array(ref("Warning")),
		}),
		"CeilingUsage": closedObject(jsonObject{
			"region_code": str("Kab/kota atau provinsi."), "region_name": str("Nama."),
			"ceiling_idr":  nullable(rupiahSchema("Pagu indikatif; null bila tidak ditetapkan.")),
			"consumed_idr": rupiahSchema("Jumlah pagu konsolidasi."), "remaining_idr": nullable(integer("Sisa pagu; null tanpa pagu.")),
			"proposed_idr": rupiahSchema("Jumlah pagu usulan."), "count": integer("Usulan."), "consolidated_count": integer("Usulan terkonsolidasi."),
		}),
		"TargetProgress": closedObject(jsonObject{
			"target": ref("Target"), "min_value": number("Target minimal."), "max_value": number("Target maksimal; 0 tanpa batas."),
			"achieved": number("Jumlah indikator usulan yang cocok."), "status": strEnum("Capaian.", store.TargetBelow, store.TargetMet, store.TargetAbove),
			"proposal_ids": array(str("Usulan yang dihitung.")),
		}),
		"ConsolidationView": closedObject(jsonObject{
			"cycle_id": str("Siklus."), "phase": phase, "locked": boolean("Sudah dikunci."),
			"rows": array(ref("ConsolidationRow")), "ceilings": array(ref("CeilingUsage")), "targets": array(ref("TargetProgress")),
			"unconsolidated":     integer("Usulan pada tahap konsolidasi yang belum dikonsolidasi."),
			"total_proposed_idr": rupiahSchema("Jumlah pagu usulan."), "total_consolidated_idr": rupiahSchema("Jumlah pagu konsolidasi."),
		}),
		"BUMDes": closedObject(jsonObject{
			"id": str("Id catatan."), "region_code": str("Desa."), "name": str("Nama BUMDes."), "business": str("Jenis usaha."),
			"keywords": array(str("Kata kunci usaha.")), "active": boolean("Masih berjalan."), "updated_at": dateTime("Diubah."),
		}),
		"BUMDesList": object([]string{"items"}, jsonObject{"items": array(ref("BUMDes"))}),
		"BUMDesCreate": object([]string{"region_code", "name", "business", "keywords"}, jsonObject{
			"region_code": str("Kode desa di provinsi siklus, misalnya 74.05.03.2001."), "name": str("Nama BUMDes, paling panjang 200 karakter."),
			"business": str("Jenis usaha, paling panjang 500 karakter."),
			"keywords": array(str("Kata yang muncul di judul atau uraian usulan yang menyainginya, misalnya kopi; 1-20.")),
		}),
	}
}
