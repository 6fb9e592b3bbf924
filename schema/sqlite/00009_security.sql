-- +goose Up
-- Login sessions (issue 23): every token carries its session id (JWT jti);
-- a request is served only while its row exists, is not revoked and has not
-- expired. Logout, a password change or reset, disabling the account and an
-- admin's "end all sessions" set revoked_at. API instances cache a row for a
-- few seconds, so a revocation holds on every instance within that time.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    username    TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    expires_at  DATETIME NOT NULL,
    revoked_at  DATETIME,
    revoked_by  TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    remote_addr TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_username_idx ON sessions (username, expires_at);

-- TOTP second factor: the secret of an enabled factor, or a pending one
-- being enrolled (kept until confirmed by a first code). last_otp_step
-- refuses the replay of a code already used.
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enabled_at DATETIME;
ALTER TABLE users ADD COLUMN last_otp_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at DATETIME;

-- Recovery codes, stored as bcrypt hashes; used_at marks one spent.
CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    username   TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    used_at    DATETIME
);
CREATE INDEX recovery_codes_username_idx ON recovery_codes (username);

-- Security audit: logins (success, failure, lockout), logouts, password and
-- second-factor changes, session revocations, account disabling. Grants and
-- delegations stay in grant_events; the audit export reads both.
CREATE TABLE security_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          DATETIME NOT NULL,
    kind        TEXT NOT NULL,
    username    TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    remote_addr TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX security_events_at_idx ON security_events (at);

-- +goose Down
DROP TABLE security_events;
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN password_changed_at;
ALTER TABLE users DROP COLUMN last_otp_step;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_pending;
ALTER TABLE users DROP COLUMN totp_secret;
DROP TABLE sessions;
