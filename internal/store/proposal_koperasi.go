package store

import (
	"context"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"github.com/rencana-id/rencana/internal/domain"
)

// proposalKoperasiRow links a proposal to a koperasi it serves (issue 18),
// so eligibility and coverage query by koperasi.
type proposalKoperasiRow struct {
	ProposalID string `gorm:"primaryKey"`
	KoperasiID string `gorm:"primaryKey"`
}

func (proposalKoperasiRow) TableName() string { return "proposal_koperasi" }

func encodeKoperasiIDs(ids []string) (string, error) {
	if ids == nil {
		ids = []string{}
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return "", fmt.Errorf("encode beneficiaries_koperasi: %w", err)
	}
	return string(b), nil
}

func decodeKoperasiIDs(s string) ([]string, error) {
	out := []string{}
	if s == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// syncProposalKoperasi makes the links of p those of its snapshot.
func syncProposalKoperasi(tx *gorm.DB, p domain.Proposal) error {
	if err := tx.Where("proposal_id = ?", p.ID).Delete(&proposalKoperasiRow{}).Error; err != nil {
		return fmt.Errorf("unlink koperasi of %s: %w", p.ID, err)
	}
	if len(p.BeneficiariesKoperasi) == 0 {
		return nil
	}
	rows := make([]proposalKoperasiRow, len(p.BeneficiariesKoperasi))
	for i, id := range p.BeneficiariesKoperasi {
		rows[i] = proposalKoperasiRow{ProposalID: p.ID, KoperasiID: id}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("link koperasi of %s: %w", p.ID, err)
	}
	return nil
}

// KoperasiRegions returns the desa/kelurahan code of each of ids that is
// in the register (an unknown id is absent).
func (db *DB) KoperasiRegions(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []koperasiRow
	if err := db.orm.WithContext(ctx).Select("id, region_code").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("koperasi regions: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.RegionCode
	}
	return out, nil
}
