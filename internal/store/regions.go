package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/rencana-id/rencana/internal/domain"
)

// Region is one Kemendagri region (provinsi, kab/kota, kecamatan or
// desa/kelurahan). Proposals, scopes and cycles all name regions by Code, so
// this is what the API shows when a user picks or checks a region.
type Region struct {
	Code       string             `json:"code"`
	Name       string             `json:"name"`
	Level      domain.RegionLevel `json:"level"`
	ParentCode string             `json:"parent_code,omitempty"`
}

// regionRow maps the regions table; it stays unexported so GORM types never
// leave the store.
type regionRow struct {
	Code       string `gorm:"primaryKey"`
	Name       string
	Level      int
	ParentCode *string
}

func (regionRow) TableName() string { return "regions" }

func (r regionRow) region() Region {
	reg := Region{Code: r.Code, Name: r.Name, Level: domain.RegionLevel(r.Level)}
	if r.ParentCode != nil {
		reg.ParentCode = *r.ParentCode
	}
	return reg
}

// GetRegion returns the region with code, or an ENOTFOUND error when the
// reference table does not know it.
func (db *DB) GetRegion(ctx context.Context, code string) (Region, error) {
	var row regionRow
	err := db.orm.WithContext(ctx).Where("code = ?", code).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Region{}, domain.Errorf(domain.ENOTFOUND, "Wilayah dengan kode %q tidak ditemukan.", code)
	}
	if err != nil {
		return Region{}, fmt.Errorf("get region %s: %w", code, err)
	}
	return row.region(), nil
}

// ListRegions returns the direct children of parent ordered by code; parent
// "" lists the provinces. It lets a user walk the tree one level at a time.
// A parent that does not exist is ENOTFOUND (so a typo is not mistaken for a
// region without children); a desa has no children and yields an empty list.
func (db *DB) ListRegions(ctx context.Context, parent string) ([]Region, error) {
	q := db.orm.WithContext(ctx).Order("code")
	if parent == "" {
		q = q.Where("parent_code IS NULL")
	} else {
		q = q.Where("parent_code = ?", parent)
	}
	var rows []regionRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list regions under %q: %w", parent, err)
	}
	if len(rows) == 0 && parent != "" {
		if _, err := db.GetRegion(ctx, parent); err != nil {
			return nil, err
		}
	}
	out := make([]Region, len(rows))
	for i, r := range rows {
		out[i] = r.region()
	}
	return out, nil
}

// CountRegions returns how many regions the reference table holds; the
// reference data loader uses it to tell cheaply whether its work is done.
func (db *DB) CountRegions(ctx context.Context) (int64, error) {
	var n int64
	if err := db.orm.WithContext(ctx).Model(&regionRow{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count regions: %w", err)
	}
	return n, nil
}

// RegionExists reports whether code is a known region; input validation
// uses it before a proposal or a grant names a region.
func (db *DB) RegionExists(ctx context.Context, code string) (bool, error) {
	missing, err := db.RegionsExist(ctx, code)
	if err != nil {
		return false, err
	}
	return len(missing) == 0, nil
}

// RegionsExist returns those of codes that are not known regions (nil when
// all are), in the order given, with one query per 500 codes, so a form or a
// file naming many regions is checked without a round trip per code.
func (db *DB) RegionsExist(ctx context.Context, codes ...string) ([]string, error) {
	found := make(map[string]bool, len(codes))
	for chunk := range slices.Chunk(codes, 500) {
		var got []string
		if err := db.orm.WithContext(ctx).Model(&regionRow{}).Where("code IN ?", chunk).Pluck("code", &got).Error; err != nil {
			return nil, fmt.Errorf("check regions: %w", err)
		}
		for _, c := range got {
			found[c] = true
		}
	}
	var missing []string
	for _, c := range codes {
		if !found[c] {
			missing = append(missing, c)
		}
	}
	return missing, nil
}

// regionBatch is how many regions go into one SQLite INSERT. The SQLite
// driver binds parameters in time quadratic in their number per statement,
// so a few hundred parameters beat thousands; measured on the 91,599
// Kemendagri regions.
const regionBatch = 100

// regionArrayBatch is the PostgreSQL batch size: arrays have no parameter
// limit, so batches only bound the memory of one statement.
const regionArrayBatch = 20000

// InsertRegions adds regions in one transaction with multi-row INSERTs,
// parents before children (the input order does not matter), skipping codes
// that already exist. It returns how many rows were new. It exists for the
// reference data loader, which must be fast (a few seconds for every region
// of Indonesia) and safe to run again or from several processes at once.
func (db *DB) InsertRegions(ctx context.Context, regions []Region) (int64, error) {
	sorted := slices.Clone(regions)
	// A parent's code is a prefix of its child's and its level is lower:
	// ordering by level first puts every parent in an earlier statement.
	slices.SortStableFunc(sorted, func(a, b Region) int {
		if a.Level != b.Level {
			return int(a.Level) - int(b.Level)
		}
		return strings.Compare(a.Code, b.Code)
	})
	var inserted int64
	err := db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if db.Dialect == Postgres {
			// One array parameter per column: PostgreSQL plans the
			// statement once per batch instead of parsing thousands of
			// placeholders.
			for chunk := range slices.Chunk(sorted, regionArrayBatch) {
				codes, names, levels, parents := make([]string, len(chunk)), make([]string, len(chunk)), make([]int32, len(chunk)), make([]string, len(chunk))
				for i, r := range chunk {
					codes[i], names[i], levels[i], parents[i] = r.Code, r.Name, int32(r.Level), r.ParentCode
				}
				n, err := execRaw(ctx, tx, `INSERT INTO regions (code, name, level, parent_code)
					SELECT c, n, l, NULLIF(p, '') FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[]) AS t(c, n, l, p)
					ON CONFLICT (code) DO NOTHING`, []any{codes, names, levels, parents})
				if err != nil {
					return err
				}
				inserted += n
			}
			return nil
		}
		for chunk := range slices.Chunk(sorted, regionBatch) {
			args := make([]any, 0, 4*len(chunk))
			for _, r := range chunk {
				var parent any
				if r.ParentCode != "" {
					parent = r.ParentCode
				}
				args = append(args, r.Code, r.Name, int(r.Level), parent)
			}
			query := "INSERT INTO regions (code, name, level, parent_code) VALUES " +
				db.valuesList(len(chunk), 4) + " ON CONFLICT (code) DO NOTHING"
			n, err := execRaw(ctx, tx, query, args)
			if err != nil {
				return err
			}
			inserted += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("insert regions: %w", err)
	}
	return inserted, nil
}

// valuesList renders "(?, ?), (?, ?)" for rows×cols parameters in the
// placeholder style of the dialect ($1, $2, ... for PostgreSQL).
func (db *DB) valuesList(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 6)
	n := 0
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			n++
			if db.Dialect == Postgres {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// execRaw runs query on the transaction's own connection, bypassing GORM's
// statement builder: bulk inserts pass thousands of parameters, which GORM
// would otherwise inspect one by one.
func execRaw(ctx context.Context, tx *gorm.DB, query string, args []any) (int64, error) {
	res, err := tx.Statement.ConnPool.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, nil
}
