package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/rencana-id/rencana/internal/domain"
)

func TestHappyPathToFinal(t *testing.T) {
	h := newHarness(t)
	create := h.create(Draft{RegionCode: "74.05.03", Title: "Pelatihan pengemasan"}) // incomplete draft
	edit := h.at(on(1, 5).Add(time.Hour), UpdateEdit, EditRequest{Actor: planner, ExpectedVersion: 1, Patch: DraftPatch{
		Title: &completeDraft.Title, Description: &completeDraft.Description, Category: &completeDraft.Category,
		AmountIDR: &completeDraft.AmountIDR, FundingSource: &completeDraft.FundingSource, Indicators: &completeDraft.Indicators,
	}})
	submit := h.do(tSubmit, domain.ActionSubmit, ActionRequest{Actor: camat, Comment: "Mohon direviu"})
	approve := h.do(tReview, domain.ActionApprove, ActionRequest{Actor: reviewer})
	accept := h.do(tRakorda, domain.ActionAccept, ActionRequest{Actor: kadisProv})
	consolidate := h.do(tConsolidate, domain.ActionConsolidate, consolidateReq)
	lock := h.at(tLock, UpdateLock, ActionRequest{Actor: kadisProv})
	fund := h.do(tMinistry, domain.ActionFund, fundReq)
	mapped := h.do(tMap, domain.ActionMap, mapReq)
	h.run(testInput())
	ok(t, create, edit, submit, approve, accept, consolidate, lock, fund, mapped)

	require.Equal(t, domain.StageDraft, create.result.Stage)
	require.Equal(t, int64(1), create.result.Version)
	require.Equal(t, planner.Username, create.result.CreatedBy)
	require.Equal(t, on(2, 1), *create.result.DueAt)
	require.Equal(t, int64(125_000_000), edit.result.AmountIDR)
	require.Equal(t, domain.StageKabKotaReview, submit.result.Stage)
	require.Equal(t, camat.Username, submit.result.SubmittedBy)
	require.Equal(t, on(3, 1), *submit.result.DueAt)
	require.Equal(t, domain.StageRakorda, approve.result.Stage)
	require.Equal(t, domain.StageConsolidation, accept.result.Stage)
	require.Equal(t, domain.StageConsolidation, consolidate.result.Stage)
	require.True(t, consolidate.result.Consolidated)
	require.Equal(t, 3, consolidate.result.Priority)
	require.Equal(t, int64(100_000_000), consolidate.result.ConsolidatedAmountIDR)
	require.Equal(t, domain.StageMinistry, lock.result.Stage)
	require.Equal(t, domain.StageSIPDMapping, fund.result.Stage)
	require.Equal(t, domain.FundingSource("apbn_dekonsentrasi"), fund.result.FundingSource)
	require.Equal(t, domain.StageFinal, mapped.result.Stage)
	require.Equal(t, "2.17.03.2.01.0001", mapped.result.SIPDCode)
	require.Nil(t, mapped.result.DueAt)
	require.Equal(t, int64(9), mapped.result.Version)

	var final domain.Proposal
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, domain.StageFinal, final.Stage)

	require.Equal(t, []string{"create", "edit", "submit", "approve", "accept", "consolidate", "lock", "fund", "map"}, h.store.actions())
	for i, e := range h.store.events {
		require.Equal(t, int64(i+1), e.Seq)
	}
	ev := h.store.events
	require.Equal(t, domain.Stage(""), ev[0].FromStage)
	require.Equal(t, camat, ev[2].Actor)
	require.Equal(t, "Mohon direviu", ev[2].Comment)
	require.Equal(t, tSubmit, ev[2].At)
	require.Equal(t, domain.StageDraft, ev[2].FromStage)
	require.Equal(t, domain.StageKabKotaReview, ev[2].ToStage)
	require.JSONEq(t, `{"sipd_code":"2.17.03.2.01.0001"}`, string(ev[8].Payload))
	require.Equal(t, domain.StageFinal, h.store.rows[testProposal].Stage)

	requested := h.store.notices(NoticeReviewRequested)
	require.Len(t, requested, 1)
	require.Equal(t, domain.RoleReviewerKabKota, requested[0].RecipientRole)
	require.Equal(t, "74.05", requested[0].RecipientScope)
	require.Len(t, h.store.notices(NoticeStageChanged), 6, "the creator hears of every stage change made by others")
}

