package policies

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

func fieldsOf(t *testing.T, err error, code string) map[string]string {
	t.Helper()
	var de *domain.Error
	require.True(t, errors.As(err, &de), "want *domain.Error, got %v", err)
	require.Equal(t, code, de.Code, err.Error())
	out := map[string]string{}
	for _, f := range de.Fields {
		require.NotEmpty(t, f.Message)
		out[f.Field] = f.Message
	}
	return out
}

func TestGrantLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := New(ctx, db, WithPollInterval(0))
		require.NoError(t, err)
		t.Cleanup(a.Close)
		now := time.Now()
		submit := func() Decision {
			d, err := a.CanStage(ctx, "budi", domain.StageDraft, domain.ActionSubmit, "74.05.03", now)
			require.NoError(t, err)
			return d
		}
		require.False(t, submit().Allowed)

		require.NoError(t, a.AddGrant(ctx, "admin", "budi", domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03"}))
		require.Equal(t, Decision{Allowed: true, Role: domain.RoleCamat, Scope: "74.05.03"}, submit(), "visible at once")

		// Granting again replaces the window: the delegation now ended an hour ago.
		from := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("WITA", 8*3600))
		until := now.Add(-time.Hour)
		require.NoError(t, a.AddGrant(ctx, "admin", "budi", domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03", ValidFrom: &from, ValidUntil: &until}))
		require.False(t, submit().Allowed)
		gs, err := a.Grants(ctx, "budi")
		require.NoError(t, err)
		require.Len(t, gs, 1)
		require.Equal(t, from.UTC().Truncate(time.Second), *gs[0].ValidFrom)
		require.Equal(t, until.UTC().Truncate(time.Second), *gs[0].ValidUntil)

		var rows []store.GrantLine
		all, err := db.GrantLines(ctx)
		require.NoError(t, err)
		for _, l := range all {
			if l.Username == "budi" {
				rows = append(rows, l)
			}
		}
		require.Len(t, rows, 1)
		require.Equal(t, "2026-01-01T19:04:05Z", rows[0].ValidFrom, "RFC 3339 UTC, second precision")
		require.Equal(t, until.UTC().Format(time.RFC3339), rows[0].ValidUntil)

		require.NoError(t, a.RemoveGrant(ctx, "admin", "budi", domain.RoleCamat, "74.05.03"))
		gs, err = a.Grants(ctx, "budi")
		require.NoError(t, err)
		require.Empty(t, gs)
		err = a.RemoveGrant(ctx, "admin", "budi", domain.RoleCamat, "74.05.03")
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err), "%v", err)

		evs, err := a.GrantEvents(ctx, "budi")
		require.NoError(t, err)
		require.Len(t, evs, 3)
		require.Equal(t, GrantChangeGrant, evs[0].Change)
		require.Nil(t, evs[0].Grant.ValidUntil)
		require.Equal(t, GrantChangeGrant, evs[1].Change)
		require.NotNil(t, evs[1].Grant.ValidUntil)
		require.Equal(t, GrantChangeRevoke, evs[2].Change)
		require.Equal(t, until.UTC().Truncate(time.Second), *evs[2].Grant.ValidUntil, "the revoke records what was taken away")
		for _, ev := range evs {
			require.Equal(t, "admin", ev.ChangedBy)
			require.Equal(t, domain.RoleCamat, ev.Grant.Role)
			require.Equal(t, "74.05.03", ev.Grant.Scope)
			require.WithinDuration(t, time.Now(), ev.ChangedAt, time.Minute)
		}
	})
}

func TestGrantValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := New(ctx, db, WithPollInterval(0))
		require.NoError(t, err)
		t.Cleanup(a.Close)
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		t1 := t0.Add(time.Hour)

		f := fieldsOf(t, a.AddGrant(ctx, "admin", "x", domain.Grant{Role: "bupati", Scope: "74.05"}), domain.EINVALID)
		require.Contains(t, f, "role")
		f = fieldsOf(t, a.AddGrant(ctx, "admin", "x", domain.Grant{Role: domain.RoleCamat, Scope: "74.05"}), domain.EINVALID)
		require.Contains(t, f["scope"], "kecamatan")
		f = fieldsOf(t, a.AddGrant(ctx, "admin", "x", domain.Grant{Role: domain.RoleKadisProvinsi, Scope: "*"}), domain.EINVALID)
		require.Contains(t, f["scope"], "provinsi")
		f = fieldsOf(t, a.AddGrant(ctx, "admin", "x", domain.Grant{Role: domain.RoleReviewerKabKota, Scope: "74.050"}), domain.EINVALID)
		require.Contains(t, f, "scope")
		f = fieldsOf(t, a.AddGrant(ctx, "admin", "x", domain.Grant{Role: domain.RoleAdmin, Scope: "74"}), domain.EINVALID)
		require.Contains(t, f["scope"], "*")
		f = fieldsOf(t, a.AddGrant(ctx, "admin", "x", domain.Grant{Role: domain.RolePenghubungKementrian, Scope: "*", ValidFrom: &t1, ValidUntil: &t0}), domain.EINVALID)
		require.Contains(t, f["valid_until"], "setelah")
		f = fieldsOf(t, a.AddGrant(ctx, "admin", "x", domain.Grant{Role: domain.RolePenghubungKementrian, Scope: "*", ValidFrom: &t0, ValidUntil: &t0}), domain.EINVALID)
		require.Contains(t, f, "valid_until")
		f = fieldsOf(t, a.AddGrant(ctx, "admin", "", domain.Grant{Role: "", Scope: ""}), domain.EINVALID)
		require.Contains(t, f, "username")
		require.Contains(t, f, "role")
		f = fieldsOf(t, a.RemoveGrant(ctx, "admin", "x", "bupati", "74"), domain.EINVALID)
		require.Contains(t, f, "role")

		// Separation of duties.
		require.Equal(t, domain.EFORBIDDEN, domain.ErrorCode(a.AddGrant(ctx, "ani", "ani", domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03"})))
		require.NoError(t, a.AddGrant(ctx, "root", "ani", domain.Grant{Role: domain.RoleAdmin, Scope: "*"}))
		f = fieldsOf(t, a.AddGrant(ctx, "root", "ani", domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03"}), domain.EINVALID)
		require.Contains(t, f["role"], "pemisahan tugas")
		require.NoError(t, a.AddGrant(ctx, "root", "eko", domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03"}))
		f = fieldsOf(t, a.AddGrant(ctx, "root", "eko", domain.Grant{Role: domain.RoleAdmin, Scope: "*"}), domain.EINVALID)
		require.Contains(t, f, "role")
		require.Equal(t, domain.EFORBIDDEN, domain.ErrorCode(a.RemoveGrant(ctx, "ani", "ani", domain.RoleAdmin, "*")))

		// Nothing refused was written or audited.
		var n int64
		require.NoError(t, db.ScanSQL(ctx, &n, "SELECT COUNT(*) FROM casbin_rule WHERE ptype = 'g'"))
		require.EqualValues(t, 2, n)
		require.NoError(t, db.ScanSQL(ctx, &n, "SELECT COUNT(*) FROM grant_events"))
		require.EqualValues(t, 2, n)

		_, err = a.Decide(ctx, Request{Username: "eko", Object: ObjProposal, Action: ActRead})
		require.Error(t, err, "a request needs a region")
	})
}

// TestReloadAcrossInstances: a second Authorizer on the same database (another
// API process) sees grants added and removed by the first within its poll
// interval, and a change written behind both (straight into casbin_rule).
func TestReloadAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a1, err := New(ctx, db, WithPollInterval(0))
		require.NoError(t, err)
		t.Cleanup(a1.Close)
		a2, err := New(ctx, db, WithPollInterval(20*time.Millisecond))
		require.NoError(t, err)
		t.Cleanup(a2.Close)

		approve := func(a *Enforcer) bool {
			d, err := a.CanStage(ctx, "sari", domain.StageKabKotaReview, domain.ActionApprove, "74.05.03", time.Time{})
			require.NoError(t, err)
			return d.Allowed
		}
		require.False(t, approve(a2))
		require.NoError(t, a1.AddGrant(ctx, "admin", "sari", domain.Grant{Role: domain.RoleReviewerKabKota, Scope: "74.05"}))
		require.True(t, approve(a1))
		require.Eventually(t, func() bool { return approve(a2) }, 10*time.Second, 10*time.Millisecond)

		require.NoError(t, a1.RemoveGrant(ctx, "admin", "sari", domain.RoleReviewerKabKota, "74.05"))
		require.False(t, approve(a1))
		require.Eventually(t, func() bool { return !approve(a2) }, 10*time.Second, 10*time.Millisecond)

		require.NoError(t, db.ExecSQL(ctx, "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES ('g', 'sari', 'kadis_kabkota', '74.05', '', '', '')"))
		require.Eventually(t, func() bool { return approve(a2) }, 10*time.Second, 10*time.Millisecond)
		require.False(t, approve(a1), "a1 does not poll")
		require.NoError(t, a1.Reload(ctx))
		require.True(t, approve(a1))
	})
}

// TestSeedIdempotent: the default policy is seeded once, restored when
// changed, and grants are never touched by seeding.
func TestSeedIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rules := defaultRules(t)
		a, err := New(ctx, db, WithPollInterval(0))
		require.NoError(t, err)
		require.NoError(t, a.AddGrant(ctx, "admin", "joko", domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03"}))
		a.Close()

		count := func(ptype string) int64 {
			var n int64
			require.NoError(t, db.ScanSQL(ctx, &n, "SELECT COUNT(*) FROM casbin_rule WHERE ptype = ?", ptype))
			return n
		}
		rev := func() int64 {
			r, err := db.PolicyRevision(ctx)
			require.NoError(t, err)
			return r
		}
		require.EqualValues(t, len(rules), count("p"))
		before := rev()
		a, err = New(ctx, db, WithPollInterval(0))
		require.NoError(t, err)
		a.Close()
		require.Equal(t, before, rev(), "a second start writes nothing")

		// A stale line and a missing one are both repaired at the next start.
		require.NoError(t, db.ExecSQL(ctx, "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) VALUES ('p', 'camat', 'proposal:rakorda', 'accept', 'in', '', '')"))
		require.NoError(t, db.ExecSQL(ctx, "DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = ? AND v1 = ? AND v2 = ?", "camat", "proposal:draft", "submit"))
		a, err = New(ctx, db, WithPollInterval(0))
		require.NoError(t, err)
		t.Cleanup(a.Close)
		require.EqualValues(t, len(rules), count("p"))
		require.EqualValues(t, 1, count("g"))
		d, err := a.CanStage(ctx, "joko", domain.StageDraft, domain.ActionSubmit, "74.05.03", time.Time{})
		require.NoError(t, err)
		require.True(t, d.Allowed)
		d, err = a.CanStage(ctx, "joko", domain.StageRakorda, domain.ActionAccept, "74.05.03", time.Time{})
		require.NoError(t, err)
		require.False(t, d.Allowed)
	})
}

func TestConcurrentDecisionsAndChanges(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	a, err := New(ctx, db, WithPollInterval(5*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(a.Close)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			_ = a.AddGrant(ctx, "admin", "rina", domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03"})
			_ = a.RemoveGrant(ctx, "admin", "rina", domain.RoleCamat, "74.05.03")
		}
	}()
	for {
		select {
		case <-done:
			gs, err := a.Grants(ctx, "rina")
			require.NoError(t, err)
			require.Empty(t, gs)
			return
		default:
			_, err := a.Decide(ctx, Request{Username: "rina", Object: ObjProposal, Action: ActRead, Region: "74.05.03"})
			require.NoError(t, err)
			_, err = a.VisibleScopes(ctx, "rina", time.Time{})
			require.NoError(t, err)
		}
	}
}
