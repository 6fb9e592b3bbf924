package sipd

import (
	"strings"
	"unicode"
)

// stopwords are Indonesian function words, and words every nomenclature
// row or proposal of urusan 2.17 shares (daerah, kabupaten, kota), that
// would only add noise to the ranking.
var stopwords = setOf(
	"ada", "adalah", "agar", "akan", "antar", "antara", "atas", "atau", "bagi", "bahwa", "beberapa",
	"belum", "dalam", "dan", "dapat", "dari", "dengan", "di", "dll", "dsb", "hingga", "ini", "itu",
	"jika", "juga", "kami", "kepada", "ke", "lain", "lainnya", "maupun", "melalui", "oleh", "pada",
	"para", "per", "sampai", "sebagai", "secara", "sehingga", "serta", "sesuai", "setiap", "suatu",
	"tahun", "tentang", "terhadap", "tersebut", "tsb", "untuk", "yaitu", "yang", "yg",
	"satu", "daerah", "kabupaten", "kab", "kota", "provinsi", "prov", "kecamatan", "desa", "kelurahan",
	"pemerintahan", "urusan", "bidang",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// terms splits text into lower-case stemmed terms, without stopwords and
// without tokens shorter than two characters or made of digits only (target
// numbers and amounts say nothing about the kind of activity).
func terms(text string) []string {
	var out []string
	for _, tok := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len(tok) < 2 || stopwords[tok] || allDigits(tok) {
			continue
		}
		s := stem(tok)
		if stopwords[s] || allDigits(s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func allDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// minStem is the shortest stem an affix may leave: stripping below it
// turns real roots into fragments ("usaha" must not become "usah").
const minStem = 4

// stem is a light, dictionary-free Indonesian stemmer in the spirit of
// Nazief-Adriani: one particle or possessive suffix, one derivational suffix
// (-kan, or -an after pe-/ke-), then up to two prefixes with the usual recoding of nasal
// prefixes (pem+vowel → p, pen+vowel → t, peny → s). It need not find the
// true root, only map the forms that proposals and nomenclature use for the
// same idea to the same string: pelatihan/latihan → latih, perkoperasian/
// koperasi → koperasi, kewirausahaan/wirausaha → wirausaha,
// pemasaran/pasar → pasar. The suffix -i is left alone because it ends
// too many roots (koperasi, produksi, promosi).
func stem(w string) string {
	if !isASCII(w) || len(w) <= minStem {
		return w
	}
	for _, s := range []string{"lah", "kah", "nya"} {
		if strings.HasSuffix(w, s) && len(w)-len(s) >= minStem {
			w = w[:len(w)-len(s)]
			break
		}
	}
	// Nouns built with the confixes peN-an, per-an and ke-an end in -an
	// even when the root ends in k (pendidikan ← didik, pembentukan ←
	// bentuk); verbs take -kan (kembangkan, berdayakan).
	suffixes := []string{"kan", "an"}
	if strings.HasPrefix(w, "pe") || strings.HasPrefix(w, "ke") {
		suffixes = []string{"an"}
	}
	for _, s := range suffixes {
		if strings.HasSuffix(w, s) && len(w)-len(s) >= minStem {
			w = w[:len(w)-len(s)]
			break
		}
	}
	for range 2 {
		next := stripPrefix(w)
		if next == w || len(next) < minStem {
			break
		}
		w = next
	}
	return w
}

func stripPrefix(w string) string {
	vowelAt := func(i int) bool { return i < len(w) && strings.IndexByte("aiueo", w[i]) >= 0 }
	switch {
	case strings.HasPrefix(w, "meng") || strings.HasPrefix(w, "peng"):
		return w[4:]
	case strings.HasPrefix(w, "meny") || strings.HasPrefix(w, "peny"):
		return "s" + w[4:]
	case (strings.HasPrefix(w, "mem") || strings.HasPrefix(w, "pem")) && vowelAt(3):
		return "p" + w[3:]
	case strings.HasPrefix(w, "mem") || strings.HasPrefix(w, "pem"):
		return w[3:]
	case (strings.HasPrefix(w, "men") || strings.HasPrefix(w, "pen")) && vowelAt(3):
		return "t" + w[3:]
	case strings.HasPrefix(w, "men") || strings.HasPrefix(w, "pen"):
		return w[3:]
	case strings.HasPrefix(w, "per") || strings.HasPrefix(w, "ber") || strings.HasPrefix(w, "ter"):
		return w[3:]
	case strings.HasPrefix(w, "me") || strings.HasPrefix(w, "pe") || strings.HasPrefix(w, "di") ||
		strings.HasPrefix(w, "ke") || strings.HasPrefix(w, "se"):
		return w[2:]
	}
	return w
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