// TestStageTable runs every row of the stage table (domain.Transitions) from its stage.
func TestStageTable(t *testing.T) {
	rows := []struct {
		name   string
		from   domain.Stage
		action string
		req    any
		want   domain.Stage
	}{
		{"submit", domain.StageDraft, "submit", ActionRequest{Actor: camat}, domain.StageKabKotaReview},
		{"withdraw draft by creator", domain.StageDraft, "withdraw", ActionRequest{Actor: planner}, domain.StageWithdrawn},
		{"withdraw review by kabkota planner", domain.StageKabKotaReview, "withdraw", ActionRequest{Actor: kabPlanner}, domain.StageWithdrawn},
		{"approve", domain.StageKabKotaReview, "approve", ActionRequest{Actor: kadisKab}, domain.StageRakorda},
		{"return", domain.StageKabKotaReview, "return", ActionRequest{Actor: reviewer, Comment: "Lengkapi RAB"}, domain.StageDraft},
		{"reject at review", domain.StageKabKotaReview, "reject", ActionRequest{Actor: reviewer, Comment: "Duplikat"}, domain.StageRejected},
		{"accept", domain.StageRakorda, "accept", ActionRequest{Actor: kadisProv}, domain.StageConsolidation},
		{"defer", domain.StageRakorda, "defer", ActionRequest{Actor: kadisProv, Comment: "Tahun depan"}, domain.StageDeferred},
		{"reject at rakorda", domain.StageRakorda, "reject", ActionRequest{Actor: kadisProv, Comment: "Bukan prioritas"}, domain.StageRejected},
		{"consolidate", domain.StageConsolidation, "consolidate", consolidateReq, domain.StageConsolidation},
		{"lock", domain.StageConsolidation, UpdateLock, ActionRequest{Actor: kadisProv}, domain.StageMinistry},
		{"fund", domain.StageMinistry, "fund", fundReq, domain.StageSIPDMapping},
		{"decline", domain.StageMinistry, "decline", ActionRequest{Actor: liaison, Comment: "Anggaran tidak cukup"}, domain.StageDeclined},
		{"map", domain.StageSIPDMapping, "map", mapReq, domain.StageFinal},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			h := newHarness(t)
			pre := h.reach(r.from)
			if r.action == UpdateLock {
				// The cycle locks only consolidated proposals.
				pre = append(pre, h.do(tConsolidate, domain.ActionConsolidate, consolidateReq))
			}
			when := slot(r.from)
			if r.action == UpdateLock {
				when = tLock
			}
			o := h.at(when, r.action, r.req)
			h.cancelAt(tEnd)
			h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
			ok(t, pre...)
			ok(t, o)
			require.Equal(t, r.want, o.result.Stage)
			last := h.store.events[o.result.Version-1] // later events are the clock's
			require.Equal(t, r.action, last.Action)
			require.Equal(t, r.from, last.FromStage)
			require.Equal(t, r.want, last.ToStage)
			require.Equal(t, o.result.Version, last.Seq)
			if r.want.Terminal() {
				require.True(t, h.env.IsWorkflowCompleted())
				require.NoError(t, h.env.GetWorkflowError(), "a terminal stage ends the workflow")
			}
		})
	}
}

