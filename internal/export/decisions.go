package export

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// The columns the ministry adds to (or fills in) an exported sheet to
// answer it in bulk. The reason may be headed alasan or komentar.
const (
	DecisionColumn = "keputusan_kementerian"
	ReasonColumn   = "alasan"
	CommentColumn  = "komentar"
)

// Limits on an uploaded answer sheet: a fiscal year across provinces is
// some hundred thousand rows and a few tens of MB.
const (
	maxUploadBytes     = 64 << 20
	maxUploadRows      = 500_000
	maxCommentRunes    = 2000
	maxDecisionProblem = 200
)

// Decision is one answer of the ministry to a proposal, read from a row of
// an uploaded sheet: fund it (with the funding source the ministry
// confirms) or decline it (with the reason). Sheet and Row say where it
// came from, so the caller can report a failure to apply it where the user
// will look.
type Decision struct {
	ProposalID    string               `json:"proposal_id"`
	Action        domain.Action        `json:"action"`
	FundingSource domain.FundingSource `json:"funding_source,omitempty"`
	Comment       string               `json:"comment,omitempty"`
	Sheet         string               `json:"sheet,omitempty"`
	Row           int                  `json:"row"`
}

// decisionValues maps what a user may type in keputusan_kementerian.
var decisionValues = map[string]domain.Action{
	"danai": domain.ActionFund, "didanai": domain.ActionFund,
	"tolak": domain.ActionDecline, "ditolak": domain.ActionDecline,
}

// problem is one refusal at a place in the file.
type problem struct {
	sheetIdx int
	sheet    string
	row      int
	column   string
	message  string
}

type problems []problem

func (ps *problems) add(sheetIdx int, sheet string, row int, column, format string, args ...any) {
	*ps = append(*ps, problem{sheetIdx, sheet, row, column, fmt.Sprintf(format, args...)})
}

// err orders the problems as they appear in the file and returns them as
// one EINVALID error whose fields say "baris 12: keputusan_kementerian"
// (CSV) or "sheet 74 Sulawesi Tenggara baris 12: ..." (XLSX).
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	slices.SortStableFunc(ps, func(a, b problem) int {
		return cmp.Or(cmp.Compare(a.sheetIdx, b.sheetIdx), cmp.Compare(a.row, b.row))
	})
	var v domain.Validation
	for i, p := range ps {
		if i == maxDecisionProblem {
			v.Add("berkas", "Dan %d masalah lain yang tidak ditampilkan.", len(ps)-maxDecisionProblem)
			break
		}
		v.Add(where(p.sheet, p.row, p.column), "%s", p.message)
	}
	return v.Err()
}

func where(sheet string, row int, column string) string {
	var b strings.Builder
	if sheet != "" {
		b.WriteString("sheet " + sheet + " ")
	}
	if row > 0 {
		fmt.Fprintf(&b, "baris %d", row)
	}
	if column != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(column)
	}
	if b.Len() == 0 {
		return "berkas"
	}
	return b.String()
}

