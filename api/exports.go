package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
	"github.com/rencana-id/rencana/internal/sipd"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// MaxDecisionsBytes bounds the body of a ministry answer upload. It is far
// above MaxBodyBytes because a fiscal year across provinces is some hundred
// thousand rows (tens of MB as CSV), and equal to what internal/export
// reads at most, so the API never refuses a file the reader would accept.
// Only a caller who may record the ministry's answer gets this far: the
// body is read after authorization.
const MaxDecisionsBytes = 64 << 20

// decisionWorkers is how many ministry decisions of one upload are applied
// at once. Each is a workflow Update that answers once projected (tens of
// milliseconds); a few in flight keep a national upload of thousands of rows
// within the server's write timeout without crowding out other requests.
const decisionWorkers = 4

// uploadFormat tells the format of an uploaded part by its media type, for
// a file name without a telling extension.
func uploadFormat(mediaType string) (export.Format, bool) {
	switch baseMediaType(mediaType) {
	case "text/csv", "application/csv":
		return export.CSV, true
	case baseMediaType(export.XLSX.ContentType()):
		return export.XLSX, true
	}
	return "", false
}

// exportRoutes registers the ministry's endpoints (issue 7): consolidated
// exports, bulk answers, the audit trail and SIPD suggestions.
func (s *Server) exportRoutes(v1 *echo.Group, a []echo.MiddlewareFunc) {
	v1.GET("/exports/consolidated", s.exportConsolidated, a...)
	v1.GET("/exports/audit", s.exportAudit, a...)
	// The upload is bounded by uploadDecisions itself (MaxDecisionsBytes),
	// after the caller is known to be allowed, instead of MaxBodyBytes.
	s.exemptBodyLimit(v1.POST("/exports/decisions", s.uploadDecisions, a...))
	v1.GET("/proposals/:id/sipd-suggestions", s.sipdSuggestions, a...)
}

// baseMediaType drops the parameters of a media type ("text/csv;
// charset=utf-8" is "text/csv").
func baseMediaType(t string) string {
	m, _, _ := strings.Cut(t, ";")
	return strings.ToLower(strings.TrimSpace(m))
}

// exportScope reads the cycle_id / fiscal_year choice of an export request
// into v (format errors and the like are collected there by the caller
// too) and resolves it. ok is false when v holds the reason.
func (s *Server) exportScope(c echo.Context, v *domain.Validation) (scope export.Scope, ok bool, err error) {
	cycleID := strings.TrimSpace(c.QueryParam("cycle_id"))
	year := 0
	if raw := strings.TrimSpace(c.QueryParam("fiscal_year")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n == 0 {
			v.Add("fiscal_year", "Tahun anggaran harus bilangan bulat, misalnya 2027.")
			return export.Scope{}, false, nil
		}
		year = n
	}
	if len(cycleID) > maxCycleID {
		v.Add("cycle_id", "Id siklus paling panjang %d karakter, misalnya 74-2027; lihat GET /api/v1/cycles.", maxCycleID)
		return export.Scope{}, false, nil
	}
	scope, err = export.ResolveScope(c.Request().Context(), s.db, cycleID, year)
	switch {
	case err == nil:
		return scope, true, nil
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		return export.Scope{}, false, cycleNotFound(cycleID)
	}
	return export.Scope{}, false, addInvalid(v, err)
}

// cycleNotFound is the answer for a cycle that does not exist and for one
// the caller may not even see: the two must be indistinguishable.
func cycleNotFound(id string) error {
	return domain.Errorf(domain.ENOTFOUND, "Siklus %q tidak ditemukan; lihat GET /api/v1/cycles.", id)
}

// authorizeScope decides whether the caller may do what allowed checks on
// scope: allowed gets the region Casbin is asked about (the cycle's
// province, or "*" for a fiscal year across provinces). A refused cycle the
// caller may not read at all is 404, like an unknown one; one they can
// read is 403, with denied as the reason.
func (s *Server) authorizeScope(c echo.Context, scope export.Scope, allowed func(region string) (bool, error), denied string) error {
	region := domain.NationalScope
	if !scope.National() {
		region = scope.ProvinceCode
	}
	ok, err := allowed(region)
	if err != nil || ok {
		return err
	}
	if !scope.National() {
		d, err := s.authz.Decide(c.Request().Context(), policies.Request{Username: currentUser(c), Object: policies.ObjCycle,
			Action: policies.ActRead, Region: region, At: s.now()})
		if err != nil {
			return err
		}
		if !d.Allowed {
			return cycleNotFound(scope.CycleID)
		}
	}
	return domain.Errorf(domain.EFORBIDDEN, "%s", denied)
}

