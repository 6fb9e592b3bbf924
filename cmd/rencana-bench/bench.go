package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/demo"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/workflows"
)

// `rencana-bench` answers "does it keep up on modest hardware" (issue 9):
// it creates P proposals spread over the kecamatan of one or more provinces
// and drives every one of them through every stage to final with C
// concurrent clients, through the HTTP API only, as the people of
// docs/ARCHITECTURE.md would: a perencana kecamatan creates, the camat submits, the
// kab/kota reviewer approves, the kepala dinas provinsi accepts at Rakorda,
// the provincial planner consolidates, the kepala dinas locks the cycle, the
// ministry liaison funds and the kab/kota planner maps the SIPD code. Each
// stage runs over all proposals before the next starts (the cycle's dates
// must move between some of them, as they do in a real year), so every
// action's latency is measured under C concurrent requests of that action.
//
// In the same run it measures a bare Temporal Update on a no-op workflow at
// the same concurrency (bench_bare.go): the ratio of the two medians is
// what rencana adds on top of Temporal's own floor.

const benchUsage = `rencana-bench: load benchmark through the HTTP API.

Usage:
  rencana-bench [--proposals P] [--concurrency C] [--provinces 74,73] [--json]
                [--addr HOST:PORT | --api URL,URL...] [--bare-updates N] [--samples N]
                [--data-dir D] [--cpuprofile FILE] [--temporal-arg ARG ...] [--temporal-memory]

Without --addr it starts the embedded stack of "rencana dev" (Temporal dev
server child, SQLite in a temporary directory, API and worker in this
process; no demo data) and stops it at the end. With --addr it drives an
existing server: RENCANA_ADMIN_PASSWORD must be its admin's password, and
TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE) its Temporal, for the bare-Update
measurement (skipped when unset). RENCANA_ADDR is ignored. --api drives
several API instances of one deployment (the production topology: two
"rencana serve" behind one Temporal and one PostgreSQL), each request going
to the next address in turn; otherwise as --addr.

Flags:
`

// benchOptions are the flags of `rencana-bench`.
type benchOptions struct {
	Proposals   int
	Concurrency int
	Provinces   []string
	JSON        bool
	// Addr is an existing server; empty starts the embedded stack.
	Addr string
	// APIs are base URLs of API instances of one existing deployment,
	// used in turn (--api); when set, Addr is the first one's host:port.
	APIs []string
	// BareUpdates is how many bare Updates to time; 0 means as many as
	// the rencana transitions timed, at least 2,000.
	BareUpdates int
	// Samples is how many times each read (inbox, list) is timed.
	Samples    int
	CPUProfile string
	// DataDir, when given, holds the embedded stack's files and is kept.
	DataDir string
	// TemporalArgs are extra arguments for the embedded Temporal dev
	// server, to measure what its settings cost.
	TemporalArgs []string
	// TemporalMemory keeps the embedded Temporal dev server's state in
	// memory instead of a SQLite file.
	TemporalMemory bool
}

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var o benchOptions
	var provinces string
	var fs *flag.FlagSet
	cfg, rest, err := config.Load(config.ModeBench, args, getenv, stderr, func(f *flag.FlagSet) {
		fs = f
		f.Usage = func() {
			fmt.Fprint(f.Output(), benchUsage)
			f.PrintDefaults()
		}
		if fl := f.Lookup("addr"); fl != nil {
			fl.Usage, fl.DefValue = "an existing rencana server to drive (host:port); default: start the embedded stack", ""
		}
		if fl := f.Lookup("data-dir"); fl != nil {
			fl.Usage, fl.DefValue = "keep the embedded stack's databases and logs in this new directory (default: a temporary one, removed)", ""
		}
		f.Func("api", "comma-separated base URLs of API instances of one existing deployment (e.g. http://10.0.0.1:8080,http://10.0.0.2:8080); requests alternate between them", func(v string) error {
			for _, a := range strings.Split(v, ",") {
				u, err := url.Parse(strings.TrimSpace(a))
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
					return fmt.Errorf("%q is not a base URL like http://host:port", a)
				}
				o.APIs = append(o.APIs, u.Scheme+"://"+u.Host)
			}
			return nil
		})
		f.IntVar(&o.Proposals, "proposals", 2000, "number of proposals P to drive to final")
		f.IntVar(&o.Concurrency, "concurrency", 16, "number of concurrent clients C")
		f.StringVar(&provinces, "provinces", "74", "comma-separated province codes whose kecamatan receive the proposals (one cycle each)")
		f.BoolVar(&o.JSON, "json", false, "also print the results as one JSON object on the last line")
		f.IntVar(&o.BareUpdates, "bare-updates", 0, "bare Temporal Updates to time (default: as many as rencana transitions, at least 2000)")
		f.IntVar(&o.Samples, "samples", 50, "timed requests per read (inbox, list)")
		f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of this process (API, worker and load generator when embedded) from the drive on to FILE")
		f.Func("temporal-arg", "an extra argument for the embedded Temporal dev server, repeatable, e.g.\n--temporal-arg=--dynamic-config-value --temporal-arg=history.transferProcessorMaxPollRPS=1000", func(v string) error {
			o.TemporalArgs = append(o.TemporalArgs, v)
			return nil
		})
		f.BoolVar(&o.TemporalMemory, "temporal-memory", false, "keep the embedded Temporal dev server's state in memory instead of a SQLite file (rencana dev uses a file)")
	})
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["addr"] {
		o.Addr = cfg.Addr
	}
	if set["api"] && set["addr"] {
		return errors.New("--addr and --api name the server twice: give one of them")
	}
	if len(o.APIs) > 0 {
		o.Addr = strings.TrimPrefix(strings.TrimPrefix(o.APIs[0], "https://"), "http://")
	}
	if set["data-dir"] {
		o.DataDir = cfg.DataDir
	}
	var v []string
	if len(rest) > 0 {
		v = append(v, fmt.Sprintf("unexpected arguments %q", rest))
	}
	if o.Proposals < 1 || o.Proposals > 1_000_000 {
		v = append(v, "--proposals must be between 1 and 1000000")
	}
	if o.Concurrency < 1 || o.Concurrency > 1024 {
		v = append(v, "--concurrency must be between 1 and 1024")
	}
	if o.Samples < 1 || o.Samples > 10_000 {
		v = append(v, "--samples must be between 1 and 10000")
	}
	if o.BareUpdates < 0 {
		v = append(v, "--bare-updates must not be negative")
	}
	for _, p := range strings.Split(provinces, ",") {
		p = strings.TrimSpace(p)
		if lvl, err := domain.ParseRegionCode(p); err != nil || lvl != domain.LevelProvinsi {
			v = append(v, fmt.Sprintf("--provinces: %q is not a province code like 74", p))
			continue
		}
		if !slices.Contains(o.Provinces, p) {
			o.Provinces = append(o.Provinces, p)
		}
	}
	if o.Addr != "" && (o.DataDir != "" || len(o.TemporalArgs) > 0 || o.TemporalMemory) {
		v = append(v, "--data-dir, --temporal-arg and --temporal-memory are for the embedded stack; they cannot be used with --addr")
	}
	if len(v) > 0 {
		return errors.New(strings.Join(v, "; "))
	}

	var stack *benchStack
	if o.Addr != "" {
		stack, err = existingStack(ctx, cfg, o.APIs, stderr)
	} else {
		dir := o.DataDir
		if dir != "" {
			if err := freshDir(dir); err != nil {
				return err
			}
		} else {
			if dir, err = os.MkdirTemp("", "rencana-bench-"); err != nil {
				return err
			}
			defer os.RemoveAll(dir)
		}
		fmt.Fprintf(stderr, "bench: starting the embedded stack in %s\n", dir)
		stack, err = startEmbeddedStack(ctx, cfg, dir, o.TemporalArgs, o.TemporalMemory, stderr)
	}
	if err != nil {
		return err
	}
	defer stack.Close()

	b := newBench(o, stack, stderr)
	res, runErr := b.run(ctx)
	if res != nil {
		res.print(stdout, o.JSON)
	}
	return runErr
}

