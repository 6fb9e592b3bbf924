package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/register"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// The koperasi register, the UMKM figures and the yearly data rounds
// (issue 17; DESIGN.md, "Beyond proposals"). Reads are limited to the
// regions the caller may read the register in (another region's koperasi
// is 404); writes need register manage in the koperasi's region (the
// kab/kota's operator_data) and an editable data round, which the store
// checks in the writing transaction (409 otherwise).

// MaxImportBytes bounds a register upload: a national register of 200,000
// rows is about 25 MB of CSV.
const MaxImportBytes = 64 << 20

// registerRoutes registers the register's endpoints.
func (s *Server) registerRoutes(v1 *echo.Group, a []echo.MiddlewareFunc) {
	s.exemptBodyLimit(v1.POST("/koperasi/imports", s.importKoperasi, a...))
	v1.GET("/koperasi/imports/template", s.koperasiTemplate, a...)
	v1.GET("/koperasi", s.listKoperasi, a...)
	v1.GET("/koperasi/indicators", s.koperasiIndicators, a...)
	v1.GET("/koperasi/indicators/children", s.koperasiChildIndicators, a...)
	v1.GET("/koperasi/:id", s.getKoperasi, a...)
	v1.PUT("/koperasi/:id/years/:year", s.putKoperasiYear, a...)
	v1.PUT("/umkm/:region/:year", s.putUMKM, a...)
	v1.GET("/umkm/:region/:year", s.getUMKM, a...)
	v1.GET("/data-rounds", s.listDataRounds, a...)
	v1.POST("/data-rounds", s.openDataRounds, a...)
	v1.GET("/data-rounds/:region/:year", s.getDataRound, a...)
	v1.GET("/data-rounds/:region/:year/diff", s.dataRoundDiff, a...)
	v1.POST("/data-rounds/:region/:year/actions/:action", s.dataRoundAction, a...)
}

// --- scope ---------------------------------------------------------------------

// registerScopes are the scopes in which the caller may read the register
// (empty when none): the SQL filter of lists and details.
func (s *Server) registerScopes(ctx context.Context, user string) ([]string, error) {
	return s.scopesFor(ctx, user, policies.ObjRegister, policies.ActRead)
}

// scopesFor lists the scopes of the caller's active grants under which
// obj/act is allowed, the ones covered by another dropped.
func (s *Server) scopesFor(ctx context.Context, user, obj, act string) ([]string, error) {
	now := s.now()
	grants, err := s.authz.ActiveGrants(ctx, user, now)
	if err != nil {
		return nil, err
	}
	var scopes []string
	for _, g := range grants {
		d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: obj, Action: act, Region: g.Scope, At: now})
		if err != nil {
			return nil, err
		}
		if d.Allowed && !slices.Contains(scopes, g.Scope) {
			scopes = append(scopes, g.Scope)
		}
	}
	out := []string{}
	for _, sc := range scopes {
		covered := false
		for _, o := range scopes {
			if o != sc && domain.ScopeCovers(o, sc) {
				covered = true
			}
		}
		if !covered {
			out = append(out, sc)
		}
	}
	return out, nil
}

// decide asks Casbin about the caller on obj/act in region.
func (s *Server) decide(c echo.Context, obj, act, region string) (policies.Decision, error) {
	return s.authz.Decide(c.Request().Context(), policies.Request{Username: currentUser(c), Object: obj, Action: act, Region: region, At: s.now()})
}

// regionParam reads a region code (of the given levels, or "*" when
// national is true) from a query or path value and checks it exists.
func (s *Server) regionParam(ctx context.Context, field, code string, national bool, levels ...domain.RegionLevel) (store.Region, error) {
	code = strings.TrimSpace(code)
	if national && code == domain.NationalScope {
		return store.Region{Code: domain.NationalScope, Name: "Indonesia"}, nil
	}
	lvl, err := domain.ParseRegionCode(code)
	if err != nil || (len(levels) > 0 && !slices.Contains(levels, lvl)) {
		want := "kode wilayah"
		if len(levels) == 1 && levels[0] == domain.LevelKabKota {
			want = "kode kab/kota (contoh: 74.05)"
		} else if len(levels) == 1 && levels[0] == domain.LevelProvinsi {
			want = "kode provinsi (contoh: 74)"
		}
		return store.Region{}, invalidField(field, "Isi dengan %s, bukan %q.", want, code)
	}
	r, err := s.db.GetRegion(ctx, code)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return store.Region{}, invalidField(field, "Wilayah %q tidak dikenal.", code)
	}
	return r, err
}

