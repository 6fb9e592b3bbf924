package api_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

func dossierDraft(cycleID string) map[string]any {
	return with(goodDraft(cycleID),
		"amount_idr", 13_500_000,
		"origin", "musrenbang_kecamatan",
		"locations", []string{"74.05.03.2001", "74.05.03.2002"},
		"indicators", []map[string]any{
			{"name": "Pelaku UMKM terlatih", "target": 30, "unit": "orang", "type": "output"},
			{"name": "UMKM dengan label halal", "target": 10, "unit": "unit usaha", "type": "outcome"},
		},
		"rab", []map[string]any{
			{"uraian": "Honor narasumber", "volume": 3, "satuan": "OJ", "harga_satuan_idr": 1_500_000, "jumlah_idr": 4_500_000},
			{"uraian": "Paket bahan pelatihan", "volume": 30, "satuan": "paket", "harga_satuan_idr": 300_000, "jumlah_idr": 9_000_000},
		})
}

// TestProposalDossier: a draft with RAB lines, two desa, an origin and
// typed indicators gets a number of its region and year, keeps its dossier,
// and every broken dossier rule is a 422 naming its field, nothing created.
func TestProposalDossier(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	_, err := e.db.InsertRegions(e.ctx, []store.Region{
		{Code: "74.05.03.2002", Name: "Lamoen", Level: 4, ParentCode: "74.05.03"},
		{Code: "74.05.04.2001", Name: "Buke", Level: 4, ParentCode: "74.05.04"},
	})
	require.NoError(t, err)
	good := dossierDraft(e.cycle.ID)
	rab := func(vol, harga, jumlah int) []map[string]any {
		return []map[string]any{{"uraian": "Honor", "volume": vol, "satuan": "OJ", "harga_satuan_idr": harga, "jumlah_idr": jumlah}}
	}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"RAB total differs from amount", with(good, "amount_idr", 13_500_001), "amount_idr"},
		{"RAB line jumlah wrong", with(good, "amount_idr", 100, "rab", rab(2, 60, 100)), "rab[0].jumlah_idr"},
		{"RAB line without volume", with(good, "amount_idr", 0, "rab", rab(0, 60, 0)), "rab[0].volume"},
		{"unknown origin", with(good, "origin", "aspirasi"), "origin"},
		{"indicator type", with(good, "indicators", []map[string]any{{"name": "x", "target": 1, "unit": "u", "type": "impact"}}), "indicators[0].type"},
		{"location outside the region", with(good, "locations", []string{"74.05.04.2001"}), "locations[0]"},
		{"location not a desa", with(good, "locations", []string{"74.05.03"}), "locations[0]"},
		{"unknown desa", with(good, "locations", []string{"74.05.03.2999"}), "locations[0]"},
		{"same desa twice", with(good, "locations", []string{"74.05.03.2001", "74.05.03.2001"}), "locations[1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", tc.body)
			requireField(t, r, tc.field)
			require.Zero(t, e.countProposals())
		})
	}

	first := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", good)
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	second := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", good)
	require.Equal(t, http.StatusCreated, second.Code, second.Body.String())
	numRE := regexp.MustCompile(`^74\.05\.03/\d{4}/\d{4}$`)
	require.Regexp(t, numRE, first.str("number"))
	require.Regexp(t, numRE, second.str("number"))
	require.NotEqual(t, first.str("number"), second.str("number"))
	require.Equal(t, "musrenbang_kecamatan", first.str("origin"))
	require.Equal(t, []any{"74.05.03.2001", "74.05.03.2002"}, first.body["locations"])
	require.Len(t, first.body["rab"], 2)

	// The projection holds the same dossier, and a PATCH of the RAB that
	// breaks the sum is refused while one that keeps it is taken.
	got := e.as(kecPlanner, http.MethodGet, "/api/v1/proposals/"+first.str("id"), nil)
	require.Equal(t, http.StatusOK, got.Code)
	require.Equal(t, first.str("number"), got.str("number"))
	require.Len(t, got.body["rab"], 2)
	id := first.str("id")
	bad := e.as(kecPlanner, http.MethodPatch, "/api/v1/proposals/"+id,
		map[string]any{"rab": rab(2, 1_000_000, 2_000_000)}, header{"If-Match", got.Header().Get("ETag")})
	requireField(t, bad, "amount_idr")
	ok := e.as(kecPlanner, http.MethodPatch, "/api/v1/proposals/"+id,
		map[string]any{"rab": rab(2, 1_000_000, 2_000_000), "amount_idr": 2_000_000, "locations": []string{"74.05.03.2002"}},
		header{"If-Match", got.Header().Get("ETag")})
	require.Equal(t, http.StatusOK, ok.Code, ok.Body.String())
	require.EqualValues(t, 2_000_000, ok.body["amount_idr"])
	require.Equal(t, []any{"74.05.03.2002"}, ok.body["locations"])
	require.Equal(t, first.str("number"), ok.str("number"), "a number never changes")
}

// TestProposalComments: a thread on a proposal, open to whoever may read
// it; the author hears of a reviewer's comment, a mention notifies the user
// named if they may read the proposal (not an outsider), bad input is a 422
// and another region's proposal is a 404.
func TestProposalComments(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	created := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", goodDraft(e.cycle.ID))
	require.Equal(t, http.StatusCreated, created.Code, created.Body.String())
	path := "/api/v1/proposals/" + created.str("id") + "/comments"

	r := e.as(reviewer, http.MethodPost, path, map[string]any{"body": "Mohon lampirkan RAB. @kec.kendari @" + kecPlanner.username + " <script>x</script>"})
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	require.Equal(t, reviewer.username, r.str("author"))
	requireField(t, e.as(reviewer, http.MethodPost, path, map[string]any{"body": "   "}), "body")
	requireProblem(t, e.as(kendariKec, http.MethodPost, path, map[string]any{"body": "halo"}), http.StatusNotFound)
	requireProblem(t, e.as(kendariKec, http.MethodGet, path, nil), http.StatusNotFound)

	r = e.as(kecPlanner, http.MethodPost, path, map[string]any{"body": "Baik, segera kami lengkapi."})
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	list := e.as(camat, http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, list.Code, list.Body.String())
	require.Len(t, items(list), 2)
	require.Contains(t, items(list)[0].(map[string]any)["body"], "<script>", "stored as typed; pages escape it")

	kinds := func(p person) []string {
		n := e.as(p, http.MethodGet, "/api/v1/notifications", nil)
		require.Equal(t, http.StatusOK, n.Code, n.Body.String())
		var out []string
		for _, it := range items(n) {
			m := it.(map[string]any)
			if k := m["kind"]; m["proposal_id"] == created.str("id") && (k == "mention" || k == "comment") {
				out = append(out, m["kind"].(string))
			}
		}
		return out
	}
	require.ElementsMatch(t, []string{"mention"}, kinds(kecPlanner), "mentioned and author: one notification")
	require.Empty(t, kinds(kendariKec), "an outsider mentioned hears nothing")
	require.Empty(t, kinds(reviewer), "the planner's reply mentions no one and the reviewer is not the author")
}