// mayDownload is the Casbin check of both downloads: object exports,
// action download (policy.csv).
func (s *Server) mayDownload(c echo.Context) func(region string) (bool, error) {
	return func(region string) (bool, error) {
		d, err := s.authz.Decide(c.Request().Context(), policies.Request{Username: currentUser(c), Object: policies.ObjExports,
			Action: policies.ActDownload, Region: region, At: s.now()})
		return d.Allowed, err
	}
}

func scopeLabel(scope export.Scope) string {
	if scope.National() {
		return fmt.Sprintf("tahun anggaran %d (semua provinsi)", scope.FiscalYear)
	}
	return "siklus " + scope.CycleID
}

// exportConsolidated streams the consolidated list of a cycle or of a
// fiscal year as CSV or XLSX. Everything that can refuse the request is
// checked before the first byte; the body is written as the rows are read.
func (s *Server) exportConsolidated(c echo.Context) error {
	var v domain.Validation
	format := export.CSV
	if raw := c.QueryParam("format"); raw != "" {
		f, err := export.ParseFormat(raw)
		if err := addInvalid(&v, err); err != nil {
			return err
		}
		format = f
	}
	scope, ok, err := s.exportScope(c, &v)
	if err != nil {
		return err
	}
	if err := v.Err(); err != nil || !ok {
		return err
	}
	if err := s.authorizeScope(c, scope, s.mayDownload(c),
		fmt.Sprintf("Anda tidak berwenang mengunduh daftar konsolidasi %s.", scopeLabel(scope))); err != nil {
		return err
	}
	w := &download{c: c, log: s.log, contentType: format.ContentType(), filename: export.Filename(scope, format)}
	totals, err := export.Write(c.Request().Context(), s.db, scope, format, w)
	if err := w.finish(err); err != nil {
		return err
	}
	s.log.Info("consolidated list exported", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "user", currentUser(c),
		"scope", scopeLabel(scope), "format", format, "proposals", totals.Proposals, "consolidated_amount_idr", totals.ConsolidatedAmountIDR)
	return nil
}

// exportAudit streams the audit trail of one cycle as CSV.
func (s *Server) exportAudit(c echo.Context) error {
	var v domain.Validation
	if c.QueryParam("fiscal_year") != "" {
		v.Add("fiscal_year", "Jejak audit diekspor per siklus; gunakan cycle_id, misalnya 74-2027.")
		return v.Err()
	}
	if strings.TrimSpace(c.QueryParam("cycle_id")) == "" {
		v.Add("cycle_id", "Siklus wajib diisi, misalnya 74-2027; lihat GET /api/v1/cycles.")
		return v.Err()
	}
	scope, ok, err := s.exportScope(c, &v)
	if err != nil {
		return err
	}
	if err := v.Err(); err != nil || !ok {
		return err
	}
	if err := s.authorizeScope(c, scope, s.mayDownload(c),
		fmt.Sprintf("Anda tidak berwenang mengunduh jejak audit %s.", scopeLabel(scope))); err != nil {
		return err
	}
	w := &download{c: c, log: s.log, contentType: export.CSV.ContentType(), filename: export.AuditFilename(scope)}
	_, err = export.WriteAuditCSV(c.Request().Context(), s.db, scope, w)
	return w.finish(err)
}

// download is the response of a streamed file. The status and headers are
// sent with the first byte, so an error before it (the query failing at
// once) is still a problem+json answer; after it, a failure can only cut
// the transfer short (finish).
type download struct {
	c           echo.Context
	log         *slog.Logger
	contentType string
	filename    string
	started     bool
}

func (d *download) start() {
	h := d.c.Response().Header()
	h.Set(echo.HeaderContentType, d.contentType)
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": d.filename}))
	d.c.Response().WriteHeader(http.StatusOK)
	d.started = true
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.start()
	}
	return d.c.Response().Write(p)
}

// finish ends a download after the writer returned err. Before the first
// byte err is returned for the error handler. After it the response is
// aborted (the connection is reset, a chunked body left unterminated) so
// that the client sees a failed download rather than a shorter file that
// looks complete, whose totals would be wrong.
func (d *download) finish(err error) error {
	if err == nil {
		if !d.started {
			d.start()
		}
		return nil
	}
	if !d.started {
		return err
	}
	if d.c.Request().Context().Err() == nil { // a client that went away is not worth an error
		d.log.Error("download aborted after it started", "request_id", d.c.Response().Header().Get(echo.HeaderXRequestID),
			"path", d.c.Path(), "err", err)
	}
	// Echo's Recover lets this through and net/http resets the stream
	// without logging it.
	panic(http.ErrAbortHandler)
}

