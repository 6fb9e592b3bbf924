package refdata_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

func TestBuiltinRegions(t *testing.T) {
	regions, err := refdata.BuiltinRegions()
	require.NoError(t, err)
	require.Len(t, regions, refdata.BuiltinRegionCount)
	perLevel := map[domain.RegionLevel]int{}
	for _, r := range regions {
		perLevel[r.Level]++
	}
	require.Equal(t, map[domain.RegionLevel]int{
		domain.LevelProvinsi: 38, domain.LevelKabKota: 514, domain.LevelKecamatan: 7285, domain.LevelDesa: 83762,
	}, perLevel)
	require.Contains(t, refdata.Sources(), "MIT", "the licence notice ships with the data")
}

func TestBuiltinNomenclature(t *testing.T) {
	seeds, err := refdata.BuiltinNomenclature()
	require.NoError(t, err)
	require.Len(t, seeds, 2)
	for _, s := range seeds {
		digits := refdata.SubKegiatanDigits(s.Version.ValidFromYear)
		require.Len(t, s.Rows, 62, "version %d", s.Version.ValidFromYear)
		subs := 0
		for _, r := range s.Rows {
			require.NotEmpty(t, r.Code)
			require.NotEqual(t, "superseded", r.Status, "%s: dropped kegiatan must not ship", r.Code)
			require.False(t, strings.HasPrefix(r.Code, "2.17.05.2.02"), "%s: below a dropped kegiatan", r.Code)
			c, err := refdata.ParseNomenclatureCode(r.Code)
			require.NoError(t, err)
			if c.Level == store.NomenSubKegiatan {
				subs++
				require.Equal(t, digits, c.SubDigits, r.Code)
			}
		}
		require.Equal(t, 18, subs, "version %d", s.Version.ValidFromYear)
	}
	require.Equal(t, 2022, seeds[0].Version.ValidFromYear)
	require.Equal(t, 2024, seeds[1].Version.ValidFromYear)
}

// TestLoadBuiltin is the one test that loads every region; it checks the
// region and nomenclature queries on the loaded data in the same run to keep
// the suite fast.
func TestLoadBuiltin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A region that is already there (an earlier partial load, a
		// hand-made fixture) is kept, not duplicated.
		_, err := db.InsertRegions(ctx, []store.Region{{Code: "74", Name: "Sulawesi Tenggara", Level: domain.LevelProvinsi}})
		require.NoError(t, err)

		start := time.Now()
		res, err := refdata.LoadBuiltin(ctx, db)
		require.NoError(t, err)
		t.Logf("%s: first LoadBuiltin took %v: %+v", db.Dialect, time.Since(start), res)
		require.EqualValues(t, refdata.BuiltinRegionCount-1, res.RegionsAdded)
		require.EqualValues(t, refdata.BuiltinRegionCount, res.Regions)
		require.Equal(t, []int{2022, 2024}, res.VersionsAdded)
		require.Equal(t, 124, res.NomenclatureRowsAdded)

		n, err := db.CountRegions(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 91599, n)

		start = time.Now()
		again, err := refdata.LoadBuiltin(ctx, db)
		elapsed := time.Since(start)
		require.NoError(t, err)
		t.Logf("%s: second LoadBuiltin took %v", db.Dialect, elapsed)
		require.Zero(t, again.RegionsAdded)
		require.Empty(t, again.VersionsAdded)
		require.Less(t, elapsed, time.Second, "a second load must be a cheap no-op")
		versions, err := db.ListNomenclatureVersions(ctx)
		require.NoError(t, err)
		require.Len(t, versions, 2)

		t.Run("regions", func(t *testing.T) { checkRegions(t, db) })
		t.Run("nomenclature", func(t *testing.T) { checkNomenclature(t, db) })
	})
}

func checkRegions(t *testing.T, db *store.DB) {
	ctx := context.Background()
	provinces, err := db.ListRegions(ctx, "")
	require.NoError(t, err)
	require.Len(t, provinces, 38)
	require.Equal(t, "11", provinces[0].Code, "ordered by code")

	sultra, err := db.ListRegions(ctx, "74")
	require.NoError(t, err)
	require.Len(t, sultra, 17, "Sulawesi Tenggara has 17 kab/kota")
	for _, r := range sultra {
		require.Equal(t, "74", r.ParentCode)
		require.Equal(t, domain.LevelKabKota, r.Level)
	}

	kecamatan, err := db.ListRegions(ctx, "64.02")
	require.NoError(t, err)
	desa := 0
	for _, k := range kecamatan {
		children, err := db.ListRegions(ctx, k.Code)
		require.NoError(t, err)
		desa += len(children)
	}
	require.Equal(t, 237, desa, "Kutai Kartanegara has 193 desa and 44 kelurahan")

	r, err := db.GetRegion(ctx, "74.05.03")
	require.NoError(t, err)
	require.Equal(t, store.Region{Code: "74.05.03", Name: "Andoolo", Level: domain.LevelKecamatan, ParentCode: "74.05"}, r)
	_, err = db.GetRegion(ctx, "74.99")
	require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
	_, err = db.ListRegions(ctx, "74.99")
	require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err), "an unknown parent is not an empty one")

	leaf, err := db.ListRegions(ctx, "74.05.03.2001")
	require.NoError(t, err)
	require.Empty(t, leaf)

	ok, err := db.RegionExists(ctx, "74.05")
	require.NoError(t, err)
	require.True(t, ok)
	missing, err := db.RegionsExist(ctx, "74", "74.05.03", "74.99", "11.01")
	require.NoError(t, err)
	require.Equal(t, []string{"74.99"}, missing)
}

