-- +goose Up
-- Transitions are projected by a local activity, inside the workflow task
-- that accepts the Update (workflows/proposal.go). A worker that dies before
-- that task completes may have written a transition Temporal never
-- recorded; the retried task can then put a different transition at the
-- same seq. transition_id (the Temporal Update ID, or the deadline that
-- fired) tells a retry of the same transition from such a replacement.
ALTER TABLE proposal_events ADD COLUMN transition_id TEXT NOT NULL DEFAULT '';
-- Notifications are written in the transition's transaction; seq ties
-- them to it so a replaced transition takes its notifications along.
ALTER TABLE notifications ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
-- The mail subject, for the outbox.
ALTER TABLE notifications ADD COLUMN subject TEXT NOT NULL DEFAULT '';
-- Mail leaves through an outbox (cmd/rencana/outbox.go): a notification
-- is mailed once mailed_at is set. Earlier notifications count as mailed.
ALTER TABLE notifications ADD COLUMN mailed_at TIMESTAMPTZ;
UPDATE notifications SET mailed_at = created_at;
CREATE INDEX notifications_unmailed_idx ON notifications (created_at) WHERE mailed_at IS NULL;

-- +goose Down
DROP INDEX notifications_unmailed_idx;
ALTER TABLE notifications DROP COLUMN mailed_at;
ALTER TABLE notifications DROP COLUMN subject;
ALTER TABLE notifications DROP COLUMN seq;
ALTER TABLE proposal_events DROP COLUMN transition_id;
