package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/rencana-id/rencana/internal/domain"
)

// The API's reads of the proposals projection: lists and details filtered by
// the caller's region scopes in SQL, and the task inbox. Pages use keysets,
// never OFFSET, so a page costs the same at the end of a long list as at its
// start and rows inserted meanwhile neither repeat nor vanish.

// MaxPageSize bounds every page the store returns.
const MaxPageSize = 200

// ProposalCursor is the keyset of the proposal list (newest first): the
// last row of a page.
type ProposalCursor struct {
	CreatedAt time.Time
	ID        string
}

// ProposalQuery selects a page of proposals.
type ProposalQuery struct {
	// Scopes are the caller's visible scopes (policies VisibleScopes): a
	// proposal is listed when its region lies in one of them; "*" sees all,
	// none sees nothing.
	Scopes []string
	// CycleID, Stage narrow to one cycle, one stage; empty means any.
	CycleID string
	Stage   domain.Stage
	// Region narrows to a region subtree ("74.05" lists 74.05 and below).
	Region string
	// Q searches title and description, case-insensitively.
	Q string
	// After is the cursor of the previous page; nil starts at the newest.
	After *ProposalCursor
	// Limit is the page size, 1..MaxPageSize (default 50).
	Limit int
}

// scopeCondition is "region_code lies in one of scopes" as SQL, exactly the
// coverage rule of domain.ScopeCovers: the scope itself or below its dot.
// ok is false when scopes cover nothing.
func scopeCondition(scopes []string) (sql string, args []any, ok bool) {
	if slices.Contains(scopes, domain.NationalScope) {
		return "", nil, true
	}
	var parts []string
	for _, s := range scopes {
		if s == "" {
			continue
		}
		sql, a := inRegion("region_code", s)
		parts = append(parts, sql)
		args = append(args, a...)
	}
	if len(parts) == 0 {
		return "", nil, false
	}
	return "(" + strings.Join(parts, " OR ") + `)`, args, true
}

func pageSize(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}

