// Package register reads koperasi register files (issue 17): the CSV and
// XLSX of DESIGN.md's header, judged by content rather than by name, parsed
// and checked row by row into batches the store imports in one transaction
// (store.DB.ImportKoperasi). It also writes the downloadable template. It
// does no I/O besides the reader it is given: the checks that need the
// database (known regions, koperasi of other kab/kota) are the store's.
package register

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// Header is the register file's header, exactly (DESIGN.md); the template
// carries it and a file whose first row differs is refused.
var Header = []string{"nik", "badan_hukum_no", "badan_hukum_tanggal", "nama", "jenis", "kode_wilayah", "kmp", "status",
	"tanggal_rat", "anggota", "modal_sendiri", "modal_luar", "volume_usaha", "shu"}

// column maps the domain's JSON field names to the file's columns, so a
// domain Validate error names the column the user must fix.
var column = map[string]string{
	"nik": "nik", "badan_hukum_no": "badan_hukum_no", "badan_hukum_date": "badan_hukum_tanggal", "name": "nama",
	"jenis": "jenis", "region_code": "kode_wilayah", "status": "status", "rat_date": "tanggal_rat", "members": "anggota",
	"modal_sendiri_idr": "modal_sendiri", "modal_luar_idr": "modal_luar", "volume_usaha_idr": "volume_usaha", "shu_idr": "shu",
}

// Format is a register file's format.
type Format string

// The two formats, named as the template's format parameter names them.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ContentType is the media type of f.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// BatchSize is how many rows the store receives at a time: large enough
// that a batch is a few statements, small enough for SQLite's limit on
// bound variables (15 columns × 1,000 rows).
const BatchSize = 1000

// fileError is a refusal of the whole file (not CSV/XLSX, empty, header).
func fileError(row int, field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &domain.Error{Code: domain.EINVALID, Message: msg, Fields: []domain.FieldError{{Row: row, Field: field, Message: msg}}}
}

// Options say what the file is for: the register of KabKota for Year, as
// judged at Now.
type Options struct {
	KabKota string
	Year    int
	Now     time.Time
}

// Reader yields the rows of a register file in batches.
type Reader struct {
	opts   Options
	next   func() ([]string, int, error) // a record and its row number; io.EOF at the end
	close  func()
	format Format
	// seen and seenBH map a 64-bit hash of each NIK and badan hukum
	// number to the row it was first seen on: 20 bytes per key instead of
	// the key itself, so a national file's duplicate check stays small.
	seen   map[uint64]int32
	seenBH map[uint64]int32
	rows   int
}

// Open reads the header of a register file and returns a Reader for its
// rows. The format is told by content: an XLSX is a zip archive, anything
// else must be UTF-8 text (a CSV). Refusals, with row 1 and a field: not
// CSV or XLSX, an empty file, a header that differs from Header.
func Open(r io.Reader, opts Options) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read register file: %w", err)
	}
	rd := &Reader{opts: opts, seen: map[uint64]int32{}, seenBH: map[uint64]int32{}, close: func() {}}
	switch {
	case len(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))) == 0:
		return nil, fileError(1, "file", "Berkas kosong; unduh templat lalu isi baris datanya.")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		if err := rd.openXLSX(br); err != nil {
			return nil, err
		}
	case isText(head):
		rd.openCSV(br)
	default:
		return nil, fileError(1, "file", "Berkas bukan CSV atau XLSX; unggah berkas sesuai templat.")
	}
	header, _, err := rd.next()
	if errors.Is(err, io.EOF) {
		rd.Close()
		return nil, fileError(1, "file", "Berkas kosong; unduh templat lalu isi baris datanya.")
	}
	if err != nil {
		rd.Close()
		return nil, err
	}
	if err := checkHeader(header); err != nil {
		rd.Close()
		return nil, err
	}
	return rd, nil
}

// Format is the format the file turned out to be.
func (rd *Reader) Format() Format { return rd.format }

// Close releases the XLSX workbook, if any.
func (rd *Reader) Close() { rd.close() }

