package refdata

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// Limits that keep a wrong or hostile upload from exhausting memory: the
// complete official lampiran of every urusan is a few MB and some tens of
// thousands of rows.
const (
	maxFileBytes = 64 << 20
	maxRows      = 200_000
	// maxProblems caps the listed problems: a file in the wrong layout
	// would otherwise list every cell.
	maxProblems = 200
)

// Columns of the nomenclature file (nomenklatur_2_17.csv); the first four
// are required. kode_format and regulasi_indikasi are accepted but not
// stored: they describe the seed's provenance, not the code.
var (
	requiredColumns = []string{"kode", "level", "pemda_level", "nama"}
	optionalColumns = []string{"kinerja", "indikator", "satuan", "kode_format", "regulasi_indikasi", "status", "source"}
	allColumns      = slices.Concat(requiredColumns, optionalColumns)
)

// sheetRow is one data row of a file with its row number as a spreadsheet
// shows it (the header is row 1), so messages point where users look.
type sheetRow struct {
	n     int
	cells map[string]string
}

func (r sheetRow) get(col string) string { return r.cells[col] }

// ParseNomenclature reads a nomenclature lampiran (format "csv" or "xlsx",
// the first sheet, with the columns of nomenklatur_2_17.csv and a header
// row) and checks it completely for a version valid from validFromYear:
// code shapes and the sub kegiatan digit count of that version, levels,
// pemda levels against the 5th segment, duplicates and the hierarchy. It
// refuses the whole file with one EINVALID domain.Error listing every
// problem by row ("baris 12: kode"), because a planner fixing a lampiran
// wants the full list at once and a half-imported version would be worse
// than none. CSV may be comma or semicolon separated (Excel with an
// Indonesian locale writes semicolons) and may start with a UTF-8 BOM.
func ParseNomenclature(r io.Reader, format string, validFromYear int) ([]store.NomenclatureRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read nomenclature file: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, invalid("berkas", "Berkas lebih besar dari %d MB.", maxFileBytes>>20)
	}
	var records [][]string
	switch strings.ToLower(format) {
	case "csv":
		records, err = readCSV(data)
	case "xlsx":
		records, err = readXLSX(data)
	default:
		return nil, invalid("format", "Format berkas %q tidak dikenal; gunakan csv atau xlsx.", format)
	}
	if err != nil {
		return nil, err
	}
	var v domain.Validation
	rows := tableRows(records, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	out := validateRows(rows, validFromYear, &v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ImportNomenclature reads the lampiran at path (.csv or .xlsx), validates
// it (see ParseNomenclature) and stores it as a new version named name,
// valid from fiscal year validFromYear, in one transaction. A year that
// already has a version is ECONFLICT: versions are never replaced, because
// proposals of past cycles were mapped against them.
func ImportNomenclature(ctx context.Context, db *store.DB, path string, validFromYear int, name string) error {
	var format string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		format = "csv"
	case ".xlsx":
		format = "xlsx"
	default:
		return invalid("berkas", "Berkas %q bukan .csv atau .xlsx.", filepath.Base(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open nomenclature file: %w", err)
	}
	defer f.Close()
	rows, err := ParseNomenclature(f, format, validFromYear)
	if err != nil {
		return fmt.Errorf("import %s: %w", filepath.Base(path), err)
	}
	if strings.TrimSpace(name) == "" {
		name = filepath.Base(path)
	}
	_, err = db.CreateNomenclatureVersion(ctx, store.NomenclatureVersion{
		Name:          name,
		ValidFromYear: validFromYear,
		Source:        "import: " + filepath.Base(path),
	}, rows)
	if err != nil {
		return fmt.Errorf("import %s: %w", filepath.Base(path), err)
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	var v domain.Validation
	v.Add(field, format, args...)
	return v.Err()
}

// readCSV parses comma- or semicolon-separated records, BOM stripped.
func readCSV(data []byte) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // trailing optional columns may be missing
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	var records [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return records, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, invalid(fmt.Sprintf("baris %d", pe.StartLine), "Format CSV rusak (%v).", pe.Err)
			}
			return nil, fmt.Errorf("read csv: %w", err)
		}
		if len(records) > maxRows {
			return nil, invalid("berkas", "Berkas lebih dari %d baris.", maxRows)
		}
		records = append(records, rec)
	}
}

// readXLSX returns the cells of the first sheet; rows keep their position
// (an empty row is an empty record) so row numbers match the spreadsheet.
func readXLSX(data []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    512 << 20,
		UnzipXMLSizeLimit: 128 << 20,
	})
	if err != nil {
		return nil, invalid("berkas", "Berkas XLSX tidak dapat dibaca (%v).", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, invalid("berkas", "Berkas XLSX tidak memiliki sheet.")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, invalid("berkas", "Sheet %q tidak dapat dibaca (%v).", sheets[0], err)
	}
	defer rows.Close()
	var records [][]string
	for rows.Next() {
		if len(records) > maxRows {
			return nil, invalid("berkas", "Berkas lebih dari %d baris.", maxRows)
		}
		rec, err := rows.Columns()
		if err != nil {
			return nil, invalid("berkas", "Sheet %q tidak dapat dibaca (%v).", sheets[0], err)
		}
		records = append(records, rec)
	}
	if err := rows.Error(); err != nil {
		return nil, invalid("berkas", "Sheet %q tidak dapat dibaca (%v).", sheets[0], err)
	}
	return records, nil
}

