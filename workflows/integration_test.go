package workflows_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/devserver/devservertest"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/workflows"
)

// updateHistories rewrites workflows/testdata/*.json from real runs:
//
//	go test ./workflows/ -run Integration -update-histories
var updateHistories = flag.Bool("update-histories", false, "write the histories of the integration runs to testdata for TestReplay")

var (
	itPlanner    = domain.Actor{Username: "siti.perencana", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
	itCamat      = domain.Actor{Username: "camat.tongkuno", Role: domain.RoleCamat, Scope: "74.05.03"}
	itReviewer   = domain.Actor{Username: "kabid.muna", Role: domain.RoleReviewerKabKota, Scope: "74.05"}
	itKadisProv  = domain.Actor{Username: "kadis.sultra", Role: domain.RoleKadisProvinsi, Scope: "74"}
	itProvPlan   = domain.Actor{Username: "perencana.sultra", Role: domain.RolePerencanaProvinsi, Scope: "74"}
	itLiaison    = domain.Actor{Username: "penghubung", Role: domain.RolePenghubungKementrian, Scope: "*"}
	itKabPlanner = domain.Actor{Username: "perencana.muna", Role: domain.RolePerencanaKabKota, Scope: "74.05"}
)

// itEnv is a real dev server, a fresh PostgreSQL database and a worker.
type itEnv struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	db  *store.DB
	w   worker.Worker
}

func newITEnv(t *testing.T) *itEnv {
	srv := devservertest.ForTest(t)
	db := storetest.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	for _, q := range []string{
		"INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05', 'Kabupaten Muna', 2, '74')",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05.03', 'Kecamatan Tongkuno', 3, '74.05')",
	} {
		require.NoError(t, db.ExecSQL(ctx, q))
	}
	require.NoError(t, db.SaveCycle(ctx, domain.Cycle{ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, CreatedBy: "kadis.sultra", Calendar: openCalendar()}))
	e := &itEnv{t: t, ctx: ctx, c: srv.Client(), db: db}
	e.startWorker()
	t.Cleanup(func() {
		if e.w != nil {
			e.w.Stop()
		}
	})
	return e
}

func (e *itEnv) startWorker() {
	// A short sticky timeout: after a restart the stopped worker's sticky
	// queue hands its tasks back quickly instead of after 5s.
	w := worker.New(e.c, workflows.TaskQueue, worker.Options{StickyScheduleToStartTimeout: time.Second})
	a := activities.New(e.db)
	a.Workflows = workflows.NewDriver(e.c)
	workflows.Register(w, a)
	require.NoError(e.t, w.Start())
	e.w = w
}

func (e *itEnv) stopWorker() {
	e.w.Stop()
	e.w = nil
}

// openCalendar has the submission and review deadlines ahead (real clock).
func openCalendar() domain.Calendar {
	now := time.Now().UTC().Truncate(time.Second)
	return domain.Calendar{
		SubmissionDeadline: now.Add(time.Hour), ReviewDeadline: now.Add(10 * 24 * time.Hour),
		RakordaStart: now.Add(20 * 24 * time.Hour), RakordaEnd: now.Add(21 * 24 * time.Hour),
		ConsolidationDeadline: now.Add(30 * 24 * time.Hour), MinistryDeadline: now.Add(40 * 24 * time.Hour),
		MappingDeadline: now.Add(50 * 24 * time.Hour),
	}
}

// rakordaCalendar is the cycle moved so that Rakorda is in session now.
func rakordaCalendar() domain.Calendar {
	now := time.Now().UTC().Truncate(time.Second)
	return domain.Calendar{
		SubmissionDeadline: now.Add(-3 * time.Hour), ReviewDeadline: now.Add(-2 * time.Hour),
		RakordaStart: now.Add(-time.Hour), RakordaEnd: now.Add(24 * time.Hour),
		ConsolidationDeadline: now.Add(30 * 24 * time.Hour), MinistryDeadline: now.Add(40 * 24 * time.Hour),
		MappingDeadline: now.Add(50 * 24 * time.Hour),
	}
}

var itDraft = workflows.Draft{
	RegionCode: "74.05.03", Title: "Pelatihan pengemasan produk UMKM",
	Description: "Pelatihan pengemasan dan label halal bagi pelaku UMKM", Category: "pelatihan",
	AmountIDR: 125_000_000, FundingSource: "apbd_kabkota",
	Indicators: []domain.Indicator{{Name: "Pelaku UMKM terlatih", Target: 30, Unit: "orang"}},
}

