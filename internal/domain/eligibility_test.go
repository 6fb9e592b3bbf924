package domain_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
)

// Each warning: a case that raises it and one that does not.
func TestCheckEligibility(t *testing.T) {
	const fy = 2027
	kinds := func(ws []domain.EligibilityWarning) []string {
		out := []string{}
		for _, w := range ws {
			out = append(out, w.Kind+":"+w.KoperasiID)
		}
		return out
	}
	facts := map[string]domain.KoperasiFacts{
		"ok":       {ID: "ok", Name: "KSP Maju", Status: domain.KoperasiAktif, RAT: true},
		"inactive": {ID: "inactive", Name: "KUD Lama", Status: domain.KoperasiTidakAktif, RAT: true},
		"gone":     {ID: "gone", Name: "KSU Bubar", Status: domain.KoperasiDibubarkan, RAT: true},
		"norat":    {ID: "norat", Name: "Kopwan Melati", Status: domain.KoperasiAktif},
	}
	p := func(cat domain.Category, ids ...string) domain.Proposal {
		return domain.Proposal{ID: "p", CycleID: "13-2027", Category: cat, BeneficiariesKoperasi: ids}
	}
	for _, c := range []struct {
		name string
		p    domain.Proposal
		uses map[string][]domain.KoperasiUse
		want []string
	}{
		{"active with RAT: nothing", p("permodalan", "ok"), nil, []string{}},
		{"inactive", p("pelatihan", "inactive"), nil, []string{"koperasi_tidak_aktif:inactive"}},
		{"dissolved", p("pelatihan", "gone"), nil, []string{"koperasi_tidak_aktif:gone"}},
		{"not in the register", p("pelatihan", "unknown"), nil, []string{"koperasi_tidak_aktif:unknown"}},
		{"no RAT, capital support", p("permodalan", "norat"), nil, []string{"tanpa_rat:norat"}},
		{"no RAT, bansos", p("bansos", "norat"), nil, []string{"tanpa_rat:norat"}},
		{"no RAT, training needs none", p("pelatihan", "norat"), nil, []string{}},
		{"funded two cycles ago, same category", p("permodalan", "ok"),
			map[string][]domain.KoperasiUse{"ok": {{ProposalID: "old", CycleID: "13-2025", FiscalYear: 2025, Category: "permodalan", Stage: domain.StageFinal}}},
			[]string{"sudah_didanai:ok"}},
		{"funded, another category", p("permodalan", "ok"),
			map[string][]domain.KoperasiUse{"ok": {{ProposalID: "old", CycleID: "13-2026", FiscalYear: 2026, Category: "pelatihan", Stage: domain.StageFinal}}},
			[]string{}},
		{"funded three cycles ago", p("permodalan", "ok"),
			map[string][]domain.KoperasiUse{"ok": {{ProposalID: "old", CycleID: "13-2024", FiscalYear: 2024, Category: "permodalan", Stage: domain.StageFinal}}},
			[]string{}},
		{"same koperasi, other kecamatan's proposal, same cycle", p("pelatihan", "ok"),
			map[string][]domain.KoperasiUse{"ok": {{ProposalID: "q", CycleID: "13-2027", FiscalYear: 2027, Category: "pelatihan", Stage: domain.StageConsolidation}}},
			[]string{"duplikat_koperasi:ok"}},
		{"same koperasi, earlier cycle, not funded, still open", p("pelatihan", "ok"),
			map[string][]domain.KoperasiUse{"ok": {{ProposalID: "q", CycleID: "13-2026", FiscalYear: 2026, Category: "pelatihan", Stage: domain.StageMinistry}}},
			[]string{"duplikat_koperasi:ok"}},
		{"same koperasi, declined or other category, or itself", p("pelatihan", "ok"),
			map[string][]domain.KoperasiUse{"ok": {
				{ProposalID: "q", CycleID: "13-2027", FiscalYear: 2027, Category: "pelatihan", Stage: domain.StageDeclined},
				{ProposalID: "r", CycleID: "13-2027", FiscalYear: 2027, Category: "bazar", Stage: domain.StageConsolidation},
				{ProposalID: "p", CycleID: "13-2027", FiscalYear: 2027, Category: "pelatihan", Stage: domain.StageConsolidation},
			}},
			[]string{}},
	} {
		got := domain.CheckEligibility(c.p, fy, facts, c.uses)
		require.Equal(t, c.want, kinds(got), c.name)
		for _, w := range got {
			require.NotEmpty(t, w.Message, c.name)
		}
	}
	w := domain.CheckEligibility(p("permodalan", "norat"), fy, facts, nil)[0]
	require.Contains(t, w.Message, "Kopwan Melati", "the warning names the koperasi")
	require.Contains(t, w.Message, "2025", "and the book years")
}
