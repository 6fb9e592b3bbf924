package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/rencana-id/rencana/internal/domain"
)

// indicatorRow is one year's aggregate of koperasi_years.
type indicatorRow struct {
	Child           string // the child region (ChildIndicators only)
	Year            int
	Active          int64
	Inactive        int64
	Dissolved       int64
	New             int64 `gorm:"column:new_count"`
	RATHeld         int64 `gorm:"column:rat_held"`
	Berkualitas     int64
	Members         int64
	ModalSendiriIDR int64 `gorm:"column:modal_sendiri_idr"`
	ModalLuarIDR    int64 `gorm:"column:modal_luar_idr"`
	VolumeUsahaIDR  int64 `gorm:"column:volume_usaha_idr"`
	SHUIDR          int64 `gorm:"column:shu_idr"`
}

// indicatorSelect sums the derived flags and figures of koperasi_years.
const indicatorSelect = `year,
	SUM(CASE WHEN status = 'aktif' THEN 1 ELSE 0 END) AS active,
	SUM(CASE WHEN status = 'tidak_aktif' THEN 1 ELSE 0 END) AS inactive,
	SUM(CASE WHEN status = 'dibubarkan' THEN 1 ELSE 0 END) AS dissolved,
	SUM(CASE WHEN is_new THEN 1 ELSE 0 END) AS new_count,
	SUM(CASE WHEN rat_held THEN 1 ELSE 0 END) AS rat_held,
	SUM(CASE WHEN berkualitas THEN 1 ELSE 0 END) AS berkualitas,
	COALESCE(SUM(members), 0) AS members,
	COALESCE(SUM(modal_sendiri_idr), 0) AS modal_sendiri_idr,
	COALESCE(SUM(modal_luar_idr), 0) AS modal_luar_idr,
	COALESCE(SUM(volume_usaha_idr), 0) AS volume_usaha_idr,
	COALESCE(SUM(shu_idr), 0) AS shu_idr`

func (r indicatorRow) indicators(region string) domain.KoperasiIndicators {
	return domain.KoperasiIndicators{Region: region, Year: r.Year, Active: r.Active, Inactive: r.Inactive, Dissolved: r.Dissolved,
		New: r.New, RATHeld: r.RATHeld, Berkualitas: r.Berkualitas, Members: r.Members, ModalSendiriIDR: r.ModalSendiriIDR,
		ModalLuarIDR: r.ModalLuarIDR, VolumeUsahaIDR: r.VolumeUsahaIDR, SHUIDR: r.SHUIDR}
}

// KoperasiIndicators computes the register's indicators of region (any
// level, or "*" for the country) for year and, as Previous, for year-1
// (nil when that year has no rows), in one aggregate query over a range of
// the (year, region_code) index. A year without rows gives zeros.
func (db *DB) KoperasiIndicators(ctx context.Context, region string, year int) (domain.KoperasiIndicators, error) {
	byYear, err := db.indicatorsByYear(ctx, region, []int{year, year - 1})
	if err != nil {
		return domain.KoperasiIndicators{}, err
	}
	out, ok := byYear[year]
	if !ok {
		out = domain.KoperasiIndicators{Region: region, Year: year}
	}
	if prev, ok := byYear[year-1]; ok {
		out.Previous = &prev
	}
	return out, nil
}

// KoperasiIndicatorSeries computes the indicators of region for every
// year from first to last (the dashboard's charts); a year without rows
// is absent from the map.
func (db *DB) KoperasiIndicatorSeries(ctx context.Context, region string, first, last int) (map[int]domain.KoperasiIndicators, error) {
	var years []int
	for y := first; y <= last; y++ {
		years = append(years, y)
	}
	return db.indicatorsByYear(ctx, region, years)
}

func (db *DB) indicatorsByYear(ctx context.Context, region string, years []int) (map[int]domain.KoperasiIndicators, error) {
	var rows []indicatorRow
	q := db.orm.WithContext(ctx)
	if isDesa(region) {
		cond, args := regionRange("region_code", region)
		q = q.Table("koperasi_years").Select(indicatorSelect).Where(cond, args...)
	} else {
		cond, args := areaRange(region)
		q = q.Table("koperasi_area_years").Select(areaSelect).Where(cond, args...)
	}
	if err := q.Where("year IN ?", years).Group("year").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("koperasi indicators %s: %w", region, err)
	}
	out := make(map[int]domain.KoperasiIndicators, len(rows))
	for _, r := range rows {
		out[r.Year] = r.indicators(region)
	}
	return out, nil
}

