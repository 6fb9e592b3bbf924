package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// Koperasi Merah Putih (issue 19; DESIGN.md, "Koperasi Merah Putih"). The
// handlers read the KMP projection (store.KMP) and change a KMP only
// through its workflow's milestone Update, which answers once the change
// is projected. Casbin object "kmp": read, start, record, import.

// kmpRoutes registers the KMP endpoints.
func (s *Server) kmpRoutes(v1 *echo.Group, a []echo.MiddlewareFunc) {
	v1.POST("/kmp/start", s.startKMP, a...)
	v1.GET("/kmp/start/:job", s.kmpStartJob, a...)
	v1.GET("/kmp/summary", s.kmpSummary, a...)
	v1.GET("/kmp/export", s.kmpExport, a...)
	s.exemptBodyLimit(v1.POST("/kmp/imports", s.importKMP, a...))
	v1.GET("/kmp", s.listKMP, a...)
	v1.GET("/kmp/:code", s.getKMP, a...)
	v1.POST("/kmp/:code/milestones/:milestone", s.recordKMPMilestone, a...)
}

// maxKMPImportBytes bounds an import file: a national portal export of
// every desa and milestone is about 40 MB.
const maxKMPImportBytes = 64 << 20

// kmpDecide asks Casbin whether the caller may do act on the KMPs of region.
func (s *Server) kmpDecide(c echo.Context, act, region string) (policies.Decision, error) {
	return s.authz.Decide(c.Request().Context(), policies.Request{Username: currentUser(c), Object: policies.ObjKMP,
		Action: act, Region: region, At: s.now()})
}

// --- views ---------------------------------------------------------------------

// kmpMilestoneView is one milestone of a KMP: its deadline and, once
// recorded, what was recorded.
type kmpMilestoneView struct {
	Milestone domain.KMPMilestone `json:"milestone"`
	Label     string              `json:"label"`
	Reached   bool                `json:"reached"`
	DueAt     *time.Time          `json:"due_at"`
	Record    *store.KMPRecord    `json:"record"`
}

