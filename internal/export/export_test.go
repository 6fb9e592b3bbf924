package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// designHeader is docs/ARCHITECTURE.md's header, copied here by hand: the test fails if
// the code's Header drifts from the brief.
const designHeader = "no,kode_provinsi,provinsi,kode_kabkota,kabkota,kode_kecamatan,kecamatan,proposal_id,judul,kategori,kode_sub_kegiatan,sub_kegiatan,indikator,target,satuan,pagu_usulan,pagu_konsolidasi,sumber_dana,prioritas,tahapan,keputusan_rakorda"

// exportHeader is designHeader with the label columns for people appended
// (issue 22): DESIGN.md's columns keep their places and codes.
const exportHeader = designHeader + ",nama_kategori,nama_sumber_dana,nama_tahapan,koperasi_penerima,nomor_usulan,asal_usulan,nama_asal_usulan,lokasi,jumlah_rab"

func readCSV(t *testing.T, b []byte) (header string, rows []map[string]string) {
	t.Helper()
	first, _, _ := strings.Cut(string(b), "\n")
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		rows = append(rows, m)
	}
	return first, rows
}

func TestConsolidatedCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		want74, want73 := seedLists(t, db)
		scope, err := export.ResolveScope(ctx, db, "74-2027", 0)
		require.NoError(t, err)
		require.Equal(t, export.Scope{CycleID: "74-2027", FiscalYear: 2027, ProvinceCode: "74", ProvinceName: "Sulawesi Tenggara"}, scope)
		require.Equal(t, "konsolidasi_74_sulawesi_tenggara_2027.csv", export.Filename(scope, export.CSV))

		var buf bytes.Buffer
		totals, err := export.WriteCSV(ctx, db, scope, &buf)
		require.NoError(t, err)
		header, rows := readCSV(t, buf.Bytes())
		require.Equal(t, exportHeader, header)
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r["proposal_id"]
			require.Equal(t, strconv.Itoa(i+1), r["no"])
		}
		require.Equal(t, want74, ids, "grouped by province, kab/kota, program; ordered by priority")

		byID := map[string]map[string]string{}
		for _, r := range rows {
			byID[r["proposal_id"]] = r
		}
		require.Equal(t, map[string]string{
			"no": "2", "kode_provinsi": "74", "provinsi": "Sulawesi Tenggara", "kode_kabkota": "74.05",
			"kabkota": "Kabupaten Konawe Selatan", "kode_kecamatan": "74.05.03", "kecamatan": "Andoolo",
			"proposal_id": "u-ksel-2", "judul": "Pelatihan kewirausahaan koperasi", "kategori": "pelatihan",
			"kode_sub_kegiatan": "2.17.05.2.01.0001",
			"sub_kegiatan":      "Peningkatan Pemahaman dan Pengetahuan Perkoperasian serta Kapasitas dan Kompetensi SDM Koperasi",
			"indikator":         "Anggota koperasi terlatih; Koperasi dibina", "target": "40; 2.5", "satuan": "orang; unit",
			"pagu_usulan": "150000000", "pagu_konsolidasi": "120000000", "sumber_dana": "apbd_provinsi",
			"prioritas": "2", "tahapan": "ministry", "keputusan_rakorda": "diterima",
			"nama_kategori": "Pelatihan", "nama_sumber_dana": domain.FundingSource("apbd_provinsi").Label(),
			"nama_tahapan":      domain.StageMinistry.Label(),
			"koperasi_penerima": "kop-a; kop-b",
			"nomor_usulan":      "74.05.03/2027/0002", "asal_usulan": "musrenbang_kecamatan", "nama_asal_usulan": "Musrenbang Kecamatan",
			"lokasi": "74.05.03.2001; 74.05.03.2002", "jumlah_rab": "150000000",
		}, byID["u-ksel-2"])
		require.Equal(t, []string{"", "", ""}, []string{byID["u-prov"]["nomor_usulan"], byID["u-prov"]["lokasi"], byID["u-prov"]["jumlah_rab"]}, "no dossier: empty, not zero")
		require.NotEqual(t, "apbd_provinsi", byID["u-ksel-2"]["nama_sumber_dana"], "a label, not the code again")
		// A provincial proposal has no kab/kota or kecamatan.
		require.Equal(t, []string{"", "", "", ""}, []string{byID["u-prov"]["kode_kabkota"], byID["u-prov"]["kabkota"], byID["u-prov"]["kode_kecamatan"], byID["u-prov"]["kecamatan"]})
		// A kab/kota proposal has no kecamatan.
		require.Equal(t, "", byID["u-ksel-1"]["kode_kecamatan"])
		require.Equal(t, "Kabupaten Konawe Selatan", byID["u-ksel-1"]["kabkota"])
		// Declined stays on the list, saying so.
		require.Equal(t, "declined", byID["u-ksel-dec"]["tahapan"])
		// Not consolidated yet: no amount, no rank, no Rakorda event recorded.
		require.Equal(t, []string{"", "", "75500003", ""}, []string{byID["u-kdi-new"]["pagu_konsolidasi"], byID["u-kdi-new"]["prioritas"], byID["u-kdi-new"]["pagu_usulan"], byID["u-kdi-new"]["kode_sub_kegiatan"]})
		require.Equal(t, "", byID["u-kdi-1"]["keputusan_rakorda"], "no rakorda event in its trail")
		// A 2-digit code is not in the version in force for 2027: no name.
		require.Equal(t, "2.17.07.2.01.03", byID["u-ksel-old"]["kode_sub_kegiatan"])
		require.Equal(t, "", byID["u-ksel-old"]["sub_kegiatan"])
		// A title that a spreadsheet would run as a formula is defused.
		require.Equal(t, `'=HYPERLINK("x") Pendataan usaha mikro`, byID["u-ksel-old"]["judul"])

		// The totals are the database's, to the rupiah.
		n, amount, consolidated := dbTotals(t, db, "p.cycle_id = ?", "74-2027")
		require.Equal(t, export.Totals{Proposals: int(n), AmountIDR: amount, ConsolidatedAmountIDR: consolidated}, totals)
		var sumAmount, sumConsolidated int64
		for _, r := range rows {
			a, err := strconv.ParseInt(r["pagu_usulan"], 10, 64)
			require.NoError(t, err)
			sumAmount += a
			if r["pagu_konsolidasi"] != "" {
				c, err := strconv.ParseInt(r["pagu_konsolidasi"], 10, 64)
				require.NoError(t, err)
				sumConsolidated += c
			}
		}
		require.Equal(t, amount, sumAmount)
		require.Equal(t, consolidated, sumConsolidated)
		require.EqualValues(t, 300_000_000+150_000_000+90_000_001+45_000_000+10_000_000+75_500_003+60_000_000, amount)

		// A fiscal year across provinces: 73 then 74, nothing from 2026.
		national, err := export.ResolveScope(ctx, db, "", 2027)
		require.NoError(t, err)
		require.Equal(t, "konsolidasi_semua_provinsi_2027.csv", export.Filename(national, export.CSV))
		buf.Reset()
		totals, err = export.Write(ctx, db, national, export.CSV, &buf)
		require.NoError(t, err)
		_, rows = readCSV(t, buf.Bytes())
		ids = ids[:0]
		for _, r := range rows {
			ids = append(ids, r["proposal_id"])
		}
		require.Equal(t, append(append([]string{}, want73...), want74...), ids)
		n, amount, consolidated = dbTotals(t, db, "c.fiscal_year = ?", 2027)
		require.Equal(t, export.Totals{Proposals: int(n), AmountIDR: amount, ConsolidatedAmountIDR: consolidated}, totals)
	})
}

