package sipd_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/sipd"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// seed loads the shipped 2.17 nomenclature (the 2-digit version valid from
// 2022 and the 4-digit one valid from 2024) and cycles of province 74 for
// fiscal years 2021, 2023 and 2027.
func seed(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	seeds, err := refdata.BuiltinNomenclature()
	require.NoError(t, err)
	for _, s := range seeds {
		_, err := db.CreateNomenclatureVersion(ctx, s.Version, s.Rows)
		require.NoError(t, err)
	}
	_, err = db.InsertRegions(ctx, []store.Region{
		{Code: "74", Name: "SULAWESI TENGGARA", Level: domain.LevelProvinsi},
		{Code: "74.05", Name: "KAB. MUNA", Level: domain.LevelKabKota, ParentCode: "74"},
		{Code: "74.05.03", Name: "Tongkuno", Level: domain.LevelKecamatan, ParentCode: "74.05"},
	})
	require.NoError(t, err)
	for _, fy := range []int{2021, 2023, 2027} {
		d := func(m time.Month) time.Time { return time.Date(fy-1, m, 1, 0, 0, 0, 0, time.UTC) }
		require.NoError(t, db.SaveCycle(ctx, domain.Cycle{
			ID: domain.CycleID("74", fy), ProvinceCode: "74", FiscalYear: fy, CreatedBy: "kadis",
			Calendar: domain.Calendar{SubmissionDeadline: d(2), ReviewDeadline: d(3), RakordaStart: d(4), RakordaEnd: d(5),
				ConsolidationDeadline: d(6), MinistryDeadline: d(7), MappingDeadline: d(8)},
		}))
	}
}

