package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/devserver/devservertest"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

func TestMain(m *testing.M) {
	// Migrations and policy seeding log through the default logger: only
	// warnings are worth a test's output.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	code := devservertest.RunTests(m)
	cleanupBench()
	os.Exit(code)
}

// testLog sends the server's warnings and errors (a 500's cause, with its
// request id) to the test's log, shown when the test fails or with -v.
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

const (
	secret       = "0123456789abcdef0123456789abcdef"
	testPassword = "rahasia-andoolo"
)

// person is a test account and its one grant: one per role of docs/ARCHITECTURE.md's
// table around Kecamatan Andoolo (74.05.03), Kabupaten Konawe Selatan
// (74.05), Sulawesi Tenggara (74), plus people of Kota Kendari (74.71) who
// must not see Konawe Selatan's proposals.
type person struct {
	username string
	role     domain.Role
	scope    string
}

var (
	kecPlanner  = person{"kec.andoolo", domain.RolePerencanaKecamatan, "74.05.03"}
	camat       = person{"camat.andoolo", domain.RoleCamat, "74.05.03"}
	kabPlanner  = person{"perencana.konsel", domain.RolePerencanaKabKota, "74.05"}
	reviewer    = person{"kabid.konsel", domain.RoleReviewerKabKota, "74.05"}
	kadisKab    = person{"kadis.konsel", domain.RoleKadisKabKota, "74.05"}
	provPlanner = person{"perencana.sultra", domain.RolePerencanaProvinsi, "74"}
	kadisProv   = person{"kadis.sultra", domain.RoleKadisProvinsi, "74"}
	liaison     = person{"penghubung.kemenkop", domain.RolePenghubungKementrian, domain.NationalScope}
	admin       = person{"admin", domain.RoleAdmin, domain.NationalScope}
	kendariPlan = person{"perencana.kendari", domain.RolePerencanaKabKota, "74.71"}
	kendariKec  = person{"kec.kendari", domain.RolePerencanaKecamatan, "74.71.01"}
)

// rolePeople are the people of docs/ARCHITECTURE.md's role table, in its order.
var rolePeople = []person{kecPlanner, camat, kabPlanner, reviewer, kadisKab, provPlanner, kadisProv, liaison, admin}

var everyone = append(append([]person{}, rolePeople...), kendariPlan, kendariKec)

// passwordHash is computed once: bcrypt is slow on purpose.
var passwordHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// env is a server over a real database; with a worker it also runs real
// proposal workflows on the shared Temporal dev server.
type env struct {
	t      *testing.T
	ctx    context.Context
	db     *store.DB
	authz  *policies.Enforcer
	srv    *api.Server
	tokens auth.Tokens
	tc     client.Client
	cycle  domain.Cycle // 74-<next year>, open for submission
	mu     sync.Mutex
	made   []string // proposal ids created through the API, ended at cleanup
}

type envOptions struct {
	worker bool // start a worker (proposal workflows run)
	people bool // create every person with their grant
	// cycleByAPI leaves 74-<next year> unsaved: the test opens it through
	// POST /api/v1/cycles, so a CycleWorkflow owns it (needs worker).
	cycleByAPI bool
	deps       func(*api.Deps)
	// acts adjusts the worker's activities (a koperasi register, say).
	acts func(*activities.Activities)
}

func newEnv(t *testing.T, db *store.DB, o envOptions) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	authz, err := policies.New(ctx, db, policies.WithPollInterval(0))
	require.NoError(t, err)
	t.Cleanup(authz.Close)
	e := &env{t: t, ctx: ctx, db: db, authz: authz, tokens: auth.Tokens{Secret: []byte(secret), TTL: time.Hour}}
	seedReference(t, db)
	e.cycle = domain.Cycle{ID: domain.CycleID("74", time.Now().UTC().Year()+1), ProvinceCode: "74",
		FiscalYear: time.Now().UTC().Year() + 1, Calendar: openCalendar(), CreatedBy: kadisProv.username}
	if !o.cycleByAPI {
		require.NoError(t, db.SaveCycle(ctx, e.cycle))
	}
	require.NoError(t, db.SaveCycle(ctx, domain.Cycle{ID: domain.CycleID("73", e.cycle.FiscalYear), ProvinceCode: "73",
		FiscalYear: e.cycle.FiscalYear, Calendar: openCalendar(), CreatedBy: "kadis.sulbar"}))
	if o.people {
		for _, p := range everyone {
			e.addPerson(p)
		}
	}
	deps := api.Deps{DB: db, Authz: authz, Tokens: e.tokens,
		Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if o.worker {
		e.tc = devservertest.ForTest(t).Client()
		deps.Temporal = e.tc
		// A short sticky timeout: the next test's worker picks up at once.
		w := worker.New(e.tc, workflows.TaskQueue, worker.Options{StickyScheduleToStartTimeout: time.Second})
		acts := activities.New(db)
		acts.Workflows = workflows.NewDriver(e.tc) // as cmd/rencana's worker does
		acts.KMPStarter = workflows.NewDriver(e.tc)
		if o.acts != nil {
			o.acts(acts)
		}
		workflows.Register(w, acts)
		require.NoError(t, w.Start())
		t.Cleanup(func() {
			// One worker polls the task queue at a time (tests run in
			// sequence): end this test's workflows so none of them wakes
			// up later against another test's database.
			e.mu.Lock()
			defer e.mu.Unlock()
			for _, id := range e.made {
				_ = e.tc.TerminateWorkflow(context.Background(), workflows.ProposalWorkflowID(id), "", "test finished")
			}
			// The cycles' workflows too, opened or only attempted: the
			// next test opens the same province and year.
			for _, province := range []string{"74", "73"} {
				_ = e.tc.TerminateWorkflow(context.Background(), workflows.CycleWorkflowID(province, e.cycle.FiscalYear), "", "test finished")
			}
			w.Stop()
		})
	}
	if o.deps != nil {
		o.deps(&deps)
	}
	e.srv = api.New(deps)
	return e
}

