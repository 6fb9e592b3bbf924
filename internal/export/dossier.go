package export

import (
	"strconv"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// DossierHeader names the dossier's columns (issue 21), appended after
// LabelHeader so that Header, the machines' contract, keeps its positions:
// the proposal's number, its origin as code and as words, its desa/kelurahan
// codes joined like indicators, and the RAB total in rupiah (empty without
// a RAB, so "no RAB" never reads as "zero rupiah").
var DossierHeader = []string{"nomor_usulan", "asal_usulan", "nama_asal_usulan", "lokasi", "jumlah_rab"}

func rabTotal(r store.ConsolidatedRow) string {
	if len(r.RAB) == 0 {
		return ""
	}
	return strconv.FormatInt(domain.RABTotal(r.RAB), 10)
}

// dossierCells fills the XLSX's dossier columns: the origin in words, the
// RAB total as a money cell.
func dossierCells(cells []cell, r store.ConsolidatedRow) {
	cells[colNomorUsulan] = text(r.Number, styleDefault)
	cells[colAsalUsulan] = text(string(r.Origin), styleDefault)
	cells[colNamaAsalUsulan] = text(r.Origin.Label(), styleDefault)
	cells[colLokasi] = text(strings.Join(r.Locations, IndicatorSeparator), styleDefault)
	if len(r.RAB) > 0 {
		cells[colJumlahRAB] = integer(domain.RABTotal(r.RAB), styleMoney)
	}
}
