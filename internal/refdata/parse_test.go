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
	"github.com/xuri/excelize/v2"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// goodRows is a small, complete 4-digit lampiran: the hierarchy down to one
// sub kegiatan per pemda level, plus a program row per level.
var goodRows = [][]string{
	{"kode", "level", "pemda_level", "nama", "kinerja", "indikator", "satuan", "status"},
	{"2", "urusan", "both", "URUSAN PEMERINTAHAN WAJIB YANG TIDAK BERKAITAN DENGAN PELAYANAN DASAR"},
	{"2.17", "bidang_urusan", "both", "URUSAN PEMERINTAHAN BIDANG KOPERASI, USAHA KECIL, DAN MENENGAH"},
	{"2.17.01", "program", "provinsi", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH PROVINSI"},
	{"2.17.01", "program", "kabkota", "PROGRAM PENUNJANG URUSAN PEMERINTAHAN DAERAH KABUPATEN/KOTA"},
	{"2.17.07", "program", "both", "PROGRAM PEMBERDAYAAN USAHA MENENGAH, USAHA KECIL, DAN USAHA MIKRO (UMKM)"},
	{"2.17.07.1.01", "kegiatan", "provinsi", "Pemberdayaan Usaha Kecil"},
	{"2.17.07.2.01", "kegiatan", "kabkota", "Pemberdayaan Usaha Mikro"},
	// A child before its parent is fine: the hierarchy is checked on the whole file.
	{"2.17.01.2.01.0001", "sub_kegiatan", "kabkota", "Penyusunan Dokumen Perencanaan Perangkat Daerah", "", "Jumlah Dokumen", "dokumen", "verified"},
	{"2.17.01.2.01", "kegiatan", "kabkota", "Perencanaan, Penganggaran, dan Evaluasi Kinerja Perangkat Daerah"},
	{"2.17.07.1.01.0001", "sub_kegiatan", "provinsi", "Menumbuhkembangkan UMKM", "Meningkatnya UMKM", "Jumlah UMKM", "unit usaha", "verified"},
	{"2.17.07.2.01.0003", "sub_kegiatan", "kabkota", "Fasilitasi Kemudahan Perizinan Usaha Mikro", "", "", "", ""},
}

func csvOf(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(c, ",\"\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func xlsxOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, err)
		row := make([]any, len(r))
		for j, c := range r {
			row[j] = c
		}
		require.NoError(t, f.SetSheetRow(sheet, cell, &row))
	}
	// A second sheet must be ignored: only the first is read.
	_, err := f.NewSheet("Catatan")
	require.NoError(t, err)
	require.NoError(t, f.SetCellValue("Catatan", "A1", "bukan data"))
	var buf bytes.Buffer
	_, err = f.WriteTo(&buf)
	require.NoError(t, err)
	return buf.Bytes()
}

func TestParseNomenclatureGood(t *testing.T) {
	for _, tc := range []struct {
		format string
		data   []byte
	}{
		{"csv", []byte(csvOf(goodRows))},
		{"csv", append([]byte("\xef\xbb\xbf"), strings.ReplaceAll(csvOf(goodRows[:3]), ",", ";")...)}, // BOM, Excel "CSV (semicolon)"
		{"xlsx", xlsxOf(t, goodRows)},
	} {
		rows, err := refdata.ParseNomenclature(bytes.NewReader(tc.data), tc.format, 2027)
		require.NoError(t, err, tc.format)
		if len(rows) == 2 {
			require.Equal(t, "2.17", rows[1].Code)
			continue
		}
		require.Len(t, rows, len(goodRows)-1)
		sub := rows[9]
		require.Equal(t, store.NomenclatureRow{
			Code: "2.17.07.1.01.0001", Level: store.NomenSubKegiatan, PemdaLevel: domain.PemdaProvinsi,
			Name: "Menumbuhkembangkan UMKM", Kinerja: "Meningkatnya UMKM", Indikator: "Jumlah UMKM",
			Satuan: "unit usaha", Status: "verified",
		}, sub, tc.format)
	}
}

func TestParseNomenclatureRejects(t *testing.T) {
	// with replaces record i of goodRows (spreadsheet row i+1; 0 is the
	// header), or adds it when i is past the end.
	with := func(changes map[int][]string) [][]string {
		rows := make([][]string, len(goodRows))
		copy(rows, goodRows)
		for i, r := range changes {
			for len(rows) <= i {
				rows = append(rows, nil)
			}
			rows[i] = r
		}
		return rows
	}
	for _, tc := range []struct {
		name   string
		rows   [][]string
		year   int
		fields map[string]string // field -> part of the message
	}{
		{
			name:   "missing required column",
			rows:   [][]string{{"kode", "level", "nama"}, {"2", "urusan", "URUSAN"}},
			fields: map[string]string{"baris 1: pemda_level": "Kolom wajib"},
		},
		{
			// Issue 23: control characters and bytes that are not UTF-8,
			// named by row and column.
			name:   "control characters and invalid UTF-8",
			rows:   with(map[int][]string{3: {"2.17.01", "program", "provinsi", "PROGRAM\x00X"}, 6: {"2.17.07.2.01", "kegiatan", "kabkota", "Fasilitasi \xff"}}),
			fields: map[string]string{"baris 4: nama": "karakter kendali", "baris 7: nama": "UTF-8"},
		},
		{
			name:   "code shape",
			rows:   with(map[int][]string{3: {"2.17.1", "program", "provinsi", "X"}, 6: {"2.17.07.3.01", "kegiatan", "provinsi", "X"}}),
			fields: map[string]string{"baris 4: kode": "tidak berbentuk", "baris 7: kode": "tidak berbentuk"},
		},
		{
			name:   "2-digit sub kegiatan in a 4-digit version",
			rows:   with(map[int][]string{11: {"2.17.07.2.01.03", "sub_kegiatan", "kabkota", "Fasilitasi"}}),
			fields: map[string]string{"baris 12: kode": "2 digit"},
		},
		{
			name:   "4-digit sub kegiatan in a 2-digit version",
			year:   2023,
			rows:   with(map[int][]string{8: {"2.17.01.2.01.01", "sub_kegiatan", "kabkota", "Penyusunan"}}),
			fields: map[string]string{"baris 11: kode": "4 digit", "baris 12: kode": "4 digit"},
		},
		{
			name:   "level does not match the code",
			rows:   with(map[int][]string{6: {"2.17.07.1.01", "sub_kegiatan", "provinsi", "Pemberdayaan"}}),
			fields: map[string]string{"baris 7: level": "tidak sesuai"},
		},
		{
			name:   "unknown level",
			rows:   with(map[int][]string{5: {"2.17.07", "programm", "both", "PROGRAM"}}),
			fields: map[string]string{"baris 6: level": "tidak dikenal"},
		},
		{
			name:   "pemda level against the 5th segment",
			rows:   with(map[int][]string{7: {"2.17.07.2.01", "kegiatan", "provinsi", "Pemberdayaan"}, 10: {"2.17.07.1.01.0001", "sub_kegiatan", "both", "Menumbuhkembangkan"}}),
			fields: map[string]string{"baris 8: pemda_level": "segmen ke-5", "baris 11: pemda_level": "segmen ke-5"},
		},
		{
			name:   "unknown pemda level",
			rows:   with(map[int][]string{2: {"2.17", "bidang_urusan", "kota", "BIDANG"}}),
			fields: map[string]string{"baris 3: pemda_level": "tidak dikenal", "baris 4: kode": "Induk \"2.17\""},
		},
		{
			name:   "duplicates",
			rows:   with(map[int][]string{12: {"2.17.07.2.01.0003", "sub_kegiatan", "kabkota", "Lagi"}, 13: {"2.17.07", "program", "provinsi", "PROGRAM"}}),
			fields: map[string]string{"baris 13: kode": "sudah ada di baris 12", "baris 14: kode": "sudah ada di baris 6"},
		},
		{
			name: "missing parents",
			rows: with(map[int][]string{
				12: {"2.17.08.2.01.0002", "sub_kegiatan", "kabkota", "Pengembangan Usaha Mikro"},
				13: {"2.17.01.1.01", "kegiatan", "provinsi", "Perencanaan"},
				14: {"2.17.07.1.02.0001", "sub_kegiatan", "provinsi", "X"},
				15: {"2.17.09", "program", "both", "X"},
			}),
			fields: map[string]string{
				"baris 13: kode": `Induk "2.17.08.2.01"`,
				"baris 14: kode": "", // 2.17.01 provinsi exists: no problem expected
				"baris 15: kode": `Induk "2.17.07.1.02"`,
				"baris 16: kode": "", // 2.17 exists
			},
		},
		{
			name:   "empty required cells",
			rows:   with(map[int][]string{4: {"2.17.01", "program", "kabkota", ""}, 5: {"", "program", "both", "X"}}),
			fields: map[string]string{"baris 5: nama": "wajib", "baris 6: kode": "wajib"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			year := tc.year
			if year == 0 {
				year = 2027
			}
			_, err := refdata.ParseNomenclature(strings.NewReader(csvOf(tc.rows)), "csv", year)
			require.Error(t, err)
			var de *domain.Error
			require.True(t, errors.As(err, &de), "%v", err)
			require.Equal(t, domain.EINVALID, de.Code)
			got := map[string]string{}
			for _, f := range de.Fields {
				got[f.Field] += f.Message + " | "
			}
			for field, msg := range tc.fields {
				if msg == "" {
					require.NotContains(t, got, field)
					continue
				}
				require.Contains(t, got, field, "all problems: %v", got)
				require.Contains(t, got[field], msg)
			}
		})
	}
}

func TestParseNomenclatureBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, format, data, field string
	}{
		{"unknown format", "ods", "x", "format"},
		{"empty file", "csv", "", "berkas"},
		{"header only", "csv", "kode,level,pemda_level,nama\n", "berkas"},
		{"broken quotes", "csv", "kode,level,pemda_level,nama\n\"2,urusan,both,X\n", "baris 2"},
		{"not an xlsx", "xlsx", "kode,level", "berkas"},
	} {
		_, err := refdata.ParseNomenclature(strings.NewReader(tc.data), tc.format, 2027)
		var de *domain.Error
		require.True(t, errors.As(err, &de), "%s: %v", tc.name, err)
		require.Equal(t, domain.EINVALID, de.Code, tc.name)
		require.Equal(t, tc.field, de.Fields[0].Field, tc.name)
	}
}