// seedReference inserts the regions and the nomenclature seed the tests use.
func seedReference(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	regions := []store.Region{
		{Code: "74", Name: "Sulawesi Tenggara", Level: 1},
		{Code: "74.05", Name: "Kabupaten Konawe Selatan", Level: 2, ParentCode: "74"},
		{Code: "74.05.03", Name: "Andoolo", Level: 3, ParentCode: "74.05"},
		{Code: "74.05.04", Name: "Buke", Level: 3, ParentCode: "74.05"},
		{Code: "74.05.03.2001", Name: "Andoolo", Level: 4, ParentCode: "74.05.03"},
		{Code: "74.71", Name: "Kota Kendari", Level: 2, ParentCode: "74"},
		{Code: "74.71.01", Name: "Mandonga", Level: 3, ParentCode: "74.71"},
		{Code: "73", Name: "Sulawesi Selatan", Level: 1},
		{Code: "73.01", Name: "Kabupaten Kepulauan Selayar", Level: 2, ParentCode: "73"},
		{Code: "73.01.01", Name: "Benteng", Level: 3, ParentCode: "73.01"},
	}
	_, err := db.InsertRegions(ctx, regions)
	require.NoError(t, err)
	seeds, err := refdata.BuiltinNomenclature()
	require.NoError(t, err)
	for _, s := range seeds {
		_, err := db.CreateNomenclatureVersion(ctx, s.Version, s.Rows)
		require.NoError(t, err)
	}
}

// openCalendar: drafts can be submitted for a day, Rakorda is weeks away.
func openCalendar() domain.Calendar {
	now := time.Now().UTC().Truncate(time.Second)
	day := 24 * time.Hour
	return domain.Calendar{
		SubmissionDeadline: now.Add(day), ReviewDeadline: now.Add(10 * day),
		RakordaStart: now.Add(20 * day), RakordaEnd: now.Add(21 * day),
		ConsolidationDeadline: now.Add(30 * day), MinistryDeadline: now.Add(40 * day), MappingDeadline: now.Add(50 * day),
	}
}

// rakordaCalendar is the same cycle weeks later: submission and review are
// over and the Rakorda is in session.
func rakordaCalendar() domain.Calendar {
	now := time.Now().UTC().Truncate(time.Second)
	day := 24 * time.Hour
	return domain.Calendar{
		SubmissionDeadline: now.Add(-3 * day), ReviewDeadline: now.Add(-2 * day),
		RakordaStart: now.Add(-time.Hour), RakordaEnd: now.Add(day),
		ConsolidationDeadline: now.Add(30 * day), MinistryDeadline: now.Add(40 * day), MappingDeadline: now.Add(50 * day),
	}
}

func (e *env) addPerson(p person) {
	e.t.Helper()
	require.NoError(e.t, e.db.CreateUser(e.ctx, store.User{Username: p.username, FullName: strings.ToUpper(p.username), PasswordHash: passwordHash()}))
	require.NoError(e.t, e.authz.AddGrant(e.ctx, "test", p.username, domain.Grant{Role: p.role, Scope: p.scope}))
}

// token issues a token directly (tests of login itself go through HTTP).
func (e *env) token(p person) string {
	e.t.Helper()
	tok, _, err := api.IssueSession(e.ctx, e.db, e.tokens, p.username, "test", "")
	require.NoError(e.t, err)
	return tok
}

// response is an answer with its JSON body decoded.
type response struct {
	*httptest.ResponseRecorder
	body map[string]any
}

func (r response) str(key string) string { s, _ := r.body[key].(string); return s }

// header is an extra request header for do.
type header struct{ k, v string }

// do sends one request through the server; body is marshalled unless it is
// a string (sent as it is).
func (e *env) do(method, path, token string, body any, headers ...header) response {
	e.t.Helper()
	var r *bytes.Reader
	switch b := body.(type) {
	case nil:
		r = bytes.NewReader(nil)
	case string:
		r = bytes.NewReader([]byte(b))
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		req.Header.Set(h.k, h.v)
	}
	rec := e.serve(req)
	out := response{ResponseRecorder: rec}
	if rec.Body.Len() > 0 && strings.Contains(rec.Header().Get("Content-Type"), "json") {
		require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &out.body), rec.Body.String())
	}
	if method == http.MethodPost && path == "/api/v1/proposals" && rec.Code == http.StatusCreated {
		e.mu.Lock()
		e.made = append(e.made, out.str("id"))
		e.mu.Unlock()
	}
	return out
}

