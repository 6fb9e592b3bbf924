package domain

import (
	"fmt"
	"strings"
	"time"
)

// The koperasi register (DESIGN.md, "Beyond proposals"): each koperasi with
// its identity and, per year, its status and book figures; the UMKM figures
// per kab/kota and year; the indicators computed from them.

// Jenis is the kind of koperasi by its members' common interest.
type Jenis string

// The jenis of DESIGN.md.
const (
	JenisKonsumen     Jenis = "konsumen"
	JenisProdusen     Jenis = "produsen"
	JenisSimpanPinjam Jenis = "simpan_pinjam"
	JenisPemasaran    Jenis = "pemasaran"
	JenisJasa         Jenis = "jasa"
)

// Jenises lists every jenis.
var Jenises = []Jenis{JenisKonsumen, JenisProdusen, JenisSimpanPinjam, JenisPemasaran, JenisJasa}

// Valid reports whether j is one of Jenises.
func (j Jenis) Valid() bool {
	for _, x := range Jenises {
		if x == j {
			return true
		}
	}
	return false
}

// KoperasiStatus is a koperasi's standing in a year.
type KoperasiStatus string

// The statuses of DESIGN.md.
const (
	KoperasiAktif      KoperasiStatus = "aktif"
	KoperasiTidakAktif KoperasiStatus = "tidak_aktif"
	KoperasiDibubarkan KoperasiStatus = "dibubarkan"
)

// KoperasiStatuses lists every status.
var KoperasiStatuses = []KoperasiStatus{KoperasiAktif, KoperasiTidakAktif, KoperasiDibubarkan}

// Valid reports whether s is one of KoperasiStatuses.
func (s KoperasiStatus) Valid() bool {
	for _, x := range KoperasiStatuses {
		if x == s {
			return true
		}
	}
	return false
}

// Label is the status as users read it.
func (s KoperasiStatus) Label() string {
	switch s {
	case KoperasiAktif:
		return "Aktif"
	case KoperasiTidakAktif:
		return "Tidak aktif"
	case KoperasiDibubarkan:
		return "Dibubarkan"
	}
	return string(s)
}

// DateLayout is how the register writes calendar dates (badan hukum, RAT):
// a civil date without a time or zone.
const DateLayout = "2006-01-02"

// MinKoperasiMembers is the smallest membership of a koperasi primer
// (PP 7/2021 Pasal 3: paling sedikit 9 orang).
const MinKoperasiMembers = 9

// Koperasi is one cooperative of the register. NIK (Nomor Induk Koperasi,
// 16 digits) may be empty for a koperasi not yet in the ministry's ODS;
// BadanHukumNo is then its key. RegionCode is a desa/kelurahan.
type Koperasi struct {
	ID             string         `json:"id"`
	NIK            string         `json:"nik"`
	BadanHukumNo   string         `json:"badan_hukum_no"`
	BadanHukumDate string         `json:"badan_hukum_date"`
	Name           string         `json:"name"`
	Jenis          Jenis          `json:"jenis"`
	RegionCode     string         `json:"region_code"`
	KMP            bool           `json:"kmp"`
	Years          []KoperasiYear `json:"years"`
}

// KoperasiYear is a koperasi's standing and book figures in one year.
// Berkualitas is derived (see IsBerkualitas), never entered.
type KoperasiYear struct {
	Year            int            `json:"year"`
	Status          KoperasiStatus `json:"status"`
	RATDate         string         `json:"rat_date"`
	Members         int64          `json:"members"`
	ModalSendiriIDR int64          `json:"modal_sendiri_idr"`
	ModalLuarIDR    int64          `json:"modal_luar_idr"`
	VolumeUsahaIDR  int64          `json:"volume_usaha_idr"`
	SHUIDR          int64          `json:"shu_idr"`
	Berkualitas     bool           `json:"berkualitas"`
}

