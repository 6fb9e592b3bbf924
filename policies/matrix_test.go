package policies

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// matrixUser holds one grant per role, in the order of domain.Roles.
var matrixUsers = []struct {
	username string
	role     domain.Role
	scope    string
}{
	{"u.pkec", domain.RolePerencanaKecamatan, "74.05.03"},
	{"u.camat", domain.RoleCamat, "74.05.03"},
	{"u.pkab", domain.RolePerencanaKabKota, "74.05"},
	{"u.reviewer", domain.RoleReviewerKabKota, "74.05"},
	{"u.kadiskab", domain.RoleKadisKabKota, "74.05"},
	{"u.pprov", domain.RolePerencanaProvinsi, "74"},
	{"u.kadisprov", domain.RoleKadisProvinsi, "74"},
	{"u.penghubung", domain.RolePenghubungKementrian, "*"},
	{"u.admin", domain.RoleAdmin, "*"},
	{"u.pkk", domain.RolePKK, "74.05.03"},
	{"u.operator", domain.RoleOperatorData, "74.05"},
	{"u.satgas", domain.RoleSatgasKMP, "74.05"},
	{"u.opdesa", domain.RoleOperatorDesa, "74.05.03.2001"},
}

// targets are the regions of the matrix columns for a grant scope, in the
// column order: own scope, child, sibling, parent, other province, national
// ("*", what the API passes for national objects). A national scope has no
// sibling or parent: those columns use arbitrary regions, all of which it
// covers.
func targets(scope string) [6]string {
	switch scope {
	case "74.05.03.2001": // a desa has no child: the own column twice
		return [6]string{"74.05.03.2001", "74.05.03.2001", "74.05.03.2002", "74.05.03", "73.01.02.2001", "*"}
	case "74.05.03":
		return [6]string{"74.05.03", "74.05.03.2001", "74.05.04", "74.05", "73.01.02", "*"}
	case "74.05":
		return [6]string{"74.05", "74.05.03", "74.71", "74", "73.01", "*"}
	case "74":
		return [6]string{"74", "74.05", "75", "*", "73.01", "*"}
	case "*":
		return [6]string{"*", "74", "73.01", "74.05.03", "11.01", "*"}
	}
	panic("no targets for " + scope)
}

const targetNames = "own,child,sibling,parent,other-province,national"

