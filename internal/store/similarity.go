package store

import (
	"strings"
	"unicode"
)

// Duplicate detection compares proposal titles after removing what every
// title of the same kind shares. Two proposals are only compared when they
// are for the same kecamatan (or desa within it) and of the same category,
// so the category's own words ("pelatihan", "bazar") and the generic
// vocabulary of the field ("umkm", "koperasi", "usaha") carry no signal and
// are dropped with the Indonesian function words. What remains (the object
// of the activity: "pengemasan produk", "pengolahan kopi") is compared by
// character trigrams, as PostgreSQL's pg_trgm does, because Indonesian
// affixes make the same word appear as "kemasan", "pengemasan",
// "dikemas": whole-token comparison would miss those. The names of the
// places involved are dropped too ("... Desa Lakarinta"): within one
// kecamatan they say where, not what.
//
// DuplicateThreshold is 0.5. On the pairs of TestTitleSimilarity, rewordings
// of one activity ("Pelatihan pengemasan produk UMKM" and "Pelatihan kemasan
// produk bagi UMKM Desa Lakarinta", "Pendampingan sertifikasi halal" and
// "Pendampingan sertifikat halal UMKM") score 0.6 to 1, while different
// activities of the same category in one kecamatan ("Pelatihan pengemasan
// produk" and "Pelatihan pemasaran digital", "Pelatihan barista kopi" and
// "Pelatihan pengolahan kopi") score 0.25 or less. pg_trgm's default of 0.3
// is meant for search across unrelated text and would flag pairs that only
// share a product ("kopi") here; above 0.6 the affix variants are missed.
// Synonyms ("pemasaran digital", "pemasaran online": 0.4) are out of reach
// of any spelling measure; the warning is advice, not a rule.
const DuplicateThreshold = 0.5

var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		dan di ke dari untuk bagi yang pada dengan serta atau dalam oleh se
		tahun kegiatan program usulan
		desa kelurahan kecamatan kabupaten kab kota provinsi
		pelatihan bazar sarana prasarana plut rumah produksi pendampingan permodalan
		bantuan bansos sosial pendataan lainnya pengadaan penyelenggaraan fasilitasi
		umkm ukm koperasi usaha mikro kecil menengah pelaku kelompok masyarakat`) {
		m[w] = true
	}
	return m
}()

// tokens splits s into lower-case words of letters and digits.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// contentWords splits s into its content words (no stopwords) and its
// plain words, both without the words in ignore.
func contentWords(s string, ignore map[string]bool) (content, plain []string) {
	for _, t := range tokens(s) {
		if ignore[t] {
			continue
		}
		plain = append(plain, t)
		if !stopwords[t] {
			content = append(content, t)
		}
	}
	return content, plain
}

// trigrams returns the set of character trigrams of words, each word padded
// like pg_trgm does (two spaces before, one after).
func trigrams(words []string) map[string]bool {
	set := map[string]bool{}
	for _, w := range words {
		r := []rune("  " + w + " ")
		for i := 0; i+3 <= len(r); i++ {
			set[string(r[i:i+3])] = true
		}
	}
	return set
}

// TitleSimilarity is the trigram Jaccard similarity (0 to 1) of two titles'
// content words, leaving out the words of places (region names); see
// DuplicateThreshold.
func TitleSimilarity(a, b string, places ...string) float64 {
	ignore := wordSet(places...)
	ca, pa := contentWords(a, ignore)
	cb, pb := contentWords(b, ignore)
	if len(ca) == 0 || len(cb) == 0 {
		// A title made only of generic words ("Bazar UMKM"): compare the
		// plain words of both, or it could never match anything.
		ca, cb = pa, pb
	}
	ta, tb := trigrams(ca), trigrams(cb)
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	inter := 0
	for g := range ta {
		if tb[g] {
			inter++
		}
	}
	return float64(inter) / float64(len(ta)+len(tb)-inter)
}

// phraseIn reports whether every word of phrase occurs among words: how a
// target's or a BUMDes's keyword is matched against an indicator name or a
// proposal's text.
func phraseIn(phrase string, words map[string]bool) bool {
	ws := tokens(phrase)
	if len(ws) == 0 {
		return false
	}
	for _, w := range ws {
		if !words[w] {
			return false
		}
	}
	return true
}

func wordSet(texts ...string) map[string]bool {
	set := map[string]bool{}
	for _, t := range texts {
		for _, w := range tokens(t) {
			set[w] = true
		}
	}
	return set
}

// kecamatanOf returns the kecamatan part (74.05.03) of a kecamatan or desa
// code, "" for a kab/kota or province code.
func kecamatanOf(code string) string {
	parts := strings.Split(code, ".")
	if len(parts) < 3 {
		return ""
	}
	return strings.Join(parts[:3], ".")
}
