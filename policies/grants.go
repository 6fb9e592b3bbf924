package policies

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// maxField is the width of a casbin_rule column.
const maxField = 100

// GrantEvent is one audited change to a user's grants: the admin audit view
// answers "who gave whom which authority, when".
type GrantEvent struct {
	Username  string       `json:"username"`
	Grant     domain.Grant `json:"grant"`
	Change    string       `json:"change"` // GrantChangeGrant or GrantChangeRevoke
	ChangedBy string       `json:"changed_by"`
	ChangedAt time.Time    `json:"changed_at"`
}

// The two kinds of GrantEvent, as stored in grant_events.change.
const (
	GrantChangeGrant  = "grant"
	GrantChangeRevoke = "revoke"
)

// normalizeGrant truncates the validity to the second (what casbin_rule
// stores) in UTC, and validates the grant; messages are for the user.
func normalizeGrant(by, username string, g domain.Grant) (domain.Grant, error) {
	var v domain.Validation
	if by == "" {
		v.Add("changed_by", "Pelaku perubahan wajib diketahui.")
	}
	switch {
	case username == "":
		v.Add("username", "Nama pengguna wajib diisi.")
	case len(username) > maxField:
		v.Add("username", "Nama pengguna paling panjang %d karakter.", maxField)
	}
	if !domain.ValidRole(g.Role) {
		v.Add("role", "Peran %q tidak dikenal.", string(g.Role))
	} else if lvl := g.Role.ScopeLevel(); lvl == 0 {
		if g.Scope != domain.NationalScope {
			v.Add("scope", "Peran %s berlaku nasional: cakupannya harus \"*\".", g.Role)
		}
	} else if got, err := domain.ParseRegionCode(g.Scope); err != nil || !(g.Role.AcceptsScope(got) || (len(g.Actions) > 0 && got == lvl+1)) {
		// A delegation (named actions) may reach one region below the
		// role's level: a kab/kota's review of one kecamatan.
		v.Add("scope", "Cakupan peran %s harus %s.", g.Role, g.Role.ScopeHint())
	}
	for i, a := range g.Actions {
		if a == "" || strings.Contains(a, "|") {
			v.Add(fmt.Sprintf("actions[%d]", i), "Aksi %q tidak valid.", a)
		}
	}
	if g.ValidFrom != nil {
		t := g.ValidFrom.UTC().Truncate(time.Second)
		g.ValidFrom = &t
	}
	if g.ValidUntil != nil {
		t := g.ValidUntil.UTC().Truncate(time.Second)
		g.ValidUntil = &t
	}
	if g.ValidFrom != nil && g.ValidUntil != nil && !g.ValidUntil.After(*g.ValidFrom) {
		v.Add("valid_until", "Tanggal akhir berlaku harus setelah tanggal mulai berlaku.")
	}
	return g, v.Err()
}

// AddGrant gives username role within scope, optionally for a validity window
// (a delegation). A grant of the same role and scope is replaced, so a
// delegation is extended or shortened by granting it again. by is who
// decided, for the audit. Refused: unknown role, a scope of the wrong level,
// an empty window (EINVALID); mixing admin with a business role (EINVALID,
// separation of duties); changing one's own grants (EFORBIDDEN).
func (a *Enforcer) AddGrant(ctx context.Context, by, username string, g domain.Grant) error {
	g, err := normalizeGrant(by, username, g)
	if err != nil {
		return err
	}
	if by == username {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak dapat mengubah hak akses Anda sendiri.")
	}
	entry, err := parseGrant(string(g.Role), g.Scope, timeField(g.ValidFrom), timeField(g.ValidUntil), actionsField(g.Actions))
	if err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	return a.change(ctx, func(tx store.GrantTx) error {
		existing, err := tx.UserGrants(username)
		if err != nil {
			return fmt.Errorf("policies: %w", err)
		}
		var replaced []uint
		for _, e := range existing {
			if e.Role == string(g.Role) && e.Scope == g.Scope {
				replaced = append(replaced, e.ID)
				continue
			}
			if (e.Role == string(domain.RoleAdmin)) != (g.Role == domain.RoleAdmin) {
				var v domain.Validation
				v.Add("role", "Peran admin tidak dapat digabung dengan peran lain pada pengguna yang sama (pemisahan tugas); pengguna ini sudah memegang peran %s.", e.Role)
				return v.Err()
			}
		}
		if err := tx.DeleteGrants(replaced); err != nil {
			return fmt.Errorf("policies: %w", err)
		}
		if err := tx.InsertGrant(store.GrantLine{Username: username, Role: string(g.Role), Scope: g.Scope,
			ValidFrom: timeField(g.ValidFrom), ValidUntil: timeField(g.ValidUntil), Actions: actionsField(g.Actions)}); err != nil {
			return fmt.Errorf("policies: %w", err)
		}
		return audit(tx, by, username, g, GrantChangeGrant)
	}, func(st *state) {
		gs := withoutGrant(st.grants[username], g.Role, g.Scope)
		gs = append(gs, entry)
		sortGrants(gs)
		st.grants[username] = gs
	})
}

