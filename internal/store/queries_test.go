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

// seedQueries writes regions of two kab/kota and one proposal per entry.
func seedQueries(t *testing.T, db *store.DB, rows []domain.Proposal) {
	t.Helper()
	ctx := context.Background()
	_, err := db.InsertRegions(ctx, []store.Region{
		{Code: "74", Name: "Sulawesi Tenggara", Level: 1},
		{Code: "74.05", Name: "Konawe Selatan", Level: 2, ParentCode: "74"},
		{Code: "74.05.03", Name: "Andoolo", Level: 3, ParentCode: "74.05"},
		{Code: "74.05.04", Name: "Buke", Level: 3, ParentCode: "74.05"},
		{Code: "74.71", Name: "Kendari", Level: 2, ParentCode: "74"},
		{Code: "74.71.01", Name: "Mandonga", Level: 3, ParentCode: "74.71"},
	})
	require.NoError(t, err)
	for _, fy := range []int{2027, 2028} {
		require.NoError(t, db.SaveCycle(ctx, domain.Cycle{ID: domain.CycleID("74", fy), ProvinceCode: "74", FiscalYear: fy, CreatedBy: "x",
			Calendar: domain.Calendar{SubmissionDeadline: time.Now()}}))
	}
	for _, p := range rows {
		if p.CycleID == "" {
			p.CycleID = "74-2027"
		}
		p.Version, p.UpdatedAt = 1, p.CreatedAt
		_, err := db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: p.ID, Seq: 1, Action: "create", ToStage: p.Stage,
			Actor: domain.Actor{Username: p.CreatedBy}, At: p.CreatedAt})
		require.NoError(t, err)
	}
}

func idsOf(ps []domain.Proposal) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func TestListProposalsScopesFiltersAndKeyset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		base := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
		mk := func(id, region string, stage domain.Stage, sec int, title string) domain.Proposal {
			return domain.Proposal{ID: id, RegionCode: region, Title: title, Stage: stage, CreatedBy: "u", CreatedAt: base.Add(time.Duration(sec) * time.Second)}
		}
		seedQueries(t, db, []domain.Proposal{
			mk("a", "74.05.03", domain.StageDraft, 1, "Pelatihan Batik"),
			mk("b", "74.05.03", domain.StageDraft, 1, "Bazar 100% lokal"),
			mk("c", "74.05.04", domain.StageKabKotaReview, 2, "Rumah produksi"),
			mk("d", "74.05", domain.StageRakorda, 3, "Sarana PLUT"),
			mk("e", "74.71.01", domain.StageDraft, 4, "Pendataan UMKM"),
		})
		list := func(q store.ProposalQuery) []string {
			t.Helper()
			ps, _, err := db.ListProposals(ctx, q)
			require.NoError(t, err)
			return idsOf(ps)
		}
		require.Equal(t, []string{"e", "d", "c", "b", "a"}, list(store.ProposalQuery{Scopes: []string{"*"}}))
		require.Equal(t, []string{"d", "c", "b", "a"}, list(store.ProposalQuery{Scopes: []string{"74.05"}}))
		require.Equal(t, []string{"b", "a"}, list(store.ProposalQuery{Scopes: []string{"74.05.03"}}))
		require.Equal(t, []string{"e", "b", "a"}, list(store.ProposalQuery{Scopes: []string{"74.05.03", "74.71"}}))
		require.Equal(t, []string{}, list(store.ProposalQuery{Scopes: []string{"74.0"}}), "a scope is not a text prefix")
		require.Equal(t, []string{}, list(store.ProposalQuery{}), "no scope sees nothing")
		require.Equal(t, []string{"c"}, list(store.ProposalQuery{Scopes: []string{"*"}, Stage: domain.StageKabKotaReview}))
		require.Equal(t, []string{"c"}, list(store.ProposalQuery{Scopes: []string{"*"}, Region: "74.05.04"}))
		require.Equal(t, []string{"b"}, list(store.ProposalQuery{Scopes: []string{"*"}, Q: "100%"}))
		require.Equal(t, []string{"a"}, list(store.ProposalQuery{Scopes: []string{"*"}, Q: "BATIK"}))
		require.Equal(t, []string{}, list(store.ProposalQuery{Scopes: []string{"*"}, CycleID: "74-2028"}))

		// Keyset pages of two: ties on created_at broken by id, no repeats.
		var all []string
		q := store.ProposalQuery{Scopes: []string{"*"}, Limit: 2}
		for {
			ps, next, err := db.ListProposals(ctx, q)
			require.NoError(t, err)
			all = append(all, idsOf(ps)...)
			if next == nil {
				break
			}
			q.After = next
		}
		require.Equal(t, []string{"e", "d", "c", "b", "a"}, all)

		_, err := db.GetProposalWithin(ctx, "d", []string{"74.05.03"})
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err), "a parent's proposal is hidden")
		p, err := db.GetProposalWithin(ctx, "d", []string{"74.05"})
		require.NoError(t, err)
		require.Equal(t, "d", p.ID)
		_, err = db.GetProposalWithin(ctx, "d", nil)
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
	})
}

