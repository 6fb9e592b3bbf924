-- +goose Up
-- Casbin policy storage, in the exact shape github.com/casbin/gorm-adapter/v3
-- (v3.39.0) reads and writes: its CasbinRule struct (id, ptype, v0..v5) and
-- the unique index it would create itself as idx_casbin_rule. The adapter's
-- AutoMigrate is turned off (policies.New); this file is the only place the
-- table is defined. Columns are NOT NULL DEFAULT '' because the adapter scans
-- them into Go strings and always writes "" for unused fields.
-- ptype 'p': default policy (role, object, action, reach), seeded from
-- policies/policy.csv. ptype 'g': grants (username, role, scope,
-- valid_from, valid_until), the time bounds RFC 3339 UTC or ''.
CREATE TABLE casbin_rule (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    ptype VARCHAR(100) NOT NULL DEFAULT '',
    v0    VARCHAR(100) NOT NULL DEFAULT '',
    v1    VARCHAR(100) NOT NULL DEFAULT '',
    v2    VARCHAR(100) NOT NULL DEFAULT '',
    v3    VARCHAR(100) NOT NULL DEFAULT '',
    v4    VARCHAR(100) NOT NULL DEFAULT '',
    v5    VARCHAR(100) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX idx_casbin_rule ON casbin_rule (ptype, v0, v1, v2, v3, v4, v5);

-- The change marker other processes poll; bumped by triggers on every write
-- to casbin_rule, whoever the writer is.
CREATE TABLE policy_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO policy_revision (id, revision) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER casbin_rule_inserted AFTER INSERT ON casbin_rule
BEGIN
    UPDATE policy_revision SET revision = revision + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER casbin_rule_updated AFTER UPDATE ON casbin_rule
BEGIN
    UPDATE policy_revision SET revision = revision + 1 WHERE id = 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER casbin_rule_deleted AFTER DELETE ON casbin_rule
BEGIN
    UPDATE policy_revision SET revision = revision + 1 WHERE id = 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER casbin_rule_deleted;
DROP TRIGGER casbin_rule_updated;
DROP TRIGGER casbin_rule_inserted;
DROP TABLE policy_revision;
DROP TABLE casbin_rule;