// TestWrongStageRefused tries every action in every open stage that does
// not allow it: each is refused as a conflict and leaves no trace.
func TestWrongStageRefused(t *testing.T) {
	actors := map[domain.Action]ActionRequest{
		domain.ActionSubmit: {Actor: camat}, domain.ActionWithdraw: {Actor: planner},
		domain.ActionApprove: {Actor: reviewer}, domain.ActionReturn: {Actor: reviewer, Comment: "x"},
		domain.ActionReject: {Actor: reviewer, Comment: "x"}, domain.ActionAccept: {Actor: kadisProv},
		domain.ActionDefer: {Actor: kadisProv, Comment: "x"}, domain.ActionConsolidate: consolidateReq,
		domain.ActionFund: fundReq, domain.ActionDecline: {Actor: liaison, Comment: "x"}, domain.ActionMap: mapReq,
	}
	for _, s := range []domain.Stage{domain.StageDraft, domain.StageKabKotaReview, domain.StageRakorda,
		domain.StageConsolidation, domain.StageMinistry, domain.StageSIPDMapping} {
		t.Run(string(s), func(t *testing.T) {
			h := newHarness(t)
			pre := h.reach(s)
			when := slot(s)
			var tries []*outcome
			for _, a := range domain.Actions {
				if designAllows(s, a) {
					continue
				}
				tries = append(tries, h.do(when, a, actors[a]))
				when = when.Add(time.Minute)
			}
			if s != domain.StageConsolidation {
				tries = append(tries, h.at(when, UpdateLock, ActionRequest{Actor: kadisProv}))
			}
			if s != domain.StageDraft {
				tries = append(tries, h.at(when.Add(time.Minute), UpdateEdit, EditRequest{Actor: planner, Patch: DraftPatch{Title: &completeDraft.Title}}))
			}
			st := h.query(when.Add(time.Hour))
			h.cancelAt(tEnd)
			h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
			ok(t, pre...)
			require.NotEmpty(t, tries)
			for _, o := range tries {
				refused(t, domain.ECONFLICT, o)
			}
			require.Equal(t, s, st.Stage)
			v := pre[len(pre)-1].result.Version
			require.Equal(t, v, st.Version, "refusals change nothing")
			for _, e := range h.store.events[v:] {
				require.Equal(t, SystemActor, e.Actor, "refusals record nothing")
			}
		})
	}
}

func TestLockRefusedUntilConsolidated(t *testing.T) {
	h := newHarness(t)
	pre := h.reach(domain.StageConsolidation)
	early := h.at(tConsolidate, UpdateLock, ActionRequest{Actor: kadisProv})
	cons := h.do(tConsolidate.Add(time.Hour), domain.ActionConsolidate, consolidateReq)
	late := h.at(tLock, UpdateLock, ActionRequest{Actor: kadisProv})
	h.cancelAt(tEnd)
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, append(pre, cons, late)...)
	refused(t, domain.ECONFLICT, early)
	require.Equal(t, domain.StageMinistry, late.result.Stage)
}

func TestMissingCommentRefused(t *testing.T) {
	cases := []struct {
		from   domain.Stage
		action domain.Action
		actor  domain.Actor
	}{
		{domain.StageKabKotaReview, domain.ActionReturn, reviewer},
		{domain.StageKabKotaReview, domain.ActionReject, reviewer},
		{domain.StageRakorda, domain.ActionDefer, kadisProv},
		{domain.StageRakorda, domain.ActionReject, kadisProv},
		{domain.StageMinistry, domain.ActionDecline, liaison},
	}
	for _, c := range cases {
		t.Run(string(c.from)+"/"+string(c.action), func(t *testing.T) {
			h := newHarness(t)
			pre := h.reach(c.from)
			blank := h.do(slot(c.from), c.action, ActionRequest{Actor: c.actor, Comment: "   "})
			with := h.do(slot(c.from).Add(time.Minute), c.action, ActionRequest{Actor: c.actor, Comment: "Alasan tertulis"})
			h.cancelAt(tEnd)
			h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
			ok(t, pre...)
			refused(t, domain.EINVALID, blank)
			require.Equal(t, []string{"comment"}, blank.fields())
			ok(t, with)
		})
	}
}

