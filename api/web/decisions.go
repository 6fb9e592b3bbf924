package web

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
)

// The ministry's answer in bulk, from a page (issue 22): the liaison picks
// the cycle (or a whole fiscal year), uploads the answered list, sees what
// it would record (POST /api/v1/exports/decisions?dry_run=true) as a table
// and confirms. The file travels with the confirm form, so the page keeps
// no state between the two steps; the API checks it again on confirm.

const (
	// maxUploadMemory is what a page's multipart form may hold in memory;
	// the whole request is bounded by ServeHTTP's 1 MB anyway.
	maxUploadMemory = 1 << 20
	// maxPageDecisions bounds a file uploaded through the page: its base64
	// must fit the confirm form under the 1 MB request limit. Bigger files
	// go to the API directly (64 MB).
	maxPageDecisions = 600 << 10
)

// CanAnswer shows "Jawaban kementerian" to the ministry liaison.
func (u userView) CanAnswer() bool { return u.has(domain.RolePenghubungKementrian) }

// decisionPreview is the API's answer to an upload (or its preview).
type decisionPreview struct {
	Applied int  `json:"applied"`
	Skipped int  `json:"skipped"`
	DryRun  bool `json:"dry_run"`
	Items   []struct {
		ProposalID string        `json:"proposal_id"`
		Action     domain.Action `json:"action"`
		Stage      domain.Stage  `json:"stage"`
		Sheet      string        `json:"sheet"`
		Row        int           `json:"row"`
		Comment    string        `json:"comment"`
	} `json:"items"`
}

// decisionScope is the cycle or fiscal year the file answers.
type decisionScope struct{ Cycle, Year string }

// Value is the scope as the form's select names it.
func (sc decisionScope) Value() string {
	if sc.Year != "" {
		return "tahun:" + sc.Year
	}
	return sc.Cycle
}

func (sc decisionScope) query() url.Values {
	if sc.Year != "" {
		return url.Values{"fiscal_year": {sc.Year}}
	}
	return url.Values{"cycle_id": {sc.Cycle}}
}

func (h *Handler) decisionsPage(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderDecisions(w, r, s, http.StatusOK, nil, decisionScope{}, nil)
}

func (h *Handler) renderDecisions(w http.ResponseWriter, r *http.Request, s *session, status int, refusal *problem, sc decisionScope, preview map[string]any) {
	if !s.user.CanAnswer() {
		h.renderStatus(w, r, s, http.StatusForbidden, "Hanya penghubung kementerian yang mencatat jawaban kementerian.")
		return
	}
	cycles, err := h.listCycles(r, s)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := s.base("Jawaban kementerian", "ekspor")
	d.Flash = r.URL.Query().Get("pesan")
	var rows []string
	if refusal != nil {
		d.Error, rows = refusal.message(), rowProblems(refusal.Fields)
	}
	d.Data = map[string]any{"Cycles": cycles, "Years": fiscalYears(cycles), "Scope": sc, "Problems": rows, "Preview": preview}
	h.render(w, r, "decisions", status, d)
}

// rowProblems lists a refused file's messages row by row, in the file's
// order (the API names them "baris N: kolom").
func rowProblems(fields map[string]string) []string {
	rows := make([]string, 0, len(fields))
	for k, m := range fields {
		rows = append(rows, k+" — "+m)
	}
	sort.Slice(rows, func(i, j int) bool { return rowNumber(rows[i]) < rowNumber(rows[j]) })
	return rows
}

// rowNumber is N of "baris N: …" (or "sheet S baris N: …"), for ordering.
func rowNumber(s string) int {
	_, after, _ := strings.Cut(s, "baris ")
	end := strings.IndexFunc(after, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(after)
	}
	n, _ := strconv.Atoi(after[:end])
	return n
}

