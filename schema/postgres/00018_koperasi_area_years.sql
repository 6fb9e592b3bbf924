-- +goose Up
-- The register's indicators summed per kecamatan and year (issue 17): the
-- indicators of a kecamatan, kab/kota, province or the country add up a
-- few hundred to a few thousand of these rows instead of every koperasi
-- of the year. Rewritten from koperasi_years by the store in the same
-- transaction as every write of koperasi_years (store.refreshAreaYears).
CREATE TABLE koperasi_area_years (
    year              INTEGER NOT NULL,
    kecamatan_code    TEXT NOT NULL,
    active            BIGINT NOT NULL,
    inactive          BIGINT NOT NULL,
    dissolved         BIGINT NOT NULL,
    new_count         BIGINT NOT NULL,
    rat_held          BIGINT NOT NULL,
    berkualitas       BIGINT NOT NULL,
    members           BIGINT NOT NULL,
    modal_sendiri_idr BIGINT NOT NULL,
    modal_luar_idr    BIGINT NOT NULL,
    volume_usaha_idr  BIGINT NOT NULL,
    shu_idr           BIGINT NOT NULL,
    PRIMARY KEY (year, kecamatan_code)
);
INSERT INTO koperasi_area_years
SELECT year, SUBSTR(region_code, 1, 8),
    SUM(CASE WHEN status = 'aktif' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'tidak_aktif' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'dibubarkan' THEN 1 ELSE 0 END),
    SUM(CASE WHEN is_new THEN 1 ELSE 0 END),
    SUM(CASE WHEN rat_held THEN 1 ELSE 0 END),
    SUM(CASE WHEN berkualitas THEN 1 ELSE 0 END),
    SUM(members), SUM(modal_sendiri_idr), SUM(modal_luar_idr), SUM(volume_usaha_idr), SUM(shu_idr)
FROM koperasi_years
GROUP BY year, SUBSTR(region_code, 1, 8);

-- The covering index of 00008 served indicators summed from every row;
-- with the sums above it only weighed on every import (eleven columns per
-- row). Desa-level reads and the sums' rewrite need year and region only.
DROP INDEX koperasi_years_region_idx;
CREATE INDEX koperasi_years_year_region_idx ON koperasi_years (year, region_code);

-- +goose Down
DROP INDEX koperasi_years_year_region_idx;
CREATE INDEX koperasi_years_region_idx ON koperasi_years (year, region_code, status, is_new, rat_held, berkualitas,
    members, modal_sendiri_idr, modal_luar_idr, volume_usaha_idr, shu_idr);
DROP TABLE koperasi_area_years;
