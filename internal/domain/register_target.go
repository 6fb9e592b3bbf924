package domain

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// RegisterIndicator is a cycle target measured on the koperasi register
// (issue 18): its baseline is a kab/kota's accepted data round of year N-1,
// its realised value that of year N.
type RegisterIndicator string

// Sumbar's four register targets (DESIGN.md "Targets on the register").
const (
	IndKoperasiBaru        RegisterIndicator = "koperasi_baru"
	IndRAT                 RegisterIndicator = "rat"
	IndKoperasiTidakAktif  RegisterIndicator = "koperasi_tidak_aktif"
	IndKoperasiBerkualitas RegisterIndicator = "koperasi_berkualitas"
)

// RegisterIndicators lists every register indicator a target may name.
var RegisterIndicators = []RegisterIndicator{IndKoperasiBaru, IndRAT, IndKoperasiTidakAktif, IndKoperasiBerkualitas}

// Valid reports whether r is one of RegisterIndicators.
func (r RegisterIndicator) Valid() bool {
	for _, x := range RegisterIndicators {
		if x == r {
			return true
		}
	}
	return false
}

// Label is the indicator as users read it.
func (r RegisterIndicator) Label() string {
	switch r {
	case IndKoperasiBaru:
		return "Koperasi baru"
	case IndRAT:
		return "Koperasi yang menyelenggarakan RAT"
	case IndKoperasiTidakAktif:
		return "Koperasi tidak aktif"
	case IndKoperasiBerkualitas:
		return "Koperasi berkualitas"
	}
	return string(r)
}

// MaxPercent is the largest percent a target may carry: a reduction
// (koperasi_tidak_aktif) cannot exceed 100%, a growth is capped at 1000%
// to catch a typed extra zero.
func (r RegisterIndicator) MaxPercent() float64 {
	if r == IndKoperasiTidakAktif {
		return 100
	}
	return 1000
}

// Baseline is the figure of year N-1 the target's formula starts from:
// active koperasi for new ones (the target is a share of them), the
// indicator's own count for the others.
func (r RegisterIndicator) Baseline(k KoperasiIndicators) int64 {
	switch r {
	case IndKoperasiBaru:
		return k.Active
	case IndRAT:
		return k.RATHeld
	case IndKoperasiTidakAktif:
		return k.Inactive
	case IndKoperasiBerkualitas:
		return k.Berkualitas
	}
	return 0
}

// Realised is the figure of year N compared with the target: the koperasi
// new in year N for koperasi_baru, the indicator's count for the others.
func (r RegisterIndicator) Realised(k KoperasiIndicators) int64 {
	if r == IndKoperasiBaru {
		return k.New
	}
	return r.Baseline(k)
}

// basisPoints is percent in hundredths of a percent, so the formulas are
// computed in integers (8% of 25 is exactly 2, not 2.0000000000000004
// rounded up to 3). A percent is kept to two decimals.
func basisPoints(percent float64) int64 { return int64(math.Round(percent * 100)) }

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// TargetValue applies DESIGN.md's formula to a kab/kota's baseline:
// koperasi_baru ⌈p×active⌉, rat ⌈rat_held×(1+p)⌉, koperasi_tidak_aktif
// ⌊inactive×(1−p)⌋, koperasi_berkualitas ⌈berkualitas×(1+p)⌉.
func (r RegisterIndicator) TargetValue(baseline int64, percent float64) int64 {
	bp := basisPoints(percent)
	switch r {
	case IndKoperasiBaru:
		return ceilDiv(baseline*bp, 10000)
	case IndRAT, IndKoperasiBerkualitas:
		return ceilDiv(baseline*(10000+bp), 10000)
	case IndKoperasiTidakAktif:
		return baseline * (10000 - bp) / 10000
	}
	return 0
}

