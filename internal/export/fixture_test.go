package export_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
)

// Regions of the fixture, named as in the Kemendagri list.
var fixtureRegions = []store.Region{
	{Code: "73", Name: "Sulawesi Selatan", Level: domain.LevelProvinsi},
	{Code: "73.01", Name: "Kabupaten Kepulauan Selayar", Level: domain.LevelKabKota, ParentCode: "73"},
	{Code: "73.01.01", Name: "Benteng", Level: domain.LevelKecamatan, ParentCode: "73.01"},
	{Code: "74", Name: "Sulawesi Tenggara", Level: domain.LevelProvinsi},
	{Code: "74.05", Name: "Kabupaten Konawe Selatan", Level: domain.LevelKabKota, ParentCode: "74"},
	{Code: "74.05.01", Name: "Tinanggea", Level: domain.LevelKecamatan, ParentCode: "74.05"},
	{Code: "74.05.03", Name: "Andoolo", Level: domain.LevelKecamatan, ParentCode: "74.05"},
	{Code: "74.71", Name: "Kota Kendari", Level: domain.LevelKabKota, ParentCode: "74"},
	{Code: "74.71.01", Name: "Mandonga", Level: domain.LevelKecamatan, ParentCode: "74.71"},
}

func seedReference(t testing.TB, db *store.DB, regions []store.Region) {
	t.Helper()
	ctx := context.Background()
	_, err := db.InsertRegions(ctx, regions)
	require.NoError(t, err)
	seeds, err := refdata.BuiltinNomenclature()
	require.NoError(t, err)
	for _, s := range seeds {
		_, err := db.CreateNomenclatureVersion(ctx, s.Version, s.Rows)
		require.NoError(t, err)
	}
}

func saveCycle(t testing.TB, db *store.DB, province string, fy int) {
	t.Helper()
	d := func(m time.Month) time.Time { return time.Date(fy-1, m, 1, 0, 0, 0, 0, time.UTC) }
	require.NoError(t, db.SaveCycle(context.Background(), domain.Cycle{
		ID: domain.CycleID(province, fy), ProvinceCode: province, FiscalYear: fy, CreatedBy: "kadis",
		Calendar: domain.Calendar{SubmissionDeadline: d(2), ReviewDeadline: d(3), RakordaStart: d(4), RakordaEnd: d(5),
			ConsolidationDeadline: d(6), MinistryDeadline: d(7), MappingDeadline: d(8)},
	}))
}

