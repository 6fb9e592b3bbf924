package store

import (
	"context"
	"fmt"

	"github.com/rencana-id/rencana/internal/domain"
)

// CoverageProposal is a funded proposal that named a koperasi.
type CoverageProposal struct {
	ID       string          `json:"id"`
	CycleID  string          `json:"cycle_id"`
	Title    string          `json:"title"`
	Category domain.Category `json:"category"`
	Stage    domain.Stage    `json:"stage"`
}

// CoverageKoperasi is one koperasi of a coverage report.
type CoverageKoperasi struct {
	KoperasiID string             `json:"koperasi_id"`
	Name       string             `json:"name"`
	RegionCode string             `json:"region_code"`
	Proposals  []CoverageProposal `json:"proposals"`
}

// Coverage is which koperasi of a region received funded proposals of the
// cycles of fiscal years From..To, and which koperasi active in the
// register of year To received none (Karawang's question: who is never
// reached).
type Coverage struct {
	Region string `json:"region"`
	From   int    `json:"from"`
	To     int    `json:"to"`
	// RegisterYear is the register year the active koperasi are read from
	// (0: the region has no register up to To).
	RegisterYear int                `json:"register_year"`
	Funded       []CoverageKoperasi `json:"funded"`
	Unreached    []CoverageKoperasi `json:"unreached"`
}

// KoperasiCoverage computes the coverage of region (any level) for the
// fiscal years from..to. Funded: the ministry funded the proposal (SIPD
// mapping or final, domain.KoperasiUse.Funded).
func (db *DB) KoperasiCoverage(ctx context.Context, region string, from, to int) (Coverage, error) {
	out := Coverage{Region: region, From: from, To: to, Funded: []CoverageKoperasi{}, Unreached: []CoverageKoperasi{}}
	cond, args := regionRange("k.region_code", region)
	var rows []struct {
		KoperasiID string
		Name       string
		RegionCode string
		ID         string
		CycleID    string
		Title      string
		Category   string
		Stage      string
	}
	err := db.orm.WithContext(ctx).Table("proposal_koperasi AS pk").
		Select("pk.koperasi_id, k.name, k.region_code, p.id, p.cycle_id, p.title, p.category, p.stage").
		Joins("JOIN koperasi k ON k.id = pk.koperasi_id").
		Joins("JOIN proposals p ON p.id = pk.proposal_id").
		Where(cond, args...).Where("p.stage IN ?", []string{string(domain.StageSIPDMapping), string(domain.StageFinal)}).
		Order("k.region_code, k.name, pk.koperasi_id, p.id").Scan(&rows).Error
	if err != nil {
		return out, fmt.Errorf("coverage %s: %w", region, err)
	}
	funded := map[string]bool{}
	for _, r := range rows {
		_, fy, err := domain.ParseCycleID(r.CycleID)
		if err != nil || fy < from || fy > to {
			continue
		}
		if n := len(out.Funded); n == 0 || out.Funded[n-1].KoperasiID != r.KoperasiID {
			out.Funded = append(out.Funded, CoverageKoperasi{KoperasiID: r.KoperasiID, Name: r.Name, RegionCode: r.RegionCode, Proposals: []CoverageProposal{}})
		}
		last := &out.Funded[len(out.Funded)-1]
		last.Proposals = append(last.Proposals, CoverageProposal{ID: r.ID, CycleID: r.CycleID, Title: r.Title,
			Category: domain.Category(r.Category), Stage: domain.Stage(r.Stage)})
		funded[r.KoperasiID] = true
	}
	ycond, yargs := regionRange("y.region_code", region)
	// The register of year to, or of the latest year before it that has
	// one (next year's register does not exist while its cycle is planned).
	var latest *int
	if err := db.orm.WithContext(ctx).Table("koperasi_years AS y").Select("MAX(y.year)").Where("y.year <= ?", to).
		Where(ycond, yargs...).Scan(&latest).Error; err != nil {
		return out, fmt.Errorf("coverage %s: %w", region, err)
	}
	if latest == nil {
		return out, nil
	}
	out.RegisterYear = *latest
	var active []struct {
		ID         string
		Name       string
		RegionCode string
	}
	err = db.orm.WithContext(ctx).Table("koperasi_years AS y").Select("k.id, k.name, y.region_code").
		Joins("JOIN koperasi k ON k.id = y.koperasi_id").
		Where("y.year = ? AND y.status = ?", *latest, string(domain.KoperasiAktif)).Where(ycond, yargs...).
		Order("y.region_code, k.name, k.id").Scan(&active).Error
	if err != nil {
		return out, fmt.Errorf("coverage %s: %w", region, err)
	}
	for _, a := range active {
		if !funded[a.ID] {
			out.Unreached = append(out.Unreached, CoverageKoperasi{KoperasiID: a.ID, Name: a.Name, RegionCode: a.RegionCode, Proposals: []CoverageProposal{}})
		}
	}
	return out, nil
}