// matrix states, for every object/action and every role (domain.Roles order),
// the expected answer per target column (Y allow, N deny).
var matrix = []struct {
	obj, act string
	want     [13]string // pkec, camat, pkab, reviewer, kadiskab, pprov, kadisprov, penghubung, admin, pkk, operator, satgas, opdesa
}{
	{ObjProposal, ActRead, [13]string{"YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYYYYY", "YYYYYY", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjProposal, ActCreate, [13]string{"YYNNNN", "NNNNNN", "YNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjProposal, ActEdit, [13]string{"YYNNNN", "NNNNNN", "YNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},

	{StageObject(domain.StageDraft), "submit", [13]string{"NNNNNN", "YYNNNN", "YNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageDraft), "withdraw", [13]string{"YYNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageKabKotaReview), "withdraw", [13]string{"YYNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageKabKotaReview), "approve", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageKabKotaReview), "return", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageKabKotaReview), "reject", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageRakorda), "accept", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageRakorda), "defer", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageRakorda), "reject", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageConsolidation), "consolidate", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageMinistry), "fund", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageMinistry), "decline", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{StageObject(domain.StageSIPDMapping), "map", [13]string{"NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},

	{ObjCycle, ActLock, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjCycle, ActCreate, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjCycle, ActUpdate, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjCycle, ActRead, [13]string{"YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYYYYY", "YYYYYY", "YYNYNY", "NNNNNN", "NNNNNN", "NNNNNN"}},

	{ObjRakorda, ActRead, [13]string{"NNNNNN", "NNNNNN", "YYNYNY", "YYNYNY", "YYNYNY", "YYNNNN", "YYNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjCycleEvents, ActRead, [13]string{"NNNNNN", "NNNNNN", "YYNYNY", "YYNYNY", "YYNYNY", "YYNNNN", "YYNNNN", "YYYYYY", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjLockProgress, ActRead, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "YYNNNN", "YYYYYY", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjAudit, ActRead, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjConsolidation, ActRead, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "YYNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjExports, ActDownload, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "YYNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjRakorda, ActRecord, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YNNNNN", "YNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjBUMDes, ActRead, [13]string{"NNNNNN", "NNNNNN", "YYNYNY", "NNNNNN", "NNNNNN", "YYNNNN", "YYNNNN", "YYYYYY", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjBUMDes, ActManage, [13]string{"NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},

	{ObjUsers, ActRead, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjUsers, ActManage, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjGrants, ActRead, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjGrants, ActManage, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},

	{ObjReference, ActRead, [13]string{"YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYYYYY", "YYYYYY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY"}},
	{ObjReference, ActImport, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjTasks, ActRead, [13]string{"YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYYYYY", "NNNNNN", "YYNYNY", "NNNNNN", "YYNYNY", "YYNYNY"}},
	{ObjNotifications, ActRead, [13]string{"YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYYYYY", "YYYYYY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY"}},
	{ObjDelegations, ActCreate, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjDelegations, ActRead, [13]string{"YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYYYYY", "YYYYYY", "YYNYNY", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjNotifications, ActUpdate, [13]string{"YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY", "YYYYYY", "YYYYYY", "YYNYNY", "YYNYNY", "YYNYNY", "YYNYNY"}},
	{ObjRegister, ActRead, [13]string{"YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYYYYY", "YYYYYY", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN"}},
	{ObjRegister, ActManage, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN"}},
	{ObjDataRound, ActRead, [13]string{"NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYYYYY", "YYYYYY", "NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN"}},
	{ObjDataRound, ActOpen, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjDataRound, "submit", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjDataRound, "verify", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjDataRound, "return", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YNNNNN", "NYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjDataRound, "accept", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjDataRound, "reopen", [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN"}},
	{ObjKMP, ActRead, [13]string{"YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYNNNN", "YYYYYY", "YYYYYY", "NNNNNN", "NNNNNN", "YYNNNN", "YYNNNN"}},
	{ObjKMP, ActStart, [13]string{"NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN", "YYNNNN", "YYYYYY", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN"}},
	{ObjKMP, ActRecord, [13]string{"NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN"}},
	{ObjKMP, ActImport, [13]string{"NNNNNN", "YYNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "NNNNNN", "YYNNNN", "NNNNNN"}},
}

// matrixCell is one row of the flattened matrix: a user, a request, an answer.
type matrixCell struct {
	name     string
	username string
	role     domain.Role
	scope    string
	obj, act string
	region   string
	allow    bool
}

func matrixCells(t testing.TB) []matrixCell {
	t.Helper()
	cols := splitComma(targetNames)
	var cells []matrixCell
	for _, row := range matrix {
		for i, u := range matrixUsers {
			want := row.want[i]
			require.Len(t, want, 6, "%s %s %s", row.obj, row.act, u.role)
			tg := targets(u.scope)
			for c := 0; c < 6; c++ {
				require.Contains(t, "YN", string(want[c]))
				cells = append(cells, matrixCell{
					name:     fmt.Sprintf("%s/%s/%s/%s(%s)", u.role, row.obj, row.act, cols[c], tg[c]),
					username: u.username, role: u.role, scope: u.scope,
					obj: row.obj, act: row.act, region: tg[c], allow: want[c] == 'Y',
				})
			}
		}
	}
	return cells
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func defaultRules(t testing.TB) [][]string {
	t.Helper()
	rules, err := ParsePolicy(DefaultPolicy)
	require.NoError(t, err)
	return rules
}

func matrixGrants() map[string][]grantEntry {
	gs := map[string][]grantEntry{}
	for _, u := range matrixUsers {
		e, err := parseGrant(string(u.role), u.scope, "", "", "")
		if err != nil {
			panic(err)
		}
		gs[u.username] = []grantEntry{e}
	}
	return gs
}

// flips counts the matrix cells st answers differently from the table.
func flips(cells []matrixCell, st *state, sec int64) (n int, first string) {
	for _, c := range cells {
		if st.decide(c.username, c.obj, c.act, c.region, sec).Allowed != c.allow {
			if n == 0 {
				first = c.name
			}
			n++
		}
	}
	return n, first
}

// TestMatrix runs every role × action × target through a real Authorizer on
// both databases: the seeded policy, the stored grants, the decisions.
func TestMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := New(ctx, db, WithPollInterval(0))
		require.NoError(t, err)
		t.Cleanup(a.Close)
		for _, u := range matrixUsers {
			require.NoError(t, a.AddGrant(ctx, "matrix.admin", u.username, domain.Grant{Role: u.role, Scope: u.scope}))
		}
		now := time.Now()
		for _, c := range matrixCells(t) {
			d, err := a.Decide(ctx, Request{Username: c.username, Object: c.obj, Action: c.act, Region: c.region, At: now})
			require.NoError(t, err)
			if c.allow {
				require.True(t, d.Allowed, "want allow: %s", c.name)
				require.Equal(t, c.role, d.Role, c.name)
				require.Equal(t, c.scope, d.Scope, c.name)
			} else {
				require.False(t, d.Allowed, "want deny: %s", c.name)
				require.Equal(t, Decision{}, d, c.name)
			}
		}
	})
}

// TestDelegationWindow: a camat delegated reviewer_kabkota for a kab/kota
// reviews only inside the window; outside it the camat is only a camat.
func TestDelegationWindow(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	a, err := New(ctx, db, WithPollInterval(0))
	require.NoError(t, err)
	t.Cleanup(a.Close)

	now := time.Now().UTC().Truncate(time.Second)
	yesterday, tomorrow := now.Add(-24*time.Hour), now.Add(24*time.Hour)
	weekAgo := now.Add(-7 * 24 * time.Hour)
	for _, u := range []string{"camat.expired", "camat.future", "camat.active"} {
		require.NoError(t, a.AddGrant(ctx, "kadis", u, domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03"}))
	}
	require.NoError(t, a.AddGrant(ctx, "kadis", "camat.expired", domain.Grant{Role: domain.RoleReviewerKabKota, Scope: "74.05", ValidFrom: &weekAgo, ValidUntil: &yesterday}))
	require.NoError(t, a.AddGrant(ctx, "kadis", "camat.future", domain.Grant{Role: domain.RoleReviewerKabKota, Scope: "74.05", ValidFrom: &tomorrow}))
	require.NoError(t, a.AddGrant(ctx, "kadis", "camat.active", domain.Grant{Role: domain.RoleReviewerKabKota, Scope: "74.05", ValidFrom: &yesterday, ValidUntil: &tomorrow}))

	rows := []struct {
		name   string
		user   string
		stage  domain.Stage
		action domain.Action
		region string
		at     time.Time
		allow  bool
		role   domain.Role
		scope  string
	}{
		{"expired delegation approves nothing", "camat.expired", domain.StageKabKotaReview, domain.ActionApprove, "74.05.03", now, false, "", ""},
		{"expired delegation, sibling kecamatan", "camat.expired", domain.StageKabKotaReview, domain.ActionApprove, "74.05.04", now, false, "", ""},
		{"expired delegation was valid two days ago", "camat.expired", domain.StageKabKotaReview, domain.ActionApprove, "74.05.04", now.Add(-48 * time.Hour), true, domain.RoleReviewerKabKota, "74.05"},
		{"valid_until is exclusive", "camat.expired", domain.StageKabKotaReview, domain.ActionReject, "74.05.03", yesterday, false, "", ""},
		{"expired delegate is still camat", "camat.expired", domain.StageDraft, domain.ActionSubmit, "74.05.03", now, true, domain.RoleCamat, "74.05.03"},
		{"future delegation approves nothing yet", "camat.future", domain.StageKabKotaReview, domain.ActionApprove, "74.05.03", now, false, "", ""},
		{"future delegation, kab/kota proposal", "camat.future", domain.StageKabKotaReview, domain.ActionReturn, "74.05", now, false, "", ""},
		{"valid_from is inclusive", "camat.future", domain.StageKabKotaReview, domain.ActionApprove, "74.05.03", tomorrow, true, domain.RoleReviewerKabKota, "74.05"},
		{"active delegation approves in the kab/kota", "camat.active", domain.StageKabKotaReview, domain.ActionApprove, "74.05.04", now, true, domain.RoleReviewerKabKota, "74.05"},
		{"active delegation, own kecamatan: most specific grant is camat but camat cannot approve", "camat.active", domain.StageKabKotaReview, domain.ActionApprove, "74.05.03", now, true, domain.RoleReviewerKabKota, "74.05"},
		{"active delegation does not reach another kab/kota", "camat.active", domain.StageKabKotaReview, domain.ActionApprove, "74.71.01", now, false, "", ""},
		{"active delegation gives no rakorda decision", "camat.active", domain.StageRakorda, domain.ActionAccept, "74.05.03", now, false, "", ""},
		{"submit is decided through the camat grant, the most specific", "camat.active", domain.StageDraft, domain.ActionSubmit, "74.05.03", now, true, domain.RoleCamat, "74.05.03"},
	}
	for _, r := range rows {
		d, err := a.CanStage(ctx, r.user, r.stage, r.action, r.region, r.at)
		require.NoError(t, err, r.name)
		require.Equal(t, Decision{Allowed: r.allow, Role: r.role, Scope: r.scope}, d, r.name)
	}

	acts, err := a.AllowedActions(ctx, "camat.active", domain.StageKabKotaReview, "74.05.03", now)
	require.NoError(t, err)
	require.Equal(t, []domain.Action{domain.ActionApprove, domain.ActionReturn, domain.ActionReject}, acts)
	acts, err = a.AllowedActions(ctx, "camat.expired", domain.StageKabKotaReview, "74.05.03", now)
	require.NoError(t, err)
	require.Equal(t, []domain.Action{}, acts)

	active, err := a.ActiveGrants(ctx, "camat.expired", now)
	require.NoError(t, err)
	require.Equal(t, []domain.Grant{{Role: domain.RoleCamat, Scope: "74.05.03"}}, active)
	all, err := a.Grants(ctx, "camat.expired")
	require.NoError(t, err)
	require.Len(t, all, 2)

	scopes, err := a.VisibleScopes(ctx, "camat.active", now)
	require.NoError(t, err)
	require.Equal(t, []string{"74.05"}, scopes, "74.05.03 is inside 74.05")
	scopes, err = a.VisibleScopes(ctx, "camat.future", now)
	require.NoError(t, err)
	require.Equal(t, []string{"74.05.03"}, scopes)
	scopes, err = a.VisibleScopes(ctx, "nobody", now)
	require.NoError(t, err)
	require.Equal(t, []string{}, scopes)
}

// TestMatrixCatchesRemovedLine: every default policy line matters: without
// it at least one matrix row answers differently.
func TestMatrixCatchesRemovedLine(t *testing.T) {
	rules := defaultRules(t)
	cells := matrixCells(t)
	sec := time.Now().Unix()
	st, err := stateFromRules(rules, matrixGrants())
	require.NoError(t, err)
	n, first := flips(cells, st, sec)
	require.Zero(t, n, "the default policy itself disagrees with the matrix, first at %s", first)
	for i, r := range rules {
		without := append(append([][]string{}, rules[:i]...), rules[i+1:]...)
		st, err := stateFromRules(without, matrixGrants())
		require.NoError(t, err)
		n, _ := flips(cells, st, sec)
		require.NotZero(t, n, "removing policy line %v changes no matrix row", r)
	}
}

// TestMatrixCatchesWidenedLine: widening any line (a wider reach, or the same
// right for another role) flips at least one matrix row.
func TestMatrixCatchesWidenedLine(t *testing.T) {
	rules := defaultRules(t)
	cells := matrixCells(t)
	sec := time.Now().Unix()
	has := map[permKey]bool{}
	for _, r := range rules {
		has[permKey{domain.Role(r[0]), r[1], r[2]}] = true
	}
	check := func(changed [][]string, what string) {
		st, err := stateFromRules(changed, matrixGrants())
		require.NoError(t, err)
		n, _ := flips(cells, st, sec)
		require.NotZero(t, n, "%s changes no matrix row", what)
	}
	for i, r := range rules {
		for _, wider := range []string{ReachIn, ReachRelated} {
			// For a national scope every reach means the same: nothing to widen.
			if r[3] == wider || r[3] == ReachRelated || domain.Role(r[0]).ScopeLevel() == 0 {
				continue
			}
			changed := append([][]string{}, rules...)
			changed[i] = []string{r[0], r[1], r[2], wider}
			check(changed, fmt.Sprintf("widening %v to reach %s", r, wider))
		}
		for _, role := range domain.Roles {
			if has[permKey{role, r[1], r[2]}] {
				continue
			}
			changed := append(append([][]string{}, rules...), []string{string(role), r[1], r[2], ReachIn})
			check(changed, fmt.Sprintf("giving %s %s %s", role, r[1], r[2]))
		}
	}
}

// TestStageTable: policy.csv grants exactly the roles of the stage table
// (domain.Transitions): no role may take an action at a stage the table
// does not list for it (terminal stages included), and every listed one is
// granted.
func TestStageTable(t *testing.T) {
	st, err := stateFromRules(defaultRules(t), nil)
	require.NoError(t, err)
	for _, stage := range domain.Stages {
		for _, act := range domain.Actions {
			for _, role := range domain.Roles {
				tr, ok := domain.FindTransition(stage, act)
				listed := ok && slices.Contains(tr.Roles, role)
				got := st.roleAllows(role, StageObject(stage), string(act))
				require.Equal(t, listed, got, "%s may %s at %s", role, act, stage)
			}
		}
	}
	// No stray proposal:<x> object or action outside domain's lists.
	known := map[string]bool{}
	for _, s := range domain.Stages {
		for _, act := range domain.Actions {
			known[StageObject(s)+" "+string(act)] = true
		}
	}
	for _, r := range st.rules {
		if len(r[1]) > len(stageObjectPrefix) && r[1][:len(stageObjectPrefix)] == stageObjectPrefix {
			require.True(t, known[r[1]+" "+r[2]], "policy line %v is not a stage action", r)
		}
	}
	// Cycle lock, the stage table's cycle row.
	for _, role := range domain.Roles {
		require.Equal(t, slices.Contains(domain.CycleLock.Roles, role), st.roleAllows(role, ObjCycle, ActLock), "%s may lock", role)
	}
}

// TestCompiledAgreesWithCasbin: the fast path answers exactly what Casbin's
// enforcer answers with model.conf and the loaded policy, on every role,
// object, action, scope and region combination the tests know.
func TestCompiledAgreesWithCasbin(t *testing.T) {
	st, err := stateFromRules(defaultRules(t), nil)
	require.NoError(t, err)
	objActs := map[[2]string]bool{}
	for _, row := range matrix {
		objActs[[2]string{row.obj, row.act}] = true
	}
	for _, s := range domain.Stages {
		for _, act := range domain.Actions {
			objActs[[2]string{StageObject(s), string(act)}] = true
		}
	}
	scopes := []string{"74.05.03", "74.05", "74", "*"}
	regions := []string{"*", "74", "75", "74.05", "74.050", "74.71", "74.05.03", "74.05.04", "74.05.03.2001", "73.01", "73.01.02"}
	n := 0
	for _, role := range domain.Roles {
		for oa := range objActs {
			for _, scope := range scopes {
				for _, region := range regions {
					want, err := st.enforcer.Enforce(string(role), scope, region, oa[0], oa[1])
					require.NoError(t, err)
					e := grantEntry{role: role, scope: scope, from: math.MinInt64, until: math.MaxInt64}
					one := &state{perms: st.perms, grants: map[string][]grantEntry{"x": {e}}}
					got := one.decide("x", oa[0], oa[1], region, 0).Allowed
					require.Equal(t, want, got, "%s@%s %s %s on %s", role, scope, oa[0], oa[1], region)
					n++
				}
			}
		}
	}
	t.Logf("%d combinations agree", n)
}

func TestRegionReach(t *testing.T) {
	for _, c := range []struct {
		reach, scope, region string
		want                 bool
	}{
		{ReachIn, "74.05", "74.05.03", true},
		{ReachIn, "74.05", "74.05.03.2001", true},
		{ReachIn, "74.05", "74.050", false},
		{ReachIn, "74.05", "74", false},
		{ReachIn, "*", "74.05", true},
		{ReachIn, "74", "*", false},
		{ReachKabKota, "74.05", "74.05", true},
		{ReachKabKota, "74.05", "74.05.03", false},
		{ReachKabKota, "74", "74.05", true},
		{ReachProvinsi, "74", "74", true},
		{ReachProvinsi, "*", "74", true},
		{ReachProvinsi, "74", "74.05", false},
		{ReachRelated, "74.05.03", "74", true},
		{ReachRelated, "74.05.03", "*", true},
		{ReachRelated, "74.05.03", "74.05.04", false},
		{ReachRelated, "74.05", "74.050", false},
	} {
		got, err := regionReachFunc(c.scope, c.region, c.reach)
		require.NoError(t, err)
		require.Equal(t, c.want, got, "%s %s→%s", c.reach, c.scope, c.region)
	}
}