var (
	planner = domain.Actor{Username: "perencana.andoolo", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
	kadis   = domain.Actor{Username: "kadis.sultra", Role: domain.RoleKadisProvinsi, Scope: "74"}
	liaison = domain.Actor{Username: "penghubung", Role: domain.RolePenghubungKementrian, Scope: "*"}
)

// fx describes one proposal of the fixture: its final snapshot and whether
// its trail holds a Rakorda decision.
type fx struct {
	id, cycle, region, title, sipd string
	stage                          domain.Stage
	amount, consolidated           int64 // consolidated < 0: not consolidated yet
	priority                       int
	indicators                     []domain.Indicator
	rakorda                        domain.Action
	koperasi                       []string         // issue 18: beneficiaries_koperasi
	dossier                        *domain.Proposal // Number, Origin, Locations, RAB (issue 21)
}

// put records p's history through RecordTransition, as the workflow does:
// created in draft, then (when rakorda is set) the Rakorda decision out of
// the rakorda stage, then the final snapshot's own stage.
func put(t testing.TB, db *store.DB, f fx, at time.Time) {
	t.Helper()
	ctx := context.Background()
	p := domain.Proposal{
		ID: f.id, CycleID: f.cycle, RegionCode: f.region, Title: f.title, Description: "Deskripsi " + f.title,
		Category: "pelatihan", AmountIDR: f.amount, FundingSource: "apbd_provinsi", Indicators: f.indicators,
		SIPDCode: f.sipd, Stage: f.stage, Priority: f.priority, CreatedBy: planner.Username, Version: 3,
		CreatedAt: at, UpdatedAt: at, BeneficiariesKoperasi: f.koperasi,
	}
	if f.consolidated >= 0 {
		p.Consolidated, p.ConsolidatedAmountIDR = true, f.consolidated
	}
	if d := f.dossier; d != nil {
		p.Number, p.Origin, p.Locations, p.RAB = d.Number, d.Origin, d.Locations, d.RAB
	}
	events := []domain.ProposalEvent{{Action: "create", ToStage: domain.StageDraft, Actor: planner, At: at}}
	if f.rakorda != "" {
		to := map[domain.Action]domain.Stage{domain.ActionAccept: domain.StageConsolidation, domain.ActionDefer: domain.StageDeferred, domain.ActionReject: domain.StageRejected}[f.rakorda]
		events = append(events, domain.ProposalEvent{Action: string(f.rakorda), FromStage: domain.StageRakorda, ToStage: to, Actor: kadis, At: at.Add(time.Hour), Comment: "Rakorda " + f.id})
	}
	if last := events[len(events)-1].ToStage; last != f.stage {
		events = append(events, domain.ProposalEvent{Action: "lock", FromStage: last, ToStage: f.stage, Actor: liaison, At: at.Add(2 * time.Hour)})
	}
	for i, ev := range events {
		ev.ProposalID, ev.Seq = f.id, int64(i+1)
		recorded, err := db.RecordTransition(ctx, p, ev)
		require.NoError(t, err)
		require.True(t, recorded)
	}
}

// seedLists fills two provinces' 2027 cycles and a 2026 cycle with proposals
// in every stage. Listed is the consolidated list of 74-2027 in its
// expected order; the others must not appear in it.
func seedLists(t testing.TB, db *store.DB) (listed74, listed73 []string) {
	t.Helper()
	seedReference(t, db, fixtureRegions)
	saveCycle(t, db, "74", 2027)
	saveCycle(t, db, "73", 2027)
	saveCycle(t, db, "74", 2026)
	at := time.Date(2026, 4, 2, 1, 30, 0, 0, time.UTC)
	two := []domain.Indicator{{Name: "Anggota koperasi terlatih", Target: 40, Unit: "orang"}, {Name: "Koperasi dibina", Target: 2.5, Unit: "unit"}}
	one := []domain.Indicator{{Name: "UMKM terfasilitasi", Target: 25, Unit: "unit usaha"}}
	for i, f := range []fx{
		// 74-2027, in list order: provincial first, then Konawe Selatan
		// (74.05) by program then priority, then Kota Kendari (74.71).
		{id: "u-prov", cycle: "74-2027", region: "74", title: "Pelatihan SDM koperasi lintas kabupaten", sipd: "2.17.05.1.01.0001", stage: domain.StageSIPDMapping, amount: 300_000_000, consolidated: 250_000_000, priority: 4, indicators: one, rakorda: domain.ActionAccept},
		{id: "u-ksel-2", cycle: "74-2027", region: "74.05.03", title: "Pelatihan kewirausahaan koperasi", sipd: "2.17.05.2.01.0001", stage: domain.StageMinistry, amount: 150_000_000, consolidated: 120_000_000, priority: 2, indicators: two, rakorda: domain.ActionAccept, koperasi: []string{"kop-a", "kop-b"},
			dossier: &domain.Proposal{Number: "74.05.03/2027/0002", Origin: "musrenbang_kecamatan", Locations: []string{"74.05.03.2001", "74.05.03.2002"},
				RAB: []domain.RABLine{{Uraian: "Pelatihan", Volume: 40, Satuan: "orang", HargaSatuanIDR: 3_000_000, JumlahIDR: 120_000_000}, {Uraian: "Modul", Volume: 1, Satuan: "paket", HargaSatuanIDR: 30_000_000, JumlahIDR: 30_000_000}}}},
		{id: "u-ksel-1", cycle: "74-2027", region: "74.05", title: "Fasilitasi perizinan usaha mikro", sipd: "2.17.07.2.01.0003", stage: domain.StageFinal, amount: 90_000_001, consolidated: 87_654_321, priority: 1, indicators: one, rakorda: domain.ActionAccept},
		{id: "u-ksel-dec", cycle: "74-2027", region: "74.05.01", title: "Bazar produk UMKM", sipd: "2.17.07.2.01.0004", stage: domain.StageDeclined, amount: 45_000_000, consolidated: 40_000_000, priority: 3, indicators: one, rakorda: domain.ActionAccept},
		{id: "u-ksel-old", cycle: "74-2027", region: "74.05.03", title: "=HYPERLINK(\"x\") Pendataan usaha mikro", sipd: "2.17.07.2.01.03", stage: domain.StageMinistry, amount: 10_000_000, consolidated: 10_000_000, priority: 5, indicators: nil, rakorda: domain.ActionAccept},
		{id: "u-kdi-new", cycle: "74-2027", region: "74.71.01", title: "Rumah produksi bersama", sipd: "", stage: domain.StageConsolidation, amount: 75_500_003, consolidated: -1, indicators: one, rakorda: domain.ActionAccept},
		{id: "u-kdi-1", cycle: "74-2027", region: "74.71", title: "Pendampingan koperasi wanita", sipd: "2.17.06.2.01.0003", stage: domain.StageConsolidation, amount: 60_000_000, consolidated: 55_000_000, priority: 6, indicators: one},

		// 73-2027.
		{id: "s-1", cycle: "73-2027", region: "73.01.01", title: "Pelatihan digital marketing UMKM", sipd: "2.17.07.2.01.0015", stage: domain.StageMinistry, amount: 200_000_000, consolidated: 180_000_000, priority: 1, indicators: one, rakorda: domain.ActionAccept},
		{id: "s-2", cycle: "73-2027", region: "73.01", title: "Penilaian kesehatan KSP", sipd: "2.17.04.2.01.0001", stage: domain.StageMinistry, amount: 33_333_333, consolidated: 33_333_333, priority: 2, indicators: one, rakorda: domain.ActionAccept},

		// Not on any 2027 list: stages before consolidation, terminal
		// stages other than declined, another fiscal year.
		{id: "x-draft", cycle: "74-2027", region: "74.05.03", title: "Draf", stage: domain.StageDraft, amount: 1, consolidated: -1},
		{id: "x-review", cycle: "74-2027", region: "74.05.03", title: "Reviu", stage: domain.StageKabKotaReview, amount: 2, consolidated: -1},
		{id: "x-rakorda", cycle: "74-2027", region: "74.05.03", title: "Rakorda", stage: domain.StageRakorda, amount: 3, consolidated: -1},
		{id: "x-deferred", cycle: "74-2027", region: "74.05.03", title: "Ditunda", stage: domain.StageDeferred, amount: 4, consolidated: -1, rakorda: domain.ActionDefer},
		{id: "x-rejected", cycle: "74-2027", region: "74.05.03", title: "Ditolak", stage: domain.StageRejected, amount: 5, consolidated: -1, rakorda: domain.ActionReject},
		{id: "x-withdrawn", cycle: "74-2027", region: "74.05.03", title: "Ditarik", stage: domain.StageWithdrawn, amount: 6, consolidated: -1},
		{id: "x-expired", cycle: "74-2027", region: "74.05.03", title: "Kedaluwarsa", stage: domain.StageExpired, amount: 7, consolidated: -1},
		{id: "x-2026", cycle: "74-2026", region: "74.05.03", title: "Tahun lalu", sipd: "2.17.07.2.01.03", stage: domain.StageFinal, amount: 8, consolidated: 8, priority: 1, rakorda: domain.ActionAccept},
	} {
		put(t, db, f, at.Add(time.Duration(i)*time.Minute))
	}
	return []string{"u-prov", "u-ksel-2", "u-ksel-1", "u-ksel-dec", "u-ksel-old", "u-kdi-1", "u-kdi-new"}, []string{"s-2", "s-1"}
}

// dbTotals sums the consolidated list straight from the proposals table,
// independently of the export code.
func dbTotals(t testing.TB, db *store.DB, where string, args ...any) (n, amount, consolidated int64) {
	t.Helper()
	var row struct{ N, Amount, Consolidated int64 }
	require.NoError(t, db.ScanSQL(context.Background(), &row, fmt.Sprintf(`
		SELECT COUNT(*) AS n, COALESCE(SUM(p.amount_idr), 0) AS amount,
		       COALESCE(SUM(CASE WHEN p.consolidated THEN p.consolidated_amount_idr ELSE 0 END), 0) AS consolidated
		FROM proposals p JOIN cycles c ON c.id = p.cycle_id
		WHERE p.stage IN ('consolidation', 'ministry', 'sipd_mapping', 'final', 'declined') AND %s`, where), args...))
	return row.N, row.Amount, row.Consolidated
}
