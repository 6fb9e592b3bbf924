package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// TestKMPProjection: starts are inserted once, changes are idempotent on
// seq, the summary counts "at least" per milestone by child region within
// the byte-order range, and the desa pages follow the code order.
func TestKMPProjection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		_, err := db.InsertRegions(ctx, []store.Region{
			{Code: "74", Name: "Sultra", Level: 1}, {Code: "74.05", Name: "Konsel", Level: 2, ParentCode: "74"},
			{Code: "74.05.03", Name: "Andoolo", Level: 3, ParentCode: "74.05"}, {Code: "74.05.04", Name: "Buke", Level: 3, ParentCode: "74.05"},
			{Code: "74.05.03.2001", Name: "A", Level: 4, ParentCode: "74.05.03"}, {Code: "74.05.03.2002", Name: "B", Level: 4, ParentCode: "74.05.03"},
			{Code: "74.05.04.2001", Name: "C", Level: 4, ParentCode: "74.05.04"},
			{Code: "74.06", Name: "Bombana", Level: 2, ParentCode: "74"}, {Code: "74.06.01", Name: "X", Level: 3, ParentCode: "74.06"},
			{Code: "74.06.01.2001", Name: "D", Level: 4, ParentCode: "74.06.01"},
		})
		require.NoError(t, err)
		desa, err := db.DesaUnder(ctx, "74.05", "", 2)
		require.NoError(t, err)
		require.Equal(t, "74.05.03.2002", desa[1].Code)
		desa, err = db.DesaUnder(ctx, "74.05", "74.05.03.2002", 10)
		require.NoError(t, err)
		require.Len(t, desa, 1)
		n, err := db.CountDesaUnder(ctx, "*")
		require.NoError(t, err)
		require.EqualValues(t, 4, n)

		now := time.Now().UTC().Truncate(time.Second)
		var ks []store.KMP
		for _, c := range []string{"74.05.03.2001", "74.05.03.2002", "74.05.04.2001", "74.06.01.2001"} {
			ks = append(ks, store.KMP{RegionCode: c, Name: c, StartedAt: now})
		}
		added, err := db.InsertKMPStarts(ctx, ks)
		require.NoError(t, err)
		require.EqualValues(t, 4, added)
		added, err = db.InsertKMPStarts(ctx, ks)
		require.NoError(t, err)
		require.EqualValues(t, 0, added)

		k := ks[0]
		k.Reached, k.Seq, k.Late = 4, 1, false
		ok, err := db.RecordKMP(ctx, k, store.KMPEvent{RegionCode: k.RegionCode, Seq: 1, Action: "musdes", At: now})
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.RecordKMP(ctx, k, store.KMPEvent{RegionCode: k.RegionCode, Seq: 1, Action: "musdes", At: now})
		require.NoError(t, err)
		require.False(t, ok, "a retry writes nothing")
		l := ks[2]
		l.Late, l.Seq, l.Escalation = true, 1, "camat"
		_, err = db.RecordKMP(ctx, l, store.KMPEvent{RegionCode: l.RegionCode, Seq: 1, Action: "late", At: now},
			domain.Notification{ID: "n1", Kind: "kmp_late", RecipientRole: domain.RoleCamat, RecipientScope: "74.05.04", Message: "x", CreatedAt: now})
		require.NoError(t, err)

		sum, err := db.KMPSummary(ctx, "74.05")
		require.NoError(t, err)
		require.EqualValues(t, 3, sum.Total)
		require.EqualValues(t, 1, sum.Late)
		require.EqualValues(t, 1, sum.ByMilestone[domain.KMPBadanHukum])
		require.EqualValues(t, 0, sum.ByMilestone[domain.KMPNIB])
		require.Len(t, sum.Children, 2)
		require.Equal(t, "74.05.03", sum.Children[0].Region)
		require.EqualValues(t, 2, sum.Children[0].Total)
		require.EqualValues(t, 1, sum.Children[1].Late)
		nat, err := db.KMPSummary(ctx, "*")
		require.NoError(t, err)
		require.EqualValues(t, 4, nat.Total)
		desaSum, err := db.KMPSummary(ctx, "74.05.03.2001")
		require.NoError(t, err)
		require.EqualValues(t, 1, desaSum.Total)

		late := true
		got, err := db.ListKMP(ctx, store.KMPQuery{Region: "74", Late: &late})
		require.NoError(t, err)
		require.Len(t, got, 1)
		got, err = db.ListKMP(ctx, store.KMPQuery{Region: "74.05", EscalatedTo: []string{"camat"}, Incomplete: true, ByDue: true})
		require.NoError(t, err)
		require.Len(t, got, 1)

		job := store.KMPStartJob{ID: "j", Region: "74.05", Status: store.JobRunning, Total: 3, Deadlines: domain.KMPDeadlines{domain.KMPMusdes: now}}
		require.NoError(t, db.SaveKMPStartJob(ctx, job))
		job.Started, job.Status = 3, store.JobDone
		require.NoError(t, db.SaveKMPStartJob(ctx, job))
		j, err := db.GetKMPStartJob(ctx, "j")
		require.NoError(t, err)
		require.EqualValues(t, 3, j.Started)
		require.Equal(t, store.JobDone, j.Status)
	})
}
