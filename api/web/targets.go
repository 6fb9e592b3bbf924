package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
)

// The progress of a cycle's register targets (issue 18): per target, a
// table of the kab/kota (baseline, target, planned, realised, data status)
// and a chart of what each kab/kota plans against its share, plus the
// form that sets the four register targets. Everything through the API.

type targetBlock struct {
	Indicator domain.RegisterIndicator
	Label     string
	Percent   float64
	Rows      []domain.TargetProgressItem
	Chart     any
}

func (h *Handler) targetProgress(w http.ResponseWriter, r *http.Request, s *session) {
	h.renderTargets(w, r, s, http.StatusOK, "")
}

func (h *Handler) renderTargets(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	id := r.PathValue("id")
	var out struct {
		Items []domain.TargetProgressItem `json:"items"`
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/cycles/" + url.PathEscape(id) + "/targets/progress"}, &out); err != nil {
		h.fail(w, r, s, err)
		return
	}
	var blocks []targetBlock
	for _, it := range out.Items {
		if len(blocks) == 0 || blocks[len(blocks)-1].Indicator != it.Indicator {
			blocks = append(blocks, targetBlock{Indicator: it.Indicator, Label: it.Label, Percent: it.Percent})
		}
		b := &blocks[len(blocks)-1]
		b.Rows = append(b.Rows, it)
	}
	for i := range blocks {
		var bars []bar
		for _, it := range blocks[i].Rows {
			if it.Province {
				continue
			}
			text := fmt.Sprintf("rencana %d, target data belum diverifikasi", it.Planned)
			if it.Target != nil {
				text = fmt.Sprintf("rencana %d dari target %d", it.Planned, *it.Target)
			}
			bars = append(bars, bar{Label: it.RegionName, Value: it.Planned, Text: text})
		}
		blocks[i].Chart = barChart(bars)
	}
	percent := map[domain.RegisterIndicator]string{}
	for _, b := range blocks {
		percent[b.Indicator] = strconv.FormatFloat(b.Percent, 'f', -1, 64)
	}
	p := s.base("Capaian Target Register", "siklus")
	p.Data = map[string]any{"CycleID": id, "Blocks": blocks, "Indicators": domain.RegisterIndicators, "Percent": percent}
	p.Flash = msg
	if msg == "" {
		p.Flash = r.URL.Query().Get("pesan")
	}
	h.render(w, r, "targets", status, p)
}

// setTargets replaces the cycle's register targets with the form's
// percents (an empty percent drops that target) and keeps its keyword
// targets as they are: the API's PUT takes the whole list.
func (h *Handler) setTargets(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	var cy struct {
		Targets []map[string]any `json:"targets"`
	}
	if _, err := h.call(r, s.token, apiCall{method: "GET", path: "/api/v1/cycles/" + url.PathEscape(id)}, &cy); err != nil {
		h.fail(w, r, s, err)
		return
	}
	targets := []map[string]any{}
	for _, t := range cy.Targets {
		if ind, _ := t["indicator"].(string); ind == "" {
			targets = append(targets, t)
		}
	}
	for _, ind := range domain.RegisterIndicators {
		raw := strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get(string(ind)), ",", "."))
		if raw == "" {
			continue
		}
		p, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			h.renderTargets(w, r, s, http.StatusUnprocessableEntity, fmt.Sprintf("Persentase %s harus berupa angka, bukan %q.", ind.Label(), raw))
			return
		}
		targets = append(targets, map[string]any{"indicator": ind, "percent": p})
	}
	_, err := h.call(r, s.token, apiCall{method: "PUT", path: "/api/v1/cycles/" + url.PathEscape(id) + "/targets", body: map[string]any{"targets": targets}}, nil)
	if err != nil {
		if pr, ok := err.(*problem); ok && pr.Status != http.StatusUnauthorized {
			h.renderTargets(w, r, s, pr.Status, "Ditolak: "+pr.message())
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/siklus/"+url.PathEscape(id)+"/target?pesan="+url.QueryEscape("Target register tersimpan."), http.StatusSeeOther)
}
