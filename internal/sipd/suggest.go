package sipd

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
)

// Suggestion is one sub kegiatan offered for a proposal, with the kegiatan
// and program above it so a planner can judge it without opening the
// nomenclature, and its Score (higher is a better match; only the order is
// meaningful).
type Suggestion struct {
	Code         string  `json:"code"`
	Name         string  `json:"name"`
	KegiatanCode string  `json:"kegiatan_code"`
	KegiatanName string  `json:"kegiatan_name"`
	ProgramCode  string  `json:"program_code"`
	ProgramName  string  `json:"program_name"`
	Indikator    string  `json:"indikator,omitempty"`
	Satuan       string  `json:"satuan,omitempty"`
	Score        float64 `json:"score"`
}

// DefaultSuggestions is how many suggestions the API shows.
const DefaultSuggestions = 5

// categoryTerms are words a proposal's category implies even when its title
// does not use them: a "bazar" proposal is about marketing (pemasaran), a
// "permodalan" one about financing (pembiayaan). They are how nomenclature
// rows, which speak the regulation's language, meet proposals, which speak
// the village's.
var categoryTerms = map[domain.Category]string{
	"pelatihan":        "pelatihan pendidikan kapasitas kompetensi sdm pemahaman pengetahuan",
	"bazar":            "pemasaran pasar promosi akses pameran",
	"sarana_prasarana": "sarana prasarana produksi teknologi peralatan",
	"plut":             "pusat layanan usaha terpadu pendampingan kelembagaan pengembangan",
	"rumah_produksi":   "produksi pengolahan produktivitas nilai tambah desain",
	"pendampingan":     "pendampingan pembinaan kemitraan fasilitasi kelembagaan",
	"permodalan":       "pembiayaan permodalan modal simpan pinjam",
	"bansos":           "pemberdayaan bantuan keluarga taraf hidup",
	"pendataan":        "pendataan data potensi",
}

// Query weights: the title says what the proposal is; the description adds
// detail and noise; category terms are a hint.
const (
	weightTitle       = 2.0
	weightDescription = 1.0
	weightCategory    = 0.75
)

// Document field weights (a simple BM25F): the sub kegiatan's own name
// matters most, its kegiatan and program place it, the indicator helps.
const (
	weightName      = 3.0
	weightKegiatan  = 1.0
	weightProgram   = 1.0
	weightIndikator = 1.0
)

// BM25 parameters, the usual ones.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Suggest returns up to n (default DefaultSuggestions, at most 50) sub
// kegiatan of the nomenclature version in force for the proposal's fiscal
// year and of its pemda level, ranked by text similarity (BM25 over stemmed
// Indonesian terms) to its title, description, indicators and category.
// Only rows that share at least one term with the proposal are returned, so
// a proposal with nothing to go on gets an empty list rather than noise; so
// does a fiscal year without a nomenclature version. An unknown cycle is
// ENOTFOUND.
func Suggest(ctx context.Context, db *store.DB, p domain.Proposal, n int) ([]Suggestion, error) {
	if n <= 0 {
		n = DefaultSuggestions
	}
	n = min(n, 50)
	cycle, err := db.GetCycle(ctx, p.CycleID)
	if err != nil {
		return nil, err
	}
	version, err := db.NomenclatureVersionFor(ctx, cycle.FiscalYear)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return []Suggestion{}, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := db.NomenclatureOfVersion(ctx, version.ID, domain.PemdaLevelOf(p.RegionCode))
	if err != nil {
		return nil, err
	}
	return rank(rows, proposalQuery(p), n), nil
}

// proposalQuery weighs the proposal's terms; a term seen in several places
// keeps the sum of its weights.
func proposalQuery(p domain.Proposal) map[string]float64 {
	q := map[string]float64{}
	add := func(text string, w float64) {
		for _, t := range terms(text) {
			q[t] += w
		}
	}
	add(p.Title, weightTitle)
	add(p.Description, weightDescription)
	for _, ind := range p.Indicators {
		add(ind.Name, weightDescription)
	}
	add(categoryTerms[p.Category], weightCategory)
	return q
}

type document struct {
	s   Suggestion
	tf  map[string]float64
	len float64
}

// rank scores every sub kegiatan of rows (which also carry their kegiatan
// and program, for names and field text) against query and returns the best
// n with a positive score, ties broken by code so the order is stable.
func rank(rows []store.NomenclatureRow, query map[string]float64, n int) []Suggestion {
	names := map[string]string{}
	for _, r := range rows {
		if r.Level == store.NomenProgram || r.Level == store.NomenKegiatan {
			names[r.Code] = r.Name
		}
	}
	var docs []document
	for _, r := range rows {
		if r.Level != store.NomenSubKegiatan {
			continue
		}
		c, err := refdata.ParseNomenclatureCode(r.Code)
		if err != nil {
			continue // stored rows were validated on import; skip rather than fail a hint
		}
		keg := c.Parent()
		prog := r.Code[:len("2.17.07")]
		d := document{
			s: Suggestion{
				Code: r.Code, Name: r.Name, KegiatanCode: keg, KegiatanName: names[keg],
				ProgramCode: prog, ProgramName: names[prog], Indikator: r.Indikator, Satuan: r.Satuan,
			},
			tf: map[string]float64{},
		}
		for _, f := range []struct {
			text string
			w    float64
		}{{r.Name, weightName}, {names[keg], weightKegiatan}, {names[prog], weightProgram}, {r.Indikator + " " + r.Kinerja, weightIndikator}} {
			for _, t := range terms(f.text) {
				d.tf[t] += f.w
				d.len += f.w
			}
		}
		docs = append(docs, d)
	}
	if len(docs) == 0 {
		return []Suggestion{}
	}
	df := map[string]int{}
	avgLen := 0.0
	for _, d := range docs {
		for t := range d.tf {
			df[t]++
		}
		avgLen += d.len
	}
	avgLen /= float64(len(docs))
	total := float64(len(docs))
	for i := range docs {
		d := &docs[i]
		score := 0.0
		for t, qw := range query {
			tf := d.tf[t]
			if tf == 0 {
				continue
			}
			idf := math.Log(1 + (total-float64(df[t])+0.5)/(float64(df[t])+0.5))
			norm := tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*d.len/avgLen))
			score += qw * idf * norm
		}
		d.s.Score = math.Round(score*1000) / 1000
	}
	slices.SortStableFunc(docs, func(a, b document) int {
		if c := cmp.Compare(b.s.Score, a.s.Score); c != 0 {
			return c
		}
		return strings.Compare(a.s.Code, b.s.Code)
	})
	out := []Suggestion{}
	for _, d := range docs {
		if d.s.Score <= 0 || len(out) == n {
			break
		}
		out = append(out, d.s)
	}
	return out
}
