package workflows

// The contract of CycleWorkflow: names, IDs, inputs and results. A cycle is
// one workflow (ID cycle/<province>/<fiscal year>) that owns the calendar,
// the ceilings (pagu indikatif) and their consumption, the targets, the
// Rakorda's agreements and attendance, and the lock that moves the
// consolidated list to the ministry. Like ProposalWorkflow, every change is
// an Update with a validator and is projected into the database (cycles and
// its child tables, cycle_events) before the Update answers.

import (
	"fmt"
	"time"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// CycleWorkflowName is the registered type name of CycleWorkflow.
const CycleWorkflowName = "CycleWorkflow"

// CycleWorkflowID is the workflow ID of a province's cycle for a fiscal
// year: one running workflow per province and year, so Temporal itself
// routes a second creation to the first (which refuses it).
func CycleWorkflowID(province string, fiscalYear int) string {
	return fmt.Sprintf("cycle/%s/%d", province, fiscalYear)
}

// CycleWorkflowIDOf is the workflow ID of the cycle with public id cycleID
// ("74-2027" is cycle/74/2027); an id of another shape is ENOTFOUND.
func CycleWorkflowIDOf(cycleID string) (string, error) {
	province, fy, err := domain.ParseCycleID(cycleID)
	if err != nil {
		return "", err
	}
	return CycleWorkflowID(province, fy), nil
}

// Update and query names of CycleWorkflow.
const (
	// CycleUpdateCreate opens the cycle; sent with Update-with-Start. Its
	// argument is a CreateCycleRequest.
	CycleUpdateCreate = "create"
	// CycleUpdateMoveCalendar moves dates (PATCH) and tells every open
	// proposal; argument MoveCalendarRequest.
	CycleUpdateMoveCalendar = "move_calendar"
	// CycleUpdateSetCeilings replaces the ceilings; argument SetCeilingsRequest.
	CycleUpdateSetCeilings = "set_ceilings"
	// CycleUpdateSetTargets replaces the targets; argument SetTargetsRequest.
	CycleUpdateSetTargets = "set_targets"
	// CycleUpdateRecordAgreements replaces the Rakorda's agreements;
	// argument RecordAgreementsRequest.
	CycleUpdateRecordAgreements = "record_agreements"
	// CycleUpdateRecordAttendance replaces the Rakorda's attendance list;
	// argument RecordAttendanceRequest.
	CycleUpdateRecordAttendance = "record_attendance"
	// CycleUpdateReserve counts a proposal's consolidated amount against
	// its ceiling; sent by the ReserveCeiling activity of a proposal's
	// consolidate. Argument activities.CeilingReservation.
	CycleUpdateReserve = "reserve"
	// CycleUpdateLock moves every consolidated proposal to the ministry;
	// argument LockCycleRequest.
	CycleUpdateLock = "lock"
	// CycleQueryState returns the live Cycle.
	CycleQueryState = "state"
	// CycleQueryLockProgress returns the LockProgress of the last lock.
	CycleQueryLockProgress = "lock_progress"
)

// Actions recorded in a cycle's trail (cycle_events).
const (
	CycleEventCreate     = "create"
	CycleEventMove       = "move_calendar"
	CycleEventCeilings   = "set_ceilings"
	CycleEventTargets    = "set_targets"
	CycleEventAgreements = "record_agreements"
	CycleEventAttendance = "record_attendance"
	CycleEventLock       = "lock"
)

// Lock batching: each LockBatch activity moves up to LockBatchSize
// proposals, so a lock of thousands is a few dozen activities, each well
// within its timeouts and heartbeating, and the workflow's progress is
// queryable between them.
const (
	LockBatchSize           = activities.CyclePageSize
	LockBatchTimeout        = 15 * time.Minute
	LockBatchHeartbeat      = time.Minute
	SignalCalendarTimeout   = 15 * time.Minute
	SignalCalendarHeartbeat = time.Minute
)

// CycleInput starts a CycleWorkflow; State is set only by continue-as-new.
type CycleInput struct {
	ProvinceCode string      `json:"province_code"`
	FiscalYear   int         `json:"fiscal_year"`
	State        *CycleState `json:"state,omitempty"`
}

// Reservation is one proposal's consolidated amount counted against the
// ceiling of RegionCode (its kab/kota, or the province).
type Reservation struct {
	RegionCode string `json:"region_code"`
	AmountIDR  int64  `json:"amount_idr"`
}

// LockProgress is the state of the cycle's last lock, for a progress bar.
type LockProgress struct {
	Attempt   int          `json:"attempt"`
	Actor     domain.Actor `json:"actor"`
	StartedAt time.Time    `json:"started_at"`
	Running   bool         `json:"running"`
	Total     int          `json:"total"` // consolidated proposals found at the start
	Moved     int          `json:"moved"`
	Skipped   int          `json:"skipped"`
	Failed    int          `json:"failed"`
}

// CycleState is everything the workflow knows; continue-as-new carries it
// whole to the next run.
type CycleState struct {
	Cycle        domain.CycleDetail     `json:"cycle"`
	Origin       string                 `json:"origin"` // run ID of the run that created the cycle
	Created      bool                   `json:"created"`
	Seq          int64                  `json:"seq"`
	Reservations map[string]Reservation `json:"reservations,omitempty"` // by proposal id
	Lock         LockProgress           `json:"lock"`
}

// CreateCycleRequest opens a cycle. Ceilings and Targets are optional.
// RequestID, when set (an Idempotency-Key), makes a retried creation a
// duplicate Temporal answers from the first; without it every call is a new
// attempt, so a second creation is refused.
type CreateCycleRequest struct {
	Actor        domain.Actor     `json:"actor"`
	ProvinceCode string           `json:"province_code"`
	FiscalYear   int              `json:"fiscal_year"`
	Calendar     domain.Calendar  `json:"calendar"`
	Ceilings     []domain.Ceiling `json:"ceilings,omitempty"`
	Targets      []domain.Target  `json:"targets,omitempty"`
	RequestID    string           `json:"request_id,omitempty"`
}

// CalendarPatch is a PATCH of the calendar: nil dates stay as they are.
type CalendarPatch struct {
	SubmissionDeadline    *time.Time `json:"submission_deadline,omitempty"`
	ReviewDeadline        *time.Time `json:"review_deadline,omitempty"`
	RakordaStart          *time.Time `json:"rakorda_start,omitempty"`
	RakordaEnd            *time.Time `json:"rakorda_end,omitempty"`
	ConsolidationDeadline *time.Time `json:"consolidation_deadline,omitempty"`
	MinistryDeadline      *time.Time `json:"ministry_deadline,omitempty"`
	MappingDeadline       *time.Time `json:"mapping_deadline,omitempty"`
}

// Apply returns c with the patch's dates.
func (p CalendarPatch) Apply(c domain.Calendar) domain.Calendar {
	set := func(dst *time.Time, src *time.Time) {
		if src != nil {
			*dst = src.UTC()
		}
	}
	set(&c.SubmissionDeadline, p.SubmissionDeadline)
	set(&c.ReviewDeadline, p.ReviewDeadline)
	set(&c.RakordaStart, p.RakordaStart)
	set(&c.RakordaEnd, p.RakordaEnd)
	set(&c.ConsolidationDeadline, p.ConsolidationDeadline)
	set(&c.MinistryDeadline, p.MinistryDeadline)
	set(&c.MappingDeadline, p.MappingDeadline)
	return c
}

// FullPatch is the patch that sets every date of c.
func FullPatch(c domain.Calendar) CalendarPatch {
	return CalendarPatch{
		SubmissionDeadline: &c.SubmissionDeadline, ReviewDeadline: &c.ReviewDeadline,
		RakordaStart: &c.RakordaStart, RakordaEnd: &c.RakordaEnd, ConsolidationDeadline: &c.ConsolidationDeadline,
		MinistryDeadline: &c.MinistryDeadline, MappingDeadline: &c.MappingDeadline,
	}
}

// MoveCalendarRequest moves dates. ExpectedVersion (If-Match) is optional.
type MoveCalendarRequest struct {
	Actor           domain.Actor  `json:"actor"`
	ExpectedVersion int64         `json:"expected_version,omitempty"`
	Calendar        CalendarPatch `json:"calendar"`
}

// SetCeilingsRequest replaces every ceiling of the cycle; a kab/kota left
// out has no ceiling.
type SetCeilingsRequest struct {
	Actor           domain.Actor     `json:"actor"`
	ExpectedVersion int64            `json:"expected_version,omitempty"`
	Ceilings        []domain.Ceiling `json:"ceilings"`
}

// SetTargetsRequest replaces the cycle's targets.
type SetTargetsRequest struct {
	Actor           domain.Actor    `json:"actor"`
	ExpectedVersion int64           `json:"expected_version,omitempty"`
	Targets         []domain.Target `json:"targets"`
}

// RecordAgreementsRequest replaces the Rakorda's agreements; they are
// numbered in the order given.
type RecordAgreementsRequest struct {
	Actor           domain.Actor `json:"actor"`
	ExpectedVersion int64        `json:"expected_version,omitempty"`
	Agreements      []string     `json:"agreements"`
}

// RecordAttendanceRequest replaces the Rakorda's attendance list; Number is
// assigned in the order given.
type RecordAttendanceRequest struct {
	Actor           domain.Actor      `json:"actor"`
	ExpectedVersion int64             `json:"expected_version,omitempty"`
	Attendance      []domain.Attendee `json:"attendance"`
}

// LockCycleRequest locks the cycle (kadis_provinsi; the API checks Casbin).
type LockCycleRequest struct {
	Actor   domain.Actor `json:"actor"`
	Comment string       `json:"comment,omitempty"`
}

// LockCycleResult is the locked cycle and what the lock did.
type LockCycleResult struct {
	Cycle   domain.CycleDetail `json:"cycle"`
	Moved   int                `json:"moved"`
	Skipped int                `json:"skipped"`
}
