package domain

import (
	"encoding/json"
	"time"
)

// The records the workflows keep and the store projects: a proposal and
// its audit trail, notifications, ceiling reservations, a cycle's whole
// state and its audit trail. The workflows' state and the activities'
// inputs are these types; internal/store maps its rows to them.

// Indicator is one measurable target of a proposal ("Jumlah UMKM terlatih",
// 30, "orang"); the consolidated list exports one line per indicator.
type Indicator struct {
	Name   string  `json:"name"`
	Target float64 `json:"target"`
	Unit   string  `json:"unit"`
	// TargetIndicator names the register target the indicator contributes
	// to (issue 18); its Target is then a number of koperasi.
	TargetIndicator RegisterIndicator `json:"target_indicator,omitempty"`
	// Type is output or outcome (issue 21); empty on older proposals.
	Type string `json:"type,omitempty"`
}

// Proposal is the representation of a proposal that the API contract (api/openapi.yaml) answers
// with (everything but the caller-dependent allowed_actions). The workflow
// owns it; the proposals table is its projection, so lists and exports never
// need to ask Temporal.
type Proposal struct {
	ID                    string        `json:"id"`
	CycleID               string        `json:"cycle_id"`
	RegionCode            string        `json:"region_code"`
	Title                 string        `json:"title"`
	Description           string        `json:"description"`
	Category              Category      `json:"category"`
	AmountIDR             int64         `json:"amount_idr"`
	FundingSource         FundingSource `json:"funding_source"`
	Indicators            []Indicator   `json:"indicators"`
	SIPDCode              string        `json:"sipd_code"`
	Beneficiaries         string        `json:"beneficiaries"`
	Stage                 Stage         `json:"stage"`
	Priority              int           `json:"priority"`
	Consolidated          bool          `json:"consolidated"`
	ConsolidatedAmountIDR int64         `json:"consolidated_amount_idr"`
	CreatedBy             string        `json:"created_by"`
	SubmittedBy           string        `json:"submitted_by"`
	DueAt                 *time.Time    `json:"due_at"`
	Overdue               bool          `json:"overdue"`
	Version               int64         `json:"version"`
	CreatedAt             time.Time     `json:"created_at"`
	UpdatedAt             time.Time     `json:"updated_at"`
	// BeneficiariesKoperasi are the ids of the register's koperasi the
	// proposal serves (issue 18), all within its region.
	BeneficiariesKoperasi []string `json:"beneficiaries_koperasi"`
	// The dossier (issue 21, internal/domain/dossier.go).
	Number    string    `json:"number"`
	RAB       []RABLine `json:"rab"`
	Locations []string  `json:"locations"`
	Origin    Origin    `json:"origin"`
}

// ProposalEvent is one line of a proposal's audit trail: who did what, in
// which role and scope, when, from which stage to which, and why.
type ProposalEvent struct {
	ProposalID string          `json:"proposal_id"`
	Seq        int64           `json:"seq"`
	Action     string          `json:"action"`
	FromStage  Stage           `json:"from_stage"`
	ToStage    Stage           `json:"to_stage"`
	Actor      Actor           `json:"actor"`
	Comment    string          `json:"comment"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	At         time.Time       `json:"at"`
	// TransitionID names the decision that made this event: the Temporal
	// Update's ID, or the deadline that fired. RecordTransition uses it to
	// tell a retry from a different transition at the same seq.
	TransitionID string `json:"transition_id,omitempty"`
}

// Notification is an in-app message to one user, or to every holder of a
// role within a scope (reviewers of a kab/kota, say). Its ID is chosen by the
// caller so that a retried insert is harmless.
type Notification struct {
	ID                string     `json:"id"`
	RecipientUsername string     `json:"recipient_username,omitempty"`
	RecipientRole     Role       `json:"recipient_role,omitempty"`
	RecipientScope    string     `json:"recipient_scope,omitempty"`
	ProposalID        string     `json:"proposal_id"`
	Kind              string     `json:"kind"`
	Message           string     `json:"message"`
	CreatedAt         time.Time  `json:"created_at"`
	ReadAt            *time.Time `json:"read_at,omitempty"`
	// Seq is the transition of the proposal this notification belongs to
	// (0 for none): replacing that transition removes it.
	Seq int64 `json:"seq,omitempty"`
	// Subject is the mail subject, when the notification is mailed.
	Subject string `json:"-"`
}

// Reservation is a proposal's consolidated amount counted against the
// ceiling (pagu indikatif) of its kab/kota in its cycle.
type Reservation struct {
	CycleID    string
	ProposalID string
	// RegionCode is the ceiling's region: the proposal's kab/kota, or its
	// province for a province's own proposal (RegionKabKota).
	RegionCode string
	AmountIDR  int64
}

// CycleDetail is the whole state of a cycle as its CycleWorkflow keeps it
// and the API shows it: the cycle with its ceilings, targets and the
// Rakorda's agreements and attendance. Phase and RakordaOpen depend on the
// clock; At fills them in.
type CycleDetail struct {
	Cycle
	Phase       Phase       `json:"phase"`
	RakordaOpen bool        `json:"rakorda_open"`
	Ceilings    []Ceiling   `json:"ceilings"`
	Targets     []Target    `json:"targets"`
	Agreements  []Agreement `json:"agreements"`
	Attendance  []Attendee  `json:"attendance"`
}

// At returns d with its phase as of now, and nil lists made empty so the
// JSON shows [] rather than null.
func (d CycleDetail) At(now time.Time) CycleDetail {
	d.Phase = d.Calendar.PhaseAt(now)
	d.RakordaOpen = d.Phase == PhaseRakorda
	if d.Ceilings == nil {
		d.Ceilings = []Ceiling{}
	}
	if d.Targets == nil {
		d.Targets = []Target{}
	}
	if d.Agreements == nil {
		d.Agreements = []Agreement{}
	}
	if d.Attendance == nil {
		d.Attendance = []Attendee{}
	}
	return d
}

// CycleEvent is one line of a cycle's audit trail: who changed what, when.
// Origin identifies the workflow that owns the cycle (the run that created
// it); RecordCycle refuses an event of another origin.
type CycleEvent struct {
	CycleID string          `json:"cycle_id"`
	Seq     int64           `json:"seq"`
	Action  string          `json:"action"`
	Actor   Actor           `json:"actor"`
	Comment string          `json:"comment"`
	Payload json.RawMessage `json:"payload,omitempty"`
	Origin  string          `json:"origin"`
	At      time.Time       `json:"at"`
}

// ProposalRef names a proposal in a message: its id, title and region.
type ProposalRef struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	RegionCode string `json:"region_code"`
}

// LockCandidates is what the cycle's lock needs to know first: the
// proposals in consolidation that are not consolidated yet (the lock is
// refused while there are any) and how many consolidated ones it will move.
type LockCandidates struct {
	Unconsolidated []ProposalRef `json:"unconsolidated"`
	Consolidated   int           `json:"consolidated"`
}
