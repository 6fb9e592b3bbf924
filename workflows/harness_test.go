package workflows

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// The test fixtures: a cycle for fiscal year 2027 in province 74 whose dates
// all lie in 2026 (N-1), and one user per role.

var testStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func on(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func testCalendar() domain.Calendar {
	return domain.Calendar{
		SubmissionDeadline: on(2, 1), ReviewDeadline: on(3, 1), RakordaStart: on(4, 1), RakordaEnd: on(4, 5),
		ConsolidationDeadline: on(5, 1), MinistryDeadline: on(6, 1), MappingDeadline: on(7, 1),
	}
}

var (
	planner       = domain.Actor{Username: "siti.perencana", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
	planner2      = domain.Actor{Username: "andi.perencana", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
	camat         = domain.Actor{Username: "camat.tongkuno", Role: domain.RoleCamat, Scope: "74.05.03"}
	kabPlanner    = domain.Actor{Username: "perencana.muna", Role: domain.RolePerencanaKabKota, Scope: "74.05"}
	reviewer      = domain.Actor{Username: "kabid.muna", Role: domain.RoleReviewerKabKota, Scope: "74.05"}
	kadisKab      = domain.Actor{Username: "kadis.muna", Role: domain.RoleKadisKabKota, Scope: "74.05"}
	provPlanner   = domain.Actor{Username: "perencana.sultra", Role: domain.RolePerencanaProvinsi, Scope: "74"}
	kadisProv     = domain.Actor{Username: "kadis.sultra", Role: domain.RoleKadisProvinsi, Scope: "74"}
	liaison       = domain.Actor{Username: "penghubung", Role: domain.RolePenghubungKementrian, Scope: "*"}
	testProposal  = "p-0001"
	completeDraft = Draft{
		RegionCode: "74.05.03", Title: "Pelatihan pengemasan produk UMKM",
		Description: "Pelatihan pengemasan dan label halal bagi pelaku UMKM Kecamatan Tongkuno",
		Category:    "pelatihan", AmountIDR: 125_000_000, FundingSource: "apbd_kabkota",
		Indicators:    []domain.Indicator{{Name: "Pelaku UMKM terlatih", Target: 30, Unit: "orang"}},
		Beneficiaries: "30 pelaku UMKM",
	}
)

func testInput() ProposalInput {
	return ProposalInput{ProposalID: testProposal, CycleID: "74-2027", Calendar: testCalendar()}
}

// quietLogger keeps the test environment's debug chatter out of test output.
var quietLogger = tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

// fakeStore is an in-memory activities.Store with the real store's
// idempotency on (proposal_id, seq) and on notification IDs.
type fakeStore struct {
	mu     sync.Mutex
	rows   map[string]domain.Proposal
	seqs   map[string]int64
	events []domain.ProposalEvent
	notes  []domain.Notification
	// reserved is the last reservation of each proposal, ceilings the
	// ceiling of each cycle/region, judged as store.RecordConsolidation
	// does (which the integration tests run).
	reserved map[string]domain.Reservation
	ceilings map[string]int64
}

func newFakeStore() *fakeStore {
	return &fakeStore{rows: map[string]domain.Proposal{}, seqs: map[string]int64{}, reserved: map[string]domain.Reservation{}, ceilings: map[string]int64{}}
}

func (f *fakeStore) setCeiling(cycleID, region string, amount int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ceilings[cycleID+"/"+region] = amount
}

func (f *fakeStore) RecordConsolidation(ctx context.Context, r domain.Reservation, p domain.Proposal, ev domain.ProposalEvent, notes ...domain.Notification) (bool, error) {
	f.mu.Lock()
	if ceiling, ok := f.ceilings[r.CycleID+"/"+r.RegionCode]; ok {
		var used int64
		for id, o := range f.reserved {
			if id != r.ProposalID && o.CycleID == r.CycleID && o.RegionCode == r.RegionCode {
				used += o.AmountIDR
			}
		}
		if used+r.AmountIDR > ceiling {
			f.mu.Unlock()
			return false, domain.CeilingExceeded(r.AmountIDR, r.RegionCode, ceiling, used)
		}
	}
	f.reserved[r.ProposalID] = r
	f.mu.Unlock()
	return f.RecordTransition(ctx, p, ev, notes...)
}

func (f *fakeStore) RecordTransition(_ context.Context, p domain.Proposal, ev domain.ProposalEvent, notes ...domain.Notification) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addNotes(notes...)
	for _, e := range f.events {
		if e.ProposalID == ev.ProposalID && e.Seq == ev.Seq {
			return false, nil
		}
	}
	if f.seqs[p.ID] < ev.Seq {
		f.rows[p.ID], f.seqs[p.ID] = p, ev.Seq
	}
	f.events = append(f.events, ev)
	sort.SliceStable(f.events, func(i, j int) bool { return f.events[i].Seq < f.events[j].Seq })
	return true, nil
}

func (f *fakeStore) InsertNotification(_ context.Context, n domain.Notification) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addNotes(n)
	return nil
}

func (f *fakeStore) addNotes(notes ...domain.Notification) {
next:
	for _, n := range notes {
		for _, x := range f.notes {
			if x.ID == n.ID {
				continue next
			}
		}
		f.notes = append(f.notes, n)
	}
}

func (f *fakeStore) actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.events))
	for i, e := range f.events {
		out[i] = e.Action
	}
	return out
}

