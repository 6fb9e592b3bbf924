package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Transition is one line of the proposal's stage table: in stage From,
// Action may be taken by Roles; it needs a comment when Comment is set,
// takes the request fields Fields (besides the comment), needs a complete
// draft when Complete is set, passes every Guard, and moves the proposal
// to To ("" keeps it where it is). Transitions is the only place these
// rules are written: the workflow's validator and handler, StageActions,
// the API's pre-check and allowed_actions, the task inbox, the pages and
// the README's stage table all read it; policies/policy.csv grants exactly
// Roles (a test in policies compares them).
type Transition struct {
	From     Stage
	Action   Action
	Roles    []Role
	Comment  bool
	Complete bool
	Fields   []string
	To       Stage
	Guards   []Guard
}

// Guard is a who-or-when rule of a transition. Rule says it in English for
// the docs; Check refuses with the text the user reads (EFORBIDDEN for
// who, ECONFLICT for when), or returns nil.
type Guard struct {
	Rule  string
	Check func(GuardInput) *Error
}

// GuardInput is what a guard judges: the proposal's people, the actor, the
// cycle's calendar (nil when unknown: the time-bound guards refuse) and the
// clock.
type GuardInput struct {
	CreatedBy   string
	SubmittedBy string
	Actor       Actor
	Calendar    *Calendar
	Now         time.Time
}

// The request fields an action may take besides its comment.
const (
	FieldPriority              = "priority"
	FieldConsolidatedAmountIDR = "consolidated_amount_idr"
	FieldFundingSource         = "funding_source"
	FieldSIPDCode              = "sipd_code"
)

// ActionFields lists every field of ActionFields-taking actions, in the
// order refusals name them.
var ActionFields = []string{FieldPriority, FieldConsolidatedAmountIDR, FieldFundingSource, FieldSIPDCode}

var (
	guardBeforeSubmissionDeadline = Guard{Rule: "before the cycle's submission deadline", Check: func(in GuardInput) *Error {
		return SubmissionOpen(in.Calendar, in.Now)
	}}
	guardCreatorOrKabKotaPlanner = Guard{Rule: "only the creator or a perencana_kabkota", Check: func(in GuardInput) *Error {
		if in.Actor.Username != in.CreatedBy && in.Actor.Role != RolePerencanaKabKota {
			return Errorf(EFORBIDDEN, "Hanya pembuat usulan atau perencana kab/kota yang dapat menarik usulan.")
		}
		return nil
	}}
	guardNotCreatorOrSubmitter = Guard{Rule: "not by the person who created or submitted it", Check: func(in GuardInput) *Error {
		if in.Actor.Username == in.CreatedBy || in.Actor.Username == in.SubmittedBy {
			return Errorf(EFORBIDDEN, "Pembuat atau pengaju usulan tidak boleh menyetujuinya sendiri (pemisahan tugas).")
		}
		return nil
	}}
	guardNotCreator = Guard{Rule: "not by the person who created it", Check: func(in GuardInput) *Error {
		if in.Actor.Username == in.CreatedBy {
			return Errorf(EFORBIDDEN, "Pembuat usulan tidak boleh mereviu usulannya sendiri (pemisahan tugas).")
		}
		return nil
	}}
	guardRakordaOpen = Guard{Rule: "only while the cycle's Rakorda is open", Check: func(in GuardInput) *Error {
		return RakordaOpen(in.Calendar, in.Now)
	}}
)

var kabkotaReviewers = []Role{RoleReviewerKabKota, RoleKadisKabKota}

// Transitions is the proposal's stage table, in the order allowed_actions
// lists actions. A new stage rule is one line here (and its policy line).
var Transitions = []Transition{
	{From: StageDraft, Action: ActionSubmit, Roles: []Role{RoleCamat, RolePerencanaKabKota}, Complete: true, To: StageKabKotaReview,
		Guards: []Guard{guardBeforeSubmissionDeadline}},
	{From: StageDraft, Action: ActionWithdraw, Roles: []Role{RolePerencanaKecamatan, RolePerencanaKabKota}, To: StageWithdrawn,
		Guards: []Guard{guardCreatorOrKabKotaPlanner}},
	{From: StageKabKotaReview, Action: ActionApprove, Roles: kabkotaReviewers, To: StageRakorda, Guards: []Guard{guardNotCreatorOrSubmitter}},
	{From: StageKabKotaReview, Action: ActionReturn, Roles: kabkotaReviewers, Comment: true, To: StageDraft, Guards: []Guard{guardNotCreator}},
	{From: StageKabKotaReview, Action: ActionReject, Roles: kabkotaReviewers, Comment: true, To: StageRejected, Guards: []Guard{guardNotCreator}},
	{From: StageKabKotaReview, Action: ActionWithdraw, Roles: []Role{RolePerencanaKecamatan, RolePerencanaKabKota}, To: StageWithdrawn,
		Guards: []Guard{guardCreatorOrKabKotaPlanner}},
	{From: StageRakorda, Action: ActionAccept, Roles: []Role{RoleKadisProvinsi}, To: StageConsolidation, Guards: []Guard{guardRakordaOpen}},
	{From: StageRakorda, Action: ActionDefer, Roles: []Role{RoleKadisProvinsi}, Comment: true, To: StageDeferred, Guards: []Guard{guardRakordaOpen}},
	{From: StageRakorda, Action: ActionReject, Roles: []Role{RoleKadisProvinsi}, Comment: true, To: StageRejected, Guards: []Guard{guardRakordaOpen}},
	{From: StageConsolidation, Action: ActionConsolidate, Roles: []Role{RolePerencanaProvinsi},
		Fields: []string{FieldPriority, FieldConsolidatedAmountIDR, FieldFundingSource}},
	{From: StageMinistry, Action: ActionFund, Roles: []Role{RolePenghubungKementrian}, Fields: []string{FieldFundingSource}, To: StageSIPDMapping},
	{From: StageMinistry, Action: ActionDecline, Roles: []Role{RolePenghubungKementrian}, Comment: true, To: StageDeclined},
	{From: StageSIPDMapping, Action: ActionMap, Roles: []Role{RolePerencanaProvinsi, RolePerencanaKabKota}, Fields: []string{FieldSIPDCode}, To: StageFinal},
}