// The summary counts in the database what a list would page through: the
// same scopes and filters, per stage and per kab/kota.
func TestSummarizeProposals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
		mk := func(id, region string, stage domain.Stage, amount int64) domain.Proposal {
			return domain.Proposal{ID: id, RegionCode: region, Title: "Usulan " + id, Stage: stage, AmountIDR: amount, CreatedBy: "u", CreatedAt: at}
		}
		seedQueries(t, db, []domain.Proposal{
			mk("a", "74.05.03", domain.StageDraft, 100),
			mk("b", "74.05.04", domain.StageDraft, 20),
			mk("c", "74.05", domain.StageRakorda, 3),
			mk("d", "74.71.01", domain.StageRakorda, 500),
			mk("e", "74", domain.StageDraft, 7),
			{ID: "f", CycleID: "74-2028", RegionCode: "74.05.03", Title: "Tahun lain", Stage: domain.StageDraft, AmountIDR: 9, CreatedBy: "u", CreatedAt: at},
		})
		sum := func(q store.ProposalQuery) store.ProposalSummary {
			t.Helper()
			s, err := db.SummarizeProposals(ctx, q)
			require.NoError(t, err)
			return s
		}
		require.Equal(t, store.ProposalSummary{Count: 5, AmountIDR: 630,
			Stages:  []store.SummaryGroup{{Key: "draft", Count: 3, AmountIDR: 127}, {Key: "rakorda", Count: 2, AmountIDR: 503}},
			KabKota: []store.SummaryGroup{{Key: "74.71", Count: 1, AmountIDR: 500}, {Key: "74.05", Count: 3, AmountIDR: 123}, {Key: "74", Count: 1, AmountIDR: 7}},
		}, sum(store.ProposalQuery{Scopes: []string{"*"}, CycleID: "74-2027"}))
		require.Equal(t, store.ProposalSummary{Count: 3, AmountIDR: 123,
			Stages:  []store.SummaryGroup{{Key: "draft", Count: 2, AmountIDR: 120}, {Key: "rakorda", Count: 1, AmountIDR: 3}},
			KabKota: []store.SummaryGroup{{Key: "74.05", Count: 3, AmountIDR: 123}},
		}, sum(store.ProposalQuery{Scopes: []string{"74.05"}, CycleID: "74-2027"}), "a kab/kota sees its own")
		require.Equal(t, int64(1), sum(store.ProposalQuery{Scopes: []string{"*"}, CycleID: "74-2027", Stage: domain.StageDraft, Region: "74.05.04"}).Count)
		require.Equal(t, int64(6), sum(store.ProposalQuery{Scopes: []string{"*"}}).Count, "every cycle")
		require.Equal(t, store.ProposalSummary{}, sum(store.ProposalQuery{CycleID: "74-2027"}), "no scope counts nothing")
	})
}

