package domain

import (
	"regexp"
	"strings"
	"time"
)

// KMPMilestone is one step of forming a Koperasi Merah Putih (KMP) in a
// desa/kelurahan; the API, the import and the workflow name them alike.
type KMPMilestone string

// The milestones, in the order they must be reached (DESIGN.md).
const (
	KMPMusdes      KMPMilestone = "musdes"
	KMPPengurus    KMPMilestone = "pengurus"
	KMPAkta        KMPMilestone = "akta"
	KMPBadanHukum  KMPMilestone = "badan_hukum"
	KMPNIB         KMPMilestone = "nib"
	KMPPelatihan   KMPMilestone = "pelatihan"
	KMPOperasional KMPMilestone = "operasional"
)

// KMPUnit is a business unit a KMP plans to open.
type KMPUnit string

// The business units of the presidential instruction, plus "lainnya".
const (
	UnitGeraiSembako KMPUnit = "gerai_sembako"
	UnitSimpanPinjam KMPUnit = "simpan_pinjam"
	UnitApotekDesa   KMPUnit = "apotek_desa"
	UnitKlinikDesa   KMPUnit = "klinik_desa"
	UnitColdStorage  KMPUnit = "cold_storage"
	UnitLogistik     KMPUnit = "logistik"
	UnitLainnya      KMPUnit = "lainnya"
)

// KMPUnitInfo is a unit's Indonesian label and the phrases that identify
// the same business in a BUMDes record (store.BUMDesBusiness), so a KMP is
// warned before it competes with the desa's own enterprise.
type KMPUnitInfo struct {
	Unit     KMPUnit
	Label    string
	Keywords []string
}

// KMPUnits lists every unit, in the order forms show them.
var KMPUnits = []KMPUnitInfo{
	{UnitGeraiSembako, "Gerai sembako", []string{"sembako", "toko", "kios", "gerai", "minimarket", "warung"}},
	{UnitSimpanPinjam, "Unit simpan pinjam", []string{"simpan pinjam", "pinjam", "kredit", "usp"}},
	{UnitApotekDesa, "Apotek desa", []string{"apotek", "obat"}},
	{UnitKlinikDesa, "Klinik desa", []string{"klinik", "kesehatan", "poskesdes"}},
	{UnitColdStorage, "Cold storage", []string{"cold storage", "pendingin", "es balok", "gudang beku"}},
	{UnitLogistik, "Logistik", []string{"logistik", "angkutan", "distribusi", "ekspedisi", "gudang"}},
	{UnitLainnya, "Usaha lainnya", nil},
}

// Info returns the unit's label and keywords; ok is false for an unknown code.
func (u KMPUnit) Info() (KMPUnitInfo, bool) {
	for _, i := range KMPUnits {
		if i.Unit == u {
			return i, true
		}
	}
	return KMPUnitInfo{}, false
}

// Label is the unit as the pages show it.
func (u KMPUnit) Label() string {
	if i, ok := u.Info(); ok {
		return i.Label
	}
	return string(u)
}

// KMPFields are what a milestone records; each milestone uses some of them
// (KMPStep.Fields). Dates are calendar days, YYYY-MM-DD.
type KMPFields struct {
	Date string `json:"date"`
	// musdes
	Attendance  int    `json:"attendance,omitempty"`
	BeritaAcara string `json:"berita_acara,omitempty"` // optional: name or id of the scanned berita acara
	// pengurus (and pengawas)
	Ketua      string   `json:"ketua,omitempty"`
	Sekretaris string   `json:"sekretaris,omitempty"`
	Bendahara  string   `json:"bendahara,omitempty"`
	Pengawas   []string `json:"pengawas,omitempty"`
	// akta notaris
	Number string `json:"number,omitempty"`
	Notary string `json:"notary,omitempty"`
	// badan hukum (SK AHU); Jenis is the koperasi's jenis in the register,
	// konsumen when not given
	SKNumber string `json:"sk_number,omitempty"`
	Jenis    string `json:"jenis,omitempty"`
	// nib
	NIB string `json:"nib,omitempty"`
	// pelatihan
	Provider string `json:"provider,omitempty"`
	// operasional
	Units []KMPUnit `json:"units,omitempty"`
}

