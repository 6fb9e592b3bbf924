-- +goose Up
-- What a CycleWorkflow (cycle/<province>/<fiscal year>) projects besides its
-- calendar: the version of the last recorded change, the lock, the ceilings
-- (pagu indikatif), the province's performance targets, and the Rakorda's
-- agreements (kesepakatan) and attendance (daftar hadir). Every table is
-- rewritten whole by the RecordCycle activity from the workflow's snapshot.
ALTER TABLE cycles ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cycles ADD COLUMN locked_at TIMESTAMPTZ;
ALTER TABLE cycles ADD COLUMN locked_by TEXT NOT NULL DEFAULT '';
-- The run of the CycleWorkflow that created the cycle ('' for a cycle written
-- directly): only that workflow (and its continue-as-new successors) may
-- change the row, so a second workflow for the same province and year can
-- never take over an existing cycle.
ALTER TABLE cycles ADD COLUMN origin TEXT NOT NULL DEFAULT '';

-- A ceiling limits the consolidated amounts of one kab/kota (or of the
-- province's own proposals) within a cycle; no row means no limit.
CREATE TABLE cycle_ceilings (
    cycle_id    TEXT NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    region_code TEXT NOT NULL REFERENCES regions (code),
    amount_idr  BIGINT NOT NULL CHECK (amount_idr > 0),
    PRIMARY KEY (cycle_id, region_code)
);

CREATE TABLE cycle_targets (
    cycle_id    TEXT NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    keywords    TEXT NOT NULL DEFAULT '[]', -- JSON array of phrases
    unit        TEXT NOT NULL DEFAULT '',
    baseline    DOUBLE PRECISION NOT NULL DEFAULT 0,
    percent_min DOUBLE PRECISION NOT NULL DEFAULT 0,
    percent_max DOUBLE PRECISION NOT NULL DEFAULT 0,
    min_value   DOUBLE PRECISION NOT NULL DEFAULT 0,
    max_value   DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (cycle_id, code)
);

CREATE TABLE rakorda_agreements (
    cycle_id TEXT NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    number   INTEGER NOT NULL CHECK (number > 0),
    text     TEXT NOT NULL,
    PRIMARY KEY (cycle_id, number)
);

CREATE TABLE rakorda_attendance (
    cycle_id    TEXT NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL CHECK (number > 0),
    name        TEXT NOT NULL,
    job_title   TEXT NOT NULL DEFAULT '', -- jabatan
    institution TEXT NOT NULL DEFAULT '', -- instansi
    region_code TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cycle_id, number)
);

-- The cycle's audit trail, numbered like proposal_events so a retried
-- RecordCycle activity is a no-op.
CREATE TABLE cycle_events (
    cycle_id    TEXT NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL CHECK (seq > 0),
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    actor_scope TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL DEFAULT '{}',
    origin      TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (cycle_id, seq)
);

-- Village enterprises (BUMDes) and the business they already run, where
-- recorded: consolidation warns when a proposal would fund the same
-- business in the same village or kecamatan.
CREATE TABLE bumdes_businesses (
    id          TEXT PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions (code),
    name        TEXT NOT NULL,
    business    TEXT NOT NULL,
    keywords    TEXT NOT NULL DEFAULT '[]', -- JSON array of phrases
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX bumdes_businesses_region_idx ON bumdes_businesses (region_code text_pattern_ops);

-- +goose Down
DROP TABLE bumdes_businesses;
DROP TABLE cycle_events;
DROP TABLE rakorda_attendance;
DROP TABLE rakorda_agreements;
DROP TABLE cycle_targets;
DROP TABLE cycle_ceilings;
ALTER TABLE cycles DROP COLUMN origin;
ALTER TABLE cycles DROP COLUMN locked_by;
ALTER TABLE cycles DROP COLUMN locked_at;
ALTER TABLE cycles DROP COLUMN version;
