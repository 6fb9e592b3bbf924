package web

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
)

func TestRupiah(t *testing.T) {
	for n, want := range map[int64]string{
		0: "Rp 0", 999: "Rp 999", 1000: "Rp 1.000", 150_000_000: "Rp 150.000.000",
		1_234_567_890_123: "Rp 1.234.567.890.123", -25_000: "-Rp 25.000",
	} {
		require.Equal(t, want, rupiah(n))
	}
	require.Equal(t, "2,5", number(2.5))
	require.Equal(t, "1.250", number(1250))
}

func TestParseRupiah(t *testing.T) {
	for in, want := range map[string]int64{"150000000": 150_000_000, "150.000.000": 150_000_000, "Rp 150.000.000": 150_000_000, "": 0} {
		got, err := parseRupiah(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"seratus", "1,5", "12e3"} {
		_, err := parseRupiah(bad)
		require.Error(t, err, bad)
	}
	f, err := parseNumber("2,5")
	require.NoError(t, err)
	require.Equal(t, 2.5, f)
}

func TestTanggal(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	require.Equal(t, "1 Maret 2026 17:00 WITA", tanggal(at, domain.WITA))
	require.Equal(t, "1 Maret 2026 16:00 WIB", tanggal(at, domain.WIB))
	require.Equal(t, "—", tanggal(time.Time{}, domain.WIB))
}

func TestTanggalPanjangNamesTheDayInTheZone(t *testing.T) {
	// 6 December 2026 20:00 UTC is already Monday 7 December in WITA.
	at := time.Date(2026, 12, 6, 20, 0, 0, 0, time.UTC)
	require.Equal(t, "Senin, 7 Desember 2026 04:00 WITA", tanggalPanjang(at, domain.WITA))
	require.Equal(t, "Senin, 7 Desember 2026 03:00 WIB", tanggalPanjang(at, domain.WIB))
	f := newDateField("rakorda_start", "Rakorda dimulai", &at, domain.WITA, "", "")
	require.Equal(t, "2026-12-07T04:00", f.Value)
	f = newDateField("rakorda_start", "Rakorda dimulai", nil, domain.WITA, "2026-12-08T09:30", "")
	require.Equal(t, "Selasa, 8 Desember 2026 09:30 WITA", f.Text, "what the user typed wins")
}
