package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// Header is the consolidated list's header, exactly as docs/ARCHITECTURE.md spells it;
// the CSV starts with it and every province sheet of the XLSX repeats it.
var Header = []string{
	"no", "kode_provinsi", "provinsi", "kode_kabkota", "kabkota", "kode_kecamatan", "kecamatan",
	"proposal_id", "judul", "kategori", "kode_sub_kegiatan", "sub_kegiatan", "indikator", "target",
	"satuan", "pagu_usulan", "pagu_konsolidasi", "sumber_dana", "prioritas", "tahapan", "keputusan_rakorda",
}

// LabelHeader names the columns appended after Header, for people who open
// the file in a spreadsheet: the Indonesian labels of the codes in
// kategori, sumber_dana and tahapan. They come last so that Header's
// columns keep their positions and codes for programs (and for the
// ministry's answer sheet, read back by column name).
var LabelHeader = []string{"nama_kategori", "nama_sumber_dana", "nama_tahapan",
	// Issue 18: the register ids of the koperasi served, joined by
	// IndicatorSeparator.
	"koperasi_penerima",
}

// FullHeader is the header both formats write: Header, then LabelHeader.
func FullHeader() []string {
	return append(append(slices.Clone(Header), LabelHeader...), DossierHeader...)
}

// Column positions in Header, for the XLSX writer and the decision reader.
const (
	colNo = iota
	colKodeProvinsi
	colProvinsi
	colKodeKabKota
	colKabKota
	colKodeKecamatan
	colKecamatan
	colProposalID
	colJudul
	colKategori
	colKodeSubKegiatan
	colSubKegiatan
	colIndikator
	colTarget
	colSatuan
	colPaguUsulan
	colPaguKonsolidasi
	colSumberDana
	colPrioritas
	colTahapan
	colKeputusanRakorda
	colNamaKategori
	colNamaSumberDana
	colNamaTahapan
	colKoperasiPenerima
	// The dossier's columns (issue 21, DossierHeader).
	colNomorUsulan
	colAsalUsulan
	colNamaAsalUsulan
	colLokasi
	colJumlahRAB
	columnCount
)

// IndicatorSeparator joins the indicators of one proposal inside the
// indikator, target and satuan cells. docs/ARCHITECTURE.md asks for one row per
// proposal, and a proposal may carry several indicators; the three cells
// list them in the same order, so the n-th target belongs to the n-th
// indicator.
const IndicatorSeparator = "; "

// Totals sums what an export wrote, for the caller's log and for tests that
// compare it with the database.
type Totals struct {
	Proposals             int   `json:"proposals"`
	AmountIDR             int64 `json:"amount_idr"`
	ConsolidatedAmountIDR int64 `json:"consolidated_amount_idr"`
}

// add counts r; a consolidated amount only once the proposal is
// consolidated, exactly as the cells show it.
func (t *Totals) add(r store.ConsolidatedRow) {
	t.Proposals++
	t.AmountIDR += r.AmountIDR
	if r.Consolidated {
		t.ConsolidatedAmountIDR += r.ConsolidatedAmountIDR
	}
}

// rakordaDecision words the Rakorda decision as the province announces it.
func rakordaDecision(a domain.Action) string {
	switch a {
	case domain.ActionAccept:
		return "diterima"
	case domain.ActionDefer:
		return "ditunda"
	case domain.ActionReject:
		return "ditolak"
	}
	return ""
}

// formatTarget writes a target without a spurious ".0" (30, not 30.0) and
// without exponent notation.
func formatTarget(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// record is the CSV line of r. Money is an integer number of rupiah;
// pagu_konsolidasi and prioritas stay empty while a proposal in
// consolidation has not been consolidated yet, so "not decided" never reads
// as "zero rupiah" or "rank 0".
func record(no int, r store.ConsolidatedRow) []string {
	names := make([]string, len(r.Indicators))
	targets := make([]string, len(r.Indicators))
	units := make([]string, len(r.Indicators))
	for i, ind := range r.Indicators {
		names[i], targets[i], units[i] = ind.Name, formatTarget(ind.Target), ind.Unit
	}
	indikator, satuan := strings.Join(names, IndicatorSeparator), strings.Join(units, IndicatorSeparator)
	konsolidasi, prioritas := "", ""
	if r.Consolidated {
		konsolidasi, prioritas = strconv.FormatInt(r.ConsolidatedAmountIDR, 10), strconv.Itoa(r.Priority)
	}
	return []string{
		strconv.Itoa(no), r.ProvinceCode, r.ProvinceName, r.KabKotaCode, r.KabKotaName, r.KecamatanCode, r.KecamatanName,
		r.ProposalID, csvText(r.Title), string(r.Category), r.SIPDCode, r.SubKegiatanName,
		csvText(indikator), strings.Join(targets, IndicatorSeparator), csvText(satuan),
		strconv.FormatInt(r.AmountIDR, 10), konsolidasi, string(r.FundingSource), prioritas, string(r.Stage),
		rakordaDecision(r.RakordaAction),
		r.Category.Label(), r.FundingSource.Label(), r.Stage.Label(),
		strings.Join(r.BeneficiariesKoperasi, IndicatorSeparator),
		r.Number, string(r.Origin), r.Origin.Label(), strings.Join(r.Locations, IndicatorSeparator), rabTotal(r),
	}
}

// csvText defuses free text typed by users against formula injection: a
// spreadsheet opening the CSV would run a cell that starts with =, +, -, @
// (or a tab or carriage return before one) as a formula, so such a cell gets
// a leading apostrophe, which spreadsheets show as text. Codes, names from
// reference data and numbers are never touched. XLSX cells are typed as
// strings and need no such care.
func csvText(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Write writes the consolidated list of scope in format f to w.
func Write(ctx context.Context, db *store.DB, scope Scope, f Format, w io.Writer) (Totals, error) {
	if f == XLSX {
		return WriteXLSX(ctx, db, scope, w)
	}
	return WriteCSV(ctx, db, scope, w)
}

// WriteCSV streams the consolidated list of scope to w as CSV: FullHeader, then
// one line per proposal in the list's order, numbered from 1. It holds one
// row in memory at a time. Note for HTTP handlers: on SQLite the database's
// only connection stays busy until the last line is written to w, so a slow
// client holds it that long.
func WriteCSV(ctx context.Context, db *store.DB, scope Scope, w io.Writer) (Totals, error) {
	var t Totals
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(FullHeader()); err != nil {
		return t, err
	}
	for r, err := range db.ConsolidatedRows(ctx, scope.query()) {
		if err != nil {
			return t, err
		}
		t.add(r)
		if err := cw.Write(record(t.Proposals, r)); err != nil {
			return t, fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return t, fmt.Errorf("write csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return t, fmt.Errorf("write csv: %w", err)
	}
	return t, nil
}