func TestListTaskCandidates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		due := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		mk := func(id, region string, stage domain.Stage, hours int, creator, cycle string) domain.Proposal {
			d := due.Add(time.Duration(hours) * time.Hour)
			return domain.Proposal{ID: id, CycleID: cycle, RegionCode: region, Title: id, Stage: stage, CreatedBy: creator, DueAt: &d, CreatedAt: due}
		}
		rows := []domain.Proposal{
			mk("kec-1", "74.05.03", domain.StageDraft, 5, "siti", ""),
			mk("kec-2", "74.05.03", domain.StageDraft, 1, "budi", ""),
			mk("kab-1", "74.05", domain.StageDraft, 3, "siti", ""),
			mk("kec-3", "74.05.04", domain.StageDraft, 2, "siti", "74-2028"),
			mk("ken-1", "74.71.01", domain.StageDraft, 0, "siti", ""),
			mk("rev-1", "74.05.03", domain.StageKabKotaReview, 4, "siti", ""),
		}
		for i := range 5 {
			rows = append(rows, mk(fmt.Sprintf("tie-%d", i), "74.05.04", domain.StageKabKotaReview, 4, "budi", ""))
		}
		noDue := mk("nodue", "74.05.03", domain.StageDraft, 0, "siti", "")
		noDue.DueAt = nil
		rows = append(rows, noDue)
		seedQueries(t, db, rows)
		tasks := func(q store.TaskQuery) []string {
			t.Helper()
			ps, err := db.ListTaskCandidates(ctx, q)
			require.NoError(t, err)
			return idsOf(ps)
		}
		draft := store.TaskClause{Stage: domain.StageDraft, Within: "74.05"}
		require.Equal(t, []string{"kec-2", "kec-3", "kab-1", "kec-1"}, tasks(store.TaskQuery{Clauses: []store.TaskClause{draft}}))
		onlyKab := draft
		onlyKab.Lengths = []int{5}
		require.Equal(t, []string{"kab-1"}, tasks(store.TaskQuery{Clauses: []store.TaskClause{onlyKab}}))
		mine := draft
		mine.CreatedBy = "siti"
		require.Equal(t, []string{"kec-3", "kab-1", "kec-1"}, tasks(store.TaskQuery{Clauses: []store.TaskClause{mine}}))
		cycle := draft
		cycle.CycleIDs = []string{"74-2028"}
		require.Equal(t, []string{"kec-3"}, tasks(store.TaskQuery{Clauses: []store.TaskClause{cycle}}))
		cycle.CycleIDs = []string{}
		require.Equal(t, []string{}, tasks(store.TaskQuery{Clauses: []store.TaskClause{cycle}}), "no open cycle: nothing")
		exact := store.TaskClause{Stage: domain.StageDraft, Regions: []string{"74.05"}}
		require.Equal(t, []string{"kab-1"}, tasks(store.TaskQuery{Clauses: []store.TaskClause{exact}}))
		national := store.TaskClause{Stage: domain.StageDraft, Within: "*"}
		require.Equal(t, []string{"ken-1", "kec-2", "kec-3", "kab-1", "kec-1"}, tasks(store.TaskQuery{Clauses: []store.TaskClause{national}}))

		// Overlapping clauses are merged without duplicates, soonest first;
		// pages follow the cursor, ties included.
		review := store.TaskClause{Stage: domain.StageKabKotaReview, Within: "74.05"}
		q := store.TaskQuery{Clauses: []store.TaskClause{draft, national, review}, Limit: 3}
		var all []string
		for range 10 {
			ps, err := db.ListTaskCandidates(ctx, q)
			require.NoError(t, err)
			all = append(all, idsOf(ps)...)
			if len(ps) < q.Limit {
				break
			}
			last := ps[len(ps)-1]
			q.After = &store.TaskCursor{DueAt: *last.DueAt, ID: last.ID}
		}
		require.Equal(t, []string{"ken-1", "kec-2", "kec-3", "kab-1", "rev-1", "tie-0", "tie-1", "tie-2", "tie-3", "tie-4", "kec-1"}, all)

		_, err := db.ListTaskCandidates(ctx, store.TaskQuery{Clauses: []store.TaskClause{{Stage: domain.StageDraft, Within: "74.0"}}})
		require.Error(t, err, "a scope that is no region code is a bug, not an empty inbox")
	})
}

func TestListAndDeleteUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, u := range []string{"citra", "adi", "budi", "dewi", "eko"} {
			require.NoError(t, db.CreateUser(ctx, store.User{Username: u, FullName: u, PasswordHash: "hash-" + u}))
		}
		var names []string
		q := store.UserQuery{Limit: 2}
		for {
			us, more, err := db.ListUsers(ctx, q)
			require.NoError(t, err)
			for _, u := range us {
				require.Empty(t, u.PasswordHash)
				names = append(names, u.Username)
			}
			if !more {
				break
			}
			q.After = us[len(us)-1].Username
		}
		require.Equal(t, []string{"adi", "budi", "citra", "dewi", "eko"}, names)
		require.NoError(t, db.DeleteUser(ctx, "citra"))
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(db.DeleteUser(ctx, "citra")))
		_, err := db.GetUser(ctx, "citra")
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
	})
}

// TestRegionScopeIsScopeCovers checks the SQL form of region scope (a range
// over the index) against domain.ScopeCovers, the rule it must equal, on
// codes that sit next to each other in byte order and in a linguistic
// order: on SQLite, PostgreSQL, and PostgreSQL whose default collation is
// Indonesian (ICU), where only COLLATE "C" keeps the range exact.
func TestRegionScopeIsScopeCovers(t *testing.T) {
	codes := []string{"7", "74", "74.0", "74.05", "74.05.03", "74.05.03.2001", "74.05.031", "74.050", "74.06", "74.1", "75", "741"}
	scopes := []string{"*", "74", "74.05", "74.05.03", "74.05.03.2001", "74.0", "7", "75"}
	check := func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var regions []store.Region
		for _, c := range codes {
			regions = append(regions, store.Region{Code: c, Name: "Wilayah " + c, Level: 1})
		}
		_, err := db.InsertRegions(ctx, regions)
		require.NoError(t, err)
		require.NoError(t, db.SaveCycle(ctx, domain.Cycle{ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, CreatedBy: "x",
			Calendar: domain.Calendar{SubmissionDeadline: time.Now()}}))
		at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
		for i, c := range codes {
			p := domain.Proposal{ID: "p" + c, CycleID: "74-2027", RegionCode: c, Title: "x", Stage: domain.StageDraft, CreatedBy: "u",
				CreatedAt: at.Add(time.Duration(i) * time.Second), Version: 1}
			p.UpdatedAt = p.CreatedAt
			_, err := db.RecordTransition(ctx, p, domain.ProposalEvent{ProposalID: p.ID, Seq: 1, Action: "create", ToStage: p.Stage,
				Actor: domain.Actor{Username: "u"}, At: p.CreatedAt})
			require.NoError(t, err)
		}
		for _, scope := range scopes {
			want := []string{}
			for _, c := range codes {
				if domain.ScopeCovers(scope, c) {
					want = append(want, "p"+c)
				}
			}
			ps, _, err := db.ListProposals(ctx, store.ProposalQuery{Scopes: []string{scope}, Limit: 100})
			require.NoError(t, err)
			require.ElementsMatch(t, want, idsOf(ps), "scope %s", scope)
			sum, err := db.SummarizeProposals(ctx, store.ProposalQuery{Scopes: []string{"*"}, Region: scope})
			require.NoError(t, err)
			if scope != "*" {
				require.EqualValues(t, len(want), sum.Count, "region filter %s", scope)
			}
		}
	}
	storetest.Each(t, check)
	t.Run("postgres-id-ID-shifted", func(t *testing.T) { check(t, storetest.PostgresICU(t, "id-ID-u-ka-shifted")) })
}