// isText reports whether head looks like a text file: valid UTF-8 (a
// multi-byte character cut at the end of the peek is fine) without NUL
// or other control bytes besides tab and line ends.
func isText(head []byte) bool {
	for len(head) > 0 {
		r, size := utf8.DecodeRune(head)
		if r == utf8.RuneError && size <= 1 {
			return len(head) < utf8.UTFMax && !utf8.FullRune(head)
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
		head = head[size:]
	}
	return true
}

func (rd *Reader) openCSV(r io.Reader) {
	rd.format = CSV
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	row := 0
	rd.next = func() ([]string, int, error) {
		rec, err := cr.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, 0, fileError(pe.StartLine, "file", "Format CSV rusak pada baris %d (%v).", pe.StartLine, pe.Err)
			}
			return nil, 0, err
		}
		row++
		// csv.Reader skips blank lines; its line number is the row a
		// spreadsheet shows (quoted line breaks aside).
		line, _ := cr.FieldPos(0)
		return rec, line, nil
	}
}

func (rd *Reader) openXLSX(r io.Reader) error {
	rd.format = XLSX
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: 1 << 30, UnzipXMLSizeLimit: 256 << 20})
	if err != nil {
		return fileError(1, "file", "Berkas XLSX tidak dapat dibaca; simpan ulang dari aplikasi lembar kerja atau gunakan CSV.")
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		_ = f.Close()
		return fileError(1, "file", "Berkas XLSX tidak berisi sheet.")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		_ = f.Close()
		return fileError(1, "file", "Sheet %q tidak dapat dibaca.", sheets[0])
	}
	rd.close = func() { _ = rows.Close(); _ = f.Close() }
	n := 0
	rd.next = func() ([]string, int, error) {
		for rows.Next() {
			n++
			rec, err := rows.Columns()
			if err != nil {
				return nil, 0, fileError(n, "file", "Baris %d sheet %q tidak dapat dibaca.", n, sheets[0])
			}
			if blank(rec) {
				continue // as csv.Reader skips blank lines
			}
			return rec, n, nil
		}
		if err := rows.Error(); err != nil {
			return nil, 0, fileError(n, "file", "Sheet %q tidak dapat dibaca.", sheets[0])
		}
		return nil, 0, io.EOF
	}
	return nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func checkHeader(got []string) error {
	clean := make([]string, len(got))
	for i, h := range got {
		clean[i] = strings.ToLower(strings.TrimSpace(h))
	}
	for len(clean) > 0 && clean[len(clean)-1] == "" {
		clean = clean[:len(clean)-1]
	}
	want := strings.Join(Header, ",")
	if strings.Join(clean, ",") == want {
		return nil
	}
	for i, h := range Header {
		if i >= len(clean) {
			return fileError(1, "header", "Baris judul kurang kolom %q (kolom ke-%d); judul harus persis: %s.", h, i+1, want)
		}
		if clean[i] != h {
			return fileError(1, "header", "Kolom ke-%d harus %q, bukan %q; judul harus persis: %s.", i+1, h, clean[i], want)
		}
	}
	return fileError(1, "header", "Baris judul berisi kolom lebih dari %d; judul harus persis: %s.", len(Header), want)
}

// Next returns the next batch of at most BatchSize rows, nil at the end.
// Bad rows are in the batch's Errors, each naming its row and column; the
// file as a whole (a broken CSV) is refused with an error.
func (rd *Reader) Next() (*store.ImportBatch, error) {
	b := &store.ImportBatch{}
	for len(b.Rows)+countRows(b.Errors) < BatchSize {
		rec, row, err := rd.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		rd.rows++
		r, errs := rd.parse(rec, row)
		if len(errs) > 0 {
			b.Errors = append(b.Errors, errs...)
			continue
		}
		b.Rows = append(b.Rows, r)
	}
	if len(b.Rows) == 0 && len(b.Errors) == 0 {
		if rd.rows == 0 {
			rd.rows = -1 // report once
			return nil, fileError(2, "file", "Berkas hanya berisi baris judul; tidak ada data koperasi.")
		}
		return nil, nil
	}
	return b, nil
}

// Rows is the number of data rows read so far.
func (rd *Reader) Rows() int { return max(rd.rows, 0) }

