package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rencana-id/rencana/internal/domain"
)

// BUMDesBusiness is a business a village enterprise (Badan Usaha Milik
// Desa) already runs, where the province has recorded it. Consolidation
// warns when a proposal would fund the same business in the same desa, or
// in its kecamatan: public money should not compete with the village's own
// enterprise. Keywords are the phrases that identify the business in a
// proposal's title or description ("kopi", "air minum isi ulang").
type BUMDesBusiness struct {
	ID         string    `json:"id"`
	RegionCode string    `json:"region_code"` // the desa
	Name       string    `json:"name"`        // "BUMDes Maju Bersama"
	Business   string    `json:"business"`    // "Pengolahan dan pemasaran kopi bubuk"
	Keywords   []string  `json:"keywords"`
	Active     bool      `json:"active"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type bumdesRow struct {
	ID         string `gorm:"primaryKey"`
	RegionCode string
	Name       string
	Business   string
	Keywords   string
	Active     bool
	UpdatedAt  time.Time `gorm:"autoUpdateTime:false"`
}

func (bumdesRow) TableName() string { return "bumdes_businesses" }

// SaveBUMDesBusiness inserts or replaces a BUMDes business. The region must
// be a desa/kelurahan code and at least one keyword is needed, or nothing
// could ever match it.
func (db *DB) SaveBUMDesBusiness(ctx context.Context, b BUMDesBusiness) error {
	return db.SaveBUMDesBusinesses(ctx, []BUMDesBusiness{b})
}

// SaveBUMDesBusinesses saves many businesses in one transaction: all or
// none (an import).
func (db *DB) SaveBUMDesBusinesses(ctx context.Context, list []BUMDesBusiness) error {
	rows := make([]bumdesRow, len(list))
	for i, b := range list {
		row, err := bumdesRowOf(b)
		if err != nil {
			return err
		}
		rows[i] = row
	}
	return db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, row := range rows {
			err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error
			if IsForeignKeyViolation(err) {
				return domain.Errorf(domain.EINVALID, "Desa %q tidak dikenal.", row.RegionCode)
			}
			if err != nil {
				return fmt.Errorf("save bumdes %s: %w", row.ID, err)
			}
		}
		return nil
	})
}

// bumdesRowOf checks a business and makes its row.
func bumdesRowOf(b BUMDesBusiness) (bumdesRow, error) {
	var v domain.Validation
	if strings.TrimSpace(b.ID) == "" {
		v.Add("id", "Id usaha BUMDes wajib diisi.")
	}
	if lvl, err := domain.ParseRegionCode(b.RegionCode); err != nil || lvl != domain.LevelDesa {
		v.Add("region_code", "Kode wilayah BUMDes harus kode desa/kelurahan (mis. 74.05.03.2001).")
	}
	if strings.TrimSpace(b.Name) == "" {
		v.Add("name", "Nama BUMDes wajib diisi.")
	}
	if strings.TrimSpace(b.Business) == "" {
		v.Add("business", "Jenis usaha wajib diisi.")
	}
	kw := []string{}
	for _, k := range b.Keywords {
		if k = strings.TrimSpace(k); k != "" {
			kw = append(kw, k)
		}
	}
	if len(kw) == 0 {
		v.Add("keywords", "Minimal satu kata kunci usaha wajib diisi.")
	}
	if err := v.Err(); err != nil {
		return bumdesRow{}, err
	}
	raw, err := json.Marshal(kw)
	if err != nil {
		return bumdesRow{}, err
	}
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = time.Now()
	}
	return bumdesRow{ID: b.ID, RegionCode: b.RegionCode, Name: strings.TrimSpace(b.Name), Business: strings.TrimSpace(b.Business),
		Keywords: string(raw), Active: b.Active, UpdatedAt: b.UpdatedAt.UTC()}, nil
}

// ListBUMDesBusinesses returns the recorded businesses within a region
// (every one when prefix is ""), active ones only when activeOnly.
func (db *DB) ListBUMDesBusinesses(ctx context.Context, prefix string, activeOnly bool) ([]BUMDesBusiness, error) {
	q := db.orm.WithContext(ctx).Order("region_code, id")
	if prefix != "" {
		if sql, args := inRegion("region_code", prefix); sql != "" {
			q = q.Where(sql, args...)
		}
	}
	if activeOnly {
		q = q.Where("active")
	}
	var rows []bumdesRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list bumdes: %w", err)
	}
	out := make([]BUMDesBusiness, len(rows))
	for i, r := range rows {
		var kw []string
		if err := json.Unmarshal([]byte(r.Keywords), &kw); err != nil {
			return nil, fmt.Errorf("decode keywords of bumdes %s: %w", r.ID, err)
		}
		out[i] = BUMDesBusiness{ID: r.ID, RegionCode: r.RegionCode, Name: r.Name, Business: r.Business, Keywords: kw,
			Active: r.Active, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}