func TestSeparationOfDuties(t *testing.T) {
	// The creator acting as a reviewer (a delegated grant) and the
	// submitter may not approve; the creator may not return or reject.
	creatorAsReviewer := domain.Actor{Username: planner.Username, Role: domain.RoleReviewerKabKota, Scope: "74.05"}
	submitterAsReviewer := domain.Actor{Username: camat.Username, Role: domain.RoleKadisKabKota, Scope: "74.05"}
	h := newHarness(t)
	pre := h.reach(domain.StageKabKotaReview)
	byCreator := h.do(tReview, domain.ActionApprove, ActionRequest{Actor: creatorAsReviewer})
	bySubmitter := h.do(tReview.Add(time.Minute), domain.ActionApprove, ActionRequest{Actor: submitterAsReviewer})
	returnByCreator := h.do(tReview.Add(2*time.Minute), domain.ActionReturn, ActionRequest{Actor: creatorAsReviewer, Comment: "x"})
	rejectByCreator := h.do(tReview.Add(3*time.Minute), domain.ActionReject, ActionRequest{Actor: creatorAsReviewer, Comment: "x"})
	withdrawByOther := h.do(tReview.Add(4*time.Minute), domain.ActionWithdraw, ActionRequest{Actor: planner2})
	returnBySubmitter := h.do(tReview.Add(5*time.Minute), domain.ActionReturn, ActionRequest{Actor: submitterAsReviewer, Comment: "Perbaiki"})
	h.cancelAt(tEnd)
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, pre...)
	refused(t, domain.EFORBIDDEN, byCreator)
	refused(t, domain.EFORBIDDEN, bySubmitter)
	refused(t, domain.EFORBIDDEN, returnByCreator)
	refused(t, domain.EFORBIDDEN, rejectByCreator)
	refused(t, domain.EFORBIDDEN, withdrawByOther)
	ok(t, returnBySubmitter) // the submitter may send it back, only not approve it
	require.Equal(t, domain.StageDraft, returnBySubmitter.result.Stage)
}

func TestRakordaWindow(t *testing.T) {
	h := newHarness(t)
	pre := h.reach(domain.StageKabKotaReview)
	pre = append(pre, h.do(tReview, domain.ActionApprove, ActionRequest{Actor: reviewer}))
	before := h.do(on(3, 31), domain.ActionAccept, ActionRequest{Actor: kadisProv})
	deferBefore := h.do(on(3, 31).Add(time.Hour), domain.ActionDefer, ActionRequest{Actor: kadisProv, Comment: "x"})
	rejectBefore := h.do(on(3, 31).Add(2*time.Hour), domain.ActionReject, ActionRequest{Actor: kadisProv, Comment: "x"})
	after := h.do(on(4, 5).Add(time.Minute), domain.ActionAccept, ActionRequest{Actor: kadisProv})
	deferAfter := h.do(on(4, 6), domain.ActionDefer, ActionRequest{Actor: kadisProv, Comment: "x"})
	rejectAfter := h.do(on(4, 7), domain.ActionReject, ActionRequest{Actor: kadisProv, Comment: "x"})
	h.cancelAt(tEnd)
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, pre...)
	for _, o := range []*outcome{before, deferBefore, rejectBefore, after, deferAfter, rejectAfter} {
		refused(t, domain.ECONFLICT, o)
	}
	require.Contains(t, AsDomainError(before.rejectErr).Error(), "belum dibuka")
	require.Contains(t, AsDomainError(after.rejectErr).Error(), "sudah ditutup")
}

func TestSubmitAfterDeadlineRefused(t *testing.T) {
	// In a workflow the draft expires at the deadline, so a late submit
	// meets the expired stage; the rule itself is checked here directly.
	st := &ProposalState{Calendar: testCalendar(), Created: true, Proposal: domain.Proposal{
		ID: testProposal, Stage: domain.StageDraft, Title: completeDraft.Title, Description: completeDraft.Description,
		Category: completeDraft.Category, AmountIDR: completeDraft.AmountIDR, FundingSource: completeDraft.FundingSource,
		Indicators: completeDraft.Indicators, CreatedBy: planner.Username, Version: 1,
	}}
	req := ActionRequest{Actor: camat}
	require.Nil(t, checkAction(st, domain.ActionSubmit, req, on(1, 31)))
	err := checkAction(st, domain.ActionSubmit, req, on(2, 1))
	require.NotNil(t, err)
	require.Equal(t, domain.ECONFLICT, err.Code)
	require.Contains(t, err.Message, "Batas waktu pengajuan")

	h := newHarness(t)
	create := h.create(completeDraft)
	late := h.do(on(2, 1).Add(time.Minute), domain.ActionSubmit, req)
	h.run(testInput())
	ok(t, create)
	require.False(t, late.accepted)
	require.Equal(t, []string{"create", "expire"}, h.store.actions())
}

