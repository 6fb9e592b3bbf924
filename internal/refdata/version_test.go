package refdata_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// withSubDigits rewrites goodRows' sub kegiatan codes to 2-digit ones
// (".0001" to ".01"), the numbering before Kepmendagri 900.1.15.5-1317/2023.
func withSubDigits(digits int) [][]string {
	rows := make([][]string, len(goodRows))
	for i, r := range goodRows {
		r = append([]string(nil), r...)
		if digits == 2 && r[1] == "sub_kegiatan" {
			r[0] = r[0][:len(r[0])-4] + r[0][len(r[0])-2:]
		}
		rows[i] = r
	}
	return rows
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var de *domain.Error
	require.True(t, errors.As(err, &de), "want a domain error, got %v", err)
	require.Equal(t, domain.EINVALID, de.Code)
	out := map[string]string{}
	for _, f := range de.Fields {
		out[f.Field] += f.Message
	}
	return out
}

// The regulation's boundary: a version valid from fiscal year 2023 numbers
// sub kegiatan with 2 digits, one valid from 2024 with 4; each refuses the
// other's codes, row by row.
func TestSubKegiatanDigitsByVersion(t *testing.T) {
	two, four := withSubDigits(2), withSubDigits(4)
	for _, tc := range []struct {
		year int
		rows [][]string
		ok   bool
	}{
		{2019, two, true}, {2023, two, true}, {2023, four, false},
		{2024, four, true}, {2024, two, false}, {2031, four, true},
	} {
		rows, err := refdata.ParseNomenclature(strings.NewReader(csvOf(tc.rows)), "csv", tc.year)
		if tc.ok {
			require.NoError(t, err, "%d", tc.year)
			require.Len(t, rows, len(tc.rows)-1)
			continue
		}
		got := fieldsOf(t, err)
		// Rows 9, 11 and 12 of goodRows are the three sub kegiatan.
		require.Len(t, got, 3, "%d: %v", tc.year, got)
		for _, row := range []string{"baris 9: kode", "baris 11: kode", "baris 12: kode"} {
			require.Contains(t, got[row], "mulai tahun anggaran", "%d %s", tc.year, row)
		}
	}
}

// A kab/kota kegiatan needs its program for kab/kota (or a shared one); the
// provincial program of the same code is not its parent.
func TestHierarchyRespectsPemdaLevel(t *testing.T) {
	rows := [][]string{
		goodRows[0], goodRows[1], goodRows[2],
		{"2.17.01", "program", "provinsi", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH PROVINSI"},
		{"2.17.01.2.01", "kegiatan", "kabkota", "Perencanaan, Penganggaran, dan Evaluasi Kinerja Perangkat Daerah"},
		{"2.17.01.1.01", "kegiatan", "provinsi", "Perencanaan, Penganggaran, dan Evaluasi Kinerja Perangkat Daerah"},
	}
	_, err := refdata.ParseNomenclature(strings.NewReader(csvOf(rows)), "csv", 2027)
	got := fieldsOf(t, err)
	require.Len(t, got, 1)
	require.Contains(t, got["baris 5: kode"], `Induk "2.17.01" dari kode "2.17.01.2.01" tidak ada dalam berkas untuk pemda level kabkota`)
}

// A bad XLSX lampiran is refused whole, every problem with its row, and
// leaves no version behind; the good rows of the same file are not kept.
func TestImportBadXLSXIsRefusedWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rows := append(withSubDigits(4),
			[]string{"2.17.07.2.01.01", "sub_kegiatan", "kabkota", "Kode lama"},     // row 13: 2 digits
			[]string{"2.17.08.2.01.0002", "sub_kegiatan", "kabkota", "Tanpa induk"}, // row 14: no parent
			[]string{"2.17.07.1.01.0002", "sub_kegiatan", "kabkota", "Level salah"}, // row 15: 5th segment is 1
		)
		path := filepath.Join(t.TempDir(), "lampiran_2027.xlsx")
		require.NoError(t, os.WriteFile(path, xlsxOf(t, rows), 0o600))
		err := refdata.ImportNomenclature(ctx, db, path, 2027, "Lampiran 2027")
		got := fieldsOf(t, err)
		require.Contains(t, got["baris 13: kode"], "2 digit")
		require.Contains(t, got["baris 14: kode"], `Induk "2.17.08.2.01"`)
		require.Contains(t, got["baris 15: pemda_level"], "segmen ke-5")
		require.Len(t, got, 3)
		versions, err := db.ListNomenclatureVersions(ctx)
		require.NoError(t, err)
		require.Empty(t, versions)
		_, err = db.NomenclatureVersionFor(ctx, 2027)
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
	})
}

// FuzzParseNomenclature checks the lampiran parser on any CSV: it never
// panics; it refuses with an EINVALID error naming fields, or returns rows
// that hold what it promises: codes of the right shape and level, sub
// kegiatan digits of the version, pemda levels matching the 5th segment,
// no duplicates, and every parent present. Seeds live in
// testdata/fuzz/FuzzParseNomenclature.
func FuzzParseNomenclature(f *testing.F) {
	f.Add([]byte(csvOf(goodRows)), 2027)
	f.Add([]byte(csvOf(withSubDigits(2))), 2023)
	f.Add([]byte("kode;level;pemda_level;nama\n2;urusan;both;U\n2.17;bidang_urusan;both;B\n"), 2024)
	f.Add([]byte("kode,level,pemda_level,nama\n2.17.07.2.01,kegiatan,kabkota,X\n"), 2027)
	f.Fuzz(func(t *testing.T, data []byte, year int) {
		rows, err := refdata.ParseNomenclature(bytes.NewReader(data), "csv", year)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.EINVALID || len(de.Fields) == 0 {
				t.Fatalf("refusal is not an EINVALID field error: %v", err)
			}
			return
		}
		type key struct {
			code  string
			pemda domain.PemdaLevel
		}
		have := map[key]bool{}
		for _, r := range rows {
			if have[key{r.Code, r.PemdaLevel}] {
				t.Fatalf("duplicate %s/%s", r.Code, r.PemdaLevel)
			}
			have[key{r.Code, r.PemdaLevel}] = true
		}
		for _, r := range rows {
			c, err := refdata.ParseNomenclatureCode(r.Code)
			if err != nil || c.Level != r.Level {
				t.Fatalf("%s: level %s accepted (%v)", r.Code, r.Level, err)
			}
			if c.SubDigits != 0 && c.SubDigits != refdata.SubKegiatanDigits(year) {
				t.Fatalf("%s: %d digits accepted for a version valid from %d", r.Code, c.SubDigits, year)
			}
			if c.PemdaLevel != "" && c.PemdaLevel != r.PemdaLevel {
				t.Fatalf("%s: pemda level %s accepted", r.Code, r.PemdaLevel)
			}
			parent := c.Parent()
			if c.Level == store.NomenKegiatan {
				parent = domain.RegionParent(parent)
			}
			if parent != "" && !have[key{parent, store.PemdaBoth}] && !have[key{parent, r.PemdaLevel}] &&
				!(r.PemdaLevel == store.PemdaBoth && have[key{parent, domain.PemdaProvinsi}] && have[key{parent, domain.PemdaKabKota}]) {
				t.Fatalf("%s/%s accepted without its parent %s", r.Code, r.PemdaLevel, parent)
			}
		}
	})
}
