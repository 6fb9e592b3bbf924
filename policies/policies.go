// Package policies decides who may do what where. The Casbin model
// (model.conf) is RBAC with domains: a domain is a region scope that covers
// every region code under it; the default policy (policy.csv) is role ×
// object × action × reach, with proposal actions per stage
// ("proposal:kabkota_review", "approve"). Grants are Casbin `g` lines in
// casbin_rule: username × role × scope with an optional validity window, which
// is how a kepala dinas delegates part of an authority for a while.
//
// The Authorizer keeps one in-memory view of the policy and of every grant,
// indexed by username, so a decision costs a map lookup and a loop over the
// caller's few grants, whatever the number of users. Casbin parses the model
// and policy, loads the policy through the Casbin adapter the store provides
// (store.CasbinAdapter), and is the authority
// the fast path is compiled from (a test checks they agree on every input).
//
// Keeping several API processes in step: every write to casbin_rule bumps
// policy_revision.revision through a database trigger (schema 00003), so it
// does not matter who wrote. Each Authorizer polls that one-row table (every
// 2 s by default, WithPollInterval) and reloads everything when it changed.
// Its own changes are applied in memory at once. Polling was preferred to
// LISTEN/NOTIFY because it works the same on SQLite and PostgreSQL, survives
// dropped connections without a resubscribe protocol, and costs one indexed
// single-row read per interval.
package policies

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/casbin/casbin/v2/persist"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// DefaultPollInterval is how often an Authorizer checks whether another
// process changed grants or policy: the "within a few seconds" of docs/ARCHITECTURE.md.
const DefaultPollInterval = 2 * time.Second

// Request asks whether Username may do Action on Object for Region at At (zero
// means now). Region is the proposal's region code, a cycle's province, or "*"
// for national objects (see policy.csv).
type Request struct {
	Username string
	Object   string
	Action   string
	Region   string
	At       time.Time
}

// Decision says whether a request is allowed and through which grant, so the
// workflow can record "in which role" an action was taken.
type Decision struct {
	Allowed bool
	Role    domain.Role
	Scope   string
}

// Option configures New.
type Option func(*options)

type options struct {
	poll time.Duration
	log  *slog.Logger
}

// WithPollInterval sets how often other processes' changes are looked for;
// zero or negative turns polling off (a single process, or tests).
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithLogger sets where reload failures are reported.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Authorizer is what the API asks of authorization: decisions, the
// regions a user may see, and the grants it administers. Enforcer, over
// Casbin, is the implementation.
type Authorizer interface {
	// Decide answers one request: may this user do this action on this
	// object in this region now, and under which grant.
	Decide(ctx context.Context, req Request) (Decision, error)
	// CanStage is Decide for a stage action on a proposal in a stage: the
	// API calls it before sending the workflow's Update (the workflow
	// itself does no I/O and re-checks only the stage table's guards).
	CanStage(ctx context.Context, username string, stage domain.Stage, action domain.Action, region string, at time.Time) (Decision, error)
	// VisibleScopes are the region scopes whose proposals the user may
	// read at `at` (the SQL filter of lists and details).
	VisibleScopes(ctx context.Context, username string, at time.Time) ([]string, error)
	Grants(ctx context.Context, username string) ([]domain.Grant, error)
	ActiveGrants(ctx context.Context, username string, at time.Time) ([]domain.Grant, error)
	// AddGrant and RemoveGrant change a user's grants and audit the
	// change (who, when, what) in the same transaction.
	AddGrant(ctx context.Context, by, username string, g domain.Grant) error
	RemoveGrant(ctx context.Context, by, username string, role domain.Role, scope string) error
	GrantEvents(ctx context.Context, username string) ([]GrantEvent, error)
	// RoleActions lists the proposal actions role may take in some stage:
	// what a kepala dinas may delegate of his role.
	RoleActions(role domain.Role) []domain.Action
}

var _ Authorizer = (*Enforcer)(nil)

