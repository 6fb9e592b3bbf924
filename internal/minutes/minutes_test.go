package minutes_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/minutes"
	"github.com/rencana-id/rencana/internal/store"
)

var kadis = domain.Actor{Username: "kadis.sultra", Role: domain.RoleKadisProvinsi, Scope: "74"}

// record builds a Rakorda of n decisions over several kab/kota, long enough
// to span pages, with 13 agreements as in the seeds.
func record(n int) store.RakordaRecord {
	start := time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC)
	kabs := []struct{ code, name string }{{"74.01", "Kabupaten Kolaka"}, {"74.05", "Kabupaten Konawe Selatan"}, {"74.71", "Kota Kendari"}}
	decisions := []domain.Action{domain.ActionAccept, domain.ActionDefer, domain.ActionReject}
	rec := store.RakordaRecord{ProvinceName: "Sulawesi Tenggara", Cycle: domain.CycleDetail{Cycle: domain.Cycle{
		ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027,
		Calendar: domain.Calendar{RakordaStart: start, RakordaEnd: start.Add(48 * time.Hour)},
	}}}
	for i := 0; i < n; i++ {
		k := kabs[i*len(kabs)/n]
		d := decisions[i%3]
		comment := ""
		if d != domain.ActionAccept {
			comment = fmt.Sprintf("Alasan keputusan usulan nomor %d: belum sesuai prioritas (RPJMD) dan perlu kajian lanjutan.", i+1)
		}
		rec.Decisions = append(rec.Decisions, store.RakordaDecision{
			ProposalID: apiLikeID(i), Title: fmt.Sprintf("Pelatihan pengemasan dan pemasaran produk UMKM gelombang %d", i+1),
			RegionCode: k.code + ".03", RegionName: "Kecamatan Contoh", KabKotaCode: k.code, KabKotaName: k.name,
			AmountIDR: int64(i+1) * 10_000_000, Decision: d, Comment: comment, Actor: kadis, At: start.Add(time.Duration(i) * time.Minute),
		})
	}
	for i := 1; i <= 13; i++ {
		rec.Cycle.Agreements = append(rec.Cycle.Agreements, domain.Agreement{Number: i,
			Text: fmt.Sprintf("Kesepakatan ke-%d: pemerintah kabupaten/kota menyampaikan data koperasi aktif (termasuk RAT) paling lambat akhir bulan, dan Dinas provinsi melakukan verifikasi bersama.", i)})
	}
	rec.Cycle.Attendance = []domain.Attendee{
		{Number: 1, Name: "Dr. Hj. Siti Aminah, M.Si.", Position: "Kepala Dinas", Institution: "Dinas Koperasi dan UKM Provinsi Sulawesi Tenggara"},
		{Number: 2, Name: "La Ode Rahman", Position: "Kepala Dinas", Institution: "Dinas Koperasi dan UKM Kabupaten Konawe Selatan"},
	}
	return rec
}

// apiLikeID makes ids shaped like the API's ("usl-" and 16 base32
// letters of a hash), every fifth one mostly of the widest letters, so the
// layout is tried on real ids.
func apiLikeID(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprint(i)))
	id := strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:16]
	if i%5 == 0 {
		id = "mwmwmwmwmwmw" + id[:4]
	}
	return "usl-" + id
}

func render(t *testing.T, rec store.RakordaRecord) []string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, minutes.Render(&buf, rec, minutes.Options{GeneratedAt: time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC)}))
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")), "a PDF")
	lines, err := minutes.Text(buf.Bytes())
	require.NoError(t, err)
	require.NotEmpty(t, lines)
	return lines
}

