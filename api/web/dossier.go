package web

import (
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
)

// The proposal dossier (issue 21) on the pages: shown on the proposal page,
// edited in the proposal form.

type dossierView struct {
	Number    string           `json:"number"`
	RAB       []domain.RABLine `json:"rab"`
	Locations []string         `json:"locations"`
	Origin    domain.Origin    `json:"origin"`
}

// RABTotal is the sum the page shows under the RAB table.
func (d dossierView) RABTotal() int64 { return domain.RABTotal(d.RAB) }

type rabRow struct{ Uraian, Volume, Satuan, Harga string }

// dossierForm is the dossier as typed: locations as one line of codes.
type dossierForm struct {
	Origin, Locations string
	RAB               []rabRow
	Origins           []domain.Origin
}

func dossierFormOf(d dossierView) dossierForm {
	f := dossierForm{Origin: string(d.Origin), Locations: strings.Join(d.Locations, ", ")}
	for _, l := range d.RAB {
		f.RAB = append(f.RAB, rabRow{Uraian: l.Uraian, Volume: number(l.Volume), Satuan: l.Satuan,
			Harga: strings.TrimPrefix(rupiah(l.HargaSatuanIDR), "Rp ")})
	}
	return f
}

func (v *formValues) readDossier(f url.Values) {
	v.Origin, v.Locations = f.Get("origin"), f.Get("locations")
	for i, t := range f["indicator_type"] {
		if i < len(v.Indicators) {
			v.Indicators[i].Type = t
		}
	}
	ur, vol, sat, hs := f["rab_uraian"], f["rab_volume"], f["rab_satuan"], f["rab_harga"]
	at := func(xs []string, i int) string {
		if i < len(xs) {
			return xs[i]
		}
		return ""
	}
	for i := range ur {
		v.RAB = append(v.RAB, rabRow{Uraian: ur[i], Volume: at(vol, i), Satuan: at(sat, i), Harga: at(hs, i)})
	}
}

// dossierBody adds the dossier to the API body b. A line's jumlah is
// volume × harga satuan; a blank amount takes the RAB total.
func (v formValues) dossierBody(b map[string]any, errs map[string]string) {
	b["origin"] = v.Origin
	locs := []string{}
	for _, l := range strings.FieldsFunc(v.Locations, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
		locs = append(locs, l)
	}
	b["locations"] = locs
	lines := []map[string]any{}
	var total int64
	for _, row := range v.RAB {
		if strings.TrimSpace(row.Uraian+row.Volume+row.Satuan+row.Harga) == "" {
			continue
		}
		i := len(lines)
		vol, err := parseNumber(row.Volume)
		if err != nil {
			errs[fmt.Sprintf("rab[%d].volume", i)] = err.Error()
		}
		harga, err := parseRupiah(row.Harga)
		if err != nil {
			errs[fmt.Sprintf("rab[%d].harga_satuan_idr", i)] = err.Error()
		}
		jumlah := int64(math.Round(vol * float64(harga)))
		total += jumlah
		lines = append(lines, map[string]any{"uraian": strings.TrimSpace(row.Uraian), "volume": vol,
			"satuan": strings.TrimSpace(row.Satuan), "harga_satuan_idr": harga, "jumlah_idr": jumlah})
	}
	b["rab"] = lines
	if a, _ := b["amount_idr"].(int64); a == 0 && strings.TrimSpace(v.Amount) == "" && total > 0 {
		b["amount_idr"] = total
	}
}

// padRAB keeps one blank RAB row to type in, at least three rows.
func (v *formValues) padRAB() {
	v.Origins = domain.Origins
	for len(v.RAB) < 3 || strings.TrimSpace(v.RAB[len(v.RAB)-1].Uraian) != "" {
		v.RAB = append(v.RAB, rabRow{})
	}
}

// FieldsUnder returns the messages for prefix[0], prefix[1], ... in order:
// the API names each location it refuses by index.
func (p pageData) FieldsUnder(prefix string) []string {
	var out []string
	for i := 0; i < domain.MaxLocations; i++ {
		if m, ok := p.Fields[fmt.Sprintf("%s[%d]", prefix, i)]; ok {
			out = append(out, m)
		}
	}
	return out
}
