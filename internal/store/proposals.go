package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rencana-id/rencana/internal/domain"
)

type proposalRow struct {
	ID                    string `gorm:"primaryKey"`
	CycleID               string
	RegionCode            string
	Title                 string
	Description           string
	Category              string
	AmountIDR             int64 `gorm:"column:amount_idr"`
	FundingSource         string
	Indicators            string
	SIPDCode              string `gorm:"column:sipd_code"`
	Beneficiaries         string
	Stage                 string
	Priority              int
	Consolidated          bool
	ConsolidatedAmountIDR int64 `gorm:"column:consolidated_amount_idr"`
	CreatedBy             string
	SubmittedBy           string
	DueAt                 *time.Time
	Overdue               bool
	Version               int64
	Seq                   int64
	CreatedAt             time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt             time.Time `gorm:"autoUpdateTime:false"`
	// Issue 18: JSON array of koperasi ids.
	BeneficiariesKoperasi string
	// The dossier (issue 21; store/dossier.go).
	Number    string
	RAB       string `gorm:"column:rab"`
	Locations string
	Origin    string
}

func (proposalRow) TableName() string { return "proposals" }

type proposalEventRow struct {
	ProposalID   string `gorm:"primaryKey"`
	Seq          int64  `gorm:"primaryKey;autoIncrement:false"`
	Action       string
	FromStage    string
	ToStage      string
	Actor        string
	ActorRole    string
	ActorScope   string
	Comment      string
	Payload      string
	At           time.Time
	TransitionID string
}

func (proposalEventRow) TableName() string { return "proposal_events" }

type notificationRow struct {
	ID                string `gorm:"primaryKey"`
	RecipientUsername string
	RecipientRole     string
	RecipientScope    string
	ProposalID        string
	Kind              string
	Message           string
	CreatedAt         time.Time `gorm:"autoCreateTime:false"`
	ReadAt            *time.Time
	Seq               int64
	Subject           string
	MailedAt          *time.Time
}

func (notificationRow) TableName() string { return "notifications" }