// The done-when of issue 7: valid, wrong-level, wrong-version and
// non-existent codes get exactly the expected refusals, and nothing else is
// refused.
func TestCheckMapping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed(t, db)
		const (
			kab  = "74.05"    // a kab/kota proposal
			kec  = "74.05.03" // a kecamatan draft: kab/kota level
			prov = "74"       // a provincial proposal
		)
		for _, tc := range []struct {
			name   string
			year   int
			region string
			code   string
			want   []string // parts of the message; nil: accepted
		}{
			{"valid kab/kota 4-digit", 2027, kab, "2.17.07.2.01.0003", nil},
			{"valid from a kecamatan", 2027, kec, "2.17.05.2.01.0001", nil},
			{"valid with spaces around", 2027, kec, " 2.17.05.2.01.0001 ", nil},
			{"valid provincial", 2027, prov, "2.17.07.1.01.0001", nil},
			{"valid 2-digit before 2024", 2023, kab, "2.17.07.2.01.03", nil},
			{"valid provincial 2-digit", 2023, prov, "2.17.04.1.01.02", nil},

			{"wrong level: provincial code for kab/kota", 2027, kab, "2.17.07.1.01.0001",
				[]string{"Usulan kabupaten/kota memerlukan sub kegiatan kabupaten/kota", "bernilai 2", "adalah sub kegiatan provinsi"}},
			{"wrong level: kab/kota code for province", 2027, prov, "2.17.07.2.01.0003",
				[]string{"Usulan provinsi memerlukan sub kegiatan provinsi", "bernilai 1", "adalah sub kegiatan kabupaten/kota"}},

			{"wrong version: 2-digit code in 2027", 2027, kab, "2.17.07.2.01.03",
				[]string{"tidak berlaku untuk tahun anggaran 2027", "Nomenklatur 2.17 (seed, sub kegiatan 4 digit) (mulai tahun anggaran 2024)",
					"hanya ada di Nomenklatur 2.17 (seed, sub kegiatan 2 digit) (berlaku mulai tahun anggaran 2022)", "4 digit", "kode ini 2 digit"}},
			{"wrong version: 4-digit code in 2023", 2023, kab, "2.17.07.2.01.0003",
				[]string{"tidak berlaku untuk tahun anggaran 2023", "sub kegiatan 2 digit) (mulai tahun anggaran 2022)", "hanya ada di Nomenklatur 2.17 (seed, sub kegiatan 4 digit)"}},

			{"non-existent 4-digit", 2027, kab, "2.17.07.2.01.0099",
				[]string{`Kode sub kegiatan "2.17.07.2.01.0099" tidak dikenal`, "sub kegiatan 4 digit", "tahun anggaran 2027"}},
			{"non-existent 2-digit in 2027", 2027, kab, "2.17.07.2.01.99",
				[]string{"tidak dikenal", "dengan 4 digit di segmen terakhir, kode ini 2 digit"}},

			{"a kegiatan", 2027, kab, "2.17.07.2.01", []string{"adalah kode kegiatan, bukan sub kegiatan"}},
			{"a program", 2027, kab, "2.17.07", []string{"adalah kode program"}},
			{"not a code", 2027, kab, "2.17.07.2.01.00x3", []string{"bukan kode sub kegiatan SIPD"}},
			{"another urusan", 2027, kab, "3.25.02.2.01.0001", []string{"bukan kode sub kegiatan SIPD"}},
			{"empty", 2027, kab, "", []string{"wajib diisi"}},
			{"no version for the year", 2021, kab, "2.17.07.2.01.03", []string{"Belum ada nomenklatur SIPD yang berlaku untuk tahun anggaran 2021"}},
		} {
			err := sipd.CheckMapping(ctx, db, tc.year, tc.region, tc.code)
			if tc.want == nil {
				require.NoError(t, err, tc.name)
				continue
			}
			var de *domain.Error
			require.True(t, errors.As(err, &de), "%s: %v", tc.name, err)
			require.Equal(t, domain.EINVALID, de.Code, tc.name)
			require.Len(t, de.Fields, 1, tc.name)
			require.Equal(t, "sipd_code", de.Fields[0].Field, tc.name)
			for _, part := range tc.want {
				require.Contains(t, de.Fields[0].Message, part, tc.name)
			}
		}
		// A malformed region is the caller's bug, not the user's input.
		err := sipd.CheckMapping(ctx, db, 2027, "74.5", "2.17.07.2.01.0003")
		require.Error(t, err)
		require.Equal(t, domain.EINTERNAL, domain.ErrorCode(err))
	})
}

func codes(s []sipd.Suggestion) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Code
	}
	return out
}