// sipdSuggestions answers the five sub kegiatan that most likely fit a
// proposal the caller can see.
func (s *Server) sipdSuggestions(c echo.Context) error {
	p, err := s.visibleProposal(c, c.Param("id"))
	if err != nil {
		return err
	}
	items, err := sipd.Suggest(c.Request().Context(), s.db, p, sipd.DefaultSuggestions)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// decisionItem is one decision an upload recorded.
type decisionItem struct {
	ProposalID string        `json:"proposal_id"`
	Action     domain.Action `json:"action"`
	Stage      domain.Stage  `json:"stage"`
	Sheet      string        `json:"sheet,omitempty"`
	Row        int           `json:"row"`
	// Comment is the decision's reason as written in the file.
	Comment string `json:"comment,omitempty"`
}

// decisionSummary answers an upload: what it recorded, and how many of
// the file's decisions were already in effect.
type decisionSummary struct {
	Applied int            `json:"applied"`
	Skipped int            `json:"skipped"`
	Items   []decisionItem `json:"items"`
	// DryRun marks a preview (?dry_run=true): Items are what the same file
	// would record, nothing was recorded.
	DryRun bool `json:"dry_run,omitempty"`
}

// decisionJob is a validated decision with the proposal it applies to and
// the grant it is applied through.
type decisionJob struct {
	d     export.Decision
	actor domain.Actor
}

// decisionField names a column of the row a decision came from, as the
// reader names its problems: "baris 12: proposal_id" or
// "sheet 74 Sulawesi Tenggara baris 12: proposal_id".
func decisionField(d export.Decision, column string) string {
	return decisionRow(d) + ": " + column
}

// decisionRow names the row a decision came from: "baris 12", or
// "sheet 74 Sulawesi Tenggara baris 12" in an XLSX.
func decisionRow(d export.Decision) string {
	if d.Sheet != "" {
		return fmt.Sprintf("sheet %s baris %d", d.Sheet, d.Row)
	}
	return fmt.Sprintf("baris %d", d.Row)
}

// uploadDecisions records the ministry's answer in bulk. In order:
//  1. the scope (cycle_id or fiscal_year) and the caller's right to fund or
//     decline in it, before the body is read;
//  2. the file, read with export.ReadDecisionSet: every row is checked and
//     any problem refuses the whole file (422, errors[] per row); rows whose
//     decision is already in effect are left out and counted as skipped;
//  3. every remaining decision's proposal must belong to the scope and the
//     caller must hold the right for its region: again all or nothing;
//  4. the decisions are applied as fund/decline workflow Updates in the
//     uploader's name, a few at a time, detached from the client's
//     connection so that a client giving up does not stop a validated file
//     halfway.
//
// If applying fails midway (Temporal unavailable, a proposal decided by
// someone else in the meantime), no new decision is started, the ones
// already recorded stay recorded, and the answer is the failure's problem
// saying how many were recorded and which row failed. Uploading the same
// file again converges: ReadDecisionSet leaves out what is already in
// effect, so only the rest is applied, and nothing is recorded twice.
func (s *Server) uploadDecisions(c echo.Context) error {
	var v domain.Validation
	scope, ok, err := s.exportScope(c, &v)
	if err != nil {
		return err
	}
	dryRun := dryRunParam(c, &v)
	if err := v.Err(); err != nil || !ok {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	mayAnswer := func(region string) (bool, error) {
		for _, a := range []domain.Action{domain.ActionFund, domain.ActionDecline} {
			d, err := s.authz.CanStage(ctx, user, domain.StageMinistry, a, region, now)
			if err != nil || d.Allowed {
				return d.Allowed, err
			}
		}
		return false, nil
	}
	if err := s.authorizeScope(c, scope, mayAnswer,
		fmt.Sprintf("Anda tidak berwenang mencatat keputusan kementerian untuk %s.", scopeLabel(scope))); err != nil {
		return err
	}

	file, format, err := decisionFile(c)
	if err != nil {
		return err
	}
	pending, done, err := export.ReadDecisionSet(ctx, s.db, file, format)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge()
		}
		return err
	}
	jobs, err := s.decisionJobs(c, scope, pending)
	if err != nil {
		return err
	}
	if dryRun {
		// The same checks as a real upload have run; only the Updates are left out.
		items := make([]decisionItem, len(jobs))
		for i, j := range jobs {
			t, _ := domain.FindTransition(domain.StageMinistry, j.d.Action)
			items[i] = decisionItem{ProposalID: j.d.ProposalID, Action: j.d.Action, Stage: t.Next(), Sheet: j.d.Sheet, Row: j.d.Row, Comment: j.d.Comment}
		}
		return c.JSON(http.StatusOK, decisionSummary{Skipped: len(done), Items: items, DryRun: true})
	}
	items, failed := s.applyDecisions(context.WithoutCancel(ctx), jobs)
	s.log.Info("ministry decisions uploaded", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "user", user,
		"scope", scopeLabel(scope), "applied", len(items), "skipped", len(done), "failed", failed != nil)
	if failed != nil {
		return s.decisionFailure(c, *failed, len(items))
	}
	return c.JSON(http.StatusOK, decisionSummary{Applied: len(items), Skipped: len(done), Items: items})
}

