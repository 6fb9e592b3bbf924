package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/rencana-id/rencana/internal/domain"
)

// Delegation is a kepala dinas's grant of named actions of his role, within
// his scope, to a user of his region, for a window. The grant itself lives
// with the other grants (policies); this record is what both parties list
// and what a revocation marks.
type Delegation struct {
	ID         string      `json:"id"`
	Grantor    string      `json:"from"`
	Grantee    string      `json:"to"`
	Role       domain.Role `json:"role"`
	Scope      string      `json:"scope"`
	Actions    []string    `json:"actions"`
	ValidFrom  time.Time   `json:"valid_from"`
	ValidUntil time.Time   `json:"valid_until"`
	CreatedAt  time.Time   `json:"created_at"`
	RevokedAt  *time.Time  `json:"revoked_at"`
	RevokedBy  string      `json:"revoked_by"`
}

type delegationRow struct {
	ID         string `gorm:"primaryKey"`
	Grantor    string
	Grantee    string
	Role       string
	Scope      string
	Actions    string
	ValidFrom  time.Time
	ValidUntil time.Time
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	RevokedAt  *time.Time
	RevokedBy  string
}

func (delegationRow) TableName() string { return "delegations" }

func (r delegationRow) delegation() Delegation {
	return Delegation{ID: r.ID, Grantor: r.Grantor, Grantee: r.Grantee, Role: domain.Role(r.Role), Scope: r.Scope,
		Actions: strings.Split(r.Actions, "|"), ValidFrom: r.ValidFrom.UTC(), ValidUntil: r.ValidUntil.UTC(),
		CreatedAt: r.CreatedAt.UTC(), RevokedAt: utcPtr(r.RevokedAt), RevokedBy: r.RevokedBy}
}

// CreateDelegation stores d.
func (db *DB) CreateDelegation(ctx context.Context, d Delegation) error {
	row := delegationRow{ID: d.ID, Grantor: d.Grantor, Grantee: d.Grantee, Role: string(d.Role), Scope: d.Scope,
		Actions: strings.Join(d.Actions, "|"), ValidFrom: d.ValidFrom.UTC(), ValidUntil: d.ValidUntil.UTC(), CreatedAt: d.CreatedAt.UTC()}
	if err := db.orm.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create delegation: %w", err)
	}
	return nil
}

// GetDelegation reads one delegation; ENOTFOUND when there is none.
func (db *DB) GetDelegation(ctx context.Context, id string) (Delegation, error) {
	var row delegationRow
	err := db.orm.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Delegation{}, domain.Errorf(domain.ENOTFOUND, "Pendelegasian %q tidak ditemukan.", id)
	}
	if err != nil {
		return Delegation{}, fmt.Errorf("get delegation: %w", err)
	}
	return row.delegation(), nil
}

// ListDelegations lists the delegations username gave or received, newest
// first.
func (db *DB) ListDelegations(ctx context.Context, username string) ([]Delegation, error) {
	var rows []delegationRow
	if err := db.orm.WithContext(ctx).Where("grantor = ? OR grantee = ?", username, username).
		Order("created_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list delegations: %w", err)
	}
	out := make([]Delegation, len(rows))
	for i, r := range rows {
		out[i] = r.delegation()
	}
	return out, nil
}

// RevokeDelegation marks delegation id revoked by `by` at `at`.
func (db *DB) RevokeDelegation(ctx context.Context, id, by string, at time.Time) error {
	res := db.orm.WithContext(ctx).Model(&delegationRow{}).Where("id = ? AND revoked_at IS NULL", id).
		Updates(map[string]any{"revoked_at": at.UTC(), "revoked_by": by})
	if res.Error != nil {
		return fmt.Errorf("revoke delegation: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.ECONFLICT, "Pendelegasian %q sudah dicabut.", id)
	}
	return nil
}
