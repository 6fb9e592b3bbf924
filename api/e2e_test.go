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

// moveCycle is time passing: the Kepala Dinas provinsi moves the cycle's
// dates through PATCH /api/v1/cycles/{id} (with the cycle's ETag), which
// answers once every open proposal was sent the new calendar. It returns the
// calendar the cycle then has.
func (e *env) moveCycle(token string, dates map[string]time.Time) domain.Calendar {
	e.t.Helper()
	cur := e.do(http.MethodGet, "/api/v1/cycles/"+e.cycle.ID, token, nil)
	require.Equal(e.t, http.StatusOK, cur.Code, cur.Body.String())
	cal := map[string]string{}
	for k, v := range dates {
		cal[k] = v.UTC().Format(time.RFC3339)
	}
	r := e.do(http.MethodPatch, "/api/v1/cycles/"+e.cycle.ID, token, map[string]any{"calendar": cal}, header{"If-Match", cur.Header().Get("ETag")})
	require.Equal(e.t, http.StatusOK, r.Code, r.Body.String())
	require.NotEqual(e.t, cur.Header().Get("ETag"), r.Header().Get("ETag"), "a move is a new version")
	e.cycle.Calendar = calendarOf(e.t, r.body)
	for k, v := range dates {
		require.Equal(e.t, v.UTC().Format(time.RFC3339), r.body["calendar"].(map[string]any)[k], k)
	}
	return e.cycle.Calendar
}

// awaitDue waits until the proposal's projection has the due date its stage
// has under cal: the proposal's workflow took the cycle's new calendar.
func (e *env) awaitDue(proposalID string, cal domain.Calendar) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		p, err := e.db.GetProposal(e.ctx, proposalID)
		return err == nil && p.DueAt != nil && p.DueAt.Equal(*workflows.DueAt(p.Stage, cal))
	}, 30*time.Second, 20*time.Millisecond, "the proposal's workflow never took the new calendar")
}

// TestEndToEndDraftToFinal is the definition of done: an
// administrator creates one account per role of docs/ARCHITECTURE.md through the API,
// each logs in, and a kecamatan proposal goes from draft to final through
// the HTTP API, returned once on the way, with every person's task inbox
// checked after every step, on both databases. The Kepala Dinas provinsi
// opens the cycle (POST /api/v1/cycles); between the kab/kota review and
// Rakorda, and again after Rakorda, time passes: the cycle's dates move
// (PATCH /api/v1/cycles/{id}); and the cycle's lock moves the consolidated
// proposal to the ministry (POST /api/v1/cycles/{id}/actions/lock).
func TestEndToEndDraftToFinal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{worker: true, cycleByAPI: true})
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

		// 0. The Kepala Dinas provinsi opens the cycle: drafting now, every
		// date ahead and in year N-1.
		r := call(kadisProv, http.MethodPost, "/api/v1/cycles", map[string]any{
			"province_code": "74", "fiscal_year": e.cycle.FiscalYear, "calendar": calendarJSON(cycleCalendar(t, 0)),
		})
		require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
		require.Equal(t, e.cycle.ID, r.str("id"))
		require.Equal(t, "drafting", r.str("phase"))
		e.cycle.Calendar = calendarOf(t, r.body)

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
		r = call(kecPlanner, http.MethodPost, "/api/v1/proposals", goodDraft(e.cycle.ID))
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
		open := cycleCalendar(t, 3)
		e.awaitDue(id, e.moveCycle(tok[kadisProv], map[string]time.Time{
			"submission_deadline": open.SubmissionDeadline, "review_deadline": open.ReviewDeadline,
			"rakorda_start": open.RakordaStart, "rakorda_end": open.RakordaEnd,
		}))
		inbox("rakorda open", map[person]string{kadisProv: "accept,defer,reject"})
		act(kadisProv, "accept", nil, domain.StageConsolidation)
		inbox("consolidation", map[person]string{provPlanner: "consolidate"})

		// 9. Consolidated by the provincial planner.
		r = act(provPlanner, "consolidate", map[string]any{"priority": 1, "consolidated_amount_idr": 100_000_000, "funding_source": "apbd_provinsi"},
			domain.StageConsolidation)
		require.Equal(t, true, r.body["consolidated"])
		require.EqualValues(t, 100_000_000, r.body["consolidated_amount_idr"])

		// 10. Rakorda closes and the Kepala Dinas provinsi locks the cycle,
		// which moves every consolidated proposal to the ministry.
		lockPath := "/api/v1/cycles/" + e.cycle.ID + "/actions/lock"
		requireProblem(t, call(kadisProv, http.MethodPost, lockPath, nil), http.StatusConflict) // Rakorda still open
		e.moveCycle(tok[kadisProv], map[string]time.Time{"rakorda_end": time.Now().UTC().Truncate(time.Second).Add(-time.Second)})
		requireProblem(t, call(kadisKab, http.MethodPost, lockPath, nil), http.StatusForbidden)
		r = call(kadisProv, http.MethodPost, lockPath, map[string]any{"comment": "Daftar konsolidasi final"})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.EqualValues(t, 1, r.body["moved"])
		require.Equal(t, true, r.body["cycle"].(map[string]any)["locked"])
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