func tooLarge() error {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
		fmt.Sprintf("Berkas paling besar %d MB; bagi jawaban per siklus (cycle_id) atau simpan sebagai XLSX.", MaxDecisionsBytes>>20))
}

// decisionFile finds the part named file of a multipart/form-data body and
// tells its format from the file name's extension (.csv, .xlsx) or else
// from the part's Content-Type. The part is returned unread: the reader
// streams it, bounded by MaxDecisionsBytes for the whole body.
func decisionFile(c echo.Context) (io.Reader, export.Format, error) {
	req := c.Request()
	if req.ContentLength > MaxDecisionsBytes {
		return nil, "", tooLarge()
	}
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEMultipartForm || params["boundary"] == "" {
		return nil, "", echo.NewHTTPError(http.StatusUnsupportedMediaType,
			"Kirim berkas sebagai multipart/form-data dengan kolom file (berkas .csv atau .xlsx).")
	}
	body := http.MaxBytesReader(c.Response(), req.Body, MaxDecisionsBytes)
	mr := multipart.NewReader(body, params["boundary"])
	for {
		part, err := mr.NextPart()
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return nil, "", tooLarge()
		case errors.Is(err, io.EOF):
			return nil, "", invalidField("file", "Lampirkan berkas jawaban pada kolom file (multipart/form-data).")
		case err != nil:
			return nil, "", invalidField("file", "Isi multipart/form-data tidak dapat dibaca.")
		}
		if part.FormName() != "file" {
			continue // NextPart skips what is left of this part
		}
		if _, problem := domain.CleanText(part.FileName(), false); problem != "" {
			return nil, "", invalidField("file", "Nama berkas: %s", problem)
		}
		switch ext := strings.ToLower(filepath.Ext(part.FileName())); ext {
		case ".csv":
			return part, export.CSV, nil
		case ".xlsx":
			return part, export.XLSX, nil
		}
		if f, ok := uploadFormat(part.Header.Get(echo.HeaderContentType)); ok {
			return part, f, nil
		}
		return nil, "", invalidField("file", "Berkas %q bukan .csv atau .xlsx; unggah daftar konsolidasi yang diekspor dalam salah satu format itu.", part.FileName())
	}
}

// decisionJobs checks what the reader cannot: every decision's proposal
// belongs to scope (422 per row otherwise) and the caller may take that
// decision in the proposal's region (403 per row otherwise). All or nothing.
func (s *Server) decisionJobs(c echo.Context, scope export.Scope, pending []export.Decision) ([]decisionJob, error) {
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	cycles, err := s.cycleMap(ctx)
	if err != nil {
		return nil, err
	}
	var outside domain.Validation
	var denied []domain.FieldError
	jobs := make([]decisionJob, 0, len(pending))
	for _, d := range pending {
		p, err := s.db.GetProposal(ctx, d.ProposalID)
		if err != nil {
			return nil, err // the reader has just seen it: not a user error
		}
		cy := cycles[p.CycleID]
		switch {
		case !scope.National() && p.CycleID != scope.CycleID:
			outside.Add(decisionField(d, "proposal_id"), "Usulan %q milik siklus %s, bukan %s yang dipilih; unggah jawabannya pada siklus itu.",
				d.ProposalID, p.CycleID, scope.CycleID)
			continue
		case scope.National() && (cy == nil || cy.FiscalYear != scope.FiscalYear):
			outside.Add(decisionField(d, "proposal_id"), "Usulan %q bukan usulan tahun anggaran %d.", d.ProposalID, scope.FiscalYear)
			continue
		}
		dec, err := s.authz.CanStage(ctx, user, domain.StageMinistry, d.Action, p.RegionCode, now)
		if err != nil {
			return nil, err
		}
		if !dec.Allowed {
			denied = append(denied, domain.FieldError{Field: decisionField(d, "proposal_id"),
				Message: fmt.Sprintf("Anda tidak berwenang mencatat keputusan %q untuk usulan wilayah %s.", d.Action, p.RegionCode)})
			continue
		}
		jobs = append(jobs, decisionJob{d: d, actor: domain.Actor{Username: user, Role: dec.Role, Scope: dec.Scope}})
	}
	if err := outside.Err(); err != nil {
		return nil, err
	}
	if len(denied) > 0 {
		return nil, &domain.Error{Code: domain.EFORBIDDEN, Fields: denied,
			Message: "Sebagian keputusan di berkas berada di luar kewenangan Anda; tidak ada yang dicatat."}
	}
	return jobs, nil
}

