package workflows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// fakeProposals stands in for the Temporal client through which the
// cycle's activities signal and lock proposals: the single-workflow test
// environment cannot run proposal workflows next to the cycle. Locking
// writes the proposal's move to the real store, as the proposal workflow
// would; the integration tests run the real thing.
type fakeProposals struct {
	db       *store.DB
	mu       sync.Mutex
	signals  map[string][]domain.Calendar
	locks    map[string]int      // successful lock calls per proposal
	refuse   map[string]string   // proposal id: refusal message
	lostOnce map[string]bool     // moved, but the answer is lost (a refusal the next time)
	flaky    map[string]int      // transient failures left before success
	gone     map[string]bool     // workflow ended
	updates  map[string][]string // update ids seen per proposal
}

func newFakeProposals(db *store.DB) *fakeProposals {
	return &fakeProposals{db: db, signals: map[string][]domain.Calendar{}, locks: map[string]int{}, refuse: map[string]string{},
		lostOnce: map[string]bool{}, flaky: map[string]int{}, gone: map[string]bool{}, updates: map[string][]string{}}
}

func (f *fakeProposals) SignalCalendar(_ context.Context, id string, cal domain.Calendar) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone[id] {
		return domain.Errorf(domain.ENOTFOUND, "Usulan tidak ditemukan.")
	}
	f.signals[id] = append(f.signals[id], cal)
	return nil
}

func (f *fakeProposals) LockProposal(ctx context.Context, id, updateID string, actor domain.Actor, comment string) (domain.Proposal, error) {
	f.mu.Lock()
	f.updates[id] = append(f.updates[id], updateID)
	if n := f.flaky[id]; n > 0 {
		f.flaky[id] = n - 1
		f.mu.Unlock()
		return domain.Proposal{}, errors.New("connection reset by peer")
	}
	if msg, ok := f.refuse[id]; ok {
		f.mu.Unlock()
		return domain.Proposal{}, domain.Errorf(domain.ECONFLICT, "%s", msg)
	}
	lost := f.lostOnce[id]
	delete(f.lostOnce, id)
	f.mu.Unlock()
	p, err := f.db.GetProposal(ctx, id)
	if err != nil {
		return domain.Proposal{}, err
	}
	if p.Stage != domain.StageConsolidation || !p.Consolidated {
		return domain.Proposal{}, domain.Errorf(domain.ECONFLICT, "Hanya usulan pada tahap Konsolidasi Provinsi yang dapat dikunci.")
	}
	seq, err := f.db.ProposalSeq(ctx, id)
	if err != nil {
		return domain.Proposal{}, err
	}
	prev := p.Stage
	p.Stage, p.Version = domain.StageMinistry, p.Version+1
	if _, err := f.db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: id, Seq: seq + 1, Action: EventLock, FromStage: prev,
		ToStage: p.Stage, Actor: actor, Comment: comment, At: p.UpdatedAt}); err != nil {
		return domain.Proposal{}, err
	}
	if lost {
		return domain.Proposal{}, domain.Errorf(domain.ECONFLICT, "Hanya usulan pada tahap Konsolidasi Provinsi yang dapat dikunci.")
	}
	f.mu.Lock()
	f.locks[id]++
	f.mu.Unlock()
	return p, nil
}

func (f *fakeProposals) ReserveCeiling(context.Context, string, activities.CeilingReservation) (activities.ReserveResult, error) {
	return activities.ReserveResult{}, errors.New("fakeProposals: cycles do not reserve")
}

// cycleHarness runs one CycleWorkflow in the time-skipping environment with
// the real activities over a real SQLite store.
type cycleHarness struct {
	t         *testing.T
	env       *testsuite.TestWorkflowEnvironment
	db        *store.DB
	proposals *fakeProposals
	n         int
}

func newCycleHarness(t *testing.T) *cycleHarness {
	db := storetest.SQLite(t)
	for _, q := range []string{
		"INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05', 'Kabupaten Konawe Selatan', 2, '74')",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05.03', 'Andoolo', 3, '74.05')",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.71', 'Kota Kendari', 2, '74')",
	} {
		require.NoError(t, db.ExecSQL(context.Background(), q))
	}
	return newCycleHarnessOn(t, db)
}

// newCycleHarnessOn is newCycleHarness over an existing store.
func newCycleHarnessOn(t *testing.T, db *store.DB) *cycleHarness {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quietLogger)
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	env.SetTestTimeout(2 * time.Minute)
	a := activities.New(db)
	fp := newFakeProposals(db)
	a.Workflows = fp
	Register(env, a)
	return &cycleHarness{t: t, env: env, db: db, proposals: fp}
}

