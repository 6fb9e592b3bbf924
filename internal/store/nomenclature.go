package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/rencana-id/rencana/internal/domain"
)

// NomenclatureLevel is the depth of a SIPD nomenclature code: urusan "2",
// bidang urusan "2.17", program "2.17.07", kegiatan "2.17.07.2.01" and sub
// kegiatan "2.17.07.2.01.0001". Only sub kegiatan codes can be mapped to a
// proposal; the upper levels group them in lists and exports.
type NomenclatureLevel string

// The five nomenclature levels, spelled as the nomenclature table and the
// import files spell them.
const (
	NomenUrusan       NomenclatureLevel = "urusan"
	NomenBidangUrusan NomenclatureLevel = "bidang_urusan"
	NomenProgram      NomenclatureLevel = "program"
	NomenKegiatan     NomenclatureLevel = "kegiatan"
	NomenSubKegiatan  NomenclatureLevel = "sub_kegiatan"
)

// NomenclatureLevels lists the levels from the top down.
var NomenclatureLevels = []NomenclatureLevel{NomenUrusan, NomenBidangUrusan, NomenProgram, NomenKegiatan, NomenSubKegiatan}

// PemdaBoth marks urusan, bidang and program rows that serve provinsi and
// kab/kota alike; kegiatan and sub kegiatan always name one pemda level in
// their 5th segment.
const PemdaBoth domain.PemdaLevel = "both"

// NomenclatureVersion is one nomenclature lampiran, in force from the fiscal
// year ValidFromYear until the next version's. Proposals are checked against
// the version in force for their fiscal year, so old cycles keep the codes
// they were planned with after a new Kepmendagri comes out.
type NomenclatureVersion struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Regulation    string    `json:"regulation"`
	ValidFromYear int       `json:"valid_from_year"`
	Source        string    `json:"source"`
	ImportedAt    time.Time `json:"imported_at"`
	// Rows is how many nomenclature rows the version holds (read only).
	Rows int64 `json:"rows"`
}

// NomenclatureRow is one code of a nomenclature version. It is what an
// import writes and what searches return; VersionID is filled on reads and
// ignored on writes.
type NomenclatureRow struct {
	VersionID  int64             `json:"version_id,omitempty"`
	Code       string            `json:"code"`
	Level      NomenclatureLevel `json:"level"`
	PemdaLevel domain.PemdaLevel `json:"pemda_level"`
	Name       string            `json:"name"`
	Kinerja    string            `json:"kinerja"`
	Indikator  string            `json:"indikator"`
	Satuan     string            `json:"satuan"`
	Status     string            `json:"status"`
	Source     string            `json:"source"`
}

// NomenclatureQuery selects rows of the version in force for FiscalYear (0:
// the newest version) whose code or name contains Q, case-insensitively.
// PemdaLevel "provinsi" or "kabkota" keeps that level's rows and the shared
// ("both") ones; Level keeps one level. Limit defaults to 50, at most 500.
type NomenclatureQuery struct {
	Q          string
	PemdaLevel domain.PemdaLevel
	FiscalYear int
	Level      NomenclatureLevel
	Limit      int
}

type nomenclatureVersionRow struct {
	ID            int64 `gorm:"primaryKey"`
	Name          string
	Regulation    string
	ValidFromYear int
	Source        string
	ImportedAt    time.Time
}

func (nomenclatureVersionRow) TableName() string { return "nomenclature_versions" }

func (r nomenclatureVersionRow) version() NomenclatureVersion {
	return NomenclatureVersion{
		ID: r.ID, Name: r.Name, Regulation: r.Regulation, ValidFromYear: r.ValidFromYear,
		Source: r.Source, ImportedAt: r.ImportedAt.UTC(),
	}
}

type nomenclatureRow struct {
	VersionID  int64
	Code       string
	PemdaLevel string
	Level      string
	Name       string
	Kinerja    string
	Indikator  string
	Satuan     string
	Status     string
	Source     string
}

func (nomenclatureRow) TableName() string { return "nomenclature" }

func (r nomenclatureRow) row() NomenclatureRow {
	return NomenclatureRow{
		VersionID: r.VersionID, Code: r.Code, Level: NomenclatureLevel(r.Level),
		PemdaLevel: domain.PemdaLevel(r.PemdaLevel), Name: r.Name, Kinerja: r.Kinerja,
		Indikator: r.Indikator, Satuan: r.Satuan, Status: r.Status, Source: r.Source,
	}
}

