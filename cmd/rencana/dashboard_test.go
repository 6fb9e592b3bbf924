package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	// Metric names in a query: every series rencana's /metrics pages
	// expose starts with one of these prefixes.
	promMetric = regexp.MustCompile(`\b(?:rencana|temporal|go|process)_[A-Za-z0-9_:]*`)
	promBy     = regexp.MustCompile(`\bby\s*\(([^)]*)\)`)
)

// requireDashboardSeries checks deploy/grafana/rencana.json against a
// scrape of the API's and the worker's /metrics (exposition): every metric
// a panel's query names is exposed, and every label it groups by (but le,
// and instance which Prometheus adds) is a label of one of those series.
// A renamed metric or label thus fails the test instead of leaving an
// operator with an empty panel.
func requireDashboardSeries(t *testing.T, exposition string) {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/grafana/rencana.json")
	require.NoError(t, err)
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.GreaterOrEqual(t, len(dash.Panels), 5, "the five figures an operator watches")
	for _, p := range dash.Panels {
		require.NotEmpty(t, p.Targets, p.Title)
		for _, target := range p.Targets {
			names := promMetric.FindAllString(target.Expr, -1)
			require.NotEmpty(t, names, "%s: %s names no rencana series", p.Title, target.Expr)
			var lines []string
			for _, n := range names {
				found := regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(n)+`[{ ].*$`).FindAllString(exposition, -1)
				require.NotEmpty(t, found, "%s: %s is not exposed by /metrics", p.Title, n)
				lines = append(lines, found...)
			}
			for _, by := range promBy.FindAllStringSubmatch(target.Expr, -1) {
				for _, label := range strings.Split(by[1], ",") {
					label = strings.TrimSpace(label)
					if label == "le" || label == "instance" {
						continue
					}
					require.True(t, strings.Contains(strings.Join(lines, "\n"), label+`="`),
						"%s: no series of %v has the label %q", p.Title, names, label)
				}
			}
		}
	}
}