// tableRows maps records to named cells using the header (record 0), whose
// names are matched case-insensitively; blank rows are skipped. A missing
// required column is reported against row 1 and yields no rows.
func tableRows(records [][]string, v *domain.Validation) []sheetRow {
	if len(records) == 0 {
		v.Add("berkas", "Berkas kosong: baris judul (kode, level, pemda_level, nama, ...) tidak ada.")
		return nil
	}
	index := map[string]int{}
	for i, h := range records[0] {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if _, dup := index[h]; dup {
			v.Add("baris 1: "+h, "Kolom %q muncul lebih dari sekali.", h)
			continue
		}
		index[h] = i
	}
	missing := false
	for _, col := range requiredColumns {
		if _, ok := index[col]; !ok {
			v.Add("baris 1: "+col, "Kolom wajib %q tidak ada di baris judul.", col)
			missing = true
		}
	}
	if missing {
		return nil
	}
	columns := allColumns
	var rows []sheetRow
	for i, rec := range records[1:] {
		blank := true
		cells := make(map[string]string, len(columns))
		for _, col := range columns {
			j, ok := index[col]
			if !ok || j >= len(rec) {
				continue
			}
			s, problem := domain.CleanText(strings.TrimSpace(rec[j]), true)
			if problem != "" {
				v.Add(fmt.Sprintf("baris %d: %s", i+2, col), "%s", problem)
			}
			cells[col] = s
			blank = blank && s == ""
		}
		if !blank {
			rows = append(rows, sheetRow{n: i + 2, cells: cells})
		}
	}
	if len(rows) == 0 {
		v.Add("berkas", "Berkas tidak memiliki baris data.")
	}
	return rows
}

// rowKey identifies a nomenclature row within a version.
type rowKey struct {
	code  string
	pemda domain.PemdaLevel
}