func (h *cycleHarness) at(when time.Time, name string, arg any) *outcome {
	h.n++
	o := &outcome{label: fmt.Sprintf("#%d %s @%s", h.n, name, when.Format(time.RFC3339))}
	id := fmt.Sprintf("c%d", h.n)
	h.env.RegisterDelayedCallback(func() { h.send(o, id, name, arg) }, when.Sub(testStart))
	return o
}

func (h *cycleHarness) send(o *outcome, id, name string, arg any) {
	h.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnAccept: func() { o.accepted = true },
		OnReject: func(err error) { o.rejectErr = err },
		OnComplete: func(r any, err error) {
			o.done, o.err = true, err
			o.value = r
		},
	}, arg)
}

func (h *cycleHarness) query(when time.Time) *domain.CycleDetail {
	c := &domain.CycleDetail{}
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(CycleQueryState)
		require.NoError(h.t, err)
		require.NoError(h.t, v.Get(c))
	}, when.Sub(testStart))
	return c
}

// inspect runs fn at when, inside the test environment's clock.
func (h *cycleHarness) inspect(when time.Time, fn func()) {
	h.env.RegisterDelayedCallback(fn, when.Sub(testStart))
}

func (h *cycleHarness) run(in CycleInput, until time.Time) {
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, until.Sub(testStart))
	h.env.ExecuteWorkflow(CycleWorkflowName, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
}

func cycleInput() CycleInput { return CycleInput{ProvinceCode: "74", FiscalYear: 2027} }

func createReq(cal domain.Calendar, ceilings ...domain.Ceiling) CreateCycleRequest {
	return CreateCycleRequest{Actor: kadisProv, ProvinceCode: "74", FiscalYear: 2027, Calendar: cal, Ceilings: ceilings}
}

func (h *cycleHarness) create(ceilings ...domain.Ceiling) *outcome {
	return h.at(testStart.Add(time.Second), CycleUpdateCreate, createReq(testCalendar(), ceilings...))
}

// putProposal projects a proposal of cycle 74-2027 directly into the store.
func (h *cycleHarness) putProposal(id, region string, stage domain.Stage, consolidated bool) {
	h.t.Helper()
	at := testStart
	p := domain.Proposal{ID: id, CycleID: "74-2027", RegionCode: region, Title: "Usulan " + id, Stage: stage, Consolidated: consolidated,
		ConsolidatedAmountIDR: 1_000_000, CreatedBy: planner.Username, Version: 1, CreatedAt: at, UpdatedAt: at, Indicators: []domain.Indicator{}}
	_, err := h.db.RecordTransition(context.Background(), p, domain.ProposalEvent{ProposalID: id, Seq: 1, Action: "create", ToStage: stage, Actor: planner, At: at})
	require.NoError(h.t, err)
}

func cycleOf(o *outcome) domain.CycleDetail {
	switch v := o.value.(type) {
	case domain.CycleDetail:
		return v
	case LockCycleResult:
		return v.Cycle
	}
	return domain.CycleDetail{}
}

