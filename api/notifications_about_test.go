package api

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/workflows"
)

// aboutOf reads the IDs the data-round and KMP workflows give their
// notifications (built from their workflow IDs) and nothing else.
func TestNotificationAbout(t *testing.T) {
	round, kmp := aboutOf(domain.Notification{ID: fmt.Sprintf("%s/3/%s", workflows.DataRoundWorkflowID("74.05", 2026), workflows.NoticeRoundReminder)})
	require.Equal(t, &dataRoundRef{RegionCode: "74.05", Year: 2026}, round)
	require.Empty(t, kmp)
	round, kmp = aboutOf(domain.Notification{ID: fmt.Sprintf("%s/2/%s", workflows.KMPWorkflowID("74.05.03.2001"), workflows.NoticeKMPReminder)})
	require.Nil(t, round)
	require.Equal(t, "74.05.03.2001", kmp)
	for _, id := range []string{"usl-1/4/stage_changed", "data/74.05/tahun/1/x", "kmp/74.05", ""} {
		round, kmp = aboutOf(domain.Notification{ID: id})
		require.Nil(t, round, id)
		require.Empty(t, kmp, id)
	}
}
