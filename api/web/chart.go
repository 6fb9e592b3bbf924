package web

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"strings"
)

// bar is one bar of a chart: a label, the value that sizes it and the text
// printed at its end.
type bar struct {
	Label string
	Value int64
	Text  string
}

// barChart draws a horizontal bar chart: labels and values are HTML text at
// the page's own font size (an SVG scaled to its box shrank them to ~6 px),
// only the bar itself is a tiny SVG, sized by attributes (the pages' CSP
// allows no inline style). No JavaScript, prints well, and every label is
// escaped because it comes from user data. The bars form a list so a screen
// reader reads "label: value" row by row; the SVG is decoration.
func barChart(bars []bar) template.HTML {
	if len(bars) == 0 {
		return template.HTML(`<p class="empty">Belum ada data.</p>`)
	}
	var max int64
	for _, b := range bars {
		if b.Value > max {
			max = b.Value
		}
	}
	var sb strings.Builder
	sb.WriteString(`<ul class="chart">`)
	for _, b := range bars {
		w := 0.0
		if max > 0 {
			w = 100 * float64(b.Value) / float64(max)
		}
		if w < 1 && b.Value > 0 {
			w = 1
		}
		fmt.Fprintf(&sb, `<li><span class="bar-label">%s</span><svg class="bar" aria-hidden="true" focusable="false" viewBox="0 0 100 10" preserveAspectRatio="none"><rect width="%.1f" height="10"></rect></svg><span class="bar-text">%s</span></li>`,
			html.EscapeString(b.Label), w, html.EscapeString(b.Text))
	}
	sb.WriteString(`</ul>`)
	return template.HTML(sb.String()) // built above from escaped parts only
}

// decodeItems reads a list answer, {"items":[...]} or a bare array.
func decodeItems(body []byte, dst any) error {
	var wrapped struct {
		Items json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &wrapped); err == nil && len(wrapped.Items) > 0 {
		return json.Unmarshal(wrapped.Items, dst)
	}
	return json.Unmarshal(body, dst)
}