func TestInvalidParametersRefused(t *testing.T) {
	h := newHarness(t)
	pre := h.reach(domain.StageConsolidation)
	badCons := h.do(tConsolidate, domain.ActionConsolidate, ActionRequest{Actor: provPlanner, Priority: 0, ConsolidatedAmountIDR: 0, FundingSource: "bogus"})
	cons := h.do(tConsolidate.Add(time.Minute), domain.ActionConsolidate, consolidateReq)
	lock := h.at(tLock, UpdateLock, ActionRequest{Actor: kadisProv})
	badFund := h.do(tMinistry, domain.ActionFund, ActionRequest{Actor: liaison, FundingSource: ""})
	fund := h.do(tMinistry.Add(time.Minute), domain.ActionFund, fundReq)
	badMap := h.do(tMap, domain.ActionMap, ActionRequest{Actor: kabPlanner, SIPDCode: " "})
	mapped := h.do(tMap.Add(time.Minute), domain.ActionMap, mapReq)
	h.run(testInput())
	ok(t, append(pre, cons, lock, fund, mapped)...)
	refused(t, domain.EINVALID, badCons)
	require.ElementsMatch(t, []string{"priority", "consolidated_amount_idr", "funding_source"}, badCons.fields())
	refused(t, domain.EINVALID, badFund)
	require.Equal(t, []string{"funding_source"}, badFund.fields())
	refused(t, domain.EINVALID, badMap)
	require.Equal(t, []string{"sipd_code"}, badMap.fields())
}

func TestCreateAndEditRules(t *testing.T) {
	h := newHarness(t)
	bad := h.at(testStart.Add(time.Second), UpdateCreate, CreateRequest{Actor: planner, Draft: Draft{RegionCode: "74.05.03", Category: "judi", AmountIDR: -1}})
	otherProvince := h.at(testStart.Add(2*time.Second), UpdateCreate, CreateRequest{Actor: domain.Actor{Username: "x", Role: domain.RoleAdmin, Scope: "*"}, Draft: Draft{RegionCode: "73.01", Title: "t"}})
	outOfScope := h.at(testStart.Add(3*time.Second), UpdateCreate, CreateRequest{Actor: planner, Draft: Draft{RegionCode: "74.05.04", Title: "t"}})
	good := h.at(testStart.Add(4*time.Second), UpdateCreate, CreateRequest{Actor: planner, Draft: Draft{RegionCode: "74.05.03", Title: "Bazar UMKM"}})
	twice := h.at(testStart.Add(5*time.Second), UpdateCreate, CreateRequest{Actor: planner, Draft: completeDraft})
	incomplete := h.do(testStart.Add(time.Hour), domain.ActionSubmit, ActionRequest{Actor: camat})
	stale := h.at(testStart.Add(2*time.Hour), UpdateEdit, EditRequest{Actor: planner, ExpectedVersion: 7, Patch: DraftPatch{Title: &completeDraft.Title}})
	badEdit := h.at(testStart.Add(3*time.Hour), UpdateEdit, EditRequest{Actor: planner, Patch: DraftPatch{Title: new(string)}})
	edit := h.at(testStart.Add(4*time.Hour), UpdateEdit, EditRequest{Actor: planner2, ExpectedVersion: 1, Patch: DraftPatch{Description: &completeDraft.Description}})
	h.run(testInput()) // ends by expiry
	refused(t, domain.EINVALID, bad)
	require.ElementsMatch(t, []string{"title", "category", "amount_idr"}, bad.fields())
	refused(t, domain.EINVALID, otherProvince)
	refused(t, domain.EFORBIDDEN, outOfScope)
	ok(t, good, edit)
	refused(t, domain.ECONFLICT, twice)
	refused(t, domain.EINVALID, incomplete)
	require.Contains(t, incomplete.fields(), "indicators")
	require.Contains(t, incomplete.fields(), "amount_idr")
	refused(t, domain.EPRECONDITION, stale)
	refused(t, domain.EINVALID, badEdit)
	require.Equal(t, int64(2), edit.result.Version)
	require.Equal(t, "Bazar UMKM", edit.result.Title)
	require.Equal(t, []string{"create", "edit", "expire"}, h.store.actions())
}

