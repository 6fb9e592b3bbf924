package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/rencana-id/rencana/internal/domain"
)

// plannedStage reports whether a proposal in stage s still counts towards
// what its kab/kota plans: every stage but the ones that drop it.
func plannedStage(s domain.Stage) bool { return !s.Dropped() }

// CycleTargetProgress is the progress of the cycle's register targets
// (GET /cycles/{id}/targets/progress): for each kab/kota of the province,
// its register indicators of years N-1 and N when that year's data round
// is accepted, and what its proposals plan (the targets of their
// indicators that name a register target; a province-level proposal
// counts for no kab/kota). The formulas are domain.ComputeTargetProgress.
func (db *DB) CycleTargetProgress(ctx context.Context, cycleID string) ([]domain.TargetProgressItem, error) {
	province, year, err := domain.ParseCycleID(cycleID)
	if err != nil {
		return nil, domain.Errorf(domain.ENOTFOUND, "Siklus %s tidak ditemukan.", cycleID)
	}
	targets, err := db.cycleTargets(ctx, cycleID)
	if err != nil {
		return nil, err
	}
	prov, err := db.GetRegion(ctx, province)
	if err != nil {
		return nil, err
	}
	kabkota, err := db.ListRegions(ctx, province)
	if err != nil {
		return nil, err
	}
	accepted := map[int]map[string]bool{}
	indicators := map[int]map[string]domain.KoperasiIndicators{}
	for _, y := range []int{year - 1, year} {
		rounds, err := db.ListDataRounds(ctx, province, y)
		if err != nil {
			return nil, err
		}
		accepted[y] = map[string]bool{}
		for _, r := range rounds {
			if r.Status == domain.RoundAccepted {
				accepted[y][r.Region] = true
			}
		}
		if indicators[y], err = db.ChildIndicators(ctx, province, y); err != nil {
			return nil, err
		}
	}
	planned, err := db.plannedByKabKota(ctx, cycleID)
	if err != nil {
		return nil, err
	}
	figures := make([]domain.RegionFigures, len(kabkota))
	for i, r := range kabkota {
		f := domain.RegionFigures{Region: r.Code, Name: r.Name, Planned: planned[r.Code]}
		// A kab/kota whose accepted round has no koperasi has zeros: its
		// register was verified empty, unlike one without a round.
		if accepted[year-1][r.Code] {
			k := indicators[year-1][r.Code]
			f.Previous = &k
		}
		if accepted[year][r.Code] {
			k := indicators[year][r.Code]
			f.Current = &k
		}
		figures[i] = f
	}
	out := domain.ComputeTargetProgress(prov.Code, prov.Name, targets, figures)
	if out == nil {
		out = []domain.TargetProgressItem{}
	}
	return out, nil
}

// plannedByKabKota adds up, per kab/kota and register indicator, the
// targets of the cycle's proposal indicators that name a register target.
func (db *DB) plannedByKabKota(ctx context.Context, cycleID string) (map[string]map[domain.RegisterIndicator]int64, error) {
	var rows []proposalRow
	if err := db.orm.WithContext(ctx).Select("id, region_code, stage, indicators").Where("cycle_id = ?", cycleID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("planned of %s: %w", cycleID, err)
	}
	out := map[string]map[domain.RegisterIndicator]int64{}
	for _, r := range rows {
		if !plannedStage(domain.Stage(r.Stage)) || len(r.RegionCode) < 5 {
			continue
		}
		var inds []domain.Indicator
		if err := json.Unmarshal([]byte(r.Indicators), &inds); err != nil {
			return nil, fmt.Errorf("decode indicators of %s: %w", r.ID, err)
		}
		kk := r.RegionCode[:5]
		for _, ind := range inds {
			if ind.TargetIndicator == "" {
				continue
			}
			if out[kk] == nil {
				out[kk] = map[domain.RegisterIndicator]int64{}
			}
			out[kk][ind.TargetIndicator] += int64(math.Round(ind.Target))
		}
	}
	return out, nil
}