// kmpView is a KMP as the API answers with it.
type kmpView struct {
	RegionCode    string              `json:"region_code"`
	Name          string              `json:"name"`
	KoperasiName  string              `json:"koperasi_name"`
	Reached       int                 `json:"reached"`
	Milestone     domain.KMPMilestone `json:"milestone"`      // the last reached, "" before musdes
	NextMilestone domain.KMPMilestone `json:"next_milestone"` // "" once operasional
	NextDueAt     *time.Time          `json:"next_due_at"`
	Late          bool                `json:"late"`
	Escalation    string              `json:"escalation"`
	Milestones    []kmpMilestoneView  `json:"milestones"`
	Warnings      []string            `json:"warnings"`
	// CanRecord says whether the caller may record next_milestone.
	CanRecord bool      `json:"can_record"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func kmpViewOf(k store.KMP, canRecord bool) kmpView {
	v := kmpView{RegionCode: k.RegionCode, Name: k.Name, KoperasiName: domain.KMPName(k.RegionCode, k.Name), Reached: k.Reached,
		Milestone: k.Milestone(), NextMilestone: k.Next(), NextDueAt: k.NextDueAt, Late: k.Late, Escalation: k.Escalation,
		Warnings: k.Warnings, CanRecord: canRecord && k.Next() != "", StartedAt: k.StartedAt, UpdatedAt: k.UpdatedAt}
	if v.Warnings == nil {
		v.Warnings = []string{}
	}
	for _, st := range domain.KMPSteps {
		mv := kmpMilestoneView{Milestone: st.Milestone, Label: st.Label, Reached: k.Reached >= st.Order}
		if t, ok := k.Deadlines[st.Milestone]; ok {
			t := t.UTC()
			mv.DueAt = &t
		}
		for i := range k.Records {
			if k.Records[i].Milestone == st.Milestone {
				mv.Record = &k.Records[i]
			}
		}
		v.Milestones = append(v.Milestones, mv)
	}
	return v
}

// --- reading -------------------------------------------------------------------

// visibleKMP reads a desa's KMP if the caller may see it; another
// region's KMP is 404, like an absent one.
func (s *Server) visibleKMP(c echo.Context, code string) (store.KMP, error) {
	if lvl, err := domain.ParseRegionCode(code); err != nil || lvl != domain.LevelDesa {
		return store.KMP{}, domain.Errorf(domain.ENOTFOUND, "KMP %q tidak ditemukan: kodenya bukan kode desa/kelurahan.", code)
	}
	d, err := s.kmpDecide(c, policies.ActRead, code)
	if err != nil {
		return store.KMP{}, err
	}
	if !d.Allowed {
		return store.KMP{}, domain.Errorf(domain.ENOTFOUND, "Pembentukan KMP di wilayah %q belum dimulai.", code)
	}
	return s.db.GetKMP(c.Request().Context(), code)
}

func (s *Server) getKMP(c echo.Context) error {
	k, err := s.visibleKMP(c, c.Param("code"))
	if err != nil {
		return err
	}
	d, err := s.kmpDecide(c, policies.ActRecord, k.RegionCode)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, kmpViewOf(k, d.Allowed))
}

// kmpRegion resolves the region query parameter of the lists and the
// summary: when absent, the caller's only scope (a camat's kecamatan, an
// operator's desa); it must be a known region the caller may read.
func (s *Server) kmpRegion(c echo.Context) (string, error) {
	ctx := c.Request().Context()
	region := strings.TrimSpace(c.QueryParam("region"))
	if region == "" {
		grants, err := s.authz.ActiveGrants(ctx, currentUser(c), s.now())
		if err != nil {
			return "", err
		}
		for _, g := range grants {
			if d, err := s.kmpDecide(c, policies.ActRead, g.Scope); err == nil && d.Allowed {
				region = g.Scope
				break
			}
		}
		if region == "" {
			return "", domain.Errorf(domain.EFORBIDDEN, "Peran Anda tidak dapat melihat pembentukan KMP.")
		}
	}
	if region != domain.NationalScope {
		if _, err := domain.ParseRegionCode(region); err != nil {
			return "", invalidField("region", "%s", err.Error())
		}
		if _, err := s.db.GetRegion(ctx, region); err != nil {
			return "", err
		}
	}
	d, err := s.kmpDecide(c, policies.ActRead, region)
	if err != nil {
		return "", err
	}
	if !d.Allowed {
		return "", domain.Errorf(domain.EFORBIDDEN, "Wilayah %s di luar cakupan Anda.", region)
	}
	return region, nil
}

type kmpList struct {
	Items      []kmpView `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

// listKMP lists the KMPs under a region in code order, paged by code;
// late=true keeps the late ones, late=false the others.
func (s *Server) listKMP(c echo.Context) error {
	region, err := s.kmpRegion(c)
	if err != nil {
		return err
	}
	q := store.KMPQuery{Region: region}
	switch c.QueryParam("late") {
	case "":
	case "true":
		t := true
		q.Late = &t
	case "false":
		f := false
		q.Late = &f
	default:
		return invalidField("late", "Isi true atau false.")
	}
	limit, err := queryInt(c, "limit", 1, store.MaxPageSize, 50)
	if err != nil {
		return err
	}
	var cur struct {
		Code string `json:"c"`
	}
	if _, err := decodeCursor(c, &cur); err != nil {
		return err
	}
	q.After, q.Limit = cur.Code, limit+1
	ks, err := s.db.ListKMP(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := kmpList{Items: []kmpView{}}
	for i, k := range ks {
		if i == limit {
			next := encodeCursor(map[string]string{"c": ks[i-1].RegionCode})
			out.NextCursor = &next
			break
		}
		out.Items = append(out.Items, kmpViewOf(k, false))
	}
	return c.JSON(http.StatusOK, out)
}

// kmpSummary answers the dashboard's counts of a region and its children.
func (s *Server) kmpSummary(c echo.Context) error {
	region, err := s.kmpRegion(c)
	if err != nil {
		return err
	}
	sum, err := s.db.KMPSummary(c.Request().Context(), region)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sum)
}

// kmpExport is the dashboard as XLSX: the summary by child region and
// every KMP of the region, late ones first.
func (s *Server) kmpExport(c echo.Context) error {
	region, err := s.kmpRegion(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sum, err := s.db.KMPSummary(ctx, region)
	if err != nil {
		return err
	}
	late, onTime := true, false
	lateRows, err := s.db.ListKMP(ctx, store.KMPQuery{Region: region, Late: &late})
	if err != nil {
		return err
	}
	rest, err := s.db.ListKMP(ctx, store.KMPQuery{Region: region, Late: &onTime})
	if err != nil {
		return err
	}
	name := "kmp-" + strings.ReplaceAll(strings.ReplaceAll(region, "*", "nasional"), ".", "-") + ".xlsx"
	c.Response().Header().Set(echo.HeaderContentType, export.XLSX.ContentType())
	c.Response().Header().Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Response().WriteHeader(http.StatusOK)
	return export.WriteKMPXLSX(c.Response(), sum, append(lateRows, rest...), domain.ZoneOf(region))
}

// --- recording a milestone --------------------------------------------------------

// recordKMPMilestone records a milestone through the KMP's workflow: 200
// with the KMP (and any BUMDes warnings), 409 out of order, 422 a missing
// or malformed field, 403 for a role that does not record milestones.
func (s *Server) recordKMPMilestone(c echo.Context) error {
	k, err := s.visibleKMP(c, c.Param("code"))
	if err != nil {
		return err
	}
	m := domain.KMPMilestone(c.Param("milestone"))
	if _, ok := m.Step(); !ok {
		return domain.Errorf(domain.ENOTFOUND, "Tahap %q tidak dikenal; tahapnya: %s.", m, milestoneList())
	}
	d, err := s.kmpDecide(c, policies.ActRecord, k.RegionCode)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Tahap KMP dicatat oleh operator desa/kelurahan atau camatnya.")
	}
	var f domain.KMPFields
	if err := bind(c, &f); err != nil {
		return err
	}
	if err := f.Validate(m); err != nil {
		return err // the workflow's validator says the same; no round trip for it
	}
	actor := domain.Actor{Username: currentUser(c), Role: d.Role, Scope: d.Scope}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	out, err := workflows.RecordKMPMilestone(wctx, s.temporal, k.RegionCode, "", workflows.KMPMilestoneRequest{Actor: actor, Milestone: m, Fields: f})
	if err != nil {
		return s.workflowFailure(c, err)
	}
	return c.JSON(http.StatusOK, kmpViewOf(out, true))
}

func milestoneList() string {
	var names []string
	for _, m := range domain.KMPMilestones {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

// --- bulk start -----------------------------------------------------------------

type kmpStartInput struct {
	Region    string            `json:"region"`
	Deadlines map[string]string `json:"deadlines"`
}

// kmpStartView is a bulk start job: started and already are the contract's
// counts so far; status says whether they are final.
type kmpStartView struct {
	Job        string              `json:"job"`
	Region     string              `json:"region"`
	Status     string              `json:"status"`
	Total      int64               `json:"total"`
	Started    int64               `json:"started"`
	Already    int64               `json:"already"`
	Failed     int64               `json:"failed"`
	Deadlines  domain.KMPDeadlines `json:"deadlines"`
	Progress   string              `json:"progress"` // where to follow it
	CreatedAt  time.Time           `json:"created_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
	FinishedAt *time.Time          `json:"finished_at"`
}

func kmpStartViewOf(j store.KMPStartJob) kmpStartView {
	return kmpStartView{Job: j.ID, Region: j.Region, Status: j.Status, Total: j.Total, Started: j.Started, Already: j.Already,
		Failed: j.Failed, Deadlines: j.Deadlines, Progress: "/api/v1/kmp/start/" + j.ID, CreatedAt: j.CreatedAt,
		UpdatedAt: j.UpdatedAt, FinishedAt: j.FinishedAt}
}

// kmpStartWait is how long POST /kmp/start waits for its job to finish
// before answering with the counts so far: a kab/kota's few hundred desa
// are done within it, a province or the country is followed at
// GET /kmp/start/{job}.
const kmpStartWait = 10 * time.Second

// startKMP starts a KMP workflow in every desa/kelurahan under a region, as
// a job (KMPStartWorkflow) that goes on after the answer: 202 with the
// counts so far and where to follow them. Repeating it is safe: desa whose
// workflow exists are counted as already started. An Idempotency-Key makes
// a retried request answer with the same job.
func (s *Server) startKMP(c echo.Context) error {
	ctx := c.Request().Context()
	var in kmpStartInput
	if err := bind(c, &in); err != nil {
		return err
	}
	var v domain.Validation
	region := strings.TrimSpace(in.Region)
	switch lvl, err := domain.ParseRegionCode(region); {
	case region == domain.NationalScope:
	case err != nil || lvl > domain.LevelKabKota:
		v.Add("region", "Wilayah harus kode kabupaten/kota (64.02), provinsi (64) atau \"*\" untuk seluruh Indonesia.")
	default:
		if _, err := s.db.GetRegion(ctx, region); err != nil {
			v.Add("region", "Wilayah %q tidak ada dalam daftar wilayah Kemendagri.", region)
		}
	}
	if err := v.Err(); err != nil {
		return err // an unknown region: nobody's to start
	}
	d, err := s.kmpDecide(c, policies.ActStart, region)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Pembentukan KMP di %s dimulai oleh satgas KMP atau kepala dinas wilayah itu.", region)
	}
	deadlines := domain.KMPDeadlines{}
	for name, raw := range in.Deadlines {
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			v.Add("deadlines."+name, "Tanggal harus RFC 3339, misalnya 2026-08-17T17:00:00+08:00.")
			continue
		}
		deadlines[domain.KMPMilestone(name)] = t.UTC()
	}
	if err := deadlines.Validate(); err != nil {
		copyFields(&v, err, "")
	}
	if err := v.Err(); err != nil {
		return err
	}
	jobID := kmpJobID(currentUser(c), region, c.Request().Header.Get("Idempotency-Key"))
	job, err := s.db.GetKMPStartJob(ctx, jobID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		total, cerr := s.db.CountDesaUnder(ctx, region)
		if cerr != nil {
			return cerr
		}
		now := s.now().UTC()
		job = store.KMPStartJob{ID: jobID, Region: region, Deadlines: deadlines, Status: store.JobRunning, Total: total,
			Actor: domain.Actor{Username: currentUser(c), Role: d.Role, Scope: d.Scope}, CreatedAt: now, UpdatedAt: now}
		err = s.db.SaveKMPStartJob(ctx, job)
	}
	if err != nil {
		return err
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	run, err := workflows.StartKMPJob(wctx, s.temporal, workflows.KMPStartInput{Job: job})
	if err != nil {
		return s.workflowFailure(c, err)
	}
	wait, cancelWait := context.WithTimeout(wctx, kmpStartWait)
	defer cancelWait()
	_ = run.Get(wait, nil) // finished within the wait or not: the row says how far it got
	job, err = s.db.GetKMPStartJob(ctx, jobID)
	if err != nil {
		return err
	}
	view := kmpStartViewOf(job)
	c.Response().Header().Set(echo.HeaderLocation, view.Progress)
	return c.JSON(http.StatusAccepted, view)
}

// kmpJobID names a bulk start: from the Idempotency-Key when given (a
// retried request finds its job), else fresh.
func kmpJobID(user, region, key string) string {
	slug := strings.ReplaceAll(strings.ReplaceAll(region, "*", "nasional"), ".", "-")
	if key = strings.TrimSpace(key); key != "" {
		h := sha256.Sum256([]byte(user + "\x00" + key))
		return slug + "-" + hex.EncodeToString(h[:6])
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return slug + "-" + hex.EncodeToString(b[:])
}

// kmpStartJob shows a bulk start's progress, to whoever may read the
// region it starts.
func (s *Server) kmpStartJob(c echo.Context) error {
	job, err := s.db.GetKMPStartJob(c.Request().Context(), c.Param("job"))
	if err != nil {
		return err
	}
	d, err := s.kmpDecide(c, policies.ActRead, job.Region)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.ENOTFOUND, "Pekerjaan memulai KMP %q tidak ditemukan.", job.ID)
	}
	return c.JSON(http.StatusOK, kmpStartViewOf(job))
}

// --- bulk import ----------------------------------------------------------------

// KMPImportHeader is the import's CSV header, exactly (DESIGN.md).
const KMPImportHeader = "kode_wilayah,tahap,tanggal,nomor,keterangan"

// rowError is one problem of an import file: its row (2 = the first data
// row), the column and the message.
type rowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// rowProblem is the 422 of a file with bad rows: problem+json whose errors
// name row and column.
type rowProblem struct {
	Type   string     `json:"type"`
	Title  string     `json:"title"`
	Status int        `json:"status"`
	Detail string     `json:"detail"`
	Errors []rowError `json:"errors"`
}

type kmpImportResult struct {
	DryRun    bool       `json:"dry_run"`
	Applied   int        `json:"applied"`   // milestones recorded (or that would be)
	Unchanged int        `json:"unchanged"` // rows whose milestone was already recorded
	Warnings  []string   `json:"warnings"`  // BUMDes overlaps of the operasional rows
	Errors    []rowError `json:"errors"`
}

// kmpImportRow is one parsed row, ready to apply.
type kmpImportRow struct {
	row   int
	code  string
	req   workflows.KMPMilestoneRequest
	apply bool
}

// importKMP moves KMPs through the milestones a file reports (an export of
// the national KMP portal, say): CSV kode_wilayah,tahap,tanggal,nomor,
// keterangan. Rows are judged together first: a row that skips a
// milestone, names a desa outside the caller's scope or where KMP was not
// started, or lacks a field, fails the whole file (422, every bad row
// named) and nothing is applied. Milestones already recorded are
// unchanged, so re-uploading a file is harmless. dry_run=true only
// previews. The columns nomor and keterangan fill each milestone's fields
// as domain.KMPSteps says (ImportNumber, ImportNote).
func (s *Server) importKMP(c echo.Context) error {
	ctx := c.Request().Context()
	dryRun := false
	switch c.QueryParam("dry_run") {
	case "", "false":
	case "true":
		dryRun = true
	default:
		return invalidField("dry_run", "Isi true atau false.")
	}
	grants, err := s.authz.ActiveGrants(ctx, currentUser(c), s.now())
	if err != nil {
		return err
	}
	mayImport := false
	for _, g := range grants {
		if d, err := s.kmpDecide(c, policies.ActImport, g.Scope); err == nil && d.Allowed {
			mayImport = true
		}
	}
	if !mayImport {
		return domain.Errorf(domain.EFORBIDDEN, "Impor tahap KMP dilakukan oleh satgas KMP atau camat.")
	}
	body, err := kmpImportBody(c)
	if err != nil {
		return err
	}
	rows, errs, err := s.parseKMPImport(c, body)
	if err != nil {
		return err
	}
	res := kmpImportResult{DryRun: dryRun, Warnings: []string{}, Errors: []rowError{}}
	for _, r := range rows {
		if r.apply {
			res.Applied++
		} else {
			res.Unchanged++
		}
	}
	if len(errs) > 0 {
		b, err := json.Marshal(rowProblem{Type: "about:blank", Title: title(http.StatusUnprocessableEntity),
			Status: http.StatusUnprocessableEntity, Detail: fmt.Sprintf("%d baris bermasalah; tidak ada yang disimpan.", len(errs)), Errors: errs})
		if err != nil {
			return err
		}
		return c.Blob(http.StatusUnprocessableEntity, "application/problem+json", b)
	}
	if dryRun {
		return c.JSON(http.StatusOK, res)
	}
	wctx, cancel := s.workflowContext(c)
	defer cancel()
	applied := 0
	for _, r := range rows {
		if !r.apply {
			continue
		}
		// The Update ID is the row's content: a retried upload of the same
		// row is answered by Temporal from the first time.
		id := "import:" + kmpRowKey(r)
		k, err := workflows.RecordKMPMilestone(wctx, s.temporal, r.code, id, r.req)
		if err != nil {
			err = s.workflowFailure(c, err)
			return domain.Errorf(domain.ErrorCode(err), "Baris %d (%s, %s): %s %d baris sebelumnya sudah diterapkan; unggah ulang berkas yang sama setelah diperbaiki.",
				r.row, r.code, r.req.Milestone, domain.ErrorMessage(err), applied)
		}
		applied++
		if r.req.Milestone == domain.KMPOperasional {
			res.Warnings = append(res.Warnings, k.Warnings...)
		}
	}
	return c.JSON(http.StatusOK, res)
}

func kmpRowKey(r kmpImportRow) string {
	b, _ := json.Marshal(r.req.Fields)
	h := sha256.Sum256(append([]byte(r.code+"\x00"+string(r.req.Milestone)+"\x00"), b...))
	return hex.EncodeToString(h[:12])
}

// kmpImportBody reads the file: the body as text/csv, or the multipart
// field file.
func kmpImportBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxKMPImportBytes)
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	var src io.Reader = r.Body
	switch mt {
	case "text/csv", "application/csv":
	case "multipart/form-data":
		fh, err := c.FormFile("file")
		if err != nil {
			return nil, invalidField("file", "Lampirkan berkas CSV pada kolom file.")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		src = f
	default:
		return nil, echo.NewHTTPError(http.StatusUnsupportedMediaType, "Kirim berkas CSV (text/csv) atau multipart/form-data dengan kolom file.")
	}
	b, err := io.ReadAll(src)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("Berkas melebihi %d MB.", maxKMPImportBytes>>20))
	}
	return b, err
}

// parseKMPImport judges every row: columns, scope, order against the
// projection and the rows before it, and the milestone's own rule
// (workflows.CheckKMPMilestone), so what the preview accepts the
// workflows accept too.
func (s *Server) parseKMPImport(c echo.Context, body []byte) ([]kmpImportRow, []rowError, error) {
	ctx := c.Request().Context()
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		return nil, []rowError{{Row: 1, Field: "file", Message: "Berkas bukan CSV yang dapat dibaca: " + err.Error()}}, nil
	}
	if len(records) == 0 || strings.Join(records[0], ",") != KMPImportHeader {
		return nil, []rowError{{Row: 1, Field: "header", Message: "Baris judul harus persis: " + KMPImportHeader}}, nil
	}
	var errs []rowError
	add := func(row int, field, format string, args ...any) {
		errs = append(errs, rowError{Row: row, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	type parsed struct {
		row  int
		code string
		m    domain.KMPMilestone
		f    domain.KMPFields
	}
	var ps []parsed
	codes := map[string]bool{}
	for i, rec := range records[1:] {
		row := i + 2
		if len(rec) != 5 {
			add(row, "row", "Baris harus berisi 5 kolom, berisi %d.", len(rec))
			continue
		}
		for j := range rec {
			rec[j] = strings.TrimSpace(rec[j])
		}
		code, tahap, tanggal, nomor, ket := rec[0], domain.KMPMilestone(strings.ToLower(rec[1])), rec[2], rec[3], rec[4]
		bad := false
		if lvl, err := domain.ParseRegionCode(code); err != nil || lvl != domain.LevelDesa {
			add(row, "kode_wilayah", "Kode %q bukan kode desa/kelurahan (mis. 64.02.01.2001).", code)
			bad = true
		}
		step, ok := tahap.Step()
		if !ok {
			add(row, "tahap", "Tahap %q tidak dikenal; tahapnya: %s.", rec[1], milestoneList())
			bad = true
		}
		if bad {
			continue
		}
		f := domain.KMPFields{Date: tanggal}
		if msg := fillImportField(&f, step.ImportNumber, nomor); msg != "" {
			add(row, "nomor", "%s", msg)
		}
		if msg := fillImportField(&f, step.ImportNote, ket); msg != "" {
			add(row, "keterangan", "%s", msg)
		}
		ps = append(ps, parsed{row, code, tahap, f})
		codes[code] = true
	}
	// The KMPs the rows name, and whether the caller may import for each.
	kmps := map[string]*store.KMP{}
	actors := map[string]domain.Actor{}
	for code := range codes {
		d, err := s.kmpDecide(c, policies.ActImport, code)
		if err != nil {
			return nil, nil, err
		}
		if !d.Allowed {
			continue
		}
		actors[code] = domain.Actor{Username: currentUser(c), Role: d.Role, Scope: d.Scope}
		k, err := s.db.GetKMP(ctx, code)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		kmps[code] = &k
	}
	// Rows of a desa are applied in milestone order, whatever the file's.
	slices.SortStableFunc(ps, func(a, b parsed) int {
		if a.code != b.code {
			return strings.Compare(a.code, b.code)
		}
		return a.m.Order() - b.m.Order()
	})
	now := s.now()
	var out []kmpImportRow
	seen := map[string]int{}
	for _, p := range ps {
		actor, ok := actors[p.code]
		if !ok {
			add(p.row, "kode_wilayah", "Desa/kelurahan %s di luar wilayah Anda.", p.code)
			continue
		}
		k := kmps[p.code]
		if k == nil {
			add(p.row, "kode_wilayah", "Pembentukan KMP di %s belum dimulai.", p.code)
			continue
		}
		key := p.code + "/" + string(p.m)
		if first, dup := seen[key]; dup {
			add(p.row, "tahap", "Tahap %s untuk %s sudah ada di baris %d.", p.m, p.code, first)
			continue
		}
		seen[key] = p.row
		req := workflows.KMPMilestoneRequest{Actor: actor, Milestone: p.m, Fields: p.f, Imported: true}
		if p.m.Order() <= k.Reached {
			out = append(out, kmpImportRow{row: p.row, code: p.code, req: req})
			continue
		}
		if de := workflows.CheckKMPMilestone(*k, req, now); de != nil {
			if len(de.Fields) == 0 {
				add(p.row, "tahap", "%s", de.Message)
			}
			for _, fe := range de.Fields {
				add(p.row, importColumn(p.m, fe.Field), "%s", fe.Message)
			}
			continue
		}
		// What the workflow will hold once this row is applied, for the
		// next row of the same desa.
		k.Records = append(k.Records, store.KMPRecord{Milestone: p.m, Fields: p.f})
		k.Reached++
		out = append(out, kmpImportRow{row: p.row, code: p.code, req: req, apply: true})
	}
	slices.SortStableFunc(errs, func(a, b rowError) int { return a.Row - b.Row })
	return out, errs, nil
}

// fillImportField puts a column's text into the milestone field it
// stands for; it returns a message when the text does not fit.
func fillImportField(f *domain.KMPFields, field, val string) string {
	if val == "" || field == "" {
		return ""
	}
	switch field {
	case "attendance":
		n, err := strconv.Atoi(val)
		if err != nil || n <= 0 {
			return "Jumlah hadir harus bilangan bulat positif."
		}
		f.Attendance = n
	case "berita_acara":
		f.BeritaAcara = val
	case "pengurus":
		parts := strings.Split(val, ";")
		if len(parts) < 3 {
			return "Isi ketua; sekretaris; bendahara (dipisah titik koma), lalu pengawas bila ada."
		}
		f.Ketua, f.Sekretaris, f.Bendahara = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
		for _, p := range parts[3:] {
			if p = strings.TrimSpace(p); p != "" {
				f.Pengawas = append(f.Pengawas, p)
			}
		}
	case "number":
		f.Number = val
	case "notary":
		f.Notary = val
	case "sk_number":
		f.SKNumber = val
	case "jenis":
		f.Jenis = val
	case "nib":
		f.NIB = val
	case "provider":
		f.Provider = val
	case "units":
		for _, p := range strings.FieldsFunc(val, func(r rune) bool { return r == ';' || r == ',' }) {
			f.Units = append(f.Units, unitOf(strings.TrimSpace(p)))
		}
	}
	return ""
}

// unitOf reads a unit by code or by label ("Gerai sembako").
func unitOf(s string) domain.KMPUnit {
	for _, u := range domain.KMPUnits {
		if strings.EqualFold(s, string(u.Unit)) || strings.EqualFold(s, u.Label) {
			return u.Unit
		}
	}
	return domain.KMPUnit(s)
}

// importColumn names the CSV column a milestone field came from.
func importColumn(m domain.KMPMilestone, field string) string {
	field = strings.TrimPrefix(field, "fields.")
	step, _ := m.Step()
	switch {
	case field == "date":
		return "tanggal"
	case field == step.ImportNumber:
		return "nomor"
	case field == step.ImportNote, m == domain.KMPPengurus:
		return "keterangan"
	}
	return "tahap"
}

// --- the inbox -------------------------------------------------------------------

// Task kinds of the inbox.
const (
	taskProposal = "proposal"
	taskKMP      = "kmp"
)

// kmpTasks are the KMP milestones due for the caller, by their grants: the
// desa's operator_desa sees its next milestone; the camat the desa of his
// kecamatan whose deadline passed (escalated to him, or beyond); the task
// force those escalated to it. At most limit per grant, soonest due first.
func (s *Server) kmpTasks(ctx context.Context, user string, now time.Time, limit int) ([]task, error) {
	grants, err := s.authz.ActiveGrants(ctx, user, now)
	if err != nil {
		return nil, err
	}
	var out []task
	seen := map[string]bool{}
	for _, g := range grants {
		q := store.KMPQuery{Region: g.Scope, Incomplete: true, ByDue: true, Limit: limit}
		switch g.Role {
		case domain.RoleOperatorDesa:
		case domain.RoleCamat:
			q.EscalatedTo = []string{workflows.EscalatedCamat, workflows.EscalatedSatgas}
		case domain.RoleSatgasKMP:
			q.EscalatedTo = []string{workflows.EscalatedSatgas}
		default:
			continue
		}
		ks, err := s.db.ListKMP(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, k := range ks {
			if seen[k.RegionCode] {
				continue
			}
			seen[k.RegionCode] = true
			next := k.Next()
			out = append(out, task{Kind: taskKMP, Title: fmt.Sprintf("%s: catat tahap %s", domain.KMPName(k.RegionCode, k.Name), next.Label()),
				RegionCode: k.RegionCode, Actions: []domain.Action{domain.Action(policies.ActRecord)}, DueAt: k.NextDueAt,
				Overdue: k.Late || (k.NextDueAt != nil && now.After(*k.NextDueAt)), Milestone: next})
		}
	}
	return out, nil
}

// mergeTasks puts KMP tasks among proposal tasks, soonest due first (none
// last), keeping each list's own order among equals.
func mergeTasks(proposals, kmp []task) []task {
	if len(kmp) == 0 {
		return proposals
	}
	out := append(append([]task{}, proposals...), kmp...)
	slices.SortStableFunc(out, func(a, b task) int {
		switch {
		case a.DueAt == nil && b.DueAt == nil:
			return 0
		case a.DueAt == nil:
			return 1
		case b.DueAt == nil:
			return -1
		}
		return a.DueAt.Compare(*b.DueAt)
	})
	return out
}