func (r notificationRow) notification() domain.Notification {
	return domain.Notification{
		ID: r.ID, RecipientUsername: r.RecipientUsername, RecipientRole: domain.Role(r.RecipientRole),
		RecipientScope: r.RecipientScope, ProposalID: r.ProposalID, Kind: r.Kind, Message: r.Message,
		CreatedAt: r.CreatedAt.UTC(), ReadAt: utcPtr(r.ReadAt), Seq: r.Seq, Subject: r.Subject,
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func proposalToRow(p domain.Proposal, seq int64) (proposalRow, error) {
	ind := p.Indicators
	if ind == nil {
		ind = []domain.Indicator{}
	}
	b, err := json.Marshal(ind)
	if err != nil {
		return proposalRow{}, fmt.Errorf("encode indicators: %w", err)
	}
	kop, err := encodeKoperasiIDs(p.BeneficiariesKoperasi)
	if err != nil {
		return proposalRow{}, err
	}
	return proposalRow{
		BeneficiariesKoperasi: kop,
		ID:                    p.ID, CycleID: p.CycleID, RegionCode: p.RegionCode, Title: p.Title, Description: p.Description,
		Category: string(p.Category), AmountIDR: p.AmountIDR, FundingSource: string(p.FundingSource),
		Indicators: string(b), SIPDCode: p.SIPDCode, Beneficiaries: p.Beneficiaries, Stage: string(p.Stage),
		Priority: p.Priority, Consolidated: p.Consolidated, ConsolidatedAmountIDR: p.ConsolidatedAmountIDR,
		CreatedBy: p.CreatedBy, SubmittedBy: p.SubmittedBy, DueAt: utcPtr(p.DueAt), Overdue: p.Overdue,
		Version: p.Version, Seq: seq, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
	}.withDossier(p)
}

func (r proposalRow) domain() (domain.Proposal, error) {
	var ind []domain.Indicator
	if err := json.Unmarshal([]byte(r.Indicators), &ind); err != nil {
		return domain.Proposal{}, fmt.Errorf("decode indicators of %s: %w", r.ID, err)
	}
	if ind == nil {
		ind = []domain.Indicator{}
	}
	kop, err := decodeKoperasiIDs(r.BeneficiariesKoperasi)
	if err != nil {
		return domain.Proposal{}, fmt.Errorf("decode beneficiaries_koperasi of %s: %w", r.ID, err)
	}
	p := domain.Proposal{
		BeneficiariesKoperasi: kop,
		ID:                    r.ID, CycleID: r.CycleID, RegionCode: r.RegionCode, Title: r.Title, Description: r.Description,
		Category: domain.Category(r.Category), AmountIDR: r.AmountIDR, FundingSource: domain.FundingSource(r.FundingSource),
		Indicators: ind, SIPDCode: r.SIPDCode, Beneficiaries: r.Beneficiaries, Stage: domain.Stage(r.Stage),
		Priority: r.Priority, Consolidated: r.Consolidated, ConsolidatedAmountIDR: r.ConsolidatedAmountIDR,
		CreatedBy: r.CreatedBy, SubmittedBy: r.SubmittedBy, DueAt: utcPtr(r.DueAt), Overdue: r.Overdue,
		Version: r.Version, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	return p, r.dossier(&p)
}

// IsForeignKeyViolation reports whether err says a referenced row (a cycle,
// a region) does not exist, in either engine.
func IsForeignKeyViolation(err error) bool {
	return errors.Is(err, gorm.ErrForeignKeyViolated) ||
		(err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed"))
}

// RecordTransition writes snapshot p and its event ev, and the
// notifications the transition sends, in one transaction. It is idempotent
// on (proposal, seq): a retry of the same transition (same TransitionID)
// changes nothing and reports false. A different transition at a seq
// already written replaces it and everything after it, notifications
// included: that earlier write came from a workflow task that never
// completed (a worker died after its local activity ran), so Temporal's
// history, which the retried task follows, is the truth. A snapshot older
// than the row never overwrites it.
func (db *DB) RecordTransition(ctx context.Context, p domain.Proposal, ev domain.ProposalEvent, notes ...domain.Notification) (recorded bool, err error) {
	return db.recordTransition(ctx, nil, p, ev, notes)
}

// RecordConsolidation is RecordTransition for a consolidate: in the same
// transaction, under a lock on the cycle's row (PostgreSQL; SQLite has one
// writer anyway), it checks that r's amount plus what the region's other
// proposals reserved fits the region's ceiling, and reserves it, replacing
// the proposal's earlier reservation. A refusal (domain.CeilingExceeded)
// writes nothing. A retry of a transition already recorded is not checked
// again. RecordCycle takes the same lock to refuse a ceiling below what is
// reserved, so a reservation and a ceiling change are judged one after the
// other.
func (db *DB) RecordConsolidation(ctx context.Context, r domain.Reservation, p domain.Proposal, ev domain.ProposalEvent, notes ...domain.Notification) (recorded bool, err error) {
	if r.ProposalID != p.ID || r.CycleID != p.CycleID || r.RegionCode == "" {
		return false, domain.Errorf(domain.EINVALID, "Reservasi pagu %s/%s bukan milik usulan %s.", r.CycleID, r.ProposalID, p.ID)
	}
	return db.recordTransition(ctx, &r, p, ev, notes)
}

func (db *DB) recordTransition(ctx context.Context, r *domain.Reservation, p domain.Proposal, ev domain.ProposalEvent, notes []domain.Notification) (recorded bool, err error) {
	if p.ID == "" || ev.ProposalID != p.ID || ev.Seq <= 0 {
		return false, domain.Errorf(domain.EINVALID, "Transisi usulan tidak lengkap (id %q, seq %d).", p.ID, ev.Seq)
	}
	row, err := proposalToRow(p, ev.Seq)
	if err != nil {
		return false, err
	}
	payload := string(ev.Payload)
	if payload == "" || payload == "null" {
		payload = "{}"
	}
	evRow := proposalEventRow{
		ProposalID: ev.ProposalID, Seq: ev.Seq, Action: ev.Action, FromStage: string(ev.FromStage),
		ToStage: string(ev.ToStage), Actor: ev.Actor.Username, ActorRole: string(ev.Actor.Role),
		ActorScope: ev.Actor.Scope, Comment: ev.Comment, Payload: payload, At: ev.At.UTC(), TransitionID: ev.TransitionID,
	}
	noteRows, err := notificationRows(notes)
	if err != nil {
		return false, err
	}
	for _, r := range noteRows {
		if r.ProposalID != p.ID || r.Seq != ev.Seq {
			return false, domain.Errorf(domain.EINVALID, "Notifikasi %q bukan milik transisi %s#%d.", r.ID, p.ID, ev.Seq)
		}
	}
	err = db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var existing []proposalEventRow
		if err := tx.Select("transition_id").Where("proposal_id = ? AND seq = ?", ev.ProposalID, ev.Seq).Limit(1).Find(&existing).Error; err != nil {
			return err
		}
		replace := false
		if len(existing) > 0 {
			had := existing[0].TransitionID
			if had == "" || ev.TransitionID == "" || had == ev.TransitionID {
				return nil // already recorded: a retry
			}
			replace = true
			if err := tx.Where("proposal_id = ? AND seq >= ?", ev.ProposalID, ev.Seq).Delete(&proposalEventRow{}).Error; err != nil {
				return err
			}
			if err := tx.Where("proposal_id = ? AND seq >= ?", ev.ProposalID, ev.Seq).Delete(&notificationRow{}).Error; err != nil {
				return err
			}
		}
		if r != nil {
			if err := db.reserve(tx, *r, ev.At); err != nil {
				return err
			}
		} else if replace {
			if err := followSnapshot(tx, p); err != nil {
				return err
			}
		}
		// Insert the row, or update it when this snapshot is newer (or
		// replaces the one written at this seq).
		upsert := clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns(proposalColumns)}
		if !replace {
			upsert.Where = clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "proposals.seq < excluded.seq"}}}
		}
		res := tx.Clauses(upsert).Create(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			if err := syncProposalKoperasi(tx, p); err != nil {
				return err
			}
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
	var de *domain.Error
	switch {
	case err == nil:
		return recorded, nil
	case errors.As(err, &de):
		return false, de
	case IsUniqueViolation(err):
		// A concurrent attempt with the same seq committed first.
		return false, nil
	case IsForeignKeyViolation(err):
		return false, domain.Errorf(domain.EINVALID, "Siklus %q atau wilayah %q tidak dikenal.", p.CycleID, p.RegionCode)
	default:
		return false, fmt.Errorf("record transition %s#%d: %w", p.ID, ev.Seq, err)
	}
}

// proposalColumns are the columns a newer snapshot overwrites.
var proposalColumns = []string{
	"cycle_id", "region_code", "title", "description", "category", "amount_idr", "funding_source",
	"indicators", "sipd_code", "beneficiaries", "stage", "priority", "consolidated",
	"consolidated_amount_idr", "created_by", "submitted_by", "due_at", "overdue", "version", "seq",
	"created_at", "updated_at",
	"beneficiaries_koperasi",
}

// GetProposal returns the projection of a proposal, or ENOTFOUND.
func (db *DB) GetProposal(ctx context.Context, id string) (domain.Proposal, error) {
	var row proposalRow
	err := db.orm.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Proposal{}, domain.Errorf(domain.ENOTFOUND, "Usulan %q tidak ditemukan.", id)
	}
	if err != nil {
		return domain.Proposal{}, fmt.Errorf("get proposal: %w", err)
	}
	return row.domain()
}

