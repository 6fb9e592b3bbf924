package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromiumPath finds Debian's chromium; `make test` installs it when missing.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("RENCANA_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("chromium not found: run `make test` (it installs Debian's chromium) or set RENCANA_CHROMIUM")
	return ""
}

// artifactDir is where screenshots go: test-artifacts/screenshots at the
// module root, kept out of git, collected by whoever runs the tests.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "test-artifacts", "screenshots"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// browser is one headless Chromium with a fresh profile.
func newBrowser(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	return ctx, func() { cancelTimeout(); cancelCtx(); cancelAlloc() }
}

func shot(t *testing.T, dir, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var buf []byte
		if err := chromedp.FullScreenshot(&buf, 100).Do(ctx); err != nil { // quality 100 means PNG
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

func loginAs(base, username, password string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/masuk"),
		chromedp.WaitVisible(`input[name=username]`, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=username]`, username, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, password, chromedp.ByQuery),
		chromedp.Click(`form[action="/masuk"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[action="/keluar"]`, chromedp.ByQuery),
	}
}

func logout() chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Click(`form[action="/keluar"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`input[name=username]`, chromedp.ByQuery),
	}
}

// TestBrowserDraftSubmitApprove is a planner, a camat and a reviewer using
// the pages in a real browser: the planner drafts a proposal (first with a
// mistake the page explains beside the field), the camat submits it, the
// reviewer finds it in Tugas Saya and approves it.
func TestBrowserDraftSubmitApprove(t *testing.T) {
	dataDir := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	env := map[string]string{
		"RENCANA_TEMPORAL_DEV_PORT": freePort(t),
		"RENCANA_TEMPORAL_UI_PORT":  freePort(t),
	}
	startDev(t, addr, dataDir, env)
	creds := readCredentials(filepath.Join(dataDir, "credentials.txt"))
	base := "http://" + addr
	dir := artifactDir(t)

	ctx, cancel := newBrowser(t)
	defer cancel()

	var url, errText, stage, inbox string
	var suggested []string
	title := "Pelatihan pengemasan produk UMKM Andoolo"
	require.NoError(t, chromedp.Run(ctx,
		shotAfter(loginAs(base, "kec.andoolo", creds.Demo), t, dir, "01-tugas-perencana"),
		chromedp.Navigate(base+"/usulan/baru"),
		chromedp.WaitVisible(`form.proposal-form`, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('#nomenklatur option')).map(o => o.value)`, &suggested),
		chromedp.SendKeys(`input[name=title]`, title, chromedp.ByQuery),
		chromedp.SendKeys(`textarea[name=description]`, "Pelatihan pengemasan dan label halal bagi 30 pelaku UMKM.", chromedp.ByQuery),
		chromedp.SetValue(`select[name=category]`, "pelatihan", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=amount_idr]`, "seratus juta", chromedp.ByQuery),
		chromedp.SetValue(`select[name=funding_source]`, "apbd_kabkota", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=indicator_name]`, "Pelaku UMKM terlatih", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=indicator_target]`, "30", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=indicator_unit]`, "orang", chromedp.ByQuery),
		chromedp.Click(`button[value=simpan]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.field-error`, chromedp.ByQuery),
		chromedp.Text(`.field-error`, &errText, chromedp.ByQuery),
		shot(t, dir, "02-formulir-dengan-kesalahan"),
		chromedp.SetValue(`input[name=amount_idr]`, "150.000.000", chromedp.ByQuery),
		submit(`button[value=simpan]`),
		chromedp.Location(&url),
		shot(t, dir, "03-draf-tersimpan"),
	))
	require.Contains(t, errText, "angka", "the amount field explains what it wants")
	require.NotEmpty(t, suggested, "the form suggests sub kegiatan")
	for _, code := range suggested {
		// A kecamatan's proposal is kab/kota level: only full sub kegiatan
		// codes with the kab/kota digit, never "2" or "2.17".
		require.Regexp(t, `^\d\.\d{2}\.\d{2}\.2\.\d{2}\.\d{4}$`, code, "a suggestion that cannot be mapped")
	}
	require.Contains(t, url, "/usulan/")
	proposalURL := strings.SplitN(url, "?", 2)[0]

	require.NoError(t, chromedp.Run(ctx,
		logout(),
		loginAs(base, "camat.andoolo", creds.Demo),
		chromedp.Navigate(proposalURL),
		chromedp.WaitVisible(`button.act-submit`, chromedp.ByQuery),
		submit(`button.act-submit`),
		chromedp.Text(`.stage`, &stage, chromedp.ByQuery),
		logout(),
	))
	require.Equal(t, "Reviu Kab/Kota", stage)

	require.NoError(t, chromedp.Run(ctx,
		loginAs(base, "kabid.konsel", creds.Demo),
		chromedp.Navigate(base+"/tugas"),
		chromedp.WaitVisible(`table.list`, chromedp.ByQuery),
		chromedp.Text(`table.list`, &inbox, chromedp.ByQuery),
		shot(t, dir, "04-tugas-reviewer"),
		chromedp.Click(`//table[contains(@class,"list")]//a[contains(., "Andoolo")]`, chromedp.BySearch),
		chromedp.WaitVisible(`button.act-approve`, chromedp.ByQuery),
		shot(t, dir, "05-usulan-reviewer"),
		submit(`button.act-approve`),
		chromedp.Text(`.stage`, &stage, chromedp.ByQuery),
		shot(t, dir, "06-disetujui"),
		chromedp.Navigate(base+"/usulan"),
		chromedp.WaitVisible(`table.list`, chromedp.ByQuery),
		shot(t, dir, "07-daftar-usulan"),
	))
	require.Contains(t, inbox, title)
	require.Contains(t, inbox, "Setujui")
	require.Equal(t, "Rakorda", stage)

	// The Kepala Dinas provinsi opens the Rakorda by moving the cycle's
	// dates, accepts the proposal on the Rakorda board, and closes it.
	cycleID := "74-" + fmt.Sprint(time.Now().Year()+1)
	wita := time.FixedZone("WITA", 8*3600)
	now := time.Now().In(wita).Truncate(time.Minute)
	setDates := func(offsets []time.Duration) chromedp.Tasks {
		var ts chromedp.Tasks
		for i, name := range []string{"submission_deadline", "review_deadline", "rakorda_start", "rakorda_end",
			"consolidation_deadline", "ministry_deadline", "mapping_deadline"} {
			ts = append(ts, chromedp.SetValue(`input[name=`+name+`]`, now.Add(offsets[i]).Format("2006-01-02T15:04"), chromedp.ByQuery))
		}
		return append(ts, submit(`form.calendar-form button`))
	}
	h := time.Hour
	var board, consolidationPage, final, cyclePage, refusedPage, lockedPage string
	var dateTexts []string
	var chartFont, chartFontPhone float64
	var calendarForms, lockForms int
	require.NoError(t, runSteps(ctx,
		logout(),
		loginAs(base, "kadis.sultra", creds.Demo),
		chromedp.Navigate(base+"/siklus/"+cycleID),
		chromedp.WaitVisible(`form.calendar-form`, chromedp.ByQuery),
		chromedp.Text(`main`, &cyclePage, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('form.calendar-form input[type=datetime-local]')).map(i => (document.getElementById('teks-' + i.name) || {}).textContent || '')`, &dateTexts),
		chromedp.Evaluate(smallestChartText, &chartFont),
		setDates([]time.Duration{-4 * h, -3 * h, -2 * h, 24 * h, 48 * h, 72 * h, 96 * h}),
		shot(t, dir, "08-siklus"),
		chromedp.Navigate(base+"/siklus/"+cycleID+"/rakorda"),
		chromedp.WaitVisible(`button.act-accept`, chromedp.ByQuery),
		chromedp.Text(`main`, &board, chromedp.ByQuery),
		shot(t, dir, "09-rakorda"),
		submit(`button.act-accept`),
		chromedp.SetValue(`form[action$="/kesepakatan"] textarea`, "Usulan pelatihan diprioritaskan.\nPagu mengikuti kemampuan daerah.", chromedp.ByQuery),
		submit(`form[action$="/kesepakatan"] button`),
		chromedp.Navigate(base+"/siklus/"+cycleID),
		chromedp.WaitVisible(`form.calendar-form`, chromedp.ByQuery),
		setDates([]time.Duration{-5 * h, -4 * h, -3 * h, -time.Minute, 48 * h, 72 * h, 96 * h}),
		logout(),

		loginAs(base, "perencana.sultra", creds.Demo),
		chromedp.Navigate(base+"/siklus/"+cycleID+"/konsolidasi"),
		chromedp.WaitVisible(`button.act-consolidate`, chromedp.ByQuery),
		// An empty priority is refused: the table stays, the reason beside the row.
		chromedp.Evaluate(`document.querySelector('form.consolidate input[name=priority]').value = ''`, nil),
		chromedp.Click(`button.act-consolidate`, chromedp.ByQuery),
		chromedp.WaitVisible(`tr.refused .row-error`, chromedp.ByQuery),
		chromedp.Text(`main`, &refusedPage, chromedp.ByQuery),
		shot(t, dir, "10a-konsolidasi-ditolak"),
		chromedp.SetValue(`form.consolidate input[name=priority]`, "1", chromedp.ByQuery),
		chromedp.SetValue(`form.consolidate input[name=consolidated_amount_idr]`, "140000000", chromedp.ByQuery),
		submit(`button.act-consolidate`),
		chromedp.Text(`main`, &consolidationPage, chromedp.ByQuery),
		shot(t, dir, "10-konsolidasi"),
		logout(),

		loginAs(base, "kadis.sultra", creds.Demo),
		chromedp.Navigate(base+"/siklus/"+cycleID+"/konsolidasi"),
		chromedp.WaitVisible(`button.act-lock`, chromedp.ByQuery),
		submit(`button.act-lock`),
		chromedp.Navigate(base+"/siklus/"+cycleID),
		chromedp.WaitVisible(`main h1`, chromedp.ByQuery),
		chromedp.Text(`main`, &lockedPage, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('form.calendar-form').length`, &calendarForms),
		chromedp.Navigate(base+"/siklus/"+cycleID+"/konsolidasi"),
		chromedp.WaitVisible(`main h1`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('button.act-lock').length`, &lockForms),
		shot(t, dir, "10b-siklus-terkunci"),
		logout(),

		loginAs(base, "penghubung.kemenkop", creds.Demo),
		chromedp.Navigate(proposalURL),
		chromedp.WaitVisible(`button.act-fund`, chromedp.ByQuery),
		submit(`button.act-fund`),
		chromedp.Navigate(base+"/ekspor"),
		chromedp.WaitVisible(`main h1`, chromedp.ByQuery),
		shot(t, dir, "11-ekspor"),
		logout(),

		loginAs(base, "perencana.sultra", creds.Demo),
		chromedp.Navigate(proposalURL),
		chromedp.WaitVisible(`button.act-map`, chromedp.ByQuery),
		chromedp.SetValue(`form.action input[name=sipd_code]`, "2.17.05.2.01.0001", chromedp.ByQuery),
		submit(`button.act-map`),
		chromedp.Text(`.stage`, &final, chromedp.ByQuery),
		shot(t, dir, "12-final"),
	))
	require.Regexp(t, `[1-9][0-9]* usulan, jumlah pagu usulan Rp [1-9]`, cyclePage, "the cycle page counts its proposals")
	require.Len(t, dateTexts, 7)
	for _, d := range dateTexts {
		require.Regexp(t, `^(Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), \d{1,2} (Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|Desember) 20\d\d \d\d:\d\d WITA$`, d, "Indonesian date text beside each date field")
	}
	require.GreaterOrEqual(t, chartFont, 12.0, "chart labels are readable on a desktop")
	require.Contains(t, refusedPage, "Konsolidasi "+cycleID, "a refused consolidate keeps the table")
	require.Contains(t, refusedPage, "Tulis prioritas", "with the reason beside the row")
	require.Contains(t, lockedPage, "Terkunci", "a locked cycle says so")
	require.NotContains(t, lockedPage, "Tahap sekarang: Konsolidasi")
	require.Zero(t, calendarForms, "a locked cycle's calendar is read-only")
	require.Zero(t, lockForms, "and cannot be locked again")
	require.Contains(t, cyclePage, "Konawe Selatan", "the cycle page's chart names each kab/kota")
	require.Contains(t, board, title)
	require.Contains(t, board, "Rp 150.000.000", "the board shows each kab/kota's total")
	require.Contains(t, consolidationPage, "Rp 140.000.000")
	require.Equal(t, "Final", final)

	// On a phone the same pages fit the screen: nothing scrolls sideways.
	for _, page := range []string{proposalURL, base + "/usulan", base + "/tugas", base + "/siklus/" + cycleID, base + "/siklus/" + cycleID + "/konsolidasi"} {
		var fits bool
		require.NoError(t, chromedp.Run(ctx,
			chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
			chromedp.Navigate(page),
			chromedp.WaitVisible(`main`, chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth + 1`, &fits),
		), page)
		require.True(t, fits, "%s is wider than a phone screen", page)
	}
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(proposalURL), chromedp.WaitVisible(`main`, chromedp.ByQuery), shot(t, dir, "13-usulan-ponsel"),
		chromedp.Navigate(base+"/siklus/"+cycleID), chromedp.WaitVisible(`ul.chart`, chromedp.ByQuery),
		chromedp.Evaluate(smallestChartText, &chartFontPhone), shot(t, dir, "14-siklus-ponsel")))
	require.GreaterOrEqual(t, chartFontPhone, 12.0, "chart labels are readable on a phone")
}