// freshDir creates dir, or accepts an existing one that holds no database
// yet: a bench must start from empty databases.
func freshDir(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}
	for _, f := range []string{"rencana.db", "temporal.db"} {
		if _, err := os.Stat(dir + "/" + f); err == nil {
			return fmt.Errorf("--data-dir %s already holds %s; give the bench a new directory", dir, f)
		}
	}
	return nil
}

// --- HTTP client ---------------------------------------------------------------

// apiClient calls the v1 API as the tests and other clients do: JSON in,
// JSON out, problem+json on failure.
type apiClient struct {
	bases []string
	next  atomic.Uint64
	hc    *http.Client
}

// url is the next API instance's base URL and path: with several
// instances (--api) successive requests go to each in turn.
func (c *apiClient) url(path string) string {
	if len(c.bases) == 1 {
		return c.bases[0] + path
	}
	return c.bases[(c.next.Add(1)-1)%uint64(len(c.bases))] + path
}

func newAPIClient(bases []string, concurrency int) *apiClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Keep one connection per client alive: with the default two idle
	// connections per host, C clients would open and close connections all
	// the time and the bench would measure TCP handshakes.
	tr.MaxIdleConns = 2*concurrency + 8
	tr.MaxIdleConnsPerHost = 2*concurrency + 8
	tr.DisableCompression = true
	return &apiClient{bases: bases, hc: &http.Client{Transport: tr, Timeout: 10 * time.Minute}}
}

// apiError is a non-2xx answer.
type apiError struct {
	Method, Path string
	Status       int
	Detail       string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Detail)
}

func statusOf(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// call sends one request and decodes a 2xx answer into out (when not nil).
func (c *apiClient) call(ctx context.Context, method, path, token string, body any, hdr map[string]string, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.Header, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.Header, &apiError{Method: method, Path: path, Status: resp.StatusCode, Detail: problemText(data)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// download reads a 2xx answer to the end and returns its size.
func (c *apiClient) download(ctx context.Context, path, token string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(path), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		data, _ := io.ReadAll(resp.Body)
		return 0, &apiError{Method: http.MethodGet, Path: path, Status: resp.StatusCode, Detail: problemText(data)}
	}
	return io.Copy(io.Discard, resp.Body)
}

// problemText shortens a problem+json body to its title, detail and first
// field errors.
func problemText(data []byte) string {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &p) != nil {
		s := strings.TrimSpace(string(data))
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		return s
	}
	s := strings.TrimSpace(p.Title + ": " + p.Detail)
	for i, f := range p.Errors {
		if i == 3 {
			s += " …"
			break
		}
		s += fmt.Sprintf(" [%s: %s]", f.Field, f.Message)
	}
	return s
}

// --- the run ------------------------------------------------------------------

// benchUser is an account the bench creates and acts as.
type benchUser struct {
	Username string
	Role     domain.Role
	Scope    string
	token    string
}

// benchProposal is one proposal the bench drives.
type benchProposal struct {
	idx      int
	id       string
	region   string // kecamatan
	kabkota  string
	province string
	cycleID  string
	amount   int64
	priority int
	failed   bool
}

type bench struct {
	o        benchOptions
	stack    *benchStack
	api      *apiClient
	progress io.Writer
	runID    string
	password string
	fy       int
	admin    string // admin's token
	users    map[string]*benchUser
	cycles   map[string]string // province → cycle id
	// kabkota are each province's kab/kota: every one gets a ceiling, so
	// each consolidate is checked against one as in a real cycle.
	kabkota map[string][]string
	sipd    []string
	props   []*benchProposal
	res     *benchResult
	// unanswered counts the current phase's 503s (phaseStats.Unanswered).
	unanswered atomic.Int64
}

func newBench(o benchOptions, stack *benchStack, progress io.Writer) *bench {
	run := strings.ToLower(demo.GeneratePassword()[:6])
	return &bench{
		o: o, stack: stack, api: newAPIClient(stack.BaseURLs, o.Concurrency), progress: progress,
		runID: run, password: demo.GeneratePassword(), users: map[string]*benchUser{}, cycles: map[string]string{}, kabkota: map[string][]string{},
		res: &benchResult{Proposals: o.Proposals, Concurrency: o.Concurrency, Provinces: o.Provinces, Stack: stack.Describe,
			Embedded: stack.Embedded, GoMaxProcs: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU()},
	}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "bench: "+format+"\n", args...)
}

func userKey(role domain.Role, scope string) string { return string(role) + "@" + scope }

func (b *bench) user(role domain.Role, scope string) *benchUser { return b.users[userKey(role, scope)] }

