package register

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

var (
	testNow  = time.Date(2026, 6, 15, 3, 0, 0, 0, time.UTC)
	testOpts = Options{KabKota: "74.05", Year: 2026, Now: testNow}
	header   = strings.Join(Header, ",")
	goodRow  = "7405032001010001,AHU-0001.AH.01.26.2019,2019-03-04,Koperasi Sejahtera,konsumen,74.05.03.2001,tidak,aktif,2026-03-01,25,50000000,20000000,300000000,4000000"
)

// readAll drains a reader into its rows and row errors.
func readAll(t *testing.T, data string, o Options) ([]store.ImportRow, []domain.FieldError, error) {
	t.Helper()
	rd, err := Open(strings.NewReader(data), o)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var rows []store.ImportRow
	var errs []domain.FieldError
	for {
		b, err := rd.Next()
		if err != nil {
			return rows, errs, err
		}
		if b == nil {
			return rows, errs, nil
		}
		rows = append(rows, b.Rows...)
		errs = append(errs, b.Errors...)
	}
}

func TestGoodRow(t *testing.T) {
	rows, errs, err := readAll(t, "\xef\xbb\xbf"+header+"\r\n"+goodRow+"\r\n", testOpts)
	require.NoError(t, err)
	require.Empty(t, errs)
	require.Len(t, rows, 1)
	r := rows[0]
	require.Equal(t, 2, r.Row)
	require.Equal(t, "7405032001010001", r.Koperasi.NIK)
	require.Equal(t, domain.JenisKonsumen, r.Koperasi.Jenis)
	require.Equal(t, int64(50_000_000), r.Year.ModalSendiriIDR)
	require.Equal(t, 2026, r.Year.Year)
	require.True(t, r.Year.IsBerkualitas())
}

// Every bad input of issue 17 is refused with its row and column.
func TestBadRows(t *testing.T) {
	set := func(col, val string) string {
		rec := strings.Split(goodRow, ",")
		for i, h := range Header {
			if h == col {
				rec[i] = val
			}
		}
		return strings.Join(rec, ",")
	}
	other := set("nik", "7405032001010002")
	other = strings.Replace(other, "AHU-0001", "AHU-0002", 1)
	cases := []struct {
		name  string
		rows  []string
		row   int
		field string
	}{
		{"NIK of 15 digits", []string{set("nik", "740503200101000")}, 2, "nik"},
		{"NIK with a letter", []string{set("nik", "74050320010100A1")}, 2, "nik"},
		{"same NIK twice", []string{goodRow, strings.Replace(goodRow, "AHU-0001", "AHU-0009", 1)}, 3, "nik"},
		{"same badan hukum twice", []string{goodRow, strings.Replace(set("nik", ""), ",Koperasi", ",Koperasi", 1)}, 3, "badan_hukum_no"},
		{"desa of another kab/kota", []string{other, set("kode_wilayah", "74.71.01.1001")}, 3, "kode_wilayah"},
		{"a kecamatan, not a desa", []string{set("kode_wilayah", "74.05.03")}, 2, "kode_wilayah"},
		{"unknown jenis", []string{set("jenis", "syariah")}, 2, "jenis"},
		{"unknown status", []string{set("status", "mati_suri")}, 2, "status"},
		{"negative amount", []string{set("modal_luar", "-5")}, 2, "modal_luar"},
		{"amount with separators", []string{set("shu", "4.000.000")}, 2, "shu"},
		{"a date that does not exist", []string{set("badan_hukum_tanggal", "2019-02-30")}, 2, "badan_hukum_tanggal"},
		{"a date in the future", []string{set("tanggal_rat", "2026-12-01")}, 2, "tanggal_rat"},
		{"RAT of another year than the round's", []string{set("tanggal_rat", "2025-03-01")}, 2, "tanggal_rat"},
		{"badan hukum after the round's year", []string{set("badan_hukum_tanggal", "2026-01-02")}, 0, ""},
		{"kmp neither ya nor tidak", []string{set("kmp", "mungkin")}, 2, "kmp"},
		{"name missing", []string{set("nama", "")}, 2, "nama"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := header + "\n" + strings.Join(tc.rows, "\n") + "\n"
			_, errs, err := readAll(t, data, testOpts)
			require.NoError(t, err)
			if tc.row == 0 {
				require.Empty(t, errs, "a badan hukum dated in the round's year is allowed")
				return
			}
			require.NotEmpty(t, errs)
			require.Equal(t, tc.row, errs[0].Row, errs)
			require.Equal(t, tc.field, errs[0].Field, errs)
			require.NotEmpty(t, errs[0].Message)
		})
	}
	t.Run("badan hukum after the round's year (2025 round)", func(t *testing.T) {
		o := testOpts
		o.Year = 2025
		second := strings.Replace(set("badan_hukum_tanggal", "2026-01-02"), "AHU-0001", "AHU-0003", 1)
		second = strings.Replace(strings.Replace(second, "2026-03-01", "2025-05-01", 1), "7405032001010001", "7405032001010003", 1)
		_, errs, err := readAll(t, header+"\n"+set("tanggal_rat", "2025-05-01")+"\n"+second+"\n", o)
		require.NoError(t, err)
		require.NotEmpty(t, errs)
		require.Equal(t, 3, errs[0].Row)
		require.Equal(t, "badan_hukum_tanggal", errs[0].Field)
	})
}

