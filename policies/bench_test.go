package policies

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

const benchUsers = 100_000

// benchGrant makes up the grant of user i, spread over 84 provinces (11..94),
// 20 kab/kota and 20 kecamatan each; every tenth is a time-bound delegation.
func benchGrant(i int, now time.Time) (username string, row store.GrantLine, region string) {
	prov := 11 + i%84
	kab := 1 + (i/84)%20
	kec := 1 + (i/1680)%20
	kecCode := fmt.Sprintf("%02d.%02d.%02d", prov, kab, kec)
	roles := []domain.Role{
		domain.RolePerencanaKecamatan, domain.RoleCamat, domain.RolePerencanaKabKota,
		domain.RoleReviewerKabKota, domain.RoleKadisKabKota, domain.RolePerencanaProvinsi, domain.RoleKadisProvinsi,
	}
	role := roles[i%len(roles)]
	var scope string
	switch role.ScopeLevel() {
	case domain.LevelKecamatan:
		scope = kecCode
	case domain.LevelKabKota:
		scope = domain.RegionParent(kecCode)
	default:
		scope = domain.RegionProvince(kecCode)
	}
	username = fmt.Sprintf("user%06d", i)
	row = store.GrantLine{Username: username, Role: string(role), Scope: scope}
	if i%10 == 0 {
		row.ValidFrom = now.Add(-24 * time.Hour).UTC().Format(time.RFC3339)
		row.ValidUntil = now.Add(24 * time.Hour).UTC().Format(time.RFC3339)
	}
	return username, row, kecCode
}

func seedBenchGrants(b *testing.B, db *store.DB, now time.Time) (users, regions []string) {
	b.Helper()
	rows := make([]store.GrantLine, 0, benchUsers)
	for i := 0; i < benchUsers; i++ {
		u, row, region := benchGrant(i, now)
		rows = append(rows, row)
		users = append(users, u)
		regions = append(regions, region)
	}
	_, _, err := db.ChangeGrants(context.Background(), func(tx store.GrantTx) error { return tx.InsertGrants(rows) })
	require.NoError(b, err)
	return users, regions
}

// BenchmarkDecide100kGrants: one decision with 100,000 users' grants loaded.
// It also reports how long New takes to seed and load them (load-ms).
func BenchmarkDecide100kGrants(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		// Set up once per dialect on the parent: b.Run calls its function
		// several times while it sizes b.N.
		var db *store.DB
		if dialect == "sqlite" {
			db = storetest.SQLite(b)
		} else {
			db = storetest.Postgres(b)
		}
		ctx := context.Background()
		now := time.Now()
		users, regions := seedBenchGrants(b, db, now)

		start := time.Now()
		a, err := New(ctx, db, WithPollInterval(0))
		require.NoError(b, err)
		load := time.Since(start)
		b.Cleanup(a.Close)

		reqs := make([]Request, 1024)
		for i := range reqs {
			j := (i * 7919) % benchUsers
			reqs[i] = Request{Username: users[j], Object: StageObject(domain.StageKabKotaReview),
				Action: string(domain.ActionApprove), Region: regions[j], At: now}
		}
		allowed := 0
		for _, r := range reqs {
			d, err := a.Decide(ctx, r)
			require.NoError(b, err)
			if d.Allowed {
				allowed++
			}
		}
		require.NotZero(b, allowed)
		require.Less(b, allowed, len(reqs))

		b.Run(dialect, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := a.Decide(ctx, reqs[i%len(reqs)]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(load.Milliseconds()), "load-ms")
		})
	}
}
