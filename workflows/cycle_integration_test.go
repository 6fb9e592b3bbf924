package workflows_test

import (
	"bytes"
	"context"
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
	"github.com/rencana-id/rencana/internal/minutes"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/workflows"
)

// sultraRegions are Sulawesi Tenggara's 17 kab/kota and the kecamatan and
// desa the scenario uses, with their Kemendagri names.
var sultraRegions = [][4]string{
	{"74", "Sulawesi Tenggara", "1", ""},
	{"74.01", "Kabupaten Kolaka", "2", "74"}, {"74.02", "Kabupaten Konawe", "2", "74"}, {"74.03", "Kabupaten Muna", "2", "74"},
	{"74.04", "Kabupaten Buton", "2", "74"}, {"74.05", "Kabupaten Konawe Selatan", "2", "74"}, {"74.06", "Kabupaten Bombana", "2", "74"},
	{"74.07", "Kabupaten Wakatobi", "2", "74"}, {"74.08", "Kabupaten Kolaka Utara", "2", "74"}, {"74.09", "Kabupaten Konawe Utara", "2", "74"},
	{"74.10", "Kabupaten Buton Utara", "2", "74"}, {"74.11", "Kabupaten Kolaka Timur", "2", "74"}, {"74.12", "Kabupaten Konawe Kepulauan", "2", "74"},
	{"74.13", "Kabupaten Muna Barat", "2", "74"}, {"74.14", "Kabupaten Buton Tengah", "2", "74"}, {"74.15", "Kabupaten Buton Selatan", "2", "74"},
	{"74.71", "Kota Kendari", "2", "74"}, {"74.72", "Kota Bau Bau", "2", "74"},
	{"74.05.03", "Andoolo", "3", "74.05"}, {"74.05.03.1002", "Alangga", "4", "74.05.03"}, {"74.05.03.2001", "Andoolo", "4", "74.05.03"},
	{"74.71.01", "Mandonga", "3", "74.71"}, {"74.72.01", "Betoambari", "3", "74.72"},
}

// cycleIT is a real dev server, a fresh database and a worker wired as
// cmd/rencana wires it.
type cycleIT struct {
	t       *testing.T
	ctx     context.Context
	c       client.Client
	db      *store.DB
	started []string // workflow IDs to end when the test ends
}

func newCycleIT(t *testing.T, db *store.DB) *cycleIT {
	srv := devservertest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	for _, r := range sultraRegions {
		var parent any
		if r[3] != "" {
			parent = r[3]
		}
		require.NoError(t, db.ExecSQL(ctx, "INSERT INTO regions (code, name, level, parent_code) VALUES (?, ?, ?, ?)", r[0], r[1], r[2], parent))
	}
	e := &cycleIT{t: t, ctx: ctx, c: srv.Client(), db: db}
	w := worker.New(e.c, workflows.TaskQueue, worker.Options{})
	a := activities.New(db)
	a.Workflows = workflows.NewDriver(e.c)
	workflows.Register(w, a)
	require.NoError(t, w.Start())
	// Workflows of one test must not outlive it: the dev server is shared,
	// and a cycle of 74-2027 left running would answer the next test's
	// proposals from another database.
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, id := range e.started {
			_ = e.c.TerminateWorkflow(cctx, id, "", "test over")
		}
		w.Stop()
	})
	return e
}

