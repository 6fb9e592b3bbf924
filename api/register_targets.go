package api

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
	"github.com/rencana-id/rencana/policies"
)

// registerTargetRoutes registers the endpoints of targets measured on the
// koperasi register (issue 18).
func (s *Server) registerTargetRoutes(v1 *echo.Group, a []echo.MiddlewareFunc) {
	v1.GET("/cycles/:id/targets/progress", s.targetProgress, a...)
	v1.GET("/koperasi/coverage", s.koperasiCoverage, a...)
}

// koperasiCoverage answers which koperasi of a region received funded
// proposals in the fiscal years from..to and which active koperasi (in
// the register of year to) received none; format=xlsx gives a workbook.
// The caller must read the register of the region (403 otherwise).
func (s *Server) koperasiCoverage(c echo.Context) error {
	ctx := c.Request().Context()
	var v domain.Validation
	region, err := s.regionParam(ctx, "region", c.QueryParam("region"), false)
	if err != nil {
		addInvalid(&v, err)
	}
	from, err := s.yearParam("from", c.QueryParam("from"), true)
	if err != nil {
		addInvalid(&v, err)
	}
	to, err := s.yearParam("to", c.QueryParam("to"), true)
	if err != nil {
		addInvalid(&v, err)
	}
	if from > 0 && to > 0 && to < from {
		v.Add("to", "Tahun akhir tidak boleh sebelum tahun awal %d.", from)
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "xlsx" {
		v.Add("format", "Isi dengan json atau xlsx, bukan %q.", format)
	}
	if err := v.Err(); err != nil {
		return err
	}
	d, err := s.decide(c, policies.ObjRegister, policies.ActRead, region.Code)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang membaca data koperasi wilayah %s.", region.Code)
	}
	cov, err := s.db.KoperasiCoverage(ctx, region.Code, from, to)
	if err != nil {
		return err
	}
	if format != "xlsx" {
		return c.JSON(http.StatusOK, cov)
	}
	name := fmt.Sprintf("jangkauan-koperasi-%s-%d-%d.xlsx", strings.ReplaceAll(region.Code, ".", "-"), from, to)
	c.Response().Header().Set(echo.HeaderContentType, export.XLSX.ContentType())
	c.Response().Header().Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	c.Response().WriteHeader(http.StatusOK)
	return export.WriteCoverageXLSX(c.Response(), cov)
}

type targetProgressView struct {
	CycleID string                      `json:"cycle_id"`
	Items   []domain.TargetProgressItem `json:"items"`
}

// targetProgress answers the progress of the cycle's register targets,
// one row per target and kab/kota plus the province's. Whoever may read
// the cycle sees the province rows; the kab/kota rows are limited to the
// kab/kota the caller's cycle grants cover (a kab/kota user sees its own
// kab/kota beside the province total, not its neighbours).
func (s *Server) targetProgress(c echo.Context) error {
	cy, err := s.visibleCycle(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	items, err := s.db.CycleTargetProgress(ctx, cy.ID)
	if err != nil {
		return err
	}
	scopes, err := s.scopesFor(ctx, currentUser(c), policies.ObjCycle, policies.ActRead)
	if err != nil {
		return err
	}
	out := targetProgressView{CycleID: cy.ID, Items: make([]domain.TargetProgressItem, 0, len(items))}
	for _, it := range items {
		if it.Province || scopeSees(scopes, it.Region) {
			out.Items = append(out.Items, it)
		}
	}
	return c.JSON(http.StatusOK, out)
}

// scopeSees reports whether one of scopes covers region or lies inside it
// (a kecamatan's user sees its kab/kota's row).
func scopeSees(scopes []string, region string) bool {
	for _, sc := range scopes {
		if domain.ScopeCovers(sc, region) || domain.ScopeCovers(region, sc) {
			return true
		}
	}
	return false
}

// checkBeneficiaryKoperasi adds an error for each koperasi id that is not
// in the register or lies outside the proposal's region.
func (s *Server) checkBeneficiaryKoperasi(ctx context.Context, v *domain.Validation, region string, ids []string) error {
	ids = domain.CleanKoperasiIDs(ids)
	if len(ids) == 0 || len(ids) > domain.MaxBeneficiaryKoperasi {
		return nil
	}
	regions, err := s.db.KoperasiRegions(ctx, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		at, ok := regions[id]
		switch {
		case !ok:
			v.Add(fmt.Sprintf("beneficiaries_koperasi[%d]", i), "Koperasi %q tidak ada dalam register; pilih dari GET /api/v1/koperasi?region=%s.", id, region)
		case !domain.ScopeCovers(region, at):
			v.Add(fmt.Sprintf("beneficiaries_koperasi[%d]", i), "Koperasi %q berada di wilayah %s, di luar wilayah usulan %s.", id, at, region)
		}
	}
	return nil
}
