-- +goose Up
-- Region scope as a range over an index (issue 24; see the PostgreSQL file
-- of the same number). SQLite compares TEXT in byte order (BINARY) unless
-- told otherwise, so its columns and plain indexes serve the range as they
-- are: nothing to change. The file keeps both dialects at one version.
SELECT 1;

-- +goose Down
SELECT 1;