// ListProposals returns a page of the proposals q selects, newest first,
// and the cursor of the next page (nil on the last page).
func (db *DB) ListProposals(ctx context.Context, q ProposalQuery) ([]domain.Proposal, *ProposalCursor, error) {
	tx, ok := db.selectProposals(ctx, q)
	if !ok {
		return []domain.Proposal{}, nil, nil
	}
	limit := pageSize(q.Limit)
	if a := q.After; a != nil {
		at := a.CreatedAt.UTC()
		// A row-value comparison, which both engines turn into one seek on
		// proposals_created_idx (an OR of two conditions is not).
		tx = tx.Where("(created_at, id) < (?, ?)", at, a.ID)
	}
	var rows []proposalRow
	if err := tx.Order("created_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("list proposals: %w", err)
	}
	out, err := rowsToProposals(rows, limit)
	if err != nil {
		return nil, nil, err
	}
	var next *ProposalCursor
	if len(rows) > limit {
		last := out[len(out)-1]
		next = &ProposalCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return out, next, nil
}

// selectProposals is the query of the proposals q selects, its scopes,
// cycle, stage, region and words, without paging; ok is false when the
// scopes let nothing through.
func (db *DB) selectProposals(ctx context.Context, q ProposalQuery) (_ *gorm.DB, ok bool) {
	cond, args, ok := scopeCondition(q.Scopes)
	if !ok {
		return nil, false
	}
	tx := db.orm.WithContext(ctx).Model(&proposalRow{})
	if cond != "" {
		tx = tx.Where(cond, args...)
	}
	if q.CycleID != "" {
		tx = tx.Where("cycle_id = ?", q.CycleID)
	}
	if q.Stage != "" {
		tx = tx.Where("stage = ?", string(q.Stage))
	}
	if q.Region != "" {
		// The API accepts only well-formed region codes here.
		if sql, args := inRegion("region_code", q.Region); sql != "" {
			tx = tx.Where(sql, args...)
		}
	}
	if s := strings.TrimSpace(q.Q); s != "" {
		pattern := "%" + likeEscaper.Replace(strings.ToLower(s)) + "%"
		tx = tx.Where(`(LOWER(title) LIKE ? ESCAPE '\' OR LOWER(description) LIKE ? ESCAPE '\')`, pattern, pattern)
	}
	return tx, true
}

// ProposalSummary counts what a ProposalQuery selects, whatever its size:
// the proposals and their amounts in all, per stage and per kab/kota.
type ProposalSummary struct {
	Count     int64
	AmountIDR int64
	// Stages are in domain.Stages order, only those with proposals.
	Stages []SummaryGroup
	// KabKota are keyed by domain.RegionKabKota (a province's own
	// proposals count under the province), largest amount first.
	KabKota []SummaryGroup
}

// SummaryGroup is one stage's or one kab/kota's share of a summary.
type SummaryGroup struct {
	Key       string
	Count     int64
	AmountIDR int64
}

// SummarizeProposals counts the proposals q selects (Limit and After are
// ignored) in the database, so a cycle page need not read them all.
func (db *DB) SummarizeProposals(ctx context.Context, q ProposalQuery) (ProposalSummary, error) {
	var sum ProposalSummary
	tx, ok := db.selectProposals(ctx, q)
	if !ok {
		return sum, nil
	}
	// One pass grouped by stage and region; kab/kota are folded here, as
	// domain.RegionKabKota says, rather than in each engine's SQL.
	var rows []struct {
		Stage      string
		RegionCode string
		N          int64
		Amount     int64
	}
	if err := tx.Select("stage, region_code, COUNT(*) AS n, COALESCE(SUM(amount_idr), 0) AS amount").
		Group("stage, region_code").Scan(&rows).Error; err != nil {
		return sum, fmt.Errorf("summarize proposals: %w", err)
	}
	stages := map[string]*SummaryGroup{}
	kab := map[string]*SummaryGroup{}
	add := func(m map[string]*SummaryGroup, key string, n, amount int64) {
		g := m[key]
		if g == nil {
			g = &SummaryGroup{Key: key}
			m[key] = g
		}
		g.Count += n
		g.AmountIDR += amount
	}
	for _, r := range rows {
		sum.Count += r.N
		sum.AmountIDR += r.Amount
		add(stages, r.Stage, r.N, r.Amount)
		add(kab, domain.RegionKabKota(r.RegionCode), r.N, r.Amount)
	}
	for _, st := range domain.Stages {
		if g := stages[string(st)]; g != nil {
			sum.Stages = append(sum.Stages, *g)
		}
	}
	for _, g := range kab {
		sum.KabKota = append(sum.KabKota, *g)
	}
	slices.SortFunc(sum.KabKota, func(a, b SummaryGroup) int {
		return cmp.Or(cmp.Compare(b.AmountIDR, a.AmountIDR), cmp.Compare(a.Key, b.Key))
	})
	return sum, nil
}

func rowsToProposals(rows []proposalRow, limit int) ([]domain.Proposal, error) {
	if len(rows) > limit {
		rows = rows[:limit]
	}
	out := make([]domain.Proposal, 0, len(rows))
	for _, r := range rows {
		p, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// GetProposalWithin returns a proposal only when its region lies in one of
// scopes; otherwise ENOTFOUND, the same answer as for an id that does not
// exist, so a caller cannot learn that another region's proposal exists.
func (db *DB) GetProposalWithin(ctx context.Context, id string, scopes []string) (domain.Proposal, error) {
	notFound := domain.Errorf(domain.ENOTFOUND, "Usulan %q tidak ditemukan.", id)
	cond, args, ok := scopeCondition(scopes)
	if !ok {
		return domain.Proposal{}, notFound
	}
	tx := db.orm.WithContext(ctx).Where("id = ?", id)
	if cond != "" {
		tx = tx.Where(cond, args...)
	}
	var row proposalRow
	err := tx.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return domain.Proposal{}, notFound
	}
	if err != nil {
		return domain.Proposal{}, fmt.Errorf("get proposal: %w", err)
	}
	return row.domain()
}

// TaskClause selects the proposals in one stage that a caller may act on
// through one grant: the API derives clauses from the caller's grants and
// the policy, the store turns each into one index-ordered query.
type TaskClause struct {
	Stage domain.Stage
	// Within is a region scope: the clause covers its subtree; "*" covers
	// every region.
	Within string
	// Lengths, when set, keeps only region codes of these lengths, i.e. of
	// these levels (2 provinsi, 5 kab/kota, 8 kecamatan, 13 desa): a policy
	// reach such as "kab/kota-level proposals only".
	Lengths []int
	// Regions, when set, replaces Within by these exact region codes.
	Regions []string
	// CreatedBy, when set, keeps only proposals this user created (the
	// creator-only withdraw).
	CreatedBy string
	// CycleIDs, when not nil, keeps only proposals of these cycles (those
	// whose calendar allows the clause's actions now); empty matches nothing.
	CycleIDs []string
}

// TaskCursor is the keyset of the task inbox (soonest due first).
type TaskCursor struct {
	DueAt time.Time
	ID    string
}

// TaskQuery asks for the next candidates of a task inbox.
type TaskQuery struct {
	Clauses []TaskClause
	After   *TaskCursor
	Limit   int
}

// regionLengths are the lengths of Kemendagri codes by level; a scope of
// one of these lengths is a prefix an index on substr(region_code, 1, n)
// serves (schema 00005).
var regionLengths = []int{2, 5, 8, 13}

// ListTaskCandidates returns up to Limit distinct proposals matched by any
// clause, ordered by due date then id, after the cursor. Proposals without
// a due date are not tasks (every open stage has one: the cycle's calendar
// has every date). Each clause is one query that walks an index in due order
// and stops after Limit rows, so the cost follows the page size, not the
// number of proposals; the results are merged here.
func (db *DB) ListTaskCandidates(ctx context.Context, q TaskQuery) ([]domain.Proposal, error) {
	limit := pageSize(q.Limit)
	var all []proposalRow
	for _, c := range q.Clauses {
		if c.CycleIDs != nil && len(c.CycleIDs) == 0 {
			continue
		}
		tx := db.orm.WithContext(ctx).Model(&proposalRow{}).
			Where("stage = ? AND due_at IS NOT NULL", string(c.Stage))
		switch {
		case len(c.Regions) > 0:
			tx = tx.Where("region_code IN ?", c.Regions)
		case c.Within == domain.NationalScope:
		case slices.Contains(regionLengths, len(c.Within)):
			// The literal length makes the expression match the index's.
			tx = tx.Where(fmt.Sprintf("substr(region_code, 1, %d) = ?", len(c.Within)), c.Within)
		default:
			return nil, fmt.Errorf("task clause: scope %q is not a region code", c.Within)
		}
		if len(c.Lengths) > 0 {
			tx = tx.Where("length(region_code) IN ?", c.Lengths)
		}
		if c.CreatedBy != "" {
			tx = tx.Where("created_by = ?", c.CreatedBy)
		}
		if c.CycleIDs != nil {
			tx = tx.Where("cycle_id IN ?", c.CycleIDs)
		}
		if a := q.After; a != nil {
			at := a.DueAt.UTC()
			tx = tx.Where("(due_at, id) > (?, ?)", at, a.ID)
		}
		var rows []proposalRow
		if err := tx.Order("due_at, id").Limit(limit).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		all = append(all, rows...)
	}
	slices.SortFunc(all, func(a, b proposalRow) int {
		if c := a.DueAt.Compare(*b.DueAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	all = slices.CompactFunc(all, func(a, b proposalRow) bool { return a.ID == b.ID })
	return rowsToProposals(all, limit)
}

// UserQuery pages through users by username.
type UserQuery struct {
	// After is the last username of the previous page.
	After string
	Limit int
}

// ListUsers returns a page of users ordered by username, without password
// hashes, and whether more follow.
func (db *DB) ListUsers(ctx context.Context, q UserQuery) ([]User, bool, error) {
	limit := pageSize(q.Limit)
	tx := db.orm.WithContext(ctx).Omit("password_hash").Order("username").Limit(limit + 1)
	if q.After != "" {
		tx = tx.Where("username > ?", q.After)
	}
	var rows []userRow
	if err := tx.Find(&rows).Error; err != nil {
		return nil, false, fmt.Errorf("list users: %w", err)
	}
	more := len(rows) > limit
	if more {
		rows = rows[:limit]
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		r.PasswordHash = ""
		out[i] = User(r)
	}
	return out, more, nil
}

// DeleteUser removes an account; the API uses it to undo a user creation
// whose grants could not be saved, so no half-made account stays behind.
func (db *DB) DeleteUser(ctx context.Context, username string) error {
	res := db.orm.WithContext(ctx).Where("username = ?", username).Delete(&userRow{})
	if res.Error != nil {
		return fmt.Errorf("delete user: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.ENOTFOUND, "Pengguna %q tidak ditemukan.", username)
	}
	return nil
}