// validateRows checks rows for a version valid from validFromYear and
// converts them; problems go to v with their row numbers.
func validateRows(rows []sheetRow, validFromYear int, v *domain.Validation) []store.NomenclatureRow {
	problems := 0
	add := func(r sheetRow, col, format string, args ...any) {
		problems++
		if problems <= maxProblems {
			v.Add(fmt.Sprintf("baris %d: %s", r.n, col), format, args...)
		}
	}
	digits := SubKegiatanDigits(validFromYear)
	type seenAt struct {
		pemda domain.PemdaLevel
		row   int
	}
	seen := map[string][]seenAt{}
	keys := map[rowKey]bool{}
	var (
		out    []store.NomenclatureRow
		parsed []NomenclatureCode // parallel to out; Code "" when invalid
		rowOf  []sheetRow
	)
	for _, r := range rows {
		for _, col := range allColumns {
			if !utf8.ValidString(r.cells[col]) {
				add(r, col, "Teks bukan UTF-8; simpan berkas sebagai CSV UTF-8 atau XLSX.")
			}
		}
		code, level, pemda, name := r.get("kode"), r.get("level"), r.get("pemda_level"), r.get("nama")
		ok := true
		var pc NomenclatureCode
		if code == "" {
			add(r, "kode", "Kode wajib diisi.")
			ok = false
		} else if c, err := ParseNomenclatureCode(code); err != nil {
			add(r, "kode", "%s.", capitalize(err.Error()))
			ok = false
		} else {
			pc = c
			if c.SubDigits != 0 && c.SubDigits != digits {
				add(r, "kode", "Kode sub kegiatan %q memakai %d digit di segmen terakhir; versi yang berlaku mulai tahun anggaran %d memakai %d digit (contoh: %s).",
					code, c.SubDigits, validFromYear, digits, exampleSubKegiatan(digits))
				ok = false
			}
		}
		lvl := store.NomenclatureLevel(strings.ToLower(level))
		switch {
		case level == "":
			add(r, "level", "Level wajib diisi.")
			ok = false
		case !slices.Contains(store.NomenclatureLevels, lvl):
			add(r, "level", "Level %q tidak dikenal; gunakan urusan, bidang_urusan, program, kegiatan atau sub_kegiatan.", level)
			ok = false
		case pc.Code != "" && pc.Level != lvl:
			add(r, "level", "Level %q tidak sesuai dengan kode %q, yang berlevel %s.", level, code, pc.Level)
			ok = false
		}
		pl := domain.PemdaLevel(strings.ToLower(pemda))
		switch {
		case pemda == "":
			add(r, "pemda_level", "Pemda level wajib diisi.")
			ok = false
		case pl != domain.PemdaProvinsi && pl != domain.PemdaKabKota && pl != store.PemdaBoth:
			add(r, "pemda_level", "Pemda level %q tidak dikenal; gunakan provinsi, kabkota atau both.", pemda)
			ok = false
		case pc.PemdaLevel != "" && pc.PemdaLevel != pl:
			add(r, "pemda_level", "Pemda level %q tidak sesuai dengan segmen ke-5 kode %q (1 = provinsi, 2 = kabkota): seharusnya %s.", pemda, code, pc.PemdaLevel)
			ok = false
		}
		if name == "" {
			add(r, "nama", "Nama wajib diisi.")
		}
		if !ok {
			continue
		}
		// A shared row ("both") overlaps either level's row of the same code.
		for _, s := range seen[code] {
			if s.pemda == pl || s.pemda == store.PemdaBoth || pl == store.PemdaBoth {
				add(r, "kode", "Kode %q (pemda level %s) sudah ada di baris %d.", code, s.pemda, s.row)
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		seen[code] = append(seen[code], seenAt{pemda: pl, row: r.n})
		keys[rowKey{code, pl}] = true
		out = append(out, store.NomenclatureRow{
			Code: code, Level: lvl, PemdaLevel: pl, Name: name,
			Kinerja: r.get("kinerja"), Indikator: r.get("indikator"), Satuan: r.get("satuan"),
			Status: r.get("status"), Source: r.get("source"),
		})
		parsed = append(parsed, pc)
		rowOf = append(rowOf, r)
	}
	// The hierarchy, once every row is known: a parent may come after its
	// child in the file.
	for i, row := range out {
		parent := parsed[i].Parent()
		if parsed[i].Level == store.NomenKegiatan {
			parent = domain.RegionParent(parent) // skip the "2.17.NN.P" pseudo-level
		}
		if parent == "" {
			continue
		}
		if keys[rowKey{parent, store.PemdaBoth}] || keys[rowKey{parent, row.PemdaLevel}] ||
			(row.PemdaLevel == store.PemdaBoth && keys[rowKey{parent, domain.PemdaProvinsi}] && keys[rowKey{parent, domain.PemdaKabKota}]) {
			continue
		}
		if row.PemdaLevel == store.PemdaBoth {
			add(rowOf[i], "kode", "Induk %q dari kode %q tidak ada dalam berkas.", parent, row.Code)
		} else {
			add(rowOf[i], "kode", "Induk %q dari kode %q tidak ada dalam berkas untuk pemda level %s.", parent, row.Code, row.PemdaLevel)
		}
	}
	if problems > maxProblems {
		v.Add("berkas", "Dan %d masalah lain yang tidak ditampilkan.", problems-maxProblems)
	}
	return out
}

func exampleSubKegiatan(digits int) string {
	if digits == 4 {
		return "2.17.05.2.01.0001"
	}
	return "2.17.07.2.01.01"
}

// capitalize upper-cases the first letter of an ASCII message.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