// serve sends req through the server, checking both sides against the
// contract (api/openapi.yaml).
func (e *env) serve(req *http.Request) *httptest.ResponseRecorder {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.serveTo(rec, rec, req)
	return rec
}

// serveTo is serve writing to w, whose recorder rec the check reads: for
// tests that watch how the answer is written.
func (e *env) serveTo(w http.ResponseWriter, rec *httptest.ResponseRecorder, req *http.Request) {
	e.t.Helper()
	// The server reads the body as it likes (streams, refuses early); a
	// copy of what it read is what the request check sees.
	var sent bytes.Buffer
	if req.Body != nil {
		req.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(req.Body, &sent), req.Body}
	}
	probe := req.Clone(req.Context())
	e.srv.ServeHTTP(w, req)
	probe.Body = io.NopCloser(bytes.NewReader(sent.Bytes()))
	checkContract(e.t, probe, rec)
}

// as is do with p's token.
func (e *env) as(p person, method, path string, body any, headers ...header) response {
	e.t.Helper()
	return e.do(method, path, e.token(p), body, headers...)
}

func requireProblem(t *testing.T, r response, status int) {
	t.Helper()
	require.Equal(t, status, r.Code, r.Body.String())
	require.Equal(t, "application/problem+json", r.Header().Get("Content-Type"))
	require.EqualValues(t, status, r.body["status"])
	require.NotEmpty(t, r.body["title"])
	require.NotEmpty(t, r.body["type"])
}

// requireField checks a 422 that names field (and says something about it).
func requireField(t *testing.T, r response, field string) {
	t.Helper()
	requireProblem(t, r, http.StatusUnprocessableEntity)
	errs, _ := r.body["errors"].([]any)
	var named []string
	for _, x := range errs {
		fe := x.(map[string]any)
		named = append(named, fe["field"].(string))
		if fe["field"] == field {
			require.NotEmpty(t, fe["message"])
			return
		}
	}
	t.Fatalf("422 does not name %q (names %v): %s", field, named, r.Body.String())
}

// goodDraft is a complete kecamatan proposal for cycle; change copies.
func goodDraft(cycleID string) map[string]any {
	return map[string]any{
		"cycle_id": cycleID, "region_code": "74.05.03", "title": "Pelatihan pengemasan produk UMKM",
		"description": "Pelatihan pengemasan dan label halal bagi pelaku UMKM", "category": "pelatihan",
		"amount_idr": 125_000_000, "funding_source": "apbd_kabkota",
		"indicators":    []map[string]any{{"name": "Pelaku UMKM terlatih", "target": 30, "unit": "orang"}},
		"beneficiaries": "30 pelaku UMKM",
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func without(m map[string]any, keys ...string) map[string]any {
	out := with(m)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// countProposals counts the projection's rows: what "nothing changed" means.
func (e *env) countProposals() int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db.ScanSQL(context.Background(), &n, "SELECT COUNT(*) FROM proposals"))
	return n
}

// insertProposal writes a proposal straight into the projection, for tests
// of reads that need many rows or rows in particular stages.
func (e *env) insertProposal(p domain.Proposal) {
	e.t.Helper()
	if p.Indicators == nil {
		p.Indicators = []domain.Indicator{}
	}
	if p.Version == 0 {
		p.Version = 1
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now().UTC()
	}
	p.UpdatedAt = p.CreatedAt
	ev := domain.ProposalEvent{ProposalID: p.ID, Seq: 1, Action: "create", ToStage: p.Stage,
		Actor: domain.Actor{Username: p.CreatedBy, Role: domain.RolePerencanaKecamatan, Scope: p.RegionCode}, At: p.CreatedAt}
	ok, err := e.db.RecordTransition(e.ctx, p, ev)
	require.NoError(e.t, err)
	require.True(e.t, ok)
}

func ids(items []any, key string) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.(map[string]any)[key].(string))
	}
	return out
}

func items(r response) []any {
	xs, _ := r.body["items"].([]any)
	return xs
}

func fmtActions(xs []any) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprint(x))
	}
	return strings.Join(s, ",")
}

// sampleRow is a complete proposal row of region in stage, due in a day.
func sampleRow(id, cycleID, region string, stage domain.Stage) domain.Proposal {
	due := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Second)
	return domain.Proposal{
		ID: id, CycleID: cycleID, RegionCode: region, Title: "Bazar produk UMKM " + id,
		Description: "Bazar produk unggulan UMKM", Category: "bazar", AmountIDR: 50_000_000,
		FundingSource: "apbd_kabkota", Indicators: []domain.Indicator{{Name: "UMKM peserta", Target: 20, Unit: "unit usaha"}},
		Stage: stage, CreatedBy: kecPlanner.username, DueAt: &due,
	}
}
