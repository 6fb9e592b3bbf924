package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/policies"
)

// TestKarawangDelegation is the seeds' case: the Kepala Dinas of Kabupaten
// Karawang (32.15) delegates the review of one kecamatan's proposals to its
// camat for one year, without the admin. The camat may then approve,
// return or reject that kecamatan's proposals in review (but not those of
// another kecamatan, nor one he submitted himself: separation of duties
// still holds); both see the delegation; the grant is audited under the
// kadis's name; the kadis revokes it and the camat's power ends at once.
// A camat cannot delegate, a kadis cannot delegate what his role does not
// do, nor to someone outside his region, nor for more than a year.
func TestKarawangDelegation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		_, err := db.InsertRegions(e.ctx, []store.Region{
			{Code: "32", Name: "Jawa Barat", Level: 1},
			{Code: "32.15", Name: "Kabupaten Karawang", Level: 2, ParentCode: "32"},
			{Code: "32.15.01", Name: "Karawang Barat", Level: 3, ParentCode: "32.15"},
			{Code: "32.15.02", Name: "Telukjambe Timur", Level: 3, ParentCode: "32.15"},
		})
		require.NoError(t, err)
		cycle := domain.Cycle{ID: domain.CycleID("32", e.cycle.FiscalYear), ProvinceCode: "32", FiscalYear: e.cycle.FiscalYear,
			Calendar: openCalendar(), CreatedBy: "kadis.jabar"}
		require.NoError(t, db.SaveCycle(e.ctx, cycle))
		kadis := person{"kadis.karawang", domain.RoleKadisKabKota, "32.15"}
		camatKB := person{"camat.karawangbarat", domain.RoleCamat, "32.15.01"}
		sekcam := person{"sekcam.karawangbarat", domain.RoleCamat, "32.15.01"}
		outsider := person{"camat.andoolo2", domain.RoleCamat, "74.05.03"}
		for _, p := range []person{kadis, camatKB, sekcam, outsider} {
			e.addPerson(p)
		}
		review := func(id, region, submitter string) {
			p := sampleRow(id, cycle.ID, region, domain.StageKabKotaReview)
			p.SubmittedBy = submitter
			e.insertProposal(p)
		}
		review("k-1", "32.15.01", sekcam.username)
		review("k-own", "32.15.01", camatKB.username)
		review("k-2", "32.15.02", sekcam.username)

		allowed := func(p person, id string) []any {
			r := e.as(p, http.MethodGet, "/api/v1/proposals/"+id, nil)
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			xs, _ := r.body["allowed_actions"].([]any)
			return xs
		}
		require.Empty(t, allowed(camatKB, "k-1"), "before the delegation the camat only reads")

		now := time.Now().UTC().Truncate(time.Second)
		body := map[string]any{"to": camatKB.username, "role": "kadis_kabkota", "scope": "32.15.01",
			"actions": []string{"approve", "return", "reject"}, "valid_from": now.Add(-time.Minute), "valid_until": now.AddDate(1, 0, -1)}
		requireProblem(t, e.as(camatKB, http.MethodPost, "/api/v1/delegations", with(body, "to", sekcam.username, "role", "camat")), http.StatusUnprocessableEntity)
		requireProblem(t, e.as(reviewer, http.MethodPost, "/api/v1/delegations", with(body, "to", camatKB.username)), http.StatusForbidden)
		requireField(t, e.as(kadis, http.MethodPost, "/api/v1/delegations", with(body, "actions", []string{"approve", "submit"})), "actions[1]")
		requireField(t, e.as(kadis, http.MethodPost, "/api/v1/delegations", with(body, "to", outsider.username)), "to")
		requireField(t, e.as(kadis, http.MethodPost, "/api/v1/delegations", with(body, "valid_until", now.AddDate(2, 0, 0))), "valid_until")
		requireProblem(t, e.as(kadis, http.MethodPost, "/api/v1/delegations", with(body, "scope", "74.05.03")), http.StatusForbidden)

		r := e.as(kadis, http.MethodPost, "/api/v1/delegations", body)
		require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
		id := r.str("id")
		require.Equal(t, kadis.username, r.body["from"])

		require.Equal(t, []any{"approve", "return", "reject"}, allowed(camatKB, "k-1"))
		require.Equal(t, []any{"return", "reject"}, allowed(camatKB, "k-own"), "no approving what he submitted himself (DESIGN.md's rule for approve)")
		requireProblem(t, e.as(camatKB, http.MethodGet, "/api/v1/proposals/k-2", nil), http.StatusNotFound)
		tasks := e.as(camatKB, http.MethodGet, "/api/v1/tasks", nil)
		require.Equal(t, http.StatusOK, tasks.Code, tasks.Body.String())
		inbox := ids(items(tasks), "proposal_id")
		slices.Sort(inbox)
		require.Equal(t, []string{"k-1", "k-own"}, inbox, "the delegated review is in his inbox; not the other kecamatan's")

		for _, p := range []person{kadis, camatKB} {
			l := e.as(p, http.MethodGet, "/api/v1/delegations", nil)
			require.Equal(t, http.StatusOK, l.Code, l.Body.String())
			require.Equal(t, []string{id}, ids(items(l), "id"), "visible to %s", p.username)
		}
		require.Empty(t, items(e.as(sekcam, http.MethodGet, "/api/v1/delegations", nil)))
		events, err := e.authz.GrantEvents(e.ctx, camatKB.username)
		require.NoError(t, err)
		require.True(t, slices.ContainsFunc(events, func(ev policies.GrantEvent) bool {
			return ev.ChangedBy == kadis.username && ev.Grant.Role == domain.RoleKadisKabKota && ev.Grant.Scope == "32.15.01"
		}), "audited under the kadis's name: %+v", events)

		requireProblem(t, e.as(camatKB, http.MethodDelete, "/api/v1/delegations/"+id, nil), http.StatusForbidden)
		requireProblem(t, e.as(sekcam, http.MethodDelete, "/api/v1/delegations/"+id, nil), http.StatusNotFound)
		r = e.as(kadis, http.MethodDelete, "/api/v1/delegations/"+id, nil)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.NotNil(t, r.body["revoked_at"])
		require.Empty(t, allowed(camatKB, "k-1"), "revoked: the camat only reads again")
		requireProblem(t, e.as(kadis, http.MethodDelete, "/api/v1/delegations/"+id, nil), http.StatusConflict)
	})
}
