package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

func TestInsertRegions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Children first: InsertRegions must order them itself.
		regions := []store.Region{
			{Code: "74.05.03.2001", Name: "Andoolo", Level: domain.LevelDesa, ParentCode: "74.05.03"},
			{Code: "74.05.03", Name: "Andoolo", Level: domain.LevelKecamatan, ParentCode: "74.05"},
			{Code: "74.05", Name: "Kabupaten Konawe Selatan", Level: domain.LevelKabKota, ParentCode: "74"},
			{Code: "74.02", Name: "Kabupaten Muna", Level: domain.LevelKabKota, ParentCode: "74"},
			{Code: "74", Name: "Sulawesi Tenggara", Level: domain.LevelProvinsi},
			{Code: "11", Name: "Aceh", Level: domain.LevelProvinsi},
		}
		n, err := db.InsertRegions(ctx, regions)
		require.NoError(t, err)
		require.EqualValues(t, 6, n)
		n, err = db.InsertRegions(ctx, regions)
		require.NoError(t, err)
		require.Zero(t, n, "existing codes are skipped")
		count, err := db.CountRegions(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 6, count)

		provinces, err := db.ListRegions(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []store.Region{
			{Code: "11", Name: "Aceh", Level: domain.LevelProvinsi},
			{Code: "74", Name: "Sulawesi Tenggara", Level: domain.LevelProvinsi},
		}, provinces)
		kabkota, err := db.ListRegions(ctx, "74")
		require.NoError(t, err)
		require.Len(t, kabkota, 2)
		require.Equal(t, "74.02", kabkota[0].Code)

		// An orphan is refused and the whole batch with it.
		_, err = db.InsertRegions(ctx, []store.Region{
			{Code: "75", Name: "Gorontalo", Level: domain.LevelProvinsi},
			{Code: "99.01", Name: "Yatim", Level: domain.LevelKabKota, ParentCode: "99"},
		})
		require.Error(t, err)
		ok, err := db.RegionExists(ctx, "75")
		require.NoError(t, err)
		require.False(t, ok, "one transaction: nothing of a failed batch stays")
	})
}