func TestDraftExpiresAtSubmissionDeadline(t *testing.T) {
	h := newHarness(t)
	create := h.create(completeDraft)
	before := h.query(on(1, 31))
	h.run(testInput())
	ok(t, create)
	require.Equal(t, domain.StageDraft, before.Stage)
	var final domain.Proposal
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, domain.StageExpired, final.Stage)
	require.Nil(t, final.DueAt)
	ev := h.store.events
	require.Len(t, ev, 2)
	require.Equal(t, EventExpire, ev[1].Action)
	require.Equal(t, SystemActor, ev[1].Actor)
	require.Equal(t, on(2, 1), ev[1].At)
	require.Equal(t, domain.StageDraft, ev[1].FromStage)
	require.Equal(t, domain.StageExpired, ev[1].ToStage)
	notes := h.store.notices(NoticeStageChanged)
	require.Len(t, notes, 1)
	require.Equal(t, planner.Username, notes[0].RecipientUsername)

	// Before it expired, its creator and the camat who submits were reminded.
	owner := h.store.notices(NoticeDeadlineReminderOwner)
	require.Len(t, owner, 1)
	require.Equal(t, planner.Username, owner[0].RecipientUsername)
	require.Equal(t, on(2, 1).Add(-ReminderBefore), owner[0].CreatedAt)
	submitters := h.store.notices(NoticeDeadlineReminder)
	require.Len(t, submitters, 1)
	require.Equal(t, domain.RoleCamat, submitters[0].RecipientRole)
	require.Equal(t, "74.05.03", submitters[0].RecipientScope)
}

// TestDeadlineRemindersEveryStage: a proposal waiting in the ministry's
// and then the mapping stage reminds, ReminderBefore each deadline, the
// ministry liaison and then the kab/kota's planners, once per stage.
func TestDeadlineRemindersEveryStage(t *testing.T) {
	h := newHarness(t)
	pre := h.reach(domain.StageSIPDMapping)
	h.cancelAt(tEnd)
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, pre...)

	byStage := map[domain.Role][]domain.Notification{}
	for _, n := range h.store.notices(NoticeDeadlineReminder) {
		byStage[n.RecipientRole] = append(byStage[n.RecipientRole], n)
	}
	ministry := byStage[domain.RolePenghubungKementrian]
	require.Len(t, ministry, 1)
	require.Equal(t, "74", ministry[0].RecipientScope)
	require.Equal(t, on(6, 1).Add(-ReminderBefore), ministry[0].CreatedAt)
	mapping := byStage[domain.RolePerencanaKabKota]
	require.Len(t, mapping, 1, "one reminder per stage")
	require.Equal(t, "74.05", mapping[0].RecipientScope)
	require.Equal(t, on(7, 1).Add(-ReminderBefore), mapping[0].CreatedAt)
	require.Contains(t, mapping[0].Message, "belum dipetakan ke SIPD")
	require.Empty(t, byStage[domain.RolePerencanaProvinsi], "consolidated before its reminder: nobody to remind")
}