// Enforcer is the Authorizer over Casbin, for the API and the workflows.
// It is safe for concurrent use; decisions never touch the database.
type Enforcer struct {
	db      *store.DB
	adapter persist.FilteredAdapter
	log     *slog.Logger

	// syncMu orders local changes and reloads, so a reload that read the
	// database before a local change cannot overwrite it in memory.
	syncMu sync.Mutex
	mu     sync.RWMutex // guards st and the grants map inside it
	st     *state

	cancel    context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// New seeds the default policy into casbin_rule (idempotent), loads policy
// and grants, and starts polling for changes made by other processes. Call
// Close when done.
func New(ctx context.Context, db *store.DB, opts ...Option) (*Enforcer, error) {
	o := options{poll: DefaultPollInterval, log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	rules, err := ParsePolicy(DefaultPolicy)
	if err != nil {
		return nil, err
	}
	adapter, err := db.CasbinAdapter()
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	a := &Enforcer{db: db, adapter: adapter, log: o.log, done: make(chan struct{})}
	if err := a.seed(ctx, rules); err != nil {
		return nil, err
	}
	if err := a.Reload(ctx); err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	if o.poll > 0 {
		go a.poll(pctx, o.poll)
	} else {
		close(a.done)
	}
	return a, nil
}

// Close stops the background polling; decisions keep working on the last
// loaded view. It is safe to call more than once.
func (a *Enforcer) Close() {
	a.closeOnce.Do(func() {
		a.cancel()
		<-a.done
	})
}

// seed makes the `p` lines of casbin_rule equal the default policy without
// touching `g` lines; it writes nothing when they already are.
func (a *Enforcer) seed(ctx context.Context, rules [][]string) error {
	want := make([][4]string, len(rules))
	for i, r := range rules {
		want[i] = [4]string{r[0], r[1], r[2], r[3]}
	}
	added, removed, err := a.db.SeedPolicy(ctx, want)
	if err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	if added > 0 || removed > 0 {
		a.log.Info("default policy seeded", "added", added, "removed", removed)
	}
	return nil
}

// Reload reads policy and grants from the database and replaces the
// in-memory view; the poller calls it, and callers that changed casbin_rule
// behind the Authorizer's back may too.
func (a *Enforcer) Reload(ctx context.Context) error {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	st, err := a.load(ctx)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.st = st
	a.mu.Unlock()
	return nil
}

// load builds a fresh state. The revision is read first: a change committed
// while loading makes the next poll reload again, never the reverse.
func (a *Enforcer) load(ctx context.Context) (*state, error) {
	rev, err := a.db.PolicyRevision(ctx)
	if err != nil {
		return nil, err
	}
	e, err := newEnforcer()
	if err != nil {
		return nil, err
	}
	e.SetAdapter(a.adapter)
	// Only the p lines go through Casbin; grants are indexed below.
	if err := e.LoadFilteredPolicy(store.CasbinPolicyFilter()); err != nil {
		return nil, fmt.Errorf("policies: load policy: %w", err)
	}
	grants, err := a.loadGrants(ctx)
	if err != nil {
		return nil, err
	}
	st, err := newState(e, grants)
	if err != nil {
		return nil, err
	}
	st.revision = rev
	return st, nil
}

func (a *Enforcer) loadGrants(ctx context.Context) (map[string][]grantEntry, error) {
	lines, err := a.db.GrantLines(ctx)
	if err != nil {
		return nil, fmt.Errorf("policies: load grants: %w", err)
	}
	grants := make(map[string][]grantEntry)
	for _, l := range lines {
		g, err := parseGrant(l.Role, l.Scope, l.ValidFrom, l.ValidUntil, l.Actions)
		if err != nil {
			// A hand-edited bad row must not lock everyone out.
			a.log.Warn("ignoring invalid grant", "username", l.Username, "role", l.Role, "scope", l.Scope, "error", err)
			continue
		}
		grants[l.Username] = append(grants[l.Username], g)
	}
	for _, gs := range grants {
		sortGrants(gs)
	}
	return grants, nil
}

func (a *Enforcer) poll(ctx context.Context, every time.Duration) {
	defer close(a.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.pollOnce(ctx, every); err != nil && ctx.Err() == nil {
			a.log.Warn("policies: checking for policy changes failed", "error", err)
		}
	}
}

func (a *Enforcer) pollOnce(ctx context.Context, every time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, every+30*time.Second)
	defer cancel()
	rev, err := a.db.PolicyRevision(ctx)
	if err != nil {
		return err
	}
	a.mu.RLock()
	cur := a.st.revision
	a.mu.RUnlock()
	if rev == cur {
		return nil
	}
	return a.Reload(ctx)
}

// now turns a request time into unix seconds, zero meaning the present.
func (a *Enforcer) now(at time.Time) int64 {
	if at.IsZero() {
		return time.Now().Unix()
	}
	return at.Unix()
}

// Decide answers one authorization request with the role and scope it was
// allowed through. A denial is Decision{Allowed: false} with a nil error;
// an error means the request itself was malformed.
func (a *Enforcer) Decide(_ context.Context, req Request) (Decision, error) {
	if req.Region == "" {
		return Decision{}, errors.New("policies: request without region")
	}
	if req.Username == "" || req.Object == "" || req.Action == "" {
		return Decision{}, nil
	}
	sec := a.now(req.At)
	a.mu.RLock()
	d := a.st.decide(req.Username, req.Object, req.Action, req.Region, sec)
	a.mu.RUnlock()
	return d, nil
}

// CanStage decides a proposal action in a stage for a proposal of region: the
// call the API makes before an action, for allowed_actions and the inbox
// (the workflow validators do no I/O: they apply the stage table only).
func (a *Enforcer) CanStage(ctx context.Context, username string, stage domain.Stage, action domain.Action, region string, at time.Time) (Decision, error) {
	return a.Decide(ctx, Request{Username: username, Object: StageObject(stage), Action: string(action), Region: region, At: at})
}

// AllowedActions lists the proposal actions username may take on a proposal
// of region in stage, in domain.Actions order: the proposal's
// "allowed_actions" and the task inbox. Stage and ownership rules (creator,
// separation of duties, deadlines) are the workflow's to add.
func (a *Enforcer) AllowedActions(ctx context.Context, username string, stage domain.Stage, region string, at time.Time) ([]domain.Action, error) {
	if region == "" {
		return nil, errors.New("policies: request without region")
	}
	obj := StageObject(stage)
	sec := a.now(at)
	out := []domain.Action{}
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, act := range domain.Actions {
		if a.st.decide(username, obj, string(act), region, sec).Allowed {
			out = append(out, act)
		}
	}
	return out, nil
}

// Grants lists every grant of username, active or not, as the last load and
// local changes know them: the admin screens and /me.
func (a *Enforcer) Grants(_ context.Context, username string) ([]domain.Grant, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	gs := a.st.grants[username]
	out := make([]domain.Grant, 0, len(gs))
	for _, g := range gs {
		out = append(out, g.grant())
	}
	return out, nil
}

// ActiveGrants lists the grants of username in force at at (zero: now): what
// the login response shows and what decisions use.
func (a *Enforcer) ActiveGrants(_ context.Context, username string, at time.Time) ([]domain.Grant, error) {
	sec := a.now(at)
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := []domain.Grant{}
	for _, g := range a.st.grants[username] {
		if g.activeAt(sec) {
			out = append(out, g.grant())
		}
	}
	return out, nil
}

// VisibleScopes returns the scopes whose proposals username may read at at:
// the API filters its SQL with them (region_code = s OR LIKE s || '.%', or no
// filter for "*"). Scopes covered by another are dropped; the result is
// sorted and empty, not nil, when the user may read nothing.
func (a *Enforcer) VisibleScopes(_ context.Context, username string, at time.Time) ([]string, error) {
	sec := a.now(at)
	var scopes []string
	a.mu.RLock()
	for _, g := range a.st.grants[username] {
		if g.activeAt(sec) && a.st.roleAllows(g.role, ObjProposal, ActRead) {
			scopes = append(scopes, g.scope)
		}
	}
	a.mu.RUnlock()
	out := []string{}
	for i, s := range scopes {
		covered := false
		for j, o := range scopes {
			if i != j && domain.ScopeCovers(o, s) && (o != s || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Holders lists the users who hold role, in force at at (zero: now), with a
// scope that covers region: the people a notification "to the reviewers of
// 74.05" reaches. Sorted, so mail goes out in a stable order.
func (a *Enforcer) Holders(_ context.Context, role domain.Role, region string, at time.Time) ([]string, error) {
	sec := a.now(at)
	var out []string
	a.mu.RLock()
	for username, gs := range a.st.grants {
		for _, g := range gs {
			if g.role == role && g.activeAt(sec) && domain.ScopeCovers(g.scope, region) {
				out = append(out, username)
				break
			}
		}
	}
	a.mu.RUnlock()
	sort.Strings(out)
	return out, nil
}

// RoleActions lists, in domain.Actions order, the proposal actions the
// policy gives role in at least one stage.
func (a *Enforcer) RoleActions(role domain.Role) []domain.Action {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []domain.Action
	for _, act := range domain.Actions {
		for _, st := range domain.Stages {
			if a.st.roleAllows(role, StageObject(st), string(act)) {
				out = append(out, act)
				break
			}
		}
	}
	return out
}
