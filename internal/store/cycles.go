package store

import (
	"context"
	"encoding/json"
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
	LockedAt              *time.Time
	LockedBy              string
	Version               int64
	Origin                string
	CreatedBy             string
	CreatedAt             time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt             time.Time `gorm:"autoUpdateTime:false"`
}

func (cycleRow) TableName() string { return "cycles" }

func (r cycleRow) domain() domain.Cycle {
	return domain.Cycle{
		ID: r.ID, ProvinceCode: r.ProvinceCode, FiscalYear: r.FiscalYear, Locked: r.Locked,
		LockedAt: utcPtr(r.LockedAt), LockedBy: r.LockedBy, Version: r.Version,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Calendar: domain.Calendar{
			SubmissionDeadline: r.SubmissionDeadline.UTC(), ReviewDeadline: r.ReviewDeadline.UTC(),
			RakordaStart: r.RakordaStart.UTC(), RakordaEnd: r.RakordaEnd.UTC(),
			ConsolidationDeadline: r.ConsolidationDeadline.UTC(), MinistryDeadline: r.MinistryDeadline.UTC(),
			MappingDeadline: r.MappingDeadline.UTC(),
		},
	}
}

func cycleToRow(c domain.Cycle) cycleRow {
	cal := c.Calendar
	return cycleRow{
		ID: c.ID, ProvinceCode: c.ProvinceCode, FiscalYear: c.FiscalYear, Locked: c.Locked,
		LockedAt: utcPtr(c.LockedAt), LockedBy: c.LockedBy, Version: c.Version, CreatedBy: c.CreatedBy,
		SubmissionDeadline: cal.SubmissionDeadline.UTC(), ReviewDeadline: cal.ReviewDeadline.UTC(),
		RakordaStart: cal.RakordaStart.UTC(), RakordaEnd: cal.RakordaEnd.UTC(),
		ConsolidationDeadline: cal.ConsolidationDeadline.UTC(), MinistryDeadline: cal.MinistryDeadline.UTC(),
		MappingDeadline: cal.MappingDeadline.UTC(), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
	}
}

// SaveCycle inserts or updates a cycle's projection directly, without a
// CycleWorkflow. Tests use it for cycles whose workflow does not matter;
// real cycles are written by RecordCycle.
func (db *DB) SaveCycle(ctx context.Context, c domain.Cycle) error {
	now := time.Now().UTC()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	c.UpdatedAt = now
	row := cycleToRow(c)
	if err := db.orm.WithContext(ctx).Save(&row).Error; err != nil {
		return fmt.Errorf("save cycle %s: %w", c.ID, err)
	}
	return nil
}

