package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// seedSultra inserts province 74 with a few of its kab/kota, kecamatan and
// desa (names from the Kemendagri list), and province 73.
func seedSultra(t *testing.T, db *store.DB) {
	t.Helper()
	rows := [][4]string{
		{"73", "Sulawesi Selatan", "1", ""},
		{"74", "Sulawesi Tenggara", "1", ""},
		{"74.01", "Kabupaten Kolaka", "2", "74"},
		{"74.05", "Kabupaten Konawe Selatan", "2", "74"},
		{"74.05.03", "Andoolo", "3", "74.05"},
		{"74.05.03.2001", "Lamooso", "4", "74.05.03"},
		{"74.05.03.2002", "Lakarinta", "4", "74.05.03"},
		{"74.05.04", "Tinanggea", "3", "74.05"},
		{"74.71", "Kota Kendari", "2", "74"},
		{"74.71.01", "Mandonga", "3", "74.71"},
	}
	for _, r := range rows {
		var parent any
		if r[3] != "" {
			parent = r[3]
		}
		require.NoError(t, db.ExecSQL(context.Background(), "INSERT INTO regions (code, name, level, parent_code) VALUES (?, ?, ?, ?)", r[0], r[1], r[2], parent))
	}
}

func d26(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }

func calendar2027() domain.Calendar {
	return domain.Calendar{
		SubmissionDeadline: d26(2, 1), ReviewDeadline: d26(3, 1), RakordaStart: d26(4, 1), RakordaEnd: d26(4, 5),
		ConsolidationDeadline: d26(5, 1), MinistryDeadline: d26(6, 1), MappingDeadline: d26(7, 1),
	}
}

func cycleEvent(seq int64, action, origin string) domain.CycleEvent {
	return domain.CycleEvent{CycleID: "74-2027", Seq: seq, Action: action, Origin: origin, At: d26(1, 5).Add(time.Duration(seq) * time.Hour),
		Actor: domain.Actor{Username: "kadis.sultra", Role: domain.RoleKadisProvinsi, Scope: "74"}}
}

func TestRecordCycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSultra(t, db)
		d := domain.CycleDetail{
			Cycle:    domain.Cycle{ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, Calendar: calendar2027(), CreatedBy: "kadis.sultra", CreatedAt: d26(1, 5)},
			Ceilings: []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 300_000_000}},
			Targets: []domain.Target{{Code: "koperasi_baru", Name: "Koperasi baru", Keywords: []string{"koperasi baru"}, Unit: "unit",
				Baseline: 500, PercentMin: 7, PercentMax: 10}},
		}
		recorded, err := db.RecordCycle(ctx, d, cycleEvent(1, "create", "run-a"))
		require.NoError(t, err)
		require.True(t, recorded)
		recorded, err = db.RecordCycle(ctx, d, cycleEvent(1, "create", "run-a"))
		require.NoError(t, err, "a retry is a no-op")
		require.False(t, recorded)

		got, err := db.GetCycleDetail(ctx, "74-2027", d26(4, 2))
		require.NoError(t, err)
		require.Equal(t, int64(1), got.Version)
		require.Equal(t, calendar2027(), got.Calendar)
		require.Equal(t, d.Ceilings, got.Ceilings)
		require.Equal(t, d.Targets, got.Targets)
		require.Equal(t, domain.PhaseRakorda, got.Phase)
		require.True(t, got.RakordaOpen)
		require.Empty(t, got.Agreements)
		require.NotNil(t, got.Agreements, "empty lists are [] in JSON")

		// Another workflow for the same province and year cannot pass its
		// create off as a retry, nor create a second cycle.
		_, err = db.RecordCycle(ctx, d, cycleEvent(1, "create", "run-b"))
		require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "%v", err)
		other := d
		other.ID = "74-2027"
		_, err = db.RecordCycle(ctx, other, domain.CycleEvent{CycleID: "74-2027", Seq: 2, Action: "set_ceilings", Origin: "run-b", At: d26(1, 6)})
		require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "a foreign workflow may not change the cycle: %v", err)

		// A change replaces the child lists whole.
		locked := d26(4, 10)
		d.Ceilings = []domain.Ceiling{{RegionCode: "74.71", AmountIDR: 200_000_000}}
		d.Agreements = []domain.Agreement{{Number: 1, Text: "Data koperasi diverifikasi bersama."}, {Number: 2, Text: "RAT dipantau triwulanan."}}
		d.Attendance = []domain.Attendee{{Number: 1, Name: "La Ode Rahman", Position: "Kepala Dinas", Institution: "Dinas Koperasi dan UKM Konawe Selatan", RegionCode: "74.05"}}
		d.Locked, d.LockedAt, d.LockedBy = true, &locked, "kadis.sultra"
		recorded, err = db.RecordCycle(ctx, d, cycleEvent(4, "lock", "run-a"))
		require.NoError(t, err)
		require.True(t, recorded)
		got, err = db.GetCycleDetail(ctx, "74-2027", d26(4, 10))
		require.NoError(t, err)
		require.Equal(t, int64(4), got.Version)
		require.Equal(t, d.Ceilings, got.Ceilings)
		require.Equal(t, d.Agreements, got.Agreements)
		require.Equal(t, d.Attendance, got.Attendance)
		require.True(t, got.Locked)
		require.Equal(t, locked, *got.LockedAt)
		require.Equal(t, domain.PhaseConsolidation, got.Phase)

		// An older snapshot arriving late only adds its event.
		stale := d
		stale.Agreements = nil
		recorded, err = db.RecordCycle(ctx, stale, cycleEvent(3, "record_agreements", "run-a"))
		require.NoError(t, err)
		require.True(t, recorded)
		got, err = db.GetCycleDetail(ctx, "74-2027", d26(4, 10))
		require.NoError(t, err)
		require.Len(t, got.Agreements, 2, "the newer snapshot stays")

		// A ceiling for an unknown region is refused and leaves nothing.
		bad := d
		bad.Ceilings = []domain.Ceiling{{RegionCode: "74.99", AmountIDR: 1}}
		_, err = db.RecordCycle(ctx, bad, cycleEvent(5, "set_ceilings", "run-a"))
		require.Equal(t, domain.EINVALID, domain.ErrorCode(err), "%v", err)
		got, err = db.GetCycleDetail(ctx, "74-2027", d26(4, 10))
		require.NoError(t, err)
		require.Equal(t, int64(4), got.Version)

		events, err := db.ListCycleEvents(ctx, "74-2027")
		require.NoError(t, err)
		require.Len(t, events, 3)
		require.Equal(t, []int64{1, 3, 4}, []int64{events[0].Seq, events[1].Seq, events[2].Seq})
		require.Equal(t, "run-a", events[0].Origin)
		require.Equal(t, "kadis.sultra", events[2].Actor.Username)

		// A cycle written directly (old demo data) cannot be created again
		// by a workflow: the unique constraints refuse it.
		require.NoError(t, db.SaveCycle(ctx, domain.Cycle{ID: "73-2027", ProvinceCode: "73", FiscalYear: 2027, Calendar: calendar2027(), CreatedBy: "x"}))
		legacy := domain.CycleDetail{Cycle: domain.Cycle{ID: "73-2027", ProvinceCode: "73", FiscalYear: 2027, Calendar: calendar2027(), CreatedBy: "y", CreatedAt: d26(1, 5)}}
		_, err = db.RecordCycle(ctx, legacy, domain.CycleEvent{CycleID: "73-2027", Seq: 1, Action: "create", Origin: "run-c", At: d26(1, 5)})
		require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "%v", err)

		_, err = db.GetCycleDetail(ctx, "99-2027", d26(1, 1))
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
	})
}

