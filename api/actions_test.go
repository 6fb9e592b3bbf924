package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// taskActions returns the actions p's inbox offers on id, "" when absent.
func (e *env) taskActions(p person, id string) string {
	e.t.Helper()
	r := e.as(p, http.MethodGet, "/api/v1/tasks", nil)
	require.Equal(e.t, http.StatusOK, r.Code, r.Body.String())
	for _, it := range items(r) {
		if t := it.(map[string]any); t["proposal_id"] == id {
			return fmtActions(t["actions"].([]any))
		}
	}
	return ""
}

// TestSeparationOfDuties: someone who holds a reviewer's role may not
// approve (nor return or reject) a proposal they created or submitted. The
// workflow refuses it (403), and the API does not offer it: neither in
// allowed_actions nor in the inbox.
func TestSeparationOfDuties(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	// A kab/kota planner who is also a reviewer there, and a camat who is
	// also a reviewer of the kab/kota: both exist when a dinas is short-staffed.
	both := person{"ganda.konsel", domain.RolePerencanaKabKota, "74.05"}
	e.addPerson(both)
	require.NoError(t, e.authz.AddGrant(e.ctx, "test", both.username, domain.Grant{Role: domain.RoleReviewerKabKota, Scope: "74.05"}))
	camatReviewer := person{"camat.merangkap", domain.RoleCamat, "74.05.03"}
	e.addPerson(camatReviewer)
	require.NoError(t, e.authz.AddGrant(e.ctx, "test", camatReviewer.username, domain.Grant{Role: domain.RoleReviewerKabKota, Scope: "74.05"}))

	// Created and submitted by the same person.
	r := e.as(both, http.MethodPost, "/api/v1/proposals", with(goodDraft(e.cycle.ID), "region_code", "74.05"))
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	own := r.str("id")
	r = e.as(both, http.MethodPost, "/api/v1/proposals/"+own+"/actions/submit", nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, []any{"withdraw"}, r.body["allowed_actions"])
	require.Equal(t, "withdraw", e.taskActions(both, own))
	for _, action := range []string{"approve", "return", "reject"} {
		r = e.as(both, http.MethodPost, "/api/v1/proposals/"+own+"/actions/"+action, map[string]any{"comment": "setuju"})
		requireProblem(t, r, http.StatusForbidden)
		require.Contains(t, r.str("detail"), "pemisahan tugas")
	}
	require.Equal(t, domain.StageKabKotaReview, mustStage(t, e, own))
	// Someone else reviews it.
	require.Equal(t, "approve,return,reject", e.taskActions(reviewer, own))
	r = e.as(reviewer, http.MethodPost, "/api/v1/proposals/"+own+"/actions/approve", nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())

	// Submitted (not created) by the camat who also reviews.
	r = e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", goodDraft(e.cycle.ID))
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	sub := r.str("id")
	r = e.as(camatReviewer, http.MethodPost, "/api/v1/proposals/"+sub+"/actions/submit", nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, []any{"return", "reject"}, r.body["allowed_actions"], "the submitter may return, not approve")
	require.Equal(t, "return,reject", e.taskActions(camatReviewer, sub))
	r = e.as(camatReviewer, http.MethodPost, "/api/v1/proposals/"+sub+"/actions/approve", nil)
	requireProblem(t, r, http.StatusForbidden)
	require.Contains(t, r.str("detail"), "pemisahan tugas")
	require.Equal(t, domain.StageKabKotaReview, mustStage(t, e, sub))
}

