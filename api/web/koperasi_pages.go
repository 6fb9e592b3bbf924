package web

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// The register's other pages (issue 17): import with a preview, a
// koperasi with its yearly history, and the dashboard of a region's
// kab/kota (or provinces) by year. Everything through the API as the user.

// maxUploadBytes bounds an upload through the pages, as the API bounds it.
const maxUploadBytes = 64 << 20

// pendingTTL is how long a previewed file waits for its confirmation.
const pendingTTL = 30 * time.Minute

// maxPending bounds the previewed files kept in memory at once.
const maxPending = 16

// pendingImport is a previewed file waiting for its confirmation: kept in
// this process's memory, for the user who uploaded it only, so the file
// is sent once and confirmed with a token.
type pendingImport struct {
	user, region string
	year         int
	name         string
	data         []byte
	at           time.Time
}

// pendingImports holds previewed files by token.
type pendingImports struct {
	mu    sync.Mutex
	items map[string]pendingImport
}

func (p *pendingImports) put(now time.Time, it pendingImport) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	token := hex.EncodeToString(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.items == nil {
		p.items = map[string]pendingImport{}
	}
	oldest := ""
	for k, v := range p.items {
		if now.Sub(v.at) > pendingTTL {
			delete(p.items, k)
		} else if oldest == "" || v.at.Before(p.items[oldest].at) {
			oldest = k
		}
	}
	if len(p.items) >= maxPending {
		delete(p.items, oldest)
	}
	p.items[token] = it
	return token
}

// take removes and returns the file of token when user uploaded it.
func (p *pendingImports) take(now time.Time, token, user string) (pendingImport, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	it, ok := p.items[token]
	if !ok || it.user != user || now.Sub(it.at) > pendingTTL {
		return pendingImport{}, false
	}
	delete(p.items, token)
	return it, true
}

// importPage is the import form, its preview and its row errors.
type importPage struct {
	Region   string
	Year     int
	FileName string
	Token    string
	Preview  *importResult
	Problem  string
	Errors   []domain.FieldError
}

type importResult struct {
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
}

func (h *Handler) importForm(w http.ResponseWriter, r *http.Request, s *session) {
	d := importPage{Region: r.URL.Query().Get("wilayah"), Year: h.now().Year()}
	if y, err := strconv.Atoi(r.URL.Query().Get("tahun")); err == nil {
		d.Year = y
	}
	if d.Region == "" {
		for _, g := range s.user.Roles {
			if g.Role == domain.RoleOperatorData {
				d.Region = g.Scope
			}
		}
	}
	h.renderImport(w, r, s, http.StatusOK, d)
}

func (h *Handler) renderImport(w http.ResponseWriter, r *http.Request, s *session, status int, d importPage) {
	p := s.base("Impor Data Koperasi", "koperasi")
	p.Data = d
	h.render(w, r, "koperasi_import", status, p)
}

// importPreview runs the uploaded file as a dry run: the counts and a
// confirmation, or every bad row; nothing is written either way.
func (h *Handler) importPreview(w http.ResponseWriter, r *http.Request, s *session) {
	d := importPage{Region: strings.TrimSpace(r.PostFormValue("wilayah"))}
	d.Year, _ = strconv.Atoi(r.PostFormValue("tahun"))
	f, hdr, err := r.FormFile("berkas")
	if err != nil {
		d.Problem = "Pilih berkas CSV atau XLSX untuk diimpor."
		h.renderImport(w, r, s, http.StatusUnprocessableEntity, d)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUploadBytes+1))
	if err != nil || len(data) > maxUploadBytes {
		d.Problem = fmt.Sprintf("Berkas paling besar %d MB.", maxUploadBytes>>20)
		h.renderImport(w, r, s, http.StatusUnprocessableEntity, d)
		return
	}
	d.FileName = hdr.Filename
	res, status, ok := h.runImport(w, r, s, &d, data, true)
	if !ok {
		return
	}
	if status == http.StatusOK {
		d.Preview = &res
		d.Token = h.pending.put(h.now(), pendingImport{user: s.user.Username, region: d.Region, year: d.Year, name: d.FileName, data: data, at: h.now()})
	}
	h.renderImport(w, r, s, status, d)
}

// importConfirm writes the previewed file.
func (h *Handler) importConfirm(w http.ResponseWriter, r *http.Request, s *session) {
	it, ok := h.pending.take(h.now(), r.PostFormValue("token"), s.user.Username)
	if !ok {
		h.renderImport(w, r, s, http.StatusConflict, importPage{Region: r.PostFormValue("wilayah"), Year: h.now().Year(),
			Problem: "Pratinjau sudah kedaluwarsa atau sudah dipakai. Unggah berkas sekali lagi."})
		return
	}
	d := importPage{Region: it.region, Year: it.year, FileName: it.name}
	res, status, ok := h.runImport(w, r, s, &d, it.data, false)
	if !ok {
		return
	}
	if status != http.StatusOK {
		h.renderImport(w, r, s, status, d)
		return
	}
	msg := fmt.Sprintf("Impor %s selesai: %d ditambah, %d diubah, %d tetap.", it.name, res.Added, res.Changed, res.Unchanged)
	http.Redirect(w, r, "/koperasi?wilayah="+url.QueryEscape(it.region)+"&tahun="+strconv.Itoa(it.year)+"&pesan="+url.QueryEscape(msg), http.StatusSeeOther)
}

