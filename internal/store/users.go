package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/rencana-id/rencana/internal/domain"
)

// User is an account that can log in. Its roles are grants held by the
// policies package, not fields here.
type User struct {
	Username     string
	FullName     string
	PasswordHash string
	// Email is where notifications are mailed; empty means in-app only.
	Email     string
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// TOTPSecret is the enabled second factor's secret; empty: none.
	TOTPSecret string
	// TOTPPending is a secret being enrolled, until a first code confirms it.
	TOTPPending   string
	TOTPEnabledAt *time.Time
	// LastOTPStep is the TOTP time step last used, so a code is used once.
	LastOTPStep       int64
	PasswordChangedAt *time.Time
}

// HasSecondFactor reports whether u logs in with a TOTP code too.
func (u User) HasSecondFactor() bool { return u.TOTPSecret != "" }

// userRow maps the users table; it stays inside the store.
type userRow struct {
	Username     string `gorm:"primaryKey"`
	FullName     string
	PasswordHash string
	Email        string
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Second factor and password age (schema 00009).
	TOTPSecret        string     `gorm:"column:totp_secret"`
	TOTPPending       string     `gorm:"column:totp_pending"`
	TOTPEnabledAt     *time.Time `gorm:"column:totp_enabled_at"`
	LastOTPStep       int64      `gorm:"column:last_otp_step"`
	PasswordChangedAt *time.Time
}

func (userRow) TableName() string { return "users" }

// CreateUser inserts u; an existing username is a conflict.
func (db *DB) CreateUser(ctx context.Context, u User) error {
	now := time.Now().UTC()
	row := userRow{Username: u.Username, FullName: u.FullName, PasswordHash: u.PasswordHash, Email: u.Email, Disabled: u.Disabled, CreatedAt: now, UpdatedAt: now}
	err := db.orm.WithContext(ctx).Create(&row).Error
	if IsUniqueViolation(err) {
		return domain.Errorf(domain.ECONFLICT, "Nama pengguna %q sudah dipakai.", u.Username)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// GetUser returns the user, or ENOTFOUND.
func (db *DB) GetUser(ctx context.Context, username string) (User, error) {
	var row userRow
	err := db.orm.WithContext(ctx).Where("username = ?", username).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, domain.Errorf(domain.ENOTFOUND, "Pengguna %q tidak ditemukan.", username)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user: %w", err)
	}
	return User(row), nil
}

// SetPassword replaces a user's password hash.
func (db *DB) SetPassword(ctx context.Context, username, hash string) error {
	now := time.Now().UTC()
	res := db.orm.WithContext(ctx).Model(&userRow{}).Where("username = ?", username).
		Updates(map[string]any{"password_hash": hash, "password_changed_at": now, "updated_at": now})
	if res.Error != nil {
		return fmt.Errorf("set password: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.ENOTFOUND, "Pengguna %q tidak ditemukan.", username)
	}
	return nil
}

// CountUsers tells whether the database is new (no users yet).
func (db *DB) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := db.orm.WithContext(ctx).Model(&userRow{}).Count(&n).Error
	return n, err
}

// UserEmails returns the addresses of those of usernames that have one and
// are not disabled, in the order asked: whom a notification is mailed to.
func (db *DB) UserEmails(ctx context.Context, usernames []string) ([]string, error) {
	if len(usernames) == 0 {
		return nil, nil
	}
	var rows []userRow
	err := db.orm.WithContext(ctx).Select("username", "email").
		Where("username IN ? AND email <> '' AND NOT disabled", usernames).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("user emails: %w", err)
	}
	byName := make(map[string]string, len(rows))
	for _, r := range rows {
		byName[r.Username] = r.Email
	}
	var out []string
	for _, u := range usernames {
		if e, ok := byName[u]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}
