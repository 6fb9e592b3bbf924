package workflows

// The contract of DataRoundWorkflow: a kab/kota's yearly data round of the
// koperasi register (issue 17), one workflow per kab/kota and year, ID
// data/<kabkota>/<year>. The province opens it with a due date (Update
// "open", sent with Update-with-Start); every decision of
// domain.RoundTable is an Update named like its action, whose validator
// reads that table; each change is projected into data_rounds (with its
// trail and notifications) by a local activity before the Update answers.
// A timer reminds the operator before the due date and tells the kepala
// dinas and the province when it passes.
//
// It lives here, beside the proposal and the cycle, rather than in a
// feature package: it shares their worker registration (Register), their
// refusal encoding (refusal, AsDomainError), their test harness, and the
// API reaches it the same way.

import (
	"fmt"
	"time"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// DataRoundWorkflowName is the registered type name of DataRoundWorkflow.
const DataRoundWorkflowName = "DataRoundWorkflow"

// DataRoundWorkflowID is the workflow ID of a kab/kota's round for a year,
// e.g. data/74.05/2026.
func DataRoundWorkflowID(kabkota string, year int) string {
	return fmt.Sprintf("data/%s/%d", kabkota, year)
}

// Update and query names of DataRoundWorkflow. Every domain.RoundAction
// is also an Update of the same name, with a RoundActionRequest.
const (
	// DataRoundUpdateOpen opens the round (or moves its due date);
	// argument OpenRoundRequest.
	DataRoundUpdateOpen = "open"
	// DataRoundQueryState returns the live domain.DataRound.
	DataRoundQueryState = "state"
)

// Events of a round's trail besides domain.RoundActions.
const (
	DataRoundEventOpen    = "open"    // opened by the province
	DataRoundEventDue     = "set_due" // due date moved
	DataRoundEventOverdue = "overdue" // the due date passed before the round was submitted
)

// Notification kinds a round sends.
const (
	NoticeRoundOpened   = "data_round_opened"
	NoticeRoundChanged  = "data_round_changed"
	NoticeRoundReminder = "data_round_reminder"
	NoticeRoundOverdue  = "data_round_overdue"
)

// RoundReminderBefore is how long before the due date the operator is
// reminded.
const RoundReminderBefore = 3 * 24 * time.Hour

// DataRound is the representation of a round the API answers with.
type DataRound = domain.DataRound

// DataRoundInput starts a DataRoundWorkflow; State is set only by
// continue-as-new.
type DataRoundInput struct {
	Region string          `json:"region"`
	Year   int             `json:"year"`
	State  *DataRoundState `json:"state,omitempty"`
}

// DataRoundState is everything the workflow knows.
type DataRoundState struct {
	Round        DataRound `json:"round"`
	Created      bool      `json:"created"`
	Seq          int64     `json:"seq"`
	ReminderSent bool      `json:"reminder_sent"`
}

// OpenRoundRequest opens the round with its due date; sent again, it moves
// the due date (while the round is not accepted).
type OpenRoundRequest struct {
	Actor domain.Actor `json:"actor"`
	DueAt time.Time    `json:"due_at"`
}

// RoundActionRequest is a decision on the round. DueAt, on reopen, gives
// the new revision a new due date (else the old one stands).
type RoundActionRequest struct {
	Actor   domain.Actor `json:"actor"`
	Comment string       `json:"comment,omitempty"`
	DueAt   *time.Time   `json:"due_at,omitempty"`
}

// RecordDataRoundInput is what the projection activity receives.
type RecordDataRoundInput = activities.RecordDataRoundInput
