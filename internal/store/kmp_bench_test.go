package store_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// The KMP dashboard's speed targets (issue 19), measured here with the
// projection filled directly at national size (one KMP per desa/kelurahan
// of the shipped region data, 83,762, at mixed milestones, one in nine
// late):
//
//	go test -run '^$' -bench KMPSummary -count 5 ./internal/store/
//
// national: GET /kmp/summary?region=* (target < 300 ms); kabkota: the
// largest kab/kota (target < 20 ms).
func BenchmarkKMPSummary(b *testing.B) {
	desas := desaOf(b)
	var all []string
	biggest := ""
	for kk, ds := range desas {
		all = append(all, ds...)
		if len(ds) > len(desas[biggest]) || (len(ds) == len(desas[biggest]) && kk < biggest) {
			biggest = kk
		}
	}
	sort.Strings(all)
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			db := benchDB(b, dialect)
			now := time.Now().UTC().Truncate(time.Second)
			for i := 0; i < len(all); i += 5000 {
				var ks []store.KMP
				for _, c := range all[i:min(i+5000, len(all))] {
					ks = append(ks, store.KMP{RegionCode: c, Name: c, StartedAt: now})
				}
				n, err := db.InsertKMPStarts(ctx, ks)
				require.NoError(b, err)
				require.EqualValues(b, len(ks), n)
			}
			// Milestones through the projection's own write (RecordKMP),
			// for one desa in three, so the counts differ per milestone.
			for i := 0; i < len(all); i += 3 {
				k := store.KMP{RegionCode: all[i], Name: all[i], StartedAt: now, Reached: 1 + i%7, Seq: 1, Late: i%9 == 0}
				_, err := db.RecordKMP(ctx, k, store.KMPEvent{RegionCode: k.RegionCode, Seq: 1, Action: string(domain.KMPMusdes), At: now})
				require.NoError(b, err)
			}
			b.Logf("%s: %d KMP; largest kab/kota %s (%d)", dialect, len(all), biggest, len(desas[biggest]))
			for _, region := range []string{"*", biggest} {
				name := "national"
				if region != "*" {
					name = "kabkota"
				}
				b.Run(name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						s, err := db.KMPSummary(ctx, region)
						require.NoError(b, err)
						if region == "*" {
							require.EqualValues(b, len(all), s.Total)
						} else {
							require.EqualValues(b, len(desas[biggest]), s.Total)
						}
					}
				})
			}
		})
	}
}