func TestCycleCreateEnforcesN1AndOnePerProvinceYear(t *testing.T) {
	outOfYear := testCalendar()
	outOfYear.MappingDeadline = time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)
	outOfOrder := testCalendar()
	outOfOrder.RakordaStart = on(2, 15) // before review_deadline (1 March)
	missing := testCalendar()
	missing.ReviewDeadline = time.Time{}
	cases := []struct {
		name   string
		in     CycleInput
		req    CreateCycleRequest
		code   string
		fields []string
	}{
		{"date outside N-1", cycleInput(), createReq(outOfYear), domain.EINVALID, []string{"calendar.mapping_deadline"}},
		{"dates out of order", cycleInput(), createReq(outOfOrder), domain.EINVALID, []string{"calendar.rakorda_start"}},
		{"date missing", cycleInput(), createReq(missing), domain.EINVALID, []string{"calendar.review_deadline"}},
		{"not opened in N-1", CycleInput{ProvinceCode: "74", FiscalYear: 2028},
			CreateCycleRequest{Actor: kadisProv, ProvinceCode: "74", FiscalYear: 2028, Calendar: shiftYear(testCalendar(), 1)},
			domain.EINVALID, []string{"fiscal_year"}},
		{"ceiling of another province", cycleInput(), createReq(testCalendar(), domain.Ceiling{RegionCode: "73.01", AmountIDR: 1}),
			domain.EINVALID, []string{"ceilings[0].region_code"}},
		{"actor outside the province", cycleInput(), CreateCycleRequest{Actor: domain.Actor{Username: "kadis.sulsel", Role: domain.RoleKadisProvinsi, Scope: "73"},
			ProvinceCode: "74", FiscalYear: 2027, Calendar: testCalendar()}, domain.EFORBIDDEN, nil},
		{"request for another cycle", cycleInput(), CreateCycleRequest{Actor: kadisProv, ProvinceCode: "74", FiscalYear: 2028, Calendar: testCalendar()},
			domain.EINVALID, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newCycleHarness(t)
			o := h.at(testStart.Add(time.Second), CycleUpdateCreate, c.req)
			h.env.ExecuteWorkflow(CycleWorkflowName, c.in) // ends after CreateTimeout: nothing was created
			require.True(t, h.env.IsWorkflowCompleted())
			require.NoError(t, h.env.GetWorkflowError())
			refused(t, c.code, o)
			if c.fields != nil {
				require.Equal(t, c.fields, o.fields(), "%v", o.rejectErr)
			}
			cycles, err := h.db.ListCycles(context.Background())
			require.NoError(t, err)
			require.Empty(t, cycles, "a refused creation writes nothing")
		})
	}

	h := newCycleHarness(t)
	first := h.create(domain.Ceiling{RegionCode: "74.05", AmountIDR: 300_000_000})
	second := h.at(testStart.Add(time.Minute), CycleUpdateCreate, createReq(testCalendar()))
	h.run(cycleInput(), tEnd)
	ok(t, first)
	refused(t, domain.ECONFLICT, second)
	c := cycleOf(first)
	require.Equal(t, "74-2027", c.ID)
	require.Equal(t, int64(1), c.Version)
	require.Equal(t, domain.PhaseDrafting, c.Phase)
	row, err := h.db.GetCycleDetail(context.Background(), "74-2027", testStart)
	require.NoError(t, err)
	require.Equal(t, testCalendar(), row.Calendar)
	require.Equal(t, []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 300_000_000}}, row.Ceilings)
	require.Equal(t, kadisProv.Username, row.CreatedBy)
	events, err := h.db.ListCycleEvents(context.Background(), "74-2027")
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, CycleEventCreate, events[0].Action)
	require.Equal(t, kadisProv, events[0].Actor)
}

func shiftYear(c domain.Calendar, years int) domain.Calendar {
	for _, p := range []*time.Time{&c.SubmissionDeadline, &c.ReviewDeadline, &c.RakordaStart, &c.RakordaEnd, &c.ConsolidationDeadline, &c.MinistryDeadline, &c.MappingDeadline} {
		*p = p.AddDate(years, 0, 0)
	}
	return c
}

func TestCyclePhasesFollowTheCalendar(t *testing.T) {
	h := newCycleHarness(t)
	create := h.create()
	want := []struct {
		at    time.Time
		phase domain.Phase
		open  bool
	}{
		{on(1, 31), domain.PhaseDrafting, false},
		{on(2, 1), domain.PhaseReview, false}, // the submission deadline itself is late
		{on(3, 31), domain.PhaseReview, false},
		{on(4, 1), domain.PhaseRakorda, true}, // Rakorda opens at its start
		{on(4, 5), domain.PhaseRakorda, true}, // and is still open at its end
		{on(4, 5).Add(time.Second), domain.PhaseConsolidation, false},
		{on(5, 1), domain.PhaseMinistry, false},
		{on(6, 1), domain.PhaseMapping, false},
		{on(7, 1), domain.PhaseClosed, false},
	}
	got := make([]*domain.CycleDetail, len(want))
	for i, w := range want {
		got[i] = h.query(w.at)
	}
	h.run(cycleInput(), tEnd)
	ok(t, create)
	for i, w := range want {
		require.Equal(t, w.phase, got[i].Phase, "at %s", w.at)
		require.Equal(t, w.open, got[i].RakordaOpen, "at %s", w.at)
		require.Equal(t, w.phase, got[i].Calendar.PhaseAt(w.at), "the pure function agrees")
	}
}