// GetCycle returns a cycle, or ENOTFOUND.
func (db *DB) GetCycle(ctx context.Context, id string) (domain.Cycle, error) {
	var row cycleRow
	err := db.orm.WithContext(ctx).Where("id = ?", id).Take(&row).Error
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
	if err := db.orm.WithContext(ctx).Order("fiscal_year DESC, province_code").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list cycles: %w", err)
	}
	out := make([]domain.Cycle, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

type cycleCeilingRow struct {
	CycleID    string `gorm:"primaryKey"`
	RegionCode string `gorm:"primaryKey"`
	AmountIDR  int64  `gorm:"column:amount_idr"`
}

func (cycleCeilingRow) TableName() string { return "cycle_ceilings" }

type cycleTargetRow struct {
	CycleID    string `gorm:"primaryKey"`
	Code       string `gorm:"primaryKey"`
	Ordinal    int
	Name       string
	Keywords   string
	Unit       string
	Baseline   float64
	PercentMin float64
	PercentMax float64
	MinValue   float64
	MaxValue   float64
	Indicator  string
	Percent    float64
}

func (cycleTargetRow) TableName() string { return "cycle_targets" }

type agreementRow struct {
	CycleID string `gorm:"primaryKey"`
	Number  int    `gorm:"primaryKey;autoIncrement:false"`
	Text    string
}

func (agreementRow) TableName() string { return "rakorda_agreements" }

type attendanceRow struct {
	CycleID     string `gorm:"primaryKey"`
	Number      int    `gorm:"primaryKey;autoIncrement:false"`
	Name        string
	JobTitle    string
	Institution string
	RegionCode  string
}

func (attendanceRow) TableName() string { return "rakorda_attendance" }

type cycleEventRow struct {
	CycleID    string `gorm:"primaryKey"`
	Seq        int64  `gorm:"primaryKey;autoIncrement:false"`
	Action     string
	Actor      string
	ActorRole  string
	ActorScope string
	Comment    string
	Payload    string
	Origin     string
	At         time.Time
}

func (cycleEventRow) TableName() string { return "cycle_events" }

// RecordCycle writes the cycle's snapshot d and appends ev to its trail in
// one transaction, the cycle's counterpart of RecordTransition: idempotent on
// (cycle_id, seq), and a snapshot older than the row's (a lower version)
// never overwrites it. The first event (seq 1) inserts the row, so a second
// cycle for the same province and fiscal year is refused by the database's
// unique constraints even if Temporal let a second workflow start; and a
// workflow whose origin is not the row's (one started after the first was
// terminated) can neither pass its create off as a retry nor change the
// row. Both are ECONFLICT. A province or ceiling region that does not exist
// is EINVALID.
func (db *DB) RecordCycle(ctx context.Context, d domain.CycleDetail, ev domain.CycleEvent) (recorded bool, err error) {
	if d.ID == "" || ev.CycleID != d.ID || ev.Seq <= 0 {
		return false, domain.Errorf(domain.EINVALID, "Perubahan siklus tidak lengkap (id %q, seq %d).", d.ID, ev.Seq)
	}
	d.Version = ev.Seq
	row := cycleToRow(d.Cycle)
	row.Origin = ev.Origin
	targets := make([]cycleTargetRow, len(d.Targets))
	for i, t := range d.Targets {
		kw, err := json.Marshal(nonNilStrings(t.Keywords))
		if err != nil {
			return false, fmt.Errorf("encode keywords: %w", err)
		}
		targets[i] = cycleTargetRow{
			CycleID: d.ID, Code: t.Code, Ordinal: i + 1, Name: t.Name, Keywords: string(kw), Unit: t.Unit,
			Baseline: t.Baseline, PercentMin: t.PercentMin, PercentMax: t.PercentMax, MinValue: t.Min, MaxValue: t.Max,
			Indicator: string(t.Indicator), Percent: t.Percent,
		}
	}
	payload := string(ev.Payload)
	if payload == "" || payload == "null" {
		payload = "{}"
	}
	evRow := cycleEventRow{
		CycleID: ev.CycleID, Seq: ev.Seq, Action: ev.Action, Actor: ev.Actor.Username, ActorRole: string(ev.Actor.Role),
		ActorScope: ev.Actor.Scope, Comment: ev.Comment, Payload: payload, Origin: ev.Origin, At: ev.At.UTC(),
	}
	exists := domain.Errorf(domain.ECONFLICT, "Siklus provinsi %s tahun anggaran %d sudah ada.", d.ProvinceCode, d.FiscalYear)
	err = db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var prior []cycleEventRow
		if err := tx.Where("cycle_id = ? AND seq = ?", ev.CycleID, ev.Seq).Find(&prior).Error; err != nil {
			return err
		}
		if len(prior) > 0 {
			if prior[0].Origin != ev.Origin {
				return exists
			}
			return nil // a retry
		}
		if ev.Seq == 1 {
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		} else {
			var cur []cycleRow
			if err := tx.Select("origin", "version").Where("id = ?", d.ID).Find(&cur).Error; err != nil {
				return err
			}
			switch {
			case len(cur) == 0:
				return domain.Errorf(domain.ENOTFOUND, "Siklus %q tidak ditemukan.", d.ID)
			case cur[0].Origin != ev.Origin:
				return exists
			case cur[0].Version >= d.Version:
				// A newer snapshot is already there: only the trail grows.
				if err := tx.Create(&evRow).Error; err != nil {
					return err
				}
				recorded = true
				return nil
			}
			if err := tx.Model(&cycleRow{}).Where("id = ?", d.ID).Select("*").Omit("id", "created_at").Updates(&row).Error; err != nil {
				return err
			}
		}
		if ev.Seq > 1 {
			if err := db.checkCeilings(tx, d); err != nil {
				return err
			}
		}
		if err := replaceChildren(tx, d, targets); err != nil {
			return err
		}
		if err := tx.Create(&evRow).Error; err != nil {
			return err
		}
		recorded = true
		return nil
	})
	var de *domain.Error
	switch {
	case err == nil:
		return recorded, nil
	case errors.As(err, &de):
		return false, de
	case IsUniqueViolation(err) && ev.Seq == 1:
		return false, exists
	case IsUniqueViolation(err):
		return false, nil // a concurrent attempt with the same seq committed first
	case IsForeignKeyViolation(err):
		return false, domain.Errorf(domain.EINVALID, "Provinsi %q atau wilayah pagu indikatif tidak dikenal.", d.ProvinceCode)
	default:
		return false, fmt.Errorf("record cycle %s#%d: %w", d.ID, ev.Seq, err)
	}
}

