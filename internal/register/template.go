package register

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// guide explains each column of Header in the XLSX template's second sheet.
var guide = [][2]string{
	{"nik", "Nomor Induk Koperasi, 16 angka; kosongkan bila belum ada. Tidak boleh sama dengan baris lain."},
	{"badan_hukum_no", "Nomor SK badan hukum; wajib. Kunci data bila NIK kosong."},
	{"badan_hukum_tanggal", "Tanggal SK badan hukum, YYYY-MM-DD, tidak setelah tahun putaran data."},
	{"nama", "Nama koperasi."},
	{"jenis", "konsumen, produsen, simpan_pinjam, pemasaran atau jasa."},
	{"kode_wilayah", "Kode desa/kelurahan Kemendagri di kab/kota Anda, mis. 74.05.03.2001."},
	{"kmp", "ya bila Koperasi Merah Putih, selain itu tidak."},
	{"status", "aktif, tidak_aktif atau dibubarkan pada tahun putaran data."},
	{"tanggal_rat", "Tanggal Rapat Anggota Tahunan pada tahun putaran data, YYYY-MM-DD; kosongkan bila tidak ada RAT."},
	{"anggota", "Jumlah anggota, bilangan bulat."},
	{"modal_sendiri", "Modal sendiri dalam rupiah penuh, tanpa titik atau koma."},
	{"modal_luar", "Modal luar (pinjaman) dalam rupiah penuh."},
	{"volume_usaha", "Volume usaha setahun dalam rupiah penuh."},
	{"shu", "Sisa hasil usaha dalam rupiah penuh; 0 bila rugi."},
}

// WriteTemplate writes the empty register file in format f: the header
// only (CSV), or the header on sheet "Data" with text-formatted cells, so
// a spreadsheet keeps a 16-digit NIK and the dates as typed, and a
// "Petunjuk" sheet describing each column (XLSX).
func WriteTemplate(w io.Writer, f Format) error {
	if f == CSV {
		cw := csv.NewWriter(w)
		if err := cw.Write(Header); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	}
	x := excelize.NewFile()
	defer func() { _ = x.Close() }()
	const sheet = "Data"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	text, err := x.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return err
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(Header))
	if err := x.SetColStyle(sheet, "A:"+last, text); err != nil {
		return err
	}
	if err := x.SetColWidth(sheet, "A", last, 20); err != nil {
		return err
	}
	row := make([]any, len(Header))
	for i, h := range Header {
		row[i] = h
	}
	if err := x.SetSheetRow(sheet, "A1", &row); err != nil {
		return err
	}
	if err := x.SetRowStyle(sheet, 1, 1, bold); err != nil {
		return err
	}
	if _, err := x.NewSheet("Petunjuk"); err != nil {
		return err
	}
	for i, g := range guide {
		if err := x.SetSheetRow("Petunjuk", fmt.Sprintf("A%d", i+1), &[]any{g[0], g[1]}); err != nil {
			return err
		}
	}
	if err := x.SetColWidth("Petunjuk", "B", "B", 100); err != nil {
		return err
	}
	_, err = x.WriteTo(w)
	return err
}
