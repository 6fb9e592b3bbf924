package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

func grantEvents(r response) []string {
	var out []string
	evs, _ := r.body["grant_events"].([]any)
	for _, x := range evs {
		ev := x.(map[string]any)
		g := ev["grant"].(map[string]any)
		out = append(out, ev["change"].(string)+" "+g["role"].(string)+"@"+g["scope"].(string)+" by "+ev["changed_by"].(string))
	}
	return out
}

// TestAdminUsersAndGrants: only an administrator manages accounts and
// grants; every grant change is audited and takes effect at once.
func TestAdminUsersAndGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		newUser := map[string]any{
			"username": "budi.buke", "password": "kata-sandi-budi", "full_name": "Budi Santoso", "email": "budi@buke.go.id",
			"roles": []map[string]any{{"role": "camat", "scope": "74.05.04"}},
		}

		// Business roles may not manage users, whatever their scope.
		for _, p := range []person{camat, kadisProv, liaison} {
			requireProblem(t, e.as(p, http.MethodPost, "/api/v1/admin/users", newUser), http.StatusForbidden)
			requireProblem(t, e.as(p, http.MethodGet, "/api/v1/admin/users", nil), http.StatusForbidden)
			requireProblem(t, e.as(p, http.MethodGet, "/api/v1/admin/users/camat.andoolo", nil), http.StatusForbidden)
			requireProblem(t, e.as(p, http.MethodPost, "/api/v1/admin/users/camat.andoolo/roles", map[string]any{"role": "camat", "scope": "74.05.04"}), http.StatusForbidden)
			requireProblem(t, e.as(p, http.MethodDelete, "/api/v1/admin/users/camat.andoolo/roles", map[string]any{"role": "camat", "scope": "74.05.03"}), http.StatusForbidden)
		}

		// Invalid accounts: 422 naming the field, nothing created.
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{with(newUser, "username", "Budi Santoso"), "username"},
			{with(newUser, "password", "pendek"), "password"},
			{with(newUser, "full_name", " "), "full_name"},
			{with(newUser, "email", "budi(at)buke"), "email"},
			{with(newUser, "roles", []map[string]any{{"role": "bupati", "scope": "74.05"}}), "roles[0].role"},
			{with(newUser, "roles", []map[string]any{{"role": "camat", "scope": "74.05"}}), "roles[0].scope"},
			{with(newUser, "roles", []map[string]any{{"role": "camat", "scope": "74.05.99"}}), "roles[0].scope"},
			{with(newUser, "roles", []map[string]any{{"role": "penghubung_kementerian", "scope": "74"}}), "roles[0].scope"},
			{with(newUser, "roles", []map[string]any{{"role": "camat", "scope": "74.05.04", "valid_from": "kemarin"}}), "roles[0].valid_from"},
			{with(newUser, "roles", []map[string]any{{"role": "camat", "scope": "74.05.04", "valid_from": "2026-03-31T00:00:00Z", "valid_until": "2026-03-01T00:00:00Z"}}), "roles[0].valid_until"},
			{with(newUser, "roles", []map[string]any{{"role": "camat", "scope": "74.05.04"}, {"role": "admin", "scope": "*"}}), "roles"},
			{with(newUser, "peran", "camat"), "peran"},
		} {
			requireField(t, e.as(admin, http.MethodPost, "/api/v1/admin/users", c.body), c.field)
			requireProblem(t, e.as(admin, http.MethodGet, "/api/v1/admin/users/budi.buke", nil), http.StatusNotFound)
		}

		r := e.as(admin, http.MethodPost, "/api/v1/admin/users", newUser)
		require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
		require.Equal(t, "/api/v1/admin/users/budi.buke", r.Header().Get("Location"))
		require.NotContains(t, r.Body.String(), "password")
		require.Equal(t, []string{"grant camat@74.05.04 by admin"}, grantEvents(r))
		requireProblem(t, e.as(admin, http.MethodPost, "/api/v1/admin/users", newUser), http.StatusConflict)

		// The new account works at once.
		tok := e.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "budi.buke", "password": "kata-sandi-budi"})
		require.Equal(t, http.StatusOK, tok.Code, tok.Body.String())
		budi := tok.str("token")
		require.Equal(t, http.StatusOK, e.do(http.MethodGet, "/api/v1/tasks", budi, nil).Code)

		// A delegation for March, then taken back; both audited.
		roles := "/api/v1/admin/users/budi.buke/roles"
		r = e.as(admin, http.MethodPost, roles, map[string]any{"role": "perencana_kecamatan", "scope": "74.05.04",
			"valid_from": "2026-03-01T00:00:00+08:00", "valid_until": "2026-04-01T00:00:00+08:00"})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		var delegated map[string]any
		for _, g := range r.body["roles"].([]any) {
			if g.(map[string]any)["role"] == "perencana_kecamatan" {
				delegated = g.(map[string]any)
			}
		}
		require.Equal(t, "2026-02-28T16:00:00Z", delegated["valid_from"])
		require.Equal(t, "2026-03-31T16:00:00Z", delegated["valid_until"])
		requireField(t, e.as(admin, http.MethodPost, roles, map[string]any{"role": "camat", "scope": "74"}), "scope")
		requireProblem(t, e.as(admin, http.MethodPost, "/api/v1/admin/users/siapa/roles", map[string]any{"role": "camat", "scope": "74.05.04"}), http.StatusNotFound)
		// Nobody changes their own grants.
		requireProblem(t, e.as(admin, http.MethodPost, "/api/v1/admin/users/admin/roles", map[string]any{"role": "admin", "scope": "*"}), http.StatusForbidden)

		r = e.as(admin, http.MethodDelete, roles, map[string]any{"role": "camat", "scope": "74.05.04"})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, []string{
			"grant camat@74.05.04 by admin",
			"grant perencana_kecamatan@74.05.04 by admin",
			"revoke camat@74.05.04 by admin",
		}, grantEvents(r))
		requireProblem(t, e.as(admin, http.MethodDelete, roles, map[string]any{"role": "camat", "scope": "74.05.04"}), http.StatusNotFound)
		requireField(t, e.as(admin, http.MethodDelete, roles, map[string]any{"scope": "74.05.04"}), "role")
		// The revoked role stops working at once; the March delegation is over.
		requireProblem(t, e.do(http.MethodGet, "/api/v1/tasks", budi, nil), http.StatusForbidden)

		// The list pages by username and never shows password hashes.
		var names []string
		q := "/api/v1/admin/users?limit=4"
		for range 10 {
			r = e.as(admin, http.MethodGet, q, nil)
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			require.NotContains(t, r.Body.String(), "$2a$")
			names = append(names, ids(items(r), "username")...)
			next, _ := r.body["next_cursor"].(string)
			if next == "" {
				break
			}
			q = "/api/v1/admin/users?limit=4&cursor=" + next
		}
		require.Len(t, names, len(everyone)+1)
		require.IsIncreasing(t, names)
		r = e.as(admin, http.MethodGet, "/api/v1/admin/users/budi.buke", nil)
		require.Equal(t, http.StatusOK, r.Code)
		require.Len(t, grantEvents(r), 3)
	})
}
