package demo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/register"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// The demo register: a few thousand koperasi over Sulawesi Tenggara's
// kab/kota, the past two years' rounds accepted, this year's open, and one
// KMP per desa of Konawe Selatan.
func TestSeedRegister(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	_, err := refdata.LoadBuiltin(ctx, db)
	require.NoError(t, err)
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	n, err := SeedRegister(ctx, db, now, nil)
	require.NoError(t, err)
	require.Greater(t, n, 6000)
	rounds, err := db.ListDataRounds(ctx, "74", 0)
	require.NoError(t, err)
	require.Len(t, rounds, 17*3)
	for _, r := range rounds {
		want := domain.RoundAccepted
		if r.Year == 2026 {
			want = domain.RoundOpen
		}
		require.Equal(t, want, r.Status, r.Region)
	}
	ind, err := db.KoperasiIndicators(ctx, "74", 2026)
	require.NoError(t, err)
	require.Greater(t, ind.Total(), int64(2000))
	require.NotNil(t, ind.Previous)
	kmp := 0
	for q := (store.KoperasiQuery{Scopes: []string{"74.05"}, Year: 2026, Q: "Merah Putih", Limit: store.MaxPageSize}); ; {
		page, err := db.ListKoperasi(ctx, q)
		require.NoError(t, err)
		for _, k := range page.Items {
			require.True(t, k.KMP)
			kmp++
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	require.Len(t, mustDesa(t, db, "74.05"), kmp, "one KMP per desa/kelurahan of Konawe Selatan")
	// Deterministic: the same again changes nothing.
	again, err := importYear(ctx, db, "74.71", 2026, mustDesa(t, db, "74.71"), "x", now)
	require.NoError(t, err)
	require.Positive(t, again)
}

func mustDesa(t *testing.T, db *store.DB, kk string) []register.Desa {
	d, err := desaUnder(context.Background(), db, kk)
	require.NoError(t, err)
	return d
}
