package web

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBarChartEscapesLabels(t *testing.T) {
	out := string(barChart([]bar{
		{Label: `<script>alert(1)</script>`, Value: 10, Text: "Rp 10"},
		{Label: "Kabupaten Konawe Selatan", Value: 5, Text: "Rp 5"},
	}))
	require.NotContains(t, out, "<script>")
	require.Contains(t, out, "&lt;script&gt;")
	require.Equal(t, 2, strings.Count(out, "<rect"))
	require.Contains(t, out, `width="100.0"`, "the largest value spans the whole bar area")
	require.Contains(t, out, `width="50.0"`, "half the value, half the width")
	require.Contains(t, out, `<span class="bar-label">Kabupaten Konawe Selatan</span>`, "labels are HTML text, never truncated or scaled")
}

func TestTemplatesParse(t *testing.T) {
	h, err := New(Deps{})
	require.NoError(t, err)
	require.Len(t, h.pages, 21)
}

func TestSafeNext(t *testing.T) {
	require.Equal(t, "/usulan/p-1", safeNext("/usulan/p-1"))
	for _, bad := range []string{"https://evil.example", "//evil.example", `/\evil.example`, ""} {
		require.Equal(t, "/tugas", safeNext(bad), bad)
	}
}
