package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/api/web"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/register"
	"github.com/rencana-id/rencana/internal/register/registertest"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/workflows"
)

var (
	operatorKonsel  = person{"operator.konsel", domain.RoleOperatorData, "74.05"}
	operatorKendari = person{"operator.kendari", domain.RoleOperatorData, "74.71"}
)

// registerEnv is an env with a worker, the two operators, and desa under
// Konawe Selatan and Kota Kendari to put koperasi in. Its data rounds'
// workflows are ended at cleanup: the next database reuses their IDs.
func registerEnv(t *testing.T, db *store.DB, years ...int) (*env, map[string][]register.Desa) {
	t.Helper()
	e := newEnv(t, db, envOptions{worker: true, people: true})
	e.addPerson(operatorKonsel)
	e.addPerson(operatorKendari)
	desas := map[string][]register.Desa{}
	var regions []store.Region
	for _, kec := range []string{"74.05.03", "74.05.04", "74.71.01"} {
		for d := 2001; d <= 2006; d++ {
			code := fmt.Sprintf("%s.%d", kec, d)
			if code != "74.05.03.2001" {
				regions = append(regions, store.Region{Code: code, Name: "Desa " + code, Level: 4, ParentCode: kec})
			}
			kk := domain.RegionKabKota(code)
			desas[kk] = append(desas[kk], register.Desa{Code: code, Name: "Desa " + code})
		}
	}
	_, err := db.InsertRegions(e.ctx, regions)
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, kk := range []string{"74.05", "74.71"} {
			for _, y := range years {
				_ = e.tc.TerminateWorkflow(context.Background(), workflows.DataRoundWorkflowID(kk, y), "", "test finished")
			}
		}
	})
	return e, desas
}

// upload sends a register file as the request body.
func (e *env) importRegister(p person, region string, year int, data string, dry bool) response {
	e.t.Helper()
	path := fmt.Sprintf("/api/v1/koperasi/imports?region=%s&year=%d&dry_run=%t", region, year, dry)
	return e.as(p, http.MethodPost, path, data, header{"Content-Type", "text/csv"})
}

func (e *env) roundAction(p person, region string, year int, action, comment string) response {
	e.t.Helper()
	return e.as(p, http.MethodPost, fmt.Sprintf("/api/v1/data-rounds/%s/%d/actions/%s", region, year, action), map[string]any{"comment": comment})
}

func (e *env) indicators(p person, region string, year int) domain.KoperasiIndicators {
	e.t.Helper()
	r := e.as(p, http.MethodGet, fmt.Sprintf("/api/v1/koperasi/indicators?region=%s&year=%d", region, year), nil)
	require.Equal(e.t, http.StatusOK, r.Code, r.Body.String())
	e.schemaCheck()("KoperasiIndicators", r.body)
	var out domain.KoperasiIndicators
	require.NoError(e.t, json.Unmarshal(r.Body.Bytes(), &out))
	return out
}

