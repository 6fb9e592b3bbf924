-- +goose Up
-- The projection of a ProposalWorkflow (proposal/<id>): written only by the
-- RecordTransition activity, read by lists, the task inbox and exports.
CREATE TABLE proposals (
    id                      TEXT PRIMARY KEY,
    cycle_id                TEXT NOT NULL REFERENCES cycles (id),
    region_code             TEXT NOT NULL REFERENCES regions (code),
    title                   TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    category                TEXT NOT NULL DEFAULT '',
    amount_idr              BIGINT NOT NULL DEFAULT 0 CHECK (amount_idr >= 0),
    funding_source          TEXT NOT NULL DEFAULT '',
    indicators              TEXT NOT NULL DEFAULT '[]', -- JSON array of {"name","target","unit"}
    sipd_code               TEXT NOT NULL DEFAULT '',
    beneficiaries           TEXT NOT NULL DEFAULT '',
    stage                   TEXT NOT NULL,
    priority                INTEGER NOT NULL DEFAULT 0,
    consolidated            BOOLEAN NOT NULL DEFAULT FALSE,
    consolidated_amount_idr BIGINT NOT NULL DEFAULT 0 CHECK (consolidated_amount_idr >= 0),
    created_by              TEXT NOT NULL,
    submitted_by            TEXT NOT NULL DEFAULT '',
    due_at                  TIMESTAMPTZ,
    overdue                 BOOLEAN NOT NULL DEFAULT FALSE,
    version                 BIGINT NOT NULL,
    seq                     BIGINT NOT NULL, -- seq of the last proposal_events row applied
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX proposals_cycle_stage_idx ON proposals (cycle_id, stage);
CREATE INDEX proposals_stage_region_idx ON proposals (stage, region_code text_pattern_ops);
CREATE INDEX proposals_region_idx ON proposals (region_code text_pattern_ops);
CREATE INDEX proposals_due_at_idx ON proposals (due_at);

-- The audit trail: one row per recorded change, numbered per proposal.
-- (proposal_id, seq) makes a retried activity a no-op instead of a duplicate.
CREATE TABLE proposal_events (
    proposal_id TEXT NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL CHECK (seq > 0),
    action      TEXT NOT NULL,
    from_stage  TEXT NOT NULL DEFAULT '',
    to_stage    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    actor_scope TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    payload     TEXT NOT NULL DEFAULT '{}', -- JSON: the action's parameters
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (proposal_id, seq)
);
CREATE INDEX proposal_events_actor_idx ON proposal_events (actor, at);

-- In-app notifications (mail is optional). A recipient is a user, or every
-- holder of a role within a scope. The id is chosen by the workflow so a
-- retried activity cannot notify twice.
CREATE TABLE notifications (
    id                 TEXT PRIMARY KEY,
    recipient_username TEXT NOT NULL DEFAULT '',
    recipient_role     TEXT NOT NULL DEFAULT '',
    recipient_scope    TEXT NOT NULL DEFAULT '',
    proposal_id        TEXT NOT NULL DEFAULT '',
    kind               TEXT NOT NULL,
    message            TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    read_at            TIMESTAMPTZ,
    CHECK (recipient_username <> '' OR recipient_role <> '')
);
CREATE INDEX notifications_username_idx ON notifications (recipient_username, created_at);
CREATE INDEX notifications_role_idx ON notifications (recipient_role, recipient_scope, created_at);
CREATE INDEX notifications_proposal_idx ON notifications (proposal_id);

-- +goose Down
DROP TABLE notifications;
DROP TABLE proposal_events;
DROP TABLE proposals;
