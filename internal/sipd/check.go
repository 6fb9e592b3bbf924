// Package sipd maps proposals onto the SIPD nomenclature (Kemendagri): it
// checks that a code can be mapped to a proposal (CheckMapping) and
// suggests the sub kegiatan that most likely fit a proposal's text
// (Suggest). The workflow's map action and the planner's early pick of a
// sipd_code both go through CheckMapping, so they refuse the same codes with
// the same words.
package sipd

import (
	"context"
	"fmt"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
)

// Field is the input field every refusal of CheckMapping names.
const Field = "sipd_code"

// CheckMapping decides whether code can be the SIPD code of a proposal for
// region proposalRegionCode in fiscalYear: it must be a sub kegiatan code, of
// the proposal's pemda level (5th segment 1 for a provincial proposal, 2 for
// a kab/kota or kecamatan one), present in the nomenclature version in force
// for that fiscal year. It returns nil when it can, or an EINVALID
// *domain.Error with one field error on sipd_code whose message tells which
// rule failed, in this order: not a sub kegiatan code, wrong pemda level, no
// version for the year, a code of another version (both versions named),
// an unknown code. Database failures are returned as they are.
func CheckMapping(ctx context.Context, db *store.DB, fiscalYear int, proposalRegionCode, code string) error {
	code = strings.TrimSpace(code)
	refuse := func(format string, args ...any) error {
		var v domain.Validation
		v.Add(Field, format, args...)
		return v.Err()
	}
	if code == "" {
		return refuse("Kode sub kegiatan SIPD wajib diisi.")
	}
	c, err := refdata.ParseNomenclatureCode(code)
	if err != nil {
		return refuse("Kode %q bukan kode sub kegiatan SIPD urusan 2.17 (contoh: 2.17.07.2.01.0003).", code)
	}
	if c.Level != store.NomenSubKegiatan {
		return refuse("Kode %q adalah kode %s, bukan sub kegiatan; pilih salah satu sub kegiatan di bawahnya.", code, levelLabel(c.Level))
	}
	if _, err := domain.ParseRegionCode(proposalRegionCode); err != nil {
		return fmt.Errorf("check mapping: region of the proposal: %w", err)
	}
	want := domain.PemdaLevelOf(proposalRegionCode)
	if c.PemdaLevel != want {
		return refuse("Usulan %s memerlukan sub kegiatan %s (segmen ke-5 kode bernilai %s); kode %q adalah sub kegiatan %s.",
			pemdaLabel(want), pemdaLabel(want), pemdaDigit(want), code, pemdaLabel(c.PemdaLevel))
	}
	version, err := db.NomenclatureVersionFor(ctx, fiscalYear)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return refuse("Belum ada nomenklatur SIPD yang berlaku untuk tahun anggaran %d; minta admin mengimpor lampiran nomenklaturnya.", fiscalYear)
	}
	if err != nil {
		return err
	}
	_, err = db.GetSubKegiatan(ctx, fiscalYear, code)
	if err == nil {
		return nil
	}
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		return err
	}
	others, err := db.NomenclatureVersionsWithCode(ctx, code, store.NomenSubKegiatan)
	if err != nil {
		return err
	}
	digits := ""
	if d := refdata.SubKegiatanDigits(version.ValidFromYear); c.SubDigits != d {
		digits = fmt.Sprintf(" Versi itu menomori sub kegiatan dengan %d digit di segmen terakhir, kode ini %d digit.", d, c.SubDigits)
	}
	if len(others) > 0 {
		names := make([]string, len(others))
		for i, o := range others {
			names[i] = fmt.Sprintf("%s (berlaku mulai tahun anggaran %d)", o.Name, o.ValidFromYear)
		}
		return refuse("Kode %q tidak berlaku untuk tahun anggaran %d: yang berlaku adalah %s (mulai tahun anggaran %d), sedangkan kode ini hanya ada di %s.%s",
			code, fiscalYear, version.Name, version.ValidFromYear, strings.Join(names, ", "), digits)
	}
	return refuse("Kode sub kegiatan %q tidak dikenal: tidak ada di %s (berlaku untuk tahun anggaran %d) maupun di versi nomenklatur lain.%s",
		code, version.Name, fiscalYear, digits)
}

func levelLabel(l store.NomenclatureLevel) string {
	switch l {
	case store.NomenUrusan:
		return "urusan"
	case store.NomenBidangUrusan:
		return "bidang urusan"
	case store.NomenProgram:
		return "program"
	case store.NomenKegiatan:
		return "kegiatan"
	}
	return "sub kegiatan"
}

func pemdaLabel(p domain.PemdaLevel) string {
	if p == domain.PemdaProvinsi {
		return "provinsi"
	}
	return "kabupaten/kota"
}

func pemdaDigit(p domain.PemdaLevel) string {
	if p == domain.PemdaProvinsi {
		return "1"
	}
	return "2"
}
