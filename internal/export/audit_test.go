package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

func TestAuditCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedLists(t, db)
		// A comment a spreadsheet would run as a formula, recorded late
		// but timed early: the trail is ordered by time, not by insertion.
		p, err := db.GetProposal(ctx, "u-ksel-2")
		require.NoError(t, err)
		seq, err := db.ProposalSeq(ctx, "u-ksel-2")
		require.NoError(t, err)
		early := time.Date(2026, 4, 2, 0, 5, 0, 0, time.UTC)
		_, err = db.RecordTransition(ctx, p, domain.ProposalEvent{
			ProposalID: "u-ksel-2", Seq: seq + 1, Action: "fund", FromStage: domain.StageMinistry, ToStage: domain.StageMinistry,
			Actor: liaison, Comment: "=SUM(A1:A9)", At: early,
		})
		require.NoError(t, err)

		scope, err := export.ResolveScope(ctx, db, "74-2027", 0)
		require.NoError(t, err)
		var buf bytes.Buffer
		n, err := export.WriteAuditCSV(ctx, db, scope, &buf)
		require.NoError(t, err)
		recs, err := csv.NewReader(&buf).ReadAll()
		require.NoError(t, err)
		require.Equal(t, export.AuditHeader, recs[0])
		require.Equal(t, []string{"waktu_utc", "waktu_lokal", "proposal_id", "aksi", "dari_tahap", "ke_tahap", "oleh", "peran", "komentar"}, recs[0])
		var want int64
		require.NoError(t, db.ScanSQL(context.Background(), &want, `SELECT COUNT(*) FROM proposal_events e JOIN proposals p ON p.id = e.proposal_id WHERE p.cycle_id = '74-2027'`))
		require.EqualValues(t, want, n)
		require.Len(t, recs, n+1)

		require.Equal(t, []string{"2026-04-02T00:05:00Z", "2026-04-02 08:05:00 WITA", "u-ksel-2", "fund", "ministry", "ministry",
			"penghubung", "penghubung_kementerian", "'=SUM(A1:A9)"}, recs[1], "the earliest event first, comment defused")
		var prev time.Time
		seen := map[string]bool{}
		for _, r := range recs[1:] {
			at, err := time.Parse(time.RFC3339, r[0])
			require.NoError(t, err)
			require.False(t, at.Before(prev), "oldest first")
			prev = at
			local, err := time.Parse("2006-01-02 15:04:05 MST", r[1])
			require.NoError(t, err)
			require.Equal(t, at.Add(8*time.Hour).Format("15:04"), local.Format("15:04"), "WITA is UTC+8")
			seen[r[2]] = true
			if r[3] == "accept" {
				require.Equal(t, []string{"rakorda", "consolidation", "kadis.sultra", "kadis_provinsi"}, r[4:8])
				require.Equal(t, "Rakorda "+r[2], r[8])
			}
		}
		require.True(t, seen["x-draft"], "every transition of the cycle, whatever the stage")
		require.False(t, seen["s-1"], "another province's cycle")
		require.False(t, seen["x-2026"], "another fiscal year's cycle")

		national, err := export.ResolveScope(ctx, db, "", 2027)
		require.NoError(t, err)
		_, err = export.WriteAuditCSV(ctx, db, national, &buf)
		require.Equal(t, domain.EINVALID, domain.ErrorCode(err))
	})
}

func TestProvinceZone(t *testing.T) {
	at := time.Date(2026, 4, 2, 1, 0, 0, 0, time.UTC)
	for code, want := range map[string]string{
		"11": "08:00 WIB", "31": "08:00 WIB", "62.01": "08:00 WIB", "51": "09:00 WITA", "64": "09:00 WITA",
		"74.05.03": "09:00 WITA", "76": "09:00 WITA", "81": "10:00 WIT", "96": "10:00 WIT", "99": "08:00 WIB",
	} {
		require.Equal(t, want, at.In(export.ProvinceZone(code)).Format("15:04 MST"), code)
	}
}