func TestSuggest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed(t, db)
		p := domain.Proposal{
			ID: "p1", CycleID: "74-2027", RegionCode: "74.05.03", Category: "pelatihan",
			Title:       "Pelatihan kewirausahaan koperasi",
			Description: "Pelatihan bagi pengurus dan anggota koperasi desa agar mampu berwirausaha",
			Indicators:  []domain.Indicator{{Name: "Anggota koperasi terlatih", Target: 40, Unit: "orang"}},
		}
		got, err := sipd.Suggest(ctx, db, p, 0)
		require.NoError(t, err)
		require.Len(t, got, sipd.DefaultSuggestions)
		t.Logf("%s: %v", db.Dialect, codes(got))
		// The two training sub kegiatan (cooperatives; UMKM and
		// entrepreneurship) lead, far ahead of the rest.
		require.ElementsMatch(t, []string{"2.17.05.2.01.0001", "2.17.07.2.01.0015"}, codes(got)[:2])
		require.Greater(t, got[1].Score, 2*got[2].Score)
		for i, s := range got {
			c, err := refdata.ParseNomenclatureCode(s.Code)
			require.NoError(t, err)
			require.Equal(t, domain.PemdaKabKota, c.PemdaLevel, s.Code)
			require.Equal(t, 4, c.SubDigits, "%s: the version in force for 2027", s.Code)
			if i > 0 {
				require.LessOrEqual(t, s.Score, got[i-1].Score)
			}
		}
		top := got[0]
		if top.Code != "2.17.05.2.01.0001" {
			top = got[1]
		}
		require.Contains(t, top.KegiatanName, "Pendidikan dan Latihan Perkoperasian")
		require.Equal(t, "2.17.05", top.ProgramCode)
		require.Equal(t, "PROGRAM PENDIDIKAN DAN LATIHAN PERKOPERASIAN", top.ProgramName)

		// The same proposal at the province: provincial codes only.
		p.RegionCode = "74"
		got, err = sipd.Suggest(ctx, db, p, 3)
		require.NoError(t, err)
		require.Len(t, got, 3)
		require.Equal(t, "2.17.05.1.01.0001", got[0].Code)
		require.Equal(t, "2.17.07.1.01.0002", got[1].Code)
		for _, s := range got {
			require.Contains(t, s.Code, ".1.", s.Code)
		}

		// Fiscal year 2023: the 2-digit version.
		p.RegionCode, p.CycleID = "74.05", "74-2023"
		got, err = sipd.Suggest(ctx, db, p, 2)
		require.NoError(t, err)
		require.Equal(t, []string{"2.17.05.2.01.01", "2.17.07.2.01.06"}, codes(got))

		p.CycleID = "74-2027"
		for _, tc := range []struct {
			title, description string
			category           domain.Category
			want               string
		}{
			{"Fasilitasi pengurusan izin usaha mikro (NIB)", "Pendampingan pelaku usaha mikro mengurus perizinan berusaha", "pendampingan", "2.17.07.2.01.0003"},
			{"Penilaian kesehatan KSP", "Penilaian kesehatan koperasi simpan pinjam di kabupaten", "lainnya", "2.17.04.2.01.0001"},
			{"Pembentukan koperasi keluarga bersama PKK", "Pendampingan kelompok masyarakat yang akan membentuk koperasi", "pendampingan", "2.17.06.2.01.0003"},
			{"Pemeriksaan kepatuhan dan pengawasan koperasi", "", "lainnya", "2.17.03.2.01.0004"},
		} {
			p.Title, p.Description, p.Category, p.Indicators = tc.title, tc.description, tc.category, nil
			got, err := sipd.Suggest(ctx, db, p, 5)
			require.NoError(t, err)
			require.NotEmpty(t, got, tc.title)
			require.Equal(t, tc.want, got[0].Code, "%s: %v", tc.title, codes(got))
		}

		// Nothing in common with any sub kegiatan: no noise.
		p.Title, p.Description, p.Category = "Xyzzy", "", "lainnya"
		got, err = sipd.Suggest(ctx, db, p, 5)
		require.NoError(t, err)
		require.Empty(t, got)

		// No version for 2021: nothing to suggest, not an error.
		p.Title, p.CycleID = "Pelatihan koperasi", "74-2021"
		got, err = sipd.Suggest(ctx, db, p, 5)
		require.NoError(t, err)
		require.Empty(t, got)

		p.CycleID = "99-2027"
		_, err = sipd.Suggest(ctx, db, p, 5)
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
	})
}

// Every suggestion passes CheckMapping: what the planner is offered, the
// mapping stage accepts.
func TestSuggestionsAreMappable(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	seed(t, db)
	for _, region := range []string{"74", "74.05", "74.05.03"} {
		for _, cycle := range []string{"74-2023", "74-2027"} {
			p := domain.Proposal{CycleID: cycle, RegionCode: region, Title: "Pengembangan usaha mikro dan koperasi", Category: "pendampingan"}
			got, err := sipd.Suggest(ctx, db, p, 50)
			require.NoError(t, err)
			require.NotEmpty(t, got)
			year := 2023
			if strings.HasSuffix(cycle, "2027") {
				year = 2027
			}
			for _, s := range got {
				require.NoError(t, sipd.CheckMapping(ctx, db, year, region, s.Code), "%s %s %s", cycle, region, s.Code)
			}
		}
	}
}
