package policies

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// Holders finds the people a role-addressed notification reaches: the role
// in force, with a scope covering the region; not a sibling, not an expired
// delegation, not another role.
func TestHolders(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	a, err := New(ctx, db, WithPollInterval(0))
	require.NoError(t, err)
	t.Cleanup(a.Close)
	now := time.Now()
	past := now.Add(-48 * time.Hour)
	ended := now.Add(-time.Hour)
	grant := func(user string, role domain.Role, scope string, from, until *time.Time) {
		require.NoError(t, a.AddGrant(ctx, "admin", user, domain.Grant{Role: role, Scope: scope, ValidFrom: from, ValidUntil: until}))
	}
	grant("kabid.konsel", domain.RoleReviewerKabKota, "74.05", nil, nil)
	grant("kabid.kendari", domain.RoleReviewerKabKota, "74.71", nil, nil)
	grant("wakil.konsel", domain.RoleReviewerKabKota, "74.05", &past, &ended)
	grant("kadis.konsel", domain.RoleKadisKabKota, "74.05", nil, nil)

	got, err := a.Holders(ctx, domain.RoleReviewerKabKota, "74.05", now)
	require.NoError(t, err)
	require.Equal(t, []string{"kabid.konsel"}, got)

	got, err = a.Holders(ctx, domain.RoleReviewerKabKota, "74.05", past.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, []string{"kabid.konsel", "wakil.konsel"}, got, "the delegation was in force then")

	got, err = a.Holders(ctx, domain.RoleKadisKabKota, "74.05.03", now)
	require.NoError(t, err)
	require.Equal(t, []string{"kadis.konsel"}, got, "a kab/kota scope covers its kecamatan")
}
