package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/rencana-id/rencana/internal/domain"
)

// cycleRow maps the cycles table, the projection of a cycle.
type cycleRow struct {
	ID                    string `gorm:"primaryKey"`
	ProvinceCode          string
	FiscalYear            int
	SubmissionDeadline    time.Time
	ReviewDeadline        time.Time
	RakordaStart          time.Time
	RakordaEnd            time.Time
	ConsolidationDeadline time.Time
	MinistryDeadline      time.Time
	MappingDeadline       time.Time
	Locked                bool
	CreatedBy             string
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

func (cycleRow) TableName() string { return "cycles" }

func (r cycleRow) domain() domain.Cycle {
	return domain.Cycle{
		ID: r.ID, ProvinceCode: r.ProvinceCode, FiscalYear: r.FiscalYear, Locked: r.Locked,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Calendar: domain.Calendar{
			SubmissionDeadline: r.SubmissionDeadline.UTC(), ReviewDeadline: r.ReviewDeadline.UTC(),
			RakordaStart: r.RakordaStart.UTC(), RakordaEnd: r.RakordaEnd.UTC(),
			ConsolidationDeadline: r.ConsolidationDeadline.UTC(), MinistryDeadline: r.MinistryDeadline.UTC(),
			MappingDeadline: r.MappingDeadline.UTC(),
		},
	}
}

// SaveCycle inserts or updates a cycle's projection.
func (db *DB) SaveCycle(ctx context.Context, c domain.Cycle) error {
	now := time.Now().UTC()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	cal := c.Calendar
	row := cycleRow{
		ID: c.ID, ProvinceCode: c.ProvinceCode, FiscalYear: c.FiscalYear, Locked: c.Locked, CreatedBy: c.CreatedBy,
		SubmissionDeadline: cal.SubmissionDeadline.UTC(), ReviewDeadline: cal.ReviewDeadline.UTC(),
		RakordaStart: cal.RakordaStart.UTC(), RakordaEnd: cal.RakordaEnd.UTC(),
		ConsolidationDeadline: cal.ConsolidationDeadline.UTC(), MinistryDeadline: cal.MinistryDeadline.UTC(),
		MappingDeadline: cal.MappingDeadline.UTC(), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: now,
	}
	if err := db.Gorm.WithContext(ctx).Save(&row).Error; err != nil {
		return fmt.Errorf("save cycle %s: %w", c.ID, err)
	}
	return nil
}

// GetCycle returns a cycle, or ENOTFOUND.
func (db *DB) GetCycle(ctx context.Context, id string) (domain.Cycle, error) {
	var row cycleRow
	err := db.Gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Cycle{}, domain.Errorf(domain.ENOTFOUND, "Siklus %q tidak ditemukan.", id)
	}
	if err != nil {
		return domain.Cycle{}, fmt.Errorf("get cycle: %w", err)
	}
	return row.domain(), nil
}

// ListCycles returns every cycle, newest fiscal year first.
func (db *DB) ListCycles(ctx context.Context) ([]domain.Cycle, error) {
	var rows []cycleRow
	if err := db.Gorm.WithContext(ctx).Order("fiscal_year DESC, province_code").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list cycles: %w", err)
	}
	out := make([]domain.Cycle, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}
