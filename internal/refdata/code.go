package refdata

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// NomenclatureCode is a SIPD code of urusan 2.17 (Koperasi, Usaha Kecil, dan
// Menengah) taken apart: its level, the pemda level its 5th segment names and
// how many digits its sub kegiatan segment has. Imports and SIPD mapping both
// need these facts, and reading them off the code in one place keeps them
// consistent.
type NomenclatureCode struct {
	Code  string
	Level store.NomenclatureLevel
	// PemdaLevel is set for kegiatan and sub kegiatan (5th segment 1 =
	// provinsi, 2 = kab/kota) and empty above them.
	PemdaLevel domain.PemdaLevel
	// SubDigits is 2 (Permendagri 90/2019 up to Kepmendagri 050-5889/2021) or
	// 4 (Kepmendagri 900.1.15.5-1317/2023 on) for a sub kegiatan, else 0.
	SubDigits int
}

// Parent returns the code one level up, or "" for the urusan.
func (c NomenclatureCode) Parent() string {
	if i := strings.LastIndexByte(c.Code, '.'); i >= 0 {
		return c.Code[:i]
	}
	return ""
}

// codeLevels maps the number of dotted segments to the level.
var codeLevels = [...]store.NomenclatureLevel{
	1: store.NomenUrusan, 2: store.NomenBidangUrusan, 3: store.NomenProgram,
	4: "", // "2.17.NN.P" is not a level of its own
	5: store.NomenKegiatan, 6: store.NomenSubKegiatan,
}

// errCodeShape is the message for any code that is not one of the shapes.
var errCodeShape = errors.New("tidak berbentuk kode nomenklatur urusan 2.17 (contoh: 2, 2.17, 2.17.07, 2.17.07.2.01, 2.17.07.2.01.0001)")

// ParseNomenclatureCode checks the shape of a code of urusan 2.17 and tells
// its level: urusan "2", bidang "2.17", program "2.17.NN", kegiatan
// "2.17.NN.P.NN" with P 1 (provinsi) or 2 (kab/kota), sub kegiatan
// "2.17.NN.P.NN.NN" (2 digits, up to 2023) or "2.17.NN.P.NN.NNNN" (4 digits,
// from fiscal year 2024). Numbered segments are never all zeros. It does not
// say whether the code exists in any version; the nomenclature table does.
// Errors are in Bahasa Indonesia, ready for the user.
func ParseNomenclatureCode(code string) (NomenclatureCode, error) {
	fail := func() (NomenclatureCode, error) {
		return NomenclatureCode{}, fmt.Errorf("kode %q %w", code, errCodeShape)
	}
	if code == "" || len(code) > len("2.17.NN.P.NN.NNNN") {
		return fail()
	}
	parts := strings.Split(code, ".")
	if len(parts) >= len(codeLevels) || codeLevels[len(parts)] == "" {
		return fail()
	}
	c := NomenclatureCode{Code: code, Level: codeLevels[len(parts)]}
	for i, p := range parts {
		ok := false
		switch i {
		case 0:
			ok = p == "2"
		case 1:
			ok = p == "17"
		case 2, 4:
			ok = len(p) == 2 && numbered(p)
		case 3:
			ok = p == "1" || p == "2"
			if p == "1" {
				c.PemdaLevel = domain.PemdaProvinsi
			} else {
				c.PemdaLevel = domain.PemdaKabKota
			}
		case 5:
			ok = (len(p) == 2 || len(p) == 4) && numbered(p)
			c.SubDigits = len(p)
		}
		if !ok {
			return fail()
		}
	}
	return c, nil
}

// numbered reports whether s is all ASCII digits and not all zeros.
func numbered(s string) bool {
	nonZero := false
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		nonZero = nonZero || s[i] != '0'
	}
	return nonZero
}

// SubKegiatanDigits is the width of the last segment of sub kegiatan codes
// in a version valid from validFromYear: 4 from fiscal year 2024
// (Kepmendagri 900.1.15.5-1317/2023), 2 before.
func SubKegiatanDigits(validFromYear int) int {
	if validFromYear >= FourDigitFromYear {
		return 4
	}
	return 2
}

// FourDigitFromYear is the first fiscal year whose nomenclature
// (Kepmendagri 900.1.15.5-1317/2023) numbers sub kegiatan with 4 digits.
const FourDigitFromYear = 2024
