-- +goose Up
-- Who has read which notification. A notification may go to every holder
-- of a role within a scope (the reviewers of a kab/kota), so "read" is per
-- reader, not a column of the notification; notifications.read_at stays
-- unused.
CREATE TABLE notification_reads (
    notification_id TEXT NOT NULL,
    username        TEXT NOT NULL,
    read_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (notification_id, username)
);
CREATE INDEX notification_reads_username_idx ON notification_reads (username);

-- The daily digest mail: one row per user and day (in the user's zone)
-- once it is sent, so several workers send it once.
CREATE TABLE mail_digests (
    username TEXT NOT NULL,
    day      TEXT NOT NULL,
    sent_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (username, day)
);

-- Delegations by a kepala dinas: named actions of his own role, within his
-- scope, to a user of his region, for a window. The grant itself is a
-- casbin_rule g line carrying the actions (policies); this row is what
-- both parties see and what a revocation marks. grant_events audits both.
CREATE TABLE delegations (
    id           TEXT PRIMARY KEY,
    grantor      TEXT NOT NULL,
    grantee      TEXT NOT NULL,
    role         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    actions      TEXT NOT NULL,
    valid_from   TIMESTAMPTZ NOT NULL,
    valid_until  TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ,
    revoked_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX delegations_grantor_idx ON delegations (grantor);
CREATE INDEX delegations_grantee_idx ON delegations (grantee);

-- +goose Down
DROP TABLE delegations;
DROP TABLE mail_digests;
DROP TABLE notification_reads;
