-- +goose Up
-- Reference data: Kemendagri region codes (dotted, e.g. 74.05.03.2001).
CREATE TABLE regions (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    level       SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 4),
    parent_code TEXT REFERENCES regions (code)
);
CREATE INDEX regions_parent_code_idx ON regions (parent_code);
-- text_pattern_ops lets "code LIKE '74.05.%'" use the index under any collation.
CREATE INDEX regions_code_prefix_idx ON regions (code text_pattern_ops);

-- A nomenclature version is valid from a fiscal year until the next version's.
CREATE TABLE nomenclature_versions (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL,
    regulation      TEXT NOT NULL DEFAULT '',
    valid_from_year INTEGER NOT NULL UNIQUE,
    source          TEXT NOT NULL DEFAULT '',
    imported_at     TIMESTAMPTZ NOT NULL
);

-- One row per code and pemda level: program codes exist for both levels with
-- different names, sub kegiatan codes carry the level in their 5th segment.
CREATE TABLE nomenclature (
    version_id  BIGINT NOT NULL REFERENCES nomenclature_versions (id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    pemda_level TEXT NOT NULL CHECK (pemda_level IN ('provinsi', 'kabkota', 'both')),
    level       TEXT NOT NULL CHECK (level IN ('urusan', 'bidang_urusan', 'program', 'kegiatan', 'sub_kegiatan')),
    name        TEXT NOT NULL,
    kinerja     TEXT NOT NULL DEFAULT '',
    indikator   TEXT NOT NULL DEFAULT '',
    satuan      TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (version_id, code, pemda_level)
);
CREATE INDEX nomenclature_level_idx ON nomenclature (version_id, level, pemda_level);

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    full_name     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '', -- where notifications are mailed; empty: in-app only
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- Grants themselves live in casbin_rule (policies package); this table
-- audits every change to them: who granted or revoked what, when.
CREATE TABLE grant_events (
    id          BIGSERIAL PRIMARY KEY,
    username    TEXT NOT NULL,
    role        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    change      TEXT NOT NULL CHECK (change IN ('grant', 'revoke')),
    valid_from  TIMESTAMPTZ,
    valid_until TIMESTAMPTZ,
    changed_by  TEXT NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX grant_events_username_idx ON grant_events (username, changed_at);

-- The projection of a CycleWorkflow (cycle/<province>/<fiscal year>).
CREATE TABLE cycles (
    id                     TEXT PRIMARY KEY,
    province_code          TEXT NOT NULL REFERENCES regions (code),
    fiscal_year            INTEGER NOT NULL,
    submission_deadline    TIMESTAMPTZ NOT NULL,
    review_deadline        TIMESTAMPTZ NOT NULL,
    rakorda_start          TIMESTAMPTZ NOT NULL,
    rakorda_end            TIMESTAMPTZ NOT NULL,
    consolidation_deadline TIMESTAMPTZ NOT NULL,
    ministry_deadline      TIMESTAMPTZ NOT NULL,
    mapping_deadline       TIMESTAMPTZ NOT NULL,
    locked                 BOOLEAN NOT NULL DEFAULT FALSE,
    created_by             TEXT NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    UNIQUE (province_code, fiscal_year)
);

-- +goose Down
DROP TABLE cycles;
DROP TABLE grant_events;
DROP TABLE users;
DROP TABLE nomenclature;
DROP TABLE nomenclature_versions;
DROP TABLE regions;