// yearParam reads a year between 2000 and next year.
func (s *Server) yearParam(field, raw string, required bool) (int, error) {
	if raw == "" && !required {
		return 0, nil
	}
	y, err := strconv.Atoi(raw)
	if err != nil || y < 2000 || y > s.now().UTC().Year()+1 {
		return 0, invalidField(field, "Isi dengan tahun antara 2000 dan %d.", s.now().UTC().Year()+1)
	}
	return y, nil
}

// mayRead refuses with 404 a region whose register the caller may not
// read: to such a caller it does not exist.
func (s *Server) mayRead(c echo.Context, region string) error {
	d, err := s.decide(c, policies.ObjRegister, policies.ActRead, region)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.ENOTFOUND, "Wilayah %s tidak ditemukan dalam cakupan Anda.", region)
	}
	return nil
}

// mayManage decides register manage in region: allowed (the decision),
// 404 when the caller may not even read there, 403 otherwise.
func (s *Server) mayManage(c echo.Context, region, what string) (policies.Decision, error) {
	d, err := s.decide(c, policies.ObjRegister, policies.ActManage, region)
	if err != nil || d.Allowed {
		return d, err
	}
	if err := s.mayRead(c, region); err != nil {
		return d, err
	}
	return d, domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang %s untuk wilayah %s; hanya operator data kab/kota.", what, region)
}

// --- import ----------------------------------------------------------------------

// importKoperasi takes a register file for a kab/kota and year: all or
// nothing, with every bad row named (422), a preview with dry_run=true.
func (s *Server) importKoperasi(c echo.Context) error {
	ctx := c.Request().Context()
	var v domain.Validation
	region, err := s.regionParam(ctx, "region", c.QueryParam("region"), false, domain.LevelKabKota)
	if err != nil {
		addInvalid(&v, err)
	}
	year, err := s.yearParam("year", c.QueryParam("year"), true)
	if err != nil {
		addInvalid(&v, err)
	}
	dry := dryRunParam(c, &v)
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := s.mayManage(c, region.Code, "mengimpor data koperasi"); err != nil {
		return err
	}
	body, err := importBody(c)
	if err != nil {
		return err
	}
	now := s.now()
	rd, err := register.Open(body, register.Options{KabKota: region.Code, Year: year, Now: now})
	if err != nil {
		return importFailure(err)
	}
	defer rd.Close()
	res, err := s.db.ImportKoperasi(ctx, store.ImportOptions{KabKota: region.Code, Year: year, Actor: currentUser(c), DryRun: dry, Now: now}, rd.Next)
	if err != nil {
		return importFailure(err)
	}
	s.log.Info("koperasi import", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "user", currentUser(c),
		"region", region.Code, "year", year, "dry_run", dry, "rows", rd.Rows(), "added", res.Added, "changed", res.Changed)
	return c.JSON(http.StatusOK, res)
}

func importFailure(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("Berkas paling besar %d MB.", MaxImportBytes>>20))
	}
	return err
}

// importBody is the uploaded file: the body itself (text/csv, the XLSX
// media type, or anything else: the content decides), or the part named
// file of a multipart/form-data body. It is bounded by MaxImportBytes.
func importBody(c echo.Context) (io.Reader, error) {
	req := c.Request()
	if req.ContentLength > MaxImportBytes {
		return nil, importFailure(&http.MaxBytesError{Limit: MaxImportBytes})
	}
	body := http.MaxBytesReader(c.Response(), req.Body, MaxImportBytes)
	mt, params, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEMultipartForm {
		return body, nil
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		part, err := mr.NextPart()
		switch {
		case errors.Is(err, io.EOF):
			return nil, invalidField("file", "Lampirkan berkas CSV atau XLSX pada kolom file.")
		case err != nil:
			return nil, importFailure(err)
		}
		if part.FormName() == "file" {
			return part, nil
		}
	}
}