// KMPField is one input of a milestone: its JSON name, label, and whether
// it must be given.
type KMPField struct {
	Name     string
	Label    string
	Required bool
}

// KMPStep is one row of the KMP state machine: the milestone, its place,
// who may record it, what it needs, what follows. The workflow's validator,
// the API, the import and the pages all read KMPSteps.
type KMPStep struct {
	Milestone KMPMilestone
	Order     int    // 1 for musdes … 7 for operasional
	Label     string // "Musyawarah desa/kelurahan khusus"
	Reached   string // what a desa that reached it is called on the dashboard: "terbentuk"
	Roles     []Role // who records it (the desa's operator_desa, the camat of its kecamatan)
	Fields    []KMPField
	// ImportNumber and ImportNote name the fields the import's columns
	// nomor and keterangan fill for this milestone ("" when unused).
	ImportNumber string
	ImportNote   string
	Next         KMPMilestone // "" after the last
}

var kmpRecorders = []Role{RoleOperatorDesa, RoleCamat}

// KMPImportRoles may record milestones through the bulk import besides
// KMPStep.Roles: the task force holds the national portal's export.
var KMPImportRoles = []Role{RoleSatgasKMP}

// KMPSteps is the KMP state machine, in milestone order.
var KMPSteps = []KMPStep{
	{KMPMusdes, 1, "Musyawarah desa/kelurahan khusus", "terbentuk", kmpRecorders,
		[]KMPField{{"date", "Tanggal musyawarah", true}, {"attendance", "Jumlah hadir", true}, {"berita_acara", "Berita acara", false}},
		"attendance", "berita_acara", KMPPengurus},
	{KMPPengurus, 2, "Pengurus dan pengawas", "berpengurus", kmpRecorders,
		[]KMPField{{"date", "Tanggal penetapan", true}, {"ketua", "Ketua", true}, {"sekretaris", "Sekretaris", true}, {"bendahara", "Bendahara", true}, {"pengawas", "Pengawas", false}},
		"", "pengurus", KMPAkta},
	{KMPAkta, 3, "Akta notaris", "berakta", kmpRecorders,
		[]KMPField{{"date", "Tanggal akta", true}, {"number", "Nomor akta", true}, {"notary", "Notaris", true}},
		"number", "notary", KMPBadanHukum},
	{KMPBadanHukum, 4, "Badan hukum (SK AHU)", "berbadan hukum", kmpRecorders,
		[]KMPField{{"date", "Tanggal SK", true}, {"sk_number", "Nomor SK AHU", true}, {"jenis", "Jenis koperasi", false}},
		"sk_number", "jenis", KMPNIB},
	{KMPNIB, 5, "Nomor Induk Berusaha", "ber-NIB", kmpRecorders,
		[]KMPField{{"date", "Tanggal terbit", true}, {"nib", "NIB", true}},
		"nib", "", KMPPelatihan},
	{KMPPelatihan, 6, "Pelatihan pengurus", "terlatih", kmpRecorders,
		[]KMPField{{"date", "Tanggal pelatihan", true}, {"provider", "Penyelenggara", true}},
		"", "provider", KMPOperasional},
	{KMPOperasional, 7, "Operasional (unit usaha dibuka)", "beroperasi", kmpRecorders,
		[]KMPField{{"date", "Tanggal mulai beroperasi", true}, {"units", "Unit usaha", true}},
		"", "units", ""},
}

// KMPMilestones lists the milestones in order.
var KMPMilestones = func() []KMPMilestone {
	out := make([]KMPMilestone, len(KMPSteps))
	for i, s := range KMPSteps {
		out[i] = s.Milestone
	}
	return out
}()

// Step returns the milestone's row of KMPSteps; ok is false for an unknown
// milestone.
func (m KMPMilestone) Step() (KMPStep, bool) {
	for _, s := range KMPSteps {
		if s.Milestone == m {
			return s, true
		}
	}
	return KMPStep{}, false
}