// FindTransition is the line of the table for action in stage s.
func FindTransition(s Stage, a Action) (Transition, bool) {
	for _, t := range Transitions {
		if t.From == s && t.Action == a {
			return t, true
		}
	}
	return Transition{}, false
}

// StageActions lists the actions stage s allows, whoever the caller is, in
// table order; lock is the cycle's (CycleLock) and is not listed.
func StageActions(s Stage) []Action {
	var out []Action
	for _, t := range Transitions {
		if t.From == s {
			out = append(out, t.Action)
		}
	}
	return out
}

// NeedsComment reports whether a transition of action a requires a
// comment: the pages' forms ask for a reason then.
func (a Action) NeedsComment() bool {
	for _, t := range Transitions {
		if t.Action == a && t.Comment {
			return true
		}
	}
	return false
}

// Next is the stage the transition leads to.
func (t Transition) Next() Stage {
	if t.To == "" {
		return t.From
	}
	return t.To
}

// Takes reports whether the action takes request field f.
func (t Transition) Takes(f string) bool { return slices.Contains(t.Fields, f) }

// Refusal is the first guard's refusal of in, nil when every guard passes.
func (t Transition) Refusal(in GuardInput) *Error {
	for _, g := range t.Guards {
		if err := g.Check(in); err != nil {
			return err
		}
	}
	return nil
}

// Rules is the transition's rules in English, for the README's table.
func (t Transition) Rules() string {
	var r []string
	for _, g := range t.Guards {
		r = append(r, g.Rule)
	}
	if t.Complete {
		r = append(r, "complete fields")
	}
	if t.Comment {
		r = append(r, "comment required")
	}
	if len(t.Fields) > 0 {
		r = append(r, "takes "+strings.Join(t.Fields, ", "))
	}
	return strings.Join(r, "; ")
}

// CycleLock is the cycle's lock seen from one proposal: it moves a
// consolidated proposal from consolidation to the ministry. Only
// kadis_provinsi locks (policy cycle/lock); the cycle refuses while any
// proposal in consolidation is not consolidated.
var CycleLock = Transition{From: StageConsolidation, Action: "lock", Roles: []Role{RoleKadisProvinsi}, To: StageMinistry}

// SubmissionOpen refuses (ECONFLICT) when drafts of a cycle of calendar c
// can no longer be submitted at now, or c is unknown (nil).
func SubmissionOpen(c *Calendar, now time.Time) *Error {
	if c == nil {
		return Errorf(ECONFLICT, "Kalender siklus tidak diketahui.")
	}
	if !now.Before(c.SubmissionDeadline) {
		return Errorf(ECONFLICT, "Batas waktu pengajuan (%s) sudah lewat.", Day(c.SubmissionDeadline))
	}
	return nil
}

// RakordaOpen refuses (ECONFLICT) when the Rakorda of calendar c is not in
// session at now (start and end included), or c is unknown (nil).
func RakordaOpen(c *Calendar, now time.Time) *Error {
	if c == nil {
		return Errorf(ECONFLICT, "Kalender siklus tidak diketahui.")
	}
	if now.Before(c.RakordaStart) {
		return Errorf(ECONFLICT, "Rakorda belum dibuka (mulai %s).", Day(c.RakordaStart))
	}
	if now.After(c.RakordaEnd) {
		return Errorf(ECONFLICT, "Rakorda sudah ditutup (berakhir %s).", Day(c.RakordaEnd))
	}
	return nil
}

// Day formats a deadline in refusals: UTC, to the minute.
func Day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// StageTableMarkdown is the stage table as the README shows it, one row a
// transition (the cycle's lock last); a test keeps README.md equal to it.
func StageTableMarkdown() string {
	var b strings.Builder
	b.WriteString("| stage | action | who | goes to | rules |\n|---|---|---|---|---|\n")
	for _, t := range append(slices.Clone(Transitions), CycleLock) {
		roles := make([]string, len(t.Roles))
		for i, r := range t.Roles {
			roles[i] = "`" + string(r) + "`"
		}
		to := "`" + string(t.Next()) + "`"
		if t.To == "" {
			to = "stays, marked consolidated"
		}
		rules := t.Rules()
		if t.Action == CycleLock.Action {
			rules = "a cycle action: every consolidated proposal of the cycle; refused while any proposal in consolidation is not consolidated"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", t.From, t.Action, strings.Join(roles, ", "), to, rules)
	}
	return b.String()
}
