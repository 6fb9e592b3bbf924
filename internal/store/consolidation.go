package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
)

// Warning is advice the consolidation view attaches to a proposal: a likely
// duplicate of another proposal, or an overlap with a business a BUMDes
// already runs. It never blocks anything.
type Warning struct {
	Kind       string  `json:"kind"` // WarningDuplicate or WarningBUMDes
	Message    string  `json:"message"`
	ProposalID string  `json:"proposal_id,omitempty"` // the other proposal of a duplicate
	BUMDesID   string  `json:"bumdes_id,omitempty"`
	Similarity float64 `json:"similarity,omitempty"` // title similarity of a duplicate, 0 to 1
	// Issue 18: an eligibility warning's reason and koperasi.
	Reason     string `json:"reason,omitempty"`
	KoperasiID string `json:"koperasi_id,omitempty"`
}

// Warning kinds.
const (
	WarningDuplicate = "duplicate"
	WarningBUMDes    = "bumdes"
)

// ConsolidationRow is one proposal of the consolidation view.
type ConsolidationRow struct {
	domain.Proposal
	KabKotaCode string    `json:"kabkota_code"`
	KabKotaName string    `json:"kabkota_name"`
	Warnings    []Warning `json:"warnings"`
}

// CeilingUsage is one kab/kota's (or the province's own) consumption
// against its pagu indikatif: Consumed is the sum of consolidated amounts,
// Proposed the sum of what the proposals asked for. CeilingIDR and
// RemainingIDR are nil where no ceiling is set.
type CeilingUsage struct {
	RegionCode        string `json:"region_code"`
	RegionName        string `json:"region_name"`
	CeilingIDR        *int64 `json:"ceiling_idr"`
	ConsumedIDR       int64  `json:"consumed_idr"`
	RemainingIDR      *int64 `json:"remaining_idr"`
	ProposedIDR       int64  `json:"proposed_idr"`
	Count             int    `json:"count"`
	ConsolidatedCount int    `json:"consolidated_count"`
}

// Target statuses.
const (
	TargetBelow = "below" // the proposals' indicators add up to less than the minimum
	TargetMet   = "met"   // within the bounds
	TargetAbove = "above" // more than the maximum
)

// TargetProgress is how the indicators of the cycle's proposals add up
// against one of its targets.
type TargetProgress struct {
	Target      domain.Target `json:"target"`
	MinValue    float64       `json:"min_value"`
	MaxValue    float64       `json:"max_value"` // 0: no upper bound
	Achieved    float64       `json:"achieved"`
	Status      string        `json:"status"`
	ProposalIDs []string      `json:"proposal_ids"`
}

// ConsolidationView is what the provincial planner works from: every
// proposal of the cycle that reached consolidation or later, ranked within
// its kab/kota, with warnings; consumption against each ceiling; and the
// cycle's targets against the proposals' indicators.
type ConsolidationView struct {
	CycleID              string             `json:"cycle_id"`
	Rows                 []ConsolidationRow `json:"rows"`
	Ceilings             []CeilingUsage     `json:"ceilings"`
	Targets              []TargetProgress   `json:"targets"`
	Unconsolidated       int                `json:"unconsolidated"`
	TotalProposedIDR     int64              `json:"total_proposed_idr"`
	TotalConsolidatedIDR int64              `json:"total_consolidated_idr"`
}

// consolidationStages are the stages a proposal is in once Rakorda accepted
// it, the same set the consolidated list exports.
var consolidationStages = []string{
	string(domain.StageConsolidation), string(domain.StageMinistry), string(domain.StageSIPDMapping),
	string(domain.StageFinal), string(domain.StageDeclined),
}

