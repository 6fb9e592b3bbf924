package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/policies"
)

// registerTargetRoutes registers the endpoints of targets measured on the
// koperasi register (issue 18).
func (s *Server) registerTargetRoutes(v1 *echo.Group, a []echo.MiddlewareFunc) {
	v1.GET("/cycles/:id/targets/progress", s.targetProgress, a...)
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
