package store

import (
	"context"
	"fmt"

	"github.com/rencana-id/rencana/internal/domain"
)

// Warning kind of an eligibility warning; Warning.Reason says which
// (domain's Elig* kinds).
const WarningEligibility = "eligibility"

// markEligibility attaches domain.CheckEligibility's warnings to the rows
// of a cycle of province for fiscal year fy: the register's facts of the
// two book years before, and the proposals naming the same koperasi in
// this cycle and the two before.
func (db *DB) markEligibility(ctx context.Context, province string, fy int, rows []ConsolidationRow) error {
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.BeneficiariesKoperasi...)
	}
	if len(ids) == 0 {
		return nil
	}
	facts, err := db.koperasiFacts(ctx, ids, fy)
	if err != nil {
		return err
	}
	uses, err := db.koperasiUses(ctx, ids, province, fy)
	if err != nil {
		return err
	}
	for i := range rows {
		for _, w := range domain.CheckEligibility(rows[i].Proposal, fy, facts, uses) {
			rows[i].Warnings = append(rows[i].Warnings, Warning{Kind: WarningEligibility, Reason: w.Kind, Message: w.Message,
				KoperasiID: w.KoperasiID, ProposalID: w.ProposalID})
		}
	}
	return nil
}

// koperasiFacts reads the register's facts of ids in years fy-2 and fy-1.
func (db *DB) koperasiFacts(ctx context.Context, ids []string, fy int) (map[string]domain.KoperasiFacts, error) {
	var ks []koperasiRow
	if err := db.orm.WithContext(ctx).Select("id, name").Where("id IN ?", ids).Find(&ks).Error; err != nil {
		return nil, fmt.Errorf("koperasi facts: %w", err)
	}
	out := make(map[string]domain.KoperasiFacts, len(ks))
	for _, k := range ks {
		out[k.ID] = domain.KoperasiFacts{ID: k.ID, Name: k.Name}
	}
	var ys []koperasiYearRow
	if err := db.orm.WithContext(ctx).Select("koperasi_id, year, status, rat_held").Where("koperasi_id IN ? AND year IN ?", ids, []int{fy - 2, fy - 1}).
		Order("year").Find(&ys).Error; err != nil {
		return nil, fmt.Errorf("koperasi facts: %w", err)
	}
	for _, y := range ys {
		f := out[y.KoperasiID]
		f.Status = domain.KoperasiStatus(y.Status) // ordered by year: the latest wins
		f.RAT = f.RAT || y.RATHeld
		out[y.KoperasiID] = f
	}
	return out, nil
}

type koperasiUseRow struct {
	KoperasiID string
	ID         string
	CycleID    string
	Category   string
	Stage      string
}

// koperasiUses lists, per koperasi of ids, the proposals naming it in the
// province's cycles of fy, fy-1 and fy-2.
func (db *DB) koperasiUses(ctx context.Context, ids []string, province string, fy int) (map[string][]domain.KoperasiUse, error) {
	cycles := []string{domain.CycleID(province, fy), domain.CycleID(province, fy-1), domain.CycleID(province, fy-2)}
	var rows []koperasiUseRow
	err := db.orm.WithContext(ctx).Table("proposal_koperasi AS pk").
		Select("pk.koperasi_id, p.id, p.cycle_id, p.category, p.stage").
		Joins("JOIN proposals p ON p.id = pk.proposal_id").
		Where("pk.koperasi_id IN ? AND p.cycle_id IN ?", ids, cycles).Order("p.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("koperasi uses: %w", err)
	}
	out := map[string][]domain.KoperasiUse{}
	for _, r := range rows {
		_, year, err := domain.ParseCycleID(r.CycleID)
		if err != nil {
			return nil, err
		}
		out[r.KoperasiID] = append(out[r.KoperasiID], domain.KoperasiUse{ProposalID: r.ID, CycleID: r.CycleID, FiscalYear: year,
			Category: domain.Category(r.Category), Stage: domain.Stage(r.Stage)})
	}
	return out, nil
}
