package export

import (
	"io"

	"github.com/rencana-id/rencana/internal/store"
)

// WriteCoverageXLSX writes a coverage report (issue 18) as a workbook:
// sheet "Menerima" with one row per koperasi and funded proposal, sheet
// "Belum_Terjangkau" with the active koperasi that received none.
func WriteCoverageXLSX(w io.Writer, cov store.Coverage) error {
	wb := newWorkbook(w)
	if err := wb.startSheet("Menerima", []float64{22, 36, 16, 22, 12, 40, 18, 14}); err != nil {
		return err
	}
	if err := wb.writeRow(headerCells([]string{"id_koperasi", "nama_koperasi", "kode_wilayah", "id_usulan", "siklus", "judul_usulan", "kategori", "tahap"})); err != nil {
		return err
	}
	for _, k := range cov.Funded {
		for _, p := range k.Proposals {
			if err := wb.writeRow([]cell{text(k.KoperasiID, 0), text(k.Name, 0), text(k.RegionCode, 0), text(p.ID, 0), text(p.CycleID, 0),
				text(p.Title, 0), text(string(p.Category), 0), text(p.Stage.Label(), 0)}); err != nil {
				return err
			}
		}
	}
	if err := wb.startSheet("Belum_Terjangkau", []float64{22, 36, 16}); err != nil {
		return err
	}
	if err := wb.writeRow(headerCells([]string{"id_koperasi", "nama_koperasi", "kode_wilayah"})); err != nil {
		return err
	}
	for _, k := range cov.Unreached {
		if err := wb.writeRow([]cell{text(k.KoperasiID, 0), text(k.Name, 0), text(k.RegionCode, 0)}); err != nil {
			return err
		}
	}
	return wb.close()
}