// put projects a proposal in a stage with its own trail: create, then the
// moves given as (action, from, to) triples.
func put(t *testing.T, db *store.DB, p domain.Proposal, moves ...[3]string) {
	t.Helper()
	ctx := context.Background()
	at := d26(1, 10)
	if p.CreatedAt.IsZero() {
		p.CreatedAt, p.UpdatedAt = at, at
	}
	if p.CreatedBy == "" {
		p.CreatedBy = "planner"
	}
	if p.CycleID == "" {
		p.CycleID = "74-2027"
	}
	final := p.Stage
	p.Stage, p.Version = domain.StageDraft, 1
	if len(moves) == 0 {
		p.Stage = final
	}
	kadis := domain.Actor{Username: "kadis.sultra", Role: domain.RoleKadisProvinsi, Scope: "74"}
	_, err := db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: p.ID, Seq: 1, Action: "create", ToStage: p.Stage, Actor: kadis, At: at})
	require.NoError(t, err)
	for i, m := range moves {
		p.Version++
		p.Stage = domain.Stage(m[2])
		comment := ""
		if m[0] == "defer" || m[0] == "reject" {
			comment = "Alasan " + m[0] + " " + p.ID
		}
		_, err := db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: p.ID, Seq: int64(i + 2), Action: m[0],
			FromStage: domain.Stage(m[1]), ToStage: p.Stage, Actor: kadis, Comment: comment, At: at.Add(time.Duration(i+1) * time.Hour)})
		require.NoError(t, err)
	}
	require.Equal(t, final, p.Stage, "moves must end in the proposal's stage")
}

func saveCycle(t *testing.T, db *store.DB, ceilings ...domain.Ceiling) {
	t.Helper()
	_, err := db.RecordCycle(context.Background(), domain.CycleDetail{
		Cycle:    domain.Cycle{ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, Calendar: calendar2027(), CreatedBy: "kadis.sultra", CreatedAt: d26(1, 5)},
		Ceilings: ceilings,
		Targets: []domain.Target{
			{Code: "koperasi_baru", Name: "Koperasi baru", Keywords: []string{"koperasi baru"}, Unit: "unit", Baseline: 500, PercentMin: 7, PercentMax: 10},
			{Code: "rat", Name: "Koperasi melaksanakan RAT", Keywords: []string{"rat"}, Unit: "koperasi", Min: 60},
			{Code: "umkm", Name: "UMKM terlatih", Keywords: []string{"umkm terlatih", "pelaku umkm"}, Unit: "orang", Min: 10, Max: 50},
		},
	}, cycleEvent(1, "create", "run-a"))
	require.NoError(t, err)
}

func TestProposalPagingForCycleActivities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSultra(t, db)
		saveCycle(t, db)
		for i := 1; i <= 7; i++ {
			put(t, db, domain.Proposal{ID: fmt.Sprintf("c%02d", i), RegionCode: "74.05.03", Title: "t", Stage: domain.StageConsolidation, Consolidated: i%2 == 1, ConsolidatedAmountIDR: 1})
		}
		put(t, db, domain.Proposal{ID: "d01", RegionCode: "74.05.03", Title: "t", Stage: domain.StageDraft})
		put(t, db, domain.Proposal{ID: "m01", RegionCode: "74.05.03", Title: "t", Stage: domain.StageMinistry, Consolidated: true})
		put(t, db, domain.Proposal{ID: "x01", RegionCode: "74.05.03", Title: "t", Stage: domain.StageRejected})

		var open []string
		for after := ""; ; {
			page, err := db.OpenProposalIDs(ctx, "74-2027", after, 3)
			require.NoError(t, err)
			open = append(open, page...)
			if len(page) < 3 {
				break
			}
			after = page[len(page)-1]
		}
		require.Equal(t, []string{"c01", "c02", "c03", "c04", "c05", "c06", "c07", "d01", "m01"}, open, "every open proposal once, none terminal")

		cand, err := db.CycleLockCandidates(ctx, "74-2027")
		require.NoError(t, err)
		require.Equal(t, 4, cand.Consolidated)
		require.Equal(t, []domain.ProposalRef{{ID: "c02", Title: "t", RegionCode: "74.05.03"}, {ID: "c04", Title: "t", RegionCode: "74.05.03"},
			{ID: "c06", Title: "t", RegionCode: "74.05.03"}}, cand.Unconsolidated)

		ids, err := db.ConsolidatedProposalIDs(ctx, "74-2027", "", 2)
		require.NoError(t, err)
		require.Equal(t, []string{"c01", "c03"}, ids)
		ids, err = db.ConsolidatedProposalIDs(ctx, "74-2027", "c03", 10)
		require.NoError(t, err)
		require.Equal(t, []string{"c05", "c07"}, ids, "m01 already moved on: never listed again")
	})
}

func TestRakordaAgendaAndRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSultra(t, db)
		saveCycle(t, db)
		toRakorda := [][3]string{{"submit", "draft", "kabkota_review"}, {"approve", "kabkota_review", "rakorda"}}
		put(t, db, domain.Proposal{ID: "a1", RegionCode: "74.05.03", Title: "Pelatihan A", AmountIDR: 100_000_000, Stage: domain.StageRakorda}, toRakorda...)
		put(t, db, domain.Proposal{ID: "a2", RegionCode: "74.05.04", Title: "Bazar B", AmountIDR: 50_000_000, Stage: domain.StageRakorda}, toRakorda...)
		put(t, db, domain.Proposal{ID: "a3", RegionCode: "74.71.01", Title: "PLUT C", AmountIDR: 75_000_000, Stage: domain.StageRakorda}, toRakorda...)
		put(t, db, domain.Proposal{ID: "b1", RegionCode: "74.01", Title: "Diterima", AmountIDR: 10, Stage: domain.StageConsolidation},
			append(toRakorda, [3]string{"accept", "rakorda", "consolidation"})...)
		put(t, db, domain.Proposal{ID: "b2", RegionCode: "74.05.03", Title: "Ditunda", AmountIDR: 20, Stage: domain.StageDeferred},
			append(toRakorda, [3]string{"defer", "rakorda", "deferred"})...)
		put(t, db, domain.Proposal{ID: "b3", RegionCode: "74.71.01", Title: "Ditolak", AmountIDR: 30, Stage: domain.StageRejected},
			append(toRakorda, [3]string{"reject", "rakorda", "rejected"})...)
		// Rejected at the kab/kota review: not a Rakorda decision.
		put(t, db, domain.Proposal{ID: "b4", RegionCode: "74.71.01", Title: "Ditolak kab/kota", AmountIDR: 40, Stage: domain.StageRejected},
			[3]string{"submit", "draft", "kabkota_review"}, [3]string{"reject", "kabkota_review", "rejected"})

		agenda, err := db.RakordaAgenda(ctx, "74-2027")
		require.NoError(t, err)
		require.Equal(t, 3, agenda.Count)
		require.Equal(t, int64(225_000_000), agenda.TotalIDR)
		require.Len(t, agenda.Groups, 2)
		require.Equal(t, "74.05", agenda.Groups[0].KabKotaCode)
		require.Equal(t, "Kabupaten Konawe Selatan", agenda.Groups[0].KabKotaName)
		require.Equal(t, int64(150_000_000), agenda.Groups[0].TotalIDR)
		require.Equal(t, []string{"a1", "a2"}, []string{agenda.Groups[0].Proposals[0].ID, agenda.Groups[0].Proposals[1].ID})
		require.Equal(t, "Kota Kendari", agenda.Groups[1].KabKotaName)
		require.Equal(t, int64(75_000_000), agenda.Groups[1].TotalIDR)

		rec, err := db.RakordaRecord(ctx, "74-2027", d26(4, 6))
		require.NoError(t, err)
		require.Equal(t, "Sulawesi Tenggara", rec.ProvinceName)
		require.Len(t, rec.Decisions, 3)
		got := map[string]domain.Action{}
		for _, d := range rec.Decisions {
			got[d.ProposalID] = d.Decision
		}
		require.Equal(t, map[string]domain.Action{"b1": domain.ActionAccept, "b2": domain.ActionDefer, "b3": domain.ActionReject}, got)
		require.Equal(t, []string{"74.01", "74.05", "74.71"}, []string{rec.Decisions[0].KabKotaCode, rec.Decisions[1].KabKotaCode, rec.Decisions[2].KabKotaCode})
		require.Equal(t, "Alasan defer b2", rec.Decisions[1].Comment)
		require.Equal(t, "Andoolo", rec.Decisions[1].RegionName)
		require.Equal(t, "kadis.sultra", rec.Decisions[2].Actor.Username)
		require.Equal(t, 3, rec.Undecided.Count)
	})
}