// ParseDecisions reads the ministry's answer: an exported consolidated list
// (CSV, or XLSX with a sheet per province) in which the column
// keputusan_kementerian says danai or tolak for the proposals being
// answered. A funded row needs a valid sumber_dana (the ministry may change
// the one exported); a declined row needs a reason in alasan or komentar.
// Rows without a decision (and subtotal rows, which have no proposal_id) are
// skipped, so a sheet may answer part of the list; XLSX sheets without the
// decision column (Rekapitulasi) are skipped. It checks only the file: see
// ReadDecisions for the checks against the database. It is all or nothing:
// any problem refuses the whole file with an EINVALID error listing every
// problem with its row.
func ParseDecisions(r io.Reader, f Format) ([]Decision, error) {
	ds, ps, _, err := parseDecisions(r, f)
	if err != nil {
		return nil, err
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return ds, nil
}

// ReadDecisions is ParseDecisions plus what only the database knows: every
// proposal must exist and wait for the ministry's answer (stage ministry).
// A row whose decision is already in effect (funded and now in
// sipd_mapping or final; declined and now declined) is left out of the
// result rather than refused, so uploading the same sheet again after a
// partial apply finishes the job instead of failing. All problems, from the
// file and from the database, come back together, by row.
func ReadDecisions(ctx context.Context, db *store.DB, r io.Reader, f Format) ([]Decision, error) {
	pending, _, err := ReadDecisionSet(ctx, db, r, f)
	return pending, err
}

// ReadDecisionSet is ReadDecisions that also returns the decisions it left
// out because they are already in effect (done), in file order, so that the
// caller can tell the user how much of an upload was applied before.
func ReadDecisionSet(ctx context.Context, db *store.DB, r io.Reader, f Format) (pending, done []Decision, err error) {
	ds, ps, sheetIdx, err := parseDecisions(r, f)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ProposalID
	}
	stages, err := db.ProposalStages(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	var out []Decision
	for _, d := range ds {
		st, ok := stages[d.ProposalID]
		switch {
		case !ok:
			ps.add(sheetIdx[d.Sheet], d.Sheet, d.Row, "proposal_id", "Usulan %q tidak ditemukan.", d.ProposalID)
		case st.Stage == domain.StageMinistry:
			out = append(out, d)
		case d.Action == domain.ActionFund && (st.Stage == domain.StageSIPDMapping || st.Stage == domain.StageFinal),
			d.Action == domain.ActionDecline && st.Stage == domain.StageDeclined:
			done = append(done, d) // already in effect: nothing to do
		default:
			ps.add(sheetIdx[d.Sheet], d.Sheet, d.Row, "proposal_id",
				"Usulan %q berada di tahap %s (%s); keputusan kementerian hanya dapat dicatat pada tahap Kementerian (ministry).",
				d.ProposalID, st.Stage.Label(), st.Stage)
		}
	}
	if err := ps.err(); err != nil {
		return nil, nil, err
	}
	return out, done, nil
}

// table is one sheet of an upload: its header and its rows with the row
// numbers a spreadsheet shows (the header is row 1 in an exported file).
type table struct {
	sheet   string
	columns map[string]int
	rows    []tableRow
}

type tableRow struct {
	n   int
	rec []string
}

func (t table) get(r tableRow, col string) string {
	i, ok := t.columns[col]
	if !ok || i >= len(r.rec) {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

// cleanRow checks every cell of row (domain.CleanText: UTF-8, no control
// character but line feeds and tabs, NFC) and normalises it in place;
// problems go to add under the cell's column.
func (t table) cleanRow(row tableRow, add func(col, format string, args ...any)) bool {
	ok := true
	for i, c := range row.rec {
		clean, problem := domain.CleanText(c, true)
		if problem != "" {
			add(t.columnName(i), "%s", problem)
			ok = false
			continue
		}
		row.rec[i] = clean
	}
	return ok
}

func (t table) columnName(i int) string {
	for name, j := range t.columns {
		if j == i {
			return name
		}
	}
	return ""
}

// parseDecisions returns the decisions of well-formed rows, the problems
// of the others and the position of each sheet in the file (to order
// problems found later); err is set only when the file as a whole cannot be
// read.
func parseDecisions(r io.Reader, f Format) ([]Decision, problems, map[string]int, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxUploadBytes+1))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read upload: %w", err)
	}
	if len(data) > maxUploadBytes {
		return nil, nil, nil, fileError("Berkas lebih besar dari %d MB.", maxUploadBytes>>20)
	}
	var tables []table
	switch f {
	case CSV:
		tables, err = csvTables(data)
	case XLSX:
		tables, err = xlsxTables(data)
	default:
		_, err = ParseFormat(string(f))
	}
	if err != nil {
		return nil, nil, nil, err
	}
	sheetIdx := make(map[string]int, len(tables))
	for i, t := range tables {
		sheetIdx[t.sheet] = i
	}
	var (
		ps   problems
		out  []Decision
		seen = map[string]string{} // proposal id -> where it was decided
	)
	answered := false
	for ti, t := range tables {
		if _, ok := t.columns[DecisionColumn]; !ok {
			continue
		}
		answered = true
		if _, ok := t.columns["proposal_id"]; !ok {
			ps.add(ti, t.sheet, 1, "proposal_id", "Kolom proposal_id tidak ada di baris judul.")
			continue
		}
		for _, row := range t.rows {
			add := func(col, format string, args ...any) { ps.add(ti, t.sheet, row.n, col, format, args...) }
			if !t.cleanRow(row, add) {
				continue
			}
			id, value := t.get(row, "proposal_id"), t.get(row, DecisionColumn)
			if value == "" {
				continue // not answered in this upload, or a subtotal row
			}
			if id == "" {
				add("proposal_id", "proposal_id wajib diisi pada baris yang berisi keputusan.")
				continue
			}
			d := Decision{ProposalID: id, Sheet: t.sheet, Row: row.n}
			action, ok := decisionValues[strings.ToLower(value)]
			if !ok {
				add(DecisionColumn, "Keputusan %q tidak dikenal; isi danai atau tolak.", value)
				continue
			}
			d.Action = action
			d.Comment = t.get(row, ReasonColumn)
			if d.Comment == "" {
				d.Comment = t.get(row, CommentColumn)
			}
			valid := true
			if utf8.RuneCountInString(d.Comment) > maxCommentRunes {
				add(ReasonColumn, "Alasan/komentar lebih dari %d karakter.", maxCommentRunes)
				valid = false
			}
			switch action {
			case domain.ActionFund:
				fs := strings.ToLower(t.get(row, "sumber_dana"))
				switch {
				case fs == "":
					add("sumber_dana", "Sumber dana wajib diisi untuk keputusan danai.")
					valid = false
				case !domain.ValidFundingSource(domain.FundingSource(fs)):
					add("sumber_dana", "Sumber dana %q tidak dikenal; gunakan %s.", fs, fundingSourceList())
					valid = false
				default:
					d.FundingSource = domain.FundingSource(fs)
				}
			case domain.ActionDecline:
				if d.Comment == "" {
					add(ReasonColumn, "Alasan wajib diisi (kolom alasan atau komentar) untuk keputusan tolak.")
					valid = false
				}
			}
			if prev, dup := seen[id]; dup {
				add("proposal_id", "Usulan %q sudah diputuskan di %s.", id, prev)
				continue
			}
			seen[id] = where(t.sheet, row.n, "")
			if valid {
				out = append(out, d)
			}
		}
	}
	if !answered {
		return nil, nil, nil, fileError("Kolom %s tidak ada; tambahkan kolom itu pada daftar yang diekspor dan isi danai atau tolak.", DecisionColumn)
	}
	if len(out) == 0 && len(ps) == 0 {
		return nil, nil, nil, fileError("Berkas tidak berisi keputusan; isi kolom %s dengan danai atau tolak.", DecisionColumn)
	}
	return out, ps, sheetIdx, nil
}

