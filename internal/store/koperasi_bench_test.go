package store_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/register"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// The register's speed targets (issue 17), measured here:
//
//	go test -run '^$' -bench 'ImportKoperasi|KoperasiIndicators' -benchtime 1x -count 3 ./internal/store/
//
// BenchmarkImportKoperasi imports one file of N rows (the whole national
// register, about 200,000 koperasi, in one kab/kota's file) through the
// parser and store.ImportKoperasi, on a fresh database each time, and
// reports rows/s and the peak Go heap sampled during the import, which
// stays flat from 20,000 to 200,000 rows. BenchmarkKoperasiIndicators
// times the indicators of the largest province and of the country over a
// national register of about 200,000 koperasi in two years.

// benchRow is koperasi i of a synthetic register placed in desa, for year.
func benchRow(i int, desa string, year int) []string {
	status := domain.KoperasiAktif
	switch i % 10 {
	case 7, 8:
		status = domain.KoperasiTidakAktif
	case 9:
		status = domain.KoperasiDibubarkan
	}
	rat := ""
	if status == domain.KoperasiAktif && i%3 != 0 {
		rat = fmt.Sprintf("%d-03-%02d", year, 1+i%28)
	}
	nik := ""
	if i%10 != 3 {
		nik = fmt.Sprintf("%016d", 1_000_000_000_000_000+int64(i))
	}
	return []string{nik, fmt.Sprintf("AHU-%07d.AH.01.26", i), fmt.Sprintf("%d-%02d-%02d", 2000+i%26, 1+i%12, 1+i%28),
		fmt.Sprintf("Koperasi Bench %d", i), string(domain.Jenises[i%5]), desa, "tidak", string(status), rat,
		fmt.Sprint(9 + i%200), fmt.Sprint(int64(i%500+1) * 1_000_000), fmt.Sprint(int64(i%700) * 1_000_000),
		fmt.Sprint(int64(i%4000+10) * 1_000_000), fmt.Sprint(int64(i%100) * 500_000)}
}

// pipeCSV streams a CSV of the register's header and the records of
// next through a pipe, as an upload arrives.
func pipeCSV(next func() ([]string, bool)) *io.PipeReader {
	pr, pw := io.Pipe()
	go func() {
		cw := csv.NewWriter(pw)
		err := cw.Write(register.Header)
		for rec, ok := next(); ok && err == nil; rec, ok = next() {
			err = cw.Write(rec)
		}
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// benchImport imports records (from next) for kabkota and year through a
// CSV streamed by a pipe, so the whole file is never in memory.
func benchImport(ctx context.Context, db *store.DB, kabkota string, year int, next func() ([]string, bool)) (store.ImportResult, error) {
	pr := pipeCSV(next)
	defer pr.Close()
	rd, err := register.Open(pr, register.Options{KabKota: kabkota, Year: year, Now: regNow})
	if err != nil {
		return store.ImportResult{}, err
	}
	defer rd.Close()
	return db.ImportKoperasi(ctx, store.ImportOptions{KabKota: kabkota, Year: year, Actor: "bench", Now: regNow}, rd.Next)
}

// peakHeap samples the Go heap every 20 ms until stop is called and
// returns the highest HeapInuse seen.
func peakHeap() (stop func() uint64) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// regionsOnce caches the Kemendagri regions for the benchmarks.
var regionsOnce = sync.OnceValues(refdata.BuiltinRegions)

func benchDB(b *testing.B, dialect string) *store.DB {
	b.Helper()
	var db *store.DB
	if dialect == "postgres" {
		db = storetest.Postgres(b)
	} else {
		db = storetest.SQLite(b)
	}
	regions, err := regionsOnce()
	require.NoError(b, err)
	_, err = db.InsertRegions(context.Background(), regions)
	require.NoError(b, err)
	return db
}

// desaOf lists the desa of every kab/kota.
func desaOf(b *testing.B) map[string][]string {
	regions, err := regionsOnce()
	require.NoError(b, err)
	out := map[string][]string{}
	for _, r := range regions {
		if r.Level == domain.LevelDesa {
			kk := domain.RegionKabKota(r.Code)
			out[kk] = append(out[kk], r.Code)
		}
	}
	return out
}

func BenchmarkImportKoperasi(b *testing.B) {
	desas := desaOf(b)
	biggest := ""
	for kk, ds := range desas {
		if len(ds) > len(desas[biggest]) || (len(ds) == len(desas[biggest]) && kk < biggest) {
			biggest = kk
		}
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, n := range []int{20_000, 200_000} {
			b.Run(fmt.Sprintf("%s/rows=%d", dialect, n), func(b *testing.B) {
				ctx := context.Background()
				ds := desas[biggest]
				var peak uint64
				var elapsed, cpu time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					db := benchDB(b, dialect)
					openRound(b, db, biggest, 2026)
					runtime.GC()
					b.StartTimer()
					start, cpu0 := time.Now(), cpuTime(b)
					stop := peakHeap()
					k := 0
					res, err := benchImport(ctx, db, biggest, 2026, func() ([]string, bool) {
						if k == n {
							return nil, false
						}
						k++
						return benchRow(k, ds[k%len(ds)], 2026), true
					})
					peak = max(peak, stop())
					elapsed += time.Since(start)
					cpu += cpuTime(b) - cpu0
					require.NoError(b, err)
					require.Equal(b, n, res.Added)
				}
				b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "rows/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			})
		}
	}
}

func BenchmarkKoperasiIndicators(b *testing.B) {
	desas := desaOf(b)
	kabkota := make([]string, 0, len(desas))
	perProvince := map[string]int{}
	for kk, ds := range desas {
		kabkota = append(kabkota, kk)
		perProvince[domain.RegionProvince(kk)] += len(ds)
	}
	sort.Strings(kabkota)
	largest := ""
	for p, n := range perProvince {
		if n > perProvince[largest] {
			largest = p
		}
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			db := benchDB(b, dialect)
			total := 0
			for _, year := range []int{2025, 2026} {
				i := 0
				for _, kk := range kabkota {
					openRound(b, db, kk, year)
					ds := desas[kk]
					n := 0
					for j := range ds { // 2 or 3 koperasi per desa: about 200,000
						n += 2 + boolInt(j%5 < 2)
					}
					j := 0
					start := i
					res, err := benchImport(ctx, db, kk, year, func() ([]string, bool) {
						if j == n {
							return nil, false
						}
						j++
						return benchRow(start+j, ds[j%len(ds)], year), true
					})
					require.NoError(b, err)
					require.Equal(b, n, res.Added)
					i += n
				}
				total = i
			}
			b.Logf("%s: %d koperasi per year; largest province %s", dialect, total, largest)
			for _, region := range []string{largest, "*"} {
				name := "province"
				if region == "*" {
					name = "country"
				}
				b.Run(name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						ind, err := db.KoperasiIndicators(ctx, region, 2026)
						require.NoError(b, err)
						require.NotNil(b, ind.Previous)
					}
				})
			}
		})
	}
}

// cpuTime is the CPU time (user and system) this process used so far:
// on a shared machine whose other load stretches the wall time, it shows
// the import's own cost (PostgreSQL's server work is not in it).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}
