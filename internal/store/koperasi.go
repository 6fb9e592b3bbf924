package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rencana-id/rencana/internal/domain"
)

// The koperasi register (issue 17): koperasi, their yearly rows, the UMKM
// figures. Writes to a kab/kota's register for a year are allowed only
// while its data round for that year is editable (open or returned); the
// check runs in the writing transaction, under a lock on the round's row on
// PostgreSQL, so a write and the round's submit are ordered.

type koperasiRow struct {
	ID             string `gorm:"primaryKey"`
	NIK            *string
	BadanHukumNo   string
	BadanHukumDate string
	Name           string
	Jenis          string
	RegionCode     string
	KMP            bool `gorm:"column:kmp"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (koperasiRow) TableName() string { return "koperasi" }

func (r koperasiRow) koperasi() domain.Koperasi {
	k := domain.Koperasi{ID: r.ID, BadanHukumNo: r.BadanHukumNo, BadanHukumDate: r.BadanHukumDate, Name: r.Name,
		Jenis: domain.Jenis(r.Jenis), RegionCode: r.RegionCode, KMP: r.KMP, Years: []domain.KoperasiYear{}}
	if r.NIK != nil {
		k.NIK = *r.NIK
	}
	return k
}

type koperasiYearRow struct {
	KoperasiID      string `gorm:"primaryKey"`
	Year            int    `gorm:"primaryKey"`
	RegionCode      string
	Status          string
	RATDate         string `gorm:"column:rat_date"`
	Members         int64
	ModalSendiriIDR int64 `gorm:"column:modal_sendiri_idr"`
	ModalLuarIDR    int64 `gorm:"column:modal_luar_idr"`
	VolumeUsahaIDR  int64 `gorm:"column:volume_usaha_idr"`
	SHUIDR          int64 `gorm:"column:shu_idr"`
	IsNew           bool
	RATHeld         bool `gorm:"column:rat_held"`
	Berkualitas     bool
	UpdatedBy       string
	UpdatedAt       time.Time
}

func (koperasiYearRow) TableName() string { return "koperasi_years" }

func (r koperasiYearRow) year() domain.KoperasiYear {
	return domain.KoperasiYear{Year: r.Year, Status: domain.KoperasiStatus(r.Status), RATDate: r.RATDate, Members: r.Members,
		ModalSendiriIDR: r.ModalSendiriIDR, ModalLuarIDR: r.ModalLuarIDR, VolumeUsahaIDR: r.VolumeUsahaIDR,
		SHUIDR: r.SHUIDR, Berkualitas: r.Berkualitas}
}

// yearRow builds the stored row of y for koperasi k; the derived flags are
// computed here, from the domain's rules, and nowhere else.
func yearRow(k domain.Koperasi, y domain.KoperasiYear, by string, at time.Time) koperasiYearRow {
	return koperasiYearRow{
		KoperasiID: k.ID, Year: y.Year, RegionCode: k.RegionCode, Status: string(y.Status), RATDate: y.RATDate,
		Members: y.Members, ModalSendiriIDR: y.ModalSendiriIDR, ModalLuarIDR: y.ModalLuarIDR,
		VolumeUsahaIDR: y.VolumeUsahaIDR, SHUIDR: y.SHUIDR,
		IsNew:   strings.HasPrefix(k.BadanHukumDate, fmt.Sprint(y.Year)+"-"),
		RATHeld: y.RATHeld(), Berkualitas: y.IsBerkualitas(), UpdatedBy: by, UpdatedAt: at.UTC(),
	}
}

// sameYear reports whether a stored year row already says what r says.
func sameYear(a, b koperasiYearRow) bool {
	return a.RegionCode == b.RegionCode && a.Status == b.Status && a.RATDate == b.RATDate && a.Members == b.Members &&
		a.ModalSendiriIDR == b.ModalSendiriIDR && a.ModalLuarIDR == b.ModalLuarIDR &&
		a.VolumeUsahaIDR == b.VolumeUsahaIDR && a.SHUIDR == b.SHUIDR && a.IsNew == b.IsNew
}

func sameIdentity(a, b koperasiRow) bool {
	return ptrStr(a.NIK) == ptrStr(b.NIK) && a.BadanHukumNo == b.BadanHukumNo && a.BadanHukumDate == b.BadanHukumDate &&
		a.Name == b.Name && a.Jenis == b.Jenis && a.RegionCode == b.RegionCode && a.KMP == b.KMP
}

func ptrStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// KoperasiID is the id a new koperasi gets: derived from its key (NIK, else
// badan hukum number) so the same register loaded twice, as the demo does,
// gets the same ids. It never changes afterwards, whatever its key becomes.
func KoperasiID(nik, badanHukumNo string) string {
	key := "bh:" + badanHukumNo
	if nik != "" {
		key = "nik:" + nik
	}
	sum := sha256.Sum256([]byte(key))
	return "kop-" + hex.EncodeToString(sum[:8])
}

// regionRange is inRegion as a condition that is never empty: "" and "*"
// are everything ("1 = 1").
func regionRange(column, region string) (string, []any) {
	if region == "" {
		return "1 = 1", nil
	}
	if sql, args := inRegion(column, region); sql != "" {
		return sql, args
	}
	return "1 = 1", nil
}

// scopesRange is regionRange for any of scopes; ok is false when they
// cover nothing.
func scopesRange(column string, scopes []string) (string, []any, bool) {
	var parts []string
	var args []any
	for _, s := range scopes {
		if s == domain.NationalScope {
			return "1 = 1", nil, true
		}
		if s == "" {
			continue
		}
		sql, a := regionRange(column, s)
		parts = append(parts, sql)
		args = append(args, a...)
	}
	if len(parts) == 0 {
		return "", nil, false
	}
	return "(" + strings.Join(parts, " OR ") + ")", args, true
}

// --- the round's gate --------------------------------------------------------

// editableRound checks, inside tx, that the data round of kabkota for year
// lets its register change: it exists and is open or returned. On
// PostgreSQL the round's row stays locked until tx ends, so the round
// cannot be submitted halfway through a write.
func (db *DB) editableRound(tx *gorm.DB, kabkota string, year int) error {
	q := "SELECT status FROM data_rounds WHERE region_code = ? AND year = ?"
	if db.Dialect == Postgres {
		q += " FOR UPDATE"
	}
	var status []string
	if err := tx.Raw(q, kabkota, year).Scan(&status).Error; err != nil {
		return fmt.Errorf("read data round %s/%d: %w", kabkota, year, err)
	}
	if len(status) == 0 {
		return domain.Errorf(domain.ECONFLICT, "Putaran data %s tahun %d belum dibuka oleh provinsi.", kabkota, year)
	}
	st := domain.RoundStatus(status[0])
	switch {
	case st == domain.RoundAccepted:
		return domain.Errorf(domain.ECONFLICT, "Putaran data %s tahun %d sudah diterima provinsi dan dibekukan; perubahan memerlukan revisi baru yang dibuka provinsi.", kabkota, year)
	case !st.Editable():
		return domain.Errorf(domain.ECONFLICT, "Putaran data %s tahun %d berstatus %s; data hanya dapat diubah saat putaran terbuka atau dikembalikan.", kabkota, year, st.Label())
	}
	return nil
}

// --- import --------------------------------------------------------------------

// ImportRow is one parsed and checked row of a register file: Row is its
// line in the file (2 is the first data row).
type ImportRow struct {
	Row      int
	Koperasi domain.Koperasi
	Year     domain.KoperasiYear
}

// ImportBatch is what an import source yields at a time: good rows, and
// the errors of bad ones (with their row numbers).
type ImportBatch struct {
	Rows   []ImportRow
	Errors []domain.FieldError
}

// ImportOptions say what an import is for: the kab/kota's register for
// Year, by Actor, written (or, DryRun, only counted).
type ImportOptions struct {
	KabKota string
	Year    int
	Actor   string
	DryRun  bool
	Now     time.Time
}

// ImportResult is the preview or the outcome of an import, counted against
// the year's register before it: added (no row that year), changed,
// unchanged.
type ImportResult struct {
	Added     int                 `json:"added"`
	Changed   int                 `json:"changed"`
	Unchanged int                 `json:"unchanged"`
	Errors    []domain.FieldError `json:"errors"`
}

// MaxImportErrors bounds the row errors an import reports; past it the
// file is plainly the wrong one and the first errors say why.
const MaxImportErrors = 1000

// errRollback ends a dry run's or a refused import's transaction.
var errRollback = errors.New("import rolled back")

// ImportKoperasi writes a register file in one transaction, batch by batch
// as next yields them (next returns nil at the end), so memory stays flat
// whatever the file's size. Every batch is also checked against the
// database (regions, koperasi of other kab/kota, keys taken by another
// koperasi). When any row is bad, or for a dry run, the transaction is
// rolled back: nothing is written, and the result (counts, or every row
// error) is returned. A refused import is a *domain.Error of code EINVALID
// whose Fields carry the rows; a round that is not editable is ECONFLICT.
func (db *DB) ImportKoperasi(ctx context.Context, opts ImportOptions, next func() (*ImportBatch, error)) (ImportResult, error) {
	res := ImportResult{Errors: []domain.FieldError{}}
	regions := map[string]bool{} // desa code → exists as a desa/kelurahan
	next, stop := prefetch(next)
	defer stop()
	err := db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := db.editableRound(tx, opts.KabKota, opts.Year); err != nil {
			return err
		}
		if db.Dialect == SQLite {
			// A national file touches indexes far larger than SQLite's
			// default 2 MB page cache; with it every random index insert
			// re-read pages from the WAL and 200,000 rows took minutes.
			// 128 MB (allocated by SQLite as needed, kept for the
			// connection) makes the import linear.
			if err := tx.Exec("PRAGMA cache_size = -131072").Error; err != nil {
				return fmt.Errorf("sqlite cache size: %w", err)
			}
		}
		for {
			b, err := next()
			if err != nil {
				return err
			}
			if b == nil {
				break
			}
			res.Errors = appendErrors(res.Errors, b.Errors...)
			if err := db.importBatch(tx, opts, b.Rows, regions, &res); err != nil {
				return err
			}
		}
		if len(res.Errors) > 0 || opts.DryRun {
			return errRollback
		}
		return refreshAreaYears(tx, opts.Year, opts.KabKota)
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	if err != nil {
		return ImportResult{}, err
	}
	if len(res.Errors) > 0 {
		return res, &domain.Error{Code: domain.EINVALID, Fields: res.Errors,
			Message: fmt.Sprintf("Berkas ditolak: %d kesalahan; tidak ada data yang disimpan. Perbaiki baris yang disebut lalu unggah ulang.", len(res.Errors))}
	}
	return res, nil
}

// prefetch runs next in a goroutine two batches ahead, so parsing the
// file overlaps with the database writing the batch before. stop ends the
// goroutine when the import returns early.
func prefetch(next func() (*ImportBatch, error)) (func() (*ImportBatch, error), func()) {
	type item struct {
		b   *ImportBatch
		err error
	}
	ch := make(chan item, 2)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			b, err := next()
			select {
			case ch <- item{b, err}:
			case <-done:
				return
			}
			if b == nil || err != nil {
				return
			}
		}
	}()
	var once sync.Once
	return func() (*ImportBatch, error) {
			it, ok := <-ch
			if !ok {
				return nil, nil
			}
			return it.b, it.err
		}, func() {
			once.Do(func() { close(done) })
			for range ch { // let a next() in flight finish
			}
		}
}

func appendErrors(dst []domain.FieldError, errs ...domain.FieldError) []domain.FieldError {
	for _, e := range errs {
		if len(dst) >= MaxImportErrors {
			return dst
		}
		dst = append(dst, e)
	}
	return dst
}

// importBatch checks rows against the database and, while the file is
// still good, writes them.
func (db *DB) importBatch(tx *gorm.DB, opts ImportOptions, rows []ImportRow, regions map[string]bool, res *ImportResult) error {
	if len(rows) == 0 {
		return nil
	}
	var unknown, niks, bhs []string
	for _, r := range rows {
		if _, ok := regions[r.Koperasi.RegionCode]; !ok {
			unknown = append(unknown, r.Koperasi.RegionCode)
			regions[r.Koperasi.RegionCode] = false
		}
		if r.Koperasi.NIK != "" {
			niks = append(niks, r.Koperasi.NIK)
		}
		bhs = append(bhs, r.Koperasi.BadanHukumNo)
	}
	if len(unknown) > 0 {
		var found []string
		if err := tx.Model(&regionRow{}).Where("code IN ? AND level = ?", unknown, int(domain.LevelDesa)).Pluck("code", &found).Error; err != nil {
			return fmt.Errorf("check regions: %w", err)
		}
		for _, c := range found {
			regions[c] = true
		}
	}
	// Two queries, not one with OR: each uses its unique index, where an
	// OR made SQLite scan the table for every batch.
	var existing, byNIKRows []koperasiRow
	if err := tx.Where("badan_hukum_no IN ?", bhs).Find(&existing).Error; err != nil {
		return fmt.Errorf("find koperasi: %w", err)
	}
	if len(niks) > 0 {
		if err := tx.Where("nik IN ?", niks).Find(&byNIKRows).Error; err != nil {
			return fmt.Errorf("find koperasi: %w", err)
		}
	}
	known := make(map[string]bool, len(existing))
	for _, k := range existing {
		known[k.ID] = true
	}
	for _, k := range byNIKRows {
		if !known[k.ID] {
			existing = append(existing, k)
		}
	}
	byNIK, byBH := map[string]koperasiRow{}, map[string]koperasiRow{}
	for _, k := range existing {
		if k.NIK != nil {
			byNIK[*k.NIK] = k
		}
		byBH[k.BadanHukumNo] = k
	}
	ids := make([]string, 0, len(existing))
	for _, k := range existing {
		ids = append(ids, k.ID)
	}
	years := map[string]koperasiYearRow{}
	if len(ids) > 0 {
		var ys []koperasiYearRow
		if err := tx.Where("year = ? AND koperasi_id IN ?", opts.Year, ids).Find(&ys).Error; err != nil {
			return fmt.Errorf("find koperasi years: %w", err)
		}
		for _, y := range ys {
			years[y.KoperasiID] = y
		}
	}
	var kopRows []koperasiRow
	var yRows []koperasiYearRow
	bad := func(row int, field, format string, args ...any) {
		res.Errors = appendErrors(res.Errors, domain.FieldError{Row: row, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for _, r := range rows {
		k := r.Koperasi
		if !regions[k.RegionCode] {
			bad(r.Row, "kode_wilayah", "Kode %s bukan desa/kelurahan yang terdaftar pada data wilayah Kemendagri.", k.RegionCode)
			continue
		}
		cur, found := koperasiRow{}, false
		if k.NIK != "" {
			cur, found = byNIK[k.NIK]
		}
		if other, ok := byBH[k.BadanHukumNo]; ok {
			switch {
			case !found && other.NIK != nil && k.NIK != "":
				bad(r.Row, "badan_hukum_no", "Nomor badan hukum %s sudah dipakai koperasi lain (NIK %s).", k.BadanHukumNo, *other.NIK)
				continue
			case found && other.ID != cur.ID:
				bad(r.Row, "badan_hukum_no", "Nomor badan hukum %s sudah dipakai koperasi lain (%s).", k.BadanHukumNo, other.Name)
				continue
			case !found:
				cur, found = other, true
			}
		}
		if found && !domain.ScopeCovers(opts.KabKota, cur.RegionCode) {
			bad(r.Row, "kode_wilayah", "Koperasi ini terdaftar di wilayah %s, di luar %s; pindah kab/kota diurus oleh kedua operator.", cur.RegionCode, opts.KabKota)
			continue
		}
		if found {
			k.ID = cur.ID
		} else {
			k.ID = KoperasiID(k.NIK, k.BadanHukumNo)
		}
		kr := koperasiRow{ID: k.ID, BadanHukumNo: k.BadanHukumNo, BadanHukumDate: k.BadanHukumDate, Name: strings.TrimSpace(k.Name),
			Jenis: string(k.Jenis), RegionCode: k.RegionCode, KMP: k.KMP, CreatedAt: opts.Now.UTC(), UpdatedAt: opts.Now.UTC()}
		if k.NIK != "" {
			nik := k.NIK
			kr.NIK = &nik
		} else if found {
			kr.NIK = cur.NIK // a file without the NIK does not erase a known one
		}
		y := r.Year
		y.Year = opts.Year
		yr := yearRow(k, y, opts.Actor, opts.Now)
		prev, hadYear := years[k.ID]
		switch {
		case !hadYear:
			res.Added++
		case sameYear(prev, yr) && found && sameIdentity(cur, kr):
			res.Unchanged++
			continue
		default:
			res.Changed++
		}
		// Later rows of this batch see this one (a key reused in the file
		// is refused by the parser; this keeps counts exact anyway).
		byBH[kr.BadanHukumNo] = kr
		if kr.NIK != nil {
			byNIK[*kr.NIK] = kr
		}
		years[k.ID] = yr
		if !found || !sameIdentity(cur, kr) {
			if found {
				kr.CreatedAt = cur.CreatedAt
			}
			kopRows = append(kopRows, kr)
		}
		yRows = append(yRows, yr)
	}
	if len(res.Errors) > 0 || opts.DryRun {
		return nil // checked only: the transaction will be rolled back
	}
	// The SQLite driver binds each parameter by scanning the statement's
	// arguments (quadratic in their number): 50 rows per INSERT is many
	// times faster per row there than 1,000. PostgreSQL takes the batch.
	chunk := len(rows)
	if db.Dialect == SQLite {
		chunk = 50
	}
	if len(kopRows) > 0 {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "id"}},
			DoUpdates: clause.AssignmentColumns([]string{"nik", "badan_hukum_no", "badan_hukum_date", "name", "jenis", "region_code", "kmp", "updated_at"}),
		}).CreateInBatches(&kopRows, chunk).Error
		if err != nil {
			return fmt.Errorf("write koperasi: %w", err)
		}
	}
	if len(yRows) > 0 {
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "koperasi_id"}, {Name: "year"}},
			DoUpdates: clause.AssignmentColumns([]string{"region_code", "status", "rat_date", "members", "modal_sendiri_idr",
				"modal_luar_idr", "volume_usaha_idr", "shu_idr", "is_new", "rat_held", "berkualitas", "updated_by", "updated_at"}),
		}).CreateInBatches(&yRows, chunk).Error
		if err != nil {
			return fmt.Errorf("write koperasi years: %w", err)
		}
	}
	return nil
}

// --- reading -------------------------------------------------------------------

// GetKoperasi returns a koperasi with every year, oldest first, when it
// lies in one of scopes; ENOTFOUND otherwise (another region's koperasi is
// not even shown to exist).
func (db *DB) GetKoperasi(ctx context.Context, id string, scopes []string) (domain.Koperasi, error) {
	notFound := domain.Errorf(domain.ENOTFOUND, "Koperasi %q tidak ditemukan.", id)
	cond, args, ok := scopesRange("region_code", scopes)
	if !ok {
		return domain.Koperasi{}, notFound
	}
	var rows []koperasiRow
	if err := db.orm.WithContext(ctx).Where("id = ?", id).Where(cond, args...).Find(&rows).Error; err != nil {
		return domain.Koperasi{}, fmt.Errorf("get koperasi %s: %w", id, err)
	}
	if len(rows) == 0 {
		return domain.Koperasi{}, notFound
	}
	k := rows[0].koperasi()
	var ys []koperasiYearRow
	if err := db.orm.WithContext(ctx).Where("koperasi_id = ?", id).Order("year").Find(&ys).Error; err != nil {
		return domain.Koperasi{}, fmt.Errorf("get koperasi years %s: %w", id, err)
	}
	for _, y := range ys {
		k.Years = append(k.Years, y.year())
	}
	return k, nil
}

// KoperasiQuery selects a page of the register. Scopes are the regions the
// caller may read; Region narrows to a subtree; with Year, only koperasi
// with a row that year are listed, each with that year's row, and Status
// filters on it. Q matches the name (case-insensitively), the NIK or the
// badan hukum number.
type KoperasiQuery struct {
	Scopes []string
	Region string
	Year   int
	Status domain.KoperasiStatus
	Q      string
	After  *KoperasiCursor
	Limit  int
}

// KoperasiCursor is where the previous page ended (the list is in name
// order, then id).
type KoperasiCursor struct {
	Name string `json:"n"`
	ID   string `json:"i"`
}

// KoperasiPage is one page of the register and the cursor of the next.
type KoperasiPage struct {
	Items []domain.Koperasi
	Next  *KoperasiCursor
}

// ListKoperasi returns one page of the register.
func (db *DB) ListKoperasi(ctx context.Context, q KoperasiQuery) (KoperasiPage, error) {
	out := KoperasiPage{Items: []domain.Koperasi{}}
	cond, args, ok := scopesRange("k.region_code", q.Scopes)
	if !ok {
		return out, nil
	}
	limit := pageSize(q.Limit)
	tx := db.orm.WithContext(ctx).Table("koperasi k").Where(cond, args...)
	if q.Region != "" {
		c, a := regionRange("k.region_code", q.Region)
		tx = tx.Where(c, a...)
	}
	if q.Year != 0 {
		tx = tx.Joins("JOIN koperasi_years y ON y.koperasi_id = k.id AND y.year = ?", q.Year)
		if q.Status != "" {
			tx = tx.Where("y.status = ?", string(q.Status))
		}
	}
	if s := strings.TrimSpace(q.Q); s != "" {
		pattern := "%" + likeEscaper.Replace(strings.ToLower(s)) + "%"
		tx = tx.Where(`(LOWER(k.name) LIKE ? ESCAPE '\' OR k.nik = ? OR k.badan_hukum_no = ?)`, pattern, s, s)
	}
	if q.After != nil {
		tx = tx.Where("(k.name > ? OR (k.name = ? AND k.id > ?))", q.After.Name, q.After.Name, q.After.ID)
	}
	var rows []koperasiRow
	if err := tx.Select("k.*").Order("k.name, k.id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return out, fmt.Errorf("list koperasi: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		out.Next = &KoperasiCursor{Name: last.Name, ID: last.ID}
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
		out.Items = append(out.Items, r.koperasi())
	}
	if q.Year != 0 && len(ids) > 0 {
		var ys []koperasiYearRow
		if err := db.orm.WithContext(ctx).Where("year = ? AND koperasi_id IN ?", q.Year, ids).Find(&ys).Error; err != nil {
			return out, fmt.Errorf("list koperasi years: %w", err)
		}
		byID := map[string]domain.KoperasiYear{}
		for _, y := range ys {
			byID[y.KoperasiID] = y.year()
		}
		for i := range out.Items {
			if y, ok := byID[out.Items[i].ID]; ok {
				out.Items[i].Years = []domain.KoperasiYear{y}
			}
		}
	}
	return out, nil
}

