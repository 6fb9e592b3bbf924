package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTitleSimilarity pins DuplicateThreshold to examples: rewordings of one
// activity are duplicates, different activities of the same category are
// not.
func TestTitleSimilarity(t *testing.T) {
	places := []string{"Lakarinta", "Andoolo"}
	dup := [][2]string{
		{"Pelatihan pengemasan produk UMKM", "Pelatihan pengemasan produk UMKM Desa Lakarinta"},
		{"Pelatihan pengemasan produk UMKM", "Pelatihan kemasan produk bagi UMKM Desa Lakarinta"},
		{"Pendampingan sertifikasi halal", "Pendampingan sertifikat halal UMKM"},
		{"PELATIHAN PENGEMASAN PRODUK", "pelatihan pengemasan, produk!"},
	}
	distinct := [][2]string{
		{"Pelatihan pengemasan produk", "Pelatihan pemasaran digital"},
		{"Pelatihan manajemen koperasi", "Pelatihan akuntansi koperasi"},
		{"Pelatihan barista kopi", "Pelatihan pengolahan kopi"},
		{"Pendampingan sertifikasi halal", "Pendampingan pembukuan koperasi"},
		{"Pelatihan pengolahan kopi bubuk", "Pelatihan pengemasan produk UMKM"},
	}
	for _, p := range dup {
		require.GreaterOrEqual(t, TitleSimilarity(p[0], p[1], places...), DuplicateThreshold, "%q ~ %q", p[0], p[1])
	}
	for _, p := range distinct {
		require.Less(t, TitleSimilarity(p[0], p[1], places...), DuplicateThreshold, "%q ~ %q", p[0], p[1])
	}
	require.Equal(t, 1.0, TitleSimilarity("Pelatihan pengemasan produk UMKM", "Pelatihan pengemasan produk UMKM Desa Lakarinta", places...),
		"place names are left out")
	require.Less(t, TitleSimilarity("Pelatihan pengemasan produk UMKM", "Pelatihan pengemasan produk UMKM Desa Lakarinta"), 1.0)
	require.Equal(t, 0.0, TitleSimilarity("", "Bazar"))
	require.Greater(t, TitleSimilarity("Bazar UMKM", "Bazar UMKM Kecamatan"), 0.5, "titles of generic words still compare")
}

func TestKecamatanOf(t *testing.T) {
	require.Equal(t, "74.05.03", kecamatanOf("74.05.03.2001"))
	require.Equal(t, "", kecamatanOf("74.05"))
}
