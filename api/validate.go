package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/sipd"
	"github.com/rencana-id/rencana/workflows"
)

// MaxAmountIDR is the largest amount accepted: Rp1 triliun, far above any
// cooperative or UMKM programme of a region.
const MaxAmountIDR int64 = 1_000_000_000_000

// Input bounds. They are generous for real proposals and exist so that a
// slip (three zeros too many) or a hostile client is stopped at the door
// with a message, not stored.
const (
	maxTitle          = 200
	maxDescription    = 5000
	maxBeneficiaries  = 1000
	maxIndicators     = 20
	maxIndicatorName  = 200
	maxUnit           = 50
	maxTarget         = 1_000_000_000
	maxComment        = 2000
	maxPriority       = 100_000
	maxSIPDCode       = 40
	maxCycleID        = 20
	maxIdempotencyKey = 200
	maxQuery          = 100
)

// rupiah renders an amount the way an Indonesian reader writes it.
func rupiah(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return "Rp" + b.String()
}

// checkLen adds an error when s is longer than max characters.
func checkLen(v *domain.Validation, field, label, s string, max int) {
	if n := utf8.RuneCountInString(s); n > max {
		v.Add(field, "%s paling panjang %d karakter (sekarang %d); persingkat.", label, max, n)
	}
}

func checkAmount(v *domain.Validation, field, label string, n int64) {
	switch {
	case n < 0:
		v.Add(field, "%s tidak boleh negatif.", label)
	case n > MaxAmountIDR:
		v.Add(field, "%s paling banyak %s (satu triliun rupiah); periksa kelebihan angka nol.", label, rupiah(MaxAmountIDR))
	}
}

func categoryList() string {
	s := make([]string, len(domain.Categories))
	for i, c := range domain.Categories {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func fundingList() string {
	s := make([]string, len(domain.FundingSources))
	for i, f := range domain.FundingSources {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

func checkFunding(v *domain.Validation, field string, f domain.FundingSource) {
	if f != "" && !domain.ValidFundingSource(f) {
		v.Add(field, "Sumber dana %q tidak dikenal; pilih salah satu: %s.", f, fundingList())
	}
}

// checkDraft validates the fields a draft patch sets (every field for a
// create). The workflow checks the same rules again; these are the bounds
// and enumerations a person should hear about before anything is sent.
func checkDraft(v *domain.Validation, d workflows.DraftPatch) {
	if d.Title != nil {
		if strings.TrimSpace(*d.Title) == "" {
			v.Add("title", "Judul wajib diisi.")
		}
		checkLen(v, "title", "Judul", *d.Title, maxTitle)
	}
	if d.Description != nil {
		checkLen(v, "description", "Uraian", *d.Description, maxDescription)
	}
	if d.Category != nil && *d.Category != "" && !domain.ValidCategory(*d.Category) {
		v.Add("category", "Kategori %q tidak dikenal; pilih salah satu: %s.", *d.Category, categoryList())
	}
	if d.AmountIDR != nil {
		checkAmount(v, "amount_idr", "Pagu usulan", *d.AmountIDR)
	}
	if d.FundingSource != nil {
		checkFunding(v, "funding_source", *d.FundingSource)
	}
	if d.Beneficiaries != nil {
		checkLen(v, "beneficiaries", "Penerima manfaat", *d.Beneficiaries, maxBeneficiaries)
	}
	if d.SIPDCode != nil {
		checkLen(v, "sipd_code", "Kode sub kegiatan", *d.SIPDCode, maxSIPDCode)
	}
	if d.Indicators != nil {
		ind := *d.Indicators
		if len(ind) > maxIndicators {
			v.Add("indicators", "Paling banyak %d indikator (sekarang %d).", maxIndicators, len(ind))
		}
		for i, x := range ind {
			f := fmt.Sprintf("indicators[%d]", i)
			if strings.TrimSpace(x.Name) == "" {
				v.Add(f+".name", "Nama indikator wajib diisi.")
			}
			checkLen(v, f+".name", "Nama indikator", x.Name, maxIndicatorName)
			checkLen(v, f+".unit", "Satuan", x.Unit, maxUnit)
			switch {
			case x.Target < 0:
				v.Add(f+".target", "Target tidak boleh negatif.")
			case x.Target > maxTarget:
				v.Add(f+".target", "Target paling besar %d; periksa kelebihan angka nol.", maxTarget)
			}
		}
	}
}

// checkRegion validates a proposal's region for cycle: a well-formed code
// of a kecamatan, kab/kota or province that exists and lies in the cycle's
// province. It reports whether the region passed.
func (s *Server) checkRegion(ctx context.Context, v *domain.Validation, code string, cycle *domain.Cycle) (bool, error) {
	lvl, err := domain.ParseRegionCode(code)
	switch {
	case code == "":
		v.Add("region_code", "Kode wilayah wajib diisi, misalnya 74.05.03 untuk kecamatan.")
		return false, nil
	case len(code) > 13 || err != nil:
		checkLen(v, "region_code", "Kode wilayah", code, 13)
		v.Add("region_code", "Kode wilayah tidak berbentuk 74, 74.05 atau 74.05.03.")
		return false, nil
	case lvl == domain.LevelDesa:
		v.Add("region_code", "Usulan dibuat untuk kecamatan, kabupaten/kota atau provinsi; gunakan kode kecamatan %s.", domain.RegionParent(code))
		return false, nil
	}
	ok, err := s.db.RegionExists(ctx, code)
	if err != nil {
		return false, err
	}
	switch {
	case !ok:
		v.Add("region_code", "Wilayah %q tidak ada dalam daftar wilayah Kemendagri.", code)
		return false, nil
	case cycle != nil && domain.RegionProvince(code) != cycle.ProvinceCode:
		v.Add("region_code", "Wilayah %s tidak termasuk provinsi %s dari siklus %s.", code, cycle.ProvinceCode, cycle.ID)
		return false, nil
	}
	return true, nil
}

// checkSIPDCode validates a sub kegiatan code for a proposal of region in
// a cycle of fiscalYear with sipd.CheckMapping, the one implementation the
// planner's early pick (create, PATCH) and the map action share, and adds
// its refusal to v. An empty code is allowed in a draft; the map action
// passes required so that it is refused with CheckMapping's words. A code
// longer than maxSIPDCode was already reported by checkLen.
func (s *Server) checkSIPDCode(ctx context.Context, v *domain.Validation, code, region string, fiscalYear int, required bool) error {
	code = strings.TrimSpace(code)
	if (code == "" && !required) || utf8.RuneCountInString(code) > maxSIPDCode {
		return nil
	}
	return addInvalid(v, sipd.CheckMapping(ctx, s.db, fiscalYear, region, code))
}

// addInvalid moves the field errors of an EINVALID error into v, so that
// refusals found by a domain package are reported with the request's other
// field errors; any other error is returned as it is.
func addInvalid(v *domain.Validation, err error) error {
	var de *domain.Error
	if errors.As(err, &de) && de.Code == domain.EINVALID {
		for _, f := range de.Fields {
			v.Add(f.Field, "%s", f.Message)
		}
		if len(de.Fields) == 0 {
			v.Add("body", "%s", de.Message)
		}
		return nil
	}
	return err
}
