-- +goose Up
-- Indexes for the API's reads of the proposals projection (api package,
-- internal/store/queries.go). Version 00004 belongs to the cycles work.
--
-- Lists page newest first with a keyset on (created_at, id), optionally
-- within one cycle.
CREATE INDEX proposals_created_idx ON proposals (created_at, id);
CREATE INDEX proposals_cycle_created_idx ON proposals (cycle_id, created_at, id);
-- The task inbox reads, per stage a caller may act in, the proposals of one
-- region subtree soonest due first. Kemendagri codes have fixed widths
-- (74, 74.05, 74.05.03, 74.05.03.2001), so "within scope S" is
-- substr(region_code, 1, length(S)) = S: an equality an index can serve in
-- due order, one index per scope level (national scopes use the first).
CREATE INDEX proposals_stage_due_idx ON proposals (stage, due_at, id);
CREATE INDEX proposals_stage_prov_due_idx ON proposals (stage, (substr(region_code, 1, 2)), due_at, id);
CREATE INDEX proposals_stage_kab_due_idx ON proposals (stage, (substr(region_code, 1, 5)), due_at, id);
CREATE INDEX proposals_stage_kec_due_idx ON proposals (stage, (substr(region_code, 1, 8)), due_at, id);

-- +goose Down
DROP INDEX proposals_stage_kec_due_idx;
DROP INDEX proposals_stage_kab_due_idx;
DROP INDEX proposals_stage_prov_due_idx;
DROP INDEX proposals_stage_due_idx;
DROP INDEX proposals_cycle_created_idx;
DROP INDEX proposals_created_idx;