func TestReminderAndEscalation(t *testing.T) {
	h := newHarness(t)
	pre := h.reach(domain.StageKabKotaReview)
	beforeReminder := h.query(on(2, 25))
	afterReminder := h.query(on(2, 27))
	afterDeadline := h.query(on(3, 2))
	approve := h.do(on(3, 5), domain.ActionApprove, ActionRequest{Actor: kadisKab})
	h.cancelAt(tEnd)
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, append(pre, approve)...)

	require.False(t, beforeReminder.Overdue)
	require.False(t, afterReminder.Overdue)
	require.True(t, afterDeadline.Overdue)
	require.Equal(t, on(3, 1), *afterDeadline.DueAt)
	require.False(t, approve.result.Overdue, "a new stage is not overdue")

	reminders := h.store.notices(NoticeReviewReminder)
	require.Len(t, reminders, 1)
	require.Equal(t, domain.RoleReviewerKabKota, reminders[0].RecipientRole)
	require.Equal(t, "74.05", reminders[0].RecipientScope)
	require.Equal(t, on(3, 1).Add(-ReminderBefore), reminders[0].CreatedAt)
	overdue := h.store.notices(NoticeReviewOverdue)
	require.Len(t, overdue, 1)
	require.Equal(t, domain.RoleKadisKabKota, overdue[0].RecipientRole)
	require.Equal(t, "74.05", overdue[0].RecipientScope)
	require.Equal(t, on(3, 1), overdue[0].CreatedAt)

	require.Equal(t, []string{"create", "submit", "escalate", "approve"}, h.store.actions())
	esc := h.store.events[2]
	require.Equal(t, SystemActor, esc.Actor)
	require.Equal(t, domain.StageKabKotaReview, esc.FromStage)
	require.Equal(t, domain.StageKabKotaReview, esc.ToStage)
	require.True(t, h.store.rows[testProposal].DueAt != nil)
}

func TestCalendarSignalMovesTimers(t *testing.T) {
	h := newHarness(t)
	create := h.create(completeDraft)
	moved := testCalendar()
	moved.SubmissionDeadline = on(3, 15)
	moved.ReviewDeadline = on(3, 25)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(SignalCalendar, moved) }, on(1, 10).Sub(testStart))
	oldDeadline := h.query(on(2, 2))
	h.run(testInput())
	ok(t, create)
	require.Equal(t, domain.StageDraft, oldDeadline.Stage, "the old deadline no longer expires it")
	require.Equal(t, on(3, 15), *oldDeadline.DueAt)
	require.Equal(t, []string{"create", "reschedule", "expire"}, h.store.actions())
	require.Equal(t, on(1, 10), h.store.events[1].At)
	require.Equal(t, on(3, 15), h.store.events[2].At, "the new deadline does")

	// Moving the review deadline back into the future lifts the overdue
	// flag, and the escalation follows the new date.
	h = newHarness(t)
	pre := h.reach(domain.StageKabKotaReview)
	later := testCalendar()
	later.ReviewDeadline = on(3, 20)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(SignalCalendar, later) }, on(3, 2).Sub(testStart))
	lifted := h.query(on(3, 3))
	h.cancelAt(tEnd)
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, pre...)
	require.False(t, lifted.Overdue)
	require.Equal(t, on(3, 20), *lifted.DueAt)
	require.Equal(t, []string{"create", "submit", "escalate", "reschedule", "escalate"}, h.store.actions())
	require.Equal(t, on(3, 20), h.store.events[4].At)
}

func TestContinueAsNewKeepsState(t *testing.T) {
	h := newHarness(t)
	pre := h.reach(domain.StageKabKotaReview)
	h.env.RegisterDelayedCallback(func() { h.env.SetContinueAsNewSuggested(true) }, tReview.Add(-time.Minute).Sub(testStart))
	approve := h.do(tReview, domain.ActionApprove, ActionRequest{Actor: reviewer})
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, append(pre, approve)...)
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "want continue-as-new, got %v", err)
	require.Equal(t, ProposalWorkflowName, can.WorkflowType.Name)
	var next ProposalInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	require.Equal(t, approve.result, next.State.Proposal)
	require.Equal(t, int64(3), next.State.Seq)
	require.True(t, next.State.Created)
	require.Equal(t, testCalendar(), next.State.Calendar)

	// The next run picks up where the first stopped.
	h2 := newHarnessWith(t, h.store)
	h2.env.SetStartTime(tReview.Add(time.Minute))
	st := h2.query(tReview.Add(2 * time.Hour))
	accept := h2.do(tRakorda, domain.ActionAccept, ActionRequest{Actor: kadisProv})
	h2.cancelAt(tEnd)
	h2.env.ExecuteWorkflow(ProposalWorkflowName, next)
	ok(t, accept)
	require.Equal(t, domain.StageRakorda, st.Stage)
	require.Equal(t, int64(4), accept.result.Version)
	require.Equal(t, []string{"create", "submit", "approve", "accept"}, h.store.actions())
	require.Equal(t, int64(4), h.store.events[3].Seq)
}

