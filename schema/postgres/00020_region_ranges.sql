-- +goose Up
-- Region scope as a range over an index (issue 24): "region_code lies in
-- scope S" is region_code >= S AND region_code < S || '/', which holds for
-- S itself and every code below S's dot ('.' sorts just before '/'), and
-- nothing else, because codes are digits and dots. That is true only in
-- byte order: under a linguistic collation (en_US, id_ID) punctuation is
-- ignored at first and '74.05/' does not bound '74.05.x'. So the columns
-- compared this way compare in "C", whatever the database's default, and
-- plain btree indexes (which serve both ranges and LIKE 'S.%' in "C")
-- replace the text_pattern_ops ones.
ALTER TABLE proposals ALTER COLUMN region_code TYPE TEXT COLLATE "C";
DROP INDEX proposals_stage_region_idx;
DROP INDEX proposals_region_idx;
CREATE INDEX proposals_stage_region_idx ON proposals (stage, region_code);
CREATE INDEX proposals_region_idx ON proposals (region_code);

ALTER TABLE koperasi ALTER COLUMN region_code TYPE TEXT COLLATE "C";
ALTER TABLE koperasi_years ALTER COLUMN region_code TYPE TEXT COLLATE "C";
ALTER TABLE data_rounds ALTER COLUMN region_code TYPE TEXT COLLATE "C";
ALTER TABLE koperasi_area_years ALTER COLUMN kecamatan_code TYPE TEXT COLLATE "C";
ALTER TABLE bumdes_businesses ALTER COLUMN region_code TYPE TEXT COLLATE "C";
DROP INDEX bumdes_businesses_region_idx;
CREATE INDEX bumdes_businesses_region_idx ON bumdes_businesses (region_code);
ALTER TABLE notifications ALTER COLUMN recipient_scope TYPE TEXT COLLATE "C";

-- +goose Down
ALTER TABLE notifications ALTER COLUMN recipient_scope TYPE TEXT COLLATE "default";
DROP INDEX bumdes_businesses_region_idx;
ALTER TABLE bumdes_businesses ALTER COLUMN region_code TYPE TEXT COLLATE "default";
CREATE INDEX bumdes_businesses_region_idx ON bumdes_businesses (region_code text_pattern_ops);
ALTER TABLE koperasi_years ALTER COLUMN region_code TYPE TEXT COLLATE "default";
ALTER TABLE data_rounds ALTER COLUMN region_code TYPE TEXT COLLATE "default";
ALTER TABLE koperasi_area_years ALTER COLUMN kecamatan_code TYPE TEXT COLLATE "default";
ALTER TABLE koperasi ALTER COLUMN region_code TYPE TEXT COLLATE "default";
DROP INDEX proposals_region_idx;
DROP INDEX proposals_stage_region_idx;
ALTER TABLE proposals ALTER COLUMN region_code TYPE TEXT COLLATE "default";
CREATE INDEX proposals_region_idx ON proposals (region_code text_pattern_ops);
CREATE INDEX proposals_stage_region_idx ON proposals (stage, region_code text_pattern_ops);