func (f *fakeStore) notices(kind string) []domain.Notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []domain.Notification
	for _, n := range f.notes {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// outcome is what happened to one scheduled Update, filled in as the test
// workflow runs.
type outcome struct {
	label     string
	accepted  bool
	rejectErr error
	done      bool
	err       error
	result    domain.Proposal
	value     any // the result of a cycle Update
}

// code is the domain code of the refusal or failure, "" when it succeeded.
func (o *outcome) code() string {
	if o.rejectErr != nil {
		return domain.ErrorCode(AsDomainError(o.rejectErr))
	}
	return domain.ErrorCode(AsDomainError(o.err))
}

func (o *outcome) fields() []string {
	var de *domain.Error
	err := o.rejectErr
	if err == nil {
		err = o.err
	}
	if e, ok := AsDomainError(err).(*domain.Error); ok {
		de = e
	}
	if de == nil {
		return nil
	}
	var out []string
	for _, f := range de.Fields {
		out = append(out, f.Field)
	}
	return out
}

// harness runs one ProposalWorkflow in the time-skipping test environment
// with the real activities over a fakeStore.
type harness struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	store  *fakeStore
	cycles *fakeCycles
	n      int
}

func newHarness(t *testing.T) *harness {
	return newHarnessWith(t, newFakeStore())
}

func newHarnessWith(t *testing.T, fs *fakeStore) *harness {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quietLogger)
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	env.SetTestTimeout(30 * time.Second)
	a := activities.New(fs)
	a.Workflows = newFakeCycles()
	Register(env, a)
	return &harness{t: t, env: env, store: fs, cycles: a.Workflows.(*fakeCycles)}
}

// fakeCycles stands in for the Temporal client a proposal's ReserveCeiling
// activity uses to reach its cycle, which the single-workflow test
// environment cannot run next to the proposal. It judges reservations with
// the cycle's own rule functions over a CycleState per cycle; the real path
// is covered by the integration tests.
type fakeCycles struct {
	mu     sync.Mutex
	cycles map[string]*CycleState
	calls  []activities.CeilingReservation
}

func newFakeCycles() *fakeCycles { return &fakeCycles{cycles: map[string]*CycleState{}} }

// setCeilings makes cycle id exist with the given ceilings.
func (f *fakeCycles) setCeilings(id string, ceilings ...domain.Ceiling) {
	f.mu.Lock()
	defer f.mu.Unlock()
	province, fy, _ := domain.ParseCycleID(id)
	f.cycles[id] = &CycleState{Created: true, Cycle: domain.CycleDetail{
		Cycle: domain.Cycle{ID: id, ProvinceCode: province, FiscalYear: fy}, Ceilings: ceilings,
	}}
}

func (f *fakeCycles) ReserveCeiling(_ context.Context, _ string, r activities.CeilingReservation) (activities.ReserveResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r)
	st, ok := f.cycles[r.CycleID]
	if !ok {
		return activities.ReserveResult{}, domain.Errorf(domain.ENOTFOUND, "Siklus tidak ditemukan.")
	}
	if de := checkReserve(st, r, false); de != nil {
		return activities.ReserveResult{}, de
	}
	return applyReserve(st, r), nil
}

func (f *fakeCycles) SignalCalendar(context.Context, string, domain.Calendar) error {
	return fmt.Errorf("fakeCycles: no proposals to signal in a single-workflow test")
}

func (f *fakeCycles) LockProposal(context.Context, string, string, domain.Actor, string) (domain.Proposal, error) {
	return domain.Proposal{}, fmt.Errorf("fakeCycles: no proposals to lock in a single-workflow test")
}

// at schedules Update name with arg at instant when and returns its outcome.
func (h *harness) at(when time.Time, name string, arg any) *outcome {
	h.n++
	o := &outcome{label: fmt.Sprintf("#%d %s @%s", h.n, name, when.Format(time.RFC3339))}
	id := fmt.Sprintf("u%d", h.n)
	h.env.RegisterDelayedCallback(func() { h.send(o, id, name, arg) }, when.Sub(testStart))
	return o
}

