package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/policies"
)

// benchProposals is the size the task inbox and the summaries must stay
// fast at (issue 24: a camat's summary under 5 ms, the inbox's p99 under
// 20 ms, at a million proposals).
const benchProposals = 1_000_000

// benchDialects are the engines the read benchmarks run on, each with its
// own database of benchProposals proposals, built once per process.
var benchDialects = []string{"sqlite", "postgres"}

type benchFixture struct {
	srv    *api.Server
	tokens map[string]string
	dir    string
	db     *store.DB
	authz  *policies.Enforcer
	drop   func() error // drops the PostgreSQL database; nil on SQLite
}

var (
	benchMu  sync.Mutex
	benches  = map[string]*benchFixture{}
	benchErr = map[string]error{}
)

// cleanupBench removes the benchmarks' databases; TestMain calls it.
func cleanupBench() {
	for _, f := range benches {
		f.authz.Close()
		_ = f.db.Close()
		_ = os.RemoveAll(f.dir)
		if f.drop != nil {
			_ = f.drop()
		}
	}
}

// benchStages is the mix of a cycle in full swing.
var benchStages = []struct {
	stage domain.Stage
	share int // percent
}{
	{domain.StageDraft, 25}, {domain.StageKabKotaReview, 20}, {domain.StageRakorda, 15},
	{domain.StageConsolidation, 10}, {domain.StageMinistry, 10}, {domain.StageSIPDMapping, 5},
	{domain.StageFinal, 5}, {domain.StageRejected, 5}, {domain.StageWithdrawn, 5},
}

// newBenchFixture builds a database of the dialect with two provinces (17
// kab/kota of 12 kecamatan each) and benchProposals proposals written
// straight into the projection, one cycle per province (73 open for
// submission, 74 in Rakorda), and one person per role.
func newBenchFixture(dialect string) (*benchFixture, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "rencana-bench-")
	if err != nil {
		return nil, err
	}
	f := &benchFixture{dir: dir, tokens: map[string]string{}}
	dbURL := ""
	if dialect == "postgres" {
		if dbURL, f.drop, err = storetest.CreatePostgres(""); err != nil {
			return nil, err
		}
	}
	if f.db, err = store.Open(ctx, dbURL, dir); err != nil {
		return nil, err
	}
	if err := f.db.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := fillBench(ctx, f.db); err != nil {
		return nil, err
	}
	if err := f.db.Analyze(ctx); err != nil {
		return nil, err
	}
	if f.authz, err = policies.New(ctx, f.db, policies.WithPollInterval(0)); err != nil {
		return nil, err
	}
	tokens := auth.Tokens{Secret: []byte(secret), TTL: time.Hour}
	for _, p := range benchPeople {
		if err := f.db.CreateUser(ctx, store.User{Username: p.username, FullName: p.username, PasswordHash: "x"}); err != nil {
			return nil, err
		}
		if err := f.authz.AddGrant(ctx, "bench", p.username, domain.Grant{Role: p.role, Scope: p.scope}); err != nil {
			return nil, err
		}
		if f.tokens[string(p.role)], _, err = api.IssueSession(ctx, f.db, tokens, p.username, "bench", ""); err != nil {
			return nil, err
		}
	}
	f.srv = api.New(api.Deps{DB: f.db, Authz: f.authz, Tokens: tokens})
	return f, nil
}

// benchPeople hold one role each; their inboxes range from narrow (a
// camat's kecamatan) to wide (a province at Rakorda, the country at the
// ministry stage).
var benchPeople = []person{
	{"camat.bench", domain.RoleCamat, "73.05.03"},
	{"kabid.bench", domain.RoleReviewerKabKota, "74.05"},
	{"perencana.kab.bench", domain.RolePerencanaKabKota, "74.05"},
	{"kadis.prov.bench", domain.RoleKadisProvinsi, "74"},
	{"perencana.prov.bench", domain.RolePerencanaProvinsi, "74"},
	{"penghubung.bench", domain.RolePenghubungKementrian, domain.NationalScope},
}

