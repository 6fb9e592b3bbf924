package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/rencana-id/rencana/internal/domain"
)

// A user's notification centre reads the notifications the workflows wrote
// (RecordTransition, InsertNotification): those addressed to the user by
// name and those addressed to a role within a scope the user holds.
// Reading is per reader (notification_reads), since one notification to
// "the reviewers of 74.05" reaches several people.

// Recipient is who reads: the username and the grants in force.
type Recipient struct {
	Username string
	Grants   []domain.Grant
}

// InboxItem is a notification as its reader sees it.
type InboxItem struct {
	domain.Notification
	// ReadAt is when this reader marked it read; nil while unread.
	ReadAt *time.Time
}

// InboxQuery selects a reader's notifications.
type InboxQuery struct {
	UnreadOnly bool
	// Since, when not zero, keeps notifications created at or after it
	// (the daily digest).
	Since time.Time
	Limit int
}

type notificationReadRow struct {
	NotificationID string `gorm:"primaryKey"`
	Username       string `gorm:"primaryKey"`
	ReadAt         time.Time
}

func (notificationReadRow) TableName() string { return "notification_reads" }

// addressedTo is the WHERE clause for "notifications r reads": by name, or
// to a role the reader holds within a scope one of its grants covers.
func addressedTo(tx *gorm.DB, r Recipient) *gorm.DB {
	conds := []string{"n.recipient_username = ?"}
	args := []any{r.Username}
	for _, g := range r.Grants {
		if g.Scope == domain.NationalScope {
			conds = append(conds, "n.recipient_role = ?")
			args = append(args, string(g.Role))
			continue
		}
		within, scopeArgs := inRegion("n.recipient_scope", g.Scope)
		conds = append(conds, "(n.recipient_role = ? AND "+within+")")
		args = append(append(args, string(g.Role)), scopeArgs...)
	}
	return tx.Where("("+strings.Join(conds, " OR ")+")", args...)
}

// Inbox returns r's notifications, newest first, with r's read marks, and
// the number of r's unread notifications.
func (db *DB) Inbox(ctx context.Context, r Recipient, q InboxQuery) ([]InboxItem, int64, error) {
	if r.Username == "" {
		return nil, 0, domain.Errorf(domain.EINVALID, "Penerima notifikasi tidak dikenal.")
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = 50
	}
	base := func() *gorm.DB {
		tx := db.orm.WithContext(ctx).Table("notifications AS n").
			Joins("LEFT JOIN notification_reads AS nr ON nr.notification_id = n.id AND nr.username = ?", r.Username)
		return addressedTo(tx, r)
	}
	var unread int64
	if err := base().Where("nr.read_at IS NULL").Count(&unread).Error; err != nil {
		return nil, 0, fmt.Errorf("count unread notifications: %w", err)
	}
	tx := base()
	if q.UnreadOnly {
		tx = tx.Where("nr.read_at IS NULL")
	}
	if !q.Since.IsZero() {
		tx = tx.Where("n.created_at >= ?", q.Since.UTC())
	}
	var rows []notificationRow
	if err := tx.Select("n.*").Order("n.created_at DESC, n.id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list notifications: %w", err)
	}
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row.ID
	}
	var reads []notificationReadRow
	if len(ids) > 0 {
		if err := db.orm.WithContext(ctx).Where("username = ? AND notification_id IN ?", r.Username, ids).Find(&reads).Error; err != nil {
			return nil, 0, fmt.Errorf("list notification reads: %w", err)
		}
	}
	readAt := make(map[string]time.Time, len(reads))
	for _, rd := range reads {
		readAt[rd.NotificationID] = rd.ReadAt.UTC()
	}
	out := make([]InboxItem, len(rows))
	for i, row := range rows {
		out[i] = InboxItem{Notification: row.notification()}
		if t, ok := readAt[row.ID]; ok {
			out[i].ReadAt = &t
		}
	}
	return out, unread, nil
}

// MarkRead marks the notifications ids (all of r's unread ones when all is
// true) read by r at `at`. An id r cannot read is ignored, never marked, so
// nobody learns which ids exist. It returns how many were newly marked.
func (db *DB) MarkRead(ctx context.Context, r Recipient, ids []string, all bool, at time.Time) (int, error) {
	if r.Username == "" {
		return 0, domain.Errorf(domain.EINVALID, "Penerima notifikasi tidak dikenal.")
	}
	if !all && len(ids) == 0 {
		return 0, nil
	}
	var marked int
	err := db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := addressedTo(tx.Table("notifications AS n").
			Joins("LEFT JOIN notification_reads AS nr ON nr.notification_id = n.id AND nr.username = ?", r.Username), r).
			Where("nr.read_at IS NULL")
		if !all {
			q = q.Where("n.id IN ?", ids)
		}
		var targets []string
		if err := q.Pluck("n.id", &targets).Error; err != nil {
			return fmt.Errorf("select notifications to mark: %w", err)
		}
		if len(targets) == 0 {
			return nil
		}
		rows := make([]notificationReadRow, len(targets))
		for i, id := range targets {
			rows[i] = notificationReadRow{NotificationID: id, Username: r.Username, ReadAt: at.UTC()}
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 200)
		if res.Error != nil {
			return fmt.Errorf("mark notifications read: %w", res.Error)
		}
		marked = int(res.RowsAffected)
		return nil
	})
	return marked, err
}

// ClaimDigest records that r's digest for day (YYYY-MM-DD in r's zone) is
// being sent and reports whether this call did it: of several workers one
// sends it. ReleaseDigest undoes a claim whose mail failed.
func (db *DB) ClaimDigest(ctx context.Context, username, day string, at time.Time) (bool, error) {
	res := db.orm.WithContext(ctx).Table("mail_digests").Clauses(clause.OnConflict{DoNothing: true}).
		Create(map[string]any{"username": username, "day": day, "sent_at": at.UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("claim digest %s %s: %w", username, day, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReleaseDigest forgets a claimed digest so a later pass sends it again.
func (db *DB) ReleaseDigest(ctx context.Context, username, day string) error {
	if err := db.orm.WithContext(ctx).Exec("DELETE FROM mail_digests WHERE username = ? AND day = ?", username, day).Error; err != nil {
		return fmt.Errorf("release digest %s %s: %w", username, day, err)
	}
	return nil
}

// MailRecipient is an enabled user with a mail address: who gets a digest.
type MailRecipient struct {
	Username string
	FullName string
	Email    string
}

// MailRecipients lists the enabled users that have a mail address, by
// username.
func (db *DB) MailRecipients(ctx context.Context) ([]MailRecipient, error) {
	var rows []userRow
	if err := db.orm.WithContext(ctx).Where("email <> '' AND NOT disabled").Order("username").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("mail recipients: %w", err)
	}
	out := make([]MailRecipient, len(rows))
	for i, r := range rows {
		out[i] = MailRecipient{Username: r.Username, FullName: r.FullName, Email: r.Email}
	}
	return out, nil
}