// Order is the milestone's place (1…7), 0 when unknown.
func (m KMPMilestone) Order() int {
	s, _ := m.Step()
	return s.Order
}

// Label is the milestone as the pages show it.
func (m KMPMilestone) Label() string {
	if s, ok := m.Step(); ok {
		return s.Label
	}
	return string(m)
}

// KMPMilestoneAt returns the milestone of order n (1…7), "" outside.
func KMPMilestoneAt(n int) KMPMilestone {
	if n < 1 || n > len(KMPSteps) {
		return ""
	}
	return KMPSteps[n-1].Milestone
}

// MayRecord reports whether role may record the milestone; imported
// milestones also admit KMPImportRoles.
func (s KMPStep) MayRecord(role Role, imported bool) bool {
	for _, r := range s.Roles {
		if r == role {
			return true
		}
	}
	if imported {
		for _, r := range KMPImportRoles {
			if r == role {
				return true
			}
		}
	}
	return false
}

// KMPDateLayout is how milestone dates are written.
const KMPDateLayout = "2006-01-02"

var nibPattern = regexp.MustCompile(`^[0-9]{13}$`)

// Register jenis a KMP may take (DESIGN.md, the koperasi register).
var kmpJenis = []string{"konsumen", "produsen", "simpan_pinjam", "pemasaran", "jasa"}

// DefaultKMPJenis is the jenis a KMP enters the register with when the
// badan hukum milestone names none: the gerai sembako every KMP opens makes
// it a consumer cooperative first.
const DefaultKMPJenis = "konsumen"

// Validate checks f against the milestone's fields: every required one
// given, each well formed, nothing belonging to another milestone. Field
// errors are named "fields.<name>".
func (f KMPFields) Validate(m KMPMilestone) error {
	var v Validation
	step, ok := m.Step()
	if !ok {
		v.Add("milestone", "Tahap %q tidak dikenal; pilih salah satu: %s.", m, strings.Join(milestoneNames(), ", "))
		return v.Err()
	}
	allowed := map[string]bool{}
	for _, fd := range step.Fields {
		allowed[fd.Name] = true
		if fd.Required && !f.has(fd.Name) {
			v.Add("fields."+fd.Name, "%s wajib diisi untuk tahap %s.", fd.Label, step.Label)
		}
	}
	for _, name := range kmpFieldNames {
		if f.has(name) && !allowed[name] {
			v.Add("fields."+name, "Isian %s bukan bagian dari tahap %s.", name, step.Label)
		}
	}
	if f.Date != "" {
		if _, err := time.Parse(KMPDateLayout, f.Date); err != nil {
			v.Add("fields.date", "Tanggal harus berbentuk TTTT-BB-HH, misalnya 2026-07-12.")
		}
	}
	if f.Attendance < 0 {
		v.Add("fields.attendance", "Jumlah hadir tidak boleh negatif.")
	}
	if f.NIB != "" && !nibPattern.MatchString(f.NIB) {
		v.Add("fields.nib", "NIB terdiri atas 13 angka.")
	}
	if f.Jenis != "" && !contains(kmpJenis, f.Jenis) {
		v.Add("fields.jenis", "Jenis koperasi %q tidak dikenal; pilih salah satu: %s.", f.Jenis, strings.Join(kmpJenis, ", "))
	}
	seen := map[KMPUnit]bool{}
	for _, u := range f.Units {
		if _, ok := u.Info(); !ok {
			v.Add("fields.units", "Unit usaha %q tidak dikenal; pilih salah satu: %s.", u, strings.Join(unitNames(), ", "))
		} else if seen[u] {
			v.Add("fields.units", "Unit usaha %s disebut dua kali.", u.Label())
		}
		seen[u] = true
	}
	for name, val := range map[string]string{"ketua": f.Ketua, "sekretaris": f.Sekretaris, "bendahara": f.Bendahara,
		"number": f.Number, "notary": f.Notary, "sk_number": f.SKNumber, "provider": f.Provider, "berita_acara": f.BeritaAcara} {
		if len(val) > 200 {
			v.Add("fields."+name, "Isian paling panjang 200 karakter.")
		}
	}
	return v.Err()
}

