package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// TestCreateRejectsInvalidInput: every kind of bad input is a 422 naming
// the field, and nothing is created (no row, no workflow: the API refuses
// before calling Temporal). The last case is the same request made valid,
// so the fixture is known to be able to create.
func TestCreateRejectsInvalidInput(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	good := goodDraft(e.cycle.ID)
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"malformed JSON", `{"cycle_id": "74-2027", "title": `, "body"},
		{"not an object", `["pelatihan"]`, "body"},
		{"trailing garbage", `{"title":"x"} {"title":"y"}`, "body"},
		{"unknown field", with(good, "pagu", 5), "pagu"},
		{"unknown nested field", with(good, "indicators", []map[string]any{{"name": "x", "target": 1, "unit": "u", "bobot": 2}}), "bobot"},
		{"amount as string", with(good, "amount_idr", "125000000"), "amount_idr"},
		{"amount with decimals", with(good, "amount_idr", 1.5), "amount_idr"},
		{"amount beyond int64", `{"cycle_id":"` + e.cycle.ID + `","region_code":"74.05.03","title":"x","amount_idr":1e30}`, "amount_idr"},
		{"title as number", with(good, "title", 42), "title"},
		{"indicators as object", with(good, "indicators", map[string]any{"name": "x"}), "indicators"},
		{"negative amount", with(good, "amount_idr", -1), "amount_idr"},
		{"absurd amount", with(good, "amount_idr", int64(1_000_000_000_001)), "amount_idr"},
		{"negative target", with(good, "indicators", []map[string]any{{"name": "x", "target": -3, "unit": "orang"}}), "indicators[0].target"},
		{"absurd target", with(good, "indicators", []map[string]any{{"name": "x", "target": 1e12, "unit": "orang"}}), "indicators[0].target"},
		{"unnamed indicator", with(good, "indicators", []map[string]any{{"name": " ", "target": 3, "unit": "orang"}}), "indicators[0].name"},
		{"unknown category", with(good, "category", "hiburan"), "category"},
		{"unknown funding source", with(good, "funding_source", "apbd"), "funding_source"},
		{"missing title", without(good, "title"), "title"},
		{"blank title", with(good, "title", "   "), "title"},
		{"missing cycle", without(good, "cycle_id"), "cycle_id"},
		{"unknown cycle", with(good, "cycle_id", "74-1999"), "cycle_id"},
		{"missing region", without(good, "region_code"), "region_code"},
		{"malformed region", with(good, "region_code", "74.5.3"), "region_code"},
		{"region that does not exist", with(good, "region_code", "74.05.99"), "region_code"},
		{"region outside the cycle's province", with(good, "region_code", "73.01.01"), "region_code"},
		{"desa instead of kecamatan", with(good, "region_code", "74.05.03.2001"), "region_code"},
		{"over-long title", with(good, "title", long(201)), "title"},
		{"over-long description", with(good, "description", long(5001)), "description"},
		{"over-long beneficiaries", with(good, "beneficiaries", long(1001)), "beneficiaries"},
		{"over-long indicator name", with(good, "indicators", []map[string]any{{"name": long(201), "target": 1, "unit": "u"}}), "indicators[0].name"},
		{"over-long unit", with(good, "indicators", []map[string]any{{"name": "x", "target": 1, "unit": long(51)}}), "indicators[0].unit"},
		{"too many indicators", with(good, "indicators", func() []map[string]any {
			var xs []map[string]any
			for range 21 {
				xs = append(xs, map[string]any{"name": "x", "target": 1, "unit": "u"})
			}
			return xs
		}()), "indicators"},
		{"over-long sipd code", with(good, "sipd_code", long(41)), "sipd_code"},
		{"sipd code of the wrong pemda level", with(good, "sipd_code", "2.17.07.1.01.0001"), "sipd_code"},
		{"sipd code that does not exist", with(good, "sipd_code", "2.17.07.2.09.0009"), "sipd_code"},
		{"sipd code that is no code", with(good, "sipd_code", "pelatihan"), "sipd_code"},
		// Issue 23: a title with NUL or with bytes that are not UTF-8 was
		// stored (PostgreSQL refuses NUL with a 500).
		{"NUL in title", with(good, "title", "Pelatihan\x00UMKM"), "title"},
		{"escape sequence in title", with(good, "title", "Pelatihan \x1b[2J UMKM"), "title"},
		{"line feed in title", with(good, "title", "Pelatihan\nUMKM"), "title"},
		{"C1 control in title", with(good, "title", "Pelatihan\u0085UMKM"), "title"},
		{"not UTF-8 in title", strings.Replace(mustJSON(with(good, "title", "@@T@@")), "@@T@@", "Pelatihan \xff\xfe UMKM", 1), "title"},
		{"not UTF-8 in indicator", strings.Replace(mustJSON(with(good, "indicators", []map[string]any{{"name": "@@T@@", "target": 1, "unit": "u"}})), "@@T@@", "caf\xe9", 1), "indicators[0].name"},
		{"NUL in description", with(good, "description", "uraian\x00"), "description"},
		{"NUL in indicator unit", with(good, "indicators", []map[string]any{{"name": "x", "target": 1, "unit": "or\x00ang"}}), "indicators[0].unit"},
		{"NUL in region code", with(good, "region_code", "74.05.03\x00"), "region_code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", tc.body)
			requireField(t, r, tc.field)
			require.Zero(t, e.countProposals(), "a refused create must change nothing")
		})
	}
	t.Run("idempotency key with spaces", func(t *testing.T) {
		r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", good, header{"Idempotency-Key", "a b"})
		requireField(t, r, "Idempotency-Key")
		require.Zero(t, e.countProposals())
	})
	t.Run("valid", func(t *testing.T) {
		r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", with(good, "amount_idr", int64(1_000_000_000_000), "sipd_code", "2.17.05.2.01.0001"))
		require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
		require.EqualValues(t, 1, e.countProposals())
	})
}

