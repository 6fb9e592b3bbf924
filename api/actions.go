package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/workflows"
)

// actionRequest is the body of POST /proposals/{id}/actions/{action}. The
// action-specific fields are pointers so that a field sent to an action that
// does not use it is refused instead of silently ignored.
type actionRequest struct {
	Comment               string                `json:"comment" text:"multiline"`
	Priority              *int                  `json:"priority"`
	ConsolidatedAmountIDR *int64                `json:"consolidated_amount_idr"`
	FundingSource         *domain.FundingSource `json:"funding_source"`
	SIPDCode              *string               `json:"sipd_code"`
}

func validAction(a domain.Action) bool { return slices.Contains(domain.Actions, a) }

// act performs a stage action: the proposal must be visible (else 404), the
// action known (else 404) and possible in the proposal's stage (else 409),
// Casbin must allow it for the caller on the proposal's stage and region
// (else 403); then the workflow Update runs its validator (deadlines,
// separation of duties, complete fields: 409/403/422) and answers once the
// transition is in the database, with the new state.
func (s *Server) act(c echo.Context) error {
	action := domain.Action(c.Param("action"))
	p, err := s.visibleProposal(c, c.Param("id"))
	if err != nil {
		return err
	}
	if !validAction(action) {
		names := make([]string, len(domain.Actions))
		for i, a := range domain.Actions {
			names[i] = string(a)
		}
		return domain.Errorf(domain.ENOTFOUND, "Aksi %q tidak dikenal; aksi yang ada: %s.", action, strings.Join(names, ", "))
	}
	t, ok := domain.FindTransition(p.Stage, action)
	if !ok {
		return domain.Errorf(domain.ECONFLICT, "Aksi %q tidak dapat dilakukan pada tahap %s.", action, p.Stage.Label())
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	d, err := s.authz.CanStage(ctx, user, p.Stage, action, p.RegionCode, now)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang melakukan aksi %q pada usulan wilayah %s di tahap %s.",
			action, p.RegionCode, p.Stage.Label())
	}
	version, err := ifMatch(c, false)
	if err != nil {
		return err
	}
	var body actionRequest
	if err := bindOptional(c, &body); err != nil {
		return err
	}
	cycle, err := s.db.GetCycle(ctx, p.CycleID)
	if err != nil {
		return err
	}
	req, err := s.actionRequest(ctx, t, body, p, cycle)
	if err != nil {
		return err
	}
	req.Actor = domain.Actor{Username: user, Role: d.Role, Scope: d.Scope}
	req.ExpectedVersion = version
	wctx, cancel := context.WithTimeout(ctx, s.wfWait)
	defer cancel()
	out, err := workflows.Act(wctx, s.temporal, p.ID, action, req)
	if err != nil {
		return s.workflowFailure(c, err)
	}
	return s.respondProposal(c, http.StatusOK, out, &cycle)
}

// actionRequest validates the body for transition t and builds the
// Update's argument. Each action takes only its own fields (t.Fields).
func (s *Server) actionRequest(ctx context.Context, t domain.Transition, b actionRequest, p domain.Proposal, cycle domain.Cycle) (workflows.ActionRequest, error) {
	var v domain.Validation
	domain.CheckLen(&v, "comment", "Komentar", b.Comment, maxComment)
	given := map[string]bool{
		domain.FieldPriority: b.Priority != nil, domain.FieldConsolidatedAmountIDR: b.ConsolidatedAmountIDR != nil,
		domain.FieldFundingSource: b.FundingSource != nil, domain.FieldSIPDCode: b.SIPDCode != nil,
	}
	for _, f := range domain.ActionFields {
		switch {
		case given[f] && !t.Takes(f):
			v.Add(f, "Kolom ini tidak dipakai oleh aksi %q; hapus dari permintaan.", t.Action)
		case !given[f] && t.Takes(f):
			v.Add(f, "Wajib diisi untuk aksi %q.", t.Action)
		}
	}
	req := workflows.ActionRequest{Comment: strings.TrimSpace(b.Comment)}
	if b.Priority != nil {
		req.Priority = *b.Priority
		if *b.Priority < 1 || *b.Priority > maxPriority {
			v.Add("priority", "Prioritas harus bilangan bulat 1 sampai %d (1 paling penting).", maxPriority)
		}
	}
	if b.ConsolidatedAmountIDR != nil {
		req.ConsolidatedAmountIDR = *b.ConsolidatedAmountIDR
		domain.CheckAmount(&v, "consolidated_amount_idr", "Pagu konsolidasi", *b.ConsolidatedAmountIDR)
	}
	if b.FundingSource != nil {
		req.FundingSource = *b.FundingSource
		if *b.FundingSource == "" {
			v.Add("funding_source", "Sumber dana wajib diisi; pilih salah satu: %s.", domain.List(domain.FundingSources))
		}
		domain.CheckFunding(&v, "funding_source", *b.FundingSource)
	}
	if b.SIPDCode != nil {
		req.SIPDCode = strings.TrimSpace(*b.SIPDCode)
		domain.CheckLen(&v, "sipd_code", "Kode sub kegiatan", req.SIPDCode, domain.MaxSIPDCode)
		if err := s.checkSIPDCode(ctx, &v, req.SIPDCode, p.RegionCode, cycle.FiscalYear, true); err != nil {
			return req, err
		}
	}
	return req, v.Err()
}

// allowedActions lists the stage actions the caller could take on p now:
// the transitions of p's stage that Casbin grants the caller for the
// proposal's region and whose guards (who and when) pass, the same table
// lines the workflow's validator applies. cycle may be nil (no calendar
// known): then the deadline-bound actions are not offered.
func (s *Server) allowedActions(ctx context.Context, user string, p domain.Proposal, cycle *domain.Cycle, now time.Time) ([]domain.Action, error) {
	out := []domain.Action{}
	var cal *domain.Calendar
	if cycle != nil {
		cal = &cycle.Calendar
	}
	for _, t := range domain.Transitions {
		if t.From != p.Stage {
			continue
		}
		d, err := s.authz.CanStage(ctx, user, p.Stage, t.Action, p.RegionCode, now)
		if err != nil {
			return nil, err
		}
		in := domain.GuardInput{CreatedBy: p.CreatedBy, SubmittedBy: p.SubmittedBy,
			Actor: domain.Actor{Username: user, Role: d.Role, Scope: d.Scope}, Calendar: cal, Now: now}
		if d.Allowed && t.Refusal(in) == nil {
			out = append(out, t.Action)
		}
	}
	return out, nil
}
