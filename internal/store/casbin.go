package store

import (
	"context"
	"fmt"
	"time"

	"github.com/casbin/casbin/v2/persist"
	gormadapter "github.com/casbin/gorm-adapter/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The Casbin tables: casbin_rule holds the policy (`p`) lines, seeded from
// policies/policy.csv, and the grants (`g` lines: user, role, scope,
// valid_from, valid_until); policy_revision counts changes so every
// process knows when to reload; grant_events audits every grant change.
// policies reads and changes them only through these methods.

// CasbinAdapter is the Casbin adapter over casbin_rule, for the enforcer to
// load the policy lines from (see CasbinPolicyFilter). The adapter keeps
// the *gorm.DB it is given and TurnOffAutoMigrate changes that value in
// place, so it gets its own copy, on a context that outlives any request
// (the adapter reuses it for every later load).
func (db *DB) CasbinAdapter() (persist.FilteredAdapter, error) {
	adb := db.orm.WithContext(context.Background())
	gormadapter.TurnOffAutoMigrate(adb)
	a, err := gormadapter.NewAdapterByDBUseTableName(adb, "", "casbin_rule")
	if err != nil {
		return nil, fmt.Errorf("store: casbin adapter: %w", err)
	}
	return a, nil
}

// CasbinPolicyFilter selects the policy (`p`) lines for
// LoadFilteredPolicy: grants are loaded by Grants, not through Casbin.
func CasbinPolicyFilter() any { return gormadapter.Filter{Ptype: []string{"p"}} }

// SeedPolicy makes the `p` lines of casbin_rule equal rules (role, object,
// action, reach) without touching grants, and reports what it added and
// removed; it writes nothing when they already are. Several instances may
// start at once: a line another one just inserted is not an error.
func (db *DB) SeedPolicy(ctx context.Context, rules [][4]string) (added, removed int, err error) {
	want := make(map[[4]string]bool, len(rules))
	for _, r := range rules {
		want[r] = true
	}
	diff := func(tx *gorm.DB) (missing []gormadapter.CasbinRule, extra []uint, err error) {
		var have []gormadapter.CasbinRule
		if err := tx.Where("ptype = ?", "p").Find(&have).Error; err != nil {
			return nil, nil, fmt.Errorf("store: read policy lines: %w", err)
		}
		seen := make(map[[4]string]bool, len(have))
		for _, h := range have {
			k := [4]string{h.V0, h.V1, h.V2, h.V3}
			if !want[k] || h.V4 != "" || h.V5 != "" || seen[k] {
				extra = append(extra, h.ID)
				continue
			}
			seen[k] = true
		}
		for _, r := range rules {
			if !seen[r] {
				missing = append(missing, gormadapter.CasbinRule{Ptype: "p", V0: r[0], V1: r[1], V2: r[2], V3: r[3]})
			}
		}
		return missing, extra, nil
	}
	g := db.orm.WithContext(ctx)
	missing, extra, err := diff(g)
	if err != nil || (len(missing) == 0 && len(extra) == 0) {
		return 0, 0, err
	}
	err = g.Transaction(func(tx *gorm.DB) error {
		if missing, extra, err = diff(tx); err != nil {
			return err
		}
		if len(extra) > 0 {
			if err := tx.Where("id IN ?", extra).Delete(&gormadapter.CasbinRule{}).Error; err != nil {
				return fmt.Errorf("store: remove stale policy lines: %w", err)
			}
		}
		if len(missing) > 0 {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&missing).Error; err != nil {
				return fmt.Errorf("store: add policy lines: %w", err)
			}
		}
		return nil
	})
	return len(missing), len(extra), err
}

// GrantLine is one grant as casbin_rule stores it: validity bounds are
// RFC 3339 text, empty for none.
type GrantLine struct {
	ID         uint
	Username   string
	Role       string
	Scope      string
	ValidFrom  string
	ValidUntil string
	// Actions are the named actions of a delegation, "|"-separated (v5);
	// empty for a whole role.
	Actions string
}

// GrantLines reads every grant.
func (db *DB) GrantLines(ctx context.Context) ([]GrantLine, error) {
	return grantLines(db.orm.WithContext(ctx), "ptype = ?", "g")
}