// layout returns a calendar for fiscal year now+1 whose dates all lie in
// now's year, around now: `past` dates before now (in order), the rest
// after. The test skips in the first minutes and the last hour of a year,
// when no such calendar exists.
func layout(t *testing.T, past int) domain.Calendar {
	now := time.Now().UTC().Truncate(time.Second)
	yearStart := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	yearEnd := time.Date(now.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
	back := min(now.Sub(yearStart)/8, time.Hour)
	ahead := min(yearEnd.Sub(now)/10, 24*time.Hour)
	if back < 10*time.Second || ahead < 5*time.Minute {
		t.Skip("too close to the turn of the year for an N-1 calendar around now")
	}
	var at [7]time.Time
	for i := range at {
		if i < past {
			at[i] = now.Add(-time.Duration(past-i) * back)
		} else {
			at[i] = now.Add(time.Duration(i-past+1) * ahead)
		}
	}
	return domain.Calendar{SubmissionDeadline: at[0], ReviewDeadline: at[1], RakordaStart: at[2], RakordaEnd: at[3],
		ConsolidationDeadline: at[4], MinistryDeadline: at[5], MappingDeadline: at[6]}
}

var (
	sKadis       = domain.Actor{Username: "kadis.sultra", Role: domain.RoleKadisProvinsi, Scope: "74"}
	sProvPlan    = domain.Actor{Username: "perencana.sultra", Role: domain.RolePerencanaProvinsi, Scope: "74"}
	sSitiKec     = domain.Actor{Username: "siti.andoolo", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
	sCamatAnd    = domain.Actor{Username: "camat.andoolo", Role: domain.RoleCamat, Scope: "74.05.03"}
	sKabidKon    = domain.Actor{Username: "kabid.konsel", Role: domain.RoleReviewerKabKota, Scope: "74.05"}
	sRinaKec     = domain.Actor{Username: "rina.mandonga", Role: domain.RolePerencanaKecamatan, Scope: "74.71.01"}
	sCamatMan    = domain.Actor{Username: "camat.mandonga", Role: domain.RoleCamat, Scope: "74.71.01"}
	sKabidKdi    = domain.Actor{Username: "kabid.kendari", Role: domain.RoleReviewerKabKota, Scope: "74.71"}
	sKolaka      = domain.Actor{Username: "perencana.kolaka", Role: domain.RolePerencanaKabKota, Scope: "74.01"}
	sKadisKlk    = domain.Actor{Username: "kadis.kolaka", Role: domain.RoleKadisKabKota, Scope: "74.01"}
	sAndiKec     = domain.Actor{Username: "andi.betoambari", Role: domain.RolePerencanaKecamatan, Scope: "74.72.01"}
	sCamatBeto   = domain.Actor{Username: "camat.betoambari", Role: domain.RoleCamat, Scope: "74.72.01"}
	sKabidBaubau = domain.Actor{Username: "kabid.baubau", Role: domain.RoleReviewerKabKota, Scope: "74.72"}
)

// sultraProposal is one proposal of the scenario and who moves it to Rakorda.
type sultraProposal struct {
	key                          string
	draft                        workflows.Draft
	creator, submitter, reviewer domain.Actor
}

func draft(region, title, category string, amount int64, indicator string, target float64, unit string) workflows.Draft {
	return workflows.Draft{RegionCode: region, Title: title, Description: title + " bagi pelaku usaha setempat.",
		Category: domain.Category(category), AmountIDR: amount, FundingSource: "apbd_provinsi",
		Indicators: []domain.Indicator{{Name: indicator, Target: target, Unit: unit}}, Beneficiaries: "Pelaku koperasi dan UMKM"}
}

func sultraProposals() []sultraProposal {
	return []sultraProposal{
		{"kemas", draft("74.05.03", "Pelatihan pengemasan produk UMKM", "pelatihan", 150_000_000, "Pelaku UMKM terlatih", 30, "orang"), sSitiKec, sCamatAnd, sKabidKon},
		{"alangga", draft("74.05.03.1002", "Pelatihan kemasan produk bagi UMKM Desa Alangga", "pelatihan", 90_000_000, "Pelaku UMKM terlatih", 25, "orang"), sSitiKec, sCamatAnd, sKabidKon},
		{"kopi", draft("74.05.03.2001", "Pendampingan pengolahan kopi bubuk", "pendampingan", 110_000_000, "Koperasi melaksanakan RAT", 12, "koperasi"), sSitiKec, sCamatAnd, sKabidKon},
		{"bazar", draft("74.05.03", "Bazar produk UMKM Andoolo", "bazar", 40_000_000, "Pelaku UMKM peserta bazar", 50, "orang"), sSitiKec, sCamatAnd, sKabidKon},
		{"kopbaru", draft("74.71.01", "Pembentukan koperasi baru pemuda Mandonga", "pendampingan", 80_000_000, "Koperasi baru terbentuk", 20, "unit"), sRinaKec, sCamatMan, sKabidKdi},
		{"pasar", draft("74.71.01", "Pembangunan los pasar UMKM Mandonga", "sarana_prasarana", 500_000_000, "Los pasar terbangun", 40, "unit"), sRinaKec, sCamatMan, sKabidKdi},
		{"revital", draft("74.01", "Revitalisasi koperasi tidak aktif Kolaka", "pendampingan", 120_000_000, "Koperasi tidak aktif direvitalisasi", 15, "unit"), sKolaka, sKolaka, sKadisKlk},
		{"digital", draft("74.72.01", "Pelatihan pemasaran digital UMKM Betoambari", "pelatihan", 70_000_000, "Pelaku UMKM terlatih", 40, "orang"), sAndiKec, sCamatBeto, sKabidBaubau},
	}
}

func sultraTargets() []domain.Target {
	return []domain.Target{
		{Code: "koperasi_baru", Name: "Koperasi baru (+7-10% dari 500 koperasi aktif)", Keywords: []string{"koperasi baru"}, Unit: "unit", Baseline: 500, PercentMin: 7, PercentMax: 10},
		{Code: "rat", Name: "Koperasi melaksanakan RAT (+15% setahun dari 400)", Keywords: []string{"rat"}, Unit: "koperasi", Baseline: 400, PercentMin: 15},
		{Code: "koperasi_tidak_aktif", Name: "Koperasi tidak aktif berkurang 25% dari 80", Keywords: []string{"koperasi tidak aktif"}, Unit: "unit", Baseline: 80, PercentMin: 25},
		{Code: "umkm_terlatih", Name: "Pelaku UMKM terlatih", Keywords: []string{"umkm terlatih"}, Unit: "orang", Min: 50},
	}
}

func TestIntegrationSultraCycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { runSultraCycle(t, db) })
}

