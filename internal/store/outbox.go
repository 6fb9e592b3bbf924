package store

import (
	"context"
	"fmt"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// Mail leaves through an outbox: notifications are written with the
// transition that causes them (RecordTransition) and mailed afterwards by
// internal/mail's Outbox, which claims each one by setting mailed_at. A
// mail server that is down delays mail; it never delays a decision.

// UnmailedNotifications returns up to limit notifications created before
// `before` that no one has mailed or claimed yet, oldest first.
func (db *DB) UnmailedNotifications(ctx context.Context, before time.Time, limit int) ([]domain.Notification, error) {
	var rows []notificationRow
	err := db.orm.WithContext(ctx).Where("mailed_at IS NULL AND created_at < ?", before.UTC()).
		Order("created_at, id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("unmailed notifications: %w", err)
	}
	out := make([]domain.Notification, len(rows))
	for i, r := range rows {
		out[i] = r.notification()
	}
	return out, nil
}

// ClaimMail marks notification id as mailed at `at` and reports whether
// this call did it: of several outboxes (one per worker) exactly one wins.
func (db *DB) ClaimMail(ctx context.Context, id string, at time.Time) (bool, error) {
	res := db.orm.WithContext(ctx).Model(&notificationRow{}).Where("id = ? AND mailed_at IS NULL", id).Update("mailed_at", at.UTC())
	if res.Error != nil {
		return false, fmt.Errorf("claim mail %s: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReleaseMail undoes a claim whose mail could not be sent, so a later pass
// tries again.
func (db *DB) ReleaseMail(ctx context.Context, id string) error {
	if err := db.orm.WithContext(ctx).Model(&notificationRow{}).Where("id = ?", id).Update("mailed_at", nil).Error; err != nil {
		return fmt.Errorf("release mail %s: %w", id, err)
	}
	return nil
}

// MailBacklog counts the notifications waiting to be mailed: the outbox's
// backlog, which the worker exports as a gauge. A backlog that only grows
// means the mail server refuses or the outbox is not running.
func (db *DB) MailBacklog(ctx context.Context) (int64, error) {
	var n int64
	if err := db.orm.WithContext(ctx).Model(&notificationRow{}).Where("mailed_at IS NULL").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("mail backlog: %w", err)
	}
	return n, nil
}
