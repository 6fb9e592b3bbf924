package domain

import (
	"fmt"
	"strings"
)

// RegionLevel is the depth of a Kemendagri region code.
type RegionLevel int

// The four levels of the Kemendagri code: 74, 74.05, 74.05.03, 74.05.03.2001.
const (
	LevelProvinsi  RegionLevel = 1
	LevelKabKota   RegionLevel = 2
	LevelKecamatan RegionLevel = 3
	LevelDesa      RegionLevel = 4
)

// segmentWidths are the digit counts of each dotted segment by position.
var segmentWidths = [...]int{2, 2, 2, 4}

// ParseRegionCode checks the shape of a dotted Kemendagri code and returns its
// level. It does not check that the region exists; the reference table does.
func ParseRegionCode(code string) (RegionLevel, error) {
	parts := strings.Split(code, ".")
	if code == "" || len(parts) > len(segmentWidths) {
		return 0, fmt.Errorf("kode wilayah %q tidak berbentuk 74, 74.05, 74.05.03 atau 74.05.03.2001", code)
	}
	for i, p := range parts {
		if len(p) != segmentWidths[i] || !allDigits(p) {
			return 0, fmt.Errorf("kode wilayah %q tidak berbentuk 74, 74.05, 74.05.03 atau 74.05.03.2001", code)
		}
	}
	return RegionLevel(len(parts)), nil
}

// RegionParent returns the code one level up, or "" for a province.
func RegionParent(code string) string {
	i := strings.LastIndexByte(code, '.')
	if i < 0 {
		return ""
	}
	return code[:i]
}

// RegionProvince returns the province part of a region code.
func RegionProvince(code string) string {
	if i := strings.IndexByte(code, '.'); i >= 0 {
		return code[:i]
	}
	return code
}

// NationalScope is the scope that covers every region.
const NationalScope = "*"

// ScopeCovers reports whether a grant scope covers a region code: the
// national scope covers all, otherwise the scope must equal the code or be
// one of its dotted prefixes ("74.05" covers "74.05.03", not "74.050").
func ScopeCovers(scope, code string) bool {
	if scope == NationalScope {
		return true
	}
	return code == scope || strings.HasPrefix(code, scope+".")
}

// PemdaLevel is the level of regional government a proposal belongs to; it
// selects the nomenclature rows (5th code segment 1 or 2).
type PemdaLevel string

// Pemda levels as the nomenclature names them.
const (
	PemdaProvinsi PemdaLevel = "provinsi"
	PemdaKabKota  PemdaLevel = "kabkota"
)

// PemdaLevelOf tells whose budget a proposal for region code falls under:
// a province code is provincial, anything below it is kab/kota.
func PemdaLevelOf(code string) PemdaLevel {
	if strings.IndexByte(code, '.') < 0 {
		return PemdaProvinsi
	}
	return PemdaKabKota
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// RegionKabKota returns the kab/kota part of a region code ("74.05" for
// "74.05.03.2001"), or the code itself for a province: the region whose
// dinas reviews a proposal and whose ceiling its consolidated amount
// counts against.
func RegionKabKota(code string) string {
	parts := strings.SplitN(code, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return code
}