// SaveKoperasiYear writes one year of a koperasi (the edit form), in its
// kab/kota's round for that year, which must be editable. It returns the
// koperasi with every year.
func (db *DB) SaveKoperasiYear(ctx context.Context, id string, scopes []string, y domain.KoperasiYear, by string, now time.Time) (domain.Koperasi, error) {
	k, err := db.GetKoperasi(ctx, id, scopes)
	if err != nil {
		return domain.Koperasi{}, err
	}
	if err := y.Validate(k.RegionCode, now); err != nil {
		return domain.Koperasi{}, err
	}
	row := yearRow(k, y, by, now)
	err = db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		kabkota := domain.RegionKabKota(k.RegionCode)
		if err := db.editableRound(tx, kabkota, y.Year); err != nil {
			return err
		}
		// The year's row may sit in another kecamatan (the koperasi moved
		// since): both kecamatan's sums are rewritten.
		var was []string
		if err := tx.Model(&koperasiYearRow{}).Where("koperasi_id = ? AND year = ?", id, y.Year).Pluck("region_code", &was).Error; err != nil {
			return fmt.Errorf("read koperasi year: %w", err)
		}
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "koperasi_id"}, {Name: "year"}},
			DoUpdates: clause.AssignmentColumns([]string{"region_code", "status", "rat_date", "members", "modal_sendiri_idr",
				"modal_luar_idr", "volume_usaha_idr", "shu_idr", "is_new", "rat_held", "berkualitas", "updated_by", "updated_at"}),
		}).Create(&row).Error
		if err != nil {
			return err
		}
		for _, desa := range append(was, k.RegionCode) {
			if err := refreshAreaYears(tx, y.Year, domain.RegionParent(desa)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return domain.Koperasi{}, err
	}
	return db.GetKoperasi(ctx, id, scopes)
}