// decisionFailed is the first decision of an upload that could not be
// applied.
type decisionFailed struct {
	d   export.Decision
	err error
}

// applyDecisions applies jobs with decisionWorkers Updates in flight and
// returns the recorded ones in file order. After the first failure no new
// decision is started; those in flight finish (and count). Of several
// failures the one earliest in the file is reported.
func (s *Server) applyDecisions(ctx context.Context, jobs []decisionJob) ([]decisionItem, *decisionFailed) {
	var (
		mu      sync.Mutex
		next    int
		failure *decisionFailed
		failIdx int
		wg      sync.WaitGroup
		results = make([]*decisionItem, len(jobs))
	)
	for range min(decisionWorkers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if failure != nil || next == len(jobs) {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()

				j := jobs[i]
				wctx, cancel := context.WithTimeout(ctx, s.wfWait)
				out, err := workflows.Act(wctx, s.temporal, j.d.ProposalID, j.d.Action, workflows.ActionRequest{
					Actor: j.actor, Comment: j.d.Comment, FundingSource: j.d.FundingSource,
				})
				cancel()
				if err != nil {
					mu.Lock()
					if failure == nil || i < failIdx {
						failure, failIdx = &decisionFailed{d: j.d, err: err}, i
					}
					mu.Unlock()
					return
				}
				results[i] = &decisionItem{ProposalID: j.d.ProposalID, Action: j.d.Action, Stage: out.Stage, Sheet: j.d.Sheet, Row: j.d.Row, Comment: j.d.Comment}
			}
		}()
	}
	wg.Wait()
	items := []decisionItem{}
	for _, r := range results {
		if r != nil {
			items = append(items, *r)
		}
	}
	return items, failure
}

// decisionFailure words a failure midway: the failing row, why, how many
// decisions are recorded anyway, and that uploading the same file again
// finishes the job. A refusal keeps its status (409 when someone else
// decided the proposal meanwhile); anything else from the workflow service
// is 503, because retrying later is the right advice, and its cause is
// logged.
func (s *Server) decisionFailure(c echo.Context, f decisionFailed, applied int) error {
	err := s.workflowFailure(c, f.err)
	var de *domain.Error
	if !errors.As(err, &de) {
		s.log.Error("ministry decision not applied", "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			"proposal_id", f.d.ProposalID, "err", err)
		de = domain.Errorf(domain.EUNAVAILABLE, "Layanan alur kerja gagal mencatat keputusan ini.")
	}
	fields := []domain.FieldError{{Field: decisionField(f.d, "proposal_id"), Message: de.Message}}
	for _, fe := range de.Fields {
		fields = append(fields, domain.FieldError{Field: decisionField(f.d, fe.Field), Message: fe.Message})
	}
	return &domain.Error{Code: de.Code, Fields: fields, Message: fmt.Sprintf(
		"Keputusan %s (usulan %s) tidak dapat dicatat: %s %d keputusan lain dari berkas ini sudah dicatat dan tetap berlaku. "+
			"Setelah penyebabnya diatasi, unggah ulang berkas yang sama: keputusan yang sudah berlaku dilewati, sisanya dicatat.",
		decisionRow(f.d), f.d.ProposalID, strings.TrimSpace(de.Message), applied)}
}

// dryRunParam reads ?dry_run= of an upload: true previews, nothing is
// recorded; a value other than true or false is reported on v.
func dryRunParam(c echo.Context, v *domain.Validation) bool {
	switch c.QueryParam("dry_run") {
	case "", "false":
		return false
	case "true":
		return true
	}
	v.Add("dry_run", "Isi dry_run dengan true (pratinjau, tidak ada yang dicatat) atau false.")
	return false
}
