package domain_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
)

// TestREADMEStageTable: the README's stage table is the one in
// domain.Transitions, so the docs cannot drift from the rules.
func TestREADMEStageTable(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	const begin, end = "<!-- stage table: domain.StageTableMarkdown -->\n", "<!-- end of stage table -->"
	s := string(raw)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	require.True(t, i >= 0 && j > i, "README.md lacks the stage table markers")
	require.Equal(t, domain.StageTableMarkdown(), s[i+len(begin):j],
		"README.md's stage table differs from domain.Transitions: paste domain.StageTableMarkdown() between the markers")
}

// TestTransitions: every stage/action pair is one line, every line's
// action is known, and terminal stages offer nothing.
func TestTransitions(t *testing.T) {
	seen := map[string]bool{}
	for _, tr := range domain.Transitions {
		k := string(tr.From) + "/" + string(tr.Action)
		require.False(t, seen[k], "two lines for %s", k)
		seen[k] = true
		require.Contains(t, domain.Actions, tr.Action)
		require.False(t, tr.From.Terminal(), k)
		require.NotEmpty(t, tr.Roles, k)
	}
	for _, s := range domain.Stages {
		if s.Terminal() {
			require.Empty(t, domain.StageActions(s), s)
		}
	}
	require.True(t, domain.ActionDecline.NeedsComment())
	require.False(t, domain.ActionApprove.NeedsComment())
}
