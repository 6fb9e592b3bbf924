package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
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
	if !slices.Contains(workflows.StageActions(p.Stage), action) {
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
	req, err := s.actionRequest(ctx, action, body, p, cycle)
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

// actionRequest validates the body for action and builds the Update's
// argument. Each action takes only its own fields.
func (s *Server) actionRequest(ctx context.Context, action domain.Action, b actionRequest, p store.Proposal, cycle domain.Cycle) (workflows.ActionRequest, error) {
	var v domain.Validation
	checkLen(&v, "comment", "Komentar", b.Comment, maxComment)
	uses := map[string]bool{}
	switch action {
	case domain.ActionConsolidate:
		uses["priority"], uses["consolidated_amount_idr"], uses["funding_source"] = true, true, true
	case domain.ActionFund:
		uses["funding_source"] = true
	case domain.ActionMap:
		uses["sipd_code"] = true
	}
	given := map[string]bool{
		"priority": b.Priority != nil, "consolidated_amount_idr": b.ConsolidatedAmountIDR != nil,
		"funding_source": b.FundingSource != nil, "sipd_code": b.SIPDCode != nil,
	}
	for _, f := range []string{"priority", "consolidated_amount_idr", "funding_source", "sipd_code"} {
		switch {
		case given[f] && !uses[f]:
			v.Add(f, "Kolom ini tidak dipakai oleh aksi %q; hapus dari permintaan.", action)
		case !given[f] && uses[f]:
			v.Add(f, "Wajib diisi untuk aksi %q.", action)
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
		checkAmount(&v, "consolidated_amount_idr", "Pagu konsolidasi", *b.ConsolidatedAmountIDR)
	}
	if b.FundingSource != nil {
		req.FundingSource = *b.FundingSource
		if *b.FundingSource == "" {
			v.Add("funding_source", "Sumber dana wajib diisi; pilih salah satu: %s.", fundingList())
		}
		checkFunding(&v, "funding_source", *b.FundingSource)
	}
	if b.SIPDCode != nil {
		req.SIPDCode = strings.TrimSpace(*b.SIPDCode)
		checkLen(&v, "sipd_code", "Kode sub kegiatan", req.SIPDCode, maxSIPDCode)
		if err := s.checkSIPDCode(ctx, &v, req.SIPDCode, p.RegionCode, cycle.FiscalYear, true); err != nil {
			return req, err
		}
	}
	return req, v.Err()
}

// allowedActions lists the stage actions the caller could take on p now:
// Casbin's answer for the proposal's stage and region, narrowed by the
// workflow's rules on who and when (actionRuleAllows).
func (s *Server) allowedActions(ctx context.Context, user string, p store.Proposal, cycle *domain.Cycle, now time.Time) ([]domain.Action, error) {
	out := []domain.Action{}
	for _, a := range workflows.StageActions(p.Stage) {
		d, err := s.authz.CanStage(ctx, user, p.Stage, a, p.RegionCode, now)
		if err != nil {
			return nil, err
		}
		if d.Allowed && actionRuleAllows(p, domain.Actor{Username: user, Role: d.Role, Scope: d.Scope}, a, cycle, now) {
			out = append(out, a)
		}
	}
	return out, nil
}

// actionRuleAllows mirrors the "who and when" rules of the workflow's
// validator (workflows/rules.go, checkAction) so that allowed_actions and
// the inbox offer only what the workflow would accept. The workflow stays
// the authority: a difference here shows a wrong button, it never lets a
// wrong transition through. cycle may be nil (no calendar known): then the
// deadline-bound actions are not offered.
func actionRuleAllows(p store.Proposal, actor domain.Actor, a domain.Action, cycle *domain.Cycle, now time.Time) bool {
	switch a {
	case domain.ActionSubmit:
		return cycle != nil && now.Before(cycle.Calendar.SubmissionDeadline)
	case domain.ActionWithdraw:
		return actor.Username == p.CreatedBy || actor.Role == domain.RolePerencanaKabKota
	case domain.ActionApprove:
		return actor.Username != p.CreatedBy && actor.Username != p.SubmittedBy
	case domain.ActionReturn:
		return actor.Username != p.CreatedBy
	case domain.ActionReject:
		if p.Stage == domain.StageRakorda {
			return rakordaOpen(cycle, now)
		}
		return actor.Username != p.CreatedBy
	case domain.ActionAccept, domain.ActionDefer:
		return rakordaOpen(cycle, now)
	}
	return true
}

func rakordaOpen(cycle *domain.Cycle, now time.Time) bool {
	return cycle != nil && !now.Before(cycle.Calendar.RakordaStart) && !now.After(cycle.Calendar.RakordaEnd)
}
