package policies

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/casbin/casbin/v2"

	"github.com/rencana-id/rencana/internal/domain"
)

// permKey is one (role, object, action) of the policy.
type permKey struct {
	role domain.Role
	obj  string
	act  string
}

// grantEntry is a `g` line parsed once at load so decisions compare integers.
type grantEntry struct {
	role  domain.Role
	scope string
	from  int64 // unix seconds, inclusive; math.MinInt64 when unbounded
	until int64 // unix seconds, exclusive; math.MaxInt64 when unbounded
	rank  int   // position of role in domain.Roles, for stable ordering
	// actions, when not nil, limits a delegated grant to these actions
	// (reading is always allowed).
	actions []string
}

// allows reports whether the grant may be used for act at all.
func (g grantEntry) allows(act string) bool {
	return g.actions == nil || act == ActRead || slices.Contains(g.actions, act)
}

func (g grantEntry) activeAt(sec int64) bool { return g.from <= sec && sec < g.until }

func (g grantEntry) grant() domain.Grant {
	out := domain.Grant{Role: g.role, Scope: g.scope, Actions: slices.Clone(g.actions)}
	if g.from != math.MinInt64 {
		t := time.Unix(g.from, 0).UTC()
		out.ValidFrom = &t
	}
	if g.until != math.MaxInt64 {
		t := time.Unix(g.until, 0).UTC()
		out.ValidUntil = &t
	}
	return out
}

// specificity ranks scopes: a decision reports the most specific grant.
func specificity(scope string) int {
	if scope == domain.NationalScope {
		return 0
	}
	return len(scope)
}

var roleRank = func() map[domain.Role]int {
	m := make(map[domain.Role]int, len(domain.Roles))
	for i, r := range domain.Roles {
		m[r] = i
	}
	return m
}()

// state is one consistent view of policy and grants. perms never changes
// after build; grants is replaced per user (a new slice), never mutated in
// place, so readers holding the RLock see whole slices.
type state struct {
	revision int64
	enforcer *casbin.Enforcer // the Casbin model with the p lines, the authority perms is compiled from
	rules    [][]string       // the p lines as loaded
	perms    map[permKey]reachSet
	grants   map[string][]grantEntry
}

// compile builds the fast-path permission index from the enforcer's p lines.
func compile(e *casbin.Enforcer) (map[permKey]reachSet, [][]string, error) {
	rules, err := e.GetNamedPolicy("p")
	if err != nil {
		return nil, nil, fmt.Errorf("policies: read policy: %w", err)
	}
	perms := make(map[permKey]reachSet, len(rules))
	for _, r := range rules {
		if err := checkRule(r); err != nil {
			return nil, nil, fmt.Errorf("policies: policy line %v: %w", r, err)
		}
		rs, _ := parseReach(r[3])
		k := permKey{role: domain.Role(r[0]), obj: r[1], act: r[2]}
		perms[k] |= rs
	}
	return perms, rules, nil
}

// stateFromRules builds a state from policy rules and grants without a
// database; New loads the rules through store.CasbinAdapter instead.
func stateFromRules(rules [][]string, grants map[string][]grantEntry) (*state, error) {
	e, err := newEnforcer()
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		if err := checkRule(r); err != nil {
			return nil, err
		}
		if err := e.GetModel().AddPolicy("p", "p", r); err != nil {
			return nil, fmt.Errorf("policies: add policy %v: %w", r, err)
		}
	}
	return newState(e, grants)
}

func newState(e *casbin.Enforcer, grants map[string][]grantEntry) (*state, error) {
	perms, rules, err := compile(e)
	if err != nil {
		return nil, err
	}
	if grants == nil {
		grants = map[string][]grantEntry{}
	}
	return &state{enforcer: e, rules: rules, perms: perms, grants: grants}, nil
}

// decide is the hot path: the user's grants active at sec whose role holds
// (obj, act) with a reach from the grant's scope to region. The most specific
// scope wins, then the role order of domain.Roles.
func (s *state) decide(username, obj, act, region string, sec int64) Decision {
	var (
		best  *grantEntry
		gs    = s.grants[username]
		found bool
	)
	for i := range gs {
		g := &gs[i]
		if !g.activeAt(sec) || !g.allows(act) {
			continue
		}
		rs, ok := s.perms[permKey{role: g.role, obj: obj, act: act}]
		if !ok || !rs.reaches(g.scope, region) {
			continue
		}
		if !found || specificity(g.scope) > specificity(best.scope) ||
			(specificity(g.scope) == specificity(best.scope) && g.rank < best.rank) {
			best, found = g, true
		}
	}
	if !found {
		return Decision{}
	}
	return Decision{Allowed: true, Role: best.role, Scope: best.scope}
}

// roleAllows reports whether role holds (obj, act) at all, whatever the region.
func (s *state) roleAllows(role domain.Role, obj, act string) bool {
	_, ok := s.perms[permKey{role: role, obj: obj, act: act}]
	return ok
}

// sortGrants orders a user's grants by role, then scope, then start, so
// listings are stable.
func sortGrants(gs []grantEntry) {
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.scope != b.scope {
			return a.scope < b.scope
		}
		return a.from < b.from
	})
}

// timeField renders a validity bound as stored in casbin_rule: RFC 3339 UTC
// at second precision, or "" when unbounded.
func timeField(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// actionsField renders a delegation's actions as stored in casbin_rule's
// v5: joined by "|", "" for an unrestricted grant.
func actionsField(actions []string) string { return strings.Join(actions, "|") }

// parseGrant turns a `g` line (username, role, scope, from, until,
// actions) into an entry; it rejects what no valid AddGrant could have
// written.
func parseGrant(role, scope, from, until, actions string) (grantEntry, error) {
	r := domain.Role(role)
	rank, ok := roleRank[r]
	if !ok {
		return grantEntry{}, fmt.Errorf("unknown role %q", role)
	}
	if scope == "" {
		return grantEntry{}, fmt.Errorf("empty scope")
	}
	e := grantEntry{role: r, scope: scope, from: math.MinInt64, until: math.MaxInt64, rank: rank}
	if actions != "" {
		e.actions = strings.Split(actions, "|")
	}
	if from != "" {
		t, err := time.Parse(time.RFC3339, from)
		if err != nil {
			return grantEntry{}, fmt.Errorf("valid_from: %w", err)
		}
		e.from = t.Unix()
	}
	if until != "" {
		t, err := time.Parse(time.RFC3339, until)
		if err != nil {
			return grantEntry{}, fmt.Errorf("valid_until: %w", err)
		}
		e.until = t.Unix()
	}
	return e, nil
}