func TestMoveCalendarNotifiesOpenProposals(t *testing.T) {
	h := newCycleHarness(t)
	h.proposals.gone["p-gone"] = true // its workflow ended; the projection was about to say so
	create := h.create()
	h.inspect(on(1, 9), func() {
		for _, p := range []struct {
			id    string
			stage domain.Stage
		}{{"p-draft", domain.StageDraft}, {"p-review", domain.StageKabKotaReview}, {"p-rakorda", domain.StageRakorda},
			{"p-gone", domain.StageRakorda}, {"p-final", domain.StageFinal}, {"p-rejected", domain.StageRejected}} {
			h.putProposal(p.id, "74.05.03", p.stage, false)
		}
	})
	later := on(4, 20)
	moved := h.at(on(1, 10), CycleUpdateMoveCalendar, MoveCalendarRequest{Actor: kadisProv, ExpectedVersion: 1,
		Calendar: CalendarPatch{RakordaStart: &later, RakordaEnd: ptr(on(4, 25))}})
	stale := h.at(on(1, 11), CycleUpdateMoveCalendar, MoveCalendarRequest{Actor: kadisProv, ExpectedVersion: 1, Calendar: CalendarPatch{RakordaEnd: ptr(on(4, 26))}})
	badOrder := h.at(on(1, 12), CycleUpdateMoveCalendar, MoveCalendarRequest{Actor: kadisProv, Calendar: CalendarPatch{ConsolidationDeadline: ptr(on(4, 21))}})
	outside := h.at(on(1, 13), CycleUpdateMoveCalendar, MoveCalendarRequest{Actor: kadisProv, Calendar: CalendarPatch{MappingDeadline: ptr(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))}})
	same := h.at(on(1, 14), CycleUpdateMoveCalendar, MoveCalendarRequest{Actor: kadisProv, Calendar: CalendarPatch{RakordaEnd: ptr(on(4, 25))}})
	h.run(cycleInput(), tEnd)
	ok(t, create, moved, same)
	refused(t, domain.EPRECONDITION, stale)
	refused(t, domain.EINVALID, badOrder)
	require.Equal(t, []string{"calendar.consolidation_deadline"}, badOrder.fields())
	refused(t, domain.EINVALID, outside)
	require.Equal(t, []string{"calendar.mapping_deadline"}, outside.fields())

	want := testCalendar()
	want.RakordaStart, want.RakordaEnd = later, on(4, 25)
	require.Equal(t, want, cycleOf(moved).Calendar)
	require.Equal(t, int64(2), cycleOf(moved).Version)
	require.Equal(t, int64(2), cycleOf(same).Version, "a move that changes nothing records nothing")
	for _, id := range []string{"p-draft", "p-review", "p-rakorda"} {
		require.Equal(t, []domain.Calendar{want}, h.proposals.signals[id], "%s is told once", id)
	}
	for _, id := range []string{"p-final", "p-rejected", "p-gone"} {
		require.Empty(t, h.proposals.signals[id], "%s is not", id)
	}
	row, err := h.db.GetCycle(context.Background(), "74-2027")
	require.NoError(t, err)
	require.Equal(t, want, row.Calendar)
	events, err := h.db.ListCycleEvents(context.Background(), "74-2027")
	require.NoError(t, err)
	require.Equal(t, []string{CycleEventCreate, CycleEventMove}, []string{events[0].Action, events[1].Action})
}

func ptr[T any](v T) *T { return &v }

func reservation(id, region string, amount int64) activities.CeilingReservation {
	return activities.CeilingReservation{CycleID: "74-2027", ProposalID: id, RegionCode: region, AmountIDR: amount}
}

