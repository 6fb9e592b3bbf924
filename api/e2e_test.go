package api_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/workflows"
)

// login goes through POST /api/v1/auth/login.
func (e *env) login(p person) string {
	e.t.Helper()
	r := e.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": p.username, "password": testPassword})
	require.Equal(e.t, http.StatusOK, r.Code, r.Body.String())
	return r.str("token")
}

// moveCalendar is time passing: the cycle's dates move (what PATCH
// /api/v1/cycles/{id} does) and the proposal's workflow is told, as the
// cycle's workflow tells every proposal of the cycle.
func (e *env) moveCalendar(proposalID string, cal domain.Calendar) {
	e.t.Helper()
	e.cycle.Calendar = cal
	require.NoError(e.t, e.db.SaveCycle(e.ctx, e.cycle))
	require.NoError(e.t, workflows.MoveCalendar(e.ctx, e.tc, proposalID, cal))
	require.Eventually(e.t, func() bool {
		p, err := e.db.GetProposal(e.ctx, proposalID)
		return err == nil && p.DueAt != nil && p.DueAt.Equal(*workflows.DueAt(p.Stage, cal))
	}, 30*time.Second, 20*time.Millisecond, "the workflow never took the new calendar")
}

// TestEndToEndDraftToFinal is the definition of done: an
// administrator creates one account per role of DESIGN.md through the API,
// each logs in, and a kecamatan proposal goes from draft to final through
// the HTTP API, returned once on the way, with every person's task inbox
// checked after every step, on both databases. Between the kab/kota review
// and Rakorda time passes (the cycle's calendar moves), and the cycle's lock
// is the cycle workflow's to do; both are done here the way those parts do
// them, as they are not proposal endpoints.
func TestEndToEndDraftToFinal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{worker: true})
		e.addPerson(admin) // the bootstrap account (RENCANA_ADMIN_PASSWORD)
		adminTok := e.login(admin)
		for _, p := range everyone {
			if p == admin {
				continue
			}
			r := e.do(http.MethodPost, "/api/v1/admin/users", adminTok, map[string]any{
				"username": p.username, "password": testPassword, "full_name": "Pengguna " + p.username,
				"roles": []map[string]any{{"role": p.role, "scope": p.scope}},
			})
			require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
		}
		tok := map[person]string{}
		for _, p := range everyone {
			tok[p] = e.login(p)
		}
		call := func(p person, method, path string, body any, h ...header) response {
			t.Helper()
			return e.do(method, path, tok[p], body, h...)
		}

		var id string
		// inbox checks every person's GET /tasks: those in want see the
		// proposal with exactly those actions, everyone else does not.
		inbox := func(step string, want map[person]string) {
			t.Helper()
			for _, p := range everyone {
				r := call(p, http.MethodGet, "/api/v1/tasks", nil)
				if p == admin {
					requireProblem(t, r, http.StatusForbidden) // admin has no inbox
					continue
				}
				require.Equal(t, http.StatusOK, r.Code, r.Body.String())
				got := ""
				for _, it := range items(r) {
					task := it.(map[string]any)
					if task["proposal_id"] == id {
						got = fmtActions(task["actions"].([]any))
						require.NotEmpty(t, task["due_at"], "%s: a task has a due date", step)
					}
				}
				require.Equal(t, want[p], got, "%s: inbox of %s", step, p.username)
			}
		}
		act := func(p person, action string, body any, wantStage domain.Stage) response {
			t.Helper()
			r := call(p, http.MethodPost, "/api/v1/proposals/"+id+"/actions/"+action, body)
			require.Equal(t, http.StatusOK, r.Code, "%s by %s: %s", action, p.username, r.Body.String())
			require.Equal(t, string(wantStage), r.str("stage"))
			// Durable and visible before the answer: the list shows it now.
			list := call(p, http.MethodGet, "/api/v1/proposals?stage="+string(wantStage), nil)
			require.Contains(t, ids(items(list), "id"), id, "%s is not in the list at once", action)
			return r
		}

		// 1. The kecamatan planner drafts.
		r := call(kecPlanner, http.MethodPost, "/api/v1/proposals", goodDraft(e.cycle.ID))
		require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
		id = r.str("id")
		require.Equal(t, "draft", r.str("stage"))
		require.Equal(t, `"1"`, r.Header().Get("ETag"))
		require.Equal(t, "/api/v1/proposals/"+id, r.Header().Get("Location"))
		require.Equal(t, kecPlanner.username, r.str("created_by"))
		inbox("draft", map[person]string{kecPlanner: "withdraw", camat: "submit", kabPlanner: "withdraw"})
		requireProblem(t, call(kendariPlan, http.MethodGet, "/api/v1/proposals/"+id, nil), http.StatusNotFound)

		// 2. The camat submits; 3. the Kabid returns it (a comment is required).
		act(camat, "submit", map[string]any{"comment": "Mohon direviu"}, domain.StageKabKotaReview)
		inbox("review", map[person]string{kecPlanner: "withdraw", kabPlanner: "withdraw",
			reviewer: "approve,return,reject", kadisKab: "approve,return,reject"})
		requireField(t, call(reviewer, http.MethodPost, "/api/v1/proposals/"+id+"/actions/return", map[string]any{}), "comment")
		act(reviewer, "return", map[string]any{"comment": "Lengkapi rincian pagu"}, domain.StageDraft)
		inbox("returned", map[person]string{kecPlanner: "withdraw", camat: "submit", kabPlanner: "withdraw"})

		// 4. The planner fixes the draft: a stale If-Match is refused.
		cur := call(kecPlanner, http.MethodGet, "/api/v1/proposals/"+id, nil)
		etag := cur.Header().Get("ETag")
		requireProblem(t, call(kecPlanner, http.MethodPatch, "/api/v1/proposals/"+id, map[string]any{"amount_idr": 110_000_000},
			header{"If-Match", `"1"`}), http.StatusPreconditionFailed)
		r = call(kecPlanner, http.MethodPatch, "/api/v1/proposals/"+id, map[string]any{"amount_idr": 110_000_000}, header{"If-Match", etag})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.EqualValues(t, 110_000_000, r.body["amount_idr"])
		require.NotEqual(t, etag, r.Header().Get("ETag"))

		// 5. Submitted again, 6. approved by the Kepala Dinas kab/kota.
		act(camat, "submit", nil, domain.StageKabKotaReview)
		act(kadisKab, "approve", map[string]any{"comment": "Layak dibawa ke Rakorda"}, domain.StageRakorda)
		inbox("rakorda closed", map[person]string{})
		requireProblem(t, call(kadisProv, http.MethodPost, "/api/v1/proposals/"+id+"/actions/accept", nil), http.StatusConflict)

		// 7. Weeks later the Rakorda is in session: 8. accepted.
		e.moveCalendar(id, rakordaCalendar())
		inbox("rakorda open", map[person]string{kadisProv: "accept,defer,reject"})
		act(kadisProv, "accept", nil, domain.StageConsolidation)
		inbox("consolidation", map[person]string{provPlanner: "consolidate"})

		// 9. Consolidated by the provincial planner.
		r = act(provPlanner, "consolidate", map[string]any{"priority": 1, "consolidated_amount_idr": 100_000_000, "funding_source": "apbd_provinsi"},
			domain.StageConsolidation)
		require.Equal(t, true, r.body["consolidated"])
		require.EqualValues(t, 100_000_000, r.body["consolidated_amount_idr"])

		// 10. The Kepala Dinas provinsi locks the cycle (the cycle workflow
		// moves every consolidated proposal this way).
		_, err := workflows.Lock(e.ctx, e.tc, id, workflows.ActionRequest{
			Actor: domain.Actor{Username: kadisProv.username, Role: kadisProv.role, Scope: kadisProv.scope}})
		require.NoError(t, err)
		inbox("ministry", map[person]string{liaison: "fund,decline"})

		// 11. The ministry funds it; 12. the kab/kota planner maps it.
		act(liaison, "fund", map[string]any{"funding_source": "apbn_dekonsentrasi"}, domain.StageSIPDMapping)
		inbox("mapping", map[person]string{provPlanner: "map", kabPlanner: "map"})
		mapPath := "/api/v1/proposals/" + id + "/actions/map"
		requireField(t, call(kabPlanner, http.MethodPost, mapPath, map[string]any{"sipd_code": "2.17.07.1.01.0001"}), "sipd_code") // provincial code
		requireField(t, call(kabPlanner, http.MethodPost, mapPath, map[string]any{"sipd_code": "2.17.99.2.01.0001"}), "sipd_code") // no such code
		r = act(kabPlanner, "map", map[string]any{"sipd_code": "2.17.03.2.01.0003"}, domain.StageFinal)
		require.Equal(t, "2.17.03.2.01.0003", r.str("sipd_code"))
		require.Empty(t, r.body["allowed_actions"])
		inbox("final", map[person]string{})

		// The history tells the whole story, oldest first.
		h := call(liaison, http.MethodGet, "/api/v1/proposals/"+id+"/history", nil)
		require.Equal(t, http.StatusOK, h.Code)
		var trail []string
		for _, it := range items(h) {
			ev := it.(map[string]any)
			actor := ev["actor"].(map[string]any)
			trail = append(trail, fmt.Sprintf("%s:%s>%s:%s", ev["action"], ev["from_stage"], ev["to_stage"], actor["username"]))
		}
		require.Equal(t, []string{
			"create:>draft:kec.andoolo",
			"submit:draft>kabkota_review:camat.andoolo",
			"return:kabkota_review>draft:kabid.konsel",
			"edit:draft>draft:kec.andoolo",
			"submit:draft>kabkota_review:camat.andoolo",
			"approve:kabkota_review>rakorda:kadis.konsel",
			"reschedule:rakorda>rakorda:system",
			"accept:rakorda>consolidation:kadis.sultra",
			"consolidate:consolidation>consolidation:perencana.sultra",
			"lock:consolidation>ministry:kadis.sultra",
			"fund:ministry>sipd_mapping:penghubung.kemenkop",
			"map:sipd_mapping>final:perencana.konsel",
		}, trail)

		// Final and visible to everyone who may see Konawe Selatan, to no one else.
		for _, p := range everyone {
			r := call(p, http.MethodGet, "/api/v1/proposals?stage=final", nil)
			seen := strings.Contains(strings.Join(ids(items(r), "id"), ","), id)
			require.Equal(t, p != kendariPlan && p != kendariKec, seen, p.username)
		}
		got := ids(items(call(liaison, http.MethodGet, "/api/v1/proposals", nil)), "id")
		sort.Strings(got)
		require.Equal(t, []string{id}, got)
	})
}