// step is one accepted change and the event it must leave.
type step struct {
	action, comment string
	actor           domain.Actor
	from, to        domain.Stage
}

// lifecycle drives a proposal through every stage to final, checking after
// each Update that the projection already shows it (read-your-writes). With
// restart, the worker is stopped twice once the proposal is at Rakorda: a
// calendar move and then a decision arrive while no worker runs, and a new worker
// (with an empty cache, so it replays the history) carries them out.
func (e *itEnv) lifecycle(id string, restart bool) []step {
	t, ctx := e.t, e.ctx
	var steps []step
	check := func(p domain.Proposal, err error, s step) {
		t.Helper()
		require.NoError(t, err, s.action)
		require.Equal(t, s.to, p.Stage, s.action)
		row, err := e.db.GetProposal(ctx, id)
		require.NoError(t, err)
		require.Equal(t, p.Stage, row.Stage, "projection lags behind %s", s.action)
		require.Equal(t, p.Version, row.Version)
		steps = append(steps, s)
	}

	// A refused create (no title) says why, field by field; the corrected
	// retry with the same ID then succeeds.
	_, err := workflows.Create(ctx, e.c, workflows.ProposalInput{ProposalID: id, CycleID: "74-2027", Calendar: openCalendar()},
		workflows.CreateRequest{Actor: itPlanner, Draft: workflows.Draft{RegionCode: "74.05.03"}})
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	require.Equal(t, domain.EINVALID, de.Code)
	require.Equal(t, "title", de.Fields[0].Field)
	p, err := workflows.Create(ctx, e.c, workflows.ProposalInput{ProposalID: id, CycleID: "74-2027", Calendar: openCalendar()},
		workflows.CreateRequest{Actor: itPlanner, Draft: itDraft})
	check(p, err, step{"create", "", itPlanner, "", domain.StageDraft})
	// A retried create (same Idempotency-Key, so same ID) answers with the
	// same draft and records nothing.
	again, err := workflows.Create(ctx, e.c, workflows.ProposalInput{ProposalID: id, CycleID: "74-2027", Calendar: openCalendar()},
		workflows.CreateRequest{Actor: itPlanner, Draft: itDraft})
	require.NoError(t, err)
	require.Equal(t, p.Version, again.Version)

	title := "Pelatihan pengemasan dan pemasaran digital UMKM"
	p, err = workflows.Edit(ctx, e.c, id, workflows.EditRequest{Actor: itPlanner, ExpectedVersion: p.Version, Patch: workflows.DraftPatch{Title: &title}})
	check(p, err, step{"edit", "", itPlanner, domain.StageDraft, domain.StageDraft})
	_, err = workflows.Edit(ctx, e.c, id, workflows.EditRequest{Actor: itPlanner, ExpectedVersion: 1, Patch: workflows.DraftPatch{Title: &title}})
	require.Equal(t, domain.EPRECONDITION, domain.ErrorCode(err), "%v", err)

	p, err = workflows.Act(ctx, e.c, id, domain.ActionSubmit, workflows.ActionRequest{Actor: itCamat, Comment: "Mohon direviu"})
	check(p, err, step{"submit", "Mohon direviu", itCamat, domain.StageDraft, domain.StageKabKotaReview})

	// Refusals come back as domain errors and leave no trace in history.
	h, err := e.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.ProposalWorkflowID(id), UpdateID: "refused-approve-by-creator", UpdateName: "approve",
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args:         []any{workflows.ActionRequest{Actor: domain.Actor{Username: itPlanner.Username, Role: domain.RoleReviewerKabKota, Scope: "74.05"}}},
	})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	require.ErrorAs(t, workflows.AsDomainError(err), &de)
	require.Equal(t, domain.EFORBIDDEN, de.Code)
	require.Contains(t, de.Message, "pemisahan tugas")
	_, err = workflows.Act(ctx, e.c, id, domain.ActionReturn, workflows.ActionRequest{Actor: itReviewer})
	require.ErrorAs(t, err, &de)
	require.Equal(t, domain.EINVALID, de.Code)
	require.Equal(t, []domain.FieldError{{Field: "comment", Message: "Komentar wajib diisi untuk aksi \"return\"."}}, de.Fields)

	p, err = workflows.Act(ctx, e.c, id, domain.ActionReturn, workflows.ActionRequest{Actor: itReviewer, Comment: "Lengkapi rincian biaya"})
	check(p, err, step{"return", "Lengkapi rincian biaya", itReviewer, domain.StageKabKotaReview, domain.StageDraft})
	p, err = workflows.Act(ctx, e.c, id, domain.ActionSubmit, workflows.ActionRequest{Actor: itCamat})
	check(p, err, step{"submit", "", itCamat, domain.StageDraft, domain.StageKabKotaReview})
	p, err = workflows.Act(ctx, e.c, id, domain.ActionApprove, workflows.ActionRequest{Actor: itReviewer})
	check(p, err, step{"approve", "", itReviewer, domain.StageKabKotaReview, domain.StageRakorda})

	_, err = workflows.Act(ctx, e.c, id, domain.ActionAccept, workflows.ActionRequest{Actor: itKadisProv})
	require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "Rakorda is not open yet: %v", err)

	// The cycle moves its dates so that Rakorda is in session; the proposal
	// records its new due date.
	if restart {
		// The move arrives while no worker runs; it is answered once a
		// new worker has applied it.
		e.stopWorker()
		moved := make(chan error, 1)
		go func() { moved <- workflows.MoveCalendar(ctx, e.c, id, rakordaCalendar()) }()
		require.Eventually(t, func() bool {
			d, err := e.c.DescribeWorkflowExecution(ctx, workflows.ProposalWorkflowID(id), "")
			return err == nil && d.PendingWorkflowTask != nil
		}, 30*time.Second, 50*time.Millisecond)
		e.startWorker()
		require.NoError(t, <-moved)
	} else {
		require.NoError(t, workflows.MoveCalendar(ctx, e.c, id, rakordaCalendar()))
	}
	require.Eventually(t, func() bool {
		row, err := e.db.GetProposal(ctx, id)
		return err == nil && row.Version == p.Version+1
	}, 30*time.Second, 50*time.Millisecond)
	steps = append(steps, step{workflows.EventReschedule, "Jadwal siklus berubah.", workflows.SystemActor, domain.StageRakorda, domain.StageRakorda})

	accept := func() (domain.Proposal, error) {
		return workflows.Act(ctx, e.c, id, domain.ActionAccept, workflows.ActionRequest{Actor: itKadisProv, Comment: "Disepakati Rakorda"})
	}
	if restart {
		e.stopWorker()
		type result struct {
			p   domain.Proposal
			err error
		}
		done := make(chan result, 1)
		go func() {
			p, err := accept()
			done <- result{p, err}
		}()
		// The Update waits in Temporal until a worker takes it.
		require.Eventually(t, func() bool {
			d, err := e.c.DescribeWorkflowExecution(ctx, workflows.ProposalWorkflowID(id), "")
			return err == nil && d.PendingWorkflowTask != nil
		}, 30*time.Second, 50*time.Millisecond)
		e.startWorker()
		r := <-done
		p, err = r.p, r.err
	} else {
		p, err = accept()
	}
	check(p, err, step{"accept", "Disepakati Rakorda", itKadisProv, domain.StageRakorda, domain.StageConsolidation})
	_, err = workflows.Lock(ctx, e.c, id, workflows.ActionRequest{Actor: itKadisProv})
	require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "not consolidated yet: %v", err)
	p, err = workflows.Act(ctx, e.c, id, domain.ActionConsolidate, workflows.ActionRequest{Actor: itProvPlan, Priority: 2, ConsolidatedAmountIDR: 100_000_000, FundingSource: "apbd_provinsi"})
	check(p, err, step{"consolidate", "", itProvPlan, domain.StageConsolidation, domain.StageConsolidation})
	p, err = workflows.Lock(ctx, e.c, id, workflows.ActionRequest{Actor: itKadisProv})
	check(p, err, step{"lock", "", itKadisProv, domain.StageConsolidation, domain.StageMinistry})
	p, err = workflows.Act(ctx, e.c, id, domain.ActionFund, workflows.ActionRequest{Actor: itLiaison, FundingSource: "apbn_dekonsentrasi"})
	check(p, err, step{"fund", "", itLiaison, domain.StageMinistry, domain.StageSIPDMapping})
	p, err = workflows.Act(ctx, e.c, id, domain.ActionMap, workflows.ActionRequest{Actor: itKabPlanner, SIPDCode: "2.17.03.2.01.0001"})
	check(p, err, step{"map", "", itKabPlanner, domain.StageSIPDMapping, domain.StageFinal})

	// The workflow ends once its notifications are out.
	run := e.c.GetWorkflow(ctx, workflows.ProposalWorkflowID(id), "")
	var final domain.Proposal
	require.NoError(t, run.Get(ctx, &final))
	require.Equal(t, p, final)
	_, err = workflows.Act(ctx, e.c, id, domain.ActionMap, workflows.ActionRequest{Actor: itKabPlanner, SIPDCode: "x"})
	require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "%v", err)
	return steps
}