func checkNomenclature(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for year, want := range map[int]int{2022: 2022, 2023: 2022, 2024: 2024, 2027: 2024} {
		v, err := db.NomenclatureVersionFor(ctx, year)
		require.NoError(t, err)
		require.Equal(t, want, v.ValidFromYear, "fiscal year %d", year)
		require.EqualValues(t, 62, v.Rows)
	}
	_, err := db.NomenclatureVersionFor(ctx, 2021)
	require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))

	sub, err := db.GetSubKegiatan(ctx, 2027, "2.17.05.2.01.0001")
	require.NoError(t, err)
	require.Equal(t, domain.PemdaKabKota, sub.PemdaLevel)
	require.Contains(t, sub.Name, "Perkoperasian")
	_, err = db.GetSubKegiatan(ctx, 2023, "2.17.05.2.01.0001")
	require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err), "4-digit codes are not in force before 2024")
	old, err := db.GetSubKegiatan(ctx, 2023, "2.17.07.2.01.01")
	require.NoError(t, err)
	require.Equal(t, "superseded (historical)", old.Status)
	_, err = db.GetSubKegiatan(ctx, 2027, "2.17.07.2.01")
	require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err), "a kegiatan is not a sub kegiatan")

	// Case-insensitive on names, limited to the pemda level (and "both").
	rows, err := db.SearchNomenclature(ctx, store.NomenclatureQuery{Q: "USAHA MIKRO", PemdaLevel: domain.PemdaKabKota, FiscalYear: 2027})
	require.NoError(t, err)
	codes := codesOf(rows)
	require.Contains(t, codes, "2.17.08.2.01.0002")
	require.Contains(t, codes, "2.17.07.2.01") // kegiatan: both versions
	for _, r := range rows {
		require.NotEqual(t, domain.PemdaProvinsi, r.PemdaLevel, r.Code)
		require.Contains(t, strings.ToLower(r.Code+" "+r.Name), "usaha mikro")
	}
	require.NotContains(t, codes, "2.17.07.2.01.01", "2-digit codes belong to the older version")

	// On codes, one level only, in the older version.
	rows, err = db.SearchNomenclature(ctx, store.NomenclatureQuery{Q: "2.17.07.2", FiscalYear: 2023, Level: store.NomenSubKegiatan})
	require.NoError(t, err)
	require.Equal(t, []string{
		"2.17.07.2.01.01", "2.17.07.2.01.02", "2.17.07.2.01.03", "2.17.07.2.01.04", "2.17.07.2.01.05", "2.17.07.2.01.06",
	}, codesOf(rows))

	rows, err = db.SearchNomenclature(ctx, store.NomenclatureQuery{Q: "program", PemdaLevel: domain.PemdaProvinsi, Limit: 3})
	require.NoError(t, err)
	require.Equal(t, []string{"2.17.01", "2.17.02", "2.17.03"}, codesOf(rows))
	require.Contains(t, rows[0].Name, "PROVINSI", "the provincial program 2.17.01, not the kab/kota one")

	rows, err = db.SearchNomenclature(ctx, store.NomenclatureQuery{Q: "100%_"})
	require.NoError(t, err)
	require.Empty(t, rows, "LIKE wildcards in the query are literal")
	rows, err = db.SearchNomenclature(ctx, store.NomenclatureQuery{FiscalYear: 2019})
	require.NoError(t, err)
	require.Empty(t, rows)
	_, err = db.SearchNomenclature(ctx, store.NomenclatureQuery{PemdaLevel: "desa"})
	require.Equal(t, domain.EINVALID, domain.ErrorCode(err))
}

func codesOf(rows []store.NomenclatureRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Code
	}
	return out
}

// BenchmarkLoadBuiltinSQLite measures a first load on a fresh SQLite file:
// the cost of `rencana dev` on a new machine.
func BenchmarkLoadBuiltinSQLite(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		db := storetest.SQLite(b)
		b.StartTimer()
		if _, err := refdata.LoadBuiltin(ctx, db); err != nil {
			b.Fatal(err)
		}
	}
}
