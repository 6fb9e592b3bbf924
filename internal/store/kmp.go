package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rencana-id/rencana/internal/domain"
)

// KMP is the projection of one Koperasi Merah Putih workflow (kmp/<code>):
// where the desa/kelurahan's formation stands. The workflow writes it after
// every change, before the API answers; lists, summaries and the inbox read it.
type KMP struct {
	RegionCode string `json:"region_code"`
	Name       string `json:"name"` // the desa/kelurahan
	// Reached counts the milestones recorded (0…7, in domain.KMPSteps order).
	Reached    int                 `json:"reached"`
	NextDueAt  *time.Time          `json:"next_due_at"`
	Late       bool                `json:"late"`
	Escalation string              `json:"escalation"` // "", camat, satgas_kmp
	Deadlines  domain.KMPDeadlines `json:"deadlines"`
	Records    []KMPRecord         `json:"records"`
	Warnings   []string            `json:"warnings"`
	Seq        int64               `json:"seq"`
	JobID      string              `json:"job_id"`
	StartedAt  time.Time           `json:"started_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
}

// KMPRecord is one recorded milestone: what was recorded, by whom, when.
type KMPRecord struct {
	Milestone domain.KMPMilestone `json:"milestone"`
	Fields    domain.KMPFields    `json:"fields"`
	Actor     domain.Actor        `json:"actor"`
	At        time.Time           `json:"at"`
	Imported  bool                `json:"imported,omitempty"`
}

// Milestone is the last milestone reached, "" before musdes.
func (k KMP) Milestone() domain.KMPMilestone { return domain.KMPMilestoneAt(k.Reached) }

// Next is the milestone to record next, "" once operasional is reached.
func (k KMP) Next() domain.KMPMilestone { return domain.KMPMilestoneAt(k.Reached + 1) }

// KMPEvent is one line of a KMP's audit trail.
type KMPEvent struct {
	RegionCode   string          `json:"region_code"`
	Seq          int64           `json:"seq"`
	Action       string          `json:"action"`
	Actor        domain.Actor    `json:"actor"`
	Payload      json.RawMessage `json:"payload"`
	TransitionID string          `json:"-"`
	At           time.Time       `json:"at"`
}

type kmpRow struct {
	RegionCode string `gorm:"primaryKey"`
	Name       string
	Reached    int
	NextDueAt  *time.Time
	Late       bool
	Escalation string
	Deadlines  string
	Records    string
	Warnings   string
	Seq        int64
	JobID      string
	StartedAt  time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt  time.Time `gorm:"autoUpdateTime:false"`
}

func (kmpRow) TableName() string { return "kmp" }

type kmpEventRow struct {
	RegionCode   string `gorm:"primaryKey"`
	Seq          int64  `gorm:"primaryKey"`
	Action       string
	Actor        string
	ActorRole    string
	ActorScope   string
	Payload      string
	TransitionID string
	At           time.Time
}

func (kmpEventRow) TableName() string { return "kmp_events" }

var kmpColumns = []string{"name", "reached", "next_due_at", "late", "escalation", "deadlines", "records", "warnings", "seq", "job_id", "updated_at"}

func kmpToRow(k KMP) (kmpRow, error) {
	if k.Deadlines == nil {
		k.Deadlines = domain.KMPDeadlines{}
	}
	if k.Records == nil {
		k.Records = []KMPRecord{}
	}
	if k.Warnings == nil {
		k.Warnings = []string{}
	}
	d, err := json.Marshal(k.Deadlines)
	if err != nil {
		return kmpRow{}, err
	}
	r, err := json.Marshal(k.Records)
	if err != nil {
		return kmpRow{}, err
	}
	w, err := json.Marshal(k.Warnings)
	if err != nil {
		return kmpRow{}, err
	}
	if k.UpdatedAt.IsZero() {
		k.UpdatedAt = k.StartedAt
	}
	return kmpRow{RegionCode: k.RegionCode, Name: k.Name, Reached: k.Reached, NextDueAt: utcPtr(k.NextDueAt), Late: k.Late,
		Escalation: k.Escalation, Deadlines: string(d), Records: string(r), Warnings: string(w), Seq: k.Seq, JobID: k.JobID,
		StartedAt: k.StartedAt.UTC(), UpdatedAt: k.UpdatedAt.UTC()}, nil
}

func (r kmpRow) kmp() (KMP, error) {
	k := KMP{RegionCode: r.RegionCode, Name: r.Name, Reached: r.Reached, NextDueAt: utcPtr(r.NextDueAt), Late: r.Late,
		Escalation: r.Escalation, Seq: r.Seq, JobID: r.JobID, StartedAt: r.StartedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.Deadlines), &k.Deadlines); err != nil {
		return KMP{}, fmt.Errorf("decode deadlines of kmp %s: %w", r.RegionCode, err)
	}
	if err := json.Unmarshal([]byte(r.Records), &k.Records); err != nil {
		return KMP{}, fmt.Errorf("decode records of kmp %s: %w", r.RegionCode, err)
	}
	if err := json.Unmarshal([]byte(r.Warnings), &k.Warnings); err != nil {
		return KMP{}, fmt.Errorf("decode warnings of kmp %s: %w", r.RegionCode, err)
	}
	return k, nil
}

// InsertKMPStarts writes the first projection row of each KMP a bulk start
// is about to start, keeping rows that exist (a repeated start changes
// nothing), in one multi-row INSERT per 200 rows. It returns how many rows
// were new.
func (db *DB) InsertKMPStarts(ctx context.Context, ks []KMP) (int64, error) {
	rows := make([]kmpRow, 0, len(ks))
	for _, k := range ks {
		r, err := kmpToRow(k)
		if err != nil {
			return 0, err
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	res := db.orm.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "region_code"}}, DoNothing: true}).
		CreateInBatches(&rows, 200)
	if res.Error != nil {
		return 0, fmt.Errorf("insert kmp starts: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// RecordKMP writes a KMP's snapshot after a change, appends its event and
// stores its notifications, in one transaction, idempotent on
// (region_code, seq): a retry of a recorded change returns false and
// writes nothing. A snapshot older than the row is not written over it.
func (db *DB) RecordKMP(ctx context.Context, k KMP, ev KMPEvent, notes ...domain.Notification) (recorded bool, err error) {
	if k.RegionCode == "" || ev.RegionCode != k.RegionCode || ev.Seq <= 0 || ev.Seq != k.Seq {
		return false, domain.Errorf(domain.EINVALID, "Perubahan KMP tidak lengkap (wilayah %q, seq %d).", k.RegionCode, ev.Seq)
	}
	row, err := kmpToRow(k)
	if err != nil {
		return false, err
	}
	payload := string(ev.Payload)
	if payload == "" || payload == "null" {
		payload = "{}"
	}
	evRow := kmpEventRow{RegionCode: ev.RegionCode, Seq: ev.Seq, Action: ev.Action, Actor: ev.Actor.Username,
		ActorRole: string(ev.Actor.Role), ActorScope: ev.Actor.Scope, Payload: payload, TransitionID: ev.TransitionID, At: ev.At.UTC()}
	noteRows, err := notificationRows(notes)
	if err != nil {
		return false, err
	}
	err = db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&kmpEventRow{}).Where("region_code = ? AND seq = ?", ev.RegionCode, ev.Seq).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil // a retry
		}
		upsert := clause.OnConflict{Columns: []clause.Column{{Name: "region_code"}}, DoUpdates: clause.AssignmentColumns(kmpColumns),
			Where: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "kmp.seq < excluded.seq"}}}}
		if err := tx.Clauses(upsert).Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Create(&evRow).Error; err != nil {
			return err
		}
		if err := insertNotifications(tx, noteRows); err != nil {
			return err
		}
		recorded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record kmp %s#%d: %w", k.RegionCode, ev.Seq, err)
	}
	return recorded, nil
}

// GetKMP returns the KMP of a desa/kelurahan, ENOTFOUND when its formation
// was never started.
func (db *DB) GetKMP(ctx context.Context, code string) (KMP, error) {
	var row kmpRow
	err := db.orm.WithContext(ctx).Where("region_code = ?", code).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return KMP{}, domain.Errorf(domain.ENOTFOUND, "Pembentukan KMP di wilayah %q belum dimulai.", code)
	}
	if err != nil {
		return KMP{}, fmt.Errorf("get kmp %s: %w", code, err)
	}
	return row.kmp()
}

// KMPEvents returns a KMP's audit trail, oldest first.
func (db *DB) KMPEvents(ctx context.Context, code string) ([]KMPEvent, error) {
	var rows []kmpEventRow
	if err := db.orm.WithContext(ctx).Where("region_code = ?", code).Order("seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("kmp events %s: %w", code, err)
	}
	out := make([]KMPEvent, len(rows))
	for i, r := range rows {
		out[i] = KMPEvent{RegionCode: r.RegionCode, Seq: r.Seq, Action: r.Action,
			Actor:   domain.Actor{Username: r.Actor, Role: domain.Role(r.ActorRole), Scope: r.ActorScope},
			Payload: json.RawMessage(r.Payload), TransitionID: r.TransitionID, At: r.At.UTC()}
	}
	return out, nil
}

// RegionRange is the byte-order range [lo, hi) of the codes a region covers
// (itself and everything under it): "74.05" gives ["74.05", "74.06"), which
// holds 74.05.03.2001 and not 74.06 or 74.050 (segments have fixed widths).
// The national scope gives ("", ""): no bound. Range conditions on the
// primary key let the database read only the region's rows, which a LIKE
// on a text column cannot promise on every engine and collation.
func RegionRange(code string) (lo, hi string) {
	if code == domain.NationalScope || code == "" {
		return "", ""
	}
	b := []byte(code)
	b[len(b)-1]++
	return code, string(b)
}

func withinRange(q *gorm.DB, column, region string) *gorm.DB {
	lo, hi := RegionRange(region)
	if lo == "" {
		return q
	}
	return q.Where(column+" >= ? AND "+column+" < ?", lo, hi)
}

// KMPQuery selects KMPs for a list, in region code order, paged by code.
type KMPQuery struct {
	Region string // within this region ("*" or "": everywhere)
	Late   *bool
	// EscalatedTo keeps the KMPs whose lateness was escalated to one of
	// these ("camat", "satgas_kmp").
	EscalatedTo []string
	// Incomplete keeps the KMPs that have a milestone left.
	Incomplete bool
	// ByDue orders by the next deadline (soonest first, none last) instead
	// of the code; the inbox wants it. No paging then.
	ByDue bool
	After string
	Limit int
}

// ListKMP returns the KMPs q selects.
func (db *DB) ListKMP(ctx context.Context, q KMPQuery) ([]KMP, error) {
	g := withinRange(db.orm.WithContext(ctx).Model(&kmpRow{}), "region_code", q.Region)
	if q.Late != nil {
		g = g.Where("late = ?", *q.Late)
	}
	if len(q.EscalatedTo) > 0 {
		g = g.Where("escalation IN ?", q.EscalatedTo)
	}
	if q.Incomplete {
		g = g.Where("reached < ?", len(domain.KMPSteps))
	}
	if q.ByDue {
		g = g.Order("CASE WHEN next_due_at IS NULL THEN 1 ELSE 0 END, next_due_at, region_code")
	} else {
		if q.After != "" {
			g = g.Where("region_code > ?", q.After)
		}
		g = g.Order("region_code")
	}
	if q.Limit > 0 {
		g = g.Limit(q.Limit)
	}
	var rows []kmpRow
	if err := g.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list kmp: %w", err)
	}
	out := make([]KMP, 0, len(rows))
	for _, r := range rows {
		k, err := r.kmp()
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// KMPCounts are a region's figures on the dashboard.
type KMPCounts struct {
	Total int64 `json:"total"`
	// ByMilestone counts the desa/kelurahan that reached at least each milestone.
	ByMilestone map[domain.KMPMilestone]int64 `json:"by_milestone"`
	Late        int64                         `json:"late"`
}

// KMPSummaryChild is one region a level down with its counts.
type KMPSummaryChild struct {
	Region string `json:"region"`
	Name   string `json:"name"`
	KMPCounts
}

// KMPSummary is GET /api/v1/kmp/summary: a region's counts and its children's.
type KMPSummary struct {
	Region string `json:"region"`
	KMPCounts
	Children []KMPSummaryChild `json:"children"`
}

// childCodeLength is the length of the codes one level below region
// (provinces for "*"), 0 for a desa.
func childCodeLength(region string) int {
	if region == domain.NationalScope || region == "" {
		return 2
	}
	switch len(region) {
	case 2:
		return 5
	case 5:
		return 8
	case 8:
		return 13
	}
	return 0
}

type kmpCountRow struct {
	Child                      string
	Total, Late                int64
	M1, M2, M3, M4, M5, M6, M7 int64
}

func (r kmpCountRow) counts() KMPCounts {
	c := KMPCounts{Total: r.Total, Late: r.Late, ByMilestone: make(map[domain.KMPMilestone]int64, len(domain.KMPSteps))}
	for i, n := range []int64{r.M1, r.M2, r.M3, r.M4, r.M5, r.M6, r.M7} {
		c.ByMilestone[domain.KMPMilestoneAt(i+1)] = n
	}
	return c
}

// KMPSummary counts the KMPs of region and of each region one level down,
// in one grouped query over the projection's summary index (a range scan
// of the region's rows, nothing loaded into Go but one row per child).
// Children without any KMP are listed with zeros, named from the regions table.
func (db *DB) KMPSummary(ctx context.Context, region string) (KMPSummary, error) {
	n := childCodeLength(region)
	group := "''"
	if n > 0 {
		group = fmt.Sprintf("substr(region_code, 1, %d)", n)
	}
	sel := group + ` AS child, COUNT(*) AS total, SUM(CASE WHEN late THEN 1 ELSE 0 END) AS late`
	for i := 1; i <= len(domain.KMPSteps); i++ {
		sel += fmt.Sprintf(", SUM(CASE WHEN reached >= %d THEN 1 ELSE 0 END) AS m%d", i, i)
	}
	q := withinRange(db.orm.WithContext(ctx).Model(&kmpRow{}), "region_code", region).Select(sel)
	if n > 0 {
		q = q.Group("child")
	}
	var rows []kmpCountRow
	if err := q.Scan(&rows).Error; err != nil {
		return KMPSummary{}, fmt.Errorf("kmp summary %s: %w", region, err)
	}
	out := KMPSummary{Region: region, KMPCounts: kmpCountRow{}.counts(), Children: []KMPSummaryChild{}}
	byChild := map[string]KMPCounts{}
	for _, r := range rows {
		c := r.counts()
		byChild[r.Child] = c
		out.Total += c.Total
		out.Late += c.Late
		for m, v := range c.ByMilestone {
			out.ByMilestone[m] += v
		}
	}
	if n == 0 {
		return out, nil
	}
	parent := region
	if region == domain.NationalScope {
		parent = ""
	}
	children, err := db.ListRegions(ctx, parent)
	if err != nil {
		return KMPSummary{}, err
	}
	for _, ch := range children {
		c, ok := byChild[ch.Code]
		if !ok {
			c = kmpCountRow{}.counts()
		}
		out.Children = append(out.Children, KMPSummaryChild{Region: ch.Code, Name: ch.Name, KMPCounts: c})
	}
	return out, nil
}

// DesaUnder returns the desa/kelurahan under region ("*": all) whose code
// follows after, in code order, at most limit: the bulk start's pages.
func (db *DB) DesaUnder(ctx context.Context, region, after string, limit int) ([]Region, error) {
	q := withinRange(db.orm.WithContext(ctx).Where("level = ?", int(domain.LevelDesa)), "code", region)
	if after != "" {
		q = q.Where("code > ?", after)
	}
	var rows []regionRow
	if err := q.Order("code").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("desa under %s: %w", region, err)
	}
	out := make([]Region, len(rows))
	for i, r := range rows {
		out[i] = r.region()
	}
	return out, nil
}

// CountDesaUnder counts the desa/kelurahan under region ("*": all).
func (db *DB) CountDesaUnder(ctx context.Context, region string) (int64, error) {
	var n int64
	q := withinRange(db.orm.WithContext(ctx).Model(&regionRow{}).Where("level = ?", int(domain.LevelDesa)), "code", region)
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count desa under %s: %w", region, err)
	}
	return n, nil
}

// KMPStartJob is a bulk start of KMP workflows and how far it got.
type KMPStartJob struct {
	ID         string              `json:"id"`
	Region     string              `json:"region"`
	Deadlines  domain.KMPDeadlines `json:"deadlines"`
	Actor      domain.Actor        `json:"actor"`
	Status     string              `json:"status"` // running, done, failed
	Total      int64               `json:"total"`
	Started    int64               `json:"started"`
	Already    int64               `json:"already"`
	Failed     int64               `json:"failed"`
	Cursor     string              `json:"cursor"`
	CreatedAt  time.Time           `json:"created_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
	FinishedAt *time.Time          `json:"finished_at"`
}