// IsBerkualitas is THE rule for "koperasi berkualitas" (README, "Register
// koperasi"): in year y the koperasi is aktif, held its RAT (rapat anggota
// tahunan) in y, closed the book with a positive SHU, finances itself at
// least as much as it borrows (modal sendiri >= modal luar) and has at
// least MinKoperasiMembers members. These are the conditions the dinas
// already use for capital support and bansos (an RAT held, a surplus, not
// living on loans) plus the legal minimum membership, and each is a figure
// of the register, so the indicator can be recomputed by anyone from the
// imported rows. The store keeps the result per row (koperasi_years.
// berkualitas) so indicators are plain sums; a change of this rule needs a
// migration that recomputes that column.
func (y KoperasiYear) IsBerkualitas() bool {
	return y.Status == KoperasiAktif && y.RATHeld() && y.SHUIDR > 0 &&
		y.ModalSendiriIDR >= y.ModalLuarIDR && y.Members >= MinKoperasiMembers
}

// RATHeld reports whether the koperasi was active and held its RAT in the
// year (DESIGN.md: rat_held is active with rat_date in year N).
func (y KoperasiYear) RATHeld() bool {
	return y.Status == KoperasiAktif && len(y.RATDate) >= 4 && y.RATDate[:4] == fmt.Sprint(y.Year)
}

// ParseDate checks a register date: YYYY-MM-DD, a day that exists, not
// after today (in the zone of region). It returns the message to show,
// "" when the date is good.
func ParseDate(s, region string, now time.Time) (time.Time, string) {
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Sprintf("Tanggal %q tidak ada atau tidak berbentuk YYYY-MM-DD.", s)
	}
	today := now.In(ZoneOf(region)).Format(DateLayout)
	if s > today {
		return time.Time{}, fmt.Sprintf("Tanggal %s belum terjadi (hari ini %s).", s, today)
	}
	return d, ""
}

// ValidNIK reports whether s is a Nomor Induk Koperasi: 16 digits.
func ValidNIK(s string) bool { return len(s) == 16 && allDigits(s) }

// Validate checks a koperasi's identity at now: NIK 16 digits or empty,
// badan hukum number and date, name, jenis, a desa/kelurahan code. Fields
// are named by their JSON names.
func (k Koperasi) Validate(now time.Time) error {
	var v Validation
	if k.NIK != "" && !ValidNIK(k.NIK) {
		v.Add("nik", "NIK koperasi harus 16 angka atau dikosongkan (bukan %q).", k.NIK)
	}
	if strings.TrimSpace(k.BadanHukumNo) == "" {
		v.Add("badan_hukum_no", "Nomor badan hukum wajib diisi.")
	} else if len(k.BadanHukumNo) > 100 {
		v.Add("badan_hukum_no", "Nomor badan hukum paling panjang 100 karakter.")
	}
	if k.BadanHukumDate == "" {
		v.Add("badan_hukum_date", "Tanggal badan hukum wajib diisi.")
	} else if _, msg := ParseDate(k.BadanHukumDate, k.RegionCode, now); msg != "" {
		v.Add("badan_hukum_date", "%s", msg)
	}
	if n := strings.TrimSpace(k.Name); n == "" {
		v.Add("name", "Nama koperasi wajib diisi.")
	} else if len(n) > 200 {
		v.Add("name", "Nama koperasi paling panjang 200 karakter.")
	}
	if !k.Jenis.Valid() {
		v.Add("jenis", "Jenis koperasi %q tidak dikenal; pilih %s.", k.Jenis, joinValues(Jenises))
	}
	if lvl, err := ParseRegionCode(k.RegionCode); err != nil || lvl != LevelDesa {
		v.Add("region_code", "Kode wilayah %q bukan kode desa/kelurahan (contoh: 74.05.03.2001).", k.RegionCode)
	}
	return v.Err()
}

