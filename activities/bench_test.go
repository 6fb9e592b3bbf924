package activities_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// lifecycle is the path of a proposal that reaches final: the transitions
// RecordTransition projects, in order.
var lifecycle = []struct {
	action   string
	from, to domain.Stage
}{
	{"create", "", domain.StageDraft},
	{"submit", domain.StageDraft, domain.StageKabKotaReview},
	{"approve", domain.StageKabKotaReview, domain.StageRakorda},
	{"accept", domain.StageRakorda, domain.StageConsolidation},
	{"consolidate", domain.StageConsolidation, domain.StageConsolidation},
	{"lock", domain.StageConsolidation, domain.StageMinistry},
	{"fund", domain.StageMinistry, domain.StageSIPDMapping},
	{"map", domain.StageSIPDMapping, domain.StageFinal},
}

// BenchmarkRecordTransition measures the projection write every transition
// waits for (issue 9's hot paths): one proposal row upserted and one
// proposal_events row appended in one transaction. Iteration i is step
// i%8 of proposal i/8's lifecycle, so the tables grow as they do in a
// cycle. The retry sub-benchmark replays a transition already recorded,
// which is what an activity retry after a lost answer costs.
func BenchmarkRecordTransition(b *testing.B) {
	for _, dialect := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(dialect.name, func(b *testing.B) {
			db := dialect.open(b)
			seedBenchCycle(b, db)
			a := activities.New(db)
			ctx := context.Background()

			b.Run("new", func(b *testing.B) {
				run := time.Now().UnixNano()
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					in := benchTransition(fmt.Sprintf("b%d-%d", run, i/len(lifecycle)), i%len(lifecycle))
					res, err := a.RecordTransition(ctx, in)
					if err != nil || !res.Recorded {
						b.Fatalf("transition %d: recorded=%v err=%v", i, res.Recorded, err)
					}
				}
			})
			b.Run("retry", func(b *testing.B) {
				in := benchTransition(fmt.Sprintf("r%d", time.Now().UnixNano()), 0)
				if _, err := a.RecordTransition(ctx, in); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					res, err := a.RecordTransition(ctx, in)
					if err != nil || res.Recorded {
						b.Fatalf("retry: recorded=%v err=%v", res.Recorded, err)
					}
				}
			})
		})
	}
}

func benchTransition(id string, step int) activities.RecordTransitionInput {
	s := lifecycle[step]
	at := time.Date(2026, 1, 10, 8, 0, 0, 0, time.UTC).Add(time.Duration(step) * time.Hour)
	due := at.Add(48 * time.Hour)
	actor := domain.Actor{Username: "planner", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
	return activities.RecordTransitionInput{
		Proposal: domain.Proposal{
			ID: id, CycleID: "74-2027", RegionCode: "74.05.03", Title: "Pelatihan pengemasan produk UMKM",
			Description: "Pelatihan bagi 30 pelaku UMKM", Category: "pelatihan", AmountIDR: 125_000_000,
			FundingSource: "apbd_kabkota", Indicators: []domain.Indicator{{Name: "UMKM terlatih", Target: 30, Unit: "orang"}},
			Beneficiaries: "30 pelaku UMKM", Stage: s.to, CreatedBy: "planner", DueAt: &due,
			Version: int64(step + 1), CreatedAt: at, UpdatedAt: at,
		},
		Event: domain.ProposalEvent{ProposalID: id, Seq: int64(step + 1), Action: s.action, FromStage: s.from, ToStage: s.to, Actor: actor, At: at},
	}
}

// seedBenchCycle inserts the regions and the cycle the benchmark's
// proposals refer to.
func seedBenchCycle(b *testing.B, db *store.DB) {
	b.Helper()
	ctx := context.Background()
	for _, q := range []string{
		"INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05', 'Kabupaten Muna', 2, '74')",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05.03', 'Kecamatan Tongkuno', 3, '74.05')",
	} {
		if err := db.ExecSQL(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	if err := db.SaveCycle(ctx, domain.Cycle{
		ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, CreatedBy: "kadis",
		Calendar: domain.Calendar{
			SubmissionDeadline: d(2, 1), ReviewDeadline: d(3, 1), RakordaStart: d(4, 1), RakordaEnd: d(4, 5),
			ConsolidationDeadline: d(5, 1), MinistryDeadline: d(6, 1), MappingDeadline: d(7, 1),
		},
	}); err != nil {
		b.Fatal(err)
	}
}
