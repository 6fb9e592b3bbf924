package domain

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
)

// The proposal dossier (issue 21): what KRISNA and e-Musrenbang carry with
// an usulan besides its amount: a RAB, the desa it serves, where it came
// from, and a number people can say on the phone.

// RABLine is one line of a proposal's cost plan (Rencana Anggaran Biaya):
// volume × harga satuan = jumlah, in integer rupiah.
type RABLine struct {
	Uraian         string  `json:"uraian"`
	Volume         float64 `json:"volume"`
	Satuan         string  `json:"satuan"`
	HargaSatuanIDR int64   `json:"harga_satuan_idr"`
	JumlahIDR      int64   `json:"jumlah_idr"`
}

// Origin is where an usulan came from.
type Origin string

// Origins accepted by the API, in the order forms list them.
var Origins = []Origin{"musrenbang_desa", "musrenbang_kecamatan", "pokir_dprd", "usulan_dinas", "teknokratik"}

// Label is the origin as users read it.
func (o Origin) Label() string {
	switch o {
	case "musrenbang_desa":
		return "Musrenbang Desa/Kelurahan"
	case "musrenbang_kecamatan":
		return "Musrenbang Kecamatan"
	case "pokir_dprd":
		return "Pokok Pikiran DPRD"
	case "usulan_dinas":
		return "Usulan Dinas"
	case "teknokratik":
		return "Teknokratik"
	}
	return string(o)
}

// IndicatorTypes are the kinds of an indicator; empty is allowed for
// proposals written before the dossier.
var IndicatorTypes = []string{"output", "outcome"}

// Bounds of the dossier's fields.
const (
	MaxRABLines   = 200
	MaxRABUraian  = 300
	MaxLocations  = 100
	MaxRABVolume  = 1_000_000_000
	desaCodeParts = 4 // 74.05.03.2001: provinsi.kabkota.kecamatan.desa
)

// RABTotal is the sum of the lines' jumlah.
func RABTotal(lines []RABLine) int64 {
	var t int64
	for _, l := range lines {
		t += l.JumlahIDR
	}
	return t
}

// IsDesaCode reports whether code has the shape of a Kemendagri
// desa/kelurahan code (four dot-separated parts).
func IsDesaCode(code string) bool { return strings.Count(code, ".") == desaCodeParts-1 }