// Validate checks one year of a koperasi of region at now: a known status,
// a RAT date that exists, is not in the future and lies in the year,
// members and amounts not negative.
func (y KoperasiYear) Validate(region string, now time.Time) error {
	var v Validation
	if y.Year < 2000 || y.Year > now.Year() {
		v.Add("year", "Tahun %d tidak valid (2000 sampai %d).", y.Year, now.Year())
	}
	if !y.Status.Valid() {
		v.Add("status", "Status %q tidak dikenal; pilih %s.", y.Status, joinValues(KoperasiStatuses))
	}
	if y.RATDate != "" {
		if d, msg := ParseDate(y.RATDate, region, now); msg != "" {
			v.Add("rat_date", "%s", msg)
		} else if d.Year() != y.Year {
			v.Add("rat_date", "Tanggal RAT %s bukan tahun %d, tahun data ini.", y.RATDate, y.Year)
		}
	}
	for _, f := range []struct {
		name string
		n    int64
	}{{"members", y.Members}, {"modal_sendiri_idr", y.ModalSendiriIDR}, {"modal_luar_idr", y.ModalLuarIDR},
		{"volume_usaha_idr", y.VolumeUsahaIDR}, {"shu_idr", y.SHUIDR}} {
		if f.n < 0 {
			v.Add(f.name, "Nilai tidak boleh negatif (%d).", f.n)
		}
	}
	return v.Err()
}

// UMKMFigures are a kab/kota's counts of usaha mikro, kecil and menengah
// and the workers they employ in a year.
type UMKMFigures struct {
	Region      string `json:"region"`
	Year        int    `json:"year"`
	Mikro       int64  `json:"mikro"`
	Kecil       int64  `json:"kecil"`
	Menengah    int64  `json:"menengah"`
	TenagaKerja int64  `json:"tenaga_kerja"`
}

// Validate checks the figures: a kab/kota, a year, no negative count.
func (u UMKMFigures) Validate(now time.Time) error {
	var v Validation
	if lvl, err := ParseRegionCode(u.Region); err != nil || lvl != LevelKabKota {
		v.Add("region", "Kode %q bukan kode kab/kota (contoh: 74.05).", u.Region)
	}
	if u.Year < 2000 || u.Year > now.Year() {
		v.Add("year", "Tahun %d tidak valid (2000 sampai %d).", u.Year, now.Year())
	}
	for _, f := range []struct {
		name string
		n    int64
	}{{"mikro", u.Mikro}, {"kecil", u.Kecil}, {"menengah", u.Menengah}, {"tenaga_kerja", u.TenagaKerja}} {
		if f.n < 0 {
			v.Add(f.name, "Nilai tidak boleh negatif (%d).", f.n)
		}
	}
	return v.Err()
}

// KoperasiIndicators are the register's figures for a region (any level,
// or "*" for the country) and year, as DESIGN.md names them: counts of
// koperasi by status, new (badan hukum dated in the year), RAT held
// (aktif with rat_date in the year), berkualitas (the rule of
// KoperasiYear.IsBerkualitas), and sums of members and book figures over
// every koperasi of the year. Previous is the same for the year before,
// nil when that year has no rows.
type KoperasiIndicators struct {
	Region          string              `json:"region"`
	Year            int                 `json:"year"`
	Active          int64               `json:"active"`
	Inactive        int64               `json:"inactive"`
	Dissolved       int64               `json:"dissolved"`
	New             int64               `json:"new"`
	RATHeld         int64               `json:"rat_held"`
	Berkualitas     int64               `json:"berkualitas"`
	Members         int64               `json:"members"`
	ModalSendiriIDR int64               `json:"modal_sendiri_idr"`
	ModalLuarIDR    int64               `json:"modal_luar_idr"`
	VolumeUsahaIDR  int64               `json:"volume_usaha_idr"`
	SHUIDR          int64               `json:"shu_idr"`
	Previous        *KoperasiIndicators `json:"previous"`
}

// Total is the number of koperasi in the year's register.
func (k KoperasiIndicators) Total() int64 { return k.Active + k.Inactive + k.Dissolved }

func joinValues[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}
