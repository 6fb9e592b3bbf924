package web

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
)

func TestLateRoundsFirst(t *testing.T) {
	row := func(region string, late bool) roundRow {
		return roundRow{DataRound: domain.DataRound{Region: region}, Late: late}
	}
	got := lateFirst([]roundRow{row("74.01", false), row("74.02", true), row("74.05", false), row("74.71", true)})
	var order []string
	for _, r := range got {
		order = append(order, r.Region)
	}
	require.Equal(t, []string{"74.02", "74.71", "74.01", "74.05"}, order)
}

func TestYearChange(t *testing.T) {
	prev := domain.KoperasiYear{Year: 2025, Status: domain.KoperasiAktif, Members: 40, SHUIDR: 1_500_000}
	y := yearChange{KoperasiYear: domain.KoperasiYear{Year: 2026, Status: domain.KoperasiTidakAktif, Members: 37, SHUIDR: 2_000_000}, Prev: &prev}
	require.Equal(t, "−3", y.Delta("members"))
	require.Equal(t, "+"+number(500_000), y.Delta("shu"))
	require.Equal(t, "0", y.Delta("modal_luar"))
	require.Equal(t, string(domain.KoperasiAktif), y.StatusBefore())
	first := yearChange{KoperasiYear: prev}
	require.Equal(t, "—", first.Delta("members"))
	require.Empty(t, first.StatusBefore())
}