// Projected is what the register would show in year N if the proposals
// deliver what they plan: planned counts new koperasi for koperasi_baru,
// koperasi added to the count for rat and koperasi_berkualitas, and
// koperasi reactivated (taken off the count) for koperasi_tidak_aktif.
func (r RegisterIndicator) Projected(baseline, planned int64) int64 {
	switch r {
	case IndKoperasiBaru:
		return planned
	case IndKoperasiTidakAktif:
		return baseline - planned
	}
	return baseline + planned
}

// Short reports whether projected misses target: above it for
// koperasi_tidak_aktif (a ceiling), below it for the others.
func (r RegisterIndicator) Short(projected, target int64) bool {
	if r == IndKoperasiTidakAktif {
		return projected > target
	}
	return projected < target
}

// IsRegister reports whether t is measured on the register (Indicator
// set) rather than by keywords on proposal indicators.
func (t Target) IsRegister() bool { return t.Indicator != "" }

// validateRegister checks a register target: a known indicator, a
// percent within its bounds, and none of the keyword target's fields (its
// baseline comes from the register, never typed).
func (t Target) validateRegister(v *Validation, prefix string) {
	if !t.Indicator.Valid() {
		v.Add(prefix+".indicator", "Indikator %q tidak dikenal; pilih salah satu: %s.", t.Indicator, joinValues(RegisterIndicators))
		return
	}
	switch {
	case t.Percent <= 0:
		v.Add(prefix+".percent", "Persentase target harus lebih dari 0.")
	case t.Percent > t.Indicator.MaxPercent():
		v.Add(prefix+".percent", "Persentase target %s paling besar %g.", t.Indicator.Label(), t.Indicator.MaxPercent())
	case math.Abs(t.Percent*100-math.Round(t.Percent*100)) > 1e-6:
		v.Add(prefix+".percent", "Persentase paling banyak dua angka di belakang koma.")
	}
	if len(t.Keywords) > 0 || t.Baseline != 0 || t.PercentMin != 0 || t.PercentMax != 0 || t.Min != 0 || t.Max != 0 {
		v.Add(prefix, "Target register dihitung dari putaran data yang diterima; isi hanya indicator dan percent (tanpa keywords, baseline, min, max).")
	}
	if strings.TrimSpace(t.Code) == "" {
		v.Add(prefix+".code", "Kode target wajib diisi.")
	}
}

// DataStatus says whether a progress row's baseline rests on an accepted
// data round.
type DataStatus string

// The statuses of a progress row.
const (
	DataAccepted   DataStatus = "accepted"
	DataUnverified DataStatus = "belum_diverifikasi"
)

// RegionFigures is what the progress of a cycle's register targets needs
// of one kab/kota: its register indicators of year N-1 and N (nil when
// that year has no accepted data round) and, per indicator, what its
// proposals plan.
type RegionFigures struct {
	Region   string
	Name     string
	Previous *KoperasiIndicators
	Current  *KoperasiIndicators
	Planned  map[RegisterIndicator]int64
}

// TargetProgressItem is one row of GET /cycles/{id}/targets/progress: one
// register target in one kab/kota, or in the province (Province true).
// Baseline and Target are nil when the baseline year has no accepted
// round, Realised when year N has none: an unknown figure is never a zero.
type TargetProgressItem struct {
	Code       string            `json:"code"`
	Indicator  RegisterIndicator `json:"indicator"`
	Label      string            `json:"label"`
	Percent    float64           `json:"percent"`
	Region     string            `json:"region"`
	RegionName string            `json:"region_name"`
	Province   bool              `json:"province"`
	Baseline   *int64            `json:"baseline"`
	Target     *int64            `json:"target"`
	Planned    int64             `json:"planned"`
	Realised   *int64            `json:"realised"`
	DataStatus DataStatus        `json:"data_status"`
	// Short: the proposals' plan does not reach the target (only when
	// the target is known).
	Short bool `json:"short"`
	// Accepted and Regions count, on the province row, the kab/kota with
	// an accepted baseline round and all of them.
	Accepted int `json:"regions_accepted,omitempty"`
	Regions  int `json:"regions_total,omitempty"`
}

