package domain

import (
	"fmt"
	"slices"
)

// Eligibility warning kinds (issue 18): advice at consolidation, never a
// refusal.
const (
	EligInactive  = "koperasi_tidak_aktif" // the beneficiary is inactive or dissolved
	EligNoRAT     = "tanpa_rat"            // no RAT in the last two book years
	EligFunded    = "sudah_didanai"        // funded in one of the two previous cycles, same category
	EligDuplicate = "duplikat_koperasi"    // named by another proposal of the cycle, same category
)

// RATCategories are the categories that need a RAT in the last two book
// years (Sumbar's condition for capital support and bansos).
var RATCategories = []Category{"permodalan", "bansos"}

// KoperasiFacts is what the register says of a beneficiary in the two
// book years before a cycle's fiscal year N (N-2 and N-1).
type KoperasiFacts struct {
	ID   string
	Name string
	// Status is the latest of the two years' status; "" when the register
	// has neither year.
	Status KoperasiStatus
	// RAT: a RAT was held in one of the two years.
	RAT bool
}

// KoperasiUse is another proposal naming the same koperasi.
type KoperasiUse struct {
	ProposalID string
	CycleID    string
	FiscalYear int
	Category   Category
	Stage      Stage
}

// Funded reports whether the use's proposal received funding: the
// ministry funded it (SIPD mapping or final).
func (u KoperasiUse) Funded() bool { return u.Stage == StageSIPDMapping || u.Stage == StageFinal }

// EligibilityWarning names a koperasi and the reason.
type EligibilityWarning struct {
	Kind       string
	KoperasiID string
	ProposalID string // the other proposal, when there is one
	Message    string
}

// CheckEligibility lists the warnings of proposal p of fiscal year fy:
// for each koperasi it names, the register's facts (facts by id) and the
// other proposals naming it (uses by id, from this cycle and the two
// before; p itself and dropped proposals are ignored here).
func CheckEligibility(p Proposal, fy int, facts map[string]KoperasiFacts, uses map[string][]KoperasiUse) []EligibilityWarning {
	var out []EligibilityWarning
	for _, id := range p.BeneficiariesKoperasi {
		f, ok := facts[id]
		name := id
		if ok && f.Name != "" {
			name = f.Name
		}
		switch {
		case !ok || f.Status == "":
			out = append(out, EligibilityWarning{Kind: EligInactive, KoperasiID: id,
				Message: fmt.Sprintf("Koperasi %s tidak tercatat dalam register tahun %d–%d.", name, fy-2, fy-1)})
		case f.Status != KoperasiAktif:
			out = append(out, EligibilityWarning{Kind: EligInactive, KoperasiID: id,
				Message: fmt.Sprintf("Koperasi %s berstatus %s dalam register.", name, f.Status.Label())})
		}
		if ok && f.Status != "" && !f.RAT && slices.Contains(RATCategories, p.Category) {
			out = append(out, EligibilityWarning{Kind: EligNoRAT, KoperasiID: id,
				Message: fmt.Sprintf("Koperasi %s tidak menyelenggarakan RAT pada tahun buku %d maupun %d (syarat %s).", name, fy-2, fy-1, p.Category)})
		}
		for _, u := range uses[id] {
			if u.ProposalID == p.ID || u.Category != p.Category {
				continue
			}
			switch {
			case u.FiscalYear < fy && u.FiscalYear >= fy-2 && u.Funded():
				out = append(out, EligibilityWarning{Kind: EligFunded, KoperasiID: id, ProposalID: u.ProposalID,
					Message: fmt.Sprintf("Koperasi %s sudah didanai untuk kategori %s pada siklus %s (usulan %s).", name, p.Category, u.CycleID, u.ProposalID)})
			case u.FiscalYear >= fy-2 && u.FiscalYear <= fy && !u.Stage.Dropped():
				out = append(out, EligibilityWarning{Kind: EligDuplicate, KoperasiID: id, ProposalID: u.ProposalID,
					Message: fmt.Sprintf("Koperasi %s juga diusulkan untuk kategori %s oleh usulan %s (siklus %s).", name, p.Category, u.ProposalID, u.CycleID)})
			}
		}
	}
	return out
}

// Dropped reports whether a proposal in s no longer asks for anything:
// rejected, deferred, declined, withdrawn or expired.
func (s Stage) Dropped() bool { return s.Terminal() && s != StageFinal }