// ConsolidationView reads a cycle's consolidation view. Rows are ordered by
// kab/kota, then priority (unranked last), then id. Consumption counts every
// consolidated proposal, as the CycleWorkflow's reservations do; targets
// count every proposal but declined ones.
func (db *DB) ConsolidationView(ctx context.Context, cycleID string) (ConsolidationView, error) {
	c, err := db.GetCycle(ctx, cycleID)
	if err != nil {
		return ConsolidationView{}, err
	}
	var rows []proposalRow
	if err := db.orm.WithContext(ctx).Where("cycle_id = ? AND stage IN ?", cycleID, consolidationStages).
		Order("id").Find(&rows).Error; err != nil {
		return ConsolidationView{}, fmt.Errorf("consolidation rows: %w", err)
	}
	view := ConsolidationView{CycleID: cycleID, Rows: make([]ConsolidationRow, 0, len(rows)), Ceilings: []CeilingUsage{}, Targets: []TargetProgress{}}
	codes := []string{c.ProvinceCode}
	for _, r := range rows {
		p, err := r.domain()
		if err != nil {
			return ConsolidationView{}, err
		}
		view.Rows = append(view.Rows, ConsolidationRow{Proposal: p, KabKotaCode: domain.RegionKabKota(p.RegionCode), Warnings: []Warning{}})
		codes = append(codes, p.RegionCode, domain.RegionKabKota(p.RegionCode), kecamatanOf(p.RegionCode))
	}

	var ceilings []cycleCeilingRow
	if err := db.orm.WithContext(ctx).Where("cycle_id = ?", cycleID).Find(&ceilings).Error; err != nil {
		return ConsolidationView{}, fmt.Errorf("cycle ceilings: %w", err)
	}
	for _, ce := range ceilings {
		codes = append(codes, ce.RegionCode)
	}
	bumdes, err := db.ListBUMDesBusinesses(ctx, c.ProvinceCode, true)
	if err != nil {
		return ConsolidationView{}, err
	}
	for _, b := range bumdes {
		codes = append(codes, b.RegionCode)
	}
	names, err := db.regionNames(ctx, codes)
	if err != nil {
		return ConsolidationView{}, err
	}
	for i := range view.Rows {
		view.Rows[i].KabKotaName = names[view.Rows[i].KabKotaCode]
	}
	sort.SliceStable(view.Rows, func(i, j int) bool {
		a, b := view.Rows[i], view.Rows[j]
		if a.KabKotaCode != b.KabKotaCode {
			return a.KabKotaCode < b.KabKotaCode
		}
		if (a.Priority > 0) != (b.Priority > 0) {
			return a.Priority > 0
		}
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.ID < b.ID
	})

	view.Ceilings = ceilingUsage(view.Rows, ceilings, names)
	for _, r := range view.Rows {
		view.TotalProposedIDR += r.AmountIDR
		if r.Consolidated {
			view.TotalConsolidatedIDR += r.ConsolidatedAmountIDR
		} else if r.Stage == domain.StageConsolidation {
			view.Unconsolidated++
		}
	}

	targets, err := db.cycleTargets(ctx, cycleID)
	if err != nil {
		return ConsolidationView{}, err
	}
	view.Targets = targetProgress(view.Rows, targets)

	markDuplicates(view.Rows, names)
	markBUMDes(view.Rows, bumdes, names)
	if err := db.markEligibility(ctx, c.ProvinceCode, c.FiscalYear, view.Rows); err != nil {
		return ConsolidationView{}, err
	}
	return view, nil
}

func ceilingUsage(rows []ConsolidationRow, ceilings []cycleCeilingRow, names map[string]string) []CeilingUsage {
	byCode := map[string]*CeilingUsage{}
	get := func(code string) *CeilingUsage {
		u, ok := byCode[code]
		if !ok {
			u = &CeilingUsage{RegionCode: code, RegionName: names[code]}
			byCode[code] = u
		}
		return u
	}
	for _, ce := range ceilings {
		amount := ce.AmountIDR
		get(ce.RegionCode).CeilingIDR = &amount
	}
	for _, r := range rows {
		u := get(r.KabKotaCode)
		u.Count++
		u.ProposedIDR += r.AmountIDR
		if r.Consolidated {
			u.ConsolidatedCount++
			u.ConsumedIDR += r.ConsolidatedAmountIDR
		}
	}
	out := make([]CeilingUsage, 0, len(byCode))
	for _, u := range byCode {
		if u.CeilingIDR != nil {
			rem := *u.CeilingIDR - u.ConsumedIDR
			u.RemainingIDR = &rem
		}
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RegionCode < out[j].RegionCode })
	return out
}

// indicatorMatches reports whether a proposal indicator counts towards t.
func indicatorMatches(t domain.Target, ind domain.Indicator) bool {
	if t.Unit != "" && !strings.EqualFold(strings.TrimSpace(t.Unit), strings.TrimSpace(ind.Unit)) {
		return false
	}
	words := wordSet(ind.Name)
	for _, k := range t.Keywords {
		if phraseIn(k, words) {
			return true
		}
	}
	return false
}