func TestCeilingReservations(t *testing.T) {
	h := newCycleHarness(t)
	create := h.create(domain.Ceiling{RegionCode: "74.05", AmountIDR: 300_000_000})
	t0 := tConsolidate
	r1 := h.at(t0, CycleUpdateReserve, reservation("p1", "74.05.03", 120_000_000))
	r2 := h.at(t0.Add(time.Minute), CycleUpdateReserve, reservation("p2", "74.05", 100_000_000))
	over := h.at(t0.Add(2*time.Minute), CycleUpdateReserve, reservation("p3", "74.05.03.2001", 100_000_000))
	fits := h.at(t0.Add(3*time.Minute), CycleUpdateReserve, reservation("p3", "74.05.03.2001", 80_000_000))
	lower := h.at(t0.Add(4*time.Minute), CycleUpdateReserve, reservation("p1", "74.05.03", 100_000_000))
	noCeiling := h.at(t0.Add(5*time.Minute), CycleUpdateReserve, reservation("p9", "74.71", 5_000_000_000))
	foreign := h.at(t0.Add(6*time.Minute), CycleUpdateReserve, reservation("p8", "73.01", 1))
	cutBelow := h.at(t0.Add(7*time.Minute), CycleUpdateSetCeilings, SetCeilingsRequest{Actor: kadisProv,
		Ceilings: []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 200_000_000}}})
	cut := h.at(t0.Add(8*time.Minute), CycleUpdateSetCeilings, SetCeilingsRequest{Actor: kadisProv,
		Ceilings: []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 280_000_000}, {RegionCode: "74.71", AmountIDR: 6_000_000_000}}})
	dupCeiling := h.at(t0.Add(9*time.Minute), CycleUpdateSetCeilings, SetCeilingsRequest{Actor: kadisProv,
		Ceilings: []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 300_000_000}, {RegionCode: "74.05", AmountIDR: 300_000_000}, {RegionCode: "74.05.03", AmountIDR: 5}}})
	// Two reservations arriving together that fit alone but not together:
	// the cycle judges them one after the other.
	var a, b *outcome
	h.inspect(t0.Add(10*time.Minute), func() {
		a, b = &outcome{label: "race a"}, &outcome{label: "race b"}
		h.send(a, "race-a", CycleUpdateReserve, reservation("p4", "74.05.03", 0))
		h.send(b, "race-b", CycleUpdateReserve, reservation("p5", "74.05.03", 0))
	})
	var c, d *outcome
	h.inspect(t0.Add(11*time.Minute), func() {
		c, d = &outcome{label: "race c"}, &outcome{label: "race d"}
		h.send(c, "race-c", CycleUpdateReserve, reservation("p6", "74.71", 500_000_000))
		h.send(d, "race-d", CycleUpdateReserve, reservation("p7", "74.71", 600_000_000))
	})
	h.run(cycleInput(), tEnd)
	ok(t, create, r1, r2, fits, lower, noCeiling, cut)

	refused(t, domain.EINVALID, over)
	require.Equal(t, []string{"consolidated_amount_idr"}, over.fields())
	msg := AsDomainError(over.rejectErr).(*domain.Error).Message
	for _, figure := range []string{"Rp 100.000.000", "74.05", "pagu Rp 300.000.000", "terpakai Rp 220.000.000", "sisa Rp 80.000.000"} {
		require.Contains(t, msg, figure)
	}
	res := fits.value.(activities.ReserveResult)
	require.Equal(t, activities.ReserveResult{Checked: true, RegionCode: "74.05", CeilingIDR: 300_000_000, ConsumedIDR: 300_000_000}, res)
	require.Equal(t, int64(280_000_000), lower.value.(activities.ReserveResult).ConsumedIDR, "a new amount replaces the old one")
	require.Equal(t, int64(0), noCeiling.value.(activities.ReserveResult).CeilingIDR)
	refused(t, domain.EINVALID, foreign)

	refused(t, domain.EINVALID, cutBelow)
	require.Equal(t, []string{"ceilings[0].amount_idr"}, cutBelow.fields())
	require.Contains(t, AsDomainError(cutBelow.rejectErr).(*domain.Error).Fields[0].Message, "Rp 280.000.000")
	refused(t, domain.EINVALID, dupCeiling)
	require.Equal(t, []string{"ceilings[1].region_code", "ceilings[2].region_code"}, dupCeiling.fields())

	ok(t, a, b) // zero amounts always fit
	okCount := 0
	for _, o := range []*outcome{c, d} {
		if o.accepted {
			ok(t, o)
			okCount++
		} else {
			refused(t, domain.EINVALID, o)
		}
	}
	require.Equal(t, 1, okCount, "of 5.000.000.000 + 500.000.000 + 600.000.000 against 6.000.000.000 only one fits")
	row, err := h.db.GetCycleDetail(context.Background(), "74-2027", tEnd)
	require.NoError(t, err)
	require.Equal(t, []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 280_000_000}, {RegionCode: "74.71", AmountIDR: 6_000_000_000}}, row.Ceilings)
}