// areaSelect sums the rows of koperasi_area_years: the same columns as
// indicatorSelect.
const areaSelect = `year, SUM(active) AS active, SUM(inactive) AS inactive, SUM(dissolved) AS dissolved,
	SUM(new_count) AS new_count, SUM(rat_held) AS rat_held, SUM(berkualitas) AS berkualitas, SUM(members) AS members,
	SUM(modal_sendiri_idr) AS modal_sendiri_idr, SUM(modal_luar_idr) AS modal_luar_idr,
	SUM(volume_usaha_idr) AS volume_usaha_idr, SUM(shu_idr) AS shu_idr`

func isDesa(region string) bool {
	lvl, err := domain.ParseRegionCode(region)
	return err == nil && lvl == domain.LevelDesa
}

// areaRange is the condition "kecamatan_code lies in region" for a
// kecamatan or wider region ("*": everything).
func areaRange(region string) (string, []any) {
	return regionRange("kecamatan_code", region)
}

// refreshAreaYears rewrites, inside tx, the per-kecamatan sums of year
// for the kecamatan in region (a kab/kota or kecamatan) from
// koperasi_years. Every write of koperasi_years calls it before its
// transaction commits, so the sums are never stale.
func refreshAreaYears(tx *gorm.DB, year int, region string) error {
	cond, args := areaRange(region)
	if err := tx.Exec("DELETE FROM koperasi_area_years WHERE year = ? AND "+cond, append([]any{year}, args...)...).Error; err != nil {
		return fmt.Errorf("clear area sums %s/%d: %w", region, year, err)
	}
	ycond, yargs := regionRange("region_code", region)
	err := tx.Exec(`INSERT INTO koperasi_area_years (year, kecamatan_code, active, inactive, dissolved, new_count, rat_held,
		berkualitas, members, modal_sendiri_idr, modal_luar_idr, volume_usaha_idr, shu_idr)
		SELECT `+strings.Replace(indicatorSelect, "year,", "year, SUBSTR(region_code, 1, 8),", 1)+`
		FROM koperasi_years WHERE year = ? AND `+ycond+` GROUP BY year, SUBSTR(region_code, 1, 8)`,
		append([]any{year}, yargs...)...).Error
	if err != nil {
		return fmt.Errorf("sum area %s/%d: %w", region, year, err)
	}
	return nil
}

// ChildIndicators computes the indicators of year for each region one
// level below parent ("" or "*": the provinces), keyed by child code, in
// one query grouped by the child's code prefix.
func (db *DB) ChildIndicators(ctx context.Context, parent string, year int) (map[string]domain.KoperasiIndicators, error) {
	// A child code is the first len(parent)+3 characters ("74" → "74.05",
	// "74.05" → "74.05.03", "74.05.03" → "74.05.03.2001").
	n := 2
	switch lvl, _ := domain.ParseRegionCode(parent); lvl {
	case domain.LevelProvinsi:
		n = 5
	case domain.LevelKabKota:
		n = 8
	case domain.LevelKecamatan:
		n = 13
	case domain.LevelDesa:
		return map[string]domain.KoperasiIndicators{}, nil
	}
	var rows []indicatorRow
	var err error
	if n == 13 { // desa of a kecamatan: from the koperasi themselves
		cond, args := regionRange("region_code", parent)
		err = db.orm.WithContext(ctx).Table("koperasi_years").
			Select(fmt.Sprintf("SUBSTR(region_code, 1, %d) AS child, %s", n, indicatorSelect)).
			Where("year = ?", year).Where(cond, args...).Group(fmt.Sprintf("SUBSTR(region_code, 1, %d), year", n)).Scan(&rows).Error
	} else {
		cond, args := areaRange(parent)
		err = db.orm.WithContext(ctx).Table("koperasi_area_years").
			Select(fmt.Sprintf("SUBSTR(kecamatan_code, 1, %d) AS child, %s", n, areaSelect)).
			Where("year = ?", year).Where(cond, args...).Group(fmt.Sprintf("SUBSTR(kecamatan_code, 1, %d), year", n)).Scan(&rows).Error
	}
	if err != nil {
		return nil, fmt.Errorf("child indicators %s: %w", parent, err)
	}
	out := make(map[string]domain.KoperasiIndicators, len(rows))
	for _, r := range rows {
		out[r.Child] = r.indicators(r.Child)
	}
	return out, nil
}