// sheetRows reads a sheet back with excelize, raw values (no number
// formatting), as maps keyed by the header.
func sheetRows(t *testing.T, f *excelize.File, sheet string) (header []string, rows []map[string]string) {
	t.Helper()
	all, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	require.NotEmpty(t, all, sheet)
	header = all[0]
	for _, rec := range all[1:] {
		m := map[string]string{}
		for i, h := range header {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		rows = append(rows, m)
	}
	return header, rows
}

func money(t *testing.T, s string) int64 {
	t.Helper()
	if s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, "%q is not an integer number of rupiah", s)
	return v
}

// checkProvinceSheet walks a province sheet: every subtotal row must equal
// the sum of the data rows of its kab/kota above it, the province total the
// sum of all data rows, and that sum the database's, to the rupiah. It
// returns the proposal ids in sheet order.
func checkProvinceSheet(t *testing.T, db *store.DB, f *excelize.File, sheet, cycleID string) []string {
	t.Helper()
	header, rows := sheetRows(t, f, sheet)
	require.Equal(t, exportHeader, strings.Join(header, ","), sheet)
	var (
		ids                          []string
		groupAmount, groupCons       int64
		groupCode                    = "-"
		totalAmount, totalCons       int64
		subtotals, totals, dataCount int
	)
	for i, r := range rows {
		switch {
		case r["proposal_id"] != "":
			dataCount++
			require.Equal(t, strconv.Itoa(dataCount), r["no"], "%s row %d", sheet, i+2)
			if groupCode != "-" {
				require.Equal(t, groupCode, r["kode_kabkota"], "%s row %d: a kab/kota group ended without its subtotal", sheet, i+2)
			}
			groupCode = r["kode_kabkota"]
			ids = append(ids, r["proposal_id"])
			groupAmount += money(t, r["pagu_usulan"])
			groupCons += money(t, r["pagu_konsolidasi"])
			totalAmount += money(t, r["pagu_usulan"])
			totalCons += money(t, r["pagu_konsolidasi"])
		case strings.HasPrefix(r["judul"], "Subtotal "):
			subtotals++
			require.Equal(t, groupCode, r["kode_kabkota"], sheet)
			require.Equal(t, groupAmount, money(t, r["pagu_usulan"]), "%s: subtotal %s", sheet, r["judul"])
			require.Equal(t, groupCons, money(t, r["pagu_konsolidasi"]), "%s: subtotal %s", sheet, r["judul"])
			groupAmount, groupCons, groupCode = 0, 0, "-"
		case strings.HasPrefix(r["judul"], "Total Provinsi "):
			totals++
			require.Equal(t, i, len(rows)-1, "the province total is the last row")
			require.Equal(t, "-", groupCode, "the last group has its subtotal")
			require.Equal(t, totalAmount, money(t, r["pagu_usulan"]), sheet)
			require.Equal(t, totalCons, money(t, r["pagu_konsolidasi"]), sheet)
		default:
			t.Fatalf("%s row %d: unexpected row %v", sheet, i+2, r)
		}
	}
	require.Equal(t, 1, totals, sheet)
	n, amount, consolidated := dbTotals(t, db, "p.cycle_id = ?", cycleID)
	require.EqualValues(t, n, dataCount)
	require.Equal(t, amount, totalAmount, "%s: pagu_usulan equals the database's", sheet)
	require.Equal(t, consolidated, totalCons, "%s: pagu_konsolidasi equals the database's", sheet)
	kabkota := map[string]bool{}
	for _, r := range rows {
		if r["proposal_id"] != "" {
			kabkota[r["kode_kabkota"]] = true
		}
	}
	require.Equal(t, len(kabkota), subtotals, "%s: one subtotal per kab/kota group", sheet)
	return ids
}

func TestConsolidatedXLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		want74, want73 := seedLists(t, db)

		scope, err := export.ResolveScope(ctx, db, "74-2027", 0)
		require.NoError(t, err)
		require.Equal(t, "konsolidasi_74_sulawesi_tenggara_2027.xlsx", export.Filename(scope, export.XLSX))
		var buf bytes.Buffer
		totals, err := export.WriteXLSX(ctx, db, scope, &buf)
		require.NoError(t, err)
		f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		require.NoError(t, err)
		defer f.Close()
		require.Equal(t, []string{"74 Sulawesi Tenggara", "Rekapitulasi"}, f.GetSheetList())
		require.Equal(t, want74, checkProvinceSheet(t, db, f, "74 Sulawesi Tenggara", "74-2027"))

		// Money and ranks are number cells, titles text; the formula-like
		// title is just text in a typed cell.
		_, rows := sheetRows(t, f, "74 Sulawesi Tenggara")
		typ, err := f.GetCellType("74 Sulawesi Tenggara", "P4")
		require.NoError(t, err)
		require.Contains(t, []excelize.CellType{excelize.CellTypeUnset, excelize.CellTypeNumber}, typ, "a number cell")
		typ, err = f.GetCellType("74 Sulawesi Tenggara", "I7")
		require.NoError(t, err)
		require.Equal(t, excelize.CellTypeInlineString, typ)
		formula, err := f.GetCellFormula("74 Sulawesi Tenggara", "I7")
		require.NoError(t, err)
		require.Empty(t, formula)
		require.Equal(t, `=HYPERLINK("x") Pendataan usaha mikro`, rows[5]["judul"])
		require.Equal(t, "Anggota koperasi terlatih; Koperasi dibina", rows[2]["indikator"])
		require.Equal(t, "40; 2.5", rows[2]["target"])
		require.Equal(t, "25", rows[0]["target"], "a lone target is a number")
		// The subtotals, in order: provincial level, Konawe Selatan, Kota Kendari.
		var labels []string
		for _, r := range rows {
			if strings.HasPrefix(r["judul"], "Subtotal") || strings.HasPrefix(r["judul"], "Total") {
				labels = append(labels, r["judul"])
			}
		}
		require.Equal(t, []string{
			"Subtotal tingkat provinsi (1 usulan)", "Subtotal Kabupaten Konawe Selatan (4 usulan)",
			"Subtotal Kota Kendari (2 usulan)", "Total Provinsi Sulawesi Tenggara (7 usulan)",
		}, labels)

		header, summary := sheetRows(t, f, "Rekapitulasi")
		require.Equal(t, export.SummaryHeader, header)
		require.Len(t, summary, 2)
		require.Equal(t, "74", summary[0]["kode_provinsi"])
		require.Equal(t, "Total Keseluruhan", summary[1]["provinsi"])
		n, amount, consolidated := dbTotals(t, db, "p.cycle_id = ?", "74-2027")
		require.Equal(t, strconv.FormatInt(n, 10), summary[1]["jumlah_usulan"])
		require.Equal(t, amount, money(t, summary[1]["pagu_usulan"]))
		require.Equal(t, consolidated, money(t, summary[1]["pagu_konsolidasi"]))
		require.Equal(t, export.Totals{Proposals: int(n), AmountIDR: amount, ConsolidatedAmountIDR: consolidated}, totals)

		// The ministry liaison's fiscal year: a sheet per province, the
		// grand total over both, nothing from 2026.
		national, err := export.ResolveScope(ctx, db, "", 2027)
		require.NoError(t, err)
		require.Equal(t, "konsolidasi_semua_provinsi_2027.xlsx", export.Filename(national, export.XLSX))
		buf.Reset()
		_, err = export.Write(ctx, db, national, export.XLSX, &buf)
		require.NoError(t, err)
		f2, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		require.NoError(t, err)
		defer f2.Close()
		require.Equal(t, []string{"73 Sulawesi Selatan", "74 Sulawesi Tenggara", "Rekapitulasi"}, f2.GetSheetList())
		require.Equal(t, want73, checkProvinceSheet(t, db, f2, "73 Sulawesi Selatan", "73-2027"))
		require.Equal(t, want74, checkProvinceSheet(t, db, f2, "74 Sulawesi Tenggara", "74-2027"))
		_, summary = sheetRows(t, f2, "Rekapitulasi")
		require.Len(t, summary, 3)
		n, amount, consolidated = dbTotals(t, db, "c.fiscal_year = ?", 2027)
		require.Equal(t, amount, money(t, summary[2]["pagu_usulan"]))
		require.Equal(t, consolidated, money(t, summary[2]["pagu_konsolidasi"]))
		require.Equal(t, strconv.FormatInt(n, 10), summary[2]["jumlah_usulan"])
		for i, code := range []string{"73", "74"} {
			_, a, c := dbTotals(t, db, "c.province_code = ? AND c.fiscal_year = 2027", code)
			require.Equal(t, a, money(t, summary[i]["pagu_usulan"]), code)
			require.Equal(t, c, money(t, summary[i]["pagu_konsolidasi"]), code)
		}
	})
}