func postedScope(r *http.Request) decisionScope {
	v := r.PostForm.Get("scope")
	if y, ok := strings.CutPrefix(v, "tahun:"); ok {
		return decisionScope{Year: y}
	}
	return decisionScope{Cycle: v}
}

// upload sends the file to the API, as a preview or for real.
func (h *Handler) upload(r *http.Request, s *session, sc decisionScope, name string, data []byte, dryRun bool) (decisionPreview, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filepath.Base(name))
	if err == nil {
		_, err = fw.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	var out decisionPreview
	if err != nil {
		return out, err
	}
	q := sc.query()
	if dryRun {
		q.Set("dry_run", "true")
	}
	_, err = h.call(r, s.token, apiCall{method: "POST", path: "/api/v1/exports/decisions", query: q, raw: buf.Bytes(), rawType: mw.FormDataContentType()}, &out)
	return out, err
}

// previewDecisions reads the uploaded file and shows what it would record.
func (h *Handler) previewDecisions(w http.ResponseWriter, r *http.Request, s *session) {
	sc := postedScope(r)
	name, size, data, err := uploadedFile(r, maxPageDecisions)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	if size > maxPageDecisions {
		h.renderDecisions(w, r, s, http.StatusRequestEntityTooLarge, &problem{Title: "Berkas lebih dari 600 KB: bagi per siklus, atau unggah lewat API (POST /api/v1/exports/decisions)."}, sc, nil)
		return
	}
	if name == "" {
		h.renderDecisions(w, r, s, http.StatusUnprocessableEntity, &problem{Title: "Pilih berkas jawaban (.csv atau .xlsx)."}, sc, nil)
		return
	}
	h.answer(w, r, s, sc, name, data, true)
}

// recordDecisions records the previewed file.
func (h *Handler) recordDecisions(w http.ResponseWriter, r *http.Request, s *session) {
	sc := postedScope(r)
	data, err := base64.StdEncoding.DecodeString(r.PostForm.Get("data"))
	if err != nil {
		h.renderDecisions(w, r, s, http.StatusUnprocessableEntity, &problem{Title: "Berkas pratinjau rusak; unggah ulang."}, sc, nil)
		return
	}
	h.answer(w, r, s, sc, r.PostForm.Get("name"), data, false)
}

func (h *Handler) answer(w http.ResponseWriter, r *http.Request, s *session, sc decisionScope, name string, data []byte, dryRun bool) {
	out, err := h.upload(r, s, sc, name, data, dryRun)
	if err != nil {
		p, ok := err.(*problem)
		if !ok || p.Status == http.StatusUnauthorized || p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
			h.fail(w, r, s, err)
			return
		}
		h.renderDecisions(w, r, s, p.Status, p, sc, nil)
		return
	}
	if !dryRun {
		msg := strconv.Itoa(out.Applied) + " keputusan dicatat"
		if out.Skipped > 0 {
			msg += ", " + strconv.Itoa(out.Skipped) + " sudah berlaku sebelumnya"
		}
		http.Redirect(w, r, "/ekspor/keputusan?pesan="+url.QueryEscape(msg+"."), http.StatusSeeOther)
		return
	}
	h.renderDecisions(w, r, s, http.StatusOK, nil, sc, map[string]any{
		"Result": out, "Name": filepath.Base(name), "Data": base64.StdEncoding.EncodeToString(data),
	})
}

// uploadedFile is the part named file of a multipart form post: its name,
// its size and, when it is at most limit bytes, its content ("" and nil
// when none was chosen).
func uploadedFile(r *http.Request, limit int64) (name string, size int64, data []byte, err error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		return "", 0, nil, nil
	}
	fh := r.MultipartForm.File["file"][0]
	if fh.Size > limit {
		return fh.Filename, fh.Size, nil, nil
	}
	f, err := fh.Open()
	if err != nil {
		return "", 0, nil, err
	}
	defer f.Close()
	data, err = io.ReadAll(f)
	return fh.Filename, fh.Size, data, err
}
