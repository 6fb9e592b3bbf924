package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/register"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// TestKoperasiImportRefusals sends, through the API, each bad input issue
// 17 lists: a row-level fault is a 422 naming the row and the column, a
// file-level fault names the file or its header, a bad year or region
// names the parameter, and nothing is written in any case.
func TestKoperasiImportRefusals(t *testing.T) {
	now := time.Now().UTC()
	year := now.Year() - 1 // a closed year: every date in it is in the past
	e, _ := registerEnv(t, storetest.SQLite(t), year)
	r := e.as(provPlanner, http.MethodPost, "/api/v1/data-rounds", map[string]any{
		"province": "74", "year": year, "due_at": now.Add(10 * 24 * time.Hour).Format(time.RFC3339)})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())

	head := strings.Join(register.Header, ",")
	cols := map[string]int{}
	for i, h := range register.Header {
		cols[h] = i
	}
	good := []string{"7405032002000001", "AHU-0001.AH.01.26", "2019-05-02", "Koperasi Uji Sejahtera", "konsumen", "74.05.03.2002",
		"tidak", "aktif", fmt.Sprintf("%d-03-01", year), "25", "1000000", "0", "5000000", "100000"}
	row := func(set map[string]string) string {
		rec := append([]string{}, good...)
		for k, v := range set {
			rec[cols[k]] = v
		}
		return strings.Join(rec, ",")
	}
	second := map[string]string{"nik": "7405032002000002", "badan_hukum_no": "AHU-0002.AH.01.26", "nama": "Koperasi Uji Dua"}
	file := func(rows ...string) string { return head + "\n" + strings.Join(rows, "\n") + "\n" }

	// The good file is accepted (dry run), so each refusal below is its one change.
	r = e.importRegister(operatorKonsel, "74.05", year, file(row(nil), row(second)), true)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.EqualValues(t, 2, r.body["added"])

	rows := []struct {
		name  string
		data  string
		row   int
		field string
	}{
		{"malformed NIK", file(row(nil), row(map[string]string{"nik": "74050320020000x2", "badan_hukum_no": "AHU-0002.AH.01.26"})), 3, "nik"},
		{"same NIK twice", file(row(nil), row(map[string]string{"badan_hukum_no": "AHU-0002.AH.01.26"})), 3, "nik"},
		{"desa outside the kab/kota", file(row(nil), row(map[string]string{"nik": "7405032002000002", "badan_hukum_no": "AHU-0002.AH.01.26", "kode_wilayah": "74.71.01.2002"})), 3, "kode_wilayah"},
		{"a kecamatan, not a desa", file(row(map[string]string{"kode_wilayah": "74.05.03"})), 2, "kode_wilayah"},
		{"a desa the regions do not know", file(row(map[string]string{"kode_wilayah": "74.05.03.2099"})), 2, "kode_wilayah"},
		{"unknown jenis", file(row(map[string]string{"jenis": "syariah"})), 2, "jenis"},
		{"unknown status", file(row(map[string]string{"status": "mati_suri"})), 2, "status"},
		{"negative amount", file(row(map[string]string{"volume_usaha": "-1"})), 2, "volume_usaha"},
		{"a date that does not exist", file(row(map[string]string{"badan_hukum_tanggal": "2019-02-30"})), 2, "badan_hukum_tanggal"},
		{"a date in the future", file(row(map[string]string{"badan_hukum_tanggal": now.AddDate(1, 0, 0).Format("2006-01-02")})), 2, "badan_hukum_tanggal"},
		{"a RAT of a year the round is not for", file(row(map[string]string{"tanggal_rat": fmt.Sprintf("%d-03-01", year-1)})), 2, "tanggal_rat"},
	}
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			r := e.importRegister(operatorKonsel, "74.05", year, tc.data, false)
			requireProblem(t, r, http.StatusUnprocessableEntity)
			found := false
			for _, x := range r.body["errors"].([]any) {
				fe := x.(map[string]any)
				if fe["row"] == float64(tc.row) && fe["field"] == tc.field {
					found = true
					require.NotEmpty(t, fe["message"])
				}
			}
			require.True(t, found, "row %d field %s in %v", tc.row, tc.field, r.body["errors"])
			require.Zero(t, e.indicators(operatorKonsel, "74.05", year).Total(), "nothing written")
		})
	}

	files := []struct{ name, data, field string }{
		{"not CSV or XLSX", "%PDF-1.7\n\x00\x01\x02\xff", "file"},
		{"empty file", "", "file"},
		{"header differs", strings.Replace(head, "nama", "nama_koperasi", 1) + "\n" + row(nil) + "\n", "header"},
	}
	for _, tc := range files {
		t.Run(tc.name, func(t *testing.T) {
			requireField(t, e.importRegister(operatorKonsel, "74.05", year, tc.data, false), tc.field)
			require.Zero(t, e.indicators(operatorKonsel, "74.05", year).Total(), "nothing written")
		})
	}

	// The year and the region of the import itself.
	requireField(t, e.as(operatorKonsel, http.MethodPost, "/api/v1/koperasi/imports?region=74.05&year=20x5", file(row(nil)), header{"Content-Type", "text/csv"}), "year")
	requireField(t, e.importRegister(operatorKonsel, "74.05", now.Year()+5, file(row(nil)), false), "year")
	requireProblem(t, e.importRegister(operatorKonsel, "74.05", year-3, file(row(nil)), false), http.StatusConflict) // no round that year
	requireField(t, e.importRegister(operatorKonsel, "74.05.03", year, file(row(nil)), false), "region")
	requireProblem(t, e.importRegister(operatorKonsel, "74.71", year, file(row(nil)), false), http.StatusNotFound)
	require.Zero(t, e.indicators(operatorKonsel, "74.05", year).Total(), "nothing written")
}