// assertTrail checks the projection and the audit trail one event at a time.
func (e *itEnv) assertTrail(id string, steps []step) {
	t := e.t
	row, err := e.db.GetProposal(e.ctx, id)
	require.NoError(t, err)
	require.Equal(t, domain.StageFinal, row.Stage)
	require.Equal(t, "Pelatihan pengemasan dan pemasaran digital UMKM", row.Title)
	require.Equal(t, int64(125_000_000), row.AmountIDR)
	require.Equal(t, int64(100_000_000), row.ConsolidatedAmountIDR)
	require.Equal(t, 2, row.Priority)
	require.True(t, row.Consolidated)
	require.Equal(t, domain.FundingSource("apbn_dekonsentrasi"), row.FundingSource)
	require.Equal(t, "2.17.03.2.01.0001", row.SIPDCode)
	require.Equal(t, itPlanner.Username, row.CreatedBy)
	require.Equal(t, itCamat.Username, row.SubmittedBy)
	require.Nil(t, row.DueAt)
	require.False(t, row.Overdue)
	require.Equal(t, int64(len(steps)), row.Version)
	require.Equal(t, itDraft.Indicators, row.Indicators)
	seq, err := e.db.ProposalSeq(e.ctx, id)
	require.NoError(t, err)
	require.Equal(t, int64(len(steps)), seq)

	events, err := e.db.ListProposalEvents(e.ctx, id)
	require.NoError(t, err)
	require.Len(t, events, len(steps), "exactly one event per transition")
	for i, s := range steps {
		ev := events[i]
		require.Equal(t, int64(i+1), ev.Seq)
		require.Equal(t, s.action, ev.Action, "event %d", i+1)
		require.Equal(t, s.from, ev.FromStage, "event %d", i+1)
		require.Equal(t, s.to, ev.ToStage, "event %d", i+1)
		require.Equal(t, s.actor, ev.Actor, "event %d", i+1)
		require.Equal(t, s.comment, ev.Comment, "event %d", i+1)
		if i > 0 {
			require.False(t, ev.At.Before(events[i-1].At), "event %d is older than the one before", i+1)
		}
	}
	require.JSONEq(t, `{"priority":2,"consolidated_amount_idr":100000000,"funding_source":"apbd_provinsi"}`, string(events[8].Payload))

	notes, err := e.db.ListProposalNotifications(e.ctx, id)
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, n := range notes {
		kinds[n.Kind]++
	}
	// openCalendar's submission deadline is an hour away and Rakorda ends
	// within a day: both reminders go out as the proposal enters the stage
	// (to the creator and the camat, then to the Kepala Dinas provinsi).
	require.Equal(t, map[string]int{workflows.NoticeReviewRequested: 2, workflows.NoticeStageChanged: 8,
		workflows.NoticeDeadlineReminder: 2, workflows.NoticeDeadlineReminderOwner: 1}, kinds)
}

