-- +goose Up
-- Casbin policy storage, in the exact shape github.com/casbin/gorm-adapter/v3
-- (v3.39.0) reads and writes: its CasbinRule struct (id, ptype, v0..v5 of
-- size 100) and the unique index it would create itself as idx_casbin_rule.
-- The adapter's AutoMigrate is turned off (policies.New); this file is the
-- only place the table is defined. Columns are NOT NULL DEFAULT '' because the
-- adapter scans them into Go strings and always writes "" for unused fields;
-- a NULL would break both LoadPolicy and the unique index.
-- ptype 'p': default policy (role, object, action, reach), seeded from
-- policies/policy.csv. ptype 'g': grants (username, role, scope,
-- valid_from, valid_until), the time bounds RFC 3339 UTC or ''.
CREATE TABLE casbin_rule (
    id    BIGSERIAL PRIMARY KEY,
    ptype VARCHAR(100) NOT NULL DEFAULT '',
    v0    VARCHAR(100) NOT NULL DEFAULT '',
    v1    VARCHAR(100) NOT NULL DEFAULT '',
    v2    VARCHAR(100) NOT NULL DEFAULT '',
    v3    VARCHAR(100) NOT NULL DEFAULT '',
    v4    VARCHAR(100) NOT NULL DEFAULT '',
    v5    VARCHAR(100) NOT NULL DEFAULT ''
);
-- Also serves "the grants of user X" (ptype, v0) lookups.
CREATE UNIQUE INDEX idx_casbin_rule ON casbin_rule (ptype, v0, v1, v2, v3, v4, v5);

-- A change marker other API instances poll to learn that casbin_rule changed:
-- one row, bumped by a trigger on every statement that writes casbin_rule, so
-- any writer (the Authorizer, the adapter, psql) is seen.
CREATE TABLE policy_revision (
    id       SMALLINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO policy_revision (id, revision) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION bump_policy_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE policy_revision SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER casbin_rule_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON casbin_rule
    FOR EACH STATEMENT EXECUTE FUNCTION bump_policy_revision();

-- +goose Down
DROP TRIGGER casbin_rule_changed ON casbin_rule;
DROP FUNCTION bump_policy_revision();
DROP TABLE policy_revision;
DROP TABLE casbin_rule;
