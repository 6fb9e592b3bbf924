package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// task is one line of the inbox: a proposal the caller can act on now, or
// (kind "kmp") a Koperasi Merah Putih milestone due for them (kmpTasks).
type task struct {
	Kind       string          `json:"kind"` // proposal or kmp
	ProposalID string          `json:"proposal_id"`
	Title      string          `json:"title"`
	RegionCode string          `json:"region_code"`
	Stage      domain.Stage    `json:"stage"`
	Actions    []domain.Action `json:"actions"`
	DueAt      *time.Time      `json:"due_at"`
	Overdue    bool            `json:"overdue"`
	// Milestone is the KMP milestone due (kind kmp).
	Milestone domain.KMPMilestone `json:"milestone,omitempty"`
}

type taskList struct {
	Items      []task  `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

type taskCursor struct {
	DueAt time.Time `json:"t"`
	ID    string    `json:"id"`
}

// openStages are the stages that have actions, in their order.
var openStages = []domain.Stage{
	domain.StageDraft, domain.StageKabKotaReview, domain.StageRakorda,
	domain.StageConsolidation, domain.StageMinistry, domain.StageSIPDMapping,
}

// tasks is the inbox: for the caller's active grants, the proposals they can
// act on now, with those actions, soonest due first (the due date is the
// deadline of the cycle's calendar for the proposal's stage, workflows.DueAt,
// kept in the projection), paged by keyset.
//
// The policy decides who may act where; to let the database do the
// selection (100,000 proposals must not be read to fill a page), the
// caller's grants are turned into SQL clauses by asking the Authorizer about
// one representative region per level under each grant's scope (taskClauses).
// Each candidate row is then judged exactly, like allowed_actions: Casbin on
// its stage and region and the workflow's who-and-when rules. Rows that fail
// (a reviewer's own proposal, say) are skipped and the next ones read.
func (s *Server) tasks(c echo.Context) error {
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjTasks, Action: policies.ActRead, Region: domain.NationalScope, At: now})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Peran Anda tidak memiliki daftar tugas usulan.")
	}
	limit, err := queryInt(c, "limit", 1, store.MaxPageSize, 50)
	if err != nil {
		return err
	}
	var after *store.TaskCursor
	var cur taskCursor
	if ok, err := decodeCursor(c, &cur); err != nil {
		return err
	} else if ok {
		after = &store.TaskCursor{DueAt: cur.DueAt, ID: cur.ID}
	}
	firstPage := after == nil
	cycles, err := s.db.ListCycles(ctx)
	if err != nil {
		return err
	}
	byID := make(map[string]*domain.Cycle, len(cycles))
	for i := range cycles {
		byID[cycles[i].ID] = &cycles[i]
	}
	clauses, err := s.taskClauses(ctx, user, now, cycles)
	if err != nil {
		return err
	}
	out := taskList{Items: []task{}}
	for len(clauses) > 0 && len(out.Items) <= limit {
		batch, err := s.db.ListTaskCandidates(ctx, store.TaskQuery{Clauses: clauses, After: after, Limit: limit + 1})
		if err != nil {
			return err
		}
		for _, p := range batch {
			actions, err := s.allowedActions(ctx, user, p, byID[p.CycleID], now)
			if err != nil {
				return err
			}
			if len(actions) == 0 {
				continue
			}
			out.Items = append(out.Items, task{Kind: taskProposal, ProposalID: p.ID, Title: p.Title, RegionCode: p.RegionCode, Stage: p.Stage,
				Actions: actions, DueAt: p.DueAt, Overdue: overdue(p, now)})
			if len(out.Items) > limit {
				break
			}
		}
		if len(batch) <= limit {
			break // no more candidates
		}
		last := batch[len(batch)-1]
		after = &store.TaskCursor{DueAt: *last.DueAt, ID: last.ID}
	}
	if len(out.Items) > limit {
		out.Items = out.Items[:limit]
		last := out.Items[limit-1]
		s := encodeCursor(taskCursor{DueAt: *last.DueAt, ID: last.ProposalID})
		out.NextCursor = &s
	}
	if firstPage {
		// KMP milestones are few per user: all on the first page.
		kmp, err := s.kmpTasks(ctx, user, now, limit)
		if err != nil {
			return err
		}
		out.Items = mergeTasks(out.Items, kmp)
	}
	return c.JSON(http.StatusOK, out)
}

// taskClauses turns the caller's active grants into store clauses: for each
// grant and open stage, the region levels under the grant's scope (and the
// scope's ancestors) where Casbin lets the caller take some action of that
// stage. Clauses are a superset, each row is re-checked; but where every
// action a clause stands for carries the same extra condition, the clause
// carries it too, so the database skips what would be dropped anyway: a
// creator-only withdraw keeps the caller's own proposals, a submit keeps the
// cycles still open for submission, a Rakorda decision the cycles whose
// Rakorda is in session.
func (s *Server) taskClauses(ctx context.Context, user string, now time.Time, cycles []domain.Cycle) ([]store.TaskClause, error) {
	grants, err := s.authz.ActiveGrants(ctx, user, now)
	if err != nil {
		return nil, err
	}
	submission, rakorda := []string{}, []string{}
	for i := range cycles {
		cy := &cycles[i]
		if domain.SubmissionOpen(&cy.Calendar, now) == nil {
			submission = append(submission, cy.ID)
		}
		if domain.RakordaOpen(&cy.Calendar, now) == nil {
			rakorda = append(rakorda, cy.ID)
		}
	}
	var out []store.TaskClause
	seen := map[string]bool{}
	add := func(c store.TaskClause) {
		if k := fmt.Sprintf("%+v", c); !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	for _, g := range grants {
		below, above := probeRegions(g.Scope)
		for _, stage := range openStages {
			var lengths []int
			var exact []string
			acts := map[domain.Action]bool{}
			withdrawAny := false
			probe := func(region string) (bool, error) {
				hit := false
				for _, a := range domain.StageActions(stage) {
					d, err := s.authz.CanStage(ctx, user, stage, a, region, now)
					if err != nil {
						return false, err
					}
					if d.Allowed {
						hit, acts[a] = true, true
						withdrawAny = withdrawAny || (a == domain.ActionWithdraw && d.Role == domain.RolePerencanaKabKota)
					}
				}
				return hit, nil
			}
			for _, r := range below {
				hit, err := probe(r)
				if err != nil {
					return nil, err
				}
				if hit {
					lengths = append(lengths, len(r))
				}
			}
			for _, r := range above {
				hit, err := probe(r)
				if err != nil {
					return nil, err
				}
				if hit {
					exact = append(exact, r)
				}
			}
			if len(lengths) == 0 && len(exact) == 0 {
				continue
			}
			base := store.TaskClause{Stage: stage}
			if onlyActions(acts, domain.ActionWithdraw) && !withdrawAny {
				base.CreatedBy = user
			}
			if onlyActions(acts, domain.ActionSubmit) {
				base.CycleIDs = submission
			}
			if stage == domain.StageRakorda {
				base.CycleIDs = rakorda
			}
			if len(lengths) > 0 {
				c := base
				c.Within = g.Scope
				if len(lengths) < len(below) {
					c.Lengths = lengths
				}
				add(c)
			}
			if len(exact) > 0 {
				c := base
				c.Regions = exact
				add(c)
			}
		}
	}
	return out, nil
}

// onlyActions reports whether every action in acts is one of only.
func onlyActions(acts map[domain.Action]bool, only ...domain.Action) bool {
	for a := range acts {
		if !slices.Contains(only, a) {
			return false
		}
	}
	return true
}

// probeRegions returns, for a grant scope, one representative region code
// per level from the scope's own down to desa (below), and the scope's
// ancestors (above). A policy reach depends only on whether the scope covers
// a region and on the region's level, so the Authorizer's answer for the
// representative is its answer for every region of that level: synthetic
// segments ("00") are never looked up, only compared.
func probeRegions(scope string) (below, above []string) {
	synthetic := []string{"00", "00", "00", "0000"}
	if scope == domain.NationalScope {
		code := ""
		for i, seg := range synthetic {
			if i > 0 {
				code += "."
			}
			code += seg
			below = append(below, code)
		}
		return below, nil
	}
	lvl, err := domain.ParseRegionCode(scope)
	if err != nil {
		return nil, nil
	}
	code := scope
	below = append(below, code)
	for i := int(lvl); i < len(synthetic); i++ {
		code += "." + synthetic[i]
		below = append(below, code)
	}
	for p := domain.RegionParent(scope); p != ""; p = domain.RegionParent(p) {
		above = append(above, p)
	}
	return below, above
}