// TestActionRefusals: each way an action can be wrong gets its status, and
// none of them changes the proposal.
func TestActionRefusals(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", goodDraft(e.cycle.ID))
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	id := r.str("id")
	path := func(a string) string { return "/api/v1/proposals/" + id + "/actions/" + a }

	r = e.as(camat, http.MethodPost, path("setujui"), nil)
	requireProblem(t, r, http.StatusNotFound)
	require.Contains(t, r.str("detail"), "submit")
	requireProblem(t, e.as(reviewer, http.MethodPost, path("approve"), nil), http.StatusConflict) // not in draft
	requireProblem(t, e.as(reviewer, http.MethodPost, path("submit"), nil), http.StatusForbidden)
	requireProblem(t, e.as(kabPlanner, http.MethodPost, path("submit"), nil), http.StatusForbidden) // kab/kota proposals only

	requireField(t, e.as(camat, http.MethodPost, path("submit"), `{"comment": `), "body")
	requireField(t, e.as(camat, http.MethodPost, path("submit"), map[string]any{"komentar": "x"}), "komentar")
	requireField(t, e.as(camat, http.MethodPost, path("submit"), map[string]any{"comment": 5}), "comment")
	requireField(t, e.as(camat, http.MethodPost, path("submit"), map[string]any{"comment": strings.Repeat("k", 2001)}), "comment")
	requireField(t, e.as(camat, http.MethodPost, path("submit"), map[string]any{"sipd_code": "2.17.05.2.01.0001"}), "sipd_code")
	requireProblem(t, e.as(camat, http.MethodPost, path("submit"), nil, header{"If-Match", `"9"`}), http.StatusPreconditionFailed)

	// A second planner of the same kecamatan may not withdraw another's draft.
	other := person{"kec2.andoolo", domain.RolePerencanaKecamatan, "74.05.03"}
	e.addPerson(other)
	requireProblem(t, e.as(other, http.MethodPost, path("withdraw"), nil), http.StatusForbidden)
	require.Equal(t, []any{}, e.as(other, http.MethodGet, "/api/v1/proposals/"+id, nil).body["allowed_actions"])
	require.Equal(t, "", e.taskActions(other, id))

	p, err := e.db.GetProposal(e.ctx, id)
	require.NoError(t, err)
	require.Equal(t, domain.StageDraft, p.Stage)
	require.EqualValues(t, 1, p.Version, "no refusal changed anything")

	// Incomplete drafts cannot be submitted: the workflow names the fields.
	r = e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", map[string]any{"cycle_id": e.cycle.ID, "region_code": "74.05.03", "title": "Baru judul"})
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	r = e.as(camat, http.MethodPost, "/api/v1/proposals/"+r.str("id")+"/actions/submit", nil)
	requireField(t, r, "amount_idr")
	requireField(t, r, "indicators")

	// Withdrawn is the end: nothing more can happen.
	r = e.as(kecPlanner, http.MethodPost, path("withdraw"), map[string]any{"comment": "Digabung dengan usulan lain"})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, "withdrawn", r.str("stage"))
	requireProblem(t, e.as(camat, http.MethodPost, path("submit"), nil), http.StatusConflict)

	// Action bodies are checked per action before the workflow is asked
	// (a consolidation-stage row of the projection suffices for that).
	e.insertProposal(sampleRow("usl-kons", e.cycle.ID, "74.05", domain.StageConsolidation))
	kons := "/api/v1/proposals/usl-kons/actions/consolidate"
	full := map[string]any{"priority": 2, "consolidated_amount_idr": 90_000_000, "funding_source": "apbd_provinsi"}
	for _, c := range []struct {
		body  any
		field string
	}{
		{without(full, "priority"), "priority"},
		{with(full, "priority", 0), "priority"},
		{with(full, "priority", "1"), "priority"},
		{with(full, "consolidated_amount_idr", -1), "consolidated_amount_idr"},
		{with(full, "consolidated_amount_idr", int64(2_000_000_000_000)), "consolidated_amount_idr"},
		{with(full, "funding_source", "hibah"), "funding_source"},
		{with(full, "sipd_code", "2.17.05.2.01.0001"), "sipd_code"},
	} {
		requireField(t, e.as(provPlanner, http.MethodPost, kons, c.body), c.field)
	}
	requireProblem(t, e.as(kadisProv, http.MethodPost, kons, full), http.StatusForbidden)
}

// TestSameActionTwiceConcurrently: two reviewers' browsers send approve for
// the same proposal at the same moment. Exactly one wins; the other hears
// 409 (the stage moved under it), and the trail holds one approve.
func TestSameActionTwiceConcurrently(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", goodDraft(e.cycle.ID))
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	id := r.str("id")
	require.Equal(t, http.StatusOK, e.as(camat, http.MethodPost, "/api/v1/proposals/"+id+"/actions/submit", nil).Code)

	codes := make(chan int, 2)
	var start sync.WaitGroup
	start.Add(1)
	for range 2 {
		go func() {
			start.Wait()
			codes <- e.as(reviewer, http.MethodPost, "/api/v1/proposals/"+id+"/actions/approve", nil).Code
		}()
	}
	start.Done()
	got := []int{<-codes, <-codes}
	require.ElementsMatch(t, []int{http.StatusOK, http.StatusConflict}, got)

	events, err := e.db.ListProposalEvents(e.ctx, id)
	require.NoError(t, err)
	approves := 0
	for _, ev := range events {
		if ev.Action == string(domain.ActionApprove) {
			approves++
		}
	}
	require.Equal(t, 1, approves)
}
