package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// TestEnterKMP: a KMP's badan hukum puts it in the register once, with the
// KMP flag, its jenis (konsumen when none is given) and its desa; entering
// it again (a retried activity) changes nothing, and a koperasi already
// imported under that number keeps what the operator wrote.
func TestEnterKMP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		scopes := []string{"74.05"}
		day := time.Date(2026, 7, 21, 0, 0, 0, 0, time.UTC)
		reg := domain.KMPRegistration{RegionCode: "74.05.03.2001", Name: "Koperasi Desa Merah Putih Andoolo",
			BadanHukumNo: "AHU-0012345.AH.01.29.TAHUN 2026", BadanHukumDate: day}
		require.NoError(t, db.EnterKMP(ctx, reg))
		id := store.KoperasiID("", reg.BadanHukumNo)
		k, err := db.GetKoperasi(ctx, id, scopes)
		require.NoError(t, err)
		require.True(t, k.KMP)
		require.Equal(t, domain.JenisKonsumen, k.Jenis, "no jenis given: konsumen")
		require.Equal(t, "74.05.03.2001", k.RegionCode)
		require.Equal(t, reg.Name, k.Name)
		require.Equal(t, "2026-07-21", k.BadanHukumDate)
		require.Equal(t, reg.BadanHukumNo, k.BadanHukumNo)

		// Again, even with another name and jenis: the first entry stands.
		again := reg
		again.Name, again.Jenis = "Nama lain", "produsen"
		require.NoError(t, db.EnterKMP(ctx, again))
		k2, err := db.GetKoperasi(ctx, id, scopes)
		require.NoError(t, err)
		require.Equal(t, k, k2)
		page, err := db.ListKoperasi(ctx, store.KoperasiQuery{Scopes: scopes, Q: reg.BadanHukumNo})
		require.NoError(t, err)
		require.Len(t, page.Items, 1, "one koperasi per badan hukum number")

		// A second KMP with its own jenis, in another desa.
		other := domain.KMPRegistration{RegionCode: "74.05.04.2001", Name: "Koperasi Desa Merah Putih Buke",
			BadanHukumNo: "AHU-0099999.AH.01.29.TAHUN 2026", BadanHukumDate: day, Jenis: "produsen"}
		require.NoError(t, db.EnterKMP(ctx, other))
		k3, err := db.GetKoperasi(ctx, store.KoperasiID("", other.BadanHukumNo), scopes)
		require.NoError(t, err)
		require.Equal(t, domain.Jenis("produsen"), k3.Jenis)
		require.True(t, k3.KMP)
		require.Equal(t, "74.05.04.2001", k3.RegionCode)

		// Outside the reader's scope it does not exist.
		_, err = db.GetKoperasi(ctx, id, []string{"74.71"})
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
	})
}
