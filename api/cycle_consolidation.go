package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

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