func TestRakordaAgreementsAndAttendance(t *testing.T) {
	h := newCycleHarness(t)
	create := h.create()
	early := h.at(on(3, 31), CycleUpdateRecordAgreements, RecordAgreementsRequest{Actor: kadisProv, Agreements: []string{"x"}})
	blank := h.at(on(4, 2), CycleUpdateRecordAgreements, RecordAgreementsRequest{Actor: kadisProv, Agreements: []string{"Satu", "  "}})
	texts := []string{}
	for i := 1; i <= 13; i++ {
		texts = append(texts, fmt.Sprintf("  Kesepakatan ke-%d tentang pendataan koperasi.  ", i))
	}
	agreements := h.at(on(4, 3), CycleUpdateRecordAgreements, RecordAgreementsRequest{Actor: kadisProv, ExpectedVersion: 1, Agreements: texts})
	noName := h.at(on(4, 3).Add(time.Hour), CycleUpdateRecordAttendance, RecordAttendanceRequest{Actor: kadisProv,
		Attendance: []domain.Attendee{{Name: "La Ode"}, {Position: "Sekretaris"}}})
	attendance := h.at(on(4, 4), CycleUpdateRecordAttendance, RecordAttendanceRequest{Actor: kadisProv, Attendance: []domain.Attendee{
		{Name: "Dr. Hj. Siti Aminah", Position: "Kepala Dinas", Institution: "Dinas Koperasi dan UKM Provinsi Sulawesi Tenggara", RegionCode: "74"},
		{Name: "La Ode Rahman", Position: "Kepala Dinas", Institution: "Dinas Koperasi dan UKM Konawe Selatan", RegionCode: "74.05"},
	}})
	afterSession := h.at(on(4, 20), CycleUpdateRecordAgreements, RecordAgreementsRequest{Actor: kadisProv, Agreements: append(texts, "Tambahan setelah sidang.")})
	h.run(cycleInput(), tEnd)
	ok(t, create, agreements, attendance, afterSession)
	refused(t, domain.ECONFLICT, early)
	require.Contains(t, AsDomainError(early.rejectErr).Error(), "Rakorda belum dibuka")
	refused(t, domain.EINVALID, blank)
	require.Equal(t, []string{"agreements[1]"}, blank.fields())
	refused(t, domain.EINVALID, noName)
	require.Equal(t, []string{"attendance[1].name"}, noName.fields())

	got := cycleOf(agreements).Agreements
	require.Len(t, got, 13)
	require.Equal(t, domain.Agreement{Number: 13, Text: "Kesepakatan ke-13 tentang pendataan koperasi."}, got[12])
	row, err := h.db.GetCycleDetail(context.Background(), "74-2027", tEnd)
	require.NoError(t, err)
	require.Len(t, row.Agreements, 14, "the secretary may finish the minutes after the session, until the lock")
	require.Equal(t, 2, row.Attendance[1].Number)
	require.Equal(t, "La Ode Rahman", row.Attendance[1].Name)
}

