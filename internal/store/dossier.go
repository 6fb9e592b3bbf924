package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

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

type commentRow struct {
	ID         string `gorm:"primaryKey"`
	ProposalID string
	Author     string
	AuthorRole string
	Body       string
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
}

func (commentRow) TableName() string { return "proposal_comments" }

// AddComment writes a comment and the notifications it sends (the other
// party, those mentioned) in one transaction.
func (db *DB) AddComment(ctx context.Context, c domain.Comment, notes ...domain.Notification) error {
	rows, err := notificationRows(notes)
	if err != nil {
		return err
	}
	row := commentRow{ID: c.ID, ProposalID: c.ProposalID, Author: c.Author, AuthorRole: string(c.AuthorRole), Body: c.Body, CreatedAt: c.CreatedAt.UTC()}
	err = db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return insertNotifications(tx, rows)
	})
	if err != nil {
		return fmt.Errorf("add comment to %s: %w", c.ProposalID, err)
	}
	return nil
}

// Comments returns a proposal's thread, oldest first.
func (db *DB) Comments(ctx context.Context, proposalID string) ([]domain.Comment, error) {
	var rows []commentRow
	if err := db.orm.WithContext(ctx).Where("proposal_id = ?", proposalID).Order("created_at").Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("comments of %s: %w", proposalID, err)
	}
	out := make([]domain.Comment, len(rows))
	for i, r := range rows {
		out[i] = domain.Comment{ID: r.ID, ProposalID: r.ProposalID, Author: r.Author, AuthorRole: domain.Role(r.AuthorRole), Body: r.Body, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}