// runSultraCycle is issue 6's "done when": a Sulawesi Tenggara cycle for
// fiscal year N (opened in N-1) with proposals from four of its 17 kab/kota,
// through Rakorda (accept, defer, reject, agreements, attendance, minutes),
// consolidation (a ceiling refusal, a duplicate and a BUMDes warning,
// targets) and lock, against the real dev server and database.
func runSultraCycle(t *testing.T, db *store.DB) {
	e := newCycleIT(t, db)
	ctx := e.ctx
	fy := time.Now().UTC().Year() + 1
	cycleID := domain.CycleID("74", fy)
	e.started = append(e.started, workflows.CycleWorkflowID("74", fy))
	run := fmt.Sprintf("%06d", time.Now().UnixNano()%1_000_000)

	// N-1: a date outside year N-1, or out of order, is refused naming the field.
	cal := layout(t, 0)
	outside := cal
	outside.MappingDeadline = time.Date(fy, 1, 15, 0, 0, 0, 0, time.UTC)
	_, err := workflows.CreateCycle(ctx, e.c, workflows.CreateCycleRequest{Actor: sKadis, ProvinceCode: "74", FiscalYear: fy, Calendar: outside})
	requireFields(t, err, domain.EINVALID, "calendar.mapping_deadline")
	disordered := cal
	disordered.RakordaEnd = cal.RakordaStart.Add(-time.Minute)
	_, err = workflows.CreateCycle(ctx, e.c, workflows.CreateCycleRequest{Actor: sKadis, ProvinceCode: "74", FiscalYear: fy, Calendar: disordered})
	requireFields(t, err, domain.EINVALID, "calendar.rakorda_end")
	_, err = workflows.CreateCycle(ctx, e.c, workflows.CreateCycleRequest{Actor: sKadis, ProvinceCode: "74", FiscalYear: fy + 1, Calendar: shift(cal, 1)})
	requireFields(t, err, domain.EINVALID, "fiscal_year")
	e.started = append(e.started, workflows.CycleWorkflowID("74", fy+1))

	ceilings := []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 300_000_000}, {RegionCode: "74.71", AmountIDR: 100_000_000}, {RegionCode: "74.01", AmountIDR: 200_000_000}}
	cycle, err := workflows.CreateCycle(ctx, e.c, workflows.CreateCycleRequest{Actor: sKadis, ProvinceCode: "74", FiscalYear: fy, Calendar: cal,
		Ceilings: ceilings, Targets: sultraTargets()})
	require.NoError(t, err)
	require.Equal(t, cycleID, cycle.ID)
	require.Equal(t, domain.PhaseDrafting, cycle.Phase)
	_, err = workflows.CreateCycle(ctx, e.c, workflows.CreateCycleRequest{Actor: sKadis, ProvinceCode: "74", FiscalYear: fy, Calendar: cal})
	require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "one cycle per province and year: %v", err)
	row, err := db.GetCycleDetail(ctx, cycleID, time.Now())
	require.NoError(t, err)
	require.Equal(t, ceilings[0], row.Ceilings[1], "ceilings are projected (ordered by region)")
	require.Len(t, row.Targets, 4)

	// Proposals from four kab/kota reach Rakorda.
	ids := map[string]string{}
	for _, sp := range sultraProposals() {
		id := "usl-" + sp.key + "-" + run
		ids[sp.key] = id
		e.started = append(e.started, workflows.ProposalWorkflowID(id))
		_, err := workflows.Create(ctx, e.c, workflows.ProposalInput{ProposalID: id, CycleID: cycleID, Calendar: cycle.Calendar},
			workflows.CreateRequest{Actor: sp.creator, Draft: sp.draft})
		require.NoError(t, err, sp.key)
		_, err = workflows.Act(ctx, e.c, id, domain.ActionSubmit, workflows.ActionRequest{Actor: sp.submitter})
		require.NoError(t, err, sp.key)
		p, err := workflows.Act(ctx, e.c, id, domain.ActionApprove, workflows.ActionRequest{Actor: sp.reviewer})
		require.NoError(t, err, sp.key)
		require.Equal(t, domain.StageRakorda, p.Stage)
	}

	agenda, err := db.RakordaAgenda(ctx, cycleID)
	require.NoError(t, err)
	require.Equal(t, 8, agenda.Count)
	require.Equal(t, int64(1_160_000_000), agenda.TotalIDR)
	groups := map[string][2]int64{}
	for _, g := range agenda.Groups {
		groups[g.KabKotaCode+" "+g.KabKotaName] = [2]int64{int64(g.Count), g.TotalIDR}
	}
	require.Equal(t, map[string][2]int64{
		"74.01 Kabupaten Kolaka": {1, 120_000_000}, "74.05 Kabupaten Konawe Selatan": {4, 390_000_000},
		"74.71 Kota Kendari": {2, 580_000_000}, "74.72 Kota Bau Bau": {1, 70_000_000},
	}, groups)

	_, err = workflows.Act(ctx, e.c, ids["kemas"], domain.ActionAccept, workflows.ActionRequest{Actor: sKadis})
	require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "Rakorda is not open yet: %v", err)
	_, err = workflows.RecordRakordaAgreements(ctx, e.c, cycleID, workflows.RecordAgreementsRequest{Actor: sKadis, Agreements: []string{"x"}})
	require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "%v", err)

	// The Rakorda opens: moving the dates tells every open proposal.
	open := layout(t, 3)
	cycle, err = workflows.MoveCycleCalendar(ctx, e.c, cycleID, workflows.MoveCalendarRequest{Actor: sKadis, ExpectedVersion: cycle.Version,
		Calendar: workflows.FullPatch(open)})
	require.NoError(t, err)
	require.Equal(t, domain.PhaseRakorda, cycle.Phase)
	require.True(t, cycle.RakordaOpen)
	for _, id := range ids {
		p, err := workflows.State(ctx, e.c, id)
		require.NoError(t, err)
		require.Equal(t, open.RakordaEnd, *p.DueAt, "%s knows the new Rakorda end as soon as the move answers", id)
	}

	attendance := []domain.Attendee{
		{Name: "Kepala Dinas Koperasi dan UKM Provinsi", Position: "Pimpinan Rakorda", Institution: "Dinas Koperasi dan UKM Provinsi Sulawesi Tenggara", RegionCode: "74"},
		{Name: "Kepala Dinas Koperasi dan UKM Konawe Selatan", Position: "Peserta", Institution: "Pemerintah Kabupaten Konawe Selatan", RegionCode: "74.05"},
		{Name: "Kepala Dinas Koperasi dan UKM Kota Kendari", Position: "Peserta", Institution: "Pemerintah Kota Kendari", RegionCode: "74.71"},
	}
	_, err = workflows.RecordRakordaAttendance(ctx, e.c, cycleID, workflows.RecordAttendanceRequest{Actor: sKadis, Attendance: attendance})
	require.NoError(t, err)
	var agreements []string
	for i := 1; i <= 13; i++ {
		agreements = append(agreements, fmt.Sprintf("Kesepakatan %d: kabupaten/kota memutakhirkan data koperasi aktif dan pelaksanaan RAT sebelum konsolidasi.", i))
	}
	cycle, err = workflows.RecordRakordaAgreements(ctx, e.c, cycleID, workflows.RecordAgreementsRequest{Actor: sKadis, Agreements: agreements})
	require.NoError(t, err)
	require.Len(t, cycle.Agreements, 13)

	decisions := map[string]domain.Action{}
	for key, id := range ids {
		req := workflows.ActionRequest{Actor: sKadis, Comment: "Disepakati dalam Rakorda"}
		action := domain.ActionAccept
		switch key {
		case "bazar":
			action, req.Comment = domain.ActionDefer, "Ditunda ke tahun anggaran berikutnya; lokasi belum siap."
		case "pasar":
			action, req.Comment = domain.ActionReject, "Ditolak: pembangunan los pasar bukan kewenangan Dinas Koperasi."
		}
		_, err := workflows.Act(ctx, e.c, id, action, req)
		require.NoError(t, err, key)
		decisions[id] = action
	}
	agenda, err = db.RakordaAgenda(ctx, cycleID)
	require.NoError(t, err)
	require.Zero(t, agenda.Count, "every proposal was decided")

	// The minutes list every decision, every agreement and who attended.
	rec, err := db.RakordaRecord(ctx, cycleID, time.Now())
	require.NoError(t, err)
	require.Len(t, rec.Decisions, 8)
	var pdf bytes.Buffer
	require.NoError(t, minutes.Render(&pdf, rec, minutes.Options{}))
	lines, err := minutes.Text(pdf.Bytes())
	require.NoError(t, err)
	text := strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
	for id, action := range decisions {
		at := indexOf(lines, id)
		require.NotEqual(t, -1, at, "%s is in the minutes", id)
		require.Equal(t, minutes.DecisionLabel(action), nextLabel(lines[at+1:]), "decision on %s", id)
	}
	require.Contains(t, text, "Ditolak: pembangunan los pasar bukan kewenangan Dinas Koperasi.")
	for i, a := range agreements {
		require.Contains(t, text, fmt.Sprintf("%d. %s", i+1, a))
	}
	for _, a := range attendance {
		require.Contains(t, text, a.Name)
	}
	require.Contains(t, text, "PROVINSI SULAWESI TENGGARA")

	_, err = workflows.LockCycle(ctx, e.c, cycleID, workflows.LockCycleRequest{Actor: sKadis})
	require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "Rakorda still open: %v", err)

	// Rakorda closes; the provincial planner consolidates.
	closed := layout(t, 4)
	cycle, err = workflows.MoveCycleCalendar(ctx, e.c, cycleID, workflows.MoveCalendarRequest{Actor: sKadis, Calendar: workflows.FullPatch(closed)})
	require.NoError(t, err)
	require.Equal(t, domain.PhaseConsolidation, cycle.Phase)
	consolidate := func(key string, priority int, amount int64) (domain.Proposal, error) {
		return workflows.Act(ctx, e.c, ids[key], domain.ActionConsolidate, workflows.ActionRequest{Actor: sProvPlan,
			Priority: priority, ConsolidatedAmountIDR: amount, FundingSource: "apbd_provinsi"})
	}
	_, err = consolidate("kemas", 1, 120_000_000)
	require.NoError(t, err)
	_, err = consolidate("alangga", 2, 100_000_000)
	require.NoError(t, err)
	_, err = consolidate("kopi", 3, 100_000_000) // 220 of 300 used: 80 left
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	require.Equal(t, domain.EINVALID, de.Code)
	require.Equal(t, "consolidated_amount_idr", de.Fields[0].Field)
	for _, figure := range []string{"Rp 100.000.000", "pagu Rp 300.000.000", "terpakai Rp 220.000.000", "sisa Rp 80.000.000"} {
		require.Contains(t, de.Message, figure)
	}
	p, err := db.GetProposal(ctx, ids["kopi"])
	require.NoError(t, err)
	require.False(t, p.Consolidated, "the refusal changed nothing")
	_, err = consolidate("kopi", 3, 80_000_000)
	require.NoError(t, err)
	_, err = consolidate("kopbaru", 1, 80_000_000)
	require.NoError(t, err)
	_, err = consolidate("digital", 1, 70_000_000) // Bau Bau has no ceiling
	require.NoError(t, err)

	// Lock is refused, naming it, while one proposal is unconsolidated.
	_, err = workflows.LockCycle(ctx, e.c, cycleID, workflows.LockCycleRequest{Actor: sKadis})
	require.ErrorAs(t, err, &de)
	require.Equal(t, domain.ECONFLICT, de.Code)
	require.Equal(t, []domain.FieldError{{Field: "proposals." + ids["revital"],
		Message: fmt.Sprintf("Usulan %s %q (74.01) belum dikonsolidasi.", ids["revital"], "Revitalisasi koperasi tidak aktif Kolaka")}}, de.Fields)
	require.Contains(t, de.Message, ids["revital"])

	_, err = workflows.SetCycleCeilings(ctx, e.c, cycleID, workflows.SetCeilingsRequest{Actor: sKadis,
		Ceilings: []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 250_000_000}}})
	require.ErrorAs(t, err, &de)
	require.Equal(t, "ceilings[0].amount_idr", de.Fields[0].Field)
	require.Contains(t, de.Fields[0].Message, "Rp 300.000.000")

	// The consolidation view: ranks, consumption, warnings, targets.
	require.NoError(t, db.SaveBUMDesBusiness(ctx, store.BUMDesBusiness{ID: "bumdes-andoolo-kopi", RegionCode: "74.05.03.2001",
		Name: "BUMDes Andoolo Mandiri", Business: "Pengolahan dan pemasaran kopi bubuk", Keywords: []string{"kopi"}, Active: true}))
	view, err := db.ConsolidationView(ctx, cycleID)
	require.NoError(t, err)
	require.Len(t, view.Rows, 6, "accepted proposals only")
	require.Equal(t, 1, view.Unconsolidated)
	warn := map[string][]store.Warning{}
	for _, r := range view.Rows {
		warn[r.ID] = r.Warnings
	}
	require.Len(t, warn[ids["kemas"]], 1)
	require.Equal(t, store.WarningDuplicate, warn[ids["kemas"]][0].Kind)
	require.Equal(t, ids["alangga"], warn[ids["kemas"]][0].ProposalID)
	require.Equal(t, ids["kemas"], warn[ids["alangga"]][0].ProposalID)
	require.Len(t, warn[ids["kopi"]], 1)
	require.Equal(t, store.WarningBUMDes, warn[ids["kopi"]][0].Kind)
	require.Empty(t, warn[ids["digital"]])
	usage := map[string]store.CeilingUsage{}
	for _, u := range view.Ceilings {
		usage[u.RegionCode] = u
	}
	require.Equal(t, int64(300_000_000), usage["74.05"].ConsumedIDR)
	require.Equal(t, int64(0), *usage["74.05"].RemainingIDR)
	require.Equal(t, int64(80_000_000), usage["74.71"].ConsumedIDR)
	require.Nil(t, usage["74.72"].CeilingIDR)
	progress := map[string]store.TargetProgress{}
	for _, tp := range view.Targets {
		progress[tp.Target.Code] = tp
	}
	require.Equal(t, 20.0, progress["koperasi_baru"].Achieved)
	require.Equal(t, store.TargetBelow, progress["koperasi_baru"].Status, "35 to 50 new cooperatives expected")
	require.Equal(t, 12.0, progress["rat"].Achieved)
	require.Equal(t, 15.0, progress["koperasi_tidak_aktif"].Achieved)
	require.Equal(t, 20.0, progress["koperasi_tidak_aktif"].MinValue)
	require.Equal(t, 95.0, progress["umkm_terlatih"].Achieved)
	require.Equal(t, store.TargetMet, progress["umkm_terlatih"].Status)

	// Lock moves every consolidated proposal to the ministry in one step.
	_, err = consolidate("revital", 2, 120_000_000)
	require.NoError(t, err)
	res, err := workflows.LockCycle(ctx, e.c, cycleID, workflows.LockCycleRequest{Actor: sKadis, Comment: "Daftar konsolidasi final untuk Rakortek"})
	require.NoError(t, err)
	require.Equal(t, 6, res.Moved)
	require.True(t, res.Cycle.Locked)
	for key, id := range ids {
		p, err := db.GetProposal(ctx, id)
		require.NoError(t, err)
		want := domain.StageMinistry
		switch key {
		case "bazar":
			want = domain.StageDeferred
		case "pasar":
			want = domain.StageRejected
		}
		require.Equal(t, want, p.Stage, key)
	}
	locked, err := db.GetCycle(ctx, cycleID)
	require.NoError(t, err)
	require.True(t, locked.Locked)
	require.Equal(t, sKadis.Username, locked.LockedBy)
	_, err = workflows.LockCycle(ctx, e.c, cycleID, workflows.LockCycleRequest{Actor: sKadis})
	require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err))
	live, err := workflows.GetCycle(ctx, e.c, cycleID)
	require.NoError(t, err)
	require.Equal(t, locked.Version, live.Version, "the projection is not behind the workflow")
	progressNow, err := workflows.CycleLockProgress(ctx, e.c, cycleID)
	require.NoError(t, err)
	require.Equal(t, 6, progressNow.Moved)

	events, err := db.ListCycleEvents(ctx, cycleID)
	require.NoError(t, err)
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action)
	}
	require.Equal(t, []string{"create", "move_calendar", "record_attendance", "record_agreements", "move_calendar", "lock"}, actions)

	if db.Dialect == store.Postgres {
		e.saveHistory(workflows.CycleWorkflowID("74", fy), "cycle.json")
		e.saveHistory(workflows.ProposalWorkflowID(ids["kopi"]), "consolidate_reserve.json")
	}
}