func TestLockMovesEveryConsolidatedProposal(t *testing.T) {
	h := newCycleHarness(t)
	const n = 2 * LockBatchSize // plus the extras below: three pages
	ctx := context.Background()
	h.proposals.refuse["z-refuses"] = "Usulan sedang diubah."
	h.proposals.lostOnce["z-lost-answer"] = true
	h.proposals.flaky["z-flaky"] = 2
	create := h.create()
	h.inspect(on(1, 9), func() {
		for i := 0; i < n; i++ {
			h.putProposal(fmt.Sprintf("p%05d", i), "74.05.03", domain.StageConsolidation, true)
		}
		h.putProposal("q-open-1", "74.05.03", domain.StageConsolidation, false)
		h.putProposal("q-open-2", "74.71", domain.StageConsolidation, false)
		h.putProposal("z-refuses", "74.05.03", domain.StageConsolidation, true)
		h.putProposal("z-lost-answer", "74.05.03", domain.StageConsolidation, true)
		h.putProposal("z-flaky", "74.05.03", domain.StageConsolidation, true)
		h.putProposal("z-rakorda", "74.05.03", domain.StageRakorda, false)
	})
	during := h.at(on(4, 3), CycleUpdateLock, LockCycleRequest{Actor: kadisProv})
	unconsolidated := h.at(on(4, 10), CycleUpdateLock, LockCycleRequest{Actor: kadisProv})
	lockedBeforeFix := -1
	h.inspect(on(4, 11), func() {
		lockedBeforeFix = len(h.proposals.locks)
		for _, id := range []string{"q-open-1", "q-open-2"} {
			p, err := h.db.GetProposal(ctx, id)
			require.NoError(t, err)
			p.Consolidated, p.Version = true, 2
			_, err = h.db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: id, Seq: 2, Action: "consolidate", FromStage: p.Stage, ToStage: p.Stage, Actor: provPlanner, At: on(4, 11)})
			require.NoError(t, err)
		}
	})
	partial := h.at(on(4, 12), CycleUpdateLock, LockCycleRequest{Actor: kadisProv, Comment: "Hasil konsolidasi final"})
	h.inspect(on(4, 13), func() { delete(h.proposals.refuse, "z-refuses") })
	reserveDuring := &outcome{label: "reserve after lock"}
	locked := h.at(on(4, 14), CycleUpdateLock, LockCycleRequest{Actor: kadisProv, Comment: "Hasil konsolidasi final"})
	h.inspect(on(4, 15), func() {
		h.send(reserveDuring, "late-reserve", CycleUpdateReserve, reservation("p00001", "74.05.03", 1))
	})
	again := h.at(on(4, 16), CycleUpdateLock, LockCycleRequest{Actor: kadisProv})
	moveRakorda := h.at(on(4, 17), CycleUpdateMoveCalendar, MoveCalendarRequest{Actor: kadisProv, Calendar: CalendarPatch{RakordaEnd: ptr(on(4, 20))}})
	moveMapping := h.at(on(4, 18), CycleUpdateMoveCalendar, MoveCalendarRequest{Actor: kadisProv, Calendar: CalendarPatch{MappingDeadline: ptr(on(8, 1))}})
	var progress LockProgress
	h.inspect(on(4, 19), func() {
		v, err := h.env.QueryWorkflow(CycleQueryLockProgress)
		require.NoError(t, err)
		require.NoError(t, v.Get(&progress))
	})
	h.run(cycleInput(), tEnd)
	ok(t, create, locked, moveMapping)

	refused(t, domain.ECONFLICT, during)
	require.Contains(t, AsDomainError(during.rejectErr).Error(), "Rakorda belum selesai")

	// Refused in the handler (it reads the projection), naming both.
	require.True(t, unconsolidated.accepted)
	require.Equal(t, domain.ECONFLICT, unconsolidated.code(), "%v", unconsolidated.err)
	require.Equal(t, []string{"proposals.q-open-1", "proposals.q-open-2"}, unconsolidated.fields())
	de := AsDomainError(unconsolidated.err).(*domain.Error)
	require.Contains(t, de.Message, "2 usulan")
	require.Contains(t, de.Message, "q-open-1, q-open-2")
	require.Equal(t, 0, lockedBeforeFix, "nothing moved while any was unconsolidated")

	// One proposal refuses: everything else moves, the cycle stays open.
	require.Equal(t, domain.ECONFLICT, partial.code(), "%v", partial.err)
	require.Equal(t, []string{"proposals.z-refuses"}, partial.fields())

	res := locked.value.(LockCycleResult)
	require.True(t, res.Cycle.Locked)
	require.Equal(t, kadisProv.Username, res.Cycle.LockedBy)
	require.Equal(t, 1, res.Moved, "only z-refuses was left")
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("p%05d", i)
		require.Equal(t, 1, h.proposals.locks[id], "%s moved exactly once", id)
	}
	require.Equal(t, 1, h.proposals.locks["z-flaky"], "transient failures are retried, not doubled")
	require.Equal(t, 0, h.proposals.locks["z-lost-answer"], "moved, answer lost: counted as skipped")
	require.Equal(t, 1, h.proposals.locks["z-refuses"])
	require.Equal(t, 0, h.proposals.locks["z-rakorda"])
	var moved, stayed []string
	var rows []struct {
		ID    string
		Stage string
	}
	require.NoError(t, h.db.ScanSQL(context.Background(), &rows, "SELECT id, stage FROM proposals ORDER BY id"))
	for _, r := range rows {
		if r.Stage == string(domain.StageMinistry) {
			moved = append(moved, r.ID)
		} else {
			stayed = append(stayed, r.ID)
		}
	}
	require.Len(t, moved, n+5)
	require.Equal(t, []string{"z-rakorda"}, stayed)
	for _, ids := range h.proposals.updates {
		require.NotEmpty(t, ids)
		require.True(t, strings.HasPrefix(ids[0], "lock/74-2027/"), ids[0])
	}
	zu := h.proposals.updates["z-refuses"]
	require.True(t, strings.HasSuffix(zu[0], "/1") && strings.HasSuffix(zu[len(zu)-1], "/2"), "each lock attempt has its own update id: %v", zu)

	require.False(t, reserveDuring.accepted)
	require.Equal(t, domain.ECONFLICT, reserveDuring.code())
	refused(t, domain.ECONFLICT, again)
	refused(t, domain.ECONFLICT, moveRakorda)
	require.Equal(t, on(8, 1), cycleOf(moveMapping).Calendar.MappingDeadline, "later deadlines still move")
	require.Equal(t, LockProgress{Attempt: 2, Actor: kadisProv, StartedAt: on(4, 14), Total: 1, Moved: 1}, progress)

	row, err := h.db.GetCycle(ctx, "74-2027")
	require.NoError(t, err)
	require.True(t, row.Locked)
	events, err := h.db.ListCycleEvents(ctx, "74-2027")
	require.NoError(t, err)
	require.Equal(t, CycleEventLock, events[1].Action)
	require.Equal(t, "Hasil konsolidasi final", events[1].Comment)
}