// RoundDiffItem is one koperasi that appeared, disappeared or changed
// status between a year and the one before.
type RoundDiffItem struct {
	KoperasiID string                `json:"koperasi_id"`
	Name       string                `json:"name"`
	NIK        string                `json:"nik"`
	RegionCode string                `json:"region_code"`
	From       domain.KoperasiStatus `json:"from_status,omitempty"`
	To         domain.KoperasiStatus `json:"to_status,omitempty"`
}

// RoundDiff is a round's register against the year before: the koperasi
// with a row only this year (appeared), only last year (disappeared), and
// in both with another status (changed). Each list holds at most
// MaxDiffItems; the counts are complete.
type RoundDiff struct {
	Region           string          `json:"region"`
	Year             int             `json:"year"`
	AppearedCount    int64           `json:"appeared_count"`
	DisappearedCount int64           `json:"disappeared_count"`
	ChangedCount     int64           `json:"changed_count"`
	Appeared         []RoundDiffItem `json:"appeared"`
	Disappeared      []RoundDiffItem `json:"disappeared"`
	Changed          []RoundDiffItem `json:"changed"`
}

// MaxDiffItems bounds each list of a RoundDiff.
const MaxDiffItems = 500

// DataRoundDiff compares region's register of year with year-1.
func (db *DB) DataRoundDiff(ctx context.Context, region string, year int) (RoundDiff, error) {
	out := RoundDiff{Region: region, Year: year, Appeared: []RoundDiffItem{}, Disappeared: []RoundDiffItem{}, Changed: []RoundDiffItem{}}
	cond, args := regionRange("a.region_code", region)
	// rows of year a with no (or another status) row in year b
	query := func(a, b int, changed bool) (string, []any) {
		join := "LEFT JOIN koperasi_years b ON b.koperasi_id = a.koperasi_id AND b.year = ?"
		where := "b.koperasi_id IS NULL"
		if changed {
			join = "JOIN koperasi_years b ON b.koperasi_id = a.koperasi_id AND b.year = ?"
			where = "b.status <> a.status"
		}
		sql := "FROM koperasi_years a JOIN koperasi k ON k.id = a.koperasi_id " + join +
			" WHERE a.year = ? AND " + cond + " AND " + where
		return sql, append([]any{b, a}, args...)
	}
	lists := []struct {
		a, b    int
		changed bool
		count   *int64
		items   *[]RoundDiffItem
	}{
		{year, year - 1, false, &out.AppearedCount, &out.Appeared},
		{year - 1, year, false, &out.DisappearedCount, &out.Disappeared},
		{year, year - 1, true, &out.ChangedCount, &out.Changed},
	}
	for _, l := range lists {
		from, qargs := query(l.a, l.b, l.changed)
		if err := db.orm.WithContext(ctx).Raw("SELECT COUNT(*) "+from, qargs...).Scan(l.count).Error; err != nil {
			return out, fmt.Errorf("round diff %s/%d: %w", region, year, err)
		}
		var rows []struct {
			KoperasiID, Name, RegionCode string
			NIK                          *string
			AStatus, BStatus             *string
		}
		sel := "SELECT a.koperasi_id, k.name, a.region_code, k.nik, a.status AS a_status, b.status AS b_status "
		if err := db.orm.WithContext(ctx).Raw(sel+from+" ORDER BY k.name, a.koperasi_id LIMIT ?", append(qargs, MaxDiffItems)...).Scan(&rows).Error; err != nil {
			return out, fmt.Errorf("round diff %s/%d: %w", region, year, err)
		}
		for _, r := range rows {
			it := RoundDiffItem{KoperasiID: r.KoperasiID, Name: r.Name, NIK: ptrStr(r.NIK), RegionCode: r.RegionCode}
			switch {
			case l.changed:
				it.From, it.To = domain.KoperasiStatus(ptrStr(r.BStatus)), domain.KoperasiStatus(ptrStr(r.AStatus))
			case l.a == year:
				it.To = domain.KoperasiStatus(ptrStr(r.AStatus))
			default:
				it.From = domain.KoperasiStatus(ptrStr(r.AStatus))
			}
			*l.items = append(*l.items, it)
		}
	}
	return out, nil
}
