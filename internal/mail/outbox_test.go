package mail_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/mail"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// recordingSender stands in for the SMTP server (the sink in mail_test.go
// covers the protocol); it can be made to fail.
type recordingSender struct {
	mu   sync.Mutex
	sent []string
	fail bool
}

func (r *recordingSender) Send(_ context.Context, n domain.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		return errors.New("smtp: connection refused")
	}
	r.sent = append(r.sent, n.ID+" "+n.Subject)
	return nil
}

func TestOutboxMailsOnceAfterGrace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		for i := range 150 {
			require.NoError(t, db.InsertNotification(ctx, domain.Notification{
				ID: "n" + string(rune('A'+i/26)) + string(rune('a'+i%26)), RecipientUsername: "siti", Kind: "stage_changed",
				Message: "Tahap usulan berubah.", Subject: "[rencana] Tahap", CreatedAt: now.Add(-time.Minute),
			}))
		}
		require.NoError(t, db.InsertNotification(ctx, domain.Notification{ID: "fresh", RecipientUsername: "siti", Kind: "k", Message: "m", CreatedAt: now}))

		s := &recordingSender{fail: true}
		o := &mail.Outbox{Store: db, Sender: s, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Grace: 30 * time.Second, Now: func() time.Time { return now }}
		n, err := o.Flush(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "the mail server is down: nothing sent, nothing lost")

		s.fail = false
		n, err = o.Flush(ctx)
		require.NoError(t, err)
		require.Equal(t, 150, n, "every notification old enough, over two batches")
		require.Contains(t, s.sent, "nAa [rencana] Tahap")

		// A second outbox (another worker) finds nothing left; the fresh
		// notification leaves once it is old enough.
		o2 := *o
		n, err = o2.Flush(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		now = now.Add(time.Minute)
		n, err = o.Flush(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Len(t, s.sent, 151)
	})
}
