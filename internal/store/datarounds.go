package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rencana-id/rencana/internal/domain"
)

// The projection of the data rounds (workflows.DataRoundWorkflow): one row
// per kab/kota and year, and the trail of every change.

type dataRoundRow struct {
	RegionCode string `gorm:"primaryKey"`
	Year       int    `gorm:"primaryKey"`
	Revision   int
	Status     string
	DueAt      time.Time
	Overdue    bool
	Comment    string
	Version    int64
	UpdatedAt  time.Time
}

func (dataRoundRow) TableName() string { return "data_rounds" }

func (r dataRoundRow) round() domain.DataRound {
	return domain.DataRound{Region: r.RegionCode, Year: r.Year, Revision: r.Revision, Status: domain.RoundStatus(r.Status),
		DueAt: r.DueAt.UTC(), Overdue: r.Overdue, Comment: r.Comment, Version: r.Version, UpdatedAt: r.UpdatedAt.UTC()}
}

// DataRoundEvent is one line of a round's trail: who did what, in which
// role, when, from which status to which, in which revision, and why.
type DataRoundEvent struct {
	Region       string             `json:"region"`
	Year         int                `json:"year"`
	Seq          int64              `json:"seq"`
	Action       string             `json:"action"`
	FromStatus   domain.RoundStatus `json:"from_status"`
	ToStatus     domain.RoundStatus `json:"to_status"`
	Revision     int                `json:"revision"`
	Actor        domain.Actor       `json:"actor"`
	Comment      string             `json:"comment"`
	TransitionID string             `json:"-"`
	At           time.Time          `json:"at"`
}

type dataRoundEventRow struct {
	RegionCode   string `gorm:"primaryKey"`
	Year         int    `gorm:"primaryKey"`
	Seq          int64  `gorm:"primaryKey"`
	Action       string
	FromStatus   string
	ToStatus     string
	Revision     int
	Actor        string
	ActorRole    string
	Comment      string
	TransitionID string
	At           time.Time
}

func (dataRoundEventRow) TableName() string { return "data_round_events" }

// RecordDataRound projects one change of a round: the event, the round's
// new snapshot (unless a newer one is there) and the notifications it
// sends, in one transaction. It is idempotent on (region, year, seq): a
// retry writes nothing and answers false.
func (db *DB) RecordDataRound(ctx context.Context, r domain.DataRound, ev DataRoundEvent, notes ...domain.Notification) (recorded bool, err error) {
	if r.Region == "" || ev.Region != r.Region || ev.Year != r.Year || ev.Seq <= 0 {
		return false, domain.Errorf(domain.EINVALID, "Perubahan putaran data tidak lengkap (%s/%d seq %d).", r.Region, r.Year, ev.Seq)
	}
	row := dataRoundRow{RegionCode: r.Region, Year: r.Year, Revision: r.Revision, Status: string(r.Status), DueAt: r.DueAt.UTC(),
		Overdue: r.Overdue, Comment: r.Comment, Version: ev.Seq, UpdatedAt: ev.At.UTC()}
	evRow := dataRoundEventRow{RegionCode: ev.Region, Year: ev.Year, Seq: ev.Seq, Action: ev.Action, FromStatus: string(ev.FromStatus),
		ToStatus: string(ev.ToStatus), Revision: ev.Revision, Actor: ev.Actor.Username, ActorRole: string(ev.Actor.Role),
		Comment: ev.Comment, TransitionID: ev.TransitionID, At: ev.At.UTC()}
	noteRows, err := notificationRows(notes)
	if err != nil {
		return false, err
	}
	err = db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&dataRoundEventRow{}).Where("region_code = ? AND year = ? AND seq = ?", ev.Region, ev.Year, ev.Seq).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil // a retry
		}
		if err := tx.Create(&evRow).Error; err != nil {
			return err
		}
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "region_code"}, {Name: "year"}},
			DoUpdates: clause.AssignmentColumns([]string{"revision", "status", "due_at", "overdue", "comment", "version", "updated_at"}),
			Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "data_rounds.version < excluded.version"}}},
		}).Create(&row).Error
		if err != nil {
			return err
		}
		if err := insertNotifications(tx, noteRows); err != nil {
			return err
		}
		recorded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record data round %s/%d#%d: %w", r.Region, r.Year, ev.Seq, err)
	}
	return recorded, nil
}

// GetDataRound returns the round of a kab/kota for a year, ENOTFOUND when
// it was never opened.
func (db *DB) GetDataRound(ctx context.Context, region string, year int) (domain.DataRound, error) {
	var rows []dataRoundRow
	if err := db.orm.WithContext(ctx).Where("region_code = ? AND year = ?", region, year).Find(&rows).Error; err != nil {
		return domain.DataRound{}, fmt.Errorf("get data round %s/%d: %w", region, year, err)
	}
	if len(rows) == 0 {
		return domain.DataRound{}, domain.Errorf(domain.ENOTFOUND, "Putaran data %s tahun %d belum dibuka.", region, year)
	}
	return rows[0].round(), nil
}

// ListDataRounds returns the rounds of year (0: every year) under region
// (a province, or "*"), by kab/kota code.
func (db *DB) ListDataRounds(ctx context.Context, region string, year int) ([]domain.DataRound, error) {
	cond, args := regionRange("region_code", region)
	tx := db.orm.WithContext(ctx).Where(cond, args...)
	if year != 0 {
		tx = tx.Where("year = ?", year)
	}
	var rows []dataRoundRow
	if err := tx.Order("year DESC, region_code").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list data rounds %s/%d: %w", region, year, err)
	}
	out := make([]domain.DataRound, len(rows))
	for i, r := range rows {
		out[i] = r.round()
	}
	return out, nil
}

// DataRoundEvents returns a round's trail, oldest first.
func (db *DB) DataRoundEvents(ctx context.Context, region string, year int) ([]DataRoundEvent, error) {
	var rows []dataRoundEventRow
	if err := db.orm.WithContext(ctx).Where("region_code = ? AND year = ?", region, year).Order("seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("data round events %s/%d: %w", region, year, err)
	}
	out := make([]DataRoundEvent, len(rows))
	for i, r := range rows {
		out[i] = DataRoundEvent{Region: r.RegionCode, Year: r.Year, Seq: r.Seq, Action: r.Action, FromStatus: domain.RoundStatus(r.FromStatus),
			ToStatus: domain.RoundStatus(r.ToStatus), Revision: r.Revision, Comment: r.Comment, At: r.At.UTC(),
			Actor: domain.Actor{Username: r.Actor, Role: domain.Role(r.ActorRole)}}
	}
	return out, nil
}
