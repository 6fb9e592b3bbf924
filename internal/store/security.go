package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/rencana-id/rencana/internal/domain"
)

// Session is one login: the token's jti names it. It serves requests until
// it expires or is revoked.
type Session struct {
	ID         string
	Username   string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	RevokedBy  string
	UserAgent  string
	RemoteAddr string
}

type sessionRow Session

func (sessionRow) TableName() string { return "sessions" }

// SessionState is what a request's session check needs in one read: the
// session and whether its account is disabled.
type SessionState struct {
	Session
	UserDisabled bool
}

// Active reports whether the session may serve a request at now.
func (s SessionState) Active(now time.Time) bool {
	return s.RevokedAt == nil && !s.UserDisabled && now.Before(s.ExpiresAt)
}

// Limits of what a session records about its client.
const (
	maxUserAgent  = 200
	maxRemoteAddr = 64
)

// CreateSession records a new session.
func (db *DB) CreateSession(ctx context.Context, s Session) error {
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	s.UserAgent = truncateRunes(s.UserAgent, maxUserAgent)
	s.RemoteAddr = truncateRunes(s.RemoteAddr, maxRemoteAddr)
	row := sessionRow(s)
	if err := db.orm.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// GetSessionState reads a session with its account's disabled flag;
// ENOTFOUND when there is no such session or no such account.
func (db *DB) GetSessionState(ctx context.Context, id string) (SessionState, error) {
	var row struct {
		Session  `gorm:"embedded"`
		Disabled bool
	}
	err := db.orm.WithContext(ctx).Table("sessions").
		Select("sessions.*, users.disabled").
		Joins("JOIN users ON users.username = sessions.username").
		Where("sessions.id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return SessionState{}, domain.Errorf(domain.ENOTFOUND, "Sesi tidak ditemukan.")
	}
	if err != nil {
		return SessionState{}, fmt.Errorf("get session: %w", err)
	}
	return SessionState{Session: utcSession(row.Session), UserDisabled: row.Disabled}, nil
}

func utcSession(s Session) Session {
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	if s.RevokedAt != nil {
		t := s.RevokedAt.UTC()
		s.RevokedAt = &t
	}
	return s
}

// ActiveSessions lists username's sessions that are neither revoked nor
// expired at now, newest first.
func (db *DB) ActiveSessions(ctx context.Context, username string, now time.Time) ([]Session, error) {
	var rows []sessionRow
	err := db.orm.WithContext(ctx).Where("username = ? AND revoked_at IS NULL AND expires_at > ?", username, now.UTC()).
		Order("created_at DESC, id").Limit(200).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = utcSession(Session(r))
	}
	return out, nil
}

