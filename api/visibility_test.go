package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// visibilityRows writes proposals around the test regions straight into the
// projection and returns their ids by region.
func visibilityRows(e *env) map[string][]string {
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	byRegion := map[string][]string{}
	add := func(id, cycle, region string, stage domain.Stage, at time.Time, title string) {
		p := sampleRow(id, cycle, region, stage)
		p.CreatedAt = at
		if title != "" {
			p.Title = title
		}
		e.insertProposal(p)
		byRegion[region] = append(byRegion[region], id)
	}
	sulsel := domain.CycleID("73", e.cycle.FiscalYear)
	// 25 drafts in Andoolo, three per second so that keyset ties happen.
	for i := range 25 {
		add(fmt.Sprintf("usl-and-%02d", i), e.cycle.ID, "74.05.03", domain.StageDraft, base.Add(time.Duration(i/3)*time.Second), "")
	}
	add("usl-buke", e.cycle.ID, "74.05.04", domain.StageKabKotaReview, base.Add(time.Minute), "Rumah Produksi Bersama Buke")
	add("usl-konsel", e.cycle.ID, "74.05", domain.StageConsolidation, base.Add(2*time.Minute), "")
	add("usl-kendari", e.cycle.ID, "74.71.01", domain.StageDraft, base.Add(3*time.Minute), "")
	add("usl-selayar", sulsel, "73.01.01", domain.StageDraft, base.Add(4*time.Minute), "")
	return byRegion
}

// listAll follows next_cursor to the end and returns every id, in order.
func (e *env) listAll(p person, query string, limit int) []string {
	e.t.Helper()
	var out []string
	q, err := url.ParseQuery(query)
	require.NoError(e.t, err)
	q.Set("limit", fmt.Sprint(limit))
	for pages := 0; ; pages++ {
		require.Less(e.t, pages, 100, "pagination does not end")
		r := e.as(p, http.MethodGet, "/api/v1/proposals?"+q.Encode(), nil)
		require.Equal(e.t, http.StatusOK, r.Code, r.Body.String())
		require.LessOrEqual(e.t, len(items(r)), limit)
		out = append(out, ids(items(r), "id")...)
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			return out
		}
		q.Set("cursor", next)
	}
}

// TestVisibilityFollowsScopes: lists and details filter by the caller's
// scopes in SQL; a proposal outside them is 404 on every endpoint, like one
// that does not exist; nobody sees a sibling's or a parent's proposals.
func TestVisibilityFollowsScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		byRegion := visibilityRows(e)
		var andoolo, konsel, sultra, all []string
		andoolo = byRegion["74.05.03"]
		konsel = append(append(append(konsel, andoolo...), byRegion["74.05.04"]...), byRegion["74.05"]...)
		sultra = append(append(sultra, konsel...), byRegion["74.71.01"]...)
		all = append(append(all, sultra...), byRegion["73.01.01"]...)
		want := map[person][]string{
			kecPlanner: andoolo, camat: andoolo, kabPlanner: konsel, reviewer: konsel, kadisKab: konsel,
			provPlanner: sultra, kadisProv: sultra, liaison: all, admin: all,
			kendariPlan: byRegion["74.71.01"], kendariKec: byRegion["74.71.01"],
		}
		for p, w := range want {
			got := e.listAll(p, "", 200)
			sort.Strings(got)
			w = slices.Clone(w)
			sort.Strings(w)
			require.Equal(t, w, got, "list of %s", p.username)
			// The summary counts exactly what the list shows.
			sum := e.as(p, http.MethodGet, "/api/v1/proposals/summary", nil)
			require.Equal(t, http.StatusOK, sum.Code, sum.Body.String())
			require.EqualValues(t, len(w), sum.body["count"], "summary of %s", p.username)
		}

		// Outside the scope is 404 everywhere, exactly as for no proposal.
		for _, c := range []struct {
			p  person
			id string
		}{{kecPlanner, "usl-buke"}, {kecPlanner, "usl-konsel"}, {kendariPlan, "usl-and-00"}, {kadisProv, "usl-selayar"}, {camat, "usl-tidak-ada"}} {
			path := "/api/v1/proposals/" + c.id
			requireProblem(t, e.as(c.p, http.MethodGet, path, nil), http.StatusNotFound)
			requireProblem(t, e.as(c.p, http.MethodGet, path+"/history", nil), http.StatusNotFound)
			requireProblem(t, e.as(c.p, http.MethodPost, path+"/actions/submit", nil), http.StatusNotFound)
			requireProblem(t, e.as(c.p, http.MethodPatch, path, map[string]any{"title": "x"}, header{"If-Match", `"1"`}), http.StatusNotFound)
		}
		// Inside it, the detail answers with ETag and the caller's actions.
		r := e.as(camat, http.MethodGet, "/api/v1/proposals/usl-and-00", nil)
		require.Equal(t, http.StatusOK, r.Code)
		require.Equal(t, `"1"`, r.Header().Get("ETag"))
		require.Equal(t, []any{"submit"}, r.body["allowed_actions"])
		r = e.as(kecPlanner, http.MethodGet, "/api/v1/proposals/usl-and-00", nil)
		require.Equal(t, []any{"withdraw"}, r.body["allowed_actions"], "the creator may withdraw")
		r = e.as(reviewer, http.MethodGet, "/api/v1/proposals/usl-and-00", nil)
		require.Equal(t, []any{}, r.body["allowed_actions"])
		for _, k := range []string{"created_at", "updated_at", "due_at"} {
			ts, err := time.Parse(time.RFC3339, r.str(k))
			require.NoError(t, err, k)
			require.Equal(t, time.UTC, ts.Location(), k)
		}
		h := e.as(camat, http.MethodGet, "/api/v1/proposals/usl-and-00/history", nil)
		require.Equal(t, []string{"create"}, func() (out []string) {
			for _, it := range items(h) {
				out = append(out, it.(map[string]any)["action"].(string))
			}
			return out
		}())
	})
}

