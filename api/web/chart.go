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

// barChart draws a horizontal bar chart as inline SVG: no JavaScript, prints
// well, and every label is escaped because it comes from user data.
func barChart(bars []bar) template.HTML {
	if len(bars) == 0 {
		return template.HTML(`<p class="empty">Belum ada data.</p>`)
	}
	const (
		labelW = 180
		barW   = 260
		textW  = 150
		rowH   = 24
	)
	var max int64
	for _, b := range bars {
		if b.Value > max {
			max = b.Value
		}
	}
	h := len(bars)*rowH + 4
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg role="img" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet">`, labelW+barW+textW, h)
	for i, b := range bars {
		y := i*rowH + 2
		w := 0
		if max > 0 {
			w = int(float64(barW) * float64(b.Value) / float64(max))
		}
		if w < 2 && b.Value > 0 {
			w = 2
		}
		label := b.Label
		if len([]rune(label)) > 26 {
			label = string([]rune(label)[:25]) + "…"
		}
		fmt.Fprintf(&sb, `<g><title>%s: %s</title><text x="0" y="%d">%s</text><rect x="%d" y="%d" width="%d" height="%d" fill="#0b6e4f" rx="2"></rect><text x="%d" y="%d">%s</text></g>`,
			html.EscapeString(b.Label), html.EscapeString(b.Text), y+16, html.EscapeString(label),
			labelW, y+3, w, rowH-8, labelW+w+6, y+16, html.EscapeString(b.Text))
	}
	sb.WriteString(`</svg>`)
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