// RevokeSession ends one session of username; ENOTFOUND when username has
// no such active session (another user's session id is not found either).
func (db *DB) RevokeSession(ctx context.Context, username, id, by string, now time.Time) error {
	res := db.orm.WithContext(ctx).Model(&sessionRow{}).
		Where("id = ? AND username = ? AND revoked_at IS NULL", id, username).
		Updates(map[string]any{"revoked_at": now.UTC(), "revoked_by": by})
	if res.Error != nil {
		return fmt.Errorf("revoke session: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.ENOTFOUND, "Sesi tidak ditemukan atau sudah berakhir.")
	}
	return nil
}

// RevokeSessions ends every unrevoked session of username but except (the
// caller's own, after a password change; "" for none) and says how many.
func (db *DB) RevokeSessions(ctx context.Context, username, except, by string, now time.Time) (int64, error) {
	res := db.orm.WithContext(ctx).Model(&sessionRow{}).
		Where("username = ? AND revoked_at IS NULL AND id <> ? AND expires_at > ?", username, except, now.UTC()).
		Updates(map[string]any{"revoked_at": now.UTC(), "revoked_by": by})
	if res.Error != nil {
		return 0, fmt.Errorf("revoke sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// SetUserDisabled disables or re-enables an account.
func (db *DB) SetUserDisabled(ctx context.Context, username string, disabled bool) error {
	res := db.orm.WithContext(ctx).Model(&userRow{}).Where("username = ?", username).
		Updates(map[string]any{"disabled": disabled, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("set disabled: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.ENOTFOUND, "Pengguna %q tidak ditemukan.", username)
	}
	return nil
}

// --- second factor -------------------------------------------------------------

// SetPendingTOTP keeps a secret being enrolled until a first code confirms
// it (EnableTOTP).
func (db *DB) SetPendingTOTP(ctx context.Context, username, secret string) error {
	return db.updateUser(ctx, username, map[string]any{"totp_pending": secret})
}

// EnableTOTP makes secret the account's second factor, records step as
// used, and replaces its recovery codes by codeHashes, in one transaction.
func (db *DB) EnableTOTP(ctx context.Context, username, secret string, step int64, codeHashes []string) error {
	now := time.Now().UTC()
	return db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&userRow{}).Where("username = ?", username).Updates(map[string]any{
			"totp_secret": secret, "totp_pending": "", "totp_enabled_at": now, "last_otp_step": step, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("enable totp: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return domain.Errorf(domain.ENOTFOUND, "Pengguna %q tidak ditemukan.", username)
		}
		return replaceRecoveryCodes(tx, username, codeHashes)
	})
}

// DisableTOTP removes the account's second factor and recovery codes.
func (db *DB) DisableTOTP(ctx context.Context, username string) error {
	return db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&userRow{}).Where("username = ?", username).Updates(map[string]any{
			"totp_secret": "", "totp_pending": "", "totp_enabled_at": nil, "updated_at": time.Now().UTC()})
		if res.Error != nil {
			return fmt.Errorf("disable totp: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return domain.Errorf(domain.ENOTFOUND, "Pengguna %q tidak ditemukan.", username)
		}
		return replaceRecoveryCodes(tx, username, nil)
	})
}

// UseOTPStep records step as the last TOTP step used, only if it is later
// than the one before: false means the code was already used (a replay),
// even when two logins race with the same code.
func (db *DB) UseOTPStep(ctx context.Context, username string, step int64) (bool, error) {
	res := db.orm.WithContext(ctx).Model(&userRow{}).Where("username = ? AND last_otp_step < ?", username, step).
		Update("last_otp_step", step)
	if res.Error != nil {
		return false, fmt.Errorf("use otp step: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (db *DB) updateUser(ctx context.Context, username string, set map[string]any) error {
	set["updated_at"] = time.Now().UTC()
	res := db.orm.WithContext(ctx).Model(&userRow{}).Where("username = ?", username).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("update user: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.Errorf(domain.ENOTFOUND, "Pengguna %q tidak ditemukan.", username)
	}
	return nil
}

// RecoveryCode is the hash of one unused recovery code.
type RecoveryCode struct {
	ID       int64
	CodeHash string
}

type recoveryCodeRow struct {
	ID       int64 `gorm:"primaryKey"`
	Username string
	CodeHash string
	UsedAt   *time.Time
}

func (recoveryCodeRow) TableName() string { return "recovery_codes" }

func replaceRecoveryCodes(tx *gorm.DB, username string, hashes []string) error {
	if err := tx.Where("username = ?", username).Delete(&recoveryCodeRow{}).Error; err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	for _, h := range hashes {
		if err := tx.Create(&recoveryCodeRow{Username: username, CodeHash: h}).Error; err != nil {
			return fmt.Errorf("replace recovery codes: %w", err)
		}
	}
	return nil
}

// UnusedRecoveryCodes lists the hashes of username's unused recovery codes.
func (db *DB) UnusedRecoveryCodes(ctx context.Context, username string) ([]RecoveryCode, error) {
	var rows []recoveryCodeRow
	if err := db.orm.WithContext(ctx).Where("username = ? AND used_at IS NULL", username).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("recovery codes: %w", err)
	}
	out := make([]RecoveryCode, len(rows))
	for i, r := range rows {
		out[i] = RecoveryCode{ID: r.ID, CodeHash: r.CodeHash}
	}
	return out, nil
}

// UseRecoveryCode spends recovery code id; false when it was already spent.
func (db *DB) UseRecoveryCode(ctx context.Context, id int64) (bool, error) {
	res := db.orm.WithContext(ctx).Model(&recoveryCodeRow{}).Where("id = ? AND used_at IS NULL", id).
		Update("used_at", time.Now().UTC())
	if res.Error != nil {
		return false, fmt.Errorf("use recovery code: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// --- security audit -------------------------------------------------------------

// Kinds of SecurityEvent, as stored in security_events.kind and written to
// the security audit CSV.
const (
	EventLoginSucceeded   = "login_berhasil"
	EventLoginFailed      = "login_gagal"
	EventLoginLockedOut   = "login_diblokir"
	EventLogout           = "keluar"
	EventSessionRevoked   = "sesi_dicabut"
	EventSessionsRevoked  = "semua_sesi_dicabut"
	EventPasswordChanged  = "kata_sandi_diubah"
	EventPasswordReset    = "kata_sandi_direset"
	EventTOTPEnabled      = "2fa_diaktifkan"
	EventTOTPDisabled     = "2fa_dinonaktifkan"
	EventRecoveryCodeUsed = "kode_pemulihan_dipakai"
	EventUserDisabled     = "akun_dinonaktifkan"
	EventUserEnabled      = "akun_diaktifkan"
	// EventGrantAdded and EventGrantRemoved come from grant_events: role
	// grants and delegations (a grant with a validity window).
	EventGrantAdded   = "peran_diberikan"
	EventGrantRemoved = "peran_dicabut"
)

// SecurityEvent is one audited security-relevant event: whose account,
// done by whom (the same person, an admin, or "" when unknown), from where.
type SecurityEvent struct {
	At         time.Time
	Kind       string
	Username   string
	Actor      string
	RemoteAddr string
	Detail     string
}

type securityEventRow struct {
	ID         int64 `gorm:"primaryKey"`
	At         time.Time
	Kind       string
	Username   string
	Actor      string
	RemoteAddr string
	Detail     string
}

func (securityEventRow) TableName() string { return "security_events" }

// RecordSecurityEvent appends ev to the security audit.
func (db *DB) RecordSecurityEvent(ctx context.Context, ev SecurityEvent) error {
	row := securityEventRow{At: ev.At.UTC(), Kind: ev.Kind, Username: truncateRunes(ev.Username, 100), Actor: ev.Actor,
		RemoteAddr: truncateRunes(ev.RemoteAddr, maxRemoteAddr), Detail: truncateRunes(ev.Detail, 500)}
	if err := db.orm.WithContext(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("record security event: %w", err)
	}
	return nil
}

type grantAuditRow struct {
	Username   string
	Role       string
	Scope      string
	Change     string
	ValidFrom  *time.Time
	ValidUntil *time.Time
	ChangedBy  string
	ChangedAt  time.Time
}

// SecurityAudit lists the security events and the grant changes (grants
// and delegations, from grant_events) in [from, until), oldest first, at
// most limit of them (the newest are dropped beyond it).
func (db *DB) SecurityAudit(ctx context.Context, from, until time.Time, limit int) ([]SecurityEvent, error) {
	var evs []securityEventRow
	g := db.orm.WithContext(ctx)
	if err := g.Where("at >= ? AND at < ?", from.UTC(), until.UTC()).Order("at, id").Limit(limit).Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("security audit: %w", err)
	}
	var grants []grantAuditRow
	if err := g.Table("grant_events").Where("changed_at >= ? AND changed_at < ?", from.UTC(), until.UTC()).
		Order("changed_at, id").Limit(limit).Find(&grants).Error; err != nil {
		return nil, fmt.Errorf("security audit: grants: %w", err)
	}
	out := make([]SecurityEvent, 0, len(evs)+len(grants))
	for _, r := range evs {
		out = append(out, SecurityEvent{At: r.At.UTC(), Kind: r.Kind, Username: r.Username, Actor: r.Actor, RemoteAddr: r.RemoteAddr, Detail: r.Detail})
	}
	for _, r := range grants {
		kind := EventGrantAdded
		if r.Change == "revoke" {
			kind = EventGrantRemoved
		}
		detail := r.Role + "@" + r.Scope
		if r.ValidFrom != nil || r.ValidUntil != nil {
			detail += " berlaku " + timeOrDash(r.ValidFrom) + " s.d. " + timeOrDash(r.ValidUntil) + " (pendelegasian)"
		}
		out = append(out, SecurityEvent{At: r.ChangedAt.UTC(), Kind: kind, Username: r.Username, Actor: r.ChangedBy, Detail: detail})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