// RemoveGrant takes role within scope away from username, whatever its
// validity window; ENOTFOUND when the user holds no such grant.
func (a *Enforcer) RemoveGrant(ctx context.Context, by, username string, role domain.Role, scope string) error {
	var v domain.Validation
	if by == "" {
		v.Add("changed_by", "Pelaku perubahan wajib diketahui.")
	}
	if username == "" {
		v.Add("username", "Nama pengguna wajib diisi.")
	}
	if !domain.ValidRole(role) {
		v.Add("role", "Peran %q tidak dikenal.", string(role))
	}
	if scope == "" {
		v.Add("scope", "Cakupan wajib diisi.")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if by == username {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak dapat mengubah hak akses Anda sendiri.")
	}
	return a.change(ctx, func(tx store.GrantTx) error {
		all, err := tx.UserGrants(username)
		if err != nil {
			return fmt.Errorf("policies: %w", err)
		}
		var rows []store.GrantLine
		var ids []uint
		for _, r := range all {
			if r.Role == string(role) && r.Scope == scope {
				rows, ids = append(rows, r), append(ids, r.ID)
			}
		}
		if len(rows) == 0 {
			return domain.Errorf(domain.ENOTFOUND, "Pengguna %s tidak memegang peran %s dengan cakupan %s.", username, role, scope)
		}
		if err := tx.DeleteGrants(ids); err != nil {
			return fmt.Errorf("policies: %w", err)
		}
		for _, r := range rows {
			e, err := parseGrant(r.Role, r.Scope, r.ValidFrom, r.ValidUntil, r.Actions)
			g := domain.Grant{Role: role, Scope: scope}
			if err == nil {
				g = e.grant()
			}
			if err := audit(tx, by, username, g, GrantChangeRevoke); err != nil {
				return err
			}
		}
		return nil
	}, func(st *state) {
		gs := withoutGrant(st.grants[username], role, scope)
		if len(gs) == 0 {
			delete(st.grants, username)
		} else {
			st.grants[username] = gs
		}
	})
}

// GrantEvents lists the audited grant changes of username, oldest first.
func (a *Enforcer) GrantEvents(ctx context.Context, username string) ([]GrantEvent, error) {
	rows, err := a.db.GrantEvents(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	out := make([]GrantEvent, 0, len(rows))
	for _, r := range rows {
		g := domain.Grant{Role: domain.Role(r.Role), Scope: r.Scope, ValidFrom: utc(r.ValidFrom), ValidUntil: utc(r.ValidUntil)}
		out = append(out, GrantEvent{Username: r.Username, Grant: g, Change: r.Change, ChangedBy: r.ChangedBy, ChangedAt: r.ChangedAt.UTC()})
	}
	return out, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func audit(tx store.GrantTx, by, username string, g domain.Grant, change string) error {
	ev := store.GrantEvent{Username: username, Role: string(g.Role), Scope: g.Scope, Change: change,
		ValidFrom: g.ValidFrom, ValidUntil: g.ValidUntil, ChangedBy: by, ChangedAt: time.Now().UTC()}
	if err := tx.Audit(ev); err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	return nil
}

// withoutGrant returns a new slice without role@scope: readers may still hold
// the old one.
func withoutGrant(gs []grantEntry, role domain.Role, scope string) []grantEntry {
	out := make([]grantEntry, 0, len(gs)+1)
	for _, g := range gs {
		if g.role != role || g.scope != scope {
			out = append(out, g)
		}
	}
	return out
}

// change runs write in one transaction with the audit row, then applies the
// same change in memory so this process sees it at once. When nobody else
// changed casbin_rule since the last load, the new revision is adopted and
// the poller does not reload for our own change.
func (a *Enforcer) change(ctx context.Context, write func(tx store.GrantTx) error, apply func(st *state)) error {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	before, after, err := a.db.ChangeGrants(ctx, write)
	if err != nil {
		return err
	}
	a.mu.Lock()
	apply(a.st)
	if a.st.revision == before {
		a.st.revision = after
	}
	a.mu.Unlock()
	return nil
}