func targetProgress(rows []ConsolidationRow, targets []domain.Target) []TargetProgress {
	out := make([]TargetProgress, 0, len(targets))
	for _, t := range targets {
		if t.IsRegister() {
			continue // measured on the register: CycleTargetProgress
		}
		min, max := t.Bounds()
		tp := TargetProgress{Target: t, MinValue: min, MaxValue: max, ProposalIDs: []string{}}
		for _, r := range rows {
			if r.Stage == domain.StageDeclined {
				continue
			}
			counted := false
			for _, ind := range r.Indicators {
				if indicatorMatches(t, ind) {
					tp.Achieved += ind.Target
					counted = true
				}
			}
			if counted {
				tp.ProposalIDs = append(tp.ProposalIDs, r.ID)
			}
		}
		switch {
		case tp.Achieved < min:
			tp.Status = TargetBelow
		case max > 0 && tp.Achieved > max:
			tp.Status = TargetAbove
		default:
			tp.Status = TargetMet
		}
		out = append(out, tp)
	}
	return out
}

// markDuplicates warns both proposals of every pair in the same kecamatan
// (or desa within it) and category whose titles are similar enough (see
// DuplicateThreshold). Pairs are only formed within such a group, so the
// cost stays small even for thousands of rows.
func markDuplicates(rows []ConsolidationRow, names map[string]string) {
	groups := map[string][]int{}
	var keys []string
	for i, r := range rows {
		kec := kecamatanOf(r.RegionCode)
		if kec == "" || r.Category == "" {
			continue
		}
		k := kec + "|" + string(r.Category)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	sort.Strings(keys)
	for _, k := range keys {
		idx := groups[k]
		for x := 0; x < len(idx); x++ {
			for y := x + 1; y < len(idx); y++ {
				a, b := &rows[idx[x]], &rows[idx[y]]
				places := []string{names[a.RegionCode], names[b.RegionCode], names[kecamatanOf(a.RegionCode)]}
				sim := TitleSimilarity(a.Title, b.Title, places...)
				if sim < DuplicateThreshold {
					continue
				}
				a.Warnings = append(a.Warnings, duplicateWarning(*b, sim, names))
				b.Warnings = append(b.Warnings, duplicateWarning(*a, sim, names))
			}
		}
	}
}

func duplicateWarning(other ConsolidationRow, sim float64, names map[string]string) Warning {
	where := other.RegionCode
	if n := names[other.RegionCode]; n != "" {
		where = n + " (" + other.RegionCode + ")"
	}
	return Warning{
		Kind: WarningDuplicate, ProposalID: other.ID, Similarity: sim,
		Message: fmt.Sprintf("Kemungkinan duplikat dengan usulan %s %q di %s: kategori sama, kesamaan judul %.0f%%.",
			other.ID, other.Title, where, sim*100),
	}
}

// markBUMDes warns a proposal for a desa, or for the kecamatan around it,
// whose title or description names a business a BUMDes there already runs.
func markBUMDes(rows []ConsolidationRow, businesses []BUMDesBusiness, names map[string]string) {
	byKec := map[string][]BUMDesBusiness{}
	for _, b := range businesses {
		byKec[kecamatanOf(b.RegionCode)] = append(byKec[kecamatanOf(b.RegionCode)], b)
	}
	for i := range rows {
		r := &rows[i]
		kec := kecamatanOf(r.RegionCode)
		if kec == "" {
			continue
		}
		words := wordSet(r.Title, r.Description)
		for _, b := range byKec[kec] {
			if r.RegionCode != kec && r.RegionCode != b.RegionCode {
				continue // another desa of the kecamatan
			}
			for _, k := range b.Keywords {
				if !phraseIn(k, words) {
					continue
				}
				where := b.RegionCode
				if n := names[b.RegionCode]; n != "" {
					where = n + " (" + b.RegionCode + ")"
				}
				r.Warnings = append(r.Warnings, Warning{
					Kind: WarningBUMDes, BUMDesID: b.ID,
					Message: fmt.Sprintf("%s di %s sudah menjalankan usaha %q (kata kunci %q); pastikan usulan tidak menyaingi BUMDes.",
						b.Name, where, b.Business, k),
				})
				break
			}
		}
	}
}
