package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
)

func TestParseCycleID(t *testing.T) {
	p, fy, err := domain.ParseCycleID("74-2027")
	require.NoError(t, err)
	require.Equal(t, "74", p)
	require.Equal(t, 2027, fy)
	require.Equal(t, "74-2027", domain.CycleID(p, fy))
	for _, bad := range []string{"", "74", "-2027", "74-", "74-20x7", "74-99"} {
		_, _, err := domain.ParseCycleID(bad)
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err), bad)
	}
}

func TestPhaseAtBoundaries(t *testing.T) {
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	c := domain.Calendar{SubmissionDeadline: d(2, 1), ReviewDeadline: d(3, 1), RakordaStart: d(4, 1), RakordaEnd: d(4, 5),
		ConsolidationDeadline: d(5, 1), MinistryDeadline: d(6, 1), MappingDeadline: d(7, 1)}
	require.Equal(t, domain.PhaseDrafting, c.PhaseAt(d(2, 1).Add(-time.Nanosecond)))
	require.Equal(t, domain.PhaseReview, c.PhaseAt(d(2, 1)))
	require.Equal(t, domain.PhaseReview, c.PhaseAt(d(3, 15)), "between the review deadline and Rakorda")
	require.True(t, c.RakordaOpenAt(d(4, 1)))
	require.True(t, c.RakordaOpenAt(d(4, 5)))
	require.False(t, c.RakordaOpenAt(d(4, 5).Add(time.Nanosecond)))
	require.Equal(t, domain.PhaseClosed, c.PhaseAt(d(7, 1)))
	require.Equal(t, "Konsolidasi provinsi", domain.PhaseConsolidation.Label())
}