// ProposalSeq returns the seq of the last event applied to a proposal's row,
// 0 when the proposal is not projected yet; tests and repair tools use it.
func (db *DB) ProposalSeq(ctx context.Context, id string) (int64, error) {
	var seqs []int64
	if err := db.orm.WithContext(ctx).Model(&proposalRow{}).Where("id = ?", id).Pluck("seq", &seqs).Error; err != nil {
		return 0, fmt.Errorf("proposal seq: %w", err)
	}
	if len(seqs) == 0 {
		return 0, nil
	}
	return seqs[0], nil
}

// ListProposalEvents returns a proposal's audit trail, oldest first.
func (db *DB) ListProposalEvents(ctx context.Context, proposalID string) ([]domain.ProposalEvent, error) {
	var rows []proposalEventRow
	if err := db.orm.WithContext(ctx).Where("proposal_id = ?", proposalID).Order("seq").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list proposal events: %w", err)
	}
	out := make([]domain.ProposalEvent, len(rows))
	for i, r := range rows {
		out[i] = domain.ProposalEvent{
			ProposalID: r.ProposalID, Seq: r.Seq, Action: r.Action, FromStage: domain.Stage(r.FromStage),
			ToStage: domain.Stage(r.ToStage), Comment: r.Comment, Payload: json.RawMessage(r.Payload), At: r.At.UTC(), TransitionID: r.TransitionID,
			Actor: domain.Actor{Username: r.Actor, Role: domain.Role(r.ActorRole), Scope: r.ActorScope},
		}
	}
	return out, nil
}

// InsertNotification stores n; an ID that already exists is a no-op, so a
// retried activity never notifies twice.
func (db *DB) InsertNotification(ctx context.Context, n domain.Notification) error {
	row, err := notificationToRow(n)
	if err != nil {
		return err
	}
	err = db.orm.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoNothing: true}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("insert notification %s: %w", n.ID, err)
	}
	return nil
}

