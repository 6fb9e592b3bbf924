package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

func nomenRows(sub string) []store.NomenclatureRow {
	return []store.NomenclatureRow{
		{Code: "2", Level: store.NomenUrusan, PemdaLevel: store.PemdaBoth, Name: "URUSAN WAJIB NON PELAYANAN DASAR"},
		{Code: "2.17", Level: store.NomenBidangUrusan, PemdaLevel: store.PemdaBoth, Name: "KOPERASI, USAHA KECIL, DAN MENENGAH"},
		{Code: "2.17.07", Level: store.NomenProgram, PemdaLevel: store.PemdaBoth, Name: "PROGRAM PEMBERDAYAAN UMKM"},
		{Code: "2.17.07.2.01", Level: store.NomenKegiatan, PemdaLevel: domain.PemdaKabKota, Name: "Pemberdayaan Usaha Mikro"},
		{Code: sub, Level: store.NomenSubKegiatan, PemdaLevel: domain.PemdaKabKota, Name: "Fasilitasi Kemudahan Perizinan Usaha_Mikro 100%"},
	}
}

func TestNomenclatureVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, err := db.NomenclatureVersionFor(ctx, 2027)
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err), "nothing loaded yet")
		rows, err := db.SearchNomenclature(ctx, store.NomenclatureQuery{Q: "usaha"})
		require.NoError(t, err)
		require.Empty(t, rows)

		v22, err := db.CreateNomenclatureVersion(ctx, store.NomenclatureVersion{Name: "lama", ValidFromYear: 2022}, nomenRows("2.17.07.2.01.03"))
		require.NoError(t, err)
		require.Positive(t, v22.ID)
		require.EqualValues(t, 5, v22.Rows)
		_, err = db.CreateNomenclatureVersion(ctx, store.NomenclatureVersion{Name: "baru", Regulation: "Kepmendagri 900.1.15.5-1317/2023", ValidFromYear: 2024}, nomenRows("2.17.07.2.01.0003"))
		require.NoError(t, err)

		_, err = db.CreateNomenclatureVersion(ctx, store.NomenclatureVersion{Name: "lagi", ValidFromYear: 2024}, nomenRows("2.17.07.2.01.0003"))
		require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "%v", err)

		// All or nothing: a duplicate row refuses the version as a whole.
		dup := append(nomenRows("2.17.07.2.01.0003"), nomenRows("2.17.07.2.01.0003")[4])
		_, err = db.CreateNomenclatureVersion(ctx, store.NomenclatureVersion{Name: "ganda", ValidFromYear: 2026}, dup)
		require.Equal(t, domain.EINVALID, domain.ErrorCode(err), "%v", err)
		_, err = db.CreateNomenclatureVersion(ctx, store.NomenclatureVersion{Name: "kosong", ValidFromYear: 2026}, nil)
		require.Equal(t, domain.EINVALID, domain.ErrorCode(err))

		versions, err := db.ListNomenclatureVersions(ctx)
		require.NoError(t, err)
		require.Len(t, versions, 2, "the failed imports left nothing behind")
		require.Equal(t, "Kepmendagri 900.1.15.5-1317/2023", versions[1].Regulation)
		require.EqualValues(t, 5, versions[1].Rows)
		require.False(t, versions[1].ImportedAt.IsZero())

		for year, want := range map[int]string{2022: "lama", 2023: "lama", 2024: "baru", 2030: "baru"} {
			v, err := db.NomenclatureVersionFor(ctx, year)
			require.NoError(t, err)
			require.Equal(t, want, v.Name, "fiscal year %d", year)
		}

		sub, err := db.GetSubKegiatan(ctx, 2023, "2.17.07.2.01.03")
		require.NoError(t, err)
		require.Equal(t, v22.ID, sub.VersionID)
		_, err = db.GetSubKegiatan(ctx, 2025, "2.17.07.2.01.03")
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))

		for q, want := range map[string]int{"USAHA_MIKRO": 1, "100%": 1, "usaha%mikro": 0, "2.17.07.2.01.0": 1, "": 5} {
			rows, err := db.SearchNomenclature(ctx, store.NomenclatureQuery{Q: q, FiscalYear: 2025})
			require.NoError(t, err)
			require.Len(t, rows, want, "q=%q", q)
		}
		rows, err = db.SearchNomenclature(ctx, store.NomenclatureQuery{PemdaLevel: domain.PemdaProvinsi, FiscalYear: 2025})
		require.NoError(t, err)
		require.Len(t, rows, 3, "provinsi sees only the shared rows here")
		rows, err = db.SearchNomenclature(ctx, store.NomenclatureQuery{Level: store.NomenKegiatan, Limit: 1})
		require.NoError(t, err)
		require.Equal(t, "2.17.07.2.01", rows[0].Code)
	})
}