func requireFields(t *testing.T, err error, code string, fields ...string) {
	t.Helper()
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	require.Equal(t, code, de.Code, "%v", err)
	var got []string
	for _, f := range de.Fields {
		got = append(got, f.Field)
	}
	require.Equal(t, fields, got, "%v", de.Fields)
}

func shift(c domain.Calendar, years int) domain.Calendar {
	for _, p := range []*time.Time{&c.SubmissionDeadline, &c.ReviewDeadline, &c.RakordaStart, &c.RakordaEnd, &c.ConsolidationDeadline, &c.MinistryDeadline, &c.MappingDeadline} {
		*p = p.AddDate(years, 0, 0)
	}
	return c
}

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}

func nextLabel(lines []string) string {
	for _, l := range lines {
		switch l {
		case "DITERIMA", "DITUNDA", "DITOLAK":
			return l
		}
	}
	return ""
}

// saveHistory writes a workflow's history to testdata for TestReplay when
// -update-histories is set. The workflow is terminated first so the
// history ends on a closed workflow task.
func (e *cycleIT) saveHistory(workflowID, name string) {
	if !*updateHistories {
		return
	}
	require.NoError(e.t, e.c.TerminateWorkflow(e.ctx, workflowID, "", "history saved for replay"))
	it := e.c.GetWorkflowHistory(e.ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(e.t, err)
		hist.Events = append(hist.Events, ev)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	require.NoError(e.t, err)
	require.NoError(e.t, os.WriteFile(filepath.Join("testdata", name), append(b, '\n'), 0o644))
}