// TestDataRoundTwoYears is issue 17's "done when": two years of Konawe
// Selatan's register go through the round (operator → kepala dinas →
// province) on the Temporal dev server, and the indicators equal those
// counted independently from the imported rows; an accepted round refuses
// an import (409); a file with one bad row changes nothing and names the
// row and field; another kab/kota's operator can neither read nor write
// Konawe Selatan's register (404).
func TestDataRoundTwoYears(t *testing.T) {
	now := time.Now().UTC()
	y1, y2 := now.Year()-1, now.Year()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, desas := registerEnv(t, db, y1, y2)
		check := e.schemaCheck()
		recs := map[int][][]string{}
		for _, year := range []int{y1, y2} {
			// The province opens the rounds of its kab/kota.
			r := e.as(provPlanner, http.MethodPost, "/api/v1/data-rounds", map[string]any{
				"province": "74", "year": year, "due_at": now.Add(10 * 24 * time.Hour).Format(time.RFC3339)})
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			check("DataRoundList", r.body)
			require.Len(t, items(r), 2, "74.05 and 74.71")
			require.Equal(t, http.StatusForbidden, e.as(operatorKonsel, http.MethodPost, "/api/v1/data-rounds", map[string]any{
				"province": "74", "year": year, "due_at": now.Add(24 * time.Hour).Format(time.RFC3339)}).Code)

			data, rows, err := registertest.File(desas["74.05"], year, register.SynthOptions{PerDesa: 3, KMPKabKota: "74.05", Now: now})
			require.NoError(t, err)
			recs[year] = rows
			r = e.importRegister(operatorKonsel, "74.05", year, data, true)
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			check("ImportResult", r.body)
			require.EqualValues(t, len(rows), r.body["added"])

			// One bad row: 422 naming row and field, nothing written.
			lines := strings.Split(data, "\n")
			badRec := strings.Split(lines[3], ",")
			badRec[4] = "koperasi_syariah"
			bad := strings.Join(append(append(append([]string{}, lines[:3]...), strings.Join(badRec, ",")), lines[4:]...), "\n")
			r = e.importRegister(operatorKonsel, "74.05", year, bad, false)
			requireProblem(t, r, http.StatusUnprocessableEntity)
			errs := r.body["errors"].([]any)
			require.Len(t, errs, 1)
			require.Equal(t, map[string]any{"row": float64(4), "field": "jenis", "message": errs[0].(map[string]any)["message"]}, errs[0])
			require.Zero(t, e.indicators(operatorKonsel, "74.05", year).Total(), "nothing written")

			r = e.importRegister(operatorKonsel, "74.05", year, data, false)
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			require.EqualValues(t, len(rows), r.body["added"])

			// operator → kepala dinas (returns once, with a comment) → province.
			r = e.roundAction(operatorKonsel, "74.05", year, "submit", "")
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			check("DataRound", r.body)
			require.Equal(t, "submitted", r.str("status"))
			require.Equal(t, http.StatusConflict, e.importRegister(operatorKonsel, "74.05", year, data, true).Code, "a submitted round is being checked")
			require.Equal(t, http.StatusConflict, e.roundAction(provPlanner, "74.05", year, "accept", "").Code, "not verified yet")
			requireField(t, e.roundAction(kadisKab, "74.05", year, "return", ""), "comment")
			r = e.roundAction(kadisKab, "74.05", year, "return", "Lengkapi tanggal RAT.")
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			require.Equal(t, "returned", r.str("status"))
			require.Equal(t, []any{"submit"}, e.as(operatorKonsel, http.MethodGet, fmt.Sprintf("/api/v1/data-rounds/74.05/%d", year), nil).body["allowed_actions"])
			require.Equal(t, http.StatusOK, e.roundAction(operatorKonsel, "74.05", year, "submit", "").Code)
			require.Equal(t, http.StatusForbidden, e.roundAction(operatorKonsel, "74.05", year, "verify", "").Code)
			require.Equal(t, "verified", e.roundAction(kadisKab, "74.05", year, "verify", "").str("status"))
			r = e.roundAction(provPlanner, "74.05", year, "accept", "")
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			require.Equal(t, "accepted", r.str("status"))

			// Frozen: an import is refused with 409.
			r = e.importRegister(operatorKonsel, "74.05", year, data, false)
			requireProblem(t, r, http.StatusConflict)
			require.Contains(t, r.str("detail"), "dibekukan")
		}

		// The indicators equal an independent count of the imported rows,
		// for the kab/kota, a kecamatan, a desa, the province and the country.
		for _, region := range []string{"74.05", "74.05.04", "74.05.03.2002", "74"} {
			require.Equal(t, registertest.WithPrevious(recs[y2], recs[y1], region, y2), e.indicators(provPlanner, region, y2), region)
		}
		require.Equal(t, registertest.WithPrevious(recs[y2], recs[y1], "*", y2), e.indicators(liaison, "*", y2))
		require.Equal(t, http.StatusForbidden, e.as(operatorKonsel, http.MethodGet, fmt.Sprintf("/api/v1/koperasi/indicators?region=74&year=%d", y2), nil).Code)

		// The province's view: both kab/kota, their status and due date;
		// Kendari never submitted.
		r := e.as(provPlanner, http.MethodGet, fmt.Sprintf("/api/v1/data-rounds?province=74&year=%d", y2), nil)
		require.Equal(t, http.StatusOK, r.Code)
		check("DataRoundList", r.body)
		status := map[string]string{}
		for _, it := range items(r) {
			m := it.(map[string]any)
			status[m["region"].(string)] = m["status"].(string)
			require.NotEmpty(t, m["due_at"])
		}
		require.Equal(t, map[string]string{"74.05": "accepted", "74.71": "open"}, status)
		r = e.as(operatorKendari, http.MethodGet, fmt.Sprintf("/api/v1/data-rounds?province=74&year=%d", y2), nil)
		require.Len(t, items(r), 1, "a kab/kota's operator sees only its own round")

		// Reopening needs a reason and starts revision 2, audited.
		requireField(t, e.roundAction(provPlanner, "74.05", y2, "reopen", ""), "comment")
		r = e.roundAction(provPlanner, "74.05", y2, "reopen", "Koreksi data anggota dari Kemenkop.")
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, "open", r.str("status"))
		require.EqualValues(t, 2, r.body["revision"])
		r = e.as(kadisKab, http.MethodGet, fmt.Sprintf("/api/v1/data-rounds/74.05/%d", y2), nil)
		check("DataRoundDetail", r.body)
		events := r.body["events"].([]any)
		last := events[len(events)-1].(map[string]any)
		require.Equal(t, "reopen", last["action"])
		require.Equal(t, "Koreksi data anggota dari Kemenkop.", last["comment"])
		require.Equal(t, provPlanner.username, last["actor"].(map[string]any)["username"])
		require.EqualValues(t, 2, last["revision"])

		// The page: the rounds with the caller's actions, the indicators,
		// the list; an action through its form.
		page := e.page(operatorKonsel, http.MethodGet, fmt.Sprintf("/koperasi?tahun=%d", y2), nil)
		require.Equal(t, http.StatusOK, page.Code, page.Body.String())
		require.Contains(t, page.Body.String(), "Data Koperasi")
		require.Contains(t, page.Body.String(), fmt.Sprintf(`action="/koperasi/putaran/74.05/%d/submit"`, y2))
		require.Contains(t, page.Body.String(), "Berkualitas")
		require.NotContains(t, e.page(kadisKab, http.MethodGet, fmt.Sprintf("/koperasi?tahun=%d", y2), nil).Body.String(), "/submit\"")
		page = e.page(operatorKonsel, http.MethodPost, fmt.Sprintf("/koperasi/putaran/74.05/%d/submit", y2), url.Values{})
		require.Equal(t, http.StatusSeeOther, page.Code, page.Body.String())
		require.Contains(t, page.Header().Get("Location"), "berhasil")
		require.Equal(t, "submitted", e.as(operatorKonsel, http.MethodGet, fmt.Sprintf("/api/v1/data-rounds/74.05/%d", y2), nil).str("status"))
		require.Equal(t, http.StatusOK, e.roundAction(kadisKab, "74.05", y2, "return", "Diperiksa lagi.").Code)

		// The diff of the round against the year before.
		r = e.as(operatorKonsel, http.MethodGet, fmt.Sprintf("/api/v1/data-rounds/74.05/%d/diff", y2), nil)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		check("RoundDiff", r.body)

		// Scope: Kendari's operator can neither read nor write Konawe
		// Selatan's register.
		list := e.as(operatorKonsel, http.MethodGet, fmt.Sprintf("/api/v1/koperasi?year=%d&limit=2", y2), nil)
		require.Equal(t, http.StatusOK, list.Code)
		check("KoperasiList", list.body)
		id := items(list)[0].(map[string]any)["id"].(string)
		require.Equal(t, http.StatusOK, e.as(operatorKonsel, http.MethodGet, "/api/v1/koperasi/"+id, nil).Code)
		require.Equal(t, http.StatusOK, e.as(kecPlanner, http.MethodGet, "/api/v1/koperasi?limit=1", nil).Code)
		requireProblem(t, e.as(operatorKendari, http.MethodGet, "/api/v1/koperasi/"+id, nil), http.StatusNotFound)
		requireProblem(t, e.as(operatorKendari, http.MethodPut, fmt.Sprintf("/api/v1/koperasi/%s/years/%d", id, y2), map[string]any{"status": "aktif"}), http.StatusNotFound)
		requireProblem(t, e.importRegister(operatorKendari, "74.05", y2, "x", false), http.StatusNotFound)
		requireProblem(t, e.as(operatorKendari, http.MethodPut, fmt.Sprintf("/api/v1/umkm/74.05/%d", y2), map[string]any{"mikro": 1, "kecil": 1, "menengah": 1, "tenaga_kerja": 1}), http.StatusNotFound)
		requireProblem(t, e.as(operatorKendari, http.MethodGet, fmt.Sprintf("/api/v1/data-rounds/74.05/%d", y2), nil), http.StatusNotFound)
		r = e.as(operatorKendari, http.MethodGet, fmt.Sprintf("/api/v1/koperasi?year=%d", y2), nil)
		require.Empty(t, items(r))
		// The kepala dinas reads but does not write.
		requireProblem(t, e.importRegister(kadisKab, "74.05", y2, "x", false), http.StatusForbidden)
		// Konawe Selatan's operator edits a year in the reopened round.
		r = e.as(operatorKonsel, http.MethodPut, fmt.Sprintf("/api/v1/koperasi/%s/years/%d", id, y2), map[string]any{"status": "tidak_aktif", "members": 3})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		check("Koperasi", r.body)
		r = e.as(operatorKonsel, http.MethodPut, fmt.Sprintf("/api/v1/umkm/74.05/%d", y2), map[string]any{"mikro": 9100, "kecil": 640, "menengah": 35, "tenaga_kerja": 21000})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		r = e.as(kadisProv, http.MethodGet, fmt.Sprintf("/api/v1/umkm/74.05/%d", y2), nil)
		require.Equal(t, http.StatusOK, r.Code)
		check("UMKM", r.body)
		require.EqualValues(t, 9100, r.body["mikro"])
	})
}