// fillBench writes the regions, cycles and 100,000 proposals, in
// multi-row INSERTs of one transaction.
func fillBench(ctx context.Context, db *store.DB) error {
	var regions []store.Region
	var kecamatan, kabkota []string
	for _, prov := range []string{"73", "74"} {
		regions = append(regions, store.Region{Code: prov, Name: "Provinsi " + prov, Level: 1})
		for k := 1; k <= 17; k++ {
			kab := fmt.Sprintf("%s.%02d", prov, k)
			kabkota = append(kabkota, kab)
			regions = append(regions, store.Region{Code: kab, Name: "Kab " + kab, Level: 2, ParentCode: prov})
			for c := 1; c <= 12; c++ {
				kec := fmt.Sprintf("%s.%02d", kab, c)
				kecamatan = append(kecamatan, kec)
				regions = append(regions, store.Region{Code: kec, Name: "Kec " + kec, Level: 3, ParentCode: kab})
			}
		}
	}
	if _, err := db.InsertRegions(ctx, regions); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	fy := now.Year() + 1
	for prov, cal := range map[string]domain.Calendar{"73": openCalendar(), "74": rakordaCalendar()} {
		if err := db.SaveCycle(ctx, domain.Cycle{ID: domain.CycleID(prov, fy), ProvinceCode: prov, FiscalYear: fy, Calendar: cal, CreatedBy: "bench"}); err != nil {
			return err
		}
	}
	const batch = 500
	const row = "(?, ?, ?, ?, '', 'pelatihan', 100000000, 'apbd_kabkota', '[]', '', '', ?, 0, FALSE, 0, ?, ?, ?, FALSE, 1, 1, ?, ?)"
	rng := rand.New(rand.NewPCG(1, 2))
	return db.Transaction(ctx, func(tx *store.DB) error {
		for start := 0; start < benchProposals; start += batch {
			var values []string
			var args []any
			for i := start; i < start+batch; i++ {
				region := kecamatan[rng.IntN(len(kecamatan))]
				if rng.IntN(100) < 15 {
					region = kabkota[rng.IntN(len(kabkota))]
				}
				pick, stage := rng.IntN(100), domain.StageDraft
				for _, s := range benchStages {
					if pick < s.share {
						stage = s.stage
						break
					}
					pick -= s.share
				}
				var due *time.Time
				if !stage.Terminal() {
					d := now.Add(time.Duration(rng.IntN(120*24)-60*24) * time.Hour)
					due = &d
				}
				submitted := ""
				if stage != domain.StageDraft {
					submitted = "camat." + region
				}
				created := now.Add(-time.Duration(rng.IntN(90*24*3600)) * time.Second)
				values = append(values, row)
				args = append(args, fmt.Sprintf("usl-bench-%06d", i), domain.CycleID(domain.RegionProvince(region), fy), region,
					fmt.Sprintf("Usulan %d", i), string(stage), "kec."+region, submitted, due, created, created)
			}
			err := tx.ExecSQL(ctx, `INSERT INTO proposals (id, cycle_id, region_code, title, description, category,
				amount_idr, funding_source, indicators, sipd_code, beneficiaries, stage, priority, consolidated,
				consolidated_amount_idr, created_by, submitted_by, due_at, overdue, version, seq, created_at, updated_at)
				VALUES `+strings.Join(values, ", "), args...)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkTasks measures GET /api/v1/tasks (first page of 50, through the
// whole HTTP stack: token, account check, policy, queries) over a million
// proposals on SQLite and PostgreSQL, for roles whose inbox is narrow (a
// camat's kecamatan) and wide (a province at Rakorda, the whole country at
// the ministry stage). Besides the mean it reports the median and p99 of
// the requests it timed.
func BenchmarkTasks(b *testing.B) {
	for _, dialect := range benchDialects {
		b.Run(dialect, func(b *testing.B) {
			f := loadBench(b, dialect)
			for _, role := range []domain.Role{domain.RoleCamat, domain.RoleReviewerKabKota, domain.RolePerencanaKabKota,
				domain.RoleKadisProvinsi, domain.RolePerencanaProvinsi, domain.RolePenghubungKementrian} {
				b.Run(string(role), func(b *testing.B) {
					var out struct {
						Items []json.RawMessage `json:"items"`
					}
					timeRequests(b, func() { f.get(b, role, "/api/v1/tasks?limit=50", &out) })
					if len(out.Items) == 0 {
						b.Fatalf("%s has an empty inbox: the benchmark measures nothing", role)
					}
					b.ReportMetric(float64(len(out.Items)), "tasks/page")
				})
			}
		})
	}
}

// BenchmarkProposalSummary measures GET /api/v1/proposals/summary (the
// cycle page's charts) over the same million proposals: a kecamatan, a
// province and the whole country.
func BenchmarkProposalSummary(b *testing.B) {
	for _, dialect := range benchDialects {
		b.Run(dialect, func(b *testing.B) {
			f := loadBench(b, dialect)
			for _, role := range []domain.Role{domain.RoleCamat, domain.RoleKadisProvinsi, domain.RolePenghubungKementrian} {
				b.Run(string(role), func(b *testing.B) {
					var out struct {
						Count int64 `json:"count"`
					}
					timeRequests(b, func() { f.get(b, role, "/api/v1/proposals/summary", &out) })
					if out.Count == 0 {
						b.Fatalf("%s sees no proposals: the benchmark measures nothing", role)
					}
					b.ReportMetric(float64(out.Count), "proposals")
				})
			}
		})
	}
}

// timeRequests runs do in b's loop and reports the median and the 99th
// percentile of its durations in milliseconds beside the mean ns/op.
func timeRequests(b *testing.B, do func()) {
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		do()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	at := func(q float64) float64 {
		return float64(took[min(len(took)-1, int(q*float64(len(took))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// loadBench builds the dialect's database once for every benchmark.
func loadBench(b *testing.B, dialect string) *benchFixture {
	benchMu.Lock()
	defer benchMu.Unlock()
	if benches[dialect] == nil && benchErr[dialect] == nil {
		benches[dialect], benchErr[dialect] = newBenchFixture(dialect)
	}
	if err := benchErr[dialect]; err != nil {
		b.Fatal(err)
	}
	return benches[dialect]
}

// get serves path to role through the whole HTTP stack and decodes the
// 200 answer into out.
func (f *benchFixture) get(b *testing.B, role domain.Role, path string, out any) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens[string(role)])
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		b.Fatal(err)
	}
}
