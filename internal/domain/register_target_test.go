package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
)

// The expected figures are worked by hand from DESIGN.md's formulas.
func TestRegisterTargetValue(t *testing.T) {
	for _, c := range []struct {
		ind      domain.RegisterIndicator
		baseline int64
		percent  float64
		want     int64
	}{
		{domain.IndKoperasiBaru, 25, 8, 2},          // 8% of 25 = 2 exactly (a float product would give 2.0000000000000004 → 3)
		{domain.IndKoperasiBaru, 13, 7.5, 1},        // 0.975 → 1
		{domain.IndKoperasiBaru, 101, 10, 11},       // 10.1 → 11
		{domain.IndKoperasiBaru, 0, 10, 0},          // nothing active, nothing to grow
		{domain.IndRAT, 40, 15, 46},                 // 46 exactly
		{domain.IndRAT, 41, 15, 48},                 // 47.15 → 48
		{domain.IndKoperasiTidakAktif, 12, 25, 9},   // 9 exactly
		{domain.IndKoperasiTidakAktif, 13, 25, 9},   // 9.75 → 9
		{domain.IndKoperasiTidakAktif, 13, 100, 0},  // all revived
		{domain.IndKoperasiBerkualitas, 7, 14, 8},   // 7.98 → 8
		{domain.IndKoperasiBerkualitas, 50, 14, 57}, // 57 exactly
	} {
		require.Equal(t, c.want, c.ind.TargetValue(c.baseline, c.percent), "%s %d %g", c.ind, c.baseline, c.percent)
	}
}

func TestRegisterTargetValidate(t *testing.T) {
	ok := domain.Target{Code: "rat", Indicator: domain.IndRAT, Percent: 15}
	var v domain.Validation
	ok.Validate(&v, "targets[0]")
	require.NoError(t, v.Err(), "a register target needs no keywords")

	for name, c := range map[string]struct {
		t     domain.Target
		field string
	}{
		"unknown":        {domain.Target{Code: "x", Indicator: "anggota", Percent: 5}, "targets[0].indicator"},
		"zero":           {domain.Target{Code: "x", Indicator: domain.IndRAT}, "targets[0].percent"},
		"over 100":       {domain.Target{Code: "x", Indicator: domain.IndKoperasiTidakAktif, Percent: 120}, "targets[0].percent"},
		"three decimals": {domain.Target{Code: "x", Indicator: domain.IndRAT, Percent: 1.125}, "targets[0].percent"},
		"typed baseline": {domain.Target{Code: "x", Indicator: domain.IndRAT, Percent: 5, Baseline: 40}, "targets[0]"},
	} {
		var v domain.Validation
		c.t.Validate(&v, "targets[0]")
		var de *domain.Error
		require.ErrorAs(t, v.Err(), &de, name)
		fields := map[string]bool{}
		for _, f := range de.Fields {
			fields[f.Field] = true
		}
		require.True(t, fields[c.field], "%s: %v", name, de.Fields)
	}
}

func TestComputeTargetProgress(t *testing.T) {
	prevA := domain.KoperasiIndicators{Active: 25, Inactive: 12, RATHeld: 40, Berkualitas: 7}
	curA := domain.KoperasiIndicators{Active: 27, Inactive: 10, RATHeld: 44, Berkualitas: 8, New: 3}
	prevB := domain.KoperasiIndicators{Active: 101, Inactive: 13, RATHeld: 41, Berkualitas: 50}
	targets := []domain.Target{
		{Code: "baru", Indicator: domain.IndKoperasiBaru, Percent: 8},
		{Code: "kw", Name: "kata kunci", Keywords: []string{"koperasi"}, Min: 1},
		{Code: "ta", Indicator: domain.IndKoperasiTidakAktif, Percent: 25},
	}
	regions := []domain.RegionFigures{
		{Region: "13.01", Previous: &prevA, Current: &curA, Planned: map[domain.RegisterIndicator]int64{domain.IndKoperasiBaru: 1, domain.IndKoperasiTidakAktif: 3}},
		{Region: "13.02", Previous: &prevB},
		{Region: "13.03", Planned: map[domain.RegisterIndicator]int64{domain.IndKoperasiBaru: 4}},
	}
	got := domain.ComputeTargetProgress("13", "Sumatera Barat", targets, regions)
	require.Len(t, got, 8, "two register targets × (three kab/kota + province); the keyword target is skipped")
	p := func(n int64) *int64 { return &n }

	baru := got[:4]
	require.Equal(t, p(25), baru[0].Baseline)
	require.Equal(t, p(2), baru[0].Target)
	require.Equal(t, p(3), baru[0].Realised)
	require.True(t, baru[0].Short, "plans 1 of 2")
	require.Equal(t, p(9), baru[1].Target) // 8.08 → 9
	require.Nil(t, baru[1].Realised, "no accepted round of year N")
	require.Equal(t, domain.DataUnverified, baru[2].DataStatus)
	require.Nil(t, baru[2].Baseline)
	require.Nil(t, baru[2].Target)
	require.Equal(t, int64(4), baru[2].Planned)
	require.False(t, baru[2].Short, "no target, nothing to fall short of")
	prov := baru[3]
	require.True(t, prov.Province)
	require.Equal(t, int64(5), prov.Planned)
	require.Equal(t, domain.DataUnverified, prov.DataStatus, "one kab/kota has no baseline round")
	require.Nil(t, prov.Baseline)
	require.Equal(t, 2, prov.Accepted)
	require.Equal(t, 3, prov.Regions)

	ta := got[4:]
	require.Equal(t, p(9), ta[0].Target)
	require.False(t, ta[0].Short, "12 − 3 reactivated = 9 ≤ 9")
	require.Equal(t, p(10), ta[0].Realised)
	require.Equal(t, p(9), ta[1].Target)
	require.True(t, ta[1].Short, "13 inactive, none reactivated, target 9")

	// With every kab/kota accepted the province adds them up.
	all := domain.ComputeTargetProgress("13", "", targets[:1], regions[:2])
	require.Equal(t, domain.DataAccepted, all[2].DataStatus)
	require.Equal(t, p(126), all[2].Baseline)
	require.Equal(t, p(11), all[2].Target) // 2 + 9
	require.Nil(t, all[2].Realised, "13.02 has no round of year N")
}