// runImport sends data to the import API. A refused file fills d's
// problem and row errors and returns its status; ok is false when the
// page already answered (session ended, server error).
func (h *Handler) runImport(w http.ResponseWriter, r *http.Request, s *session, d *importPage, data []byte, dry bool) (importResult, int, bool) {
	var res importResult
	out, err := h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/koperasi/imports",
		query: url.Values{"region": {d.Region}, "year": {strconv.Itoa(d.Year)}, "dry_run": {strconv.FormatBool(dry)}},
		body:  bytes.NewReader(data), headers: map[string]string{"Content-Type": "application/octet-stream"}}, &res)
	if err == nil {
		return res, http.StatusOK, true
	}
	pr, isProblem := err.(*problem)
	if !isProblem || pr.Status == http.StatusUnauthorized || pr.Status >= 500 {
		h.fail(w, r, s, err)
		return res, 0, false
	}
	d.Problem = pr.message()
	var raw struct {
		Errors []domain.FieldError `json:"errors"`
	}
	if out != nil && json.Unmarshal(out.Body, &raw) == nil {
		d.Errors = raw.Errors
	}
	return res, pr.Status, true
}

// --- a koperasi and its years --------------------------------------------------

// yearChange is one year of a koperasi beside the year before it.
type yearChange struct {
	domain.KoperasiYear
	Prev *domain.KoperasiYear
}

// Delta is the change of a figure from the year before, signed ("+3",
// "−2", "0"), or "—" for the first year.
func (y yearChange) Delta(field string) string {
	if y.Prev == nil {
		return "—"
	}
	get := func(k domain.KoperasiYear) int64 {
		switch field {
		case "members":
			return k.Members
		case "modal_sendiri":
			return k.ModalSendiriIDR
		case "modal_luar":
			return k.ModalLuarIDR
		case "volume":
			return k.VolumeUsahaIDR
		case "shu":
			return k.SHUIDR
		}
		return 0
	}
	d := get(y.KoperasiYear) - get(*y.Prev)
	switch {
	case d > 0:
		return "+" + number(float64(d))
	case d < 0:
		return "−" + number(float64(-d))
	}
	return "0"
}

// StatusBefore is last year's status when it differs from this year's.
func (y yearChange) StatusBefore() string {
	if y.Prev == nil || y.Prev.Status == y.Status {
		return ""
	}
	return string(y.Prev.Status)
}

func (h *Handler) koperasiDetail(w http.ResponseWriter, r *http.Request, s *session) {
	var k domain.Koperasi
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/koperasi/" + url.PathEscape(r.PathValue("id"))}, &k); err != nil {
		h.fail(w, r, s, err)
		return
	}
	years := make([]yearChange, len(k.Years))
	for i, y := range k.Years {
		years[i] = yearChange{KoperasiYear: y}
		if i > 0 && k.Years[i-1].Year == y.Year-1 {
			years[i].Prev = &k.Years[i-1]
		}
	}
	for i, j := 0, len(years)-1; i < j; i, j = i+1, j-1 { // newest first
		years[i], years[j] = years[j], years[i]
	}
	p := s.base(k.Name, "koperasi")
	p.Data = map[string]any{"K": k, "Years": years}
	h.render(w, r, "koperasi_detail", http.StatusOK, p)
}

// --- dashboard -----------------------------------------------------------------

type childIndicator struct {
	Region     string                    `json:"region"`
	Name       string                    `json:"name"`
	Indicators domain.KoperasiIndicators `json:"indicators"`
}

// dashboardYears is how many years the dashboard's series shows.
const dashboardYears = 3

func (h *Handler) koperasiDashboard(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	region, year := q.Get("wilayah"), h.now().Year()
	if y, err := strconv.Atoi(q.Get("tahun")); err == nil {
		year = y
	}
	if region == "" && len(s.user.Roles) > 0 {
		region = s.user.Roles[0].Scope
	}
	var children struct {
		Items []childIndicator `json:"items"`
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/koperasi/indicators/children",
		query: url.Values{"region": {region}, "year": {strconv.Itoa(year)}}}, &children); err != nil {
		h.fail(w, r, s, err)
		return
	}
	var active, quality, volume, series []bar
	for _, c := range children.Items {
		ind := c.Indicators
		active = append(active, bar{Label: c.Name, Value: ind.Active, Text: number(float64(ind.Active))})
		quality = append(quality, bar{Label: c.Name, Value: ind.Berkualitas, Text: number(float64(ind.Berkualitas))})
		volume = append(volume, bar{Label: c.Name, Value: ind.VolumeUsahaIDR, Text: rupiah(ind.VolumeUsahaIDR)})
	}
	for y := year - dashboardYears + 1; y <= year; y++ {
		var ind domain.KoperasiIndicators
		if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/koperasi/indicators",
			query: url.Values{"region": {region}, "year": {strconv.Itoa(y)}}}, &ind); err != nil {
			h.fail(w, r, s, err)
			return
		}
		series = append(series, bar{Label: strconv.Itoa(y), Value: ind.Active, Text: fmt.Sprintf("%s aktif, %s berkualitas", number(float64(ind.Active)), number(float64(ind.Berkualitas)))})
	}
	p := s.base("Dasbor Koperasi", "koperasi")
	p.Data = map[string]any{"Region": region, "Year": year, "Children": children.Items,
		"Active": barChart(active), "Quality": barChart(quality), "Volume": barChart(volume), "Series": barChart(series)}
	h.render(w, r, "koperasi_dashboard", http.StatusOK, p)
}