// TestListFiltersAndPaging: cycle_id, stage, region and q narrow the list
// (within what the caller may see); pages follow a keyset newest first, so
// they neither repeat nor skip rows, ties included, even when proposals
// are added between pages.
func TestListFiltersAndPaging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		byRegion := visibilityRows(e)

		sulsel := domain.CycleID("73", e.cycle.FiscalYear)
		require.Equal(t, []string{"usl-selayar"}, e.listAll(liaison, "cycle_id="+sulsel, 10))
		require.Equal(t, []string{"usl-buke"}, e.listAll(liaison, "stage=kabkota_review", 10))
		require.Equal(t, []string{"usl-buke"}, e.listAll(liaison, "region=74.05.04", 10))
		require.Equal(t, []string{"usl-buke"}, e.listAll(liaison, "q=rumah PRODUKSI", 10))
		require.Empty(t, e.listAll(kecPlanner, "region=74.05.04", 10), "a filter never widens the scope")
		require.Empty(t, e.listAll(liaison, "q=100%25", 10), "q is literal, not a pattern")
		require.Len(t, e.listAll(kabPlanner, "region=74.05", 10), 27)

		// Newest first, ties broken by id, pages of 4 with no repeat or gap.
		got := e.listAll(kecPlanner, "", 4)
		want := slices.Clone(byRegion["74.05.03"])
		slices.Reverse(want)
		require.Equal(t, want, got)

		// A proposal added between pages does not disturb the pages after.
		r := e.as(kecPlanner, http.MethodGet, "/api/v1/proposals?limit=10", nil)
		first := ids(items(r), "id")
		e.insertProposal(sampleRow("usl-baru", e.cycle.ID, "74.05.03", domain.StageDraft))
		rest := e.listAll(kecPlanner, "cursor="+url.QueryEscape(r.body["next_cursor"].(string)), 10)
		require.Equal(t, want, append(first, rest...))

		// The summary takes the same filters, within the same scope.
		sum := e.as(liaison, http.MethodGet, "/api/v1/proposals/summary?stage=kabkota_review", nil)
		require.Equal(t, http.StatusOK, sum.Code, sum.Body.String())
		require.EqualValues(t, 1, sum.body["count"])
		require.Equal(t, []any{map[string]any{"key": "kabkota_review", "count": 1.0, "amount_idr": sum.body["amount_idr"]}}, sum.body["stages"])
		require.Equal(t, []any{map[string]any{"key": "74.05", "count": 1.0, "amount_idr": sum.body["amount_idr"]}}, sum.body["kabkota"])
		sum = e.as(kabPlanner, http.MethodGet, "/api/v1/proposals/summary?region=74.05", nil)
		require.EqualValues(t, 28, sum.body["count"], "the 27 listed above and usl-baru")
		sum = e.as(kecPlanner, http.MethodGet, "/api/v1/proposals/summary?region=74.05.04", nil)
		require.EqualValues(t, 0, sum.body["count"], "a filter never widens the scope")
		require.Equal(t, []any{}, sum.body["stages"])
		requireField(t, e.as(liaison, http.MethodGet, "/api/v1/proposals/summary?stage=selesai", nil), "stage")
		requireField(t, e.as(liaison, http.MethodGet, "/api/v1/proposals/summary?region=74.5", nil), "region")

		for _, bad := range []struct{ query, field string }{
			{"stage=selesai", "stage"}, {"region=74.5", "region"}, {"limit=0", "limit"}, {"limit=201", "limit"},
			{"limit=dua", "limit"}, {"cursor=bukan-kursor", "cursor"},
		} {
			requireField(t, e.as(liaison, http.MethodGet, "/api/v1/proposals?"+bad.query, nil), bad.field)
		}
	})
}
