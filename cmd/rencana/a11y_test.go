package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// axeScript reads axe-core's axe.min.js, which `make test` installs from the
// npm registry into bin/ (RENCANA_AXE names it).
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("RENCANA_AXE")
	if path == "" {
		matches, _ := filepath.Glob(filepath.Join("..", "..", "bin", "axe-core-*", "node_modules", "axe-core", "axe.min.js"))
		if len(matches) > 0 {
			path = matches[len(matches)-1]
		}
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err, "axe-core not found: run `make test` (it installs it) or set RENCANA_AXE")
	return string(b)
}

// axeViolation is one rule broken on a page, with the elements breaking it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// runAxe injects axe-core into the current page and returns its violations.
func runAxe(script string, out *[]axeViolation) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := chromedp.Evaluate(script, nil).Do(ctx); err != nil {
			return fmt.Errorf("inject axe: %w", err)
		}
		var raw string
		err := chromedp.Evaluate(`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`, &raw,
			func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }).Do(ctx)
		if err != nil {
			return fmt.Errorf("run axe: %w", err)
		}
		return json.Unmarshal([]byte(raw), out)
	})
}

// TestBrowserAccessibility visits every page as the users who see it, runs
// axe-core on each and fails on any serious or critical violation. On the
// way it walks the notification centre (a reviewer sees the submitted
// proposal's notification, the header counts it, "mark all read" clears
// it) and the delegation page (a kepala dinas gives his review of Andoolo
// to its camat for a year; the camat sees it).
func TestBrowserAccessibility(t *testing.T) {
	dataDir := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	startDev(t, addr, dataDir, map[string]string{"RENCANA_TEMPORAL_DEV_PORT": freePort(t), "RENCANA_TEMPORAL_UI_PORT": freePort(t)})
	creds := readCredentials(filepath.Join(dataDir, "credentials.txt"))
	base := "http://" + addr
	dir := artifactDir(t)
	script := axeScript(t)
	cycleID := "74-" + fmt.Sprint(time.Now().Year()+1)

	// A submitted proposal, through the API: its reviewers are notified.
	api := func(token, method, path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, err := http.NewRequest(method, base+path, strings.NewReader(string(b)))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		require.Less(t, resp.StatusCode, 300, out)
		return out
	}
	p := api(login2(t, addr, "kec.andoolo", creds.Demo), "POST", "/api/v1/proposals", map[string]any{
		"cycle_id": cycleID, "region_code": "74.05.03", "title": "Bazar produk UMKM Andoolo", "description": "Bazar produk unggulan",
		"category": "bazar", "amount_idr": 50_000_000, "funding_source": "apbd_kabkota",
		"indicators": []map[string]any{{"name": "UMKM peserta", "target": 20, "unit": "unit usaha"}}, "beneficiaries": "20 UMKM"})
	proposalID := p["id"].(string)
	api(login2(t, addr, "camat.andoolo", creds.Demo), "POST", "/api/v1/proposals/"+proposalID+"/actions/submit", map[string]any{})

	// A koperasi of Konawe Selatan's demo register, for its page.
	req, err := http.NewRequest("GET", base+"/api/v1/koperasi?limit=1", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+login2(t, addr, "operator.konsel", creds.Demo))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var kops struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&kops))
	resp.Body.Close()
	require.NotEmpty(t, kops.Items)
	badFile := filepath.Join(t.TempDir(), "koperasi.csv")
	require.NoError(t, os.WriteFile(badFile, []byte("nik,badan_hukum_no,badan_hukum_tanggal,nama,jenis,kode_wilayah,kmp,status,tanggal_rat,anggota,modal_sendiri,modal_luar,volume_usaha,shu\n"+
		"12ab,AHU-1,2020-01-02,Koperasi Uji,konsumen,74.05.03.2001,tidak,aktif,,20,1000,0,5000,10\n"), 0o600))

	ctx, cancel := newBrowser(t)
	defer cancel()
	pages := map[string][]string{
		"kec.andoolo":         {"/tugas", "/usulan", "/usulan/baru", "/usulan/" + proposalID, "/siklus", "/siklus/" + cycleID, "/notifikasi", "/delegasi"},
		"kabid.konsel":        {"/tugas", "/notifikasi"},
		"kadis.konsel":        {"/delegasi"},
		"kadis.sultra":        {"/siklus/" + cycleID, "/siklus/" + cycleID + "/rakorda", "/siklus/" + cycleID + "/konsolidasi", "/siklus/" + cycleID + "/target", "/ekspor"},
		"penghubung.kemenkop": {"/ekspor"},
		"operator.konsel":     {"/koperasi", "/koperasi/impor", "/koperasi/" + kops.Items[0].ID, "/koperasi/dasbor"},
	}
	pages["kadis.sultra"] = append(pages["kadis.sultra"], "/koperasi", "/koperasi/dasbor?wilayah=74")
	// Issue 22's setup pages (their forms and refusals are driven in
	// TestBrowserSetupPages).
	pages["kadis.sultra"] = append(pages["kadis.sultra"], "/siklus/baru", "/siklus/"+cycleID+"/pagu", "/siklus/"+cycleID+"/bumdes")
	pages["penghubung.kemenkop"] = append(pages["penghubung.kemenkop"], "/ekspor/keputusan")
	order := []string{"kec.andoolo", "kabid.konsel", "kadis.konsel", "kadis.sultra", "penghubung.kemenkop", "operator.konsel"}
	total := map[string]int{}
	var failures []string
	check := func(user, path string) {
		var vs []axeViolation
		require.NoError(t, runSteps(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(`main`, chromedp.ByQuery), runAxe(script, &vs)), path)
		for _, v := range vs {
			total[v.Impact]++
			if v.Impact == "serious" || v.Impact == "critical" {
				failures = append(failures, fmt.Sprintf("%s %s: %s (%s) %v", user, path, v.ID, v.Impact, v.Nodes))
			}
		}
	}
	// The harness is not vacuous: an image without text is found.
	var probe []axeViolation
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(base+"/masuk"), chromedp.WaitVisible(`main`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('main').insertAdjacentHTML('beforeend', '<img src="/static/style.css">')`, nil),
		runAxe(script, &probe)))
	require.True(t, slices.ContainsFunc(probe, func(v axeViolation) bool { return v.ID == "image-alt" && v.Impact == "critical" }), "axe finds an image without alt: %+v", probe)
	check("", "/masuk")
	for _, user := range order {
		require.NoError(t, chromedp.Run(ctx, loginAs(base, user, creds.Demo)))
		for _, path := range pages[user] {
			check(user, path)
		}
		switch user {
		case "kabid.konsel":
			var count, list string
			require.NoError(t, runSteps(ctx,
				chromedp.Navigate(base+"/tugas"),
				chromedp.Text(`.bell .count`, &count, chromedp.ByQuery),
				chromedp.Navigate(base+"/notifikasi"),
				chromedp.Text(`ul.notifications`, &list, chromedp.ByQuery),
				shot(t, dir, "20-notifikasi"),
				submit(`form.mark-all button`),
			))
			require.Equal(t, "1", count, "the header counts the unread notification")
			require.Contains(t, list, "Bazar produk UMKM Andoolo")
			var left int
			require.NoError(t, chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll('.bell .count, ul.notifications li.unread').length`, &left)))
			require.Zero(t, left, "all read: no count, no unread line")
		case "operator.konsel":
			// A file with a malformed NIK: the preview lists the row and
			// column, and offers no confirmation.
			var errs string
			var confirm int
			require.NoError(t, runSteps(ctx,
				chromedp.Navigate(base+"/koperasi/impor"),
				chromedp.WaitVisible(`input[name=berkas]`, chromedp.ByQuery),
				chromedp.SetUploadFiles(`input[name=berkas]`, []string{badFile}, chromedp.ByQuery),
				chromedp.Click(`form[enctype="multipart/form-data"] button[type=submit]`, chromedp.ByQuery),
				chromedp.WaitVisible(`#import-errors`, chromedp.ByQuery),
				chromedp.Text(`#import-errors`, &errs, chromedp.ByQuery),
				chromedp.Evaluate(`document.querySelectorAll('input[name=token]').length`, &confirm),
				shot(t, dir, "30-impor-koperasi-salah"),
			))
			require.Contains(t, errs, "nik")
			require.Contains(t, errs, "2")
			require.Zero(t, confirm, "a bad file cannot be confirmed")
			var vs []axeViolation // axe on the preview itself, not a fresh page
			require.NoError(t, runSteps(ctx, runAxe(script, &vs)))
			for _, v := range vs {
				total[v.Impact]++
				if v.Impact == "serious" || v.Impact == "critical" {
					failures = append(failures, fmt.Sprintf("%s import preview: %s (%s) %v", user, v.ID, v.Impact, v.Nodes))
				}
			}
		case "kadis.konsel":
			from := time.Now().In(time.FixedZone("WITA", 8*3600)).Format("2006-01-02T15:04")
			until := time.Now().In(time.FixedZone("WITA", 8*3600)).AddDate(1, 0, -1).Format("2006-01-02T15:04")
			var listed string
			require.NoError(t, runSteps(ctx,
				chromedp.Navigate(base+"/delegasi"),
				chromedp.WaitVisible(`form.delegation-form`, chromedp.ByQuery),
				chromedp.SendKeys(`input[name=to]`, "camat.andoolo", chromedp.ByQuery),
				chromedp.SetValue(`input[name=scope]`, "74.05.03", chromedp.ByQuery),
				chromedp.Click(`input[value=approve]`, chromedp.ByQuery),
				chromedp.Click(`input[value=return]`, chromedp.ByQuery),
				chromedp.Click(`input[value=reject]`, chromedp.ByQuery),
				chromedp.SetValue(`input[name=valid_from]`, from, chromedp.ByQuery),
				chromedp.SetValue(`input[name=valid_until]`, until, chromedp.ByQuery),
				submit(`form.delegation-form button[type=submit]`),
				chromedp.Text(`table.delegations`, &listed, chromedp.ByQuery),
				shot(t, dir, "21-delegasi"),
			))
			require.Contains(t, listed, "camat.andoolo")
			require.Contains(t, listed, "Setujui")
			check(user, "/delegasi")
		}
		require.NoError(t, chromedp.Run(ctx, logout()))
	}
	var camatSees string
	require.NoError(t, runSteps(ctx, loginAs(base, "camat.andoolo", creds.Demo), chromedp.Navigate(base+"/delegasi"),
		chromedp.Text(`main`, &camatSees, chromedp.ByQuery)))
	require.Contains(t, camatSees, "kadis.konsel", "the camat sees the delegation he received")
	t.Logf("axe-core violations by impact over every page: %v", total)
	require.Empty(t, failures, "serious or critical accessibility violations")
}
