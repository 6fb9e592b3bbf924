package export

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rencana-id/rencana/internal/store"
)

// Why not excelize's StreamWriter: it keeps every sheet in memory until the
// sheet passes 16 MiB and File.WriteTo assembles the whole zip in a
// bytes.Buffer before writing it, so a fiscal-year export with a sheet per
// province grows with the rows (measured: 277 MB of heap for 100,000 rows
// over 34 sheets, 65 MB on one sheet). The writer below emits each sheet's
// XML straight into its zip entry as rows arrive and writes the small
// workbook parts at the end; its memory is the deflate window and one row.
// excelize still reads the files back in the tests and reads uploads.

// Cell styles, indexes into cellXfs of stylesXML.
const (
	styleDefault    = 0
	styleHeader     = 1 // bold on a tinted fill
	styleMoney      = 2 // #,##0 (built-in number format 3)
	styleSubLabel   = 3 // bold
	styleSubMoney   = 4 // bold #,##0
	styleTotalLabel = 5 // bold on a tinted fill
	styleTotalMoney = 6 // bold #,##0 on a tinted fill
)

const stylesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
	`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
	`<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>` +
	`<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="7">` +
	`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
	`<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>` +
	`<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
	`<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
	`<xf numFmtId="3" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/>` +
	`<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>` +
	`<xf numFmtId="3" fontId="1" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" applyFill="1"/>` +
	`</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
	`</styleSheet>`

// maxCellText is Excel's limit on the characters of one cell.
const maxCellText = 32767

// cell is one value of a row: text, an integer (rupiah, ranks) or a
// decimal (indicator targets). A zero cell is left empty.
type cell struct {
	kind  byte // 0 empty, 's' text, 'i' integer, 'f' decimal
	s     string
	i     int64
	f     float64
	style int
}

func text(s string, style int) cell {
	if s == "" {
		return cell{}
	}
	return cell{kind: 's', s: s, style: style}
}
func integer(i int64, style int) cell   { return cell{kind: 'i', i: i, style: style} }
func decimal(f float64, style int) cell { return cell{kind: 'f', f: f, style: style} }

// workbook writes an .xlsx file sheet by sheet. Only one sheet is open at a
// time; rows must come in order. Errors stick: after one, every call
// returns it.
type workbook struct {
	zw     *zip.Writer
	bw     *bufio.Writer
	sheets []string
	used   map[string]bool
	open   bool
	row    int
	err    error
}

func newWorkbook(w io.Writer) *workbook {
	zw := zip.NewWriter(w)
	// The fastest deflate level: export files are a few MB either way, and
	// the time goes to the database and the client.
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	return &workbook{zw: zw, used: map[string]bool{}}
}

// sheetName makes name a valid, unique sheet name: at most 31 characters
// (cut at a word boundary when possible), none of : \ / ? * [ ].
func (wb *workbook) sheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) || r < ' ' {
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(strings.TrimSpace(name), "'")
	if name == "" {
		name = "Sheet"
	}
	base := truncateName(name, 31)
	for n := 2; wb.used[strings.ToLower(base)]; n++ {
		suffix := fmt.Sprintf(" (%d)", n)
		base = truncateName(name, 31-len(suffix)) + suffix
	}
	wb.used[strings.ToLower(base)] = true
	return base
}

func truncateName(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)[:max]
	if i := strings.LastIndexByte(string(r), ' '); i > max/2 {
		return strings.TrimSpace(string(r)[:i])
	}
	return strings.TrimSpace(string(r))
}

// startSheet ends the open sheet, if any, and opens a new one whose first
// row will be frozen (the header), with the given column widths.
func (wb *workbook) startSheet(name string, widths []float64) error {
	if wb.err != nil {
		return wb.err
	}
	if err := wb.endSheet(); err != nil {
		return err
	}
	wb.sheets = append(wb.sheets, wb.sheetName(name))
	f, err := wb.zw.Create(fmt.Sprintf("xl/worksheets/sheet%d.xml", len(wb.sheets)))
	if err != nil {
		wb.err = err
		return err
	}
	wb.bw = bufio.NewWriterSize(f, 32<<10)
	wb.open, wb.row = true, 0
	wb.bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>` +
		`<sheetFormatPr defaultRowHeight="15"/>`)
	if len(widths) > 0 { // an empty <cols/> is invalid to Excel
		wb.bw.WriteString(`<cols>`)
		for i, w := range widths {
			fmt.Fprintf(wb.bw, `<col min="%d" max="%d" width="%g" customWidth="1"/>`, i+1, i+1, w)
		}
		wb.bw.WriteString(`</cols>`)
	}
	wb.bw.WriteString(`<sheetData>`)
	return nil
}

