-- +goose Up
-- The proposal dossier (issue 21). number is the human-friendly name
-- (74.05.03/2027/0012), unique once assigned; rab and locations are JSON
-- like indicators; origin is where the usulan came from.
ALTER TABLE proposals ADD COLUMN number TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN rab TEXT NOT NULL DEFAULT '[]';
ALTER TABLE proposals ADD COLUMN locations TEXT NOT NULL DEFAULT '[]';
ALTER TABLE proposals ADD COLUMN origin TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX proposals_number_idx ON proposals (number) WHERE number <> '';

-- The last sequence handed out per region and fiscal year. One upsert
-- (INSERT .. ON CONFLICT DO UPDATE .. RETURNING) takes the next number
-- atomically on both engines; a create that fails after taking it leaves
-- a gap, which is fine.
CREATE TABLE proposal_number_seqs (
    region_code TEXT NOT NULL,
    fiscal_year INTEGER NOT NULL,
    last        BIGINT NOT NULL,
    PRIMARY KEY (region_code, fiscal_year)
);

-- The discussion thread of a proposal: whoever may read the proposal may
-- read and write it. Not part of the workflow: a comment moves nothing.
CREATE TABLE proposal_comments (
    id          TEXT PRIMARY KEY,
    proposal_id TEXT NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    author      TEXT NOT NULL,
    author_role TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX proposal_comments_proposal_idx ON proposal_comments (proposal_id, created_at);

-- +goose Down
DROP TABLE proposal_comments;
DROP TABLE proposal_number_seqs;
DROP INDEX proposals_number_idx;
ALTER TABLE proposals DROP COLUMN origin;
ALTER TABLE proposals DROP COLUMN locations;
ALTER TABLE proposals DROP COLUMN rab;
ALTER TABLE proposals DROP COLUMN number;