// TestCreateRefusals: who may create where is Casbin's (403), and a cycle
// past its submission deadline or locked takes no new drafts (409).
func TestCreateRefusals(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	good := goodDraft(e.cycle.ID)
	// A camat submits, it does not draft; a kab/kota planner drafts kab/kota
	// proposals, not kecamatan ones; Kendari's planner not for Konawe Selatan.
	for _, p := range []person{camat, kabPlanner, reviewer, kadisProv, liaison, admin, kendariKec} {
		r := e.as(p, http.MethodPost, "/api/v1/proposals", good)
		requireProblem(t, r, http.StatusForbidden)
	}
	r := e.as(kabPlanner, http.MethodPost, "/api/v1/proposals", with(good, "region_code", "74.05"))
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	require.Equal(t, []any{"submit", "withdraw"}, r.body["allowed_actions"])
	require.EqualValues(t, 1, e.countProposals())

	past := e.cycle
	past.Calendar = rakordaCalendar()
	require.NoError(t, e.db.SaveCycle(e.ctx, past))
	r = e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", good)
	requireProblem(t, r, http.StatusConflict)
	require.Contains(t, r.str("detail"), "Batas waktu pengajuan")
	require.EqualValues(t, 1, e.countProposals())
}

// TestIdempotentCreate: a retried POST with the same Idempotency-Key returns
// the same proposal and creates nothing more, even after it moved on; the
// key is the caller's own, so another user's equal key is another proposal.
func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	good := goodDraft(e.cycle.ID)
	// A fresh key per run: proposal ids (and so workflow ids) derive from
	// it, and the dev server outlives each test's database.
	key := header{"Idempotency-Key", fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())}
	first := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", good, key)
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	again := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", good, key)
	require.Equal(t, http.StatusCreated, again.Code, again.Body.String())
	require.Equal(t, first.str("id"), again.str("id"))
	require.EqualValues(t, 1, e.countProposals())

	// After it was submitted, the retry still answers with it.
	r := e.as(camat, http.MethodPost, "/api/v1/proposals/"+first.str("id")+"/actions/submit", nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	again = e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", good, key)
	require.Equal(t, http.StatusCreated, again.Code)
	require.Equal(t, first.str("id"), again.str("id"))
	require.Equal(t, "kabkota_review", again.str("stage"))

	other := e.as(kendariKec, http.MethodPost, "/api/v1/proposals", with(good, "region_code", "74.71.01"), key)
	require.Equal(t, http.StatusCreated, other.Code, other.Body.String())
	require.NotEqual(t, first.str("id"), other.str("id"))
	fresh := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", good)
	require.Equal(t, http.StatusCreated, fresh.Code)
	require.NotEqual(t, first.str("id"), fresh.str("id"))
	require.EqualValues(t, 3, e.countProposals())
}

