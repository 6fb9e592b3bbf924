package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Calendar holds a planning cycle's dates. For fiscal year N every date lies
// in year N-1 (the N-1 rule) and they follow the order of the fields.
type Calendar struct {
	SubmissionDeadline    time.Time `json:"submission_deadline"`
	ReviewDeadline        time.Time `json:"review_deadline"`
	RakordaStart          time.Time `json:"rakorda_start"`
	RakordaEnd            time.Time `json:"rakorda_end"`
	ConsolidationDeadline time.Time `json:"consolidation_deadline"`
	MinistryDeadline      time.Time `json:"ministry_deadline"`
	MappingDeadline       time.Time `json:"mapping_deadline"`
}

// CalendarField is one named date of a Calendar, in order.
type CalendarField struct {
	Name string
	At   time.Time
}

// Fields lists the dates in their required order with their JSON names, so
// validation can name the field that is wrong.
func (c Calendar) Fields() []CalendarField {
	return []CalendarField{
		{"submission_deadline", c.SubmissionDeadline},
		{"review_deadline", c.ReviewDeadline},
		{"rakorda_start", c.RakordaStart},
		{"rakorda_end", c.RakordaEnd},
		{"consolidation_deadline", c.ConsolidationDeadline},
		{"ministry_deadline", c.MinistryDeadline},
		{"mapping_deadline", c.MappingDeadline},
	}
}

// Validate enforces the N-1 rule for fiscal year fy: every date set, in year
// fy-1 (in UTC), each after the one before it.
func (c Calendar) Validate(fy int) error {
	var v Validation
	var prev CalendarField
	for i, f := range c.Fields() {
		field := "calendar." + f.Name
		switch {
		case f.At.IsZero():
			v.Add(field, "Tanggal wajib diisi.")
		case f.At.UTC().Year() != fy-1:
			v.Add(field, "Tanggal harus jatuh pada tahun %d (tahun N-1 untuk tahun anggaran %d).", fy-1, fy)
		case i > 0 && !prev.At.IsZero() && !f.At.After(prev.At):
			v.Add(field, "Tanggal harus setelah %s.", prev.Name)
		}
		prev = f
	}
	return v.Err()
}

// CycleID is the public id of a province's cycle for a fiscal year, e.g. "74-2027".
func CycleID(province string, fiscalYear int) string {
	return fmt.Sprintf("%s-%d", province, fiscalYear)
}

// ParseCycleID splits a public cycle id ("74-2027") into its province code
// and fiscal year, so the cycle's workflow can be found from a proposal's
// cycle_id.
func ParseCycleID(id string) (province string, fiscalYear int, err error) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, Errorf(ENOTFOUND, "Siklus %q tidak ditemukan.", id)
	}
	fy, convErr := strconv.Atoi(id[i+1:])
	if convErr != nil || fy < 1000 || fy > 9999 {
		return "", 0, Errorf(ENOTFOUND, "Siklus %q tidak ditemukan.", id)
	}
	return id[:i], fy, nil
}