func i64(n int64) *int64 { return &n }

// ComputeTargetProgress is the progress of the register targets among
// targets (keyword targets are skipped) for each kab/kota of regions,
// followed by the province's row for each target. The province row adds
// up its kab/kota; its baseline and target are known only when every
// kab/kota has an accepted baseline round (a partial sum would read as the
// province's figure), its realised value only when every kab/kota has an
// accepted round of year N.
func ComputeTargetProgress(province, provinceName string, targets []Target, regions []RegionFigures) []TargetProgressItem {
	var out []TargetProgressItem
	for _, t := range targets {
		if !t.IsRegister() {
			continue
		}
		prov := TargetProgressItem{Code: t.Code, Indicator: t.Indicator, Label: t.Indicator.Label(), Percent: t.Percent,
			Region: province, RegionName: provinceName, Province: true, Regions: len(regions)}
		var sumBase, sumTarget, sumReal int64
		realised := 0
		for _, r := range regions {
			it := TargetProgressItem{Code: t.Code, Indicator: t.Indicator, Label: t.Indicator.Label(), Percent: t.Percent,
				Region: r.Region, RegionName: r.Name, Planned: r.Planned[t.Indicator], DataStatus: DataUnverified}
			if r.Previous != nil {
				b := t.Indicator.Baseline(*r.Previous)
				tv := t.Indicator.TargetValue(b, t.Percent)
				it.Baseline, it.Target, it.DataStatus = i64(b), i64(tv), DataAccepted
				it.Short = t.Indicator.Short(t.Indicator.Projected(b, it.Planned), tv)
				sumBase += b
				sumTarget += tv
				prov.Accepted++
			}
			if r.Current != nil {
				it.Realised = i64(t.Indicator.Realised(*r.Current))
				sumReal += *it.Realised
				realised++
			}
			prov.Planned += it.Planned
			out = append(out, it)
		}
		prov.DataStatus = DataUnverified
		if prov.Accepted == len(regions) && len(regions) > 0 {
			prov.Baseline, prov.Target, prov.DataStatus = i64(sumBase), i64(sumTarget), DataAccepted
			prov.Short = t.Indicator.Short(t.Indicator.Projected(sumBase, prov.Planned), sumTarget)
		}
		if realised == len(regions) && len(regions) > 0 {
			prov.Realised = i64(sumReal)
		}
		out = append(out, prov)
	}
	return out
}

// RegisterTargetLabel names a register target for messages.
func RegisterTargetLabel(t Target) string {
	return fmt.Sprintf("%s %g%%", t.Indicator.Label(), t.Percent)
}

// MarshalJSON writes a register target's empty keyword list as [] (the
// contract's Target always carries keywords).
func (t Target) MarshalJSON() ([]byte, error) {
	type plain Target
	if t.Keywords == nil {
		t.Keywords = []string{}
	}
	return json.Marshal(plain(t))
}

// MaxBeneficiaryKoperasi bounds the koperasi one proposal names.
const MaxBeneficiaryKoperasi = 200

// CleanKoperasiIDs trims ids and drops empty ones and repeats, keeping
// the order given.
func CleanKoperasiIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// checkBeneficiaryKoperasi checks the shape of a proposal's koperasi
// list; whether each id is in the register within the proposal's region
// is the API's check against the store.
func checkBeneficiaryKoperasi(v *Validation, ids []string) {
	if len(ids) > MaxBeneficiaryKoperasi {
		v.Add("beneficiaries_koperasi", "Paling banyak %d koperasi penerima (sekarang %d).", MaxBeneficiaryKoperasi, len(ids))
	}
	for i, id := range ids {
		CheckLen(v, fmt.Sprintf("beneficiaries_koperasi[%d]", i), "Id koperasi", id, 64)
	}
}
