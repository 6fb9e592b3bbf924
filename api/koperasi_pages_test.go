package api_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/api/web"
	"github.com/rencana-id/rencana/internal/register"
	"github.com/rencana-id/rencana/internal/register/registertest"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// TestKoperasiPages: the import page previews a file (nothing written),
// lists every bad row with its row and column, and writes only on
// confirmation; a koperasi's page shows its years with the change from
// the year before; the dashboard charts the province's kab/kota; another
// kab/kota's operator gets 404 for a koperasi outside their scope.
func TestKoperasiPages(t *testing.T) {
	now := time.Now().UTC()
	year := now.Year()
	db := storetest.SQLite(t)
	e, desas := registerEnv(t, db, year)
	r := e.as(provPlanner, http.MethodPost, "/api/v1/data-rounds", map[string]any{
		"province": "74", "year": year, "due_at": now.Add(10 * 24 * time.Hour).Format(time.RFC3339)})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	data, rows, err := registertest.File(desas["74.05"], year, register.SynthOptions{PerDesa: 2, Now: now})
	require.NoError(t, err)

	h, err := web.New(web.Deps{API: e.srv})
	require.NoError(t, err)
	const csrf = "0123456789abcdef0123456789abcdef"
	do := func(p person, req *http.Request) *httptest.ResponseRecorder {
		req.AddCookie(&http.Cookie{Name: "rencana_sesi", Value: e.token(p)})
		req.AddCookie(&http.Cookie{Name: "rencana_csrf", Value: csrf})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	upload := func(p person, file string) *httptest.ResponseRecorder {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"csrf": csrf, "wilayah": "74.05", "tahun": fmt.Sprint(year)} {
			require.NoError(t, mw.WriteField(k, v))
		}
		fw, err := mw.CreateFormFile("berkas", "koperasi.csv")
		require.NoError(t, err)
		_, _ = fw.Write([]byte(file))
		require.NoError(t, mw.Close())
		req := httptest.NewRequest(http.MethodPost, "/koperasi/impor", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return do(p, req)
	}
	get := func(p person, path string) *httptest.ResponseRecorder {
		return do(p, httptest.NewRequest(http.MethodGet, path, nil))
	}

	form := get(operatorKonsel, "/koperasi/impor")
	require.Equal(t, http.StatusOK, form.Code, form.Body.String())
	require.Contains(t, form.Body.String(), `enctype="multipart/form-data"`)
	require.Contains(t, form.Body.String(), `value="74.05"`, "the operator's kab/kota is filled in")

	// Two bad rows: both listed with row and column; nothing written.
	lines := strings.Split(data, "\n")
	bad := append([]string{}, lines...)
	rec := strings.Split(bad[2], ",")
	rec[0] = "12ab"
	bad[2] = strings.Join(rec, ",")
	rec = strings.Split(bad[5], ",")
	rec[10] = "-5"
	bad[5] = strings.Join(rec, ",")
	page := upload(operatorKonsel, strings.Join(bad, "\n"))
	require.Equal(t, http.StatusUnprocessableEntity, page.Code, page.Body.String())
	body := page.Body.String()
	require.Regexp(t, `<td>3</td><td>nik</td>`, body)
	require.Regexp(t, `<td>6</td><td>modal_sendiri</td>`, body)
	require.Contains(t, body, "Tidak ada data yang disimpan")
	require.NotContains(t, body, "Simpan impor")
	require.Zero(t, e.indicators(operatorKonsel, "74.05", year).Total())

	// A good file: the preview counts it, writes nothing, and offers the
	// confirmation, which writes it.
	page = upload(operatorKonsel, data)
	require.Equal(t, http.StatusOK, page.Code, page.Body.String())
	body = page.Body.String()
	require.Contains(t, body, fmt.Sprintf("<td>%d</td><td>0</td><td>0</td>", len(rows)))
	require.Zero(t, e.indicators(operatorKonsel, "74.05", year).Total(), "a preview writes nothing")
	token := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	require.Len(t, token, 2)
	confirm := func(p person) *httptest.ResponseRecorder {
		f := url.Values{"csrf": {csrf}, "token": {token[1]}}
		req := httptest.NewRequest(http.MethodPost, "/koperasi/impor/konfirmasi", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(p, req)
	}
	// Another user cannot use the token.
	require.Equal(t, http.StatusConflict, confirm(operatorKendari).Code)
	page = confirm(operatorKonsel)
	require.Equal(t, http.StatusSeeOther, page.Code, page.Body.String())
	require.Contains(t, page.Header().Get("Location"), url.QueryEscape(fmt.Sprintf("%d ditambah", len(rows))))
	require.EqualValues(t, len(rows), e.indicators(operatorKonsel, "74.05", year).Total())
	require.Equal(t, http.StatusConflict, confirm(operatorKonsel).Code, "a token is used once")

	// A koperasi's page, with its year; out of scope: 404.
	list := e.as(operatorKonsel, http.MethodGet, fmt.Sprintf("/api/v1/koperasi?year=%d&limit=1", year), nil)
	k := items(list)[0].(map[string]any)
	page = get(operatorKonsel, "/koperasi/"+k["id"].(string))
	require.Equal(t, http.StatusOK, page.Code, page.Body.String())
	require.Contains(t, page.Body.String(), "Riwayat per tahun")
	require.Contains(t, page.Body.String(), fmt.Sprintf("<td>%d</td>", year))
	require.Equal(t, http.StatusNotFound, get(operatorKendari, "/koperasi/"+k["id"].(string)).Code)

	// The dashboard of the province: one row and bar per kab/kota.
	page = get(kadisProv, fmt.Sprintf("/koperasi/dasbor?wilayah=74&tahun=%d", year))
	require.Equal(t, http.StatusOK, page.Code, page.Body.String())
	ind := e.indicators(kadisProv, "74.05", year)
	require.Contains(t, page.Body.String(), fmt.Sprintf("(74.05)</td><td>%d</td>", ind.Active))
	require.Contains(t, page.Body.String(), `<ul class="chart">`)
}