// run sets up, drives, measures; the result is returned even when part of
// the drive failed, so the report shows how far it got.
func (b *bench) run(ctx context.Context) (*benchResult, error) {
	now := time.Now().UTC()
	b.fy = now.Year() + 1
	start := time.Now()
	if err := b.setup(ctx, now); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	b.res.SetupS = time.Since(start).Seconds()
	b.logf("setup done in %.1fs: %d users, %d cycles, %d proposals over %d kecamatan",
		b.res.SetupS, len(b.users), len(b.cycles), len(b.props), b.res.Kecamatan)

	if b.o.CPUProfile != "" {
		// From the drive on: setup is mostly bcrypt, which says nothing.
		f, err := os.Create(b.o.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	if err := b.drive(ctx); err != nil {
		return b.res, err
	}
	b.measureBare(ctx)
	b.res.finish()
	if b.res.Final != b.o.Proposals {
		return b.res, fmt.Errorf("%d of %d proposals did not reach final (first errors above)", b.o.Proposals-b.res.Final, b.o.Proposals)
	}
	return b.res, nil
}

// --- setup --------------------------------------------------------------------

type regionItem struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func (b *bench) setup(ctx context.Context, now time.Time) error {
	var login struct {
		Token string `json:"token"`
	}
	if _, err := b.api.call(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": b.stack.AdminPassword}, nil, &login); err != nil {
		return fmt.Errorf("log in as admin (RENCANA_ADMIN_PASSWORD): %w", err)
	}
	b.admin = login.Token

	// Regions: kecamatan in an order that spreads any P over every kab/kota
	// of every province (round-robin over kab/kota, then over provinces).
	perProvince := make([][]regionItem, len(b.o.Provinces))
	kabkotaOf := map[string]string{}
	for i, prov := range b.o.Provinces {
		if _, err := b.api.call(ctx, http.MethodGet, "/api/v1/regions/"+prov, b.admin, nil, nil, nil); err != nil {
			return fmt.Errorf("province %s: %w", prov, err)
		}
		var kk struct{ Items []regionItem }
		if _, err := b.api.call(ctx, http.MethodGet, "/api/v1/regions?parent="+url.QueryEscape(prov), b.admin, nil, nil, &kk); err != nil {
			return err
		}
		var lists [][]regionItem
		for _, k := range kk.Items {
			b.kabkota[prov] = append(b.kabkota[prov], k.Code)
			var kec struct{ Items []regionItem }
			if _, err := b.api.call(ctx, http.MethodGet, "/api/v1/regions?parent="+url.QueryEscape(k.Code), b.admin, nil, nil, &kec); err != nil {
				return err
			}
			for _, c := range kec.Items {
				kabkotaOf[c.Code] = k.Code
			}
			if len(kec.Items) > 0 {
				lists = append(lists, kec.Items)
			}
		}
		perProvince[i] = roundRobin(lists)
		if len(perProvince[i]) == 0 {
			return fmt.Errorf("province %s has no kecamatan in the reference data", prov)
		}
	}
	all := roundRobin(perProvince)
	b.res.Kecamatan = min(len(all), b.o.Proposals)
	used := all[:b.res.Kecamatan]

	// SIPD codes for the map action: kab/kota sub kegiatan of the
	// nomenclature version in force for the fiscal year.
	var nom struct {
		Items []struct {
			Code       string `json:"code"`
			PemdaLevel string `json:"pemda_level"`
		}
	}
	q := url.Values{"pemda_level": {"kabkota"}, "fiscal_year": {strconv.Itoa(b.fy)}, "level": {"sub_kegiatan"}, "limit": {"500"}}
	if _, err := b.api.call(ctx, http.MethodGet, "/api/v1/nomenclature?"+q.Encode(), b.admin, nil, nil, &nom); err != nil {
		return err
	}
	for _, n := range nom.Items {
		if n.PemdaLevel == string(domain.PemdaKabKota) {
			b.sipd = append(b.sipd, n.Code)
		}
	}
	if len(b.sipd) == 0 {
		return fmt.Errorf("no kab/kota sub kegiatan in the nomenclature for fiscal year %d", b.fy)
	}

	// Users: per kecamatan a planner and a camat (a perencana_kabkota may
	// create only kab/kota-level proposals, policy.csv decision 4); per
	// kab/kota a reviewer and a planner (who maps); per province the
	// kepala dinas and the planner; one ministry liaison.
	var want []*benchUser
	add := func(role domain.Role, scope, short string) {
		if b.user(role, scope) != nil {
			return
		}
		name := fmt.Sprintf("b%s.%s.%s", b.runID, short, scope)
		if scope == domain.NationalScope {
			name = fmt.Sprintf("b%s.%s", b.runID, short)
		}
		u := &benchUser{Username: name, Role: role, Scope: scope}
		b.users[userKey(role, scope)] = u
		want = append(want, u)
	}
	for _, k := range used {
		add(domain.RolePerencanaKecamatan, k.Code, "kec")
		add(domain.RoleCamat, k.Code, "camat")
		add(domain.RoleReviewerKabKota, kabkotaOf[k.Code], "kabid")
		add(domain.RolePerencanaKabKota, kabkotaOf[k.Code], "pkk")
	}
	for _, prov := range b.o.Provinces {
		add(domain.RoleKadisProvinsi, prov, "kadis")
		add(domain.RolePerencanaProvinsi, prov, "pprov")
	}
	add(domain.RolePenghubungKementrian, domain.NationalScope, "kemenkop")
	b.logf("creating %d users and logging them in (bcrypt: this takes a while)", len(want))
	err := parallel(ctx, b.o.Concurrency, len(want), func(i int) error {
		u := want[i]
		body := map[string]any{"username": u.Username, "password": b.password, "full_name": "Bench " + string(u.Role) + " " + u.Scope,
			"roles": []map[string]string{{"role": string(u.Role), "scope": u.Scope}}}
		if _, err := b.api.call(ctx, http.MethodPost, "/api/v1/admin/users", b.admin, body, nil, nil); err != nil {
			return err
		}
		var l struct {
			Token string `json:"token"`
		}
		if _, err := b.api.call(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": u.Username, "password": b.password}, nil, &l); err != nil {
			return err
		}
		u.token = l.Token
		return nil
	})
	if err != nil {
		return err
	}

	// One cycle per province, for next fiscal year, every date this year
	// (N-1) and the submission and review deadlines well ahead.
	cal, err := benchCalendar(now)
	if err != nil {
		return err
	}
	for _, prov := range b.o.Provinces {
		id, err := b.openCycle(ctx, prov, cal)
		if err != nil {
			return err
		}
		b.cycles[prov] = id
	}

	for i := range b.o.Proposals {
		k := used[i%len(used)].Code
		prov := domain.RegionProvince(k)
		b.props = append(b.props, &benchProposal{
			idx: i, region: k, kabkota: kabkotaOf[k], province: prov, cycleID: b.cycles[prov],
			amount: 25_000_000 + int64(i%40)*2_500_000,
		})
	}
	rank := map[string]int{}
	for _, p := range b.props {
		rank[p.province]++
		p.priority = rank[p.province]
	}
	return nil
}

// roundRobin interleaves lists: the first of each, then the second of each...
func roundRobin(lists [][]regionItem) []regionItem {
	var out []regionItem
	for r := 0; ; r++ {
		added := false
		for _, l := range lists {
			if r < len(l) {
				out = append(out, l[r])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// benchCalendar spreads a cycle's dates over what is left of now's year,
// the submission deadline at 40 % of it: far enough for any bench run, and
// the review reminder (72 hours before the review deadline) out of the
// way unless the year is nearly over.
func benchCalendar(now time.Time) (map[string]string, error) {
	end := time.Date(now.Year(), 12, 31, 23, 0, 0, 0, time.UTC)
	left := end.Sub(now)
	if left < 2*time.Hour {
		return nil, fmt.Errorf("it is %s: too close to the end of the year for a cycle whose dates all lie in %d (N-1); run the bench after 1 January", now.Format(time.RFC3339), now.Year())
	}
	at := func(f float64) string {
		return now.Add(time.Duration(float64(left) * f)).Truncate(time.Second).Format(time.RFC3339)
	}
	return map[string]string{
		"submission_deadline": at(0.40), "review_deadline": at(0.55), "rakorda_start": at(0.65), "rakorda_end": at(0.75),
		"consolidation_deadline": at(0.85), "ministry_deadline": at(0.92), "mapping_deadline": at(0.97),
	}, nil
}

type cycleView struct {
	ID       string `json:"id"`
	Locked   bool   `json:"locked"`
	Version  int64  `json:"version"`
	Calendar struct {
		RakordaStart time.Time `json:"rakorda_start"`
	} `json:"calendar"`
}

// openCycle opens the province's cycle as its kepala dinas. A cycle that
// already exists (a server that ran the bench or the demo before) is
// reused with the bench's dates, unless it is locked.
func (b *bench) openCycle(ctx context.Context, prov string, cal map[string]string) (string, error) {
	kadis := b.user(domain.RoleKadisProvinsi, prov)
	var cy cycleView
	// Ceilings far above what the bench's proposals ask (at most Rp 122.5
	// million each): none is refused, every one is checked.
	ceilings := []map[string]any{}
	for _, k := range b.kabkota[prov] {
		ceilings = append(ceilings, map[string]any{"region_code": k, "amount_idr": api.MaxAmountIDR})
	}
	body := map[string]any{"province_code": prov, "fiscal_year": b.fy, "calendar": cal, "ceilings": ceilings}
	_, err := b.api.call(ctx, http.MethodPost, "/api/v1/cycles", kadis.token, body, nil, &cy)
	if err == nil {
		return cy.ID, nil
	}
	if statusOf(err) != http.StatusConflict {
		return "", fmt.Errorf("open cycle %s: %w", prov, err)
	}
	id := domain.CycleID(prov, b.fy)
	if _, err := b.api.call(ctx, http.MethodGet, "/api/v1/cycles/"+id, kadis.token, nil, nil, &cy); err != nil {
		return "", err
	}
	if cy.Locked {
		return "", fmt.Errorf("cycle %s exists and is already locked (a previous bench on this server?): bench another province with --provinces, or a fresh server", id)
	}
	b.logf("cycle %s exists: moving its dates for the bench", id)
	if _, err := b.moveCycle(ctx, id, cal); err != nil {
		return "", err
	}
	return id, nil
}

// moveCycle PATCHes a cycle's dates as its kepala dinas. A move that
// outlasts the request (503: every open proposal is told the new dates
// before the answer) goes on in the workflow; the same PATCH sent again
// waits for it, because the cycle's workflow takes one change at a time,
// and then finds nothing left to move.
func (b *bench) moveCycle(ctx context.Context, id string, cal map[string]string) (time.Duration, error) {
	prov, _, _ := domain.ParseCycleID(id)
	kadis := b.user(domain.RoleKadisProvinsi, prov)
	start := time.Now()
	for attempt := 1; ; attempt++ {
		var cy cycleView
		h, err := b.api.call(ctx, http.MethodGet, "/api/v1/cycles/"+id, kadis.token, nil, nil, &cy)
		if err != nil {
			return 0, err
		}
		_, err = b.api.call(ctx, http.MethodPatch, "/api/v1/cycles/"+id, kadis.token, map[string]any{"calendar": cal},
			map[string]string{"If-Match": h.Get("ETag")}, nil)
		switch st := statusOf(err); {
		case err == nil:
			return time.Since(start), nil
		case (st == http.StatusServiceUnavailable || st == http.StatusPreconditionFailed) && attempt < 20:
			b.logf("moving the dates of %s: %v; asking again", id, err)
			continue
		default:
			return 0, fmt.Errorf("move the dates of cycle %s: %w", id, err)
		}
	}
}

// --- the drive ----------------------------------------------------------------

type proposalAnswer struct {
	ID           string `json:"id"`
	Stage        string `json:"stage"`
	Consolidated bool   `json:"consolidated"`
}

// awaitOutcome does what the API's 503 asks a person to do: the workflow
// did not answer in time, so the decision may still land; read the
// proposal until it shows the action's effect (done reports whether it
// does), for up to two minutes.
func (b *bench) awaitOutcome(ctx context.Context, token, id string, done func(proposalAnswer) bool) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var out proposalAnswer
		if _, err := b.api.call(ctx, http.MethodGet, "/api/v1/proposals/"+id, token, nil, nil, &out); err != nil {
			return err
		}
		if done(out) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("proposal %s: no outcome 2 minutes after a 503 (stage %q)", id, out.Stage)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// drive runs the stages over every proposal, in order, and the reads
// between them.
func (b *bench) drive(ctx context.Context) error {
	start := time.Now()
	cpu0 := sampleCPU()
	polls0, polls0OK := sampleTaskPolls(ctx, b.stack.TemporalMetrics, workflows.TaskQueue)
	create := func(ctx context.Context, p *benchProposal) error {
		u := b.user(domain.RolePerencanaKecamatan, p.region)
		body := map[string]any{
			"cycle_id": p.cycleID, "region_code": p.region,
			"title":          fmt.Sprintf("Pelatihan kewirausahaan pelaku UMKM %s (bench %d)", p.region, p.idx),
			"description":    "Usulan uji beban rencana bench: pelatihan dan pendampingan pelaku usaha mikro.",
			"category":       domain.Categories[p.idx%len(domain.Categories)],
			"amount_idr":     p.amount,
			"funding_source": "apbd_kabkota",
			"indicators":     []map[string]any{{"name": "Pelaku UMKM terlatih", "target": 25, "unit": "orang"}},
			"beneficiaries":  "Pelaku usaha mikro kecamatan",
		}
		var out proposalAnswer
		if _, err := b.api.call(ctx, http.MethodPost, "/api/v1/proposals", u.token, body, nil, &out); err != nil {
			return err
		}
		if out.Stage != string(domain.StageDraft) || out.ID == "" {
			return fmt.Errorf("create answered stage %q id %q", out.Stage, out.ID)
		}
		p.id = out.ID
		return nil
	}
	if err := b.phase(ctx, "create", create); err != nil {
		return err
	}
	steps := []struct {
		action domain.Action
		want   domain.Stage
		who    func(p *benchProposal) *benchUser
		body   func(p *benchProposal) map[string]any
	}{
		{domain.ActionSubmit, domain.StageKabKotaReview,
			func(p *benchProposal) *benchUser { return b.user(domain.RoleCamat, p.region) },
			func(*benchProposal) map[string]any { return map[string]any{} }},
		{domain.ActionApprove, domain.StageRakorda,
			func(p *benchProposal) *benchUser { return b.user(domain.RoleReviewerKabKota, p.kabkota) },
			func(*benchProposal) map[string]any { return map[string]any{"comment": "Layak dibahas di Rakorda."} }},
		{domain.ActionAccept, domain.StageConsolidation,
			func(p *benchProposal) *benchUser { return b.user(domain.RoleKadisProvinsi, p.province) },
			func(*benchProposal) map[string]any { return map[string]any{"comment": "Disepakati di Rakorda."} }},
		{domain.ActionConsolidate, domain.StageConsolidation,
			func(p *benchProposal) *benchUser { return b.user(domain.RolePerencanaProvinsi, p.province) },
			func(p *benchProposal) map[string]any {
				return map[string]any{"priority": p.priority, "consolidated_amount_idr": p.amount, "funding_source": "apbd_kabkota"}
			}},
		{domain.ActionFund, domain.StageSIPDMapping,
			func(*benchProposal) *benchUser { return b.user(domain.RolePenghubungKementrian, domain.NationalScope) },
			func(*benchProposal) map[string]any { return map[string]any{"funding_source": "apbd_kabkota"} }},
		{domain.ActionMap, domain.StageFinal,
			func(p *benchProposal) *benchUser { return b.user(domain.RolePerencanaKabKota, p.kabkota) },
			func(p *benchProposal) map[string]any { return map[string]any{"sipd_code": b.sipd[p.idx%len(b.sipd)]} }},
	}
	for _, s := range steps {
		switch s.action {
		case domain.ActionApprove:
			// The reviewer's inbox is at its fullest now: every proposal of
			// the kab/kota waits for review.
			first := b.firstLive()
			if first != nil {
				b.sampleRead(ctx, "inbox reviewer_kabkota (full)", true, b.user(domain.RoleReviewerKabKota, first.kabkota).token, "/api/v1/tasks")
				b.sampleRead(ctx, "list perencana_provinsi (full)", false, b.user(domain.RolePerencanaProvinsi, first.province).token,
					"/api/v1/proposals?cycle_id="+url.QueryEscape(first.cycleID))
			}
		case domain.ActionAccept:
			// Rakorda opens now: submission and review deadlines pass.
			t := time.Now().UTC()
			if t.Sub(time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)) < 10*time.Minute {
				return errors.New("too close to 1 January to put the cycle's deadlines in the past within the year")
			}
			ago := func(d time.Duration) string { return t.Add(-d).Truncate(time.Second).Format(time.RFC3339) }
			if err := b.moveAll(ctx, "move dates: open Rakorda", map[string]string{
				"submission_deadline": ago(3 * time.Minute), "review_deadline": ago(2 * time.Minute), "rakorda_start": ago(time.Minute),
			}); err != nil {
				return err
			}
			if first := b.firstLive(); first != nil {
				b.sampleRead(ctx, "inbox kadis_provinsi (full)", true, b.user(domain.RoleKadisProvinsi, first.province).token, "/api/v1/tasks")
			}
		case domain.ActionFund:
			// Rakorda ends, then the kepala dinas locks the cycle.
			t := time.Now().UTC().Add(-time.Second).Truncate(time.Second)
			if err := b.moveAll(ctx, "move dates: close Rakorda", map[string]string{"rakorda_end": t.Format(time.RFC3339)}); err != nil {
				return err
			}
			if err := b.lockAll(ctx); err != nil {
				return err
			}
		}
		if err := b.phase(ctx, string(s.action), func(ctx context.Context, p *benchProposal) error {
			var out proposalAnswer
			path := "/api/v1/proposals/" + p.id + "/actions/" + string(s.action)
			if _, err := b.api.call(ctx, http.MethodPost, path, s.who(p).token, s.body(p), nil, &out); err != nil {
				if statusOf(err) != http.StatusServiceUnavailable {
					return err
				}
				// Timed out, not refused: the latency counted is how long
				// the person waits until the decision shows.
				b.unanswered.Add(1)
				return b.awaitOutcome(ctx, s.who(p).token, p.id, func(a proposalAnswer) bool {
					return a.Stage == string(s.want) && (s.action != domain.ActionConsolidate || a.Consolidated)
				})
			}
			if out.Stage != string(s.want) {
				return fmt.Errorf("%s %s answered stage %q, want %q", s.action, p.id, out.Stage, s.want)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	b.res.DriveS = time.Since(start).Seconds() - b.res.readS
	if cpu1 := sampleCPU(); b.stack.Embedded && cpu0.self >= 0 {
		b.res.CPUSelf = cpu1.self - cpu0.self
		b.res.CPUTemporal = -1
		if cpu0.temporal >= 0 && cpu1.temporal >= 0 {
			b.res.CPUTemporal = cpu1.temporal - cpu0.temporal
		}
	}
	if polls1, ok := sampleTaskPolls(ctx, b.stack.TemporalMetrics, workflows.TaskQueue); ok && polls0OK {
		b.res.TaskPolls = taskPolls{all: polls1.all - polls0.all, sync: polls1.sync - polls0.sync}
	}
	b.logf("drive done in %.1fs (reads between stages excluded)", b.res.DriveS)

	// Reads at the final size, the export, what reached final.
	if first := b.firstLive(); first != nil {
		b.sampleRead(ctx, "inbox reviewer_kabkota (final)", true, b.user(domain.RoleReviewerKabKota, first.kabkota).token, "/api/v1/tasks")
		b.sampleRead(ctx, "inbox kadis_provinsi (final)", true, b.user(domain.RoleKadisProvinsi, first.province).token, "/api/v1/tasks")
		b.sampleRead(ctx, "list perencana_provinsi (final)", false, b.user(domain.RolePerencanaProvinsi, first.province).token,
			"/api/v1/proposals?cycle_id="+url.QueryEscape(first.cycleID))
		b.sampleRead(ctx, "list penghubung, national (final)", false, b.user(domain.RolePenghubungKementrian, domain.NationalScope).token,
			"/api/v1/proposals")
	}
	b.export(ctx)
	b.countFinal(ctx)
	b.historyEvents(ctx)
	return nil
}

func (b *bench) firstLive() *benchProposal {
	for _, p := range b.props {
		if !p.failed {
			return p
		}
	}
	return nil
}

// phase runs fn once for every proposal still on track, with C
// concurrent clients, timing each call. A failed proposal drops out of
// the later stages; the first errors are printed.
func (b *bench) phase(ctx context.Context, name string, fn func(context.Context, *benchProposal) error) error {
	var live []*benchProposal
	for _, p := range b.props {
		if !p.failed {
			live = append(live, p)
		}
	}
	st := &phaseStats{Name: name}
	var mu sync.Mutex
	b.unanswered.Store(0)
	start, cpu0 := time.Now(), sampleCPU()
	err := parallel(ctx, b.o.Concurrency, len(live), func(i int) error {
		p := live[i]
		t0 := time.Now()
		err := fn(ctx, p)
		d := time.Since(t0)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			p.failed = true
			st.Errors++
			if st.Errors <= 3 {
				b.logf("%s failed: %v", name, err)
			}
			return nil
		}
		st.lat = append(st.lat, d)
		return nil
	})
	st.WallS = time.Since(start).Seconds()
	st.Unanswered = int(b.unanswered.Load())
	st.compute()
	st.CPUms = b.cpuPer(cpu0, st.Count)
	b.res.Phases = append(b.res.Phases, st)
	b.logf("%-11s %5d ok %4d failed in %6.1fs  p50 %6.1f ms  p99 %6.1f ms  (%d answered 503)%s", name, st.Count, st.Errors, st.WallS, st.P50, st.P99, st.Unanswered, st.cpuText())
	if err != nil {
		return err
	}
	if st.Count == 0 {
		return fmt.Errorf("every %s failed", name)
	}
	return nil
}

// moveAll moves the dates of every cycle and times it.
func (b *bench) moveAll(ctx context.Context, name string, cal map[string]string) error {
	var total time.Duration
	for _, prov := range b.o.Provinces {
		d, err := b.moveCycle(ctx, b.cycles[prov], cal)
		if err != nil {
			return err
		}
		total += d
	}
	b.res.CycleOps = append(b.res.CycleOps, cycleOp{Name: name, Seconds: total.Seconds()})
	b.logf("%s: %.1fs", name, total.Seconds())
	return nil
}

// lockAll locks every cycle as its kepala dinas. A lock of thousands may
// outlast the request (503); it goes on in the cycle's workflow, whose
// progress GET /cycles/{id}/lock shows until it is done.
func (b *bench) lockAll(ctx context.Context) error {
	var total time.Duration
	moved := 0
	for _, prov := range b.o.Provinces {
		id, kadis := b.cycles[prov], b.user(domain.RoleKadisProvinsi, prov)
		start := time.Now()
		var res struct {
			Moved int `json:"moved"`
		}
		_, err := b.api.call(ctx, http.MethodPost, "/api/v1/cycles/"+id+"/actions/lock", kadis.token, map[string]string{"comment": "Hasil konsolidasi dikunci (bench)."}, nil, &res)
		if statusOf(err) == http.StatusServiceUnavailable {
			b.logf("lock of %s outlasted the request; following its progress", id)
			for {
				var p struct {
					Running bool `json:"running"`
					Moved   int  `json:"moved"`
					Failed  int  `json:"failed"`
				}
				if _, err := b.api.call(ctx, http.MethodGet, "/api/v1/cycles/"+id+"/lock", kadis.token, nil, nil, &p); err != nil {
					return err
				}
				if !p.Running {
					var cy cycleView
					if _, err := b.api.call(ctx, http.MethodGet, "/api/v1/cycles/"+id, kadis.token, nil, nil, &cy); err != nil {
						return err
					}
					if !cy.Locked {
						return fmt.Errorf("lock of cycle %s ended without locking it (%d moved, %d failed)", id, p.Moved, p.Failed)
					}
					res.Moved = p.Moved
					err = nil
					break
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(500 * time.Millisecond):
				}
			}
		}
		if err != nil {
			return fmt.Errorf("lock cycle %s: %w", id, err)
		}
		total += time.Since(start)
		moved += res.Moved
	}
	b.res.LockMoved = moved
	b.res.CycleOps = append(b.res.CycleOps, cycleOp{Name: fmt.Sprintf("lock (%d proposals to ministry)", moved), Seconds: total.Seconds()})
	b.logf("lock: %d proposals moved in %.1fs", moved, total.Seconds())
	return nil
}

// sampleRead times one read Samples times, one request at a time (nothing
// else runs: these are latencies at a size, not under load).
func (b *bench) sampleRead(ctx context.Context, name string, inbox bool, token, path string) {
	start := time.Now()
	defer func() { b.res.readS += time.Since(start).Seconds() }()
	st := &phaseStats{Name: name, inbox: inbox}
	var items int
	for range b.o.Samples {
		var out struct {
			Items []json.RawMessage `json:"items"`
		}
		t0 := time.Now()
		_, err := b.api.call(ctx, http.MethodGet, path, token, nil, nil, &out)
		d := time.Since(t0)
		if err != nil {
			st.Errors++
			if st.Errors == 1 {
				b.logf("%s failed: %v", name, err)
			}
			continue
		}
		items = len(out.Items)
		st.lat = append(st.lat, d)
	}
	st.WallS = time.Since(start).Seconds()
	st.Items = items
	st.compute()
	b.res.Reads = append(b.res.Reads, st)
}

// export times the XLSX consolidated list of every cycle, as the ministry
// liaison downloads it.
func (b *bench) export(ctx context.Context) {
	liaison := b.user(domain.RolePenghubungKementrian, domain.NationalScope)
	var total time.Duration
	var size int64
	for _, prov := range b.o.Provinces {
		start := time.Now()
		n, err := b.api.download(ctx, "/api/v1/exports/consolidated?format=xlsx&cycle_id="+url.QueryEscape(b.cycles[prov]), liaison.token)
		if err != nil {
			b.logf("export of %s failed: %v", b.cycles[prov], err)
			b.res.ExportS, b.res.ExportErr = -1, err.Error()
			return
		}
		total += time.Since(start)
		size += n
	}
	b.res.ExportS = total.Seconds()
	b.res.ExportBytes = size
}

// countFinal reads, through the API, which of the bench's proposals are
// final: the projection, not the answers, is what users see.
func (b *bench) countFinal(ctx context.Context) {
	mine := map[string]bool{}
	for _, p := range b.props {
		if p.id != "" {
			mine[p.id] = true
		}
	}
	liaison := b.user(domain.RolePenghubungKementrian, domain.NationalScope)
	final := 0
	for _, prov := range b.o.Provinces {
		cursor := ""
		for {
			q := url.Values{"cycle_id": {b.cycles[prov]}, "stage": {string(domain.StageFinal)}, "limit": {"200"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var page struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
				NextCursor *string `json:"next_cursor"`
			}
			if _, err := b.api.call(ctx, http.MethodGet, "/api/v1/proposals?"+q.Encode(), liaison.token, nil, nil, &page); err != nil {
				b.logf("counting final proposals: %v", err)
				b.res.Final = -1
				return
			}
			for _, it := range page.Items {
				if mine[it.ID] {
					final++
				}
			}
			if page.NextCursor == nil || *page.NextCursor == "" {
				break
			}
			cursor = *page.NextCursor
		}
	}
	b.res.Final = final
}

// historyEvents counts the Temporal history events of the first
// proposal's workflow: what one proposal's eight recorded changes cost
// Temporal (the ratio's explanation, when there is one to give).
func (b *bench) historyEvents(ctx context.Context) {
	p := b.firstLive()
	if p == nil || b.stack.Temporal == nil {
		return
	}
	it := b.stack.Temporal.GetWorkflowHistory(ctx, workflows.ProposalWorkflowID(p.id), "", false, 0)
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return
		}
		n++
	}
	b.res.HistoryEvents = n
}

// measureBare times the bare Update (bench_bare.go), then the bare Update
// that runs one no-op activity and the one that runs a local activity: the
// second says how much of a transition's latency one activity round trip
// through Temporal accounts for, the third what it would be without it.
func (b *bench) measureBare(ctx context.Context) {
	if b.stack.Temporal == nil {
		b.res.BareSkipped = "TEMPORAL_ADDRESS not set"
		return
	}
	n := b.o.BareUpdates
	if n == 0 {
		n = max(b.res.transitionCount(), 2000)
	}
	for _, k := range []bareKind{bareUpdate, bareWithActivity, bareWithLocalActivity} {
		name, count := k.String(), n
		if k != bareUpdate {
			count = min(n, 2000)
		}
		b.logf("timing %d × %s at concurrency %d", count, name, b.o.Concurrency)
		st, err := b.timeBare(ctx, k, count)
		if err != nil {
			b.logf("%s failed: %v", name, err)
			if k == bareUpdate {
				b.res.BareSkipped = err.Error()
				return
			}
			continue
		}
		b.logf("%s: %d in %.1fs, p50 %.1f ms, p99 %.1f ms%s", name, st.Count, st.WallS, st.P50, st.P99, st.cpuText())
		switch k {
		case bareUpdate:
			b.res.Bare = st
		case bareWithActivity:
			b.res.BareActivity = st
		case bareWithLocalActivity:
			b.res.BareLocal = st
		}
	}
}

// timeBare times count bare Updates of kind k (bench_bare.go). Only the
// timed Updates count, in latency and CPU, not starting and ending the
// no-op workflows.
func (b *bench) timeBare(ctx context.Context, k bareKind, count int) (*phaseStats, error) {
	run, err := startBare(ctx, b.stack.Temporal, b.runID, count, b.o.Concurrency, k)
	if err != nil {
		return nil, err
	}
	defer run.close(ctx)
	cpu0 := sampleCPU()
	lat, errs, wall, err := run.time(ctx, count)
	if err != nil {
		return nil, err
	}
	st := &phaseStats{Name: k.String(), lat: lat, Errors: errs, WallS: wall.Seconds()}
	st.compute()
	st.CPUms = b.cpuPer(cpu0, st.Count)
	return st, nil
}

// parallel calls fn(0..n-1) from c goroutines; the first error stops
// handing out work and is returned.
func parallel(ctx context.Context, c, n int, fn func(int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for range min(c, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil || i >= n || ctx.Err() != nil
				mu.Unlock()
				if stop {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// --- results ------------------------------------------------------------------

// phaseStats are the latencies of one action or read, in milliseconds.
type phaseStats struct {
	Name   string `json:"name"`
	Count  int    `json:"count"`
	Errors int    `json:"errors"`
	// Unanswered counts 503s: the API stopped waiting for the workflow,
	// the decision landed later (awaitOutcome). They are in Count, with
	// the time until the decision showed.
	Unanswered int     `json:"unanswered,omitempty"`
	Items      int     `json:"items,omitempty"` // reads: items on the page
	WallS      float64 `json:"wall_s"`
	PerS       float64 `json:"per_s"`
	Mean       float64 `json:"mean_ms"`
	P50        float64 `json:"p50_ms"`
	P95        float64 `json:"p95_ms"`
	P99        float64 `json:"p99_ms"`
	Max        float64 `json:"max_ms"`
	// CPUms is the CPU time per request, in milliseconds, of this process
	// and of the Temporal dev server (embedded stack only).
	CPUms *[2]float64 `json:"cpu_ms_per_request,omitempty"`
	lat   []time.Duration
	inbox bool
}

// cpuPer is the CPU time this process and the Temporal dev server used
// since c0, per request of n; nil unless the stack is embedded.
func (b *bench) cpuPer(c0 cpuSample, n int) *[2]float64 {
	if !b.stack.Embedded || n == 0 || c0.self < 0 || c0.temporal < 0 {
		return nil
	}
	c1 := sampleCPU()
	return &[2]float64{1000 * (c1.self - c0.self) / float64(n), 1000 * (c1.temporal - c0.temporal) / float64(n)}
}

func (s *phaseStats) cpuText() string {
	if s.CPUms == nil {
		return ""
	}
	return fmt.Sprintf("; CPU per request %.1f ms rencana, %.1f ms Temporal", s.CPUms[0], s.CPUms[1])
}

func (s *phaseStats) compute() {
	slices.Sort(s.lat)
	s.Count = len(s.lat)
	if s.WallS > 0 {
		s.PerS = float64(s.Count) / s.WallS
	}
	s.P50, s.P95, s.P99 = percentile(s.lat, 0.50), percentile(s.lat, 0.95), percentile(s.lat, 0.99)
	if s.Count > 0 {
		s.Max = ms(s.lat[s.Count-1])
		var sum time.Duration
		for _, d := range s.lat {
			sum += d
		}
		s.Mean = ms(sum) / float64(s.Count)
	}
}

// percentile is the nearest-rank percentile of sorted, in milliseconds.
func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return ms(sorted[max(0, min(i, len(sorted)-1))])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type cycleOp struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"s"`
}

// benchResult is everything the report shows.
type benchResult struct {
	Proposals, Concurrency int
	Provinces              []string
	Stack                  string
	Embedded               bool
	GoMaxProcs, NumCPU     int
	Kecamatan              int
	SetupS, DriveS         float64
	readS                  float64
	Phases                 []*phaseStats
	Transitions            *phaseStats
	Reads                  []*phaseStats
	CycleOps               []cycleOp
	LockMoved              int
	Bare                   *phaseStats
	BareActivity           *phaseStats
	BareLocal              *phaseStats
	BareSkipped            string
	ExportS                float64
	ExportBytes            int64
	ExportErr              string
	Final                  int
	HistoryEvents          int
	PeakRSS, TemporalRSS   float64
	// CPUSelf and CPUTemporal are the CPU seconds this process and the
	// Temporal dev server used during the drive (embedded stack only).
	CPUSelf, CPUTemporal float64
	// TaskPolls are the workflow tasks of rencana's queue handed to its
	// worker during the drive (embedded stack only; zero when unread), as
	// the dev server's counters report them: they trail by their reporting
	// interval, about a second, so the counts miss that much at each end
	// of the drive; the share is what to read.
	TaskPolls taskPolls
}

// transitionActions are the stage actions a client sends (create is a
// POST of a new proposal, lock a cycle action: both are reported apart).
var transitionActions = []string{"submit", "approve", "accept", "consolidate", "fund", "map"}

// syncMatch is the share of the drive's workflow tasks that met a waiting
// poller (see workerOptions).
func (r *benchResult) syncMatch() float64 { return r.TaskPolls.sync / max(1, r.TaskPolls.all) }

func (r *benchResult) transitionCount() int {
	n := 0
	for _, p := range r.Phases {
		if slices.Contains(transitionActions, p.Name) {
			n += p.Count
		}
	}
	return n
}

// finish derives the summary figures once the run is over.
func (r *benchResult) finish() {
	t := &phaseStats{Name: "transition (6 stage actions)"}
	for _, p := range r.Phases {
		if slices.Contains(transitionActions, p.Name) {
			t.lat = append(t.lat, p.lat...)
			t.Errors += p.Errors
			t.Unanswered += p.Unanswered
			t.WallS += p.WallS
		}
	}
	t.compute()
	r.Transitions = t
	r.PeakRSS, r.TemporalRSS = -1, -1
	if r.Embedded {
		r.PeakRSS = peakRSS("self")
		for _, pid := range childPIDs("temporal") {
			r.TemporalRSS = max(r.TemporalRSS, peakRSS(pid))
		}
	}
}

// recorded is the number of changes recorded per proposal: create, the six
// stage actions and the lock.
func (r *benchResult) recordedTransitions() int {
	n := r.LockMoved
	for _, p := range r.Phases {
		n += p.Count
	}
	return n
}

func (r *benchResult) ratio() float64 {
	if r.Bare == nil || r.Bare.P50 <= 0 || r.Transitions == nil {
		return -1
	}
	return r.Transitions.P50 / r.Bare.P50
}

// meanRatio is the same ratio over means, which a skewed distribution on
// either side would set apart from the ratio of medians.
func (r *benchResult) meanRatio() float64 {
	if r.Bare == nil || r.Bare.Mean <= 0 || r.Transitions == nil {
		return -1
	}
	return r.Transitions.Mean / r.Bare.Mean
}

func (r *benchResult) inboxWorst() (p50, p99 float64) {
	for _, s := range r.Reads {
		if s.inbox && s.Count > 0 {
			p50, p99 = max(p50, s.P50), max(p99, s.P99)
		}
	}
	return p50, p99
}

func (r *benchResult) read(prefix string) *phaseStats {
	for _, s := range r.Reads {
		if strings.HasPrefix(s.Name, prefix) {
			return s
		}
	}
	return &phaseStats{}
}

func round(f float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(f*p) / p
}

// print writes the table and, with asJSON, the JSON object as the last line.
func (r *benchResult) print(w io.Writer, asJSON bool) {
	if r.Transitions == nil {
		r.finish()
	}
	fmt.Fprintf(w, "\nrencana bench: P=%d proposals, C=%d clients, provinces %s (%d kecamatan), GOMAXPROCS=%d of %d CPUs\n",
		r.Proposals, r.Concurrency, strings.Join(r.Provinces, ","), r.Kecamatan, r.GoMaxProcs, r.NumCPU)
	fmt.Fprintf(w, "stack: %s\n\n", r.Stack)

	fmt.Fprintf(w, "%-38s %6s %6s %7s %7s %8s %8s %8s %8s\n", "action", "ok", "errors", "wall s", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms")
	row := func(s *phaseStats) {
		fmt.Fprintf(w, "%-38s %6d %6d %7.1f %7.1f %8.1f %8.1f %8.1f %8.1f\n", s.Name, s.Count, s.Errors, s.WallS, s.PerS, s.P50, s.P95, s.P99, s.Max)
	}
	for _, p := range r.Phases {
		row(p)
	}
	row(r.Transitions)
	for _, p := range r.Phases {
		if p.Unanswered > 0 {
			fmt.Fprintf(w, "  %s: %d answered 503 (the API stopped waiting for the workflow); counted until the decision showed\n", p.Name, p.Unanswered)
		}
	}
	if r.Bare != nil {
		row(r.Bare)
	}
	if r.BareActivity != nil {
		row(r.BareActivity)
	}
	if r.BareLocal != nil {
		row(r.BareLocal)
	}

	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-38s %6s %8s %8s %8s %8s\n", fmt.Sprintf("read (%d requests each, in series)", r.readSamples()), "items", "p50 ms", "p95 ms", "p99 ms", "max ms")
	for _, s := range r.Reads {
		fmt.Fprintf(w, "%-38s %6d %8.1f %8.1f %8.1f %8.1f\n", s.Name, s.Items, s.P50, s.P95, s.P99, s.Max)
	}

	fmt.Fprintln(w)
	for _, op := range r.CycleOps {
		fmt.Fprintf(w, "%-46s %8.1f s\n", op.Name, op.Seconds)
	}
	if r.ExportErr != "" {
		fmt.Fprintf(w, "%-46s %s\n", "export XLSX", "FAILED: "+r.ExportErr)
	} else {
		fmt.Fprintf(w, "%-46s %8.2f s  (%d KiB)\n", "export XLSX, consolidated list", r.ExportS, r.ExportBytes/1024)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-46s %8.1f s (setup %.1f s not included)\n", "drive (create to final)", r.DriveS, r.SetupS)
	fmt.Fprintf(w, "%-46s %8.2f\n", "proposals/s", r.proposalsPerS())
	fmt.Fprintf(w, "%-46s %8.2f  (%d recorded: create, 6 actions, lock)\n", "transitions/s", r.transitionsPerS(), r.recordedTransitions())
	fmt.Fprintf(w, "%-46s %5d / %d\n", "proposals final (read back through the API)", r.Final, r.Proposals)
	if r.Embedded && r.CPUSelf > 0 {
		per := func(sec float64) float64 { return 1000 * sec / float64(max(1, r.recordedTransitions())) }
		fmt.Fprintf(w, "%-46s %8.1f s rencana process (%.1f ms per recorded change)\n", "CPU used during the drive", r.CPUSelf, per(r.CPUSelf))
		if r.CPUTemporal >= 0 {
			fmt.Fprintf(w, "%-46s %8.1f s Temporal dev server (%.1f ms per recorded change)\n", "", r.CPUTemporal, per(r.CPUTemporal))
			fmt.Fprintf(w, "%-46s %8.2f of %d CPUs busy on average\n", "", (r.CPUSelf+r.CPUTemporal)/r.DriveS, r.NumCPU)
		}
	}
	if r.TaskPolls.all > 0 {
		fmt.Fprintf(w, "%-46s %7.0f%%  (%.0f of %.0f; the rest went through Temporal's task table)\n", "workflow tasks met a waiting poller",
			100*r.syncMatch(), r.TaskPolls.sync, r.TaskPolls.all)
	}
	if r.HistoryEvents > 0 {
		fmt.Fprintf(w, "%-46s %8d  (%.1f per recorded change)\n", "Temporal history events, one proposal", r.HistoryEvents, float64(r.HistoryEvents)/8)
	}
	if r.Bare != nil {
		fmt.Fprintf(w, "%-46s %8.2f  (transition p50 %.1f ms / bare Update p50 %.1f ms)\n", "ratio to bare Update (medians)", r.ratio(), r.Transitions.P50, r.Bare.P50)
		fmt.Fprintf(w, "%-46s %8.2f  (transition %.1f ms / bare Update %.1f ms)\n", "ratio to bare Update (means)", r.meanRatio(), r.Transitions.Mean, r.Bare.Mean)
	} else {
		fmt.Fprintf(w, "%-46s %s\n", "ratio to bare Update", "not measured: "+r.BareSkipped)
	}
	if r.Embedded {
		fmt.Fprintf(w, "%-46s %8.0f MiB (VmHWM; API + worker + this load generator)\n", "peak RSS, rencana process", r.PeakRSS)
		fmt.Fprintf(w, "%-46s %8.0f MiB (VmHWM)\n", "peak RSS, Temporal dev server", r.TemporalRSS)
	} else {
		fmt.Fprintf(w, "%-46s %s\n", "peak RSS", "not measured: the server runs elsewhere (--addr)")
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "%-46s %s (%.1f ms)\n", "target transition p99 < 250 ms", verdict(r.Transitions.Count > 0 && r.Transitions.P99 < 250), r.Transitions.P99)
	if ratio := r.ratio(); ratio >= 0 {
		fmt.Fprintf(w, "%-46s %s (%.2f)\n", "target ratio to bare Update < 2", verdict(ratio < 2), ratio)
	}
	if asJSON {
		b, err := json.Marshal(r.jsonObject())
		if err != nil {
			fmt.Fprintln(w, "{}")
			return
		}
		fmt.Fprintf(w, "\n%s\n", b)
	}
}

func (r *benchResult) readSamples() int {
	for _, s := range r.Reads {
		return s.Count + s.Errors
	}
	return 0
}

func (r *benchResult) proposalsPerS() float64 {
	if r.DriveS <= 0 {
		return 0
	}
	return float64(r.Final) / r.DriveS
}

func (r *benchResult) transitionsPerS() float64 {
	if r.DriveS <= 0 {
		return 0
	}
	return float64(r.recordedTransitions()) / r.DriveS
}

// jsonObject is the --json line: the keys issue 9 asks for, then detail.
func (r *benchResult) jsonObject() map[string]any {
	inbox50, inbox99 := r.inboxWorst()
	list := r.read("list perencana_provinsi (final)")
	bare50, bare99, bareN := -1.0, -1.0, 0
	if r.Bare != nil {
		bare50, bare99, bareN = round(r.Bare.P50, 2), round(r.Bare.P99, 2), r.Bare.Count
	}
	actions := map[string]any{}
	for _, p := range r.Phases {
		actions[p.Name] = map[string]any{"count": p.Count, "errors": p.Errors, "unanswered": p.Unanswered, "per_s": round(p.PerS, 2),
			"p50_ms": round(p.P50, 2), "p95_ms": round(p.P95, 2), "p99_ms": round(p.P99, 2), "max_ms": round(p.Max, 2)}
	}
	reads := map[string]any{}
	for _, s := range r.Reads {
		reads[s.Name] = map[string]any{"items": s.Items, "p50_ms": round(s.P50, 2), "p99_ms": round(s.P99, 2)}
	}
	ops := map[string]any{}
	for _, op := range r.CycleOps {
		ops[op.Name] = round(op.Seconds, 2)
	}
	out := map[string]any{
		"proposals_per_s":      round(r.proposalsPerS(), 2),
		"transitions_per_s":    round(r.transitionsPerS(), 2),
		"transition_p50_ms":    round(r.Transitions.P50, 2),
		"transition_p95_ms":    round(r.Transitions.P95, 2),
		"transition_p99_ms":    round(r.Transitions.P99, 2),
		"bare_update_p50_ms":   bare50,
		"bare_update_p99_ms":   bare99,
		"bare_update_count":    bareN,
		"ratio_to_bare_update": round(r.ratio(), 3),
		"ratio_of_means":       round(r.meanRatio(), 3),
		"transition_mean_ms":   round(r.Transitions.Mean, 2),
		"inbox_p50_ms":         round(inbox50, 2),
		"inbox_p99_ms":         round(inbox99, 2),
		"list_p50_ms":          round(list.P50, 2),
		"list_p99_ms":          round(list.P99, 2),
		"export_s":             round(r.ExportS, 3),
		"export_bytes":         r.ExportBytes,
		"peak_rss_mb":          round(r.PeakRSS, 1),
		"temporal_peak_rss_mb": round(r.TemporalRSS, 1),
		"proposals":            r.Proposals,
		"concurrency":          r.Concurrency,
		"provinces":            r.Provinces,
		"kecamatan":            r.Kecamatan,
		"final":                r.Final,
		"errors":               r.errors(),
		"transitions":          r.Transitions.Count,
		"unanswered":           r.Transitions.Unanswered,
		"recorded_transitions": r.recordedTransitions(),
		"drive_s":              round(r.DriveS, 2),
		"setup_s":              round(r.SetupS, 2),
		"history_events":       r.HistoryEvents,
		"cpu_s_rencana":        round(r.CPUSelf, 1),
		"cpu_s_temporal":       round(r.CPUTemporal, 1),
		"actions":              actions,
		"reads":                reads,
		"cycle_ops_s":          ops,
		"embedded":             r.Embedded,
		"gomaxprocs":           r.GoMaxProcs,
	}
	if r.BareSkipped != "" {
		out["bare_update_skipped"] = r.BareSkipped
	}
	if r.TaskPolls.all > 0 {
		out["workflow_task_sync_match"] = round(r.syncMatch(), 3)
	}
	if r.BareActivity != nil {
		out["bare_update_activity_p50_ms"] = round(r.BareActivity.P50, 2)
		out["bare_update_activity_p99_ms"] = round(r.BareActivity.P99, 2)
	}
	if r.BareLocal != nil {
		out["bare_update_local_activity_p50_ms"] = round(r.BareLocal.P50, 2)
		out["bare_update_local_activity_p99_ms"] = round(r.BareLocal.P99, 2)
	}
	if r.Embedded {
		out["peak_rss_note"] = "VmHWM of the bench process: API, worker and load generator together; the Temporal dev server apart"
	} else {
		out["peak_rss_note"] = "not measured: --addr server runs in another process"
	}
	return out
}

func (r *benchResult) errors() int {
	n := 0
	for _, p := range r.Phases {
		n += p.Errors
	}
	return n
}
