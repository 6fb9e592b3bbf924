package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rencana-id/rencana/internal/domain"
)

// withDossier adds p's dossier fields (issue 21) to the row.
func (r proposalRow) withDossier(p domain.Proposal) (proposalRow, error) {
	rab, locs := p.RAB, p.Locations
	if rab == nil {
		rab = []domain.RABLine{}
	}
	if locs == nil {
		locs = []string{}
	}
	b, err := json.Marshal(rab)
	if err != nil {
		return proposalRow{}, fmt.Errorf("encode rab: %w", err)
	}
	l, err := json.Marshal(locs)
	if err != nil {
		return proposalRow{}, fmt.Errorf("encode locations: %w", err)
	}
	r.Number, r.RAB, r.Locations, r.Origin = p.Number, string(b), string(l), string(p.Origin)
	return r, nil
}

// dossier fills p's dossier fields from the row.
func (r proposalRow) dossier(p *domain.Proposal) error {
	p.Number, p.Origin = r.Number, domain.Origin(r.Origin)
	if r.RAB != "" {
		if err := json.Unmarshal([]byte(r.RAB), &p.RAB); err != nil {
			return fmt.Errorf("decode rab of %s: %w", r.ID, err)
		}
	}
	if r.Locations != "" {
		if err := json.Unmarshal([]byte(r.Locations), &p.Locations); err != nil {
			return fmt.Errorf("decode locations of %s: %w", r.ID, err)
		}
	}
	domain.NormalizeDossier(p)
	return nil
}

// NextProposalNumber hands out the next number of a region's proposals in a
// fiscal year (74.05.03/2027/0012). One upsert with RETURNING is atomic on
// PostgreSQL (the row lock of ON CONFLICT DO UPDATE) and on SQLite (one
// writer), so concurrent creates never get the same number; a create that
// fails afterwards leaves a gap, which the number tolerates.
func (db *DB) NextProposalNumber(ctx context.Context, regionCode string, fiscalYear int) (string, error) {
	var last int64
	err := db.orm.WithContext(ctx).Raw(
		`INSERT INTO proposal_number_seqs (region_code, fiscal_year, last) VALUES (?, ?, 1)
		 ON CONFLICT (region_code, fiscal_year) DO UPDATE SET last = proposal_number_seqs.last + 1
		 RETURNING last`, regionCode, fiscalYear).Scan(&last).Error
	if err != nil {
		return "", fmt.Errorf("next proposal number of %s/%d: %w", regionCode, fiscalYear, err)
	}
	return domain.ProposalNumber(regionCode, fiscalYear, int(last)), nil
}

// The dossier's columns are overwritten by a newer snapshot like the rest.
func init() { proposalColumns = append(proposalColumns, "number", "rab", "locations", "origin") }
