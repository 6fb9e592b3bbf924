-- +goose Up
-- Register targets (issue 18): a cycle target measured on the koperasi
-- register names its indicator and percent; a keyword target leaves
-- indicator empty.
ALTER TABLE cycle_targets ADD COLUMN indicator TEXT NOT NULL DEFAULT '';
ALTER TABLE cycle_targets ADD COLUMN percent DOUBLE PRECISION NOT NULL DEFAULT 0;

-- The koperasi a proposal serves, as the workflow's snapshot holds them
-- (JSON array of koperasi ids), and one row per pair so eligibility and
-- coverage query by koperasi.
ALTER TABLE proposals ADD COLUMN beneficiaries_koperasi TEXT NOT NULL DEFAULT '[]';
CREATE TABLE proposal_koperasi (
    proposal_id TEXT NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    koperasi_id TEXT NOT NULL,
    PRIMARY KEY (proposal_id, koperasi_id)
);
CREATE INDEX proposal_koperasi_koperasi_idx ON proposal_koperasi (koperasi_id);

-- +goose Down
DROP TABLE proposal_koperasi;
ALTER TABLE proposals DROP COLUMN beneficiaries_koperasi;
ALTER TABLE cycle_targets DROP COLUMN percent;
ALTER TABLE cycle_targets DROP COLUMN indicator;