// validateDossier adds the dossier's rules to v; ValidateDraft calls it.
// Whether a location exists and lies inside the region needs the region
// table and is checked by the API (checkLocations).
func (p Proposal) validateDossier(v *Validation) {
	if p.Origin != "" && !validOrigin(p.Origin) {
		v.Add("origin", "Asal usulan %q tidak dikenal; pilih salah satu: %s.", p.Origin, List(Origins))
	}
	for i, x := range p.Indicators {
		if x.Type != "" && x.Type != "output" && x.Type != "outcome" {
			v.Add(fmt.Sprintf("indicators[%d].type", i), "Jenis indikator %q tidak dikenal; pilih output atau outcome.", x.Type)
		}
	}
	if len(p.Locations) > MaxLocations {
		v.Add("locations", "Paling banyak %d lokasi (sekarang %d).", MaxLocations, len(p.Locations))
	}
	seen := map[string]bool{}
	for i, l := range p.Locations {
		f := fmt.Sprintf("locations[%d]", i)
		switch {
		case !IsDesaCode(l):
			v.Add(f, "Lokasi %q bukan kode desa/kelurahan Kemendagri (misalnya 74.05.03.2001).", l)
		case p.RegionCode != "" && !strings.HasPrefix(l, p.RegionCode+"."):
			v.Add(f, "Desa/kelurahan %s tidak berada di wilayah usulan %s.", l, p.RegionCode)
		case seen[l]:
			v.Add(f, "Desa/kelurahan %s disebut dua kali.", l)
		}
		seen[l] = true
	}
	if len(p.RAB) > MaxRABLines {
		v.Add("rab", "Paling banyak %d baris RAB (sekarang %d).", MaxRABLines, len(p.RAB))
	}
	for i, l := range p.RAB {
		f := fmt.Sprintf("rab[%d]", i)
		if strings.TrimSpace(l.Uraian) == "" {
			v.Add(f+".uraian", "Uraian baris RAB wajib diisi.")
		}
		CheckLen(v, f+".uraian", "Uraian baris RAB", l.Uraian, MaxRABUraian)
		CheckLen(v, f+".satuan", "Satuan", l.Satuan, MaxUnit)
		if strings.TrimSpace(l.Satuan) == "" {
			v.Add(f+".satuan", "Satuan baris RAB wajib diisi.")
		}
		if l.Volume <= 0 || l.Volume > MaxRABVolume {
			v.Add(f+".volume", "Volume harus lebih dari 0 dan paling besar %d.", MaxRABVolume)
		}
		CheckAmount(v, f+".harga_satuan_idr", "Harga satuan", l.HargaSatuanIDR)
		CheckAmount(v, f+".jumlah_idr", "Jumlah", l.JumlahIDR)
		// Rupiah are whole: volume × harga satuan, rounded to the rupiah,
		// must be the line's jumlah, so a typo in either shows up here.
		if want := math.Round(l.Volume * float64(l.HargaSatuanIDR)); l.Volume > 0 && float64(l.JumlahIDR) != want {
			v.Add(f+".jumlah_idr", "Jumlah %s tidak sama dengan volume × harga satuan (%s).", FormatRupiah(l.JumlahIDR), FormatRupiah(int64(want)))
		}
	}
	if len(p.RAB) > 0 {
		if t := RABTotal(p.RAB); t != p.AmountIDR {
			v.Add("amount_idr", "Pagu usulan %s harus sama dengan jumlah RAB %s.", FormatRupiah(p.AmountIDR), FormatRupiah(t))
		}
	}
}

func validOrigin(o Origin) bool {
	for _, x := range Origins {
		if x == o {
			return true
		}
	}
	return false
}

// ProposalNumber formats the human-friendly number of the seq-th proposal
// of a region in a fiscal year: 74.05.03/2027/0012.
func ProposalNumber(regionCode string, fiscalYear, seq int) string {
	return fmt.Sprintf("%s/%d/%04d", regionCode, fiscalYear, seq)
}

// NormalizeDossier turns the dossier's nil lists (proposals written before
// issue 21) into empty ones, so the contract's arrays are never null.
func NormalizeDossier(p *Proposal) {
	if p.RAB == nil {
		p.RAB = []RABLine{}
	}
	if p.Locations == nil {
		p.Locations = []string{}
	}
}

// Comment is one message of a proposal's discussion thread. It moves no
// stage, so it lives beside the workflow, not in it.
type Comment struct {
	ID         string    `json:"id"`
	ProposalID string    `json:"proposal_id"`
	Author     string    `json:"author"`
	AuthorRole Role      `json:"author_role"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// MaxCommentBody bounds a comment like a proposal's description.
const MaxCommentBody = MaxDescription

// Validate adds what a comment may not be: empty or too long.
func (c Comment) Validate(v *Validation) {
	if strings.TrimSpace(c.Body) == "" {
		v.Add("body", "Isi komentar wajib diisi.")
	}
	CheckLen(v, "body", "Komentar", c.Body, MaxCommentBody)
}

// mentionRE matches @username with the username rules of the user admin.
var mentionRE = regexp.MustCompile(`(?:^|[^\w@])@([a-z0-9._-]{3,64})`)

// Mentions returns the distinct usernames a comment mentions (@nama), in
// order; each is notified if it may read the proposal.
func (c Comment) Mentions() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range mentionRE.FindAllStringSubmatch(c.Body, -1) {
		u := strings.TrimRight(m[1], ".")
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}