var kmpFieldNames = []string{"date", "attendance", "berita_acara", "ketua", "sekretaris", "bendahara", "pengawas",
	"number", "notary", "sk_number", "jenis", "nib", "provider", "units"}

// has reports whether the named field carries a value.
func (f KMPFields) has(name string) bool {
	switch name {
	case "date":
		return strings.TrimSpace(f.Date) != ""
	case "attendance":
		return f.Attendance > 0
	case "berita_acara":
		return strings.TrimSpace(f.BeritaAcara) != ""
	case "ketua":
		return strings.TrimSpace(f.Ketua) != ""
	case "sekretaris":
		return strings.TrimSpace(f.Sekretaris) != ""
	case "bendahara":
		return strings.TrimSpace(f.Bendahara) != ""
	case "pengawas":
		return len(f.Pengawas) > 0
	case "number":
		return strings.TrimSpace(f.Number) != ""
	case "notary":
		return strings.TrimSpace(f.Notary) != ""
	case "sk_number":
		return strings.TrimSpace(f.SKNumber) != ""
	case "jenis":
		return f.Jenis != ""
	case "nib":
		return f.NIB != ""
	case "provider":
		return strings.TrimSpace(f.Provider) != ""
	case "units":
		return len(f.Units) > 0
	}
	return false
}

// Day parses Date (already validated) as midnight UTC.
func (f KMPFields) Day() time.Time {
	t, _ := time.Parse(KMPDateLayout, f.Date)
	return t
}

func milestoneNames() []string {
	out := make([]string, len(KMPSteps))
	for i, s := range KMPSteps {
		out[i] = string(s.Milestone)
	}
	return out
}

func unitNames() []string {
	out := make([]string, len(KMPUnits))
	for i, u := range KMPUnits {
		out[i] = string(u.Unit)
	}
	return out
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// KMPName is the koperasi's name: Koperasi Desa Merah Putih <desa>, or
// Koperasi Kelurahan Merah Putih <kelurahan> (Kemendagri numbers kelurahan
// 1xxx and desa 2xxx in the last segment).
func KMPName(regionCode, regionName string) string {
	if i := strings.LastIndexByte(regionCode, '.'); i >= 0 && strings.HasPrefix(regionCode[i+1:], "1") {
		return "Koperasi Kelurahan Merah Putih " + regionName
	}
	return "Koperasi Desa Merah Putih " + regionName
}

// KMPRegistration is what the koperasi register needs when a KMP obtains its
// badan hukum, so the koperasi is never typed twice.
type KMPRegistration struct {
	RegionCode     string    `json:"region_code"` // the desa/kelurahan
	Name           string    `json:"name"`
	BadanHukumNo   string    `json:"badan_hukum_no"`
	BadanHukumDate time.Time `json:"badan_hukum_date"`
	Jenis          string    `json:"jenis"`
}

// KMPDeadlines are the due dates of the milestones, as given at the start;
// a milestone without one has no reminder or escalation.
type KMPDeadlines map[KMPMilestone]time.Time

// Validate checks that every key is a milestone and that the dates follow
// the milestones' order. Field errors are named "deadlines.<milestone>".
func (d KMPDeadlines) Validate() error {
	var v Validation
	var prev time.Time
	var prevM KMPMilestone
	for m := range d {
		if _, ok := m.Step(); !ok {
			v.Add("deadlines."+string(m), "Tahap %q tidak dikenal; pilih salah satu: %s.", m, strings.Join(milestoneNames(), ", "))
		}
	}
	for _, m := range KMPMilestones {
		t, ok := d[m]
		if !ok {
			continue
		}
		if !prev.IsZero() && t.Before(prev) {
			v.Add("deadlines."+string(m), "Batas tahap %s tidak boleh sebelum batas tahap %s.", m.Label(), prevM.Label())
		}
		prev, prevM = t, m
	}
	return v.Err()
}