// writeRow appends one row to the open sheet.
func (wb *workbook) writeRow(cells []cell) error {
	if wb.err != nil {
		return wb.err
	}
	wb.row++
	bw := wb.bw
	rowNum := strconv.Itoa(wb.row)
	bw.WriteString(`<row r="`)
	bw.WriteString(rowNum)
	bw.WriteString(`">`)
	for i, c := range cells {
		if c.kind == 0 {
			continue
		}
		bw.WriteString(`<c r="`)
		bw.WriteString(columnName(i))
		bw.WriteString(rowNum)
		bw.WriteByte('"')
		if c.style != styleDefault {
			bw.WriteString(` s="`)
			bw.WriteString(strconv.Itoa(c.style))
			bw.WriteByte('"')
		}
		switch c.kind {
		case 's':
			s := c.s
			if len(s) > maxCellText {
				s = truncateRunes(s, maxCellText)
			}
			bw.WriteString(` t="inlineStr"><is><t xml:space="preserve">`)
			if err := xml.EscapeText(bw, []byte(s)); err != nil {
				wb.err = err
				return err
			}
			bw.WriteString(`</t></is></c>`)
		case 'i':
			bw.WriteString(`><v>`)
			bw.WriteString(strconv.FormatInt(c.i, 10))
			bw.WriteString(`</v></c>`)
		case 'f':
			bw.WriteString(`><v>`)
			bw.WriteString(strconv.FormatFloat(c.f, 'g', -1, 64))
			bw.WriteString(`</v></c>`)
		}
	}
	_, err := bw.WriteString(`</row>`)
	if err != nil {
		wb.err = err
	}
	return err
}

func truncateRunes(s string, n int) string {
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}

// columnName is the spreadsheet letter of the 0-based column i (A, ..., Z, AA, ...).
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

func (wb *workbook) endSheet() error {
	if wb.err != nil || !wb.open {
		return wb.err
	}
	wb.open = false
	wb.bw.WriteString(`</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`)
	if err := wb.bw.Flush(); err != nil {
		wb.err = err
	}
	return wb.err
}

