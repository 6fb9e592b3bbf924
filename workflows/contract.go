// Package workflows holds rencana's Temporal workflows. A proposal is one
// ProposalWorkflow (ID proposal/<id>): every human decision is an Update with
// a validator, so the API answers synchronously with the new state or with
// the reason for a refusal; timers carry the cycle's deadlines; every change
// is projected into the database by an idempotent local activity before the Update
// returns. This file is the contract the API and the cycle rely on: names,
// IDs, inputs and results. Workflow code is deterministic and does no I/O.
package workflows

import (
	"time"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// TaskQueue is the one task queue every rencana worker polls.
const TaskQueue = "rencana"

// ProposalWorkflowName is the registered type name of ProposalWorkflow; it is
// fixed here so that renaming the Go function cannot orphan running
// workflows.
const ProposalWorkflowName = "ProposalWorkflow"

// ProposalWorkflowID is the workflow ID of a proposal: one workflow per
// proposal, so Temporal itself refuses a second one.
func ProposalWorkflowID(proposalID string) string { return "proposal/" + proposalID }

// Update, query and signal names of ProposalWorkflow. Every action of
// domain.Actions is also an Update, named exactly like the action (see
// ActionUpdateName).
const (
	// UpdateCreate saves the draft; it is sent with Update-with-Start and
	// answers with the saved draft. Its argument is a CreateRequest.
	UpdateCreate = "create"
	// UpdateEdit changes a draft; its argument is an EditRequest carrying
	// the version the caller saw (If-Match).
	UpdateEdit = "edit"
	// UpdateLock moves a consolidated proposal to the ministry stage when
	// its cycle is locked; its argument is an ActionRequest.
	UpdateLock = "lock"
	// QueryState returns the live Proposal.
	QueryState = "state"
	// SignalCalendar carries a new domain.Calendar when the cycle's dates
	// move; the deadline timers follow it. Kept for workflows that older
	// cycles signal; MoveCalendar uses UpdateCalendar.
	SignalCalendar = "calendar"
	// UpdateCalendar applies a new domain.Calendar and answers once it is
	// in force (read-your-writes for the cycle's PATCH).
	UpdateCalendar = "move_calendar"
)

// ActionUpdateName is the Update that performs action a.
func ActionUpdateName(a domain.Action) string { return string(a) }

// Event actions recorded in the audit trail besides domain.Actions.
const (
	EventCreate     = "create"     // the draft was saved
	EventEdit       = "edit"       // the draft was changed
	EventLock       = "lock"       // the cycle moved it to the ministry
	EventExpire     = "expire"     // the submission deadline passed in draft
	EventEscalate   = "escalate"   // the review deadline passed in kabkota_review
	EventReschedule = "reschedule" // the cycle's calendar moved its due date
)

// Notification kinds.
const (
	NoticeReviewRequested = "review_requested" // to the kab/kota reviewers, on submit
	NoticeReviewReminder  = "review_reminder"  // to the kab/kota reviewers, before the review deadline
	NoticeReviewOverdue   = "review_overdue"   // to the kepala dinas kab/kota, escalation
	NoticeStageChanged    = "stage_changed"    // to the creator, when someone else moved it
	// NoticeDeadlineReminder goes, ReminderBefore the deadline of the
	// stage a proposal is in, to whoever acts in that stage: the
	// submitters of a draft, the Kepala Dinas provinsi at Rakorda, the
	// provincial planners at consolidation, the ministry liaison, the
	// mapping planners. (Review keeps NoticeReviewReminder.)
	NoticeDeadlineReminder = "deadline_reminder"
	// NoticeDeadlineReminderOwner is the same reminder to a draft's creator.
	NoticeDeadlineReminderOwner = "deadline_reminder_owner"
)

// ReminderBefore is how long before the review deadline the kab/kota
// reviewers are reminded of proposals still waiting for them.
const ReminderBefore = 72 * time.Hour

// CreateTimeout is how long a started workflow waits for its create Update:
// with Update-with-Start it arrives at once, so this only ends workflows
// whose create was refused.
const CreateTimeout = 10 * time.Minute

// SystemActor is recorded for transitions no person made: expiry,
// escalation, rescheduling.
var SystemActor = domain.Actor{Username: "system", Role: "system", Scope: domain.NationalScope}

// ProposalInput starts a ProposalWorkflow. The API fills ProposalID, CycleID
// and Calendar (read from the cycle); State is set only by continue-as-new.
type ProposalInput struct {
	ProposalID string          `json:"proposal_id"`
	CycleID    string          `json:"cycle_id"`
	Calendar   domain.Calendar `json:"calendar"`
	State      *ProposalState  `json:"state,omitempty"`
}

// ProposalState is everything the workflow knows; continue-as-new carries it
// whole to the next run.
type ProposalState struct {
	Proposal     domain.Proposal `json:"proposal"`
	Calendar     domain.Calendar `json:"calendar"`
	Seq          int64           `json:"seq"` // seq of the last recorded event
	Created      bool            `json:"created"`
	ReminderSent bool            `json:"reminder_sent"`
	// RemindedStage is the stage whose deadline reminder has gone out
	// (NoticeDeadlineReminder); empty when none.
	RemindedStage domain.Stage             `json:"reminded_stage,omitempty"`
	Pending       []activities.NotifyInput `json:"pending,omitempty"` // notifications not yet delivered
}

// Draft is the content of a proposal as its author writes it. A draft may
// be incomplete; submit requires every field but sipd_code.
type Draft struct {
	RegionCode    string               `json:"region_code"`
	Title         string               `json:"title"`
	Description   string               `json:"description"`
	Category      domain.Category      `json:"category"`
	AmountIDR     int64                `json:"amount_idr"`
	FundingSource domain.FundingSource `json:"funding_source"`
	Indicators    []domain.Indicator   `json:"indicators"`
	SIPDCode      string               `json:"sipd_code"`
	Beneficiaries string               `json:"beneficiaries"`
	// Issue 18: koperasi ids from the register.
	BeneficiariesKoperasi []string `json:"beneficiaries_koperasi,omitempty"`
	// The dossier (issue 21). Number is assigned by the API before the
	// create (store.NextProposalNumber) and never changes afterwards.
	Number    string           `json:"number,omitempty"`
	RAB       []domain.RABLine `json:"rab,omitempty"`
	Locations []string         `json:"locations,omitempty"`
	Origin    domain.Origin    `json:"origin,omitempty"`
}

// CreateRequest is the argument of the create Update. Actor is who creates
// it; the API has already checked with Casbin that they may.
type CreateRequest struct {
	Actor domain.Actor `json:"actor"`
	Draft Draft        `json:"draft"`
}

// DraftPatch is a PATCH of a draft: nil fields stay as they are. The region
// and the cycle cannot change.
type DraftPatch struct {
	Title         *string               `json:"title,omitempty"`
	Description   *string               `json:"description,omitempty"`
	Category      *domain.Category      `json:"category,omitempty"`
	AmountIDR     *int64                `json:"amount_idr,omitempty"`
	FundingSource *domain.FundingSource `json:"funding_source,omitempty"`
	Indicators    *[]domain.Indicator   `json:"indicators,omitempty"`
	SIPDCode      *string               `json:"sipd_code,omitempty"`
	Beneficiaries *string               `json:"beneficiaries,omitempty"`
	// Issue 18: koperasi ids from the register.
	BeneficiariesKoperasi *[]string `json:"beneficiaries_koperasi,omitempty"`
	// The dossier (issue 21).
	RAB       *[]domain.RABLine `json:"rab,omitempty"`
	Locations *[]string         `json:"locations,omitempty"`
	Origin    *domain.Origin    `json:"origin,omitempty"`
}

// EditRequest is the argument of the edit Update. ExpectedVersion is the
// version from the caller's If-Match; 0 skips the check.
type EditRequest struct {
	Actor           domain.Actor `json:"actor"`
	ExpectedVersion int64        `json:"expected_version"`
	Patch           DraftPatch   `json:"patch"`
}

// ActionRequest is the argument of every action Update and of lock. Actor
// is who acts (the API has already checked Casbin); Comment is required for
// return, reject, defer and decline; the other fields belong to one action
// each: consolidate takes Priority, ConsolidatedAmountIDR and FundingSource,
// fund takes FundingSource, map takes SIPDCode. ExpectedVersion (If-Match)
// is optional: 0 skips the check.
type ActionRequest struct {
	Actor                 domain.Actor         `json:"actor"`
	Comment               string               `json:"comment"`
	ExpectedVersion       int64                `json:"expected_version,omitempty"`
	Priority              int                  `json:"priority,omitempty"`
	ConsolidatedAmountIDR int64                `json:"consolidated_amount_idr,omitempty"`
	FundingSource         domain.FundingSource `json:"funding_source,omitempty"`
	SIPDCode              string               `json:"sipd_code,omitempty"`
}

// DueAt is the deadline of the cycle that a proposal in stage s works
// towards, nil for terminal stages; the task inbox sorts by it.
func DueAt(s domain.Stage, c domain.Calendar) *time.Time {
	var t time.Time
	switch s {
	case domain.StageDraft:
		t = c.SubmissionDeadline
	case domain.StageKabKotaReview:
		t = c.ReviewDeadline
	case domain.StageRakorda:
		t = c.RakordaEnd
	case domain.StageConsolidation:
		t = c.ConsolidationDeadline
	case domain.StageMinistry:
		t = c.MinistryDeadline
	case domain.StageSIPDMapping:
		t = c.MappingDeadline
	default:
		return nil
	}
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
