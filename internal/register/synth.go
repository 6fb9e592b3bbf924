package register

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// Desa is a desa/kelurahan a synthetic register places koperasi in.
type Desa struct {
	Code string
	Name string
}

// SynthOptions shape a synthetic register: about PerDesa koperasi per desa
// (0 to 2×PerDesa, by a hash of the desa code), plus, in the desa of
// KMPKabKota, one Koperasi Merah Putih each (founded in 2025).
type SynthOptions struct {
	PerDesa    int
	KMPKabKota string
	Now        time.Time
}

// Synthesize writes a plausible register of desas for year as file
// records (without the header), deterministic in its inputs: every value
// is a hash of the desa code, the koperasi's index and the year, so the
// same koperasi keeps its identity from year to year while its status and
// figures move (some go inactive, some are dissolved and then disappear,
// new ones appear with their badan hukum date). The demo, the tests and
// the benchmarks load it through the same import as a user's file.
func Synthesize(desas []Desa, year int, o SynthOptions, emit func(rec []string) error) error {
	today := o.Now.In(domain.WITA).Format(domain.DateLayout)
	for _, d := range desas {
		n := int(hash(d.Code, "n") % uint64(2*o.PerDesa+1))
		for i := 0; i < n; i++ {
			rec, ok := synthKoperasi(d, i, year, today, false)
			if ok {
				if err := emit(rec); err != nil {
					return err
				}
			}
		}
		if o.KMPKabKota != "" && domain.ScopeCovers(o.KMPKabKota, d.Code) {
			if rec, ok := synthKoperasi(d, 99, year, today, true); ok {
				if err := emit(rec); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

var synthWords = []string{"Sejahtera", "Makmur", "Bersama", "Maju Jaya", "Sentosa", "Mandiri", "Karya Usaha", "Harapan",
	"Bahari", "Tani Subur", "Serba Usaha", "Amanah", "Berkah", "Mekar", "Sinar Pagi", "Tunas Baru"}

var synthJenisLabel = map[domain.Jenis]string{
	domain.JenisKonsumen: "Konsumen", domain.JenisProdusen: "Produsen", domain.JenisSimpanPinjam: "Simpan Pinjam",
	domain.JenisPemasaran: "Pemasaran", domain.JenisJasa: "Jasa",
}

// synthKoperasi is koperasi i of desa d in year, or false when it does
// not exist that year (not yet founded, or dissolved before).
func synthKoperasi(d Desa, i, year int, today string, kmp bool) ([]string, bool) {
	key := fmt.Sprintf("%s#%d", d.Code, i)
	founded := 1995 + int(hash(key, "f")%31) // 1995..2025
	fm, fd := 1+int(hash(key, "fm")%12), 1+int(hash(key, "fd")%28)
	jenis := domain.Jenises[hash(key, "j")%uint64(len(domain.Jenises))]
	name := fmt.Sprintf("Koperasi %s %s %s", synthJenisLabel[jenis], synthWords[hash(key, "w")%uint64(len(synthWords))], d.Name)
	if kmp {
		founded, fm, fd = 2025, 7, 21 // the KMP programme's launch
		jenis = domain.JenisKonsumen
		name = "Koperasi Desa Merah Putih " + d.Name
	}
	bhDate := fmt.Sprintf("%04d-%02d-%02d", founded, fm, fd)
	if founded > year || bhDate > today {
		return nil, false
	}
	digits := strings.ReplaceAll(d.Code, ".", "") // 10 digits for a desa
	bh := fmt.Sprintf("AHU-%s%02d.AH.01.26.%d", digits, i, founded)
	nik := ""
	if kmp || hash(key, "nik")%10 != 0 {
		nik = fmt.Sprintf("%s%02d%04d", digits, i, hash(key, "nk")%10000)
	}
	status := domain.KoperasiAktif
	if !kmp {
		// Some koperasi are dissolved a few years after founding; they are
		// listed as dibubarkan that year and gone afterwards.
		if hash(key, "dead")%8 == 0 {
			end := founded + 4 + int(hash(key, "end")%12)
			switch {
			case year > end:
				return nil, false
			case year == end:
				status = domain.KoperasiDibubarkan
			}
		}
		if status == domain.KoperasiAktif && hash(key, "ia", year)%100 < 22 {
			status = domain.KoperasiTidakAktif
		}
	}
	rat := ""
	if status == domain.KoperasiAktif && (kmp && year > 2025 || !kmp && hash(key, "rat", year)%100 < 62) {
		rat = fmt.Sprintf("%04d-%02d-%02d", year, 1+hash(key, "rm", year)%6, 1+hash(key, "rd", year)%28)
		if rat > today {
			rat = ""
		}
	}
	members := 9 + hash(key, "m", year)%240
	if status != domain.KoperasiAktif {
		members = hash(key, "m", year) % 20
	}
	sendiri := int64(5+hash(key, "ms", year)%600) * 1_000_000
	luar := int64(hash(key, "ml", year)%700) * 1_000_000
	volume := int64(10+hash(key, "v", year)%4_000) * 1_000_000
	var shu int64
	if status == domain.KoperasiAktif && hash(key, "shu", year)%100 < 70 {
		shu = int64(1+hash(key, "s", year)%200) * 500_000
	}
	if status != domain.KoperasiAktif {
		volume = 0
	}
	kmpFlag := "tidak"
	if kmp {
		kmpFlag = "ya"
	}
	return []string{nik, bh, bhDate, name, string(jenis), d.Code, kmpFlag, string(status), rat,
		fmt.Sprint(members), fmt.Sprint(sendiri), fmt.Sprint(luar), fmt.Sprint(volume), fmt.Sprint(shu)}, true
}

func hash(parts ...any) uint64 {
	h := sha256.Sum256([]byte(fmt.Sprint(parts...)))
	return binary.BigEndian.Uint64(h[:8])
}