// TestEditDraft: PATCH needs If-Match (428 without, 412 when stale),
// validates like create, cannot move a proposal to another region or cycle,
// is Casbin's to allow, and only drafts change.
func TestEditDraft(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", goodDraft(e.cycle.ID))
	require.Equal(t, http.StatusCreated, r.Code)
	id, path := r.str("id"), "/api/v1/proposals/"+r.str("id")
	etag := r.Header().Get("ETag")

	requireProblem(t, e.as(kecPlanner, http.MethodPatch, path, map[string]any{"title": "Baru"}), http.StatusPreconditionRequired)
	requireProblem(t, e.as(kecPlanner, http.MethodPatch, path, map[string]any{"title": "Baru"}, header{"If-Match", `"7"`}), http.StatusPreconditionFailed)
	requireField(t, e.as(kecPlanner, http.MethodPatch, path, map[string]any{}, header{"If-Match", etag}), "body")
	requireField(t, e.as(kecPlanner, http.MethodPatch, path, map[string]any{"amount_idr": -5}, header{"If-Match", etag}), "amount_idr")
	requireField(t, e.as(kecPlanner, http.MethodPatch, path, map[string]any{"region_code": "74.05.04"}, header{"If-Match", etag}), "region_code")
	requireField(t, e.as(kecPlanner, http.MethodPatch, path, map[string]any{"cycle_id": "73-2027"}, header{"If-Match", etag}), "cycle_id")
	requireField(t, e.as(kecPlanner, http.MethodPatch, path, map[string]any{"sipd_code": "2.17.07.1.01.0001"}, header{"If-Match", etag}), "sipd_code")
	requireProblem(t, e.as(camat, http.MethodPatch, path, map[string]any{"title": "Baru"}, header{"If-Match", etag}), http.StatusForbidden)
	requireProblem(t, e.as(kendariKec, http.MethodPatch, path, map[string]any{"title": "Baru"}, header{"If-Match", etag}), http.StatusNotFound)

	p, err := e.db.GetProposal(e.ctx, id)
	require.NoError(t, err)
	require.EqualValues(t, 1, p.Version, "refused edits change nothing")

	r = e.as(kecPlanner, http.MethodPatch, path, map[string]any{"title": "Pelatihan pemasaran daring", "sipd_code": "2.17.05.2.01.0001"}, header{"If-Match", etag})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, "Pelatihan pemasaran daring", r.str("title"))
	require.Equal(t, "2.17.05.2.01.0001", r.str("sipd_code"))
	require.Equal(t, "Pelatihan pengemasan dan label halal bagi pelaku UMKM", r.str("description"), "absent fields stay")
	require.Equal(t, `"2"`, r.Header().Get("ETag"))

	r = e.as(camat, http.MethodPost, path+"/actions/submit", nil, header{"If-Match", `"2"`})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	r = e.as(kecPlanner, http.MethodPatch, path, map[string]any{"title": "Terlambat"}, header{"If-Match", `"3"`})
	requireProblem(t, r, http.StatusConflict)
	require.Equal(t, domain.StageKabKotaReview, mustStage(t, e, id))
}

func mustStage(t *testing.T, e *env, id string) domain.Stage {
	t.Helper()
	p, err := e.db.GetProposal(e.ctx, id)
	require.NoError(t, err)
	return p.Stage
}