// smallestChartText is the smallest rendered height, in CSS pixels, of the
// text of a chart on the page (labels and values): the old SVG charts were
// scaled to their box and printed them at about 6 px. 0 when no chart.
const smallestChartText = `(() => {
  const els = Array.from(document.querySelectorAll('ul.chart .bar-label, ul.chart .bar-text'));
  if (!els.length) return 0;
  return Math.min(...els.map(e => Math.min(parseFloat(getComputedStyle(e).fontSize), e.getBoundingClientRect().height)));
})()`

func shotAfter(a chromedp.Action, t *testing.T, dir, name string) chromedp.Tasks {
	return chromedp.Tasks{a, shot(t, dir, name)}
}

// runSteps runs actions one by one so a failure names the step that failed.
func runSteps(ctx context.Context, actions ...chromedp.Action) error {
	for i, a := range actions {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Run(sctx, a)
		cancel()
		if err != nil {
			var loc, body string
			_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.Text("body", &body, chromedp.ByQuery))
			return fmt.Errorf("step %d (at %s): %w\n%s", i, loc, err, body)
		}
	}
	return nil
}

// submit clicks a form's button and waits for the next page's success
// message; the current page's message is removed first, so the wait cannot
// be satisfied by the page the click is leaving.
func submit(button string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Evaluate(`document.querySelectorAll('.flash').forEach(e => e.remove())`, nil),
		chromedp.Click(button, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
	}
}
