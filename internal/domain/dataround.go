package domain

import (
	"fmt"
	"slices"
	"time"
)

// RoundStatus is where a kab/kota's yearly data round stands.
type RoundStatus string

// The statuses of DESIGN.md's data round.
const (
	RoundOpen      RoundStatus = "open"
	RoundSubmitted RoundStatus = "submitted"
	RoundReturned  RoundStatus = "returned"
	RoundVerified  RoundStatus = "verified"
	RoundAccepted  RoundStatus = "accepted"
)

// RoundStatuses lists every status in the order a round normally passes them.
var RoundStatuses = []RoundStatus{RoundOpen, RoundSubmitted, RoundReturned, RoundVerified, RoundAccepted}

// Editable reports whether the kab/kota's operator may import and edit the
// round's register: while it is open or returned. A submitted or verified
// round is being checked, an accepted one is frozen.
func (s RoundStatus) Editable() bool { return s == RoundOpen || s == RoundReturned }

// Label is the status as users read it.
func (s RoundStatus) Label() string {
	switch s {
	case RoundOpen:
		return "Terbuka"
	case RoundSubmitted:
		return "Diajukan"
	case RoundReturned:
		return "Dikembalikan"
	case RoundVerified:
		return "Diverifikasi"
	case RoundAccepted:
		return "Diterima"
	}
	return string(s)
}

// RoundAction is a decision on a data round; each is a workflow Update of
// the same name.
type RoundAction string

// The actions on a data round. Reopen is the province's way to change an
// accepted round: it starts a new revision.
const (
	RoundSubmit RoundAction = "submit"
	RoundVerify RoundAction = "verify"
	RoundReturn RoundAction = "return"
	RoundAccept RoundAction = "accept"
	RoundReopen RoundAction = "reopen"
)

// RoundActions lists every action.
var RoundActions = []RoundAction{RoundSubmit, RoundVerify, RoundReturn, RoundAccept, RoundReopen}

// Label is the action as a button reads.
func (a RoundAction) Label() string {
	switch a {
	case RoundSubmit:
		return "Ajukan"
	case RoundVerify:
		return "Verifikasi"
	case RoundReturn:
		return "Kembalikan"
	case RoundAccept:
		return "Terima"
	case RoundReopen:
		return "Buka revisi baru"
	}
	return string(a)
}

// RoundTransition is one line of the data round's state machine.
type RoundTransition struct {
	From    RoundStatus
	Action  RoundAction
	Roles   []Role
	Comment bool // a comment (the reason) is required
	To      RoundStatus
	// NewRevision: the transition starts a new revision of an accepted
	// round (its number goes up, the register is editable again).
	NewRevision bool
}

// RoundTable is THE state machine of a data round: the workflow's
// validators, the API's allowed actions, the pages' buttons and the
// README's table all read it. The operator_data of the kab/kota submits;
// its kepala dinas verifies or returns; the provincial planner accepts or
// returns a verified round; an accepted round is frozen until the province
// reopens it with a reason, as a new revision.
var RoundTable = []RoundTransition{
	{From: RoundOpen, Action: RoundSubmit, Roles: []Role{RoleOperatorData}, To: RoundSubmitted},
	{From: RoundReturned, Action: RoundSubmit, Roles: []Role{RoleOperatorData}, To: RoundSubmitted},
	{From: RoundSubmitted, Action: RoundVerify, Roles: []Role{RoleKadisKabKota}, To: RoundVerified},
	{From: RoundSubmitted, Action: RoundReturn, Roles: []Role{RoleKadisKabKota}, Comment: true, To: RoundReturned},
	{From: RoundVerified, Action: RoundAccept, Roles: []Role{RolePerencanaProvinsi}, To: RoundAccepted},
	{From: RoundVerified, Action: RoundReturn, Roles: []Role{RolePerencanaProvinsi}, Comment: true, To: RoundReturned},
	{From: RoundAccepted, Action: RoundReopen, Roles: []Role{RolePerencanaProvinsi}, Comment: true, To: RoundOpen, NewRevision: true},
}

// RoundStep returns the table's line for action in status from.
func RoundStep(from RoundStatus, action RoundAction) (RoundTransition, bool) {
	for _, t := range RoundTable {
		if t.From == from && t.Action == action {
			return t, true
		}
	}
	return RoundTransition{}, false
}

// RoundStepsFrom lists the table's lines that leave status s, in table order.
func RoundStepsFrom(s RoundStatus) []RoundTransition {
	var out []RoundTransition
	for _, t := range RoundTable {
		if t.From == s {
			out = append(out, t)
		}
	}
	return out
}

// CheckRoundAction judges action by actor on a round in status from by the
// table alone (stage, role, comment); the caller checks the actor's scope.
func CheckRoundAction(from RoundStatus, action RoundAction, actor Actor, comment string) (RoundTransition, *Error) {
	t, ok := RoundStep(from, action)
	if !ok {
		return t, Errorf(ECONFLICT, "Aksi %q tidak dapat dilakukan pada putaran data berstatus %s.", action, from.Label())
	}
	if !slices.Contains(t.Roles, actor.Role) {
		return t, Errorf(EFORBIDDEN, "Peran %s tidak dapat melakukan aksi %q pada putaran data berstatus %s.", actor.Role, action, from.Label())
	}
	if t.Comment && len(comment) == 0 {
		return t, &Error{Code: EINVALID, Message: "Data yang dikirim tidak valid.",
			Fields: []FieldError{{Field: "comment", Message: fmt.Sprintf("Komentar (alasan) wajib diisi untuk aksi %q.", action)}}}
	}
	return t, nil
}

// DataRound is a kab/kota's yearly data round: the register of Region
// (a kab/kota) for Year goes from the operator through the kepala dinas to
// the province. Revision counts reopenings (1 for the first).
type DataRound struct {
	Region    string      `json:"region"`
	Year      int         `json:"year"`
	Revision  int         `json:"revision"`
	Status    RoundStatus `json:"status"`
	DueAt     time.Time   `json:"due_at"`
	Overdue   bool        `json:"overdue"`
	Comment   string      `json:"comment"`
	Version   int64       `json:"version"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// Late reports whether the round's operator missed the due date: the
// round is still editable (not yet submitted) after it.
func (r DataRound) Late(now time.Time) bool {
	return r.Status.Editable() && !r.DueAt.IsZero() && now.After(r.DueAt)
}

// DataRoundID is the public and workflow-local name of a round,
// "<kabkota>/<year>".
func DataRoundID(region string, year int) string { return fmt.Sprintf("%s/%d", region, year) }