// koperasiTemplate downloads the empty register file.
func (s *Server) koperasiTemplate(c echo.Context) error {
	scopes, err := s.registerScopes(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	if len(scopes) == 0 {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang membaca data koperasi.")
	}
	f := register.Format(c.QueryParam("format"))
	if f == "" {
		f = register.CSV
	}
	if f != register.CSV && f != register.XLSX {
		return invalidField("format", "Isi dengan csv atau xlsx.")
	}
	c.Response().Header().Set(echo.HeaderContentType, f.ContentType())
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="templat-data-koperasi.%s"`, f))
	c.Response().WriteHeader(http.StatusOK)
	return register.WriteTemplate(c.Response(), f)
}

// --- reading the register ---------------------------------------------------------

type koperasiList struct {
	Items      []domain.Koperasi `json:"items"`
	NextCursor *string           `json:"next_cursor"`
}

func (s *Server) listKoperasi(c echo.Context) error {
	ctx := c.Request().Context()
	scopes, err := s.registerScopes(ctx, currentUser(c))
	if err != nil {
		return err
	}
	var v domain.Validation
	q := store.KoperasiQuery{Scopes: scopes, Q: c.QueryParam("q")}
	if r := c.QueryParam("region"); r != "" && r != domain.NationalScope {
		reg, err := s.regionParam(ctx, "region", r, false)
		if err != nil {
			addInvalid(&v, err)
		}
		q.Region = reg.Code
	}
	if q.Year, err = s.yearParam("year", c.QueryParam("year"), false); err != nil {
		addInvalid(&v, err)
	}
	if st := domain.KoperasiStatus(c.QueryParam("status")); st != "" {
		switch {
		case !st.Valid():
			v.Add("status", "Status %q tidak dikenal.", st)
		case q.Year == 0:
			v.Add("status", "Saring status bersama tahun (year).")
		}
		q.Status = st
	}
	if q.Limit, err = queryInt(c, "limit", 1, store.MaxPageSize, 50); err != nil {
		addInvalid(&v, err)
	}
	var cur store.KoperasiCursor
	if ok, err := decodeCursor(c, &cur); err != nil {
		addInvalid(&v, err)
	} else if ok {
		q.After = &cur
	}
	if err := v.Err(); err != nil {
		return err
	}
	page, err := s.db.ListKoperasi(ctx, q)
	if err != nil {
		return err
	}
	out := koperasiList{Items: page.Items}
	if page.Next != nil {
		next := encodeCursor(page.Next)
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getKoperasi(c echo.Context) error {
	ctx := c.Request().Context()
	scopes, err := s.registerScopes(ctx, currentUser(c))
	if err != nil {
		return err
	}
	k, err := s.db.GetKoperasi(ctx, c.Param("id"), scopes)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, k)
}

// koperasiYearInput is the body of PUT /koperasi/{id}/years/{year}.
type koperasiYearInput struct {
	Status          domain.KoperasiStatus `json:"status"`
	RATDate         string                `json:"rat_date"`
	Members         int64                 `json:"members"`
	ModalSendiriIDR int64                 `json:"modal_sendiri_idr"`
	ModalLuarIDR    int64                 `json:"modal_luar_idr"`
	VolumeUsahaIDR  int64                 `json:"volume_usaha_idr"`
	SHUIDR          int64                 `json:"shu_idr"`
}

// putKoperasiYear writes one year of a koperasi (the operator's edit).
func (s *Server) putKoperasiYear(c echo.Context) error {
	ctx := c.Request().Context()
	scopes, err := s.registerScopes(ctx, currentUser(c))
	if err != nil {
		return err
	}
	k, err := s.db.GetKoperasi(ctx, c.Param("id"), scopes)
	if err != nil {
		return err
	}
	year, err := s.yearParam("year", c.Param("year"), true)
	if err != nil {
		return err
	}
	if _, err := s.mayManage(c, k.RegionCode, "mengubah data koperasi"); err != nil {
		return err
	}
	var in koperasiYearInput
	if err := bind(c, &in); err != nil {
		return err
	}
	y := domain.KoperasiYear{Year: year, Status: in.Status, RATDate: strings.TrimSpace(in.RATDate), Members: in.Members,
		ModalSendiriIDR: in.ModalSendiriIDR, ModalLuarIDR: in.ModalLuarIDR, VolumeUsahaIDR: in.VolumeUsahaIDR, SHUIDR: in.SHUIDR}
	out, err := s.db.SaveKoperasiYear(ctx, k.ID, scopes, y, currentUser(c), s.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// indicatorRegion reads region and year of an indicators request and
// checks the caller may read the register there.
func (s *Server) indicatorRegion(c echo.Context) (store.Region, int, error) {
	ctx := c.Request().Context()
	var v domain.Validation
	region, err := s.regionParam(ctx, "region", c.QueryParam("region"), true)
	if err != nil {
		addInvalid(&v, err)
	}
	year, err := s.yearParam("year", c.QueryParam("year"), true)
	if err != nil {
		addInvalid(&v, err)
	}
	if err := v.Err(); err != nil {
		return region, year, err
	}
	d, err := s.decide(c, policies.ObjRegister, policies.ActRead, region.Code)
	if err != nil {
		return region, year, err
	}
	if !d.Allowed {
		return region, year, domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang membaca data koperasi wilayah %s.", region.Code)
	}
	return region, year, nil
}

// koperasiIndicators answers DESIGN.md's indicators of a region and year,
// with the year before as previous.
func (s *Server) koperasiIndicators(c echo.Context) error {
	region, year, err := s.indicatorRegion(c)
	if err != nil {
		return err
	}
	out, err := s.db.KoperasiIndicators(c.Request().Context(), region.Code, year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// ChildIndicator is one region one level down and its indicators.
type ChildIndicator struct {
	Region     string                    `json:"region"`
	Name       string                    `json:"name"`
	Indicators domain.KoperasiIndicators `json:"indicators"`
}

type childIndicatorList struct {
	Region string           `json:"region"`
	Year   int              `json:"year"`
	Items  []ChildIndicator `json:"items"`
}

// koperasiChildIndicators answers the indicators of every region one level
// below region (the dashboard's per kab/kota charts); children without
// koperasi that year are listed with zeros.
func (s *Server) koperasiChildIndicators(c echo.Context) error {
	ctx := c.Request().Context()
	region, year, err := s.indicatorRegion(c)
	if err != nil {
		return err
	}
	parent := region.Code
	if parent == domain.NationalScope {
		parent = ""
	}
	children, err := s.db.ListRegions(ctx, parent)
	if err != nil {
		return err
	}
	byCode, err := s.db.ChildIndicators(ctx, parent, year)
	if err != nil {
		return err
	}
	out := childIndicatorList{Region: region.Code, Year: year, Items: []ChildIndicator{}}
	for _, ch := range children {
		ind, ok := byCode[ch.Code]
		if !ok {
			ind = domain.KoperasiIndicators{Region: ch.Code, Year: year}
		}
		out.Items = append(out.Items, ChildIndicator{Region: ch.Code, Name: ch.Name, Indicators: ind})
	}
	return c.JSON(http.StatusOK, out)
}

// --- UMKM -------------------------------------------------------------------------

type umkmInput struct {
	Mikro       int64 `json:"mikro"`
	Kecil       int64 `json:"kecil"`
	Menengah    int64 `json:"menengah"`
	TenagaKerja int64 `json:"tenaga_kerja"`
}

func (s *Server) umkmTarget(c echo.Context) (store.Region, int, error) {
	ctx := c.Request().Context()
	region, err := s.regionParam(ctx, "region", c.Param("region"), false, domain.LevelKabKota)
	if err != nil {
		return region, 0, err
	}
	year, err := s.yearParam("year", c.Param("year"), true)
	return region, year, err
}

func (s *Server) putUMKM(c echo.Context) error {
	region, year, err := s.umkmTarget(c)
	if err != nil {
		return err
	}
	if _, err := s.mayManage(c, region.Code, "mengisi data UMKM"); err != nil {
		return err
	}
	var in umkmInput
	if err := bind(c, &in); err != nil {
		return err
	}
	u := domain.UMKMFigures{Region: region.Code, Year: year, Mikro: in.Mikro, Kecil: in.Kecil, Menengah: in.Menengah, TenagaKerja: in.TenagaKerja}
	if err := s.db.PutUMKM(c.Request().Context(), u, currentUser(c), s.now()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) getUMKM(c echo.Context) error {
	region, year, err := s.umkmTarget(c)
	if err != nil {
		return err
	}
	if err := s.mayRead(c, region.Code); err != nil {
		return err
	}
	u, err := s.db.GetUMKM(c.Request().Context(), region.Code, year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// --- data rounds ------------------------------------------------------------------

// DataRoundView is a round as the API shows it: DESIGN.md's region, year,
// status and due_at, and what the caller may do with it now.
type DataRoundView struct {
	domain.DataRound
	Name           string               `json:"name"`
	Late           bool                 `json:"late"`
	AllowedActions []domain.RoundAction `json:"allowed_actions"`
}

// roundView adds the caller's allowed actions: the table's lines leaving
// the round's status whose role is the one Casbin lets the caller act in.
func (s *Server) roundView(c echo.Context, r domain.DataRound, name string) (DataRoundView, error) {
	v := DataRoundView{DataRound: r, Name: name, Late: r.Late(s.now()), AllowedActions: []domain.RoundAction{}}
	for _, t := range domain.RoundStepsFrom(r.Status) {
		d, err := s.decide(c, policies.ObjDataRound, string(t.Action), r.Region)
		if err != nil {
			return v, err
		}
		if d.Allowed && slices.Contains(t.Roles, d.Role) {
			v.AllowedActions = append(v.AllowedActions, t.Action)
		}
	}
	return v, nil
}

type dataRoundList struct {
	Items []DataRoundView `json:"items"`
}

// listDataRounds is the province's view of who is late: every round of
// the province (or the country) and year the caller may read.
func (s *Server) listDataRounds(c echo.Context) error {
	ctx := c.Request().Context()
	var v domain.Validation
	province := domain.NationalScope
	if p := c.QueryParam("province"); p != "" {
		r, err := s.regionParam(ctx, "province", p, false, domain.LevelProvinsi)
		if err != nil {
			addInvalid(&v, err)
		}
		province = r.Code
	}
	year, err := s.yearParam("year", c.QueryParam("year"), false)
	if err != nil {
		addInvalid(&v, err)
	}
	if err := v.Err(); err != nil {
		return err
	}
	rounds, err := s.db.ListDataRounds(ctx, province, year)
	if err != nil {
		return err
	}
	names := map[string]string{}
	out := dataRoundList{Items: []DataRoundView{}}
	for _, r := range rounds {
		d, err := s.decide(c, policies.ObjDataRound, policies.ActRead, r.Region)
		if err != nil {
			return err
		}
		if !d.Allowed {
			continue
		}
		name, ok := names[r.Region]
		if !ok {
			if reg, err := s.db.GetRegion(ctx, r.Region); err == nil {
				name = reg.Name
			}
			names[r.Region] = name
		}
		view, err := s.roundView(c, r, name)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, view)
	}
	return c.JSON(http.StatusOK, out)
}

// openRoundsInput is the body of POST /data-rounds.
type openRoundsInput struct {
	Province string    `json:"province"`
	Year     int       `json:"year"`
	DueAt    time.Time `json:"due_at"`
}

// openDataRounds opens (or moves the due date of) the round of every
// kab/kota of a province for a year: one workflow each, idempotent.
func (s *Server) openDataRounds(c echo.Context) error {
	ctx := c.Request().Context()
	var in openRoundsInput
	if err := bind(c, &in); err != nil {
		return err
	}
	var v domain.Validation
	prov, err := s.regionParam(ctx, "province", in.Province, false, domain.LevelProvinsi)
	if err != nil {
		addInvalid(&v, err)
	}
	if _, err := s.yearParam("year", strconv.Itoa(in.Year), true); err != nil {
		addInvalid(&v, err)
	}
	if in.DueAt.IsZero() || !in.DueAt.After(s.now()) {
		v.Add("due_at", "Batas waktu harus setelah sekarang.")
	}
	if err := v.Err(); err != nil {
		return err
	}
	kabkota, err := s.db.ListRegions(ctx, prov.Code)
	if err != nil {
		return err
	}
	out := dataRoundList{Items: []DataRoundView{}}
	for _, kk := range kabkota {
		d, err := s.decide(c, policies.ObjDataRound, policies.ActOpen, kk.Code)
		if err != nil {
			return err
		}
		if !d.Allowed {
			return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang membuka putaran data %s; hanya perencana provinsi.", kk.Code)
		}
		wctx, cancel := context.WithTimeout(ctx, s.wfWait)
		r, err := workflows.OpenDataRound(wctx, s.temporal, kk.Code, in.Year, workflows.OpenRoundRequest{
			Actor: domain.Actor{Username: currentUser(c), Role: d.Role, Scope: d.Scope}, DueAt: in.DueAt.UTC()})
		cancel()
		if err != nil {
			return s.workflowFailure(c, err)
		}
		view, err := s.roundView(c, r, kk.Name)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, view)
	}
	return c.JSON(http.StatusOK, out)
}

// roundTarget reads the kab/kota and year of a round's path and checks the
// caller may read it (404 otherwise).
func (s *Server) roundTarget(c echo.Context) (store.Region, domain.DataRound, error) {
	ctx := c.Request().Context()
	region, err := s.regionParam(ctx, "region", c.Param("region"), false, domain.LevelKabKota)
	if err != nil {
		return region, domain.DataRound{}, err
	}
	year, err := s.yearParam("year", c.Param("year"), true)
	if err != nil {
		return region, domain.DataRound{}, err
	}
	d, err := s.decide(c, policies.ObjDataRound, policies.ActRead, region.Code)
	if err != nil {
		return region, domain.DataRound{}, err
	}
	if !d.Allowed {
		return region, domain.DataRound{}, domain.Errorf(domain.ENOTFOUND, "Putaran data %s tahun %d tidak ditemukan dalam cakupan Anda.", region.Code, year)
	}
	r, err := s.db.GetDataRound(ctx, region.Code, year)
	return region, r, err
}

type dataRoundDetail struct {
	DataRoundView
	Events []store.DataRoundEvent `json:"events"`
}

func (s *Server) getDataRound(c echo.Context) error {
	region, r, err := s.roundTarget(c)
	if err != nil {
		return err
	}
	view, err := s.roundView(c, r, region.Name)
	if err != nil {
		return err
	}
	events, err := s.db.DataRoundEvents(c.Request().Context(), r.Region, r.Year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, dataRoundDetail{DataRoundView: view, Events: events})
}

// dataRoundDiff compares the round's register with the year before.
func (s *Server) dataRoundDiff(c echo.Context) error {
	region, year := c.Param("region"), c.Param("year")
	reg, err := s.regionParam(c.Request().Context(), "region", region, false, domain.LevelKabKota)
	if err != nil {
		return err
	}
	y, err := s.yearParam("year", year, true)
	if err != nil {
		return err
	}
	if err := s.mayRead(c, reg.Code); err != nil {
		return err
	}
	diff, err := s.db.DataRoundDiff(c.Request().Context(), reg.Code, y)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, diff)
}

// roundActionInput is the body of a round action.
type roundActionInput struct {
	Comment string     `json:"comment"`
	DueAt   *time.Time `json:"due_at"`
}

// dataRoundAction performs submit, verify, return, accept or reopen: the
// round must be visible (404), the action known (404) and possible in its
// status (409), Casbin must allow it (403); the workflow's validator
// checks the table again and answers after the change is recorded.
func (s *Server) dataRoundAction(c echo.Context) error {
	region, r, err := s.roundTarget(c)
	if err != nil {
		return err
	}
	action := domain.RoundAction(c.Param("action"))
	if !slices.Contains(domain.RoundActions, action) {
		return domain.Errorf(domain.ENOTFOUND, "Aksi %q tidak dikenal.", action)
	}
	if _, ok := domain.RoundStep(r.Status, action); !ok {
		return domain.Errorf(domain.ECONFLICT, "Aksi %q tidak dapat dilakukan pada putaran data berstatus %s.", action, r.Status.Label())
	}
	d, err := s.decide(c, policies.ObjDataRound, string(action), r.Region)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang melakukan aksi %q pada putaran data %s.", action, r.Region)
	}
	var in roundActionInput
	if err := bindOptional(c, &in); err != nil {
		return err
	}
	var v domain.Validation
	domain.CheckLen(&v, "comment", "Komentar", in.Comment, maxComment)
	if err := v.Err(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(c.Request().Context(), s.wfWait)
	defer cancel()
	out, err := workflows.ActDataRound(wctx, s.temporal, r.Region, r.Year, action, workflows.RoundActionRequest{
		Actor: domain.Actor{Username: currentUser(c), Role: d.Role, Scope: d.Scope}, Comment: in.Comment, DueAt: in.DueAt})
	if err != nil {
		return s.workflowFailure(c, err)
	}
	view, err := s.roundView(c, out, region.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, view)
}