func TestImportNomenclature(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		csvPath := filepath.Join(dir, "lampiran_2027.csv")
		require.NoError(t, os.WriteFile(csvPath, []byte(csvOf(goodRows)), 0o600))
		xlsxPath := filepath.Join(dir, "lampiran_2029.xlsx")
		require.NoError(t, os.WriteFile(xlsxPath, xlsxOf(t, goodRows), 0o600))

		require.NoError(t, refdata.ImportNomenclature(ctx, db, csvPath, 2027, "Kepmendagri 900.1.15.5-xxxx/2026"))
		require.NoError(t, refdata.ImportNomenclature(ctx, db, xlsxPath, 2029, ""))

		v, err := db.NomenclatureVersionFor(ctx, 2028)
		require.NoError(t, err)
		require.Equal(t, 2027, v.ValidFromYear)
		require.Equal(t, "Kepmendagri 900.1.15.5-xxxx/2026", v.Name)
		require.EqualValues(t, len(goodRows)-1, v.Rows)
		v, err = db.NomenclatureVersionFor(ctx, 2030)
		require.NoError(t, err)
		require.Equal(t, "lampiran_2029.xlsx", v.Name)
		sub, err := db.GetSubKegiatan(ctx, 2029, "2.17.01.2.01.0001")
		require.NoError(t, err)
		require.Equal(t, "dokumen", sub.Satuan)

		// The same year again is a conflict, and changes nothing.
		err = refdata.ImportNomenclature(ctx, db, csvPath, 2027, "lagi")
		require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "%v", err)

		// A bad file writes nothing, even where most rows are fine.
		bad := append(append([][]string{}, goodRows...), []string{"2.17.07.2.01.01", "sub_kegiatan", "kabkota", "Lama"})
		badPath := filepath.Join(dir, "bad.csv")
		require.NoError(t, os.WriteFile(badPath, []byte(csvOf(bad)), 0o600))
		err = refdata.ImportNomenclature(ctx, db, badPath, 2031, "bad")
		require.Equal(t, domain.EINVALID, domain.ErrorCode(err))
		var de *domain.Error
		require.True(t, errors.As(err, &de))
		require.Equal(t, "baris 13: kode", de.Fields[0].Field)

		err = refdata.ImportNomenclature(ctx, db, filepath.Join(dir, "lampiran.pdf"), 2032, "")
		require.Equal(t, domain.EINVALID, domain.ErrorCode(err))

		versions, err := db.ListNomenclatureVersions(ctx)
		require.NoError(t, err)
		require.Len(t, versions, 2)
		require.Equal(t, []int{2027, 2029}, []int{versions[0].ValidFromYear, versions[1].ValidFromYear})
	})
}

func TestParseNomenclatureXLSXRowNumbers(t *testing.T) {
	// Row 3 is left empty and a non-UTF-8 cell arrives through CSV: the
	// reported rows are the ones the user sees.
	rows := [][]string{goodRows[0], goodRows[1], {}, {"2.17", "bidang_urusan", "both", "BIDANG"}, {"2.17.07", "program", "semua", "PROGRAM"}}
	_, err := refdata.ParseNomenclature(bytes.NewReader(xlsxOf(t, rows)), "xlsx", 2027)
	var de *domain.Error
	require.True(t, errors.As(err, &de), "%v", err)
	require.Equal(t, []domain.FieldError{{Field: "baris 5: pemda_level", Message: de.Fields[0].Message}}, de.Fields)

	_, err = refdata.ParseNomenclature(strings.NewReader("kode,level,pemda_level,nama\n2,urusan,both,URUSAN \xff\n"), "csv", 2027)
	require.True(t, errors.As(err, &de), "%v", err)
	require.Equal(t, "baris 2: nama", de.Fields[0].Field)
	require.Contains(t, de.Fields[0].Message, "UTF-8")
}