func TestConcurrentDuplicateActionAcceptedOnce(t *testing.T) {
	h := newHarness(t)
	create := h.create(completeDraft)
	var a, b, c *outcome
	h.env.RegisterDelayedCallback(func() {
		a, b = &outcome{label: "submit A"}, &outcome{label: "submit B"}
		h.send(a, "submit-a", "submit", ActionRequest{Actor: camat})
		h.send(b, "submit-b", "submit", ActionRequest{Actor: camat})
	}, tSubmit.Sub(testStart))
	h.env.RegisterDelayedCallback(func() {
		c = &outcome{label: "approve vs return"}
		d := &outcome{label: "return"}
		h.send(c, "approve", "approve", ActionRequest{Actor: reviewer})
		h.send(d, "return", "return", ActionRequest{Actor: kadisKab, Comment: "Perbaiki"})
		h.env.RegisterDelayedCallback(func() {
			ok(t, c)
			refused(t, domain.ECONFLICT, d)
		}, time.Hour)
	}, tReview.Sub(testStart))
	h.cancelAt(tEnd)
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, create)
	accepted := 0
	for _, o := range []*outcome{a, b} {
		if o.accepted {
			ok(t, o)
			accepted++
		} else {
			refused(t, domain.ECONFLICT, o)
		}
	}
	require.Equal(t, 1, accepted, "exactly one of two identical submits is accepted")
	require.Equal(t, []string{"create", "submit", "approve"}, h.store.actions())
}

// TestConsolidateReservesWithinCeiling: consolidate reserves its amount
// against the kab/kota's ceiling in the transaction that records it; over
// the ceiling it is refused with the figures and leaves no trace, and a
// smaller amount then goes through.
func TestConsolidateReservesWithinCeiling(t *testing.T) {
	h := newHarness(t)
	h.store.setCeiling("74-2027", "74.05", 90_000_000)
	pre := h.reach(domain.StageConsolidation)
	over := h.do(tConsolidate, domain.ActionConsolidate, consolidateReq) // 100.000.000
	fitting := consolidateReq
	fitting.ConsolidatedAmountIDR = 90_000_000
	fits := h.do(tConsolidate.Add(time.Minute), domain.ActionConsolidate, fitting)
	lock := h.at(tLock, UpdateLock, ActionRequest{Actor: kadisProv})
	h.cancelAt(tEnd)
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, append(pre, fits, lock)...)

	require.True(t, over.accepted, "the ceiling is judged by the projection, after the validator")
	require.Equal(t, domain.EINVALID, over.code(), "%v", over.err)
	require.Equal(t, []string{"consolidated_amount_idr"}, over.fields())
	msg := AsDomainError(over.err).Error()
	for _, figure := range []string{"Rp 100.000.000", "pagu Rp 90.000.000", "terpakai Rp 0", "sisa Rp 90.000.000"} {
		require.Contains(t, msg, figure)
	}
	require.Equal(t, int64(90_000_000), fits.result.ConsolidatedAmountIDR)
	require.Equal(t, []string{"create", "submit", "approve", "accept", "consolidate", "lock"}, h.store.actions(), "the refused consolidate recorded nothing")
	require.Equal(t, domain.Reservation{CycleID: "74-2027", ProposalID: testProposal, RegionCode: "74.05", AmountIDR: 90_000_000},
		h.store.reserved[testProposal])
	require.Empty(t, h.cycles.calls, "the cycle's workflow is not asked")
}

// Without a ceiling for its kab/kota, a consolidate is not limited, and
// its amount is still reserved (a ceiling set later must not fall below it).
func TestConsolidateWithoutCeiling(t *testing.T) {
	h := newHarness(t)
	pre := h.reach(domain.StageConsolidation)
	cons := h.do(tConsolidate, domain.ActionConsolidate, consolidateReq)
	h.cancelAt(tEnd)
	h.env.ExecuteWorkflow(ProposalWorkflowName, testInput())
	ok(t, append(pre, cons)...)
	require.True(t, cons.result.Consolidated)
	require.Equal(t, int64(100_000_000), h.store.reserved[testProposal].AmountIDR)
}
