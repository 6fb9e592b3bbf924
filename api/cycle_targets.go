package api

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// --- ceilings and targets -----------------------------------------------------

type ceilingsRequest struct {
	Ceilings *[]ceilingInput `json:"ceilings"`
}

// setCeilings replaces the cycle's pagu indikatif (PUT: the list given is
// the whole list; a kab/kota left out has no ceiling). If-Match is optional.
func (s *Server) setCeilings(c echo.Context) error {
	w := cycleWrite{object: policies.ObjCycle, action: policies.ActUpdate, refused: "Anda tidak berwenang menetapkan pagu indikatif siklus %s; hanya Kepala Dinas provinsinya.", ifMatchRequired: false}
	return cycleUpdate(s, c, w, func(cy domain.Cycle, req *ceilingsRequest) (cycleCall, error) {
		if req.Ceilings == nil {
			return nil, invalidField("ceilings", "Sertakan daftar pagu indikatif ([] untuk menghapus semuanya), misalnya [{\"region_code\":\"%s.05\",\"amount_idr\":1500000000}].", cy.ProvinceCode)
		}
		ceilings := make([]domain.Ceiling, len(*req.Ceilings))
		for i, ce := range *req.Ceilings {
			ceilings[i] = domain.Ceiling{RegionCode: strings.TrimSpace(ce.RegionCode), AmountIDR: ce.AmountIDR}
		}
		var v domain.Validation
		if err := s.checkCeilings(c.Request().Context(), &v, cy.ProvinceCode, ceilings); err != nil {
			return nil, err
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		return func(ctx context.Context, actor domain.Actor, version int64) error {
			_, err := workflows.SetCycleCeilings(ctx, s.temporal, cy.ID, workflows.SetCeilingsRequest{Actor: actor, ExpectedVersion: version, Ceilings: ceilings})
			return err
		}, nil
	})
}

type targetsRequest struct {
	Targets *[]targetInput `json:"targets"`
}

// setTargets replaces the cycle's performance targets (PUT).
func (s *Server) setTargets(c echo.Context) error {
	w := cycleWrite{object: policies.ObjCycle, action: policies.ActUpdate, refused: "Anda tidak berwenang menetapkan target kinerja siklus %s; hanya Kepala Dinas provinsinya.", ifMatchRequired: false}
	return cycleUpdate(s, c, w, func(cy domain.Cycle, req *targetsRequest) (cycleCall, error) {
		if req.Targets == nil {
			return nil, invalidField("targets", "Sertakan daftar target kinerja ([] untuk menghapus semuanya).")
		}
		var v domain.Validation
		targets := checkTargets(&v, *req.Targets)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return func(ctx context.Context, actor domain.Actor, version int64) error {
			_, err := workflows.SetCycleTargets(ctx, s.temporal, cy.ID, workflows.SetTargetsRequest{Actor: actor, ExpectedVersion: version, Targets: targets})
			return err
		}, nil
	})
}
