package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/rencana-id/rencana/internal/domain"
)

// EnterKMP puts a Koperasi Merah Putih into the register when its badan
// hukum is recorded (issue 19: "without being typed twice"): its identity
// (name, jenis, desa, badan hukum number and date) with the KMP flag. Its
// yearly figures arrive through the kab/kota's data round like any
// koperasi's. Idempotent on the badan hukum number: a retried activity, or
// a koperasi the operator imported first, leaves the row as it is.
func (db *DB) EnterKMP(ctx context.Context, r domain.KMPRegistration) error {
	jenis := r.Jenis
	if jenis == "" {
		jenis = string(domain.JenisKonsumen)
	}
	now := time.Now().UTC()
	row := koperasiRow{
		ID: KoperasiID("", r.BadanHukumNo), BadanHukumNo: r.BadanHukumNo,
		BadanHukumDate: r.BadanHukumDate.UTC().Format(time.DateOnly),
		Name:           r.Name, Jenis: jenis, RegionCode: r.RegionCode, KMP: true,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := db.orm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return fmt.Errorf("store: enter KMP %s in the register: %w", r.RegionCode, err)
	}
	return nil
}