// TestMinutesListEveryDecision reads the rendered PDF back: every proposal
// appears once with its own decision (the first decision label after its
// id is its row's), every reason and every agreement is there in full.
func TestMinutesListEveryDecision(t *testing.T) {
	rec := record(75)
	lines := render(t, rec)
	text := strings.Join(strings.Fields(strings.Join(lines, " ")), " ")

	for _, h := range []string{"BERITA ACARA", "RAPAT KOORDINASI DAERAH (RAKORDA)", "PROVINSI SULAWESI TENGGARA", "TAHUN ANGGARAN 2027",
		"I. DAFTAR HADIR", "II. KEPUTUSAN ATAS USULAN", "III. KESEPAKATAN", "1 April 2026 09.00 WITA", "Ditetapkan pada 3 April 2026"} {
		require.Contains(t, text, h)
	}
	require.NotContains(t, text, "UTC", "times are in the province's zone (WITA for 74), as on the pages")
	require.Contains(t, text, "halaman 3 dari", "75 decisions take several pages")
	labels := map[string]bool{"DITERIMA": true, "DITUNDA": true, "DITOLAK": true}
	for _, d := range rec.Decisions {
		at := -1
		for i, l := range lines {
			if l == d.ProposalID {
				require.Equal(t, -1, at, "%s listed twice", d.ProposalID)
				at = i
			}
		}
		require.NotEqual(t, -1, at, "%s missing from the minutes", d.ProposalID)
		got := ""
		for _, l := range lines[at+1:] {
			if labels[l] {
				got = l
				break
			}
		}
		require.Equal(t, minutes.DecisionLabel(d.Decision), got, "decision of %s", d.ProposalID)
		require.Contains(t, text, d.Title)
		require.Contains(t, text, domain.FormatRupiah(d.AmountIDR))
		if d.Comment != "" {
			require.Contains(t, text, d.Comment)
		}
	}
	require.Contains(t, text, "Rekapitulasi keputusan: diterima 25 usulan")
	for _, a := range rec.Cycle.Agreements {
		require.Contains(t, text, fmt.Sprintf("%d. %s", a.Number, a.Text))
	}
	for _, a := range rec.Cycle.Attendance {
		require.Contains(t, text, a.Name)
	}
	for _, k := range []string{"Kabupaten Kolaka (74.01): 25 usulan", "Kota Kendari (74.71): 25 usulan"} {
		require.Contains(t, text, k, "decisions are grouped by kab/kota with their count")
	}
}

func TestMinutesWithoutDecisionsSaySo(t *testing.T) {
	rec := record(0)
	rec.Cycle.Agreements, rec.Cycle.Attendance = nil, nil
	rec.Undecided = store.RakordaAgenda{Count: 1, Groups: []store.AgendaGroup{{KabKotaCode: "74.05", Count: 1,
		Proposals: []domain.Proposal{{ID: "usl-9", Title: "Bazar UMKM", RegionCode: "74.05.03", AmountIDR: 5_000_000}}}}}
	text := strings.Join(render(t, rec), "\n")
	require.Contains(t, text, "Belum ada keputusan atas usulan.")
	require.Contains(t, text, "Tidak ada kesepakatan yang dicatat.")
	require.Contains(t, text, "Daftar hadir tidak dicatat.")
	require.Contains(t, text, "IV. USULAN BELUM DIPUTUSKAN")
	require.Contains(t, text, "usl-9")
}

// Non-ASCII text (curly quotes, an en dash, é) survives the cp1252 round
// trip, and parentheses in text do not break the PDF strings.
func TestMinutesKeepsSpecialCharacters(t *testing.T) {
	rec := record(3)
	rec.Cycle.Agreements = []domain.Agreement{{Number: 1, Text: "Program “Kopi Sultra” (tahap I–II) dilanjutkan; café binaan diprioritaskan."}}
	text := strings.Join(render(t, rec), " ")
	require.Contains(t, text, "Program “Kopi Sultra” (tahap I–II) dilanjutkan; café binaan diprioritaskan.")
}

func TestFormatRupiah(t *testing.T) {
	require.Equal(t, "Rp 0", domain.FormatRupiah(0))
	require.Equal(t, "Rp 999", domain.FormatRupiah(999))
	require.Equal(t, "Rp 1.000", domain.FormatRupiah(1000))
	require.Equal(t, "Rp 1.250.000.000", domain.FormatRupiah(1_250_000_000))
	require.Equal(t, "-Rp 80.000.000", domain.FormatRupiah(-80_000_000))
}
