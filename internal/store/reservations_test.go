package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// ceilingFixture opens cycle 74-2027 with a ceiling of 200,000,000 for
// Konawe Selatan (74.05) and creates the drafts ids in Andoolo.
func ceilingFixture(t *testing.T, db *store.DB, ids ...string) {
	t.Helper()
	ctx := context.Background()
	seedSultra(t, db)
	d := domain.CycleDetail{
		Cycle:    domain.Cycle{ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, Calendar: calendar2027(), CreatedBy: "kadis.sultra", CreatedAt: d26(1, 5)},
		Ceilings: []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 200_000_000}},
	}
	_, err := db.RecordCycle(ctx, d, cycleEvent(1, "create", "run-a"))
	require.NoError(t, err)
	for _, id := range ids {
		p := sampleProposal(d26(1, 10))
		p.ID, p.CycleID, p.RegionCode = id, "74-2027", "74.05.03"
		_, err := db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: id, Seq: 1, Action: "create", ToStage: domain.StageDraft, At: d26(1, 10)})
		require.NoError(t, err)
	}
}

// consolidate records proposal id's consolidate of amount at seq.
func consolidate(db *store.DB, id string, seq int64, amount int64) (bool, error) {
	p, ev := consolidationStep(id, seq, "consolidate", domain.StageConsolidation, amount)
	r := domain.Reservation{CycleID: "74-2027", ProposalID: id, RegionCode: "74.05", AmountIDR: amount}
	return db.RecordConsolidation(context.Background(), r, p, ev)
}

// consolidationStep is the state and event of proposal id (in Andoolo,
// cycle 74-2027) after action at seq, out of consolidation into stage,
// consolidated at amount unless amount is 0.
func consolidationStep(id string, seq int64, action string, stage domain.Stage, amount int64) (domain.Proposal, domain.ProposalEvent) {
	p := sampleProposal(d26(4, 2))
	p.ID, p.CycleID, p.RegionCode = id, "74-2027", "74.05.03"
	p.Stage, p.Consolidated, p.ConsolidatedAmountIDR, p.Version = stage, amount > 0, amount, seq
	ev := domain.ProposalEvent{ProposalID: id, Seq: seq, Action: action, FromStage: domain.StageConsolidation, ToStage: stage,
		At: d26(4, 2), TransitionID: fmt.Sprintf("update:%s-%s-%d", id, action, seq)}
	return p, ev
}

func TestRecordConsolidationKeepsToTheCeiling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ceilingFixture(t, db, "p1", "p2")

		_, err := consolidate(db, "p1", 2, 150_000_000)
		require.NoError(t, err)

		// 150 + 60 > 200: refused with the figures, nothing written.
		_, err = consolidate(db, "p2", 2, 60_000_000)
		var de *domain.Error
		require.ErrorAs(t, err, &de)
		require.Equal(t, domain.EINVALID, de.Code)
		require.Equal(t, "consolidated_amount_idr", de.Fields[0].Field)
		require.Contains(t, de.Message, "sudah terpakai Rp 150.000.000, sisa Rp 50.000.000")
		p2, err := db.GetProposal(ctx, "p2")
		require.NoError(t, err)
		require.False(t, p2.Consolidated)
		require.Equal(t, int64(1), p2.Version)
		events, err := db.ListProposalEvents(ctx, "p2")
		require.NoError(t, err)
		require.Len(t, events, 1, "the refused consolidate left no event")

		// What is left fits exactly; p1 may then lower its own amount, but
		// not raise it past the ceiling.
		_, err = consolidate(db, "p2", 2, 50_000_000)
		require.NoError(t, err)
		_, err = consolidate(db, "p1", 3, 140_000_000)
		require.NoError(t, err)
		_, err = consolidate(db, "p1", 4, 160_000_000)
		require.ErrorAs(t, err, &de)

		// A retry of a recorded consolidate is not judged again.
		rec, err := consolidate(db, "p1", 3, 140_000_000)
		require.NoError(t, err)
		require.False(t, rec)

		// The cycle cannot lower the ceiling below the 190,000,000 reserved,
		// and the refusal names the field.
		d := domain.CycleDetail{
			Cycle:    domain.Cycle{ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, Calendar: calendar2027(), CreatedBy: "kadis.sultra", CreatedAt: d26(1, 5)},
			Ceilings: []domain.Ceiling{{RegionCode: "74.71", AmountIDR: 10_000_000}, {RegionCode: "74.05", AmountIDR: 180_000_000}},
		}
		_, err = db.RecordCycle(ctx, d, cycleEvent(2, "set_ceilings", "run-a"))
		require.ErrorAs(t, err, &de)
		require.Equal(t, []domain.FieldError{{Field: "ceilings[1].amount_idr",
			Message: "Pagu indikatif 74.05 (Rp 180.000.000) lebih kecil dari pagu konsolidasi yang sudah terpakai (Rp 190.000.000)."}}, de.Fields)
		got, err := db.GetCycleDetail(ctx, "74-2027", d26(4, 2))
		require.NoError(t, err)
		require.Equal(t, []domain.Ceiling{{RegionCode: "74.05", AmountIDR: 200_000_000}}, got.Ceilings, "the refused change wrote nothing")

		d.Ceilings[1].AmountIDR = 190_000_000
		_, err = db.RecordCycle(ctx, d, cycleEvent(2, "set_ceilings", "run-a"))
		require.NoError(t, err)
	})
}