// checkCeilings refuses a ceiling that is new or lower than before and
// below what the proposals of its region have reserved, under the lock
// RecordConsolidation takes (see there).
func (db *DB) checkCeilings(tx *gorm.DB, d domain.CycleDetail) error {
	if err := db.lockCycle(tx, d.ID); err != nil {
		return err
	}
	var old []cycleCeilingRow
	if err := tx.Where("cycle_id = ?", d.ID).Find(&old).Error; err != nil {
		return err
	}
	before := map[string]int64{}
	for _, c := range old {
		before[c.RegionCode] = c.AmountIDR
	}
	var v domain.Validation
	for i, c := range d.Ceilings {
		if had, ok := before[c.RegionCode]; ok && c.AmountIDR >= had {
			continue
		}
		used, err := reserved(tx, d.ID, c.RegionCode, "")
		if err != nil {
			return err
		}
		if c.AmountIDR < used {
			fe := domain.CeilingBelowUse(fmt.Sprintf("ceilings[%d].amount_idr", i), c.RegionCode, c.AmountIDR, used)
			v.Add(fe.Field, "%s", fe.Message)
		}
	}
	return v.Err()
}

func replaceChildren(tx *gorm.DB, d domain.CycleDetail, targets []cycleTargetRow) error {
	for _, model := range []any{&cycleCeilingRow{}, &cycleTargetRow{}, &agreementRow{}, &attendanceRow{}} {
		if err := tx.Where("cycle_id = ?", d.ID).Delete(model).Error; err != nil {
			return err
		}
	}
	if len(d.Ceilings) > 0 {
		rows := make([]cycleCeilingRow, len(d.Ceilings))
		for i, c := range d.Ceilings {
			rows[i] = cycleCeilingRow{CycleID: d.ID, RegionCode: c.RegionCode, AmountIDR: c.AmountIDR}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
	}
	if len(targets) > 0 {
		if err := tx.Create(&targets).Error; err != nil {
			return err
		}
	}
	if len(d.Agreements) > 0 {
		rows := make([]agreementRow, len(d.Agreements))
		for i, a := range d.Agreements {
			rows[i] = agreementRow{CycleID: d.ID, Number: a.Number, Text: a.Text}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
	}
	if len(d.Attendance) > 0 {
		rows := make([]attendanceRow, len(d.Attendance))
		for i, a := range d.Attendance {
			rows[i] = attendanceRow{CycleID: d.ID, Number: a.Number, Name: a.Name, JobTitle: a.Position, Institution: a.Institution, RegionCode: a.RegionCode}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
	}
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GetCycleDetail returns a cycle with its ceilings, targets, agreements and
// attendance as last recorded, or ENOTFOUND; Phase is as of now.
func (db *DB) GetCycleDetail(ctx context.Context, id string, now time.Time) (domain.CycleDetail, error) {
	c, err := db.GetCycle(ctx, id)
	if err != nil {
		return domain.CycleDetail{}, err
	}
	d := domain.CycleDetail{Cycle: c}
	g := db.orm.WithContext(ctx)
	var ceilings []cycleCeilingRow
	if err := g.Where("cycle_id = ?", id).Order("region_code").Find(&ceilings).Error; err != nil {
		return domain.CycleDetail{}, fmt.Errorf("cycle ceilings: %w", err)
	}
	for _, r := range ceilings {
		d.Ceilings = append(d.Ceilings, domain.Ceiling{RegionCode: r.RegionCode, AmountIDR: r.AmountIDR})
	}
	if d.Targets, err = db.cycleTargets(ctx, id); err != nil {
		return domain.CycleDetail{}, err
	}
	var agreements []agreementRow
	if err := g.Where("cycle_id = ?", id).Order("number").Find(&agreements).Error; err != nil {
		return domain.CycleDetail{}, fmt.Errorf("rakorda agreements: %w", err)
	}
	for _, r := range agreements {
		d.Agreements = append(d.Agreements, domain.Agreement{Number: r.Number, Text: r.Text})
	}
	var attendance []attendanceRow
	if err := g.Where("cycle_id = ?", id).Order("number").Find(&attendance).Error; err != nil {
		return domain.CycleDetail{}, fmt.Errorf("rakorda attendance: %w", err)
	}
	for _, r := range attendance {
		d.Attendance = append(d.Attendance, domain.Attendee{Number: r.Number, Name: r.Name, Position: r.JobTitle, Institution: r.Institution, RegionCode: r.RegionCode})
	}
	return d.At(now), nil
}

func (db *DB) cycleTargets(ctx context.Context, id string) ([]domain.Target, error) {
	var rows []cycleTargetRow
	if err := db.orm.WithContext(ctx).Where("cycle_id = ?", id).Order("ordinal").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("cycle targets: %w", err)
	}
	out := make([]domain.Target, 0, len(rows))
	for _, r := range rows {
		var kw []string
		if err := json.Unmarshal([]byte(r.Keywords), &kw); err != nil {
			return nil, fmt.Errorf("decode keywords of target %s: %w", r.Code, err)
		}
		out = append(out, domain.Target{
			Code: r.Code, Name: r.Name, Keywords: kw, Unit: r.Unit, Baseline: r.Baseline,
			PercentMin: r.PercentMin, PercentMax: r.PercentMax, Min: r.MinValue, Max: r.MaxValue,
			Indicator: domain.RegisterIndicator(r.Indicator), Percent: r.Percent,
		})
	}
	return out, nil
}

// ListCycleEvents returns a cycle's audit trail, oldest first.
func (db *DB) ListCycleEvents(ctx context.Context, cycleID string) ([]domain.CycleEvent, error) {
	var rows []cycleEventRow
	if err := db.orm.WithContext(ctx).Where("cycle_id = ?", cycleID).Order("seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list cycle events: %w", err)
	}
	out := make([]domain.CycleEvent, len(rows))
	for i, r := range rows {
		out[i] = domain.CycleEvent{
			CycleID: r.CycleID, Seq: r.Seq, Action: r.Action, Comment: r.Comment, Payload: json.RawMessage(r.Payload), Origin: r.Origin,
			At: r.At.UTC(), Actor: domain.Actor{Username: r.Actor, Role: domain.Role(r.ActorRole), Scope: r.ActorScope},
		}
	}
	return out, nil
}

// openStages are the stages a proposal can still leave; a calendar move
// concerns only them.
var openStages = func() []string {
	var out []string
	for _, s := range domain.Stages {
		if !s.Terminal() {
			out = append(out, string(s))
		}
	}
	return out
}()

// OpenProposalIDs returns up to limit ids of the cycle's proposals in an
// open stage, in id order after the id after: the cycle pages through them
// to tell each that its calendar moved.
func (db *DB) OpenProposalIDs(ctx context.Context, cycleID, after string, limit int) ([]string, error) {
	var ids []string
	err := db.orm.WithContext(ctx).Model(&proposalRow{}).
		Where("cycle_id = ? AND stage IN ? AND id > ?", cycleID, openStages, after).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("open proposals of %s: %w", cycleID, err)
	}
	return ids, nil
}

// CycleLockCandidates reads the LockCandidates of a cycle.
func (db *DB) CycleLockCandidates(ctx context.Context, cycleID string) (domain.LockCandidates, error) {
	var out domain.LockCandidates
	var rows []proposalRow
	g := db.orm.WithContext(ctx)
	if err := g.Select("id", "title", "region_code").
		Where("cycle_id = ? AND stage = ? AND NOT consolidated", cycleID, domain.StageConsolidation).
		Order("id").Find(&rows).Error; err != nil {
		return out, fmt.Errorf("unconsolidated proposals of %s: %w", cycleID, err)
	}
	out.Unconsolidated = make([]domain.ProposalRef, len(rows))
	for i, r := range rows {
		out.Unconsolidated[i] = domain.ProposalRef{ID: r.ID, Title: r.Title, RegionCode: r.RegionCode}
	}
	var n int64
	if err := g.Model(&proposalRow{}).Where("cycle_id = ? AND stage = ? AND consolidated", cycleID, domain.StageConsolidation).
		Count(&n).Error; err != nil {
		return out, fmt.Errorf("consolidated proposals of %s: %w", cycleID, err)
	}
	out.Consolidated = int(n)
	return out, nil
}

// ConsolidatedProposalIDs returns up to limit ids of the cycle's
// consolidated proposals still in consolidation, in id order after the id
// after: the lock moves them page by page, and one already moved drops out
// of the page, which is what makes a retried page skip it.
func (db *DB) ConsolidatedProposalIDs(ctx context.Context, cycleID, after string, limit int) ([]string, error) {
	var ids []string
	err := db.orm.WithContext(ctx).Model(&proposalRow{}).
		Where("cycle_id = ? AND stage = ? AND consolidated AND id > ?", cycleID, domain.StageConsolidation, after).
		Order("id").Limit(limit).Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("consolidated proposals of %s: %w", cycleID, err)
	}
	return ids, nil
}