func TestConsolidationView(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedSultra(t, db)
		saveCycle(t, db, domain.Ceiling{RegionCode: "74.05", AmountIDR: 300_000_000}, domain.Ceiling{RegionCode: "74.01", AmountIDR: 50_000_000})
		ind := func(name string, target float64, unit string) []domain.Indicator {
			return []domain.Indicator{{Name: name, Target: target, Unit: unit}}
		}
		put(t, db, domain.Proposal{ID: "k1", RegionCode: "74.05.03", Title: "Pelatihan pengemasan produk UMKM", Category: "pelatihan",
			AmountIDR: 150_000_000, Stage: domain.StageConsolidation, Consolidated: true, Priority: 2, ConsolidatedAmountIDR: 120_000_000,
			Indicators: ind("Pelaku UMKM terlatih", 30, "orang")})
		put(t, db, domain.Proposal{ID: "k2", RegionCode: "74.05.03.2002", Title: "Pelatihan kemasan produk bagi UMKM Desa Lakarinta", Category: "pelatihan",
			AmountIDR: 90_000_000, Stage: domain.StageConsolidation, Priority: 1, Consolidated: true, ConsolidatedAmountIDR: 80_000_000,
			Indicators: ind("UMKM terlatih", 25, "orang")})
		put(t, db, domain.Proposal{ID: "k3", RegionCode: "74.05.03", Title: "Pelatihan pemasaran digital", Category: "pelatihan",
			AmountIDR: 40_000_000, Stage: domain.StageConsolidation, Indicators: ind("Koperasi baru terbentuk", 20, "unit")})
		put(t, db, domain.Proposal{ID: "k4", RegionCode: "74.05.03.2001", Title: "Pendampingan pengolahan kopi bubuk", Category: "pendampingan",
			Description: "Pendampingan pelaku usaha kopi di Lamooso", AmountIDR: 60_000_000, Stage: domain.StageMinistry, Consolidated: true, Priority: 3,
			ConsolidatedAmountIDR: 60_000_000, Indicators: ind("Koperasi melaksanakan RAT", 12, "koperasi")})
		// Same title as k1 but another kecamatan: not a duplicate.
		put(t, db, domain.Proposal{ID: "k5", RegionCode: "74.05.04", Title: "Pelatihan pengemasan produk UMKM", Category: "pelatihan",
			AmountIDR: 10_000_000, Stage: domain.StageConsolidation, Indicators: ind("Koperasi baru", 20, "Unit")})
		// Declined: shown and consumed, but not counted towards targets.
		put(t, db, domain.Proposal{ID: "k6", RegionCode: "74.01", Title: "Bazar UMKM Kolaka", Category: "bazar", AmountIDR: 5_000_000,
			Stage: domain.StageDeclined, Consolidated: true, ConsolidatedAmountIDR: 5_000_000, Indicators: ind("Koperasi baru", 100, "unit")})
		put(t, db, domain.Proposal{ID: "r1", RegionCode: "74.05.03", Title: "Masih di Rakorda", Stage: domain.StageRakorda})
		require.NoError(t, db.SaveBUMDesBusiness(ctx, store.BUMDesBusiness{ID: "bumdes-lamooso-kopi", RegionCode: "74.05.03.2001",
			Name: "BUMDes Lamooso Sejahtera", Business: "Pengolahan dan pemasaran kopi bubuk", Keywords: []string{"kopi"}, Active: true}))
		require.NoError(t, db.SaveBUMDesBusiness(ctx, store.BUMDesBusiness{ID: "bumdes-lakarinta-air", RegionCode: "74.05.03.2002",
			Name: "BUMDes Lakarinta", Business: "Depot air minum", Keywords: []string{"air minum"}, Active: true}))

		v, err := db.ConsolidationView(ctx, "74-2027")
		require.NoError(t, err)
		ids := []string{}
		for _, r := range v.Rows {
			ids = append(ids, r.ID)
		}
		require.Equal(t, []string{"k6", "k2", "k1", "k4", "k3", "k5"}, ids, "by kab/kota, then priority, unranked last; rakorda left out")
		require.Equal(t, 2, v.Unconsolidated)
		require.Equal(t, int64(265_000_000), v.TotalConsolidatedIDR)

		row := func(id string) store.ConsolidationRow {
			for _, r := range v.Rows {
				if r.ID == id {
					return r
				}
			}
			t.Fatalf("no row %s", id)
			return store.ConsolidationRow{}
		}
		require.Equal(t, "Kabupaten Konawe Selatan", row("k1").KabKotaName)
		dup := row("k1").Warnings
		require.Len(t, dup, 1, "%+v", dup)
		require.Equal(t, store.WarningDuplicate, dup[0].Kind)
		require.Equal(t, "k2", dup[0].ProposalID)
		require.GreaterOrEqual(t, dup[0].Similarity, store.DuplicateThreshold)
		require.Contains(t, dup[0].Message, "Kemungkinan duplikat dengan usulan k2")
		require.Equal(t, "k1", row("k2").Warnings[0].ProposalID, "both sides are warned")
		require.Empty(t, row("k3").Warnings, "another activity of the same category")
		require.Empty(t, row("k5").Warnings, "another kecamatan")
		bw := row("k4").Warnings
		require.Len(t, bw, 1)
		require.Equal(t, store.WarningBUMDes, bw[0].Kind)
		require.Equal(t, "bumdes-lamooso-kopi", bw[0].BUMDesID)
		require.Contains(t, bw[0].Message, "BUMDes Lamooso Sejahtera di Lamooso (74.05.03.2001)")

		use := map[string]store.CeilingUsage{}
		for _, u := range v.Ceilings {
			use[u.RegionCode] = u
		}
		konsel := use["74.05"]
		require.Equal(t, int64(300_000_000), *konsel.CeilingIDR)
		require.Equal(t, int64(260_000_000), konsel.ConsumedIDR)
		require.Equal(t, int64(40_000_000), *konsel.RemainingIDR)
		require.Equal(t, int64(350_000_000), konsel.ProposedIDR)
		require.Equal(t, 5, konsel.Count)
		require.Equal(t, 3, konsel.ConsolidatedCount)
		require.Equal(t, int64(5_000_000), use["74.01"].ConsumedIDR)
		require.Equal(t, int64(45_000_000), *use["74.01"].RemainingIDR)

		tp := map[string]store.TargetProgress{}
		for _, x := range v.Targets {
			tp[x.Target.Code] = x
		}
		require.Equal(t, 35.0, tp["koperasi_baru"].MinValue)
		require.Equal(t, 50.0, tp["koperasi_baru"].MaxValue)
		require.Equal(t, 40.0, tp["koperasi_baru"].Achieved, "k3 and k5 (unit case ignored); declined k6 left out")
		require.Equal(t, []string{"k3", "k5"}, tp["koperasi_baru"].ProposalIDs)
		require.Equal(t, store.TargetMet, tp["koperasi_baru"].Status)
		require.Equal(t, 12.0, tp["rat"].Achieved)
		require.Equal(t, store.TargetBelow, tp["rat"].Status)
		require.Equal(t, 55.0, tp["umkm"].Achieved)
		require.Equal(t, store.TargetAbove, tp["umkm"].Status)
	})
}

