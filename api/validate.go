package api

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/sipd"
)

// MaxAmountIDR is the largest amount accepted (domain.MaxAmountIDR).
const MaxAmountIDR = domain.MaxAmountIDR

// Input bounds of the requests beyond a proposal's own fields (those are
// domain's, next to Proposal.ValidateDraft).
const (
	maxComment        = 2000
	maxPriority       = 100_000
	maxCycleID        = 20
	maxIdempotencyKey = 200
	maxQuery          = 100
)

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
		domain.CheckLen(v, "region_code", "Kode wilayah", code, 13)
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
// longer than domain.MaxSIPDCode was already reported by domain.CheckLen.
func (s *Server) checkSIPDCode(ctx context.Context, v *domain.Validation, code, region string, fiscalYear int, required bool) error {
	code = strings.TrimSpace(code)
	if (code == "" && !required) || utf8.RuneCountInString(code) > domain.MaxSIPDCode {
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