func (h *harness) send(o *outcome, id, name string, arg any) {
	h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnAccept: func() { o.accepted = true },
		OnReject: func(err error) { o.rejectErr = err },
		OnComplete: func(r any, err error) {
			o.done, o.err = true, err
			if p, ok := r.(domain.Proposal); ok {
				o.result = p
			}
		},
	}, arg)
}

// do is at for an action Update.
func (h *harness) do(when time.Time, action domain.Action, req ActionRequest) *outcome {
	return h.at(when, ActionUpdateName(action), req)
}

// query schedules a state query at when; the returned pointer is filled in.
func (h *harness) query(when time.Time) *domain.Proposal {
	p := &domain.Proposal{}
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(QueryState)
		require.NoError(h.t, err)
		require.NoError(h.t, v.Get(p))
	}, when.Sub(testStart))
	return p
}

// cancelAt ends a workflow that would otherwise wait for ever.
func (h *harness) cancelAt(when time.Time) {
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, when.Sub(testStart))
}

func (h *harness) run(in ProposalInput) {
	h.env.ExecuteWorkflow(ProposalWorkflowName, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
}

func (h *harness) create(d Draft) *outcome {
	return h.at(testStart.Add(time.Second), UpdateCreate, CreateRequest{Actor: planner, Draft: d})
}

// ok asserts that every outcome was accepted and completed without error.
func ok(t *testing.T, os ...*outcome) {
	t.Helper()
	for _, o := range os {
		require.True(t, o.accepted, "%s: not accepted: %v", o.label, o.rejectErr)
		require.True(t, o.done, "%s: not completed", o.label)
		require.NoError(t, o.err, o.label)
	}
}

// refused asserts that o was refused by its validator with code.
func refused(t *testing.T, code string, o *outcome) {
	t.Helper()
	require.False(t, o.accepted, "%s: accepted, want refusal %s", o.label, code)
	require.Error(t, o.rejectErr, o.label)
	require.Equal(t, code, o.code(), "%s: %v", o.label, o.rejectErr)
}

// Canonical times and requests for each step of a lifecycle.
var (
	tSubmit      = on(1, 6)
	tReview      = on(1, 7)
	tRakorda     = on(4, 2)
	tConsolidate = on(4, 10)
	tLock        = on(4, 11)
	tMinistry    = on(6, 2)
	tMap         = on(6, 10)
	tEnd         = on(12, 1)

	consolidateReq = ActionRequest{Actor: provPlanner, Priority: 3, ConsolidatedAmountIDR: 100_000_000, FundingSource: "apbd_provinsi"}
	fundReq        = ActionRequest{Actor: liaison, FundingSource: "apbn_dekonsentrasi"}
	mapReq         = ActionRequest{Actor: kabPlanner, SIPDCode: "2.17.03.2.01.0001"}
)

// reach schedules the Updates that bring a new proposal to stage s by the
// canonical path and returns their outcomes.
func (h *harness) reach(s domain.Stage) []*outcome {
	out := []*outcome{h.create(completeDraft)}
	steps := []struct {
		stage domain.Stage
		fn    func() *outcome
	}{
		{domain.StageKabKotaReview, func() *outcome { return h.do(tSubmit, domain.ActionSubmit, ActionRequest{Actor: camat}) }},
		{domain.StageRakorda, func() *outcome { return h.do(tReview, domain.ActionApprove, ActionRequest{Actor: reviewer}) }},
		{domain.StageConsolidation, func() *outcome { return h.do(tRakorda, domain.ActionAccept, ActionRequest{Actor: kadisProv}) }},
		{domain.StageMinistry, func() *outcome {
			h.do(tConsolidate, domain.ActionConsolidate, consolidateReq)
			return h.at(tLock, UpdateLock, ActionRequest{Actor: kadisProv})
		}},
		{domain.StageSIPDMapping, func() *outcome { return h.do(tMinistry, domain.ActionFund, fundReq) }},
	}
	if s == domain.StageDraft {
		return out
	}
	for _, st := range steps {
		out = append(out, st.fn())
		if st.stage == s {
			return out
		}
	}
	h.t.Fatalf("reach: no path to %s", s)
	return nil
}

// slot is when an action is tried after reaching stage s by reach.
func slot(s domain.Stage) time.Time {
	switch s {
	case domain.StageDraft:
		return tSubmit
	case domain.StageKabKotaReview:
		return tReview
	case domain.StageRakorda:
		return tRakorda
	case domain.StageConsolidation:
		return tConsolidate
	case domain.StageMinistry:
		return tMinistry
	case domain.StageSIPDMapping:
		return tMap
	}
	return tEnd
}