func fundingSourceList() string {
	s := make([]string, len(domain.FundingSources))
	for i, f := range domain.FundingSources {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

func fileError(format string, args ...any) error {
	var v domain.Validation
	v.Add("berkas", format, args...)
	return v.Err()
}

// newTable indexes a header row; names are matched case-insensitively. A
// name that appears twice is a problem the user must fix, since it is not
// clear which cell counts.
func newTable(sheet string, header []string) (table, error) {
	t := table{sheet: sheet, columns: map[string]int{}}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if h == "" {
			continue
		}
		if _, dup := t.columns[h]; dup {
			return t, invalidAt(where(sheet, 1, h), "Kolom %q muncul lebih dari sekali.", h)
		}
		t.columns[h] = i
	}
	return t, nil
}

func invalidAt(field, format string, args ...any) error {
	var v domain.Validation
	v.Add(field, format, args...)
	return v.Err()
}

// csvTables reads a comma- or semicolon-separated file (Excel with an
// Indonesian locale saves CSV with semicolons), with or without a BOM.
func csvTables(data []byte) ([]table, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	var t table
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, invalidAt(where("", pe.StartLine, ""), "Format CSV rusak (%v).", pe.Err)
			}
			return nil, fmt.Errorf("read csv: %w", err)
		}
		if n > maxUploadRows {
			return nil, fileError("Berkas lebih dari %d baris.", maxUploadRows)
		}
		if n == 1 {
			if t, err = newTable("", rec); err != nil {
				return nil, err
			}
			continue
		}
		// csv.Reader skips blank lines; its line number keeps the count
		// a spreadsheet shows.
		line, _ := cr.FieldPos(0)
		t.rows = append(t.rows, tableRow{n: line, rec: rec})
	}
	if t.columns == nil {
		return nil, fileError("Berkas kosong: baris judul tidak ada.")
	}
	return []table{t}, nil
}

// xlsxTables reads every sheet whose first row is a header; rows keep the
// numbers the spreadsheet shows.
func xlsxTables(data []byte) ([]table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    1 << 30,
		UnzipXMLSizeLimit: 256 << 20,
	})
	if err != nil {
		return nil, fileError("Berkas XLSX tidak dapat dibaca (%v).", err)
	}
	defer f.Close()
	var tables []table
	total := 0
	for _, sheet := range f.GetSheetList() {
		rows, err := f.Rows(sheet)
		if err != nil {
			return nil, fileError("Sheet %q tidak dapat dibaca (%v).", sheet, err)
		}
		var t table
		header := false
		for n := 1; rows.Next(); n++ {
			rec, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				_ = rows.Close()
				return nil, fileError("Sheet %q tidak dapat dibaca (%v).", sheet, err)
			}
			if total++; total > maxUploadRows {
				_ = rows.Close()
				return nil, fileError("Berkas lebih dari %d baris.", maxUploadRows)
			}
			if !header {
				if t, err = newTable(sheet, rec); err != nil {
					_ = rows.Close()
					return nil, err
				}
				header = true
				continue
			}
			t.rows = append(t.rows, tableRow{n: n, rec: rec})
		}
		err = rows.Error()
		_ = rows.Close()
		if err != nil {
			return nil, fileError("Sheet %q tidak dapat dibaca (%v).", sheet, err)
		}
		if header {
			tables = append(tables, t)
		}
	}
	return tables, nil
}