// Job statuses.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

type kmpJobRow struct {
	ID         string `gorm:"primaryKey"`
	Region     string
	Deadlines  string
	Actor      string
	ActorRole  string
	Status     string
	Total      int64
	Started    int64
	Already    int64
	Failed     int64
	Cursor     string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt  time.Time `gorm:"autoUpdateTime:false"`
	FinishedAt *time.Time
}

func (kmpJobRow) TableName() string { return "kmp_start_jobs" }

// SaveKMPStartJob inserts a job, or writes its progress over the stored one.
func (db *DB) SaveKMPStartJob(ctx context.Context, j KMPStartJob) error {
	d, err := json.Marshal(j.Deadlines)
	if err != nil {
		return err
	}
	if j.UpdatedAt.IsZero() {
		j.UpdatedAt = time.Now()
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = j.UpdatedAt
	}
	row := kmpJobRow{ID: j.ID, Region: j.Region, Deadlines: string(d), Actor: j.Actor.Username, ActorRole: string(j.Actor.Role),
		Status: j.Status, Total: j.Total, Started: j.Started, Already: j.Already, Failed: j.Failed, Cursor: j.Cursor,
		CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC(), FinishedAt: utcPtr(j.FinishedAt)}
	err = db.orm.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"status", "total", "started", "already", "failed", "cursor", "updated_at", "finished_at"})}).
		Create(&row).Error
	if err != nil {
		return fmt.Errorf("save kmp start job %s: %w", j.ID, err)
	}
	return nil
}

// GetKMPStartJob returns a job, ENOTFOUND when there is none.
func (db *DB) GetKMPStartJob(ctx context.Context, id string) (KMPStartJob, error) {
	var r kmpJobRow
	err := db.orm.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return KMPStartJob{}, domain.Errorf(domain.ENOTFOUND, "Pekerjaan memulai KMP %q tidak ditemukan.", id)
	}
	if err != nil {
		return KMPStartJob{}, fmt.Errorf("get kmp start job %s: %w", id, err)
	}
	j := KMPStartJob{ID: r.ID, Region: r.Region, Actor: domain.Actor{Username: r.Actor, Role: domain.Role(r.ActorRole), Scope: r.Region},
		Status: r.Status, Total: r.Total, Started: r.Started, Already: r.Already, Failed: r.Failed, Cursor: r.Cursor,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), FinishedAt: utcPtr(r.FinishedAt)}
	if err := json.Unmarshal([]byte(r.Deadlines), &j.Deadlines); err != nil {
		return KMPStartJob{}, fmt.Errorf("decode deadlines of job %s: %w", id, err)
	}
	return j, nil
}
