package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// TestReferenceEndpoints: regions, nomenclature and cycles for every role;
// cycles only of the province one works in (national roles: all).
func TestReferenceEndpoints(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})

	r := e.as(camat, http.MethodGet, "/api/v1/regions", nil)
	require.Equal(t, http.StatusOK, r.Code)
	require.Equal(t, []string{"73", "74"}, ids(items(r), "code"))
	r = e.as(camat, http.MethodGet, "/api/v1/regions?parent=74.05", nil)
	require.Equal(t, []string{"74.05.03", "74.05.04"}, ids(items(r), "code"))
	r = e.as(camat, http.MethodGet, "/api/v1/regions/74.05.03", nil)
	require.Equal(t, http.StatusOK, r.Code)
	require.Equal(t, "Andoolo", r.str("name"))
	require.Equal(t, "74.05", r.str("parent_code"))
	requireProblem(t, e.as(camat, http.MethodGet, "/api/v1/regions/74.05.99", nil), http.StatusNotFound)
	requireProblem(t, e.as(camat, http.MethodGet, "/api/v1/regions/bukan", nil), http.StatusNotFound)
	requireProblem(t, e.as(camat, http.MethodGet, "/api/v1/regions?parent=74.99", nil), http.StatusNotFound)
	requireField(t, e.as(camat, http.MethodGet, "/api/v1/regions?parent=7", nil), "parent")

	fy := e.cycle.FiscalYear
	r = e.as(kabPlanner, http.MethodGet, "/api/v1/nomenclature?level=sub_kegiatan&pemda_level=kabkota&q=koperasi&fiscal_year="+strconv.Itoa(fy), nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.NotEmpty(t, items(r))
	for _, it := range items(r) {
		row := it.(map[string]any)
		require.Equal(t, "sub_kegiatan", row["level"])
		require.Equal(t, "kabkota", row["pemda_level"])
	}
	requireField(t, e.as(kabPlanner, http.MethodGet, "/api/v1/nomenclature?fiscal_year=dua", nil), "fiscal_year")
	requireField(t, e.as(kabPlanner, http.MethodGet, "/api/v1/nomenclature?pemda_level=desa", nil), "pemda_level")

	sulsel := domain.CycleID("73", fy)
	for p, want := range map[person][]string{
		camat: {e.cycle.ID}, kadisProv: {e.cycle.ID}, kendariKec: {e.cycle.ID},
		liaison: {sulsel, e.cycle.ID}, admin: {sulsel, e.cycle.ID},
	} {
		r := e.as(p, http.MethodGet, "/api/v1/cycles", nil)
		require.Equal(t, http.StatusOK, r.Code)
		got := ids(items(r), "id")
		require.ElementsMatch(t, want, got, p.username)
	}
	r = e.as(camat, http.MethodGet, "/api/v1/cycles/"+e.cycle.ID, nil)
	require.Equal(t, http.StatusOK, r.Code)
	require.Equal(t, "74", r.str("province_code"))
	requireProblem(t, e.as(camat, http.MethodGet, "/api/v1/cycles/"+sulsel, nil), http.StatusNotFound)
	requireProblem(t, e.as(camat, http.MethodGet, "/api/v1/cycles/74-1999", nil), http.StatusNotFound)

	// Someone without any role reads nothing.
	nobody := person{"tanpa.peran", domain.RoleCamat, "74.05.03"}
	e.addPerson(nobody)
	require.NoError(t, e.authz.RemoveGrant(e.ctx, "test", nobody.username, nobody.role, nobody.scope))
	requireProblem(t, e.as(nobody, http.MethodGet, "/api/v1/regions", nil), http.StatusForbidden)
	require.Empty(t, items(e.as(nobody, http.MethodGet, "/api/v1/cycles", nil)))
	require.Empty(t, items(e.as(nobody, http.MethodGet, "/api/v1/proposals", nil)))
}
