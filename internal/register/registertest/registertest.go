// Package registertest holds what tests of the register share: a
// synthetic register file, and the indicators computed from a file's
// records by their columns alone, without the domain's or the store's
// code, so a test compares the system's figures with an independent count.
package registertest

import (
	"strconv"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/register"
)

// File is the synthetic register of desas for year as a CSV file (with
// its header) and its records.
func File(desas []register.Desa, year int, o register.SynthOptions) (string, [][]string, error) {
	var b strings.Builder
	b.WriteString(strings.Join(register.Header, ",") + "\n")
	var recs [][]string
	err := register.Synthesize(desas, year, o, func(rec []string) error {
		recs = append(recs, append([]string{}, rec...))
		b.WriteString(strings.Join(rec, ",") + "\n")
		return nil
	})
	return b.String(), recs, err
}

// Expect computes DESIGN.md's indicators of region ("*": all) for year
// from file records: counts by status, new (badan hukum dated in the
// year), RAT held (aktif, RAT in the year), berkualitas (the README's
// rule, restated here on purpose) and the sums.
func Expect(recs [][]string, region string, year int) domain.KoperasiIndicators {
	col := map[string]int{}
	for i, h := range register.Header {
		col[h] = i
	}
	num := func(r []string, c string) int64 {
		n, _ := strconv.ParseInt(r[col[c]], 10, 64)
		return n
	}
	out := domain.KoperasiIndicators{Region: region, Year: year}
	y := strconv.Itoa(year)
	for _, r := range recs {
		code := r[col["kode_wilayah"]]
		if region != "*" && code != region && !strings.HasPrefix(code, region+".") {
			continue
		}
		status := r[col["status"]]
		switch status {
		case "aktif":
			out.Active++
		case "tidak_aktif":
			out.Inactive++
		case "dibubarkan":
			out.Dissolved++
		}
		if strings.HasPrefix(r[col["badan_hukum_tanggal"]], y+"-") {
			out.New++
		}
		ratHeld := status == "aktif" && strings.HasPrefix(r[col["tanggal_rat"]], y+"-")
		if ratHeld {
			out.RATHeld++
		}
		if ratHeld && num(r, "shu") > 0 && num(r, "modal_sendiri") >= num(r, "modal_luar") && num(r, "anggota") >= 9 {
			out.Berkualitas++
		}
		out.Members += num(r, "anggota")
		out.ModalSendiriIDR += num(r, "modal_sendiri")
		out.ModalLuarIDR += num(r, "modal_luar")
		out.VolumeUsahaIDR += num(r, "volume_usaha")
		out.SHUIDR += num(r, "shu")
	}
	return out
}

// WithPrevious is Expect for year with Expect for year-1 as Previous (nil
// when that year has no koperasi in region), as the indicators endpoint
// answers.
func WithPrevious(recs, prevRecs [][]string, region string, year int) domain.KoperasiIndicators {
	out := Expect(recs, region, year)
	if prev := Expect(prevRecs, region, year-1); prev.Total() > 0 {
		out.Previous = &prev
	}
	return out
}