// notificationRows converts the notifications a change sends, for
// insertNotifications in the change's transaction.
func notificationRows(notes []domain.Notification) ([]notificationRow, error) {
	rows := make([]notificationRow, 0, len(notes))
	for _, n := range notes {
		r, err := notificationToRow(n)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// insertNotifications writes a change's notifications in its transaction,
// idempotent on their ids: a retried projection writes none twice.
func insertNotifications(tx *gorm.DB, rows []notificationRow) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoNothing: true}).Create(&rows).Error
}

func notificationToRow(n domain.Notification) (notificationRow, error) {
	if n.ID == "" || n.Kind == "" || (n.RecipientUsername == "" && n.RecipientRole == "") {
		return notificationRow{}, domain.Errorf(domain.EINVALID, "Notifikasi tidak lengkap.")
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = time.Now()
	}
	return notificationRow{
		ID: n.ID, RecipientUsername: n.RecipientUsername, RecipientRole: string(n.RecipientRole),
		RecipientScope: n.RecipientScope, ProposalID: n.ProposalID, Kind: n.Kind, Message: n.Message,
		CreatedAt: n.CreatedAt.UTC(), ReadAt: utcPtr(n.ReadAt), Seq: n.Seq, Subject: n.Subject,
	}, nil
}

// ListProposalNotifications returns the notifications about one proposal,
// oldest first.
func (db *DB) ListProposalNotifications(ctx context.Context, proposalID string) ([]domain.Notification, error) {
	var rows []notificationRow
	if err := db.orm.WithContext(ctx).Where("proposal_id = ?", proposalID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	out := make([]domain.Notification, len(rows))
	for i, r := range rows {
		out[i] = r.notification()
	}
	return out, nil
}

type reservationRow struct {
	ProposalID string `gorm:"primaryKey"`
	CycleID    string
	RegionCode string
	AmountIDR  int64 `gorm:"column:amount_idr"`
	ReservedAt time.Time
}

func (reservationRow) TableName() string { return "ceiling_reservations" }

// reserve checks r against its region's ceiling and stores it (see
// RecordConsolidation).
func (db *DB) reserve(tx *gorm.DB, r domain.Reservation, at time.Time) error {
	if err := db.lockCycle(tx, r.CycleID); err != nil {
		return err
	}
	var ceilings []int64
	if err := tx.Model(&cycleCeilingRow{}).Where("cycle_id = ? AND region_code = ?", r.CycleID, r.RegionCode).
		Limit(1).Pluck("amount_idr", &ceilings).Error; err != nil {
		return err
	}
	if len(ceilings) > 0 {
		used, err := reserved(tx, r.CycleID, r.RegionCode, r.ProposalID)
		if err != nil {
			return err
		}
		if used+r.AmountIDR > ceilings[0] {
			return domain.CeilingExceeded(r.AmountIDR, r.RegionCode, ceilings[0], used)
		}
	}
	row := reservationRow{ProposalID: r.ProposalID, CycleID: r.CycleID, RegionCode: r.RegionCode, AmountIDR: r.AmountIDR, ReservedAt: at.UTC()}
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "proposal_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"cycle_id", "region_code", "amount_idr", "reserved_at"})}).Create(&row).Error
}

// followSnapshot makes a proposal's reservation agree with p, the state a
// replacing transition records: the replaced ones (a reset workflow) may
// have been consolidates. It drops the reservation of a proposal p says is
// not consolidated, and puts back p's amount on one that is. It never
// creates a reservation: workflows recorded before reservations moved into
// the projection reserve with their cycle, and those have no row here.
func followSnapshot(tx *gorm.DB, p domain.Proposal) error {
	if !p.Consolidated {
		return tx.Where("proposal_id = ?", p.ID).Delete(&reservationRow{}).Error
	}
	return tx.Model(&reservationRow{}).Where("proposal_id = ?", p.ID).Update("amount_idr", p.ConsolidatedAmountIDR).Error
}

// reserved is the sum of the amounts reserved in a cycle's region, leaving
// out the proposal except.
func reserved(tx *gorm.DB, cycleID, region, except string) (int64, error) {
	var sum int64
	err := tx.Model(&reservationRow{}).Where("cycle_id = ? AND region_code = ? AND proposal_id <> ?", cycleID, region, except).
		Select("COALESCE(SUM(amount_idr), 0)").Scan(&sum).Error
	return sum, err
}

// lockCycle takes the row lock that orders a cycle's reservations and
// ceiling changes on PostgreSQL. SQLite transactions here take the write
// lock when they begin (_txlock=immediate), which orders them already.
func (db *DB) lockCycle(tx *gorm.DB, cycleID string) error {
	if db.Dialect != Postgres {
		return nil
	}
	var ids []string
	return tx.Raw("SELECT id FROM cycles WHERE id = ? FOR UPDATE", cycleID).Scan(&ids).Error
}