// --- UMKM figures ----------------------------------------------------------------

type umkmRow struct {
	RegionCode  string `gorm:"primaryKey"`
	Year        int    `gorm:"primaryKey"`
	Mikro       int64
	Kecil       int64
	Menengah    int64
	TenagaKerja int64
	UpdatedBy   string
	UpdatedAt   time.Time
}

func (umkmRow) TableName() string { return "umkm_figures" }

// PutUMKM replaces a kab/kota's UMKM figures for a year; they belong to
// its data round, which must be editable.
func (db *DB) PutUMKM(ctx context.Context, u domain.UMKMFigures, by string, now time.Time) error {
	if err := u.Validate(now); err != nil {
		return err
	}
	row := umkmRow{RegionCode: u.Region, Year: u.Year, Mikro: u.Mikro, Kecil: u.Kecil, Menengah: u.Menengah,
		TenagaKerja: u.TenagaKerja, UpdatedBy: by, UpdatedAt: now.UTC()}
	return db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := db.editableRound(tx, u.Region, u.Year); err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "region_code"}, {Name: "year"}},
			DoUpdates: clause.AssignmentColumns([]string{"mikro", "kecil", "menengah", "tenaga_kerja", "updated_by", "updated_at"}),
		}).Create(&row).Error
	})
}

// GetUMKM returns a kab/kota's UMKM figures for a year, ENOTFOUND when
// none were recorded.
func (db *DB) GetUMKM(ctx context.Context, region string, year int) (domain.UMKMFigures, error) {
	var rows []umkmRow
	if err := db.orm.WithContext(ctx).Where("region_code = ? AND year = ?", region, year).Find(&rows).Error; err != nil {
		return domain.UMKMFigures{}, fmt.Errorf("get umkm %s/%d: %w", region, year, err)
	}
	if len(rows) == 0 {
		return domain.UMKMFigures{}, domain.Errorf(domain.ENOTFOUND, "Data UMKM %s tahun %d belum diisi.", region, year)
	}
	r := rows[0]
	return domain.UMKMFigures{Region: r.RegionCode, Year: r.Year, Mikro: r.Mikro, Kecil: r.Kecil, Menengah: r.Menengah, TenagaKerja: r.TenagaKerja}, nil
}