// TestKoperasiTemplate: both formats, with DESIGN.md's header.
func TestKoperasiTemplate(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	r := e.as(kabPlanner, http.MethodGet, "/api/v1/koperasi/imports/template?format=csv", nil)
	require.Equal(t, http.StatusOK, r.Code)
	require.Equal(t, "nik,badan_hukum_no,badan_hukum_tanggal,nama,jenis,kode_wilayah,kmp,status,tanggal_rat,anggota,modal_sendiri,modal_luar,volume_usaha,shu\n", r.Body.String())
	r = e.as(kabPlanner, http.MethodGet, "/api/v1/koperasi/imports/template?format=xlsx", nil)
	require.Equal(t, http.StatusOK, r.Code)
	require.True(t, strings.HasPrefix(r.Body.String(), "PK"))
	requireField(t, e.as(kabPlanner, http.MethodGet, "/api/v1/koperasi/imports/template?format=pdf", nil), "format")
}

// page requests a web page as p (session and CSRF cookies set, the form's
// csrf field added to a POST).
func (e *env) page(p person, method, path string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	h, err := web.New(web.Deps{API: e.srv})
	require.NoError(e.t, err)
	const csrf = "0123456789abcdef0123456789abcdef"
	var body io.Reader
	if form != nil {
		form.Set("csrf", csrf)
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://example.com")
	}
	req.AddCookie(&http.Cookie{Name: "rencana_sesi", Value: e.token(p)})
	req.AddCookie(&http.Cookie{Name: "rencana_csrf", Value: csrf})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