// close ends the open sheet and writes the workbook parts that list the
// sheets, then the zip's directory. At least one sheet must have been
// started.
func (wb *workbook) close() error {
	if err := wb.endSheet(); err != nil {
		return err
	}
	if len(wb.sheets) == 0 {
		return fmt.Errorf("xlsx: no sheet")
	}
	var workbookXML, rels, types strings.Builder
	workbookXML.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<bookViews><workbookView/></bookViews><sheets>`)
	rels.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	types.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`)
	for i, name := range wb.sheets {
		n := i + 1
		workbookXML.WriteString(`<sheet name="`)
		_ = xml.EscapeText(&workbookXML, []byte(name))
		fmt.Fprintf(&workbookXML, `" sheetId="%d" r:id="rId%d"/>`, n, n)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, n, n)
		fmt.Fprintf(&types, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, n)
	}
	workbookXML.WriteString(`</sheets></workbook>`)
	fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`, len(wb.sheets)+1)
	types.WriteString(`</Types>`)
	for _, part := range []struct{ name, body string }{
		{"xl/workbook.xml", workbookXML.String()},
		{"xl/_rels/workbook.xml.rels", rels.String()},
		{"xl/styles.xml", stylesXML},
		{"[Content_Types].xml", types.String()},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
	} {
		f, err := wb.zw.Create(part.name)
		if err != nil {
			wb.err = err
			return err
		}
		if _, err := io.WriteString(f, part.body); err != nil {
			wb.err = err
			return err
		}
	}
	if err := wb.zw.Close(); err != nil {
		wb.err = err
	}
	return wb.err
}

// Column widths of a province sheet, in FullHeader's order.
var listWidths = []float64{6, 8, 20, 10, 28, 12, 20, 24, 44, 16, 20, 48, 32, 10, 12, 17, 17, 18, 9, 14, 12, 22, 26, 22, 30,
	22, 20, 26, 30, 17} // the dossier's columns

// Labels of the XLSX's summary rows and sheet; they are for people, so they
// are Indonesian sentences rather than column codes.
const (
	summarySheet     = "Rekapitulasi"
	provincialGroup  = "tingkat provinsi"
	grandTotalLabel  = "Total Keseluruhan"
	subtotalPrefix   = "Subtotal "
	provinceTotalFmt = "Total Provinsi %s (%d usulan)"
)

// SummaryHeader is the header of the Rekapitulasi sheet: one row per
// province, then the grand total.
var SummaryHeader = []string{"kode_provinsi", "provinsi", "jumlah_usulan", "pagu_usulan", "pagu_konsolidasi"}

// WriteXLSX streams the consolidated list of scope to w as an .xlsx
// workbook: a sheet per province (named "74 Sulawesi Tenggara") with
// Header, the proposals in the list's order numbered from 1 per sheet, a
// bold subtotal row after each kab/kota (provincial proposals form their own
// group, "tingkat provinsi"), and a province total; then a Rekapitulasi
// sheet with one row per province and the grand total. Every amount is a
// plain number cell in rupiah (no formulas), so the file reads back exactly
// in any program. An empty cycle still gets its province sheet with a zero
// total. Memory stays flat: each row goes straight into the zip.
func WriteXLSX(ctx context.Context, db *store.DB, scope Scope, w io.Writer) (Totals, error) {
	wb := newWorkbook(w)
	type province struct {
		code, name string
		t          Totals
	}
	var (
		total     Totals
		provinces []province
		group     Totals
		groupCode string
		groupName string
		no        int
	)
	startProvince := func(code, name string) error {
		provinces = append(provinces, province{code: code, name: name})
		no, group, groupCode, groupName = 0, Totals{}, "", ""
		if err := wb.startSheet(code+" "+titleCase(name), listWidths); err != nil {
			return err
		}
		return wb.writeRow(headerCells(FullHeader()))
	}
	endGroup := func() error {
		if group.Proposals == 0 {
			return nil
		}
		label := groupName
		if groupCode == "" {
			label = provincialGroup
		}
		cells := make([]cell, columnCount)
		cells[colKodeKabKota] = text(groupCode, styleSubLabel)
		cells[colKabKota] = text(groupName, styleSubLabel)
		cells[colJudul] = text(fmt.Sprintf("%s%s (%d usulan)", subtotalPrefix, label, group.Proposals), styleSubLabel)
		cells[colPaguUsulan] = integer(group.AmountIDR, styleSubMoney)
		cells[colPaguKonsolidasi] = integer(group.ConsolidatedAmountIDR, styleSubMoney)
		group = Totals{}
		return wb.writeRow(cells)
	}
	endProvince := func() error {
		if err := endGroup(); err != nil {
			return err
		}
		p := provinces[len(provinces)-1]
		cells := make([]cell, columnCount)
		cells[colKodeProvinsi] = text(p.code, styleTotalLabel)
		cells[colProvinsi] = text(p.name, styleTotalLabel)
		cells[colJudul] = text(fmt.Sprintf(provinceTotalFmt, p.name, p.t.Proposals), styleTotalLabel)
		cells[colPaguUsulan] = integer(p.t.AmountIDR, styleTotalMoney)
		cells[colPaguKonsolidasi] = integer(p.t.ConsolidatedAmountIDR, styleTotalMoney)
		return wb.writeRow(cells)
	}

	cells := make([]cell, columnCount)
	for r, err := range db.ConsolidatedRows(ctx, scope.query()) {
		if err != nil {
			return total, err
		}
		if len(provinces) == 0 || provinces[len(provinces)-1].code != r.ProvinceCode {
			if len(provinces) > 0 {
				if err := endProvince(); err != nil {
					return total, err
				}
			}
			if err := startProvince(r.ProvinceCode, r.ProvinceName); err != nil {
				return total, err
			}
		}
		if group.Proposals > 0 && r.KabKotaCode != groupCode {
			if err := endGroup(); err != nil {
				return total, err
			}
		}
		groupCode, groupName = r.KabKotaCode, r.KabKotaName
		no++
		group.add(r)
		provinces[len(provinces)-1].t.add(r)
		total.add(r)
		if err := wb.writeRow(dataCells(cells, no, r)); err != nil {
			return total, err
		}
	}
	if len(provinces) == 0 && !scope.National() {
		if err := startProvince(scope.ProvinceCode, scope.ProvinceName); err != nil {
			return total, err
		}
	}
	if len(provinces) > 0 {
		if err := endProvince(); err != nil {
			return total, err
		}
	}

	if err := wb.startSheet(summarySheet, []float64{14, 32, 15, 20, 20}); err != nil {
		return total, err
	}
	if err := wb.writeRow(headerCells(SummaryHeader)); err != nil {
		return total, err
	}
	for _, p := range provinces {
		if err := wb.writeRow([]cell{
			text(p.code, styleDefault), text(p.name, styleDefault), integer(int64(p.t.Proposals), styleDefault),
			integer(p.t.AmountIDR, styleMoney), integer(p.t.ConsolidatedAmountIDR, styleMoney),
		}); err != nil {
			return total, err
		}
	}
	if err := wb.writeRow([]cell{
		{}, text(grandTotalLabel, styleTotalLabel), integer(int64(total.Proposals), styleTotalLabel),
		integer(total.AmountIDR, styleTotalMoney), integer(total.ConsolidatedAmountIDR, styleTotalMoney),
	}); err != nil {
		return total, err
	}
	if err := wb.close(); err != nil {
		return total, fmt.Errorf("write xlsx: %w", err)
	}
	return total, nil
}

func headerCells(names []string) []cell {
	out := make([]cell, len(names))
	for i, n := range names {
		out[i] = text(n, styleHeader)
	}
	return out
}

// dataCells fills cells (reused across rows) with r: the same values as the
// CSV record, typed: numbers for no, amounts, priority and a lone
// indicator's target; text for the rest.
func dataCells(cells []cell, no int, r store.ConsolidatedRow) []cell {
	clear(cells)
	cells[colNo] = integer(int64(no), styleDefault)
	cells[colKodeProvinsi] = text(r.ProvinceCode, styleDefault)
	cells[colProvinsi] = text(r.ProvinceName, styleDefault)
	cells[colKodeKabKota] = text(r.KabKotaCode, styleDefault)
	cells[colKabKota] = text(r.KabKotaName, styleDefault)
	cells[colKodeKecamatan] = text(r.KecamatanCode, styleDefault)
	cells[colKecamatan] = text(r.KecamatanName, styleDefault)
	cells[colProposalID] = text(r.ProposalID, styleDefault)
	cells[colJudul] = text(r.Title, styleDefault)
	cells[colKategori] = text(string(r.Category), styleDefault)
	cells[colKodeSubKegiatan] = text(r.SIPDCode, styleDefault)
	cells[colSubKegiatan] = text(r.SubKegiatanName, styleDefault)
	if len(r.Indicators) == 1 {
		ind := r.Indicators[0]
		cells[colIndikator] = text(ind.Name, styleDefault)
		cells[colTarget] = decimal(ind.Target, styleDefault)
		cells[colSatuan] = text(ind.Unit, styleDefault)
	} else if len(r.Indicators) > 1 {
		names, targets, units := make([]string, len(r.Indicators)), make([]string, len(r.Indicators)), make([]string, len(r.Indicators))
		for i, ind := range r.Indicators {
			names[i], targets[i], units[i] = ind.Name, formatTarget(ind.Target), ind.Unit
		}
		cells[colIndikator] = text(strings.Join(names, IndicatorSeparator), styleDefault)
		cells[colTarget] = text(strings.Join(targets, IndicatorSeparator), styleDefault)
		cells[colSatuan] = text(strings.Join(units, IndicatorSeparator), styleDefault)
	}
	cells[colPaguUsulan] = integer(r.AmountIDR, styleMoney)
	if r.Consolidated {
		cells[colPaguKonsolidasi] = integer(r.ConsolidatedAmountIDR, styleMoney)
		cells[colPrioritas] = integer(int64(r.Priority), styleDefault)
	}
	cells[colSumberDana] = text(string(r.FundingSource), styleDefault)
	cells[colTahapan] = text(string(r.Stage), styleDefault)
	cells[colNamaKategori] = text(r.Category.Label(), styleDefault)
	cells[colNamaSumberDana] = text(r.FundingSource.Label(), styleDefault)
	cells[colNamaTahapan] = text(r.Stage.Label(), styleDefault)
	cells[colKoperasiPenerima] = text(strings.Join(r.BeneficiariesKoperasi, IndicatorSeparator), styleDefault)
	cells[colKeputusanRakorda] = text(rakordaDecision(r.RakordaAction), styleDefault)
	dossierCells(cells, r)
	return cells
}

// titleCase turns "SULAWESI TENGGARA" into "Sulawesi Tenggara" for sheet
// names; names already in mixed case are kept.
func titleCase(s string) string {
	if strings.ToUpper(s) != s {
		return s
	}
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = strings.ToUpper(string(r)) + w[size:]
	}
	return strings.Join(words, " ")
}