func countRows(errs []domain.FieldError) int {
	n, last := 0, -1
	for _, e := range errs {
		if e.Row != last {
			n, last = n+1, e.Row
		}
	}
	return n
}

// parse turns one record into a checked ImportRow, or the row's errors.
func (rd *Reader) parse(rec []string, row int) (store.ImportRow, []domain.FieldError) {
	var errs []domain.FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, domain.FieldError{Row: row, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	get := func(i int) string {
		if i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	if len(rec) > len(Header) && !blank(rec[len(Header):]) {
		bad("file", "Baris berisi %d kolom; templat hanya %d.", len(rec), len(Header))
	}
	k := domain.Koperasi{NIK: get(0), BadanHukumNo: get(1), BadanHukumDate: get(2), Name: get(3),
		Jenis: domain.Jenis(strings.ToLower(get(4))), RegionCode: get(5)}
	switch strings.ToLower(get(6)) {
	case "ya":
		k.KMP = true
	case "tidak", "":
	default:
		bad("kmp", "Isi kmp dengan ya atau tidak (bukan %q).", get(6))
	}
	y := domain.KoperasiYear{Year: rd.opts.Year, Status: domain.KoperasiStatus(strings.ToLower(get(7))), RATDate: get(8)}
	for i, dst := range []*int64{&y.Members, &y.ModalSendiriIDR, &y.ModalLuarIDR, &y.VolumeUsahaIDR, &y.SHUIDR} {
		s := get(9 + i)
		if s == "" {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			bad(Header[9+i], "Isi dengan bilangan bulat tanpa titik atau koma (rupiah penuh), bukan %q.", s)
			continue
		}
		*dst = n
	}
	if err := k.Validate(rd.opts.Now); err != nil {
		addFields(&errs, row, err)
	}
	if err := y.Validate(k.RegionCode, rd.opts.Now); err != nil {
		addFields(&errs, row, err)
	}
	if lvl, err := domain.ParseRegionCode(k.RegionCode); err == nil && lvl == domain.LevelDesa && !domain.ScopeCovers(rd.opts.KabKota, k.RegionCode) {
		bad("kode_wilayah", "Desa/kelurahan %s di luar kab/kota %s, wilayah putaran data ini.", k.RegionCode, rd.opts.KabKota)
	}
	if len(k.BadanHukumDate) >= 4 && k.BadanHukumDate[:4] > strconv.Itoa(rd.opts.Year) && !hasField(errs, "badan_hukum_tanggal") {
		bad("badan_hukum_tanggal", "Badan hukum tanggal %s terbit setelah tahun %d, tahun putaran data ini.", k.BadanHukumDate, rd.opts.Year)
	}
	if k.NIK != "" {
		if first, ok := rd.seen[keyHash(k.NIK)]; ok {
			bad("nik", "NIK %s sudah ada pada baris %d berkas ini.", k.NIK, first)
		} else {
			rd.seen[keyHash(k.NIK)] = int32(row)
		}
	}
	if k.BadanHukumNo != "" {
		if first, ok := rd.seenBH[keyHash(k.BadanHukumNo)]; ok {
			bad("badan_hukum_no", "Nomor badan hukum %s sudah ada pada baris %d berkas ini.", k.BadanHukumNo, first)
		} else {
			rd.seenBH[keyHash(k.BadanHukumNo)] = int32(row)
		}
	}
	return store.ImportRow{Row: row, Koperasi: k, Year: y}, errs
}

// keyHash is FNV-1a of a key: two different keys of one file share a hash
// with a probability of about 1e-9 at 200,000 rows.
func keyHash(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

func hasField(errs []domain.FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// addFields adds a domain validation error's fields under the file's
// column names, on row.
func addFields(errs *[]domain.FieldError, row int, err error) {
	var de *domain.Error
	if !errors.As(err, &de) {
		*errs = append(*errs, domain.FieldError{Row: row, Field: "file", Message: domain.ErrorMessage(err)})
		return
	}
	for _, f := range de.Fields {
		name, ok := column[f.Field]
		if !ok {
			name = f.Field
		}
		*errs = append(*errs, domain.FieldError{Row: row, Field: name, Message: f.Message})
	}
}
