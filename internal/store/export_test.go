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

func TestConsolidatedRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedCycle(t, db)
		_, err := db.CreateNomenclatureVersion(ctx, store.NomenclatureVersion{Name: "lama", ValidFromYear: 2022}, nomenRows("2.17.07.2.01.03"))
		require.NoError(t, err)
		_, err = db.CreateNomenclatureVersion(ctx, store.NomenclatureVersion{Name: "baru", ValidFromYear: 2027}, nomenRows("2.17.07.2.01.0003"))
		require.NoError(t, err)
		at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		actor := domain.Actor{Username: "kadis", Role: domain.RoleKadisProvinsi, Scope: "74"}
		for i, spec := range []struct {
			id, region, sipd string
			stage            domain.Stage
			priority         int
			consolidated     bool
		}{
			{"c-unranked", "74.05.03", "2.17.07.2.01.0003", domain.StageConsolidation, 0, false},
			{"c-rank2", "74.05.03", "2.17.07.2.01.0003", domain.StageMinistry, 2, true},
			{"c-rank1", "74.05", "2.17.07.2.01.0003", domain.StageFinal, 1, true},
			{"c-nocode", "74.05", "", domain.StageMinistry, 1, true},
			{"c-prov", "74", "2.17.07.1.01.0001", domain.StageDeclined, 9, true},
			{"c-draft", "74.05", "", domain.StageDraft, 0, false},
		} {
			p := sampleProposal(at)
			p.ID, p.RegionCode, p.SIPDCode, p.Stage, p.Priority, p.Consolidated = spec.id, spec.region, spec.sipd, spec.stage, spec.priority, spec.consolidated
			p.ConsolidatedAmountIDR = int64(1000 * (i + 1))
			_, err := db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: p.ID, Seq: 1, Action: "accept", FromStage: domain.StageRakorda, ToStage: domain.StageConsolidation, Actor: actor, At: at})
			require.NoError(t, err)
			// A later non-decision event out of rakorda must not count.
			_, err = db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: p.ID, Seq: 2, Action: "reschedule", FromStage: domain.StageRakorda, ToStage: domain.StageRakorda, Actor: actor, At: at})
			require.NoError(t, err)
		}
		var got []store.ConsolidatedRow
		for r, err := range db.ConsolidatedRows(ctx, store.ConsolidatedQuery{CycleID: "74-2027"}) {
			require.NoError(t, err)
			got = append(got, r)
		}
		ids := make([]string, len(got))
		for i, r := range got {
			ids[i] = r.ProposalID
		}
		// Provincial first; in Muna the program 2.17.07 by rank (unranked
		// last), the proposal without a code after every program.
		require.Equal(t, []string{"c-prov", "c-rank1", "c-rank2", "c-unranked", "c-nocode"}, ids)
		r := got[2]
		require.Equal(t, store.ConsolidatedRow{
			ProvinceCode: "74", ProvinceName: "Sulawesi Tenggara", KabKotaCode: "74.05", KabKotaName: "Kabupaten Muna",
			KecamatanCode: "74.05.03", KecamatanName: "Kecamatan Tongkuno", CycleID: "74-2027", FiscalYear: 2027,
			ProposalID: "c-rank2", Title: "Pelatihan pengemasan produk UMKM", Category: "pelatihan",
			SIPDCode: "2.17.07.2.01.0003", SubKegiatanName: "Fasilitasi Kemudahan Perizinan Usaha_Mikro 100%",
			Indicators: []domain.Indicator{{Name: "UMKM terlatih", Target: 30, Unit: "orang"}}, AmountIDR: 125_000_000,
			Consolidated: true, ConsolidatedAmountIDR: 2000, FundingSource: "apbd_kabkota", Priority: 2,
			Stage: domain.StageMinistry, RakordaAction: domain.ActionAccept,
		}, r)
		require.Equal(t, "2.17.07", r.ProgramCode())
		require.Equal(t, "", got[0].SubKegiatanName, "a provincial code the version does not hold")
		require.Equal(t, "", got[4].ProgramCode())

		// Breaking out of the loop releases the connection: on SQLite the
		// next query would otherwise wait for ever.
		for range db.ConsolidatedRows(ctx, store.ConsolidatedQuery{FiscalYear: 2027}) {
			break
		}
		quick, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err = db.GetCycle(quick, "74-2027")
		require.NoError(t, err)

		for _, q := range []store.ConsolidatedQuery{{}, {CycleID: "74-2027", FiscalYear: 2027}, {FiscalYear: 27}} {
			for _, err := range db.ConsolidatedRows(ctx, q) {
				require.Equal(t, domain.EINVALID, domain.ErrorCode(err), "%+v", q)
			}
		}
		n := 0
		for _, err := range db.ConsolidatedRows(ctx, store.ConsolidatedQuery{FiscalYear: 2030}) {
			require.NoError(t, err)
			n++
		}
		require.Zero(t, n)

		stages, err := db.ProposalStages(ctx, []string{"c-rank1", "c-draft", "nope", "c-rank1"})
		require.NoError(t, err)
		require.Len(t, stages, 2)
		require.Equal(t, domain.StageFinal, stages["c-rank1"].Stage)
		require.Equal(t, "74-2027", stages["c-draft"].CycleID)

		events := 0
		for ev, err := range db.CycleEvents(ctx, "74-2027") {
			require.NoError(t, err)
			require.Equal(t, at, ev.At)
			require.Equal(t, actor, ev.Actor)
			events++
		}
		require.Equal(t, 12, events)
		for range db.CycleEvents(ctx, "73-2027") {
			t.Fatal("no events for an unknown cycle")
		}

		vs, err := db.NomenclatureVersionsWithCode(ctx, "2.17.07.2.01.03", store.NomenSubKegiatan)
		require.NoError(t, err)
		require.Len(t, vs, 1)
		require.Equal(t, "lama", vs[0].Name)
		vs, err = db.NomenclatureVersionsWithCode(ctx, "2.17.07", store.NomenProgram)
		require.NoError(t, err)
		require.Equal(t, []string{"lama", "baru"}, []string{vs[0].Name, vs[1].Name})
		vs, err = db.NomenclatureVersionsWithCode(ctx, "2.17.07", store.NomenSubKegiatan)
		require.NoError(t, err)
		require.Empty(t, vs)

		rows, err := db.NomenclatureOfVersion(ctx, vs2ID(t, db, 2027), domain.PemdaKabKota)
		require.NoError(t, err)
		require.Len(t, rows, 5)
		rows, err = db.NomenclatureOfVersion(ctx, vs2ID(t, db, 2027), domain.PemdaProvinsi)
		require.NoError(t, err)
		require.Len(t, rows, 3, "only the shared rows")
	})
}

func vs2ID(t *testing.T, db *store.DB, year int) int64 {
	t.Helper()
	v, err := db.NomenclatureVersionFor(context.Background(), year)
	require.NoError(t, err)
	require.Equal(t, year, v.ValidFromYear, fmt.Sprint(year))
	return v.ID
}
