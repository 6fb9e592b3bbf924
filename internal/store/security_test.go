package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// Sessions, one-time TOTP steps and recovery codes, and the security audit,
// on both databases.
func TestSecurityRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, now := context.Background(), time.Now().UTC()
		for _, u := range []string{"budi.buke", "sari.buke"} {
			require.NoError(t, db.CreateUser(ctx, store.User{Username: u, FullName: u, PasswordHash: "x"}))
		}
		for _, s := range []store.Session{
			{ID: "s1", Username: "budi.buke", CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour), UserAgent: "Firefox"},
			{ID: "s2", Username: "budi.buke", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{ID: "s3", Username: "budi.buke", CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Minute)},
			{ID: "s4", Username: "sari.buke", CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		} {
			require.NoError(t, db.CreateSession(ctx, s))
		}
		st, err := db.GetSessionState(ctx, "s1")
		require.NoError(t, err)
		require.True(t, st.Active(now))
		require.Equal(t, "Firefox", st.UserAgent)
		_, err = db.GetSessionState(ctx, "nope")
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))

		active, err := db.ActiveSessions(ctx, "budi.buke", now)
		require.NoError(t, err)
		require.Len(t, active, 2, "the expired session is not listed")
		require.Equal(t, "s2", active[0].ID, "newest first")

		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(db.RevokeSession(ctx, "budi.buke", "s4", "budi.buke", now)),
			"another user's session is not found")
		require.NoError(t, db.RevokeSession(ctx, "budi.buke", "s1", "budi.buke", now))
		st, err = db.GetSessionState(ctx, "s1")
		require.NoError(t, err)
		require.False(t, st.Active(now))
		n, err := db.RevokeSessions(ctx, "budi.buke", "", "admin", now)
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "only s2 was still active")

		require.NoError(t, db.SetUserDisabled(ctx, "sari.buke", true))
		st, err = db.GetSessionState(ctx, "s4")
		require.NoError(t, err)
		require.True(t, st.UserDisabled)
		require.False(t, st.Active(now))

		require.NoError(t, db.EnableTOTP(ctx, "budi.buke", "SECRET", 100, []string{"h1", "h2"}))
		ok, err := db.UseOTPStep(ctx, "budi.buke", 100)
		require.NoError(t, err)
		require.False(t, ok, "the step that enrolled is spent")
		ok, err = db.UseOTPStep(ctx, "budi.buke", 101)
		require.NoError(t, err)
		require.True(t, ok)
		codes, err := db.UnusedRecoveryCodes(ctx, "budi.buke")
		require.NoError(t, err)
		require.Len(t, codes, 2)
		ok, err = db.UseRecoveryCode(ctx, codes[0].ID)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.UseRecoveryCode(ctx, codes[0].ID)
		require.NoError(t, err)
		require.False(t, ok, "a recovery code is spent once")
		u, err := db.GetUser(ctx, "budi.buke")
		require.NoError(t, err)
		require.True(t, u.HasSecondFactor())
		require.NoError(t, db.DisableTOTP(ctx, "budi.buke"))
		codes, err = db.UnusedRecoveryCodes(ctx, "budi.buke")
		require.NoError(t, err)
		require.Empty(t, codes)

		require.NoError(t, db.RecordSecurityEvent(ctx, store.SecurityEvent{At: now, Kind: store.EventLoginFailed, Username: "budi.buke", RemoteAddr: "192.0.2.1"}))
		evs, err := db.SecurityAudit(ctx, now.Add(-time.Minute), now.Add(time.Minute), 100)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, store.EventLoginFailed, evs[0].Kind)
	})
}
