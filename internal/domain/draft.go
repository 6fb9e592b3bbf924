package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxAmountIDR is the largest amount accepted: Rp1 triliun, far above any
// cooperative or UMKM programme of a region.
const MaxAmountIDR int64 = 1_000_000_000_000

// Bounds of a proposal's fields. They are generous for real proposals and
// exist so that a slip (three zeros too many) or a hostile client is
// stopped at the door with a message, not stored.
const (
	MaxTitle         = 200
	MaxDescription   = 5000
	MaxBeneficiaries = 1000
	MaxIndicators    = 20
	MaxIndicatorName = 200
	MaxUnit          = 50
	MaxTarget        = 1_000_000_000
	MaxSIPDCode      = 40
)

// ValidateDraft adds to v what a draft may not contain even while
// incomplete: the one rule set the API (before anything is sent) and the
// workflow's create and edit validators apply to the draft as it would be.
func (p Proposal) ValidateDraft(v *Validation) {
	if strings.TrimSpace(p.Title) == "" {
		v.Add("title", "Judul wajib diisi.")
	}
	CheckLen(v, "title", "Judul", p.Title, MaxTitle)
	CheckLen(v, "description", "Uraian", p.Description, MaxDescription)
	if p.Category != "" && !ValidCategory(p.Category) {
		v.Add("category", "Kategori %q tidak dikenal; pilih salah satu: %s.", p.Category, List(Categories))
	}
	CheckAmount(v, "amount_idr", "Pagu usulan", p.AmountIDR)
	CheckFunding(v, "funding_source", p.FundingSource)
	CheckLen(v, "beneficiaries", "Penerima manfaat", p.Beneficiaries, MaxBeneficiaries)
	CheckLen(v, "sipd_code", "Kode sub kegiatan", p.SIPDCode, MaxSIPDCode)
	checkBeneficiaryKoperasi(v, p.BeneficiariesKoperasi)
	if len(p.Indicators) > MaxIndicators {
		v.Add("indicators", "Paling banyak %d indikator (sekarang %d).", MaxIndicators, len(p.Indicators))
	}
	for i, x := range p.Indicators {
		f := fmt.Sprintf("indicators[%d]", i)
		if strings.TrimSpace(x.Name) == "" {
			v.Add(f+".name", "Nama indikator wajib diisi.")
		}
		CheckLen(v, f+".name", "Nama indikator", x.Name, MaxIndicatorName)
		CheckLen(v, f+".unit", "Satuan", x.Unit, MaxUnit)
		if x.TargetIndicator != "" && !x.TargetIndicator.Valid() {
			v.Add(f+".target_indicator", "Target register %q tidak dikenal; pilih salah satu: %s.", x.TargetIndicator, joinValues(RegisterIndicators))
		}
		switch {
		case x.Target < 0:
			v.Add(f+".target", "Target tidak boleh negatif.")
		case x.Target > MaxTarget:
			v.Add(f+".target", "Target paling besar %d; periksa kelebihan angka nol.", MaxTarget)
		}
	}
	p.validateDossier(v)
}

// ValidateComplete is ValidateDraft plus what submit needs: every field a
// reviewer reads.
func (p Proposal) ValidateComplete(v *Validation) {
	p.ValidateDraft(v)
	if strings.TrimSpace(p.Description) == "" {
		v.Add("description", "Uraian wajib diisi sebelum diajukan.")
	}
	if p.Category == "" {
		v.Add("category", "Kategori wajib diisi sebelum diajukan.")
	}
	if p.AmountIDR <= 0 {
		v.Add("amount_idr", "Pagu usulan harus lebih dari 0 rupiah sebelum diajukan.")
	}
	if p.FundingSource == "" {
		v.Add("funding_source", "Sumber dana wajib diisi sebelum diajukan.")
	}
	if len(p.Indicators) == 0 {
		v.Add("indicators", "Minimal satu indikator wajib diisi sebelum diajukan.")
	}
	for i, ind := range p.Indicators {
		if ind.Target <= 0 {
			v.Add(fmt.Sprintf("indicators[%d].target", i), "Target harus lebih dari 0.")
		}
		if strings.TrimSpace(ind.Unit) == "" {
			v.Add(fmt.Sprintf("indicators[%d].unit", i), "Satuan wajib diisi.")
		}
	}
}

// CheckLen adds an error when s is longer than max characters.
func CheckLen(v *Validation, field, label, s string, max int) {
	if n := utf8.RuneCountInString(s); n > max {
		v.Add(field, "%s paling panjang %d karakter (sekarang %d); persingkat.", label, max, n)
	}
}

// CheckAmount adds an error when n is not an amount of rupiah a proposal
// may carry: 0 to MaxAmountIDR.
func CheckAmount(v *Validation, field, label string, n int64) {
	switch {
	case n < 0:
		v.Add(field, "%s tidak boleh negatif.", label)
	case n > MaxAmountIDR:
		v.Add(field, "%s paling banyak %s (satu triliun rupiah); periksa kelebihan angka nol.", label, FormatRupiah(MaxAmountIDR))
	}
}

// CheckFunding adds an error when f is set but not one of FundingSources.
func CheckFunding(v *Validation, field string, f FundingSource) {
	if f != "" && !ValidFundingSource(f) {
		v.Add(field, "Sumber dana %q tidak dikenal; pilih salah satu: %s.", f, List(FundingSources))
	}
}

// List joins an enumeration for a message: "a, b, c".
func List[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