// ListNomenclatureVersions returns every version, oldest first, with its row
// count, so an administrator sees which lampiran governs which years.
func (db *DB) ListNomenclatureVersions(ctx context.Context) ([]NomenclatureVersion, error) {
	var rows []nomenclatureVersionRow
	if err := db.orm.WithContext(ctx).Order("valid_from_year").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list nomenclature versions: %w", err)
	}
	var counts []struct {
		VersionID int64
		N         int64
	}
	if err := db.orm.WithContext(ctx).Model(&nomenclatureRow{}).
		Select("version_id, COUNT(*) AS n").Group("version_id").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("count nomenclature rows: %w", err)
	}
	byID := make(map[int64]int64, len(counts))
	for _, c := range counts {
		byID[c.VersionID] = c.N
	}
	out := make([]NomenclatureVersion, len(rows))
	for i, r := range rows {
		out[i] = r.version()
		out[i].Rows = byID[r.ID]
	}
	return out, nil
}

// NomenclatureVersionFor returns the version in force for fiscalYear: the
// one with the greatest valid_from_year <= fiscalYear. It is ENOTFOUND when
// every version is newer than that year (or none was loaded).
func (db *DB) NomenclatureVersionFor(ctx context.Context, fiscalYear int) (NomenclatureVersion, error) {
	var row nomenclatureVersionRow
	err := db.orm.WithContext(ctx).Where("valid_from_year <= ?", fiscalYear).
		Order("valid_from_year DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return NomenclatureVersion{}, domain.Errorf(domain.ENOTFOUND,
			"Tidak ada nomenklatur yang berlaku untuk tahun anggaran %d.", fiscalYear)
	}
	if err != nil {
		return NomenclatureVersion{}, fmt.Errorf("nomenclature version for %d: %w", fiscalYear, err)
	}
	v := row.version()
	if err := db.orm.WithContext(ctx).Model(&nomenclatureRow{}).Where("version_id = ?", v.ID).Count(&v.Rows).Error; err != nil {
		return NomenclatureVersion{}, fmt.Errorf("count nomenclature rows: %w", err)
	}
	return v, nil
}

// newestNomenclatureVersion resolves FiscalYear 0 in queries.
func (db *DB) newestNomenclatureVersion(ctx context.Context) (NomenclatureVersion, error) {
	var row nomenclatureVersionRow
	err := db.orm.WithContext(ctx).Order("valid_from_year DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return NomenclatureVersion{}, domain.Errorf(domain.ENOTFOUND, "Belum ada nomenklatur yang dimuat.")
	}
	if err != nil {
		return NomenclatureVersion{}, fmt.Errorf("newest nomenclature version: %w", err)
	}
	return row.version(), nil
}

// SearchNomenclature finds nomenclature rows for a picker or an API search
// (see NomenclatureQuery), ordered by code. A fiscal year no version covers
// yields an empty list rather than an error: nothing matches.
func (db *DB) SearchNomenclature(ctx context.Context, q NomenclatureQuery) ([]NomenclatureRow, error) {
	var v domain.Validation
	switch q.PemdaLevel {
	case "", domain.PemdaProvinsi, domain.PemdaKabKota:
	default:
		v.Add("pemda_level", "Gunakan provinsi atau kabkota.")
	}
	if q.Level != "" && !slices.Contains(NomenclatureLevels, q.Level) {
		v.Add("level", "Gunakan urusan, bidang_urusan, program, kegiatan atau sub_kegiatan.")
	}
	if q.FiscalYear < 0 {
		v.Add("fiscal_year", "Tahun anggaran tidak valid.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	var (
		version NomenclatureVersion
		err     error
	)
	if q.FiscalYear == 0 {
		version, err = db.newestNomenclatureVersion(ctx)
	} else {
		version, err = db.NomenclatureVersionFor(ctx, q.FiscalYear)
	}
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return []NomenclatureRow{}, nil
	}
	if err != nil {
		return nil, err
	}
	tx := db.orm.WithContext(ctx).Where("version_id = ?", version.ID)
	if q.PemdaLevel != "" {
		tx = tx.Where("pemda_level IN ?", []string{string(q.PemdaLevel), string(PemdaBoth)})
	}
	if q.Level != "" {
		tx = tx.Where("level = ?", string(q.Level))
	}
	if s := strings.TrimSpace(q.Q); s != "" {
		pattern := "%" + likeEscaper.Replace(strings.ToLower(s)) + "%"
		tx = tx.Where(`(LOWER(code) LIKE ? ESCAPE '\' OR LOWER(name) LIKE ? ESCAPE '\')`, pattern, pattern)
	}
	var rows []nomenclatureRow
	if err := tx.Order("code").Order("pemda_level").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("search nomenclature: %w", err)
	}
	out := make([]NomenclatureRow, len(rows))
	for i, r := range rows {
		out[i] = r.row()
	}
	return out, nil
}