func grantLines(tx *gorm.DB, where string, args ...any) ([]GrantLine, error) {
	var rows []gormadapter.CasbinRule
	if err := tx.Where(where, args...).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: read grants: %w", err)
	}
	out := make([]GrantLine, len(rows))
	for i, r := range rows {
		out[i] = GrantLine{ID: r.ID, Username: r.V0, Role: r.V1, Scope: r.V2, ValidFrom: r.V3, ValidUntil: r.V4, Actions: r.V5}
	}
	return out, nil
}

// PolicyRevision is the count of changes to casbin_rule: a process whose
// view was loaded at another revision reloads.
func (db *DB) PolicyRevision(ctx context.Context) (int64, error) {
	return readRevision(db.orm.WithContext(ctx))
}

func readRevision(tx *gorm.DB) (int64, error) {
	var rev int64
	if err := tx.Raw("SELECT revision FROM policy_revision WHERE id = 1").Scan(&rev).Error; err != nil {
		return 0, fmt.Errorf("store: read policy revision: %w", err)
	}
	return rev, nil
}

// GrantEvent is one audited change to a user's grants (grant_events).
type GrantEvent struct {
	ID         int64 `gorm:"primaryKey"`
	Username   string
	Role       string
	Scope      string
	Change     string
	ValidFrom  *time.Time
	ValidUntil *time.Time
	ChangedBy  string
	ChangedAt  time.Time
}

// TableName maps GrantEvent to grant_events (schema 00001).
func (GrantEvent) TableName() string { return "grant_events" }

// GrantEvents lists the audited grant changes of username, oldest first.
func (db *DB) GrantEvents(ctx context.Context, username string) ([]GrantEvent, error) {
	var rows []GrantEvent
	if err := db.orm.WithContext(ctx).Where("username = ?", username).Order("changed_at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: read grant events: %w", err)
	}
	return rows, nil
}

// GrantTx changes grants inside ChangeGrants' transaction.
type GrantTx struct{ tx *gorm.DB }

// UserGrants reads username's grants.
func (t GrantTx) UserGrants(username string) ([]GrantLine, error) {
	return grantLines(t.tx, "ptype = ? AND v0 = ?", "g", username)
}

// DeleteGrants removes the grant lines of ids.
func (t GrantTx) DeleteGrants(ids []uint) error {
	if len(ids) == 0 {
		return nil
	}
	if err := t.tx.Where("id IN ?", ids).Delete(&gormadapter.CasbinRule{}).Error; err != nil {
		return fmt.Errorf("store: remove grant: %w", err)
	}
	return nil
}

// InsertGrant adds one grant line.
func (t GrantTx) InsertGrant(g GrantLine) error { return t.InsertGrants([]GrantLine{g}) }

// InsertGrants adds grant lines, 2,000 to a statement.
func (t GrantTx) InsertGrants(gs []GrantLine) error {
	rows := make([]gormadapter.CasbinRule, len(gs))
	for i, g := range gs {
		rows[i] = gormadapter.CasbinRule{Ptype: "g", V0: g.Username, V1: g.Role, V2: g.Scope, V3: g.ValidFrom, V4: g.ValidUntil, V5: g.Actions}
	}
	if err := t.tx.CreateInBatches(rows, 2000).Error; err != nil {
		return fmt.Errorf("store: add grant: %w", err)
	}
	return nil
}

// Audit records one grant change.
func (t GrantTx) Audit(ev GrantEvent) error {
	if err := t.tx.Create(&ev).Error; err != nil {
		return fmt.Errorf("store: audit grant change: %w", err)
	}
	return nil
}

// ChangeGrants runs write in one transaction that holds policy_revision's
// row lock (PostgreSQL; SQLite transactions already hold the write lock),
// and answers the revision before and after: when nobody else wrote in
// between, after is exactly "before + ours" and the caller need not reload.
func (db *DB) ChangeGrants(ctx context.Context, write func(GrantTx) error) (before, after int64, err error) {
	err = db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Table("policy_revision").Select("revision").Where("id = ?", 1)
		if db.Dialect == Postgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Scan(&before).Error; err != nil {
			return fmt.Errorf("store: lock policy revision: %w", err)
		}
		if err := write(GrantTx{tx}); err != nil {
			return err
		}
		after, err = readRevision(tx)
		return err
	})
	return before, after, err
}