func TestEmptyExports(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	seedReference(t, db, fixtureRegions)
	saveCycle(t, db, "74", 2027)
	scope, err := export.ResolveScope(ctx, db, "74-2027", 0)
	require.NoError(t, err)

	var buf bytes.Buffer
	totals, err := export.WriteCSV(ctx, db, scope, &buf)
	require.NoError(t, err)
	require.Equal(t, exportHeader+"\n", buf.String())
	require.Zero(t, totals)

	buf.Reset()
	_, err = export.WriteXLSX(ctx, db, scope, &buf)
	require.NoError(t, err)
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{"74 Sulawesi Tenggara", "Rekapitulasi"}, f.GetSheetList())
	_, rows := sheetRows(t, f, "74 Sulawesi Tenggara")
	require.Len(t, rows, 1)
	require.Equal(t, "Total Provinsi Sulawesi Tenggara (0 usulan)", rows[0]["judul"])
	require.Equal(t, "0", rows[0]["pagu_usulan"])

	national, err := export.ResolveScope(ctx, db, "", 2030)
	require.NoError(t, err)
	buf.Reset()
	_, err = export.WriteXLSX(ctx, db, national, &buf)
	require.NoError(t, err)
	f2, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	defer f2.Close()
	require.Equal(t, []string{"Rekapitulasi"}, f2.GetSheetList())
}