// A transition replaced at its seq (the workflow was reset and decided
// otherwise) takes its reservation with it: what the proposal reserves
// follows the state that replaces it.
func TestReplacedConsolidateFollowsTheSnapshot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ceilingFixture(t, db, "p1", "p2")
		_, err := consolidate(db, "p1", 2, 150_000_000)
		require.NoError(t, err)
		_, err = consolidate(db, "p1", 3, 180_000_000)
		require.NoError(t, err)

		// replace records, at seq, a transition of another decision (the
		// event's transition ID differs) leaving p1 in stage at amount.
		replace := func(seq int64, action string, stage domain.Stage, amount int64) {
			t.Helper()
			p, ev := consolidationStep("p1", seq, action, stage, amount)
			rec, err := db.RecordTransition(ctx, p, ev)
			require.NoError(t, err)
			require.True(t, rec, "the replacing transition is recorded")
		}

		// The re-consolidate at seq 3 is replaced by a lock: p1 holds its
		// 150,000,000 of seq 2 again, so 50,000,000 is left, not 20,000,000.
		replace(3, "lock", domain.StageMinistry, 150_000_000)
		_, err = consolidate(db, "p2", 2, 60_000_000)
		var de *domain.Error
		require.ErrorAs(t, err, &de, "150,000,000 + 60,000,000 is over the ceiling")
		require.Contains(t, de.Message, "sudah terpakai Rp 150.000.000")
		_, err = consolidate(db, "p2", 2, 50_000_000)
		require.NoError(t, err)

		// The consolidate at seq 2 is replaced by a defer: p1 reserves
		// nothing, and p2 may take the whole ceiling.
		replace(2, "defer", domain.StageDeferred, 0)
		events, err := db.ListProposalEvents(ctx, "p1")
		require.NoError(t, err)
		require.Len(t, events, 2, "create and the defer that replaced seq 2 and what followed")
		_, err = consolidate(db, "p2", 3, 200_000_000)
		require.NoError(t, err)
	})
}

// Consolidates racing for the last of a ceiling are judged one after the
// other: exactly as many fit as the ceiling allows.
func TestRecordConsolidationRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := make([]string, 8)
		for i := range ids {
			ids[i] = fmt.Sprintf("p%d", i+1)
		}
		ceilingFixture(t, db, ids...)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			ok, bad int
		)
		for _, id := range ids {
			wg.Go(func() {
				_, err := consolidate(db, id, 2, 60_000_000)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else if domain.ErrorCode(err) == domain.EINVALID {
					bad++
				} else {
					t.Errorf("consolidate %s: %v", id, err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, 3, ok, "3 × 60,000,000 fit 200,000,000")
		require.Equal(t, 5, bad)
	})
}