func TestCycleContinueAsNewKeepsState(t *testing.T) {
	h := newCycleHarness(t)
	create := h.create(domain.Ceiling{RegionCode: "74.05", AmountIDR: 100})
	r := h.at(tConsolidate, CycleUpdateReserve, reservation("p1", "74.05.03", 60))
	h.inspect(tConsolidate.Add(time.Minute), func() { h.env.SetContinueAsNewSuggested(true) })
	h.env.ExecuteWorkflow(CycleWorkflowName, cycleInput())
	ok(t, create, r)
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "%v", h.env.GetWorkflowError())
	var next CycleInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	require.True(t, next.State.Created)
	require.Equal(t, map[string]Reservation{"p1": {RegionCode: "74.05", AmountIDR: 60}}, next.State.Reservations)
	require.Equal(t, int64(1), next.State.Seq)
	require.NotEmpty(t, next.State.Origin)

	// The next run still counts p1's reservation and records as the same
	// origin.
	h2 := newCycleHarnessOn(t, h.db)
	h2.env.SetStartTime(tConsolidate.Add(time.Hour))
	over := h2.at(tConsolidate.Add(2*time.Hour), CycleUpdateReserve, reservation("p2", "74.05.03", 41))
	fits := h2.at(tConsolidate.Add(3*time.Hour), CycleUpdateReserve, reservation("p2", "74.05.03", 40))
	a := h2.at(tConsolidate.Add(4*time.Hour), CycleUpdateRecordAgreements, RecordAgreementsRequest{Actor: kadisProv, Agreements: []string{"Satu"}})
	h2.run(next, tEnd)
	refused(t, domain.EINVALID, over)
	ok(t, fits, a)
	require.Equal(t, int64(2), cycleOf(a).Version)
}

func TestSetTargets(t *testing.T) {
	h := newCycleHarness(t)
	create := h.create()
	bad := h.at(on(1, 10), CycleUpdateSetTargets, SetTargetsRequest{Actor: kadisProv, Targets: []domain.Target{
		{Code: "koperasi_baru", Name: "Koperasi baru", Unit: "unit", Min: 10},                 // no keywords
		{Code: "rat", Name: "RAT", Keywords: []string{"rat"}, PercentMin: 15},                 // percentage without baseline
		{Code: "rat", Name: "RAT lagi", Keywords: []string{"rat"}, Min: 5},                    // code twice
		{Code: "aktif", Name: "Koperasi aktif", Keywords: []string{"aktif"}, Min: 10, Max: 5}, // max below min
		{Code: "kosong", Name: "Tanpa target", Keywords: []string{"x"}},                       // no figure
	}})
	good := h.at(on(1, 11), CycleUpdateSetTargets, SetTargetsRequest{Actor: kadisProv, ExpectedVersion: 1, Targets: []domain.Target{
		{Code: " koperasi_baru ", Name: "Koperasi baru", Keywords: []string{" koperasi baru ", ""}, Unit: "unit", Baseline: 500, PercentMin: 7, PercentMax: 10},
		{Code: "tidak_aktif", Name: "Koperasi tidak aktif berkurang", Keywords: []string{"koperasi tidak aktif"}, Unit: "unit", Baseline: 80, PercentMin: 25},
	}})
	h.run(cycleInput(), tEnd)
	ok(t, create, good)
	refused(t, domain.EINVALID, bad)
	require.Equal(t, []string{"targets[0].keywords", "targets[1].percent_min", "targets[2].code", "targets[3].max", "targets[4].min"}, bad.fields())
	row, err := h.db.GetCycleDetail(context.Background(), "74-2027", tEnd)
	require.NoError(t, err)
	require.Len(t, row.Targets, 2)
	require.Equal(t, "koperasi_baru", row.Targets[0].Code)
	require.Equal(t, []string{"koperasi baru"}, row.Targets[0].Keywords)
	lo, hi := row.Targets[0].Bounds()
	require.Equal(t, [2]float64{35, 50}, [2]float64{lo, hi})
	lo, hi = row.Targets[1].Bounds()
	require.Equal(t, [2]float64{20, 0}, [2]float64{lo, hi})
}
