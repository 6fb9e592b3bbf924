package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/demo"
	"github.com/rencana-id/rencana/internal/domain"
)

// runKMPBench is `rencana-bench kmp` (issue 19): on the embedded stack it
// starts the KMP workflows of every desa/kelurahan under --region in one
// POST /api/v1/kmp/start, follows the job to its end while sampling the
// resident memory of this process (API, worker, load generator) and of the
// Temporal dev server, and meanwhile records milestones through the API in
// the kelurahan of --probe (started first) to time a milestone Update
// while the start runs.
func runKMPBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var region, probe string
	cfg, rest, err := config.Load(config.ModeBench, args, getenv, stderr, func(f *flag.FlagSet) {
		f.StringVar(&region, "region", "33", "the region to start: a kab/kota, a province or * for the country")
		f.StringVar(&probe, "probe", "74.71", "a small kab/kota started first, whose milestones are recorded during the big start")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	dir, err := os.MkdirTemp("", "rencana-bench-kmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(stderr, "bench kmp: starting the embedded stack in %s\n", dir)
	stack, err := startEmbeddedStack(ctx, cfg, dir, nil, false, stderr)
	if err != nil {
		return err
	}
	defer stack.Close()
	api := newAPIClient(stack.BaseURLs, 4)
	login := func(user, pw string) (string, error) {
		var l struct {
			Token string `json:"token"`
		}
		_, err := api.call(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": user, "password": pw}, nil, &l)
		return l.Token, err
	}
	admin, err := login("admin", stack.AdminPassword)
	if err != nil {
		return err
	}
	const pw = "bench-kmp-password-1"
	mkUser := func(name string, role domain.Role, scope string) (string, error) {
		body := map[string]any{"username": name, "password": pw, "full_name": "Bench " + name,
			"roles": []map[string]string{{"role": string(role), "scope": scope}}}
		if _, err := api.call(ctx, http.MethodPost, "/api/v1/admin/users", admin, body, nil, nil); err != nil {
			return "", err
		}
		return login(name, pw)
	}
	// The task force is a province's (or a kab/kota's); the country is
	// started by the ministry liaison.
	starter := "bench.satgas." + strings.ReplaceAll(region, ".", "")
	starterRole, starterScope := domain.RoleSatgasKMP, region[:min(2, len(region))]
	if region == domain.NationalScope {
		starter, starterRole, starterScope = "bench.kemenkop", domain.RolePenghubungKementrian, domain.NationalScope
	}
	starterTok, err := mkUser(starter, starterRole, starterScope)
	if err != nil {
		return err
	}
	satgas := starterTok
	if starterScope != domain.NationalScope && starterScope != probe[:2] {
		if satgas, err = mkUser("bench.satgas.probe", domain.RoleSatgasKMP, probe[:2]); err != nil {
			return err
		}
	}
	var kec struct{ Items []regionItem }
	if _, err := api.call(ctx, http.MethodGet, "/api/v1/regions?parent="+url.QueryEscape(probe), admin, nil, nil, &kec); err != nil {
		return err
	}
	camat := map[string]string{}
	for _, k := range kec.Items {
		if camat[k.Code], err = mkUser("bench.camat."+k.Code, domain.RoleCamat, k.Code); err != nil {
			return err
		}
	}
	type job struct {
		Job        string     `json:"job"`
		Status     string     `json:"status"`
		Total      int64      `json:"total"`
		Started    int64      `json:"started"`
		Already    int64      `json:"already"`
		Failed     int64      `json:"failed"`
		FinishedAt *time.Time `json:"finished_at"`
	}
	deadlines := map[string]string{"musdes": time.Now().AddDate(0, 2, 0).Format(time.RFC3339)}
	var pj job
	if _, err := api.call(ctx, http.MethodPost, "/api/v1/kmp/start", satgas, map[string]any{"region": probe, "deadlines": deadlines}, nil, &pj); err != nil {
		return err
	}
	var probeKMP struct {
		Items []struct {
			RegionCode string `json:"region_code"`
			Name       string `json:"name"`
		} `json:"items"`
	}
	if _, err := api.call(ctx, http.MethodGet, "/api/v1/kmp?limit=200&region="+url.QueryEscape(probe), satgas, nil, nil, &probeKMP); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench kmp: %s started (%d of %d), %d KMP to record milestones in\n", probe, pj.Started, pj.Total, len(probeKMP.Items))

	load0 := loadAvg()
	start := time.Now()
	var big job
	if _, err := api.call(ctx, http.MethodPost, "/api/v1/kmp/start", starterTok, map[string]any{"region": region, "deadlines": deadlines}, nil, &big); err != nil {
		return err
	}
	// Milestone Updates while the start runs: musdes in every probe desa,
	// then pengurus, … one at a time, until the start ends.
	done := make(chan struct{})
	var lat []time.Duration
	var updErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for o := 1; o <= len(domain.KMPSteps); o++ {
			m := domain.KMPMilestoneAt(o)
			for _, k := range probeKMP.Items {
				select {
				case <-done:
					return
				default:
				}
				f := demo.KMPDemoFields(m, k.RegionCode, k.Name, time.Now().AddDate(0, 0, -40+5*o))
				t0 := time.Now()
				_, err := api.call(ctx, http.MethodPost, "/api/v1/kmp/"+k.RegionCode+"/milestones/"+string(m), camat[k.RegionCode[:8]], f, nil, nil)
				if err != nil {
					updErr = err
					return
				}
				lat = append(lat, time.Since(t0))
			}
		}
	}()
	self := strconv.Itoa(os.Getpid())
	var selfRSS, tempRSS []float64
	var last job
	for {
		if _, err := api.call(ctx, http.MethodGet, "/api/v1/kmp/start/"+url.PathEscape(big.Job), starterTok, nil, nil, &last); err != nil {
			close(done)
			return err
		}
		selfRSS = append(selfRSS, rssMiB(self))
		t := 0.0
		for _, pid := range childPIDs("temporal") {
			t += rssMiB(pid)
		}
		tempRSS = append(tempRSS, t)
		if last.FinishedAt != nil || last.Status != "running" {
			break
		}
		select {
		case <-ctx.Done():
			close(done)
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
	elapsed := time.Since(start)
	close(done)
	wg.Wait()
	load1 := loadAvg()
	if updErr != nil {
		return fmt.Errorf("milestone update: %w", updErr)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rate := float64(last.Started+last.Already) / elapsed.Seconds()
	fmt.Fprintf(stdout, "KMP start of %s: %d desa/kelurahan (%d started, %d already, %d failed, status %s) in %s: %.0f/s\n",
		region, last.Total, last.Started, last.Already, last.Failed, last.Status, elapsed.Round(time.Second), rate)
	fmt.Fprintf(stdout, "  extrapolated to 83,762 at that rate: %s\n", time.Duration(83762/rate*float64(time.Second)).Round(time.Second))
	fmt.Fprintf(stdout, "  RSS MiB every 5 s, this process (API+worker+bench): %s\n", series(selfRSS))
	fmt.Fprintf(stdout, "  RSS MiB every 5 s, Temporal dev server: %s\n", series(tempRSS))
	fmt.Fprintf(stdout, "  peak RSS MiB: this process %.0f\n", peakRSS(self))
	if len(lat) > 0 {
		fmt.Fprintf(stdout, "  milestone Updates through the API during the start: %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			len(lat), percentile(lat, 0.50), percentile(lat, 0.99), ms(lat[len(lat)-1]))
	}
	fmt.Fprintf(stdout, "  load average before %s, after %s (2 cores, shared)\n", load0, load1)
	return nil
}

// rssMiB reads VmRSS (the current resident set) of a process, in MiB.
func rssMiB(pid string) float64 {
	f, err := os.Open(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return -1
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func series(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, strconv.FormatFloat(x, 'f', 0, 64))
	}
	return strings.Join(parts, " ")
}
