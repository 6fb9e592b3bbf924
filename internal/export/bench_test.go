package export_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
)

// Benchmarks of the consolidated export of a whole fiscal year across every
// province (the largest export: a sheet per province) on SQLite, at 10,000
// and 100,000 proposals. Besides ns/op they report peak-heap-MB, the
// highest heap in use while exporting (sampled every millisecond), which
// must not grow with the rows, and, on Linux, peak-rss-MB, the process's
// resident high-water mark during the loop: it also counts the memory of
// the SQLite engine (modernc.org/sqlite allocates outside the Go heap):
//
//	go test -run '^$' -bench 'BenchmarkExport' -benchtime 3x ./internal/export/

var (
	benchMu   sync.Mutex
	benchDBs  = map[int]*store.DB{}
	benchDirs []string
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, db := range benchDBs {
		_ = db.Close()
	}
	for _, d := range benchDirs {
		_ = os.RemoveAll(d)
	}
	os.Exit(code)
}

// benchDB returns a SQLite database holding every Kemendagri region, the
// nomenclature seed, a 2027 cycle per province and n proposals spread over
// every kecamatan, each with two indicators and a Rakorda event; built once
// per size per process.
func benchDB(b *testing.B, n int) *store.DB {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if db, ok := benchDBs[n]; ok {
		return db
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rencana-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir)
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := refdata.LoadBuiltin(ctx, db); err != nil {
		b.Fatal(err)
	}
	regions, err := refdata.BuiltinRegions()
	if err != nil {
		b.Fatal(err)
	}
	var kecamatan []string
	for _, r := range regions {
		switch r.Level {
		case domain.LevelProvinsi:
			saveCycle(b, db, r.Code, 2027)
		case domain.LevelKecamatan:
			kecamatan = append(kecamatan, r.Code)
		}
	}
	seeds, err := refdata.BuiltinNomenclature()
	if err != nil {
		b.Fatal(err)
	}
	var subs []string
	for _, r := range seeds[1].Rows {
		if r.Level == store.NomenSubKegiatan && r.PemdaLevel == domain.PemdaKabKota {
			subs = append(subs, r.Code)
		}
	}
	indicators, _ := json.Marshal([]domain.Indicator{{Name: "Pelaku UMKM terlatih", Target: 40, Unit: "orang"}, {Name: "Koperasi dibina", Target: 2, Unit: "unit"}})
	at := time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)
	stages := []domain.Stage{domain.StageMinistry, domain.StageSIPDMapping, domain.StageFinal, domain.StageDeclined, domain.StageConsolidation}

	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 100
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		var (
			pq, eq strings.Builder
			pargs  []any
			eargs  []any
		)
		pq.WriteString(`INSERT INTO proposals (id, cycle_id, region_code, title, description, category, amount_idr, funding_source,
			indicators, sipd_code, stage, priority, consolidated, consolidated_amount_idr, created_by, version, seq, created_at, updated_at) VALUES `)
		eq.WriteString(`INSERT INTO proposal_events (proposal_id, seq, action, from_stage, to_stage, actor, actor_role, actor_scope, comment, at) VALUES `)
		for i := lo; i < hi; i++ {
			if i > lo {
				pq.WriteString(",")
				eq.WriteString(",")
			}
			pq.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
			eq.WriteString("(?,?,?,?,?,?,?,?,?,?)")
			kec := kecamatan[(i*7919)%len(kecamatan)]
			id := fmt.Sprintf("bench-%07d", i)
			pargs = append(pargs, id, domain.CycleID(domain.RegionProvince(kec), 2027), kec,
				fmt.Sprintf("Pelatihan kewirausahaan dan pemasaran digital bagi pelaku UMKM kelompok %d", i),
				"Pelatihan tiga hari bagi pengurus koperasi dan pelaku usaha mikro", "pelatihan",
				int64(100_000_000+i*1_001), "apbd_provinsi", string(indicators), subs[i%len(subs)],
				string(stages[i%len(stages)]), 1+i%50, true, int64(90_000_000+i*997), "perencana", 7, 2, at, at)
			eargs = append(eargs, id, 1, "accept", "rakorda", "consolidation", "kadis", "kadis_provinsi", domain.RegionProvince(kec), "Disepakati di Rakorda", at)
		}
		if _, err := tx.ExecContext(ctx, pq.String(), pargs...); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, eq.String(), eargs...); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture of %d proposals built in %v", n, time.Since(start).Round(time.Millisecond))
	benchDBs[n] = db
	return db
}

// heapSampler records the peak of live heap objects while it runs. It
// reads runtime/metrics, which does not stop the world the way
// runtime.ReadMemStats does, so sampling barely disturbs the timing.
type heapSampler struct {
	stop chan struct{}
	done chan uint64
}

func startHeapSampler() *heapSampler {
	s := &heapSampler{stop: make(chan struct{}), done: make(chan uint64)}
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-s.stop:
				s.done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *heapSampler) peak() uint64 { close(s.stop); return <-s.done }

// resetPeakRSS makes the kernel restart the process's resident high-water
// mark (VmHWM) from the current resident size; false where unsupported.
func resetPeakRSS() bool {
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS reads VmHWM from /proc/self/status, in bytes.
func peakRSS() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

func benchmarkExport(b *testing.B, format export.Format) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			db := benchDB(b, n)
			ctx := context.Background()
			scope, err := export.ResolveScope(ctx, db, "", 2027)
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			rssOK := resetPeakRSS()
			sampler := startHeapSampler()
			var out countingWriter
			var totals export.Totals
			b.ReportAllocs()
			for b.Loop() {
				out = countingWriter{}
				if totals, err = export.Write(ctx, db, scope, format, &out); err != nil {
					b.Fatal(err)
				}
			}
			peak := sampler.peak()
			if totals.Proposals != n {
				b.Fatalf("exported %d proposals, want %d", totals.Proposals, n)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			if rss, ok := peakRSS(); ok && rssOK {
				b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MB")
			}
			b.ReportMetric(float64(out.n)/(1<<20), "file-MB")
		})
	}
}

func BenchmarkExportCSV(b *testing.B)  { benchmarkExport(b, export.CSV) }
func BenchmarkExportXLSX(b *testing.B) { benchmarkExport(b, export.XLSX) }
