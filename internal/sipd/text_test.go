package sipd

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestStemJoinsWordForms(t *testing.T) {
	for _, group := range [][]string{
		{"pelatihan", "latihan", "terlatih", "melatih"},
		{"perkoperasian", "koperasi", "berkoperasi"},
		{"kewirausahaan", "wirausaha", "berwirausaha"},
		{"pemasaran", "pasar"},
		{"pendidikan", "didik"},
		{"pembentukan", "membentuk", "bentuk"},
		{"pemberdayaan", "berdaya", "daya"},
		{"perizinan", "izin"},
		{"kemitraan", "mitra"},
		{"pendampingan", "pendamping", "damping"},
		{"pendataan", "data"},
		{"pembiayaan", "biaya"},
		{"penyusunan", "susun"},
		{"peningkatan", "tingkat", "meningkatkan"},
	} {
		want := stem(group[0])
		for _, w := range group[1:] {
			require.Equal(t, want, stem(w), "%s and %s", group[0], w)
		}
	}
	// Roots the affix rules must leave alone.
	for _, w := range []string{"usaha", "koperasi", "mikro", "umkm", "produksi", "promosi", "bazar", "sarana", "modal"} {
		require.Equal(t, w, stem(w))
	}
}

func TestTerms(t *testing.T) {
	require.Equal(t, []string{"latih", "wirausaha", "koperasi", "umkm", "muna", "orang"},
		terms("Pelatihan Kewirausahaan bagi Koperasi dan UMKM di Kabupaten Muna, 2027: 30 orang"))
	require.Equal(t, []string{"orang"}, terms("30 orang"))
	require.Empty(t, terms("yang dan di 1 2 3 — ,.;"))
	require.Equal(t, []string{"ksp", "usp"}, terms("KSP/USP"))
}

// FuzzTerms checks the tokenizer on any text: it never panics, and every
// term it returns is non-empty, valid UTF-8, lower case, not a stopword and
// not a number. Seeds live in testdata/fuzz/FuzzTerms.
func FuzzTerms(f *testing.F) {
	for _, s := range []string{"Pelatihan kewirausahaan koperasi", "KSP/USP", "pemasaran 2027", "", "Ünïcödé peñgolahan", "\xff\xfepe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, term := range terms(text) {
			if term == "" || !utf8.ValidString(term) || strings.ToLower(term) != term || stopwords[term] || allDigits(term) {
				t.Fatalf("%q: bad term %q", text, term)
			}
		}
	})
}