// history returns the workflow's history and saves it to testdata when
// -update-histories is set.
func (e *itEnv) history(id, name string) *historypb.History {
	it := e.c.GetWorkflowHistory(e.ctx, workflows.ProposalWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(e.t, err)
		hist.Events = append(hist.Events, ev)
	}
	if *updateHistories {
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		require.NoError(e.t, err)
		require.NoError(e.t, os.WriteFile(filepath.Join("testdata", name), append(b, '\n'), 0o644))
	}
	return hist
}

func TestIntegrationLifecycleToFinal(t *testing.T) {
	e := newITEnv(t)
	id := fmt.Sprintf("it-lifecycle-%d", time.Now().UnixNano())
	steps := e.lifecycle(id, false)
	e.assertTrail(id, steps)

	hist := e.history(id, "lifecycle.json")
	accepted := 0
	for _, ev := range hist.Events {
		if ev.EventType == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED {
			accepted++
		}
	}
	require.Equal(t, len(steps), accepted, "one accepted Update per recorded change, the reschedule included")
	b, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(hist)
	require.NoError(t, err)
	require.False(t, strings.Contains(string(b), "refused-approve-by-creator"), "a refused Update leaves no trace in history")
}

func TestIntegrationWorkerRestartLosesNothing(t *testing.T) {
	e := newITEnv(t)
	id := fmt.Sprintf("it-restart-%d", time.Now().UnixNano())
	steps := e.lifecycle(id, true)
	e.assertTrail(id, steps)
	e.history(id, "restart.json")
}
