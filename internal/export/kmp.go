package export

import (
	"io"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// WriteKMPXLSX writes the Koperasi Merah Putih dashboard of a region as a
// workbook: sheet "Ringkasan" with the counts per milestone of the region
// and of each region one level down, sheet "Desa" with every KMP in the
// order given (the API puts the late ones first). Dates are shown in zone.
func WriteKMPXLSX(w io.Writer, sum store.KMPSummary, ks []store.KMP, zone *time.Location) error {
	wb := newWorkbook(w)
	head := []string{"kode_wilayah", "wilayah", "desa_kelurahan"}
	for _, st := range domain.KMPSteps {
		head = append(head, st.Reached)
	}
	head = append(head, "terlambat")
	widths := []float64{16, 32, 14}
	for range domain.KMPSteps {
		widths = append(widths, 14)
	}
	widths = append(widths, 12)
	if err := wb.startSheet("Ringkasan", widths); err != nil {
		return err
	}
	if err := wb.writeRow(headerCells(head)); err != nil {
		return err
	}
	row := func(code, name string, c store.KMPCounts, style int) []cell {
		cells := []cell{text(code, style), text(name, style), integer(c.Total, style)}
		for _, st := range domain.KMPSteps {
			cells = append(cells, integer(c.ByMilestone[st.Milestone], style))
		}
		return append(cells, integer(c.Late, style))
	}
	for _, ch := range sum.Children {
		if err := wb.writeRow(row(ch.Region, ch.Name, ch.KMPCounts, styleDefault)); err != nil {
			return err
		}
	}
	if err := wb.writeRow(row(sum.Region, "Jumlah", sum.KMPCounts, styleTotalLabel)); err != nil {
		return err
	}
	if err := wb.startSheet("Desa", []float64{16, 28, 36, 28, 28, 20, 12, 14}); err != nil {
		return err
	}
	if err := wb.writeRow(headerCells([]string{"kode_wilayah", "desa_kelurahan", "nama_koperasi", "tahap_terakhir", "tahap_berikut",
		"batas_tahap_berikut", "terlambat", "eskalasi"})); err != nil {
		return err
	}
	for _, k := range ks {
		due := ""
		if k.NextDueAt != nil {
			due = k.NextDueAt.In(zone).Format("2006-01-02 15:04 MST")
		}
		late := "tidak"
		if k.Late {
			late = "ya"
		}
		last, next := "belum mulai", "selesai"
		if m := k.Milestone(); m != "" {
			last = m.Label()
		}
		if m := k.Next(); m != "" {
			next = m.Label()
		}
		if err := wb.writeRow([]cell{text(k.RegionCode, 0), text(k.Name, 0), text(domain.KMPName(k.RegionCode, k.Name), 0),
			text(last, 0), text(next, 0), text(due, 0), text(late, 0), text(k.Escalation, 0)}); err != nil {
			return err
		}
	}
	return wb.close()
}