func TestSaveBUMDesBusinessValidates(t *testing.T) {
	db := storetest.SQLite(t)
	seedSultra(t, db)
	ctx := context.Background()
	err := db.SaveBUMDesBusiness(ctx, store.BUMDesBusiness{ID: "x", RegionCode: "74.05.03", Name: "BUMDes", Business: "Kopi"})
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	require.Equal(t, domain.EINVALID, de.Code)
	fields := []string{}
	for _, f := range de.Fields {
		fields = append(fields, f.Field)
	}
	require.Equal(t, []string{"region_code", "keywords"}, fields)
	err = db.SaveBUMDesBusiness(ctx, store.BUMDesBusiness{ID: "x", RegionCode: "74.05.03.2999", Name: "BUMDes", Business: "Kopi", Keywords: []string{"kopi"}})
	require.Equal(t, domain.EINVALID, domain.ErrorCode(err), "unknown desa")
	b := store.BUMDesBusiness{ID: "x", RegionCode: "74.05.03.2001", Name: "BUMDes", Business: "Kopi", Keywords: []string{" kopi ", ""}, Active: true}
	require.NoError(t, db.SaveBUMDesBusiness(ctx, b))
	b.Active = false
	require.NoError(t, db.SaveBUMDesBusiness(ctx, b), "saving again replaces")
	all, err := db.ListBUMDesBusinesses(ctx, "74.05", false)
	require.NoError(t, err)
	require.Len(t, all, 1)
	require.Equal(t, []string{"kopi"}, all[0].Keywords)
	active, err := db.ListBUMDesBusinesses(ctx, "74", true)
	require.NoError(t, err)
	require.Empty(t, active)
}
