package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowserKMP walks the Koperasi Merah Putih pages of the demo (every
// kelurahan of Kota Kendari started, some late) in a real browser, runs
// axe-core on each and fails on any serious or critical violation. On the
// way: the camat sees his kecamatan; the task force drills down from the
// province, sees the late kelurahan escalated to their camat and the BUMDes
// warning, starts Kota Baubau and follows the job, previews an import with
// a bad row (nothing written, the row named) and then confirms a good one;
// the operator of a kelurahan records its next milestone, first with a
// field left empty (the message beside it).
func TestBrowserKMP(t *testing.T) {
	dataDir := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	startDev(t, addr, dataDir, map[string]string{"RENCANA_TEMPORAL_DEV_PORT": freePort(t), "RENCANA_TEMPORAL_UI_PORT": freePort(t)})
	creds := readCredentials(filepath.Join(dataDir, "credentials.txt"))
	base := "http://" + addr
	dir := artifactDir(t)
	script := axeScript(t)
	ctx, cancel := newBrowser(t)
	defer cancel()

	var failures []string
	checked := 0
	axeHere := func(who, what string) chromedp.Action {
		return chromedp.ActionFunc(func(c2 context.Context) error {
			var vs []axeViolation
			if err := runAxe(script, &vs).Do(c2); err != nil {
				return err
			}
			checked++
			for _, v := range vs {
				if v.Impact == "serious" || v.Impact == "critical" {
					failures = append(failures, fmt.Sprintf("%s %s: %s (%s) %v", who, what, v.ID, v.Impact, v.Nodes))
				}
			}
			return nil
		})
	}
	visit := func(who, path string) chromedp.Tasks {
		return chromedp.Tasks{chromedp.Navigate(base + path), chromedp.WaitVisible(`main`, chromedp.ByQuery), axeHere(who, path)}
	}
	text := func(sel string, out *string) chromedp.Action { return chromedp.Text(sel, out, chromedp.ByQuery) }

	// The camat: his kecamatan, without asking for it.
	var camat string
	// The first Run starts the browser and must use ctx itself (a step's
	// shorter context would close the browser when it ends).
	require.NoError(t, chromedp.Run(ctx, loginAs(base, "camat.mandonga", creds.Demo)))
	require.NoError(t, runSteps(ctx, visit("camat", "/kmp"), text(`main`, &camat), logout()))
	require.Contains(t, camat, "Koperasi Merah Putih 74.71.01")
	require.Contains(t, camat, "6 desa/kelurahan dimulai", "Mandonga has six kelurahan")

	// The task force.
	var province, kota, late, korumba string
	require.NoError(t, runSteps(ctx, loginAs(base, "satgas.sultra", creds.Demo),
		visit("satgas", "/kmp?wilayah=74"), text(`main`, &province),
		chromedp.Click(`a[href="/kmp?wilayah=74.71"]`, chromedp.ByQuery), chromedp.WaitVisible(`ul.chart`, chromedp.ByQuery),
		axeHere("satgas", "/kmp?wilayah=74.71"), text(`main`, &kota), text(`table.list`, &late), shot(t, dir, "30-kmp-dasbor"),
		visit("satgas", "/kmp/desa/74.71.01.1006"), text(`main`, &korumba),
	))
	require.Contains(t, province, "65 desa/kelurahan dimulai", "only Kota Kendari is started in Sultra")
	require.Contains(t, kota, "65 desa/kelurahan dimulai: 57 terbentuk")
	require.Contains(t, late, "Kampung Salo", "a kelurahan without its musyawarah is late")
	require.Contains(t, late, "Camat", "and escalated to its camat")
	require.Contains(t, korumba, "BUMDes Korumba Sejahtera", "the gerai sembako meets the BUMDes shop")

	// Bulk start of Kota Baubau, followed on its progress page.
	var progress string
	require.NoError(t, runSteps(ctx,
		visit("satgas", "/kmp/mulai"),
		chromedp.SetValue(`input[name=region]`, "74.72", chromedp.ByQuery),
		chromedp.SetValue(`input[name=batas_musdes]`, "2027-03-31", chromedp.ByQuery),
		chromedp.SetValue(`input[name=batas_pengurus]`, "2027-04-30", chromedp.ByQuery),
		chromedp.Click(`form[action="/kmp/mulai"] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`dl.facts`, chromedp.ByQuery), axeHere("satgas", "/kmp/mulai/{job}"),
		text(`main`, &progress), shot(t, dir, "31-kmp-mulai"),
	))
	require.Contains(t, progress, "43 dari 43 desa/kelurahan", "Kota Baubau's 43 kelurahan are started within the wait")

	// Import: a file whose second row skips milestones is refused whole.
	bad := filepath.Join(t.TempDir(), "tahap.csv")
	require.NoError(t, os.WriteFile(bad, []byte("kode_wilayah,tahap,tanggal,nomor,keterangan\n74.71.02.1011,musdes,2026-11-01,35,BA-1\n74.71.02.1011,akta,2026-11-02,1,Notaris\n"), 0o644))
	good := filepath.Join(t.TempDir(), "tahap.csv")
	require.NoError(t, os.WriteFile(good, []byte("kode_wilayah,tahap,tanggal,nomor,keterangan\n74.71.02.1011,musdes,2026-11-01,35,BA-1\n"), 0o644))
	var rows, preview string
	require.NoError(t, runSteps(ctx,
		visit("satgas", "/kmp/impor"),
		chromedp.SetUploadFiles(`input[type=file]`, []string{bad}, chromedp.ByQuery),
		chromedp.Click(`form[enctype] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`table.list`, chromedp.ByQuery), axeHere("satgas", "/kmp/impor (baris salah)"),
		text(`table.list`, &rows),
		chromedp.SetUploadFiles(`input[type=file]`, []string{good}, chromedp.ByQuery),
		chromedp.Click(`form[enctype] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.confirm button`, chromedp.ByQuery), axeHere("satgas", "/kmp/impor (pratinjau)"),
		text(`main`, &preview), shot(t, dir, "32-kmp-impor"),
		submit(`form.confirm button`),
	))
	require.Contains(t, rows, "3")
	require.Contains(t, rows, "belum dapat dicatat")
	require.Contains(t, preview, "1 tahap akan dicatat")
	var after string
	require.NoError(t, runSteps(ctx, chromedp.Navigate(base+"/kmp/desa/74.71.02.1011"), text(`main`, &after), logout()))
	require.Contains(t, after, "2026-11-01 oleh satgas.sultra", "the import recorded its musyawarah")
	require.NotContains(t, after, "terlambat", "its musyawarah is recorded: no longer late")

	// The operator of Kelurahan Mandonga records the akta.
	var errText, done string
	require.NoError(t, runSteps(ctx, loginAs(base, "operator.mandonga", creds.Demo),
		visit("operator", "/kmp/desa/74.71.01.1005"),
		chromedp.SetValue(`input[name=date]`, "2026-11-20", chromedp.ByQuery),
		chromedp.SetValue(`input[name=notary]`, "Notaris Siti Aminah", chromedp.ByQuery),
		chromedp.Click(`form[action$="/tahap/akta"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`.field-error`, chromedp.ByQuery), axeHere("operator", "/kmp/desa (galat)"),
		text(`#galat-number`, &errText),
		chromedp.SetValue(`input[name=number]`, "7/2026", chromedp.ByQuery),
		submit(`form[action$="/tahap/akta"] button`),
		text(`main`, &done), shot(t, dir, "33-kmp-desa"),
	))
	require.Contains(t, errText, "Nomor akta wajib diisi")
	require.Contains(t, done, "Tahap Akta notaris tercatat")
	require.Contains(t, done, "Catat tahap berikutnya: Badan hukum")

	t.Logf("axe-core ran on %d KMP pages", checked)
	require.GreaterOrEqual(t, checked, 10)
	require.Empty(t, failures, "serious or critical accessibility violations")
}
