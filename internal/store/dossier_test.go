package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// Concurrent creates in one region and year get distinct, dense numbers;
// another region or year counts on its own.
func TestNextProposalNumberConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 40
		got := make(chan string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				num, err := db.NextProposalNumber(ctx, "74.05.03", 2027)
				require.NoError(t, err)
				got <- num
			}()
		}
		wg.Wait()
		close(got)
		seen := map[string]bool{}
		for num := range got {
			require.False(t, seen[num], "number %s handed out twice", num)
			seen[num] = true
		}
		require.Len(t, seen, n)
		require.True(t, seen["74.05.03/2027/0001"])
		require.True(t, seen["74.05.03/2027/0040"])
		other, err := db.NextProposalNumber(ctx, "74.05.03", 2028)
		require.NoError(t, err)
		require.Equal(t, "74.05.03/2028/0001", other)
	})
}

// The dossier survives the projection, and a second proposal cannot take a
// number already used.
func TestDossierProjection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedCycle(t, db)
		at := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC)
		p := sampleProposal(at)
		p.Number = "74.05.03/2027/0001"
		p.Origin = "musrenbang_kecamatan"
		p.Locations = []string{"74.05.03.2001", "74.05.03.2002"}
		p.RAB = []domain.RABLine{{Uraian: "Narasumber", Volume: 2, Satuan: "OH", HargaSatuanIDR: 1_500_000, JumlahIDR: 3_000_000}}
		actor := domain.Actor{Username: "planner", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
		_, err := db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: "p1", Seq: 1, Action: "create", ToStage: domain.StageDraft, Actor: actor, At: at})
		require.NoError(t, err)
		got, err := db.GetProposal(ctx, "p1")
		require.NoError(t, err)
		require.Equal(t, p.Number, got.Number)
		require.Equal(t, p.Origin, got.Origin)
		require.Equal(t, p.Locations, got.Locations)
		require.Equal(t, p.RAB, got.RAB)

		q := sampleProposal(at)
		q.ID, q.Number = "p2", p.Number
		recorded, err := db.RecordTransition(ctx, q, domain.ProposalEvent{ProposalID: "p2", Seq: 1, Action: "create", ToStage: domain.StageDraft, Actor: actor, At: at})
		// The unique index refuses it (reported like a lost race: nothing written).
		require.False(t, recorded, "a number is unique")
		_, err = db.GetProposal(ctx, "p2")
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
	})
}
