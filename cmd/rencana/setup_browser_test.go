package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowserSetupPages drives the setup pages a new user tripped on
// (issue 22): opening a cycle (N-1 and date order refused beside their
// fields, then opened), the pagu indikatif (a malformed amount refused
// beside its kab/kota, then saved), the BUMDes businesses (a code that is no
// desa refused, then recorded), each only for the roles that may and run
// through axe-core.
func TestBrowserSetupPages(t *testing.T) {
	dataDir := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	startDev(t, addr, dataDir, map[string]string{"RENCANA_TEMPORAL_DEV_PORT": freePort(t), "RENCANA_TEMPORAL_UI_PORT": freePort(t)})
	creds := readCredentials(filepath.Join(dataDir, "credentials.txt"))
	base := "http://" + addr
	script := axeScript(t)
	year := time.Now().Year()
	cycleID := fmt.Sprintf("74-%d", year+1)

	// Sulawesi Selatan's Kepala Dinas, who has no cycle yet, made by the admin.
	b, _ := json.Marshal(map[string]any{"username": "kadis.sulsel", "password": creds.Demo, "full_name": "Kepala Dinas Sulawesi Selatan",
		"roles": []map[string]any{{"role": "kadis_provinsi", "scope": "73"}}})
	req, _ := http.NewRequest("POST", base+"/api/v1/admin/users", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+login2(t, addr, "admin", creds.Admin))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)

	ctx, cancel := newBrowser(t)
	defer cancel()
	require.NoError(t, chromedp.Run(ctx)) // the browser starts on ctx, not on a step's shorter context
	var failures []string
	axe := func(path string) chromedp.Action {
		return chromedp.ActionFunc(func(c2 context.Context) error {
			var vs []axeViolation
			if err := runAxe(script, &vs).Do(c2); err != nil {
				return err
			}
			for _, v := range vs {
				if v.Impact == "serious" || v.Impact == "critical" {
					failures = append(failures, fmt.Sprintf("%s: %s (%s) %v", path, v.ID, v.Impact, v.Nodes))
				}
			}
			return nil
		})
	}
	wita := time.FixedZone("WITA", 8*3600)
	at := func(minutes int) string {
		return time.Now().In(wita).Add(time.Duration(minutes) * time.Minute).Format("2006-01-02T15:04")
	}
	fields := []string{"submission_deadline", "review_deadline", "rakorda_start", "rakorda_end", "consolidation_deadline", "ministry_deadline", "mapping_deadline"}
	fill := func(year int, order []int) chromedp.Tasks {
		ts := chromedp.Tasks{chromedp.SetValue(`input[name=fiscal_year]`, fmt.Sprint(year), chromedp.ByQuery)}
		for i, f := range fields {
			ts = append(ts, chromedp.SetValue(`input[name=`+f+`]`, at(10*order[i]), chromedp.ByQuery))
		}
		return ts
	}

	// A planner of a kecamatan may open nothing and change no pagu.
	var forbidden, pagu string
	require.NoError(t, runSteps(ctx, loginAs(base, "kec.andoolo", creds.Demo),
		chromedp.Navigate(base+"/siklus/baru"), chromedp.Text(`main`, &forbidden, chromedp.ByQuery),
		chromedp.Navigate(base+"/siklus/"+cycleID+"/pagu"), chromedp.WaitVisible(`table.ceilings`, chromedp.ByQuery), axe("/pagu kec"),
		chromedp.Evaluate(`document.querySelectorAll('form.ceilings-form, input[name=amount_idr]').length + ''`, &pagu),
		chromedp.Navigate(base+"/siklus/"+cycleID+"/bumdes"), chromedp.WaitVisible(`main`, chromedp.ByQuery), axe("/bumdes kec"),
		logout()))
	require.Contains(t, forbidden, "Hanya Kepala Dinas provinsi")
	require.Equal(t, "0", pagu, "read-only pagu for a kecamatan")

	// Opening: N-1 and order refused beside their fields, nothing opened.
	var yearErr, calErr, opened string
	require.NoError(t, runSteps(ctx, loginAs(base, "kadis.sulsel", creds.Demo),
		chromedp.Navigate(base+"/siklus"), chromedp.Click(`a[href="/siklus/baru"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.cycle-new-form`, chromedp.ByQuery), axe("/siklus/baru"),
		fill(year+2, []int{1, 2, 3, 4, 5, 6, 7}),
		refusedSubmit(`form.cycle-new-form button[type=submit]`),
		chromedp.Text(`//input[@name="fiscal_year"]/following-sibling::span[@class="field-error"]`, &yearErr, chromedp.BySearch),
		axe("/siklus/baru refused"),
		fill(year+1, []int{2, 1, 3, 4, 5, 6, 7}),
		refusedSubmit(`form.cycle-new-form button[type=submit]`),
		chromedp.Text(`form.cycle-new-form fieldset .field-error`, &calErr, chromedp.ByQuery),
		fill(year+1, []int{1, 2, 3, 4, 5, 6, 7}),
		submit(`form.cycle-new-form button[type=submit]`),
		chromedp.Text(`h1`, &opened, chromedp.ByQuery),
		logout()))
	require.Contains(t, yearErr, "N-1")
	require.NotEmpty(t, calErr, "the date out of order is named beside its field")
	require.Contains(t, opened, fmt.Sprintf("73-%d", year+1))

	// Pagu: a malformed amount refused beside its kab/kota, then saved.
	setKonsel := func(v string) chromedp.Action {
		return chromedp.Evaluate(`document.querySelector('input[name=region_code][value="74.05"]').closest('tr').querySelector('input[name=amount_idr]').value = `+fmt.Sprintf("%q", v), nil)
	}
	var rowErr, rowText string
	require.NoError(t, runSteps(ctx, loginAs(base, "kadis.sultra", creds.Demo),
		chromedp.Navigate(base+"/siklus/"+cycleID), chromedp.Click(`a[href$="/pagu"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.ceilings-form`, chromedp.ByQuery), axe("/pagu"),
		setKonsel("dua miliar"),
		refusedSubmit(`form.ceilings-form button[type=submit]`),
		chromedp.Evaluate(`document.querySelector('input[name=region_code][value="74.05"]').closest('tr').querySelector('.field-error').textContent`, &rowErr),
		axe("/pagu refused"),
		setKonsel("2.000.000.000"),
		submit(`form.ceilings-form button[type=submit]`),
		chromedp.Evaluate(`document.querySelector('input[name=region_code][value="74.05"]').closest('tr').querySelector('.date-text').textContent`, &rowText),
		logout()))
	require.Contains(t, rowErr, "rupiah bulat")
	require.Contains(t, rowText, "2.000.000.000")

	// BUMDes: a code that is no desa refused, then recorded.
	var codeErr, listed, importErr, imported string
	badCSV := filepath.Join(t.TempDir(), "bumdes-salah.csv")
	goodCSV := filepath.Join(t.TempDir(), "bumdes.csv")
	require.NoError(t, os.WriteFile(badCSV, []byte("kode_desa,nama_bumdes,jenis_usaha,kata_kunci\n74.05,BUMDes Tirta Andoolo,Air minum,air\n74.05.03.2001,BUMDes Tirta Andoolo,Air minum,\n"), 0o644))
	require.NoError(t, os.WriteFile(goodCSV, []byte("kode_desa,nama_bumdes,jenis_usaha,kata_kunci\n74.05.03.2001,BUMDes Tirta Andoolo,Air minum isi ulang,air minum;galon\n"), 0o644))
	require.NoError(t, runSteps(ctx, loginAs(base, "perencana.konsel", creds.Demo),
		chromedp.Navigate(base+"/siklus/"+cycleID+"/bumdes"), chromedp.WaitVisible(`form.bumdes-form`, chromedp.ByQuery), axe("/bumdes"),
		chromedp.SendKeys(`input[name=region_code]`, "74.05", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=name]`, "BUMDes Maju Bersama", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=business]`, "Pengolahan kopi bubuk", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=keywords]`, "kopi, bubuk", chromedp.ByQuery),
		refusedSubmit(`form.bumdes-form button[type=submit]`),
		chromedp.Text(`//input[@name="region_code"]/following-sibling::span[@class="field-error"]`, &codeErr, chromedp.BySearch),
		axe("/bumdes refused"),
		chromedp.SetValue(`input[name=region_code]`, "74.05.03.2001", chromedp.ByQuery),
		submit(`form.bumdes-form button[type=submit]`),
		chromedp.Text(`table.bumdes`, &listed, chromedp.ByQuery),
		axe("/bumdes import"),
		chromedp.SetUploadFiles(`form.bumdes-import input[name=file]`, []string{badCSV}, chromedp.ByQuery),
		chromedp.Click(`form.bumdes-import button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`ul.problems`, chromedp.ByQuery),
		chromedp.Text(`ul.problems`, &importErr, chromedp.ByQuery),
		chromedp.SetUploadFiles(`form.bumdes-import input[name=file]`, []string{goodCSV}, chromedp.ByQuery),
		submit(`form.bumdes-import button[type=submit]`),
		chromedp.Text(`table.bumdes`, &imported, chromedp.ByQuery)))
	require.Regexp(t, `(?s)baris 2: kode_desa.*baris 3: kata_kunci`, importErr)
	require.NotContains(t, listed, "BUMDes Tirta")
	require.Contains(t, imported, "BUMDes Tirta Andoolo")
	require.NoError(t, chromedp.Run(ctx, logout()))

	// The ministry's answer: a file with bad rows is refused row by row,
	// in the file's order, before anything is recorded.
	answers := filepath.Join(t.TempDir(), "jawaban.csv")
	require.NoError(t, os.WriteFile(answers, []byte("proposal_id,keputusan_kementerian,alasan\nP-1,mungkin,\n,danai,\n"), 0o644))
	var problems, noAnswer string
	require.NoError(t, runSteps(ctx, loginAs(base, "penghubung.kemenkop", creds.Demo),
		chromedp.Navigate(base+"/ekspor"), chromedp.Click(`a[href="/ekspor/keputusan"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form.decisions-upload`, chromedp.ByQuery), axe("/ekspor/keputusan"),
		chromedp.SetValue(`select[name=scope]`, cycleID, chromedp.ByQuery),
		chromedp.SetUploadFiles(`input[name=file]`, []string{answers}, chromedp.ByQuery),
		chromedp.Click(`form.decisions-upload button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`ul.problems`, chromedp.ByQuery),
		chromedp.Text(`ul.problems`, &problems, chromedp.ByQuery), axe("/ekspor/keputusan refused"),
		chromedp.Evaluate(`document.querySelectorAll('form.decisions-confirm').length + ''`, &noAnswer),
		logout(),
		loginAs(base, "kadis.sultra", creds.Demo), chromedp.Navigate(base+"/ekspor/keputusan"),
		chromedp.Text(`main`, &forbidden, chromedp.ByQuery)))
	require.Regexp(t, `(?s)baris 2: keputusan_kementerian.*baris 3: proposal_id`, problems)
	require.Equal(t, "0", noAnswer, "a refused file offers nothing to record")
	require.Contains(t, forbidden, "Hanya penghubung kementerian")

	require.Contains(t, codeErr, "bukan kode desa")
	require.Contains(t, listed, "BUMDes Maju Bersama")
	require.True(t, strings.Contains(listed, "kopi"))
	require.Empty(t, failures, "serious or critical accessibility violations")
}

// refusedSubmit clicks a form's button and waits for the refusal of the
// page that answers: the previous refusal's p.error is removed first, so
// the wait cannot be satisfied by the page being left.
func refusedSubmit(button string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Evaluate(`document.querySelectorAll('p.error').forEach(e => e.remove())`, nil),
		chromedp.Click(button, chromedp.ByQuery),
		chromedp.WaitVisible(`p.error`, chromedp.ByQuery),
	}
}