func TestResolveScope(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	for _, tc := range []struct {
		cycle string
		year  int
		code  string
		field string
	}{
		{"", 0, domain.EINVALID, "cycle_id"},
		{"74-2027", 2027, domain.EINVALID, "cycle_id"},
		{"", 27, domain.EINVALID, "fiscal_year"},
		{"99-2027", 0, domain.ENOTFOUND, ""},
	} {
		_, err := export.ResolveScope(ctx, db, tc.cycle, tc.year)
		require.Equal(t, tc.code, domain.ErrorCode(err), "%+v", tc)
		if tc.field != "" {
			var de *domain.Error
			require.ErrorAs(t, err, &de)
			require.Equal(t, tc.field, de.Fields[0].Field)
		}
	}
	_, err := export.ParseFormat("ods")
	require.Equal(t, domain.EINVALID, domain.ErrorCode(err))
	f, err := export.ParseFormat(" XLSX ")
	require.NoError(t, err)
	require.Equal(t, export.XLSX, f)

	// Filenames keep to ASCII letters, digits and underscores.
	require.Equal(t, "konsolidasi_31_daerah_khusus_ibukota_jakarta_2027.xlsx",
		export.Filename(export.Scope{CycleID: "31-2027", FiscalYear: 2027, ProvinceCode: "31", ProvinceName: "Daerah Khusus Ibukota  Jakarta"}, export.XLSX))
	require.Equal(t, "jejak_audit_74_sulawesi_tenggara_2027.csv",
		export.AuditFilename(export.Scope{CycleID: "74-2027", FiscalYear: 2027, ProvinceCode: "74", ProvinceName: "Sulawesi Tenggara"}))
}
