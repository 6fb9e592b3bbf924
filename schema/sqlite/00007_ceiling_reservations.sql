-- +goose Up
-- A consolidated amount counts against its kab/kota's ceiling (pagu
-- indikatif). It used to be reserved with the cycle's workflow, one Update
-- per consolidate; it is now checked and reserved in the transaction that
-- records the consolidate (store.RecordConsolidation), under a lock on the
-- cycle's row. One row per proposal: consolidating again replaces it, and
-- it stays whatever happens to the proposal later.
CREATE TABLE ceiling_reservations (
    proposal_id TEXT PRIMARY KEY,
    cycle_id    TEXT NOT NULL,
    region_code TEXT NOT NULL,
    amount_idr  BIGINT NOT NULL CHECK (amount_idr >= 0),
    reserved_at DATETIME NOT NULL
);
CREATE INDEX ceiling_reservations_region_idx ON ceiling_reservations (cycle_id, region_code);
-- Proposals consolidated before: the kab/kota is the first two segments of
-- the region code (a province's own proposal keeps its code).
INSERT INTO ceiling_reservations (proposal_id, cycle_id, region_code, amount_idr, reserved_at)
SELECT id, cycle_id,
       CASE WHEN length(region_code) <= 2 THEN region_code ELSE substr(region_code, 1, 5) END,
       consolidated_amount_idr, updated_at
FROM proposals WHERE consolidated;

-- +goose Down
DROP TABLE ceiling_reservations;
