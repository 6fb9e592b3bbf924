package workflows

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// memRegister stands in for the koperasi register, which another feature
// builds: it keeps what it was given.
type memRegister struct {
	mu  sync.Mutex
	got []domain.KMPRegistration
}

func (r *memRegister) EnterKMP(_ context.Context, k domain.KMPRegistration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, k)
	return nil
}

const kmpDesa = "74.05.03.2001"

var (
	kmpOperator = domain.Actor{Username: "operator.andoolo", Role: domain.RoleOperatorDesa, Scope: kmpDesa}
	kmpCamat    = domain.Actor{Username: "camat.andoolo", Role: domain.RoleCamat, Scope: "74.05.03"}
)

// kmpFieldsOf is a complete, valid record of milestone m on date d.
func kmpFieldsOf(m domain.KMPMilestone, d string) domain.KMPFields {
	f := domain.KMPFields{Date: d}
	switch m {
	case domain.KMPMusdes:
		f.Attendance = 87
	case domain.KMPPengurus:
		f.Ketua, f.Sekretaris, f.Bendahara = "La Ode Hamid", "Wa Ode Sitti", "Muh. Arif"
	case domain.KMPAkta:
		f.Number, f.Notary = "12", "Notaris Hasnah, S.H., M.Kn."
	case domain.KMPBadanHukum:
		f.SKNumber = "AHU-0012345.AH.01.29.TAHUN 2026"
	case domain.KMPNIB:
		f.NIB = "1234567890123"
	case domain.KMPPelatihan:
		f.Provider = "Dinas Koperasi dan UKM Konawe Selatan"
	case domain.KMPOperasional:
		f.Units = []domain.KMPUnit{domain.UnitGeraiSembako, domain.UnitApotekDesa}
	}
	return f
}

type kmpHarness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	db  *store.DB
	reg *memRegister
	n   int
}

func newKMPHarness(t *testing.T) *kmpHarness {
	db := storetest.SQLite(t)
	ctx := context.Background()
	_, err := db.InsertRegions(ctx, []store.Region{
		{Code: "74", Name: "Sulawesi Tenggara", Level: 1},
		{Code: "74.05", Name: "Konawe Selatan", Level: 2, ParentCode: "74"},
		{Code: "74.05.03", Name: "Andoolo", Level: 3, ParentCode: "74.05"},
		{Code: kmpDesa, Name: "Andoolo", Level: 4, ParentCode: "74.05.03"},
	})
	require.NoError(t, err)
	// The desa's BUMDes runs a shop: the KMP's gerai sembako overlaps.
	require.NoError(t, db.SaveBUMDesBusiness(ctx, store.BUMDesBusiness{ID: "b1", RegionCode: kmpDesa, Name: "BUMDes Andoolo Jaya",
		Business: "Toko kebutuhan pokok", Keywords: []string{"toko", "sembako"}, Active: true}))
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quietLogger)
	env := ts.NewTestWorkflowEnvironment()
	env.SetStartTime(testStart)
	env.SetTestTimeout(60 * time.Second)
	a := activities.New(db)
	reg := &memRegister{}
	a.Register = reg
	Register(env, a)
	// The bulk start writes the first projection row; so does the test.
	_, err = db.InsertKMPStarts(ctx, []store.KMP{{RegionCode: kmpDesa, Name: "Andoolo", StartedAt: testStart}})
	require.NoError(t, err)
	return &kmpHarness{t: t, env: env, db: db, reg: reg}
}

func (h *kmpHarness) record(when time.Time, actor domain.Actor, m domain.KMPMilestone, f domain.KMPFields) *outcome {
	h.n++
	o := &outcome{label: fmt.Sprintf("#%d %s", h.n, m)}
	id := fmt.Sprintf("k%d", h.n)
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(UpdateKMPMilestone, id, &testsuite.TestUpdateCallback{
			OnAccept: func() { o.accepted = true },
			OnReject: func(err error) { o.rejectErr = err },
			OnComplete: func(r any, err error) {
				o.done, o.err = true, err
				o.value = r
			},
		}, KMPMilestoneRequest{Actor: actor, Milestone: m, Fields: f})
	}, when.Sub(testStart))
	return o
}

// snapshot reads the projection at when.
func (h *kmpHarness) snapshot(when time.Time) *store.KMP {
	k := &store.KMP{}
	h.env.RegisterDelayedCallback(func() {
		got, err := h.db.GetKMP(context.Background(), kmpDesa)
		require.NoError(h.t, err)
		*k = got
	}, when.Sub(testStart))
	return k
}

