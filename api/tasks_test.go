package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

type inboxLine struct {
	id, actions string
	due         time.Time
	overdue     bool
}

// inboxOf follows next_cursor through p's whole inbox.
func (e *env) inboxOf(p person, limit int) []inboxLine {
	e.t.Helper()
	var out []inboxLine
	q := url.Values{"limit": {fmt.Sprint(limit)}}
	for pages := 0; ; pages++ {
		require.Less(e.t, pages, 100)
		r := e.as(p, http.MethodGet, "/api/v1/tasks?"+q.Encode(), nil)
		require.Equal(e.t, http.StatusOK, r.Code, r.Body.String())
		require.LessOrEqual(e.t, len(items(r)), limit)
		for _, it := range items(r) {
			t := it.(map[string]any)
			due, err := time.Parse(time.RFC3339, t["due_at"].(string))
			require.NoError(e.t, err)
			out = append(out, inboxLine{id: t["proposal_id"].(string), actions: fmtActions(t["actions"].([]any)), due: due, overdue: t["overdue"].(bool)})
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			return out
		}
		q.Set("cursor", next)
	}
}

func lines(ls []inboxLine) map[string]string {
	m := map[string]string{}
	for _, l := range ls {
		m[l.id] = l.actions
	}
	return m
}

// TestTaskInbox: for each role, exactly the proposals it can act on now,
// with exactly those actions, soonest due first, overdue flagged, paged by
// cursor without repeats or gaps; rows the policy matches but the workflow's
// rules exclude (a reviewer's own proposals) are skipped without shortening
// a page.
func TestTaskInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		kadisSulsel := person{"kadis.sulsel", domain.RoleKadisProvinsi, "73"}
		e.addPerson(kadisSulsel)
		sulsel := domain.CycleID("73", e.cycle.FiscalYear)
		require.NoError(t, db.SaveCycle(e.ctx, domain.Cycle{ID: sulsel, ProvinceCode: "73", FiscalYear: e.cycle.FiscalYear,
			Calendar: rakordaCalendar(), CreatedBy: "kadis.sulsel"}))

		now := time.Now().UTC().Truncate(time.Second)
		add := func(id, cycle, region string, stage domain.Stage, due time.Duration, mod func(*domain.Proposal)) {
			p := sampleRow(id, cycle, region, stage)
			d := now.Add(due)
			p.DueAt = &d
			if mod != nil {
				mod(&p)
			}
			e.insertProposal(p)
		}
		by := func(creator, submitter string) func(*domain.Proposal) {
			return func(p *domain.Proposal) { p.CreatedBy, p.SubmittedBy = creator, submitter }
		}
		day := 24 * time.Hour
		c74 := e.cycle.ID
		add("d-mine", c74, "74.05.03", domain.StageDraft, 2*day, nil)
		add("d-other", c74, "74.05.03", domain.StageDraft, day, by("kec2.andoolo", ""))
		add("d-kab", c74, "74.05", domain.StageDraft, 3*day, by(kabPlanner.username, ""))
		add("r-late", c74, "74.05.04", domain.StageKabKotaReview, -time.Hour, by("kec.buke", camat.username))
		add("r-sub", c74, "74.05.03", domain.StageKabKotaReview, 4*day, by(kecPlanner.username, reviewer.username))
		for i := range 12 {
			add(fmt.Sprintf("r-%02d", i), c74, "74.05.03", domain.StageKabKotaReview, 5*day+time.Duration(i/4)*time.Hour, by(kecPlanner.username, camat.username))
		}
		// The reviewer's own: matched by the policy, excluded by the rules,
		// and due first so that they fill whole candidate batches.
		for i := range 6 {
			add(fmt.Sprintf("r-own-%d", i), c74, "74.05.03", domain.StageKabKotaReview, -day, by(reviewer.username, reviewer.username))
		}
		add("k-closed", c74, "74.05.03", domain.StageRakorda, 20*day, nil)
		add("k-open", sulsel, "73.01.01", domain.StageRakorda, day, nil)
		add("c-kendari", c74, "74.71", domain.StageConsolidation, 30*day, nil)
		add("m-sulsel", sulsel, "73.01", domain.StageMinistry, 40*day, nil)
		add("s-map", c74, "74.05.03", domain.StageSIPDMapping, 50*day, nil)
		add("f-done", c74, "74.05.03", domain.StageFinal, 0, nil)

		reviews := map[string]string{"r-late": "approve,return,reject", "r-sub": "return,reject"}
		withdraws := map[string]string{"r-sub": "withdraw"}
		for i := range 12 {
			id := fmt.Sprintf("r-%02d", i)
			reviews[id] = "approve,return,reject"
			withdraws[id] = "withdraw"
		}
		merge := func(ms ...map[string]string) map[string]string {
			out := map[string]string{}
			for _, m := range ms {
				for k, v := range m {
					out[k] = v
				}
			}
			return out
		}
		kabWithdraws := merge(withdraws, map[string]string{"r-late": "withdraw"})
		for i := range 6 {
			kabWithdraws[fmt.Sprintf("r-own-%d", i)] = "withdraw"
		}
		want := map[person]map[string]string{
			kecPlanner:  merge(map[string]string{"d-mine": "withdraw"}, withdraws),
			camat:       {"d-mine": "submit", "d-other": "submit"},
			kabPlanner:  merge(map[string]string{"d-mine": "withdraw", "d-other": "withdraw", "d-kab": "submit,withdraw", "s-map": "map"}, kabWithdraws),
			reviewer:    reviews,
			kadisKab:    merge(reviews, map[string]string{"r-sub": "approve,return,reject"}, ownReviews()),
			provPlanner: {"c-kendari": "consolidate", "s-map": "map"},
			kadisProv:   {},
			kadisSulsel: {"k-open": "accept,defer,reject"},
			liaison:     {"m-sulsel": "fund,decline"},
			kendariPlan: {},
			kendariKec:  {},
		}
		for p, w := range want {
			for _, limit := range []int{2, 200} {
				got := e.inboxOf(p, limit)
				require.Equal(t, w, lines(got), "inbox of %s (pages of %d)", p.username, limit)
				require.True(t, sort.SliceIsSorted(got, func(i, j int) bool {
					if !got[i].due.Equal(got[j].due) {
						return got[i].due.Before(got[j].due)
					}
					return got[i].id < got[j].id
				}), "inbox of %s is not soonest first: %v", p.username, got)
			}
		}
		rev := e.inboxOf(reviewer, 200)
		require.Equal(t, "r-late", rev[0].id)
		require.True(t, rev[0].overdue, "past its due date")
		require.False(t, rev[1].overdue)
		first := e.as(reviewer, http.MethodGet, "/api/v1/tasks?limit=2", nil)
		require.Len(t, items(first), 2, "excluded rows do not shorten a page")

		requireProblem(t, e.as(admin, http.MethodGet, "/api/v1/tasks", nil), http.StatusForbidden)
		requireField(t, e.as(reviewer, http.MethodGet, "/api/v1/tasks?cursor=xyz", nil), "cursor")
		requireField(t, e.as(reviewer, http.MethodGet, "/api/v1/tasks?limit=1000", nil), "limit")
	})
}

// ownReviews: the kepala dinas kab/kota reviews what the Kabid created.
func ownReviews() map[string]string {
	m := map[string]string{}
	for i := range 6 {
		m[fmt.Sprintf("r-own-%d", i)] = "approve,return,reject"
	}
	return m
}
