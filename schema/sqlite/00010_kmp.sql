-- +goose Up
-- Koperasi Merah Putih (issue 19): the projection of the KMP workflows
-- (workflows/kmp.go), one row per desa/kelurahan where formation started.
-- region_code is compared by byte order (the summaries select a region as
-- the range code >= p AND code < next(p)), hence no foreign key to regions:
-- the start reads its codes from regions itself.
CREATE TABLE kmp (
    region_code TEXT PRIMARY KEY,
    name        TEXT NOT NULL,                 -- the desa/kelurahan
    reached     SMALLINT NOT NULL DEFAULT 0,   -- milestones reached, 0..7 (domain.KMPSteps order)
    next_due_at DATETIME,                         -- deadline of the next milestone, if any
    late        BOOLEAN NOT NULL DEFAULT FALSE, -- the next milestone's deadline passed
    escalation  TEXT NOT NULL DEFAULT '',      -- '', camat, satgas_kmp: who was told it is late
    deadlines   TEXT NOT NULL DEFAULT '{}',    -- JSON milestone -> time
    records     TEXT NOT NULL DEFAULT '[]',    -- JSON: the milestones recorded, with fields, actor, time
    warnings    TEXT NOT NULL DEFAULT '[]',    -- JSON: BUMDes overlap warnings of operasional
    seq         BIGINT NOT NULL DEFAULT 0,     -- last projected change of the workflow
    job_id      TEXT NOT NULL DEFAULT '',      -- the bulk start that created it
    started_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
) WITHOUT ROWID;
-- The summaries read only these columns: an index-only range scan.
CREATE INDEX kmp_summary_idx ON kmp (region_code, reached, late);
CREATE INDEX kmp_late_idx ON kmp (late, region_code);

-- The audit trail of each KMP: every recorded milestone and every deadline
-- the clock acted on.
CREATE TABLE kmp_events (
    region_code   TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    action        TEXT NOT NULL,                -- a milestone, or reminder / late / escalate
    actor         TEXT NOT NULL,
    actor_role    TEXT NOT NULL,
    actor_scope   TEXT NOT NULL,
    payload       TEXT NOT NULL DEFAULT '{}',
    transition_id TEXT NOT NULL DEFAULT '',
    at            DATETIME NOT NULL,
    PRIMARY KEY (region_code, seq)
);

-- Bulk starts (POST /api/v1/kmp/start): one row per job, its cursor and
-- counts written after every batch, so a user follows it and a retried or
-- resumed job goes on where it stopped.
CREATE TABLE kmp_start_jobs (
    id          TEXT PRIMARY KEY,
    region      TEXT NOT NULL,
    deadlines   TEXT NOT NULL DEFAULT '{}',
    actor       TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    status      TEXT NOT NULL,                 -- running, done, failed
    total       INTEGER NOT NULL DEFAULT 0,    -- desa/kelurahan under region
    started     INTEGER NOT NULL DEFAULT 0,
    already     INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    cursor      TEXT NOT NULL DEFAULT '',      -- last desa code handled
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    finished_at DATETIME
);

-- +goose Down
DROP TABLE kmp_start_jobs;
DROP TABLE kmp_events;
DROP TABLE kmp;