// likeEscaper makes user input literal inside a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// GetSubKegiatan returns the sub kegiatan code of the version in force for
// fiscalYear; SIPD mapping accepts nothing else. It is ENOTFOUND when the
// code is not a sub kegiatan of that version. The caller checks the pemda
// level against the proposal's (PemdaLevel of the row).
func (db *DB) GetSubKegiatan(ctx context.Context, fiscalYear int, code string) (NomenclatureRow, error) {
	version, err := db.NomenclatureVersionFor(ctx, fiscalYear)
	if err != nil {
		return NomenclatureRow{}, err
	}
	var row nomenclatureRow
	err = db.orm.WithContext(ctx).
		Where("version_id = ? AND code = ? AND level = ?", version.ID, code, string(NomenSubKegiatan)).
		Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return NomenclatureRow{}, domain.Errorf(domain.ENOTFOUND,
			"Kode sub kegiatan %q tidak ada dalam nomenklatur yang berlaku untuk tahun anggaran %d (%s).",
			code, fiscalYear, version.Name)
	}
	if err != nil {
		return NomenclatureRow{}, fmt.Errorf("get sub kegiatan %s: %w", code, err)
	}
	return row.row(), nil
}

// nomenclatureBatch returns the rows per INSERT: 10 parameters each, well
// below PostgreSQL's parameter limit; smaller for SQLite, whose driver binds
// parameters in time quadratic in their number per statement.
func (db *DB) nomenclatureBatch() int {
	if db.Dialect == SQLite {
		return 50
	}
	return 500
}

// CreateNomenclatureVersion stores a new version and all its rows in one
// transaction: an import either lands whole or not at all, so no fiscal year
// ever sees half a lampiran. A version for a valid_from_year that already
// exists is refused with ECONFLICT (versions are never overwritten: proposals
// already mapped against them must stay checkable). Rows are expected to be
// validated already (refdata.ParseNomenclature); a duplicate (code,
// pemda_level) is EINVALID. It returns the stored version with its ID.
func (db *DB) CreateNomenclatureVersion(ctx context.Context, version NomenclatureVersion, rows []NomenclatureRow) (NomenclatureVersion, error) {
	var v domain.Validation
	if strings.TrimSpace(version.Name) == "" {
		v.Add("name", "Nama versi nomenklatur wajib diisi.")
	}
	if version.ValidFromYear < 1900 || version.ValidFromYear > 9999 {
		v.Add("valid_from_year", "Tahun berlaku %d tidak valid.", version.ValidFromYear)
	}
	if len(rows) == 0 {
		v.Add("rows", "Versi nomenklatur tanpa baris tidak dapat disimpan.")
	}
	if err := v.Err(); err != nil {
		return NomenclatureVersion{}, err
	}
	if version.ImportedAt.IsZero() {
		version.ImportedAt = time.Now().UTC()
	}
	vrow := nomenclatureVersionRow{
		Name: version.Name, Regulation: version.Regulation, ValidFromYear: version.ValidFromYear,
		Source: version.Source, ImportedAt: version.ImportedAt.UTC(),
	}
	conflict := domain.Errorf(domain.ECONFLICT,
		"Nomenklatur yang berlaku mulai tahun anggaran %d sudah ada; versi yang sudah dimuat tidak ditimpa.", version.ValidFromYear)
	err := db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&nomenclatureVersionRow{}).Where("valid_from_year = ?", version.ValidFromYear).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return conflict
		}
		if err := tx.Create(&vrow).Error; err != nil {
			if IsUniqueViolation(err) {
				return conflict // a concurrent import of the same year won
			}
			return err
		}
		for chunk := range slices.Chunk(rows, db.nomenclatureBatch()) {
			args := make([]any, 0, 10*len(chunk))
			for _, r := range chunk {
				args = append(args, vrow.ID, r.Code, string(r.PemdaLevel), string(r.Level), r.Name,
					r.Kinerja, r.Indikator, r.Satuan, r.Status, r.Source)
			}
			query := "INSERT INTO nomenclature (version_id, code, pemda_level, level, name, kinerja, indikator, satuan, status, source) VALUES " +
				db.valuesList(len(chunk), 10)
			if _, err := execRaw(ctx, tx, query, args); err != nil {
				if isDuplicateKey(err) {
					return domain.Errorf(domain.EINVALID, "Ada kode nomenklatur yang ganda (kode dan pemda_level sama).")
				}
				if isCheckViolation(err) {
					return domain.Errorf(domain.EINVALID, "Ada baris nomenklatur dengan level atau pemda_level yang tidak dikenal.")
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return NomenclatureVersion{}, err
		}
		return NomenclatureVersion{}, fmt.Errorf("create nomenclature version %d: %w", version.ValidFromYear, err)
	}
	out := vrow.version()
	out.Rows = int64(len(rows))
	return out, nil
}

// isDuplicateKey recognises a unique violation from a raw (untranslated)
// driver error of either engine.
func isDuplicateKey(err error) bool {
	if IsUniqueViolation(err) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "PRIMARY KEY constraint failed")
}

// isCheckViolation recognises a CHECK constraint failure of either engine.
func isCheckViolation(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 23514") || strings.Contains(s, "CHECK constraint failed")
}
