package mail_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/mail"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/policies"
)

// TestDailyDigest: from 07:00 in the user's zone, one mail per user with an
// address, listing the last day's unread notifications (theirs and their
// role's); read ones, old ones and users with nothing new get nothing; a
// second pass the same day sends nothing again.
func TestDailyDigest(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	authz, err := policies.New(ctx, db, policies.WithPollInterval(0))
	require.NoError(t, err)
	t.Cleanup(authz.Close)
	for _, u := range []store.User{
		{Username: "kabid.konsel", FullName: "Kabid Konsel", PasswordHash: "x", Email: "kabid@konsel.go.id"},
		{Username: "siti", FullName: "Siti", PasswordHash: "x", Email: "siti@andoolo.desa.id"},
		{Username: "tenang", FullName: "Tenang", PasswordHash: "x", Email: "tenang@konsel.go.id"},
	} {
		require.NoError(t, db.CreateUser(ctx, u))
	}
	require.NoError(t, authz.AddGrant(ctx, "admin", "kabid.konsel", domain.Grant{Role: domain.RoleReviewerKabKota, Scope: "74.05"}))
	require.NoError(t, authz.AddGrant(ctx, "admin", "siti", domain.Grant{Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}))
	require.NoError(t, authz.AddGrant(ctx, "admin", "tenang", domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03"}))

	// 8 December 2026 06:30 WITA is 22:30 UTC on the 7th.
	now := time.Date(2026, 12, 7, 22, 30, 0, 0, time.UTC)
	for _, n := range []domain.Notification{
		{ID: "a", RecipientRole: domain.RoleReviewerKabKota, RecipientScope: "74.05", Kind: "review_requested", Message: "Usulan p-1 menunggu reviu.", CreatedAt: now.Add(-2 * time.Hour)},
		{ID: "b", RecipientUsername: "siti", Kind: "stage_changed", Message: "Usulan p-2 dikembalikan.", CreatedAt: now.Add(-3 * time.Hour)},
		{ID: "c", RecipientUsername: "siti", Kind: "stage_changed", Message: "Sudah dibaca.", CreatedAt: now.Add(-time.Hour)},
		{ID: "d", RecipientUsername: "siti", Kind: "stage_changed", Message: "Dua hari lalu.", CreatedAt: now.Add(-48 * time.Hour)},
	} {
		require.NoError(t, db.InsertNotification(ctx, n))
	}
	_, err = db.MarkRead(ctx, store.Recipient{Username: "siti"}, []string{"c"}, false, now)
	require.NoError(t, err)

	sink := newSink(t)
	m, err := mail.ParseURL("smtp://"+sink.l.Addr().String(), "rencana@sultraprov.go.id", db, authz)
	require.NoError(t, err)
	clock := now
	d := &mail.Digest{Store: db, Grants: authz, SMTP: m, Log: slog.Default(), Now: func() time.Time { return clock }}

	n, err := d.Send(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "before 07:00 WITA nothing goes out")

	clock = now.Add(time.Hour) // 07:30 WITA
	n, err = d.Send(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n, "kabid and siti; tenang has nothing new")
	got := sink.all()
	require.Len(t, got, 2)
	require.Equal(t, []string{"kabid@konsel.go.id"}, got[0].to)
	require.Contains(t, got[0].data, "Usulan p-1 menunggu reviu.")
	require.Contains(t, got[0].data, "08-12-2026 04.30 WITA")
	require.Equal(t, []string{"siti@andoolo.desa.id"}, got[1].to)
	require.Contains(t, got[1].data, "Usulan p-2 dikembalikan.")
	require.NotContains(t, got[1].data, "Sudah dibaca.")
	require.NotContains(t, got[1].data, "Dua hari lalu.")

	clock = now.Add(5 * time.Hour)
	n, err = d.Send(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "one digest a day")
	require.Len(t, sink.all(), 2)
}