// Cycle is a province's planning cycle for one fiscal year. Version counts
// the changes the CycleWorkflow recorded (0 for a cycle written directly,
// as older demo data was).
type Cycle struct {
	ID           string     `json:"id"`
	ProvinceCode string     `json:"province_code"`
	FiscalYear   int        `json:"fiscal_year"`
	Calendar     Calendar   `json:"calendar"`
	Locked       bool       `json:"locked"`
	LockedAt     *time.Time `json:"locked_at"`
	LockedBy     string     `json:"locked_by"`
	Version      int64      `json:"version"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Phase is where a cycle stands, read from its calendar: users ask "what
// can be done now" and the answer follows from the dates alone.
type Phase string

// The phases of a cycle, in order.
const (
	PhaseDrafting      Phase = "drafting"      // before the submission deadline
	PhaseReview        Phase = "review"        // kab/kota review, until Rakorda opens
	PhaseRakorda       Phase = "rakorda"       // the Rakorda session is open
	PhaseConsolidation Phase = "consolidation" // after Rakorda, until the consolidation deadline
	PhaseMinistry      Phase = "ministry"      // until the ministry deadline (Rakortek)
	PhaseMapping       Phase = "mapping"       // until the mapping deadline
	PhaseClosed        Phase = "closed"        // every deadline has passed
)

// Label is the phase as users read it.
func (p Phase) Label() string {
	switch p {
	case PhaseDrafting:
		return "Penyusunan usulan"
	case PhaseReview:
		return "Reviu kab/kota"
	case PhaseRakorda:
		return "Rakorda"
	case PhaseConsolidation:
		return "Konsolidasi provinsi"
	case PhaseMinistry:
		return "Kementerian (Rakortek)"
	case PhaseMapping:
		return "Pemetaan SIPD"
	case PhaseClosed:
		return "Ditutup"
	}
	return string(p)
}

// PhaseAt is the cycle's phase at t. Deadlines are exclusive (a submission
// at the deadline is late) while the Rakorda window includes both its ends,
// exactly as the proposal workflow judges submit and accept.
func (c Calendar) PhaseAt(t time.Time) Phase {
	switch {
	case t.Before(c.SubmissionDeadline):
		return PhaseDrafting
	case t.Before(c.RakordaStart):
		return PhaseReview
	case !t.After(c.RakordaEnd):
		return PhaseRakorda
	case t.Before(c.ConsolidationDeadline):
		return PhaseConsolidation
	case t.Before(c.MinistryDeadline):
		return PhaseMinistry
	case t.Before(c.MappingDeadline):
		return PhaseMapping
	}
	return PhaseClosed
}

// RakordaOpenAt reports whether the Rakorda session is open at t: from
// rakorda_start to rakorda_end, both included.
func (c Calendar) RakordaOpenAt(t time.Time) bool {
	return c.PhaseAt(t) == PhaseRakorda
}

// Ceiling is a pagu indikatif: the most a kab/kota (or, for provincial
// proposals, the province itself) may receive in consolidated amounts in
// one cycle. Regions without a ceiling are not limited.
type Ceiling struct {
	RegionCode string `json:"region_code"`
	AmountIDR  int64  `json:"amount_idr"`
}

// Agreement is one kesepakatan of the Rakorda: a numbered free-text
// resolution, as the berita acara lists them ("13 kesepakatan").
type Agreement struct {
	Number int    `json:"number"`
	Text   string `json:"text"`
}

// Attendee is one line of the Rakorda's attendance list (daftar hadir).
type Attendee struct {
	Number      int    `json:"number"`
	Name        string `json:"name"`
	Position    string `json:"position"`    // jabatan
	Institution string `json:"institution"` // instansi
	RegionCode  string `json:"region_code,omitempty"`
}

// Target is one of the province's performance targets for the cycle, e.g.
// "koperasi baru +7-10% dari koperasi aktif". The consolidation view adds up
// the proposals' indicators that match it: an indicator counts when its unit
// equals Unit (ignoring case; any unit when Unit is empty) and its name
// contains every word of at least one of Keywords.
//
// The goal is either absolute (Min, optionally Max) or relative to a
// baseline (Baseline with PercentMin and optionally PercentMax, e.g. 500
// active cooperatives and 7-10%); Bounds turns both into absolute figures.
type Target struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	Keywords   []string `json:"keywords"`
	Unit       string   `json:"unit"`
	Baseline   float64  `json:"baseline,omitempty"`
	PercentMin float64  `json:"percent_min,omitempty"`
	PercentMax float64  `json:"percent_max,omitempty"`
	Min        float64  `json:"min,omitempty"`
	Max        float64  `json:"max,omitempty"`
	// Indicator and Percent make a register target (issue 18, see
	// register_target.go): measured on the koperasi register, with no
	// keywords and no typed baseline.
	Indicator RegisterIndicator `json:"indicator,omitempty"`
	Percent   float64           `json:"percent,omitempty"`
}

// Bounds returns the target as absolute figures in Unit; max is 0 when the
// target has no upper bound.
func (t Target) Bounds() (min, max float64) {
	if t.Baseline > 0 && t.PercentMin > 0 {
		min = t.Baseline * t.PercentMin / 100
		if t.PercentMax > 0 {
			max = t.Baseline * t.PercentMax / 100
		}
		return min, max
	}
	return t.Min, t.Max
}

// Validate checks a target; prefix names its place in the request
// ("targets[2]").
func (t Target) Validate(v *Validation, prefix string) {
	if t.IsRegister() {
		t.validateRegister(v, prefix)
		return
	}
	if strings.TrimSpace(t.Code) == "" {
		v.Add(prefix+".code", "Kode target wajib diisi.")
	}
	if strings.TrimSpace(t.Name) == "" {
		v.Add(prefix+".name", "Nama target wajib diisi.")
	}
	ok := false
	for _, k := range t.Keywords {
		if strings.TrimSpace(k) != "" {
			ok = true
		}
	}
	if !ok {
		v.Add(prefix+".keywords", "Minimal satu kata kunci indikator wajib diisi.")
	}
	switch {
	case t.Baseline < 0 || t.PercentMin < 0 || t.PercentMax < 0 || t.Min < 0 || t.Max < 0:
		v.Add(prefix, "Nilai target tidak boleh negatif.")
	case t.Baseline > 0 || t.PercentMin > 0 || t.PercentMax > 0:
		if t.Baseline <= 0 || t.PercentMin <= 0 {
			v.Add(prefix+".percent_min", "Target persentase memerlukan baseline dan persentase minimal lebih dari 0.")
		} else if t.PercentMax > 0 && t.PercentMax < t.PercentMin {
			v.Add(prefix+".percent_max", "Persentase maksimal tidak boleh lebih kecil dari persentase minimal.")
		}
	case t.Min <= 0:
		v.Add(prefix+".min", "Target minimal harus lebih dari 0.")
	case t.Max > 0 && t.Max < t.Min:
		v.Add(prefix+".max", "Target maksimal tidak boleh lebih kecil dari target minimal.")
	}
}