func (h *kmpHarness) notices(kind string) []domain.Notification {
	ns, err := h.db.UnmailedNotifications(context.Background(), time.Now().Add(time.Hour), 1000)
	require.NoError(h.t, err)
	var out []domain.Notification
	for _, n := range ns {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// TestKMPWorkflow walks one desa through every milestone: refusals for
// order, role and missing fields; the reminder before the pengurus
// deadline, its escalation to the camat when it passes and to the task
// force two weeks later (time skipping); the register entry at badan
// hukum; the BUMDes warning at operasional; the end of the workflow.
func TestKMPWorkflow(t *testing.T) {
	h := newKMPHarness(t)
	day := 24 * time.Hour
	deadlines := domain.KMPDeadlines{domain.KMPMusdes: testStart.Add(30 * day), domain.KMPPengurus: testStart.Add(60 * day),
		domain.KMPAkta: testStart.Add(200 * day)}

	early := h.record(testStart.Add(time.Hour), kmpOperator, domain.KMPPengurus, kmpFieldsOf(domain.KMPPengurus, "2026-01-05"))
	missing := h.record(testStart.Add(2*time.Hour), kmpOperator, domain.KMPMusdes, domain.KMPFields{Date: "2026-01-05"})
	wrongRole := h.record(testStart.Add(3*time.Hour), domain.Actor{Username: "x", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"},
		domain.KMPMusdes, kmpFieldsOf(domain.KMPMusdes, "2026-01-05"))
	musdes := h.record(testStart.Add(4*time.Hour), kmpOperator, domain.KMPMusdes, kmpFieldsOf(domain.KMPMusdes, "2026-01-05"))
	again := h.record(testStart.Add(5*time.Hour), kmpOperator, domain.KMPMusdes, kmpFieldsOf(domain.KMPMusdes, "2026-01-05"))
	// Pengurus is due at +60 days: reminded at +53, late at +60 (camat),
	// escalated at +74 (satgas).
	beforeLate := h.snapshot(testStart.Add(59 * day))
	afterLate := h.snapshot(testStart.Add(61 * day))
	afterEscalation := h.snapshot(testStart.Add(75 * day))
	pengurus := h.record(testStart.Add(76*day), kmpCamat, domain.KMPPengurus, kmpFieldsOf(domain.KMPPengurus, "2026-03-20"))
	afterPengurus := h.snapshot(testStart.Add(76*day + time.Hour))
	var rest []*outcome
	for i, m := range domain.KMPMilestones[2:] {
		rest = append(rest, h.record(testStart.Add(77*day+time.Duration(i)*time.Hour), kmpOperator, m, kmpFieldsOf(m, "2026-03-22")))
	}

	h.env.ExecuteWorkflow(KMPWorkflowName, KMPInput{RegionCode: kmpDesa, Name: "Andoolo", Deadlines: deadlines, JobID: "j1"})
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())

	require.Equal(t, domain.ECONFLICT, early.code(), early.label)
	require.Equal(t, domain.EINVALID, missing.code())
	require.Contains(t, missing.fields(), "fields.attendance")
	require.Equal(t, domain.EFORBIDDEN, wrongRole.code())
	ok(t, musdes)
	require.Equal(t, domain.ECONFLICT, again.code(), "a milestone is recorded once")

	require.False(t, beforeLate.Late)
	require.Equal(t, 1, beforeLate.Reached)
	require.True(t, afterLate.Late)
	require.Equal(t, EscalatedCamat, afterLate.Escalation)
	require.Equal(t, EscalatedSatgas, afterEscalation.Escalation)
	ok(t, pengurus)
	require.False(t, afterPengurus.Late, "recording the late milestone clears it")
	require.Equal(t, "", afterPengurus.Escalation)
	ok(t, rest...)

	reminders, late, escalated := h.notices(NoticeKMPReminder), h.notices(NoticeKMPLate), h.notices(NoticeKMPEscalate)
	require.Len(t, late, 1)
	require.Equal(t, domain.RoleCamat, late[0].RecipientRole)
	require.Equal(t, "74.05.03", late[0].RecipientScope)
	require.Len(t, escalated, 1)
	require.Equal(t, domain.RoleSatgasKMP, escalated[0].RecipientRole)
	require.Equal(t, "74.05", escalated[0].RecipientScope)
	// Musdes (due +30) was recorded long before its reminder; pengurus was
	// reminded once; akta (+200) was recorded before its reminder.
	require.Len(t, reminders, 1)
	require.Equal(t, domain.RoleOperatorDesa, reminders[0].RecipientRole)

	final, err := h.db.GetKMP(context.Background(), kmpDesa)
	require.NoError(t, err)
	require.Equal(t, 7, final.Reached)
	require.Len(t, final.Records, 7)
	require.Len(t, final.Warnings, 1, "gerai sembako meets the BUMDes shop; the apotek meets nothing")
	require.Contains(t, final.Warnings[0], "BUMDes Andoolo Jaya")
	require.Contains(t, final.Warnings[0], "Gerai sembako")

	require.Len(t, h.reg.got, 1)
	require.Equal(t, domain.KMPRegistration{RegionCode: kmpDesa, Name: "Koperasi Desa Merah Putih Andoolo",
		BadanHukumNo: "AHU-0012345.AH.01.29.TAHUN 2026", BadanHukumDate: time.Date(2026, 3, 22, 0, 0, 0, 0, time.UTC), Jenis: "konsumen"}, h.reg.got[0])

	events, err := h.db.KMPEvents(context.Background(), kmpDesa)
	require.NoError(t, err)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	require.Equal(t, []string{"musdes", "reminder", "late", "escalate", "pengurus", "akta", "badan_hukum", "nib", "pelatihan", "operasional"}, actions)
}

// TestKMPDateOrder: a milestone dated before the previous one is refused,
// naming the field.
func TestKMPDateOrder(t *testing.T) {
	h := newKMPHarness(t)
	musdes := h.record(testStart.Add(time.Hour), kmpOperator, domain.KMPMusdes, kmpFieldsOf(domain.KMPMusdes, "2026-01-04"))
	backwards := h.record(testStart.Add(2*time.Hour), kmpOperator, domain.KMPPengurus, kmpFieldsOf(domain.KMPPengurus, "2026-01-03"))
	future := h.record(testStart.Add(3*time.Hour), kmpOperator, domain.KMPPengurus, kmpFieldsOf(domain.KMPPengurus, "2026-02-03"))
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, time.Hour*4)
	h.env.ExecuteWorkflow(KMPWorkflowName, KMPInput{RegionCode: kmpDesa, Name: "Andoolo"})
	ok(t, musdes)
	require.Equal(t, domain.EINVALID, backwards.code())
	require.Equal(t, []string{"fields.date"}, backwards.fields())
	require.Equal(t, []string{"fields.date"}, future.fields())
}