// Whole-file refusals: not CSV/XLSX (by content), empty, header.
func TestFileRefusals(t *testing.T) {
	cases := []struct {
		name, data, field string
	}{
		{"empty", "", "file"},
		{"only blanks", " \n\n", "file"},
		{"a PDF", "%PDF-1.7\n\x00\x01\x02\xff binary", "file"},
		{"a PNG", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file"},
		{"a zip that is not XLSX", "PK\x03\x04garbage", "file"},
		{"header differs", strings.Replace(header, "nama", "name", 1) + "\n" + goodRow + "\n", "header"},
		{"header short", "nik,badan_hukum_no\n", "header"},
		{"header long", header + ",catatan\n" + goodRow + ",x\n", "header"},
		{"header only", header + "\n", "file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, tc.data, testOpts)
			require.Error(t, err)
			var de *domain.Error
			require.ErrorAs(t, err, &de)
			require.Equal(t, domain.EINVALID, de.Code)
			require.Len(t, de.Fields, 1)
			require.Equal(t, tc.field, de.Fields[0].Field)
			require.NotZero(t, de.Fields[0].Row)
		})
	}
}

// The XLSX template reads back as an (empty) register; filled in, its rows
// are parsed like the CSV's, row numbers included.
func TestXLSXTemplateRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteTemplate(&buf, XLSX))
	_, _, err := readAll(t, buf.String(), testOpts)
	require.ErrorContains(t, err, "tidak ada data koperasi")

	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	rec := strings.Split(goodRow, ",")
	row := make([]any, len(rec))
	for i, v := range rec {
		row[i] = v
	}
	require.NoError(t, f.SetSheetRow("Data", "A2", &row))
	var out bytes.Buffer
	_, err = f.WriteTo(&out)
	require.NoError(t, err)
	rd, err := Open(bytes.NewReader(out.Bytes()), testOpts)
	require.NoError(t, err)
	defer rd.Close()
	require.Equal(t, XLSX, rd.Format())
	b, err := rd.Next()
	require.NoError(t, err)
	require.Empty(t, b.Errors)
	require.Len(t, b.Rows, 1)
	require.Equal(t, 2, b.Rows[0].Row)
	require.Equal(t, "7405032001010001", b.Rows[0].Koperasi.NIK, "the NIK cell is text, not a number")

	var csvBuf bytes.Buffer
	require.NoError(t, WriteTemplate(&csvBuf, CSV))
	require.Equal(t, header+"\n", csvBuf.String())
}

// The synthetic register passes its own import's checks, year after year.
func TestSynthesizeIsValid(t *testing.T) {
	desas := []Desa{{"74.05.03.2001", "Lamooso"}, {"74.05.03.2002", "Lakarinta"}, {"74.05.04.2001", "Tinanggea"}}
	for _, year := range []int{2024, 2025, 2026} {
		var b strings.Builder
		b.WriteString(header + "\n")
		n := 0
		require.NoError(t, Synthesize(desas, year, SynthOptions{PerDesa: 6, KMPKabKota: "74.05", Now: testNow}, func(rec []string) error {
			n++
			b.WriteString(strings.Join(rec, ",") + "\n")
			return nil
		}))
		o := testOpts
		o.Year = year
		rows, errs, err := readAll(t, b.String(), o)
		require.NoError(t, err)
		require.Empty(t, errs, "year %d", year)
		require.Len(t, rows, n)
		require.Greater(t, n, 3)
	}
}
