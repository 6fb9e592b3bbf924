-- +goose Up
-- The koperasi register (issue 17). A koperasi's identity; its key for
-- imports is nik, else badan_hukum_no (both unique).
CREATE TABLE koperasi (
    id               TEXT PRIMARY KEY,
    nik              TEXT,            -- 16 digits, NULL when the koperasi has none yet
    badan_hukum_no   TEXT NOT NULL,
    badan_hukum_date TEXT NOT NULL,   -- YYYY-MM-DD
    name             TEXT NOT NULL,
    jenis            TEXT NOT NULL CHECK (jenis IN ('konsumen', 'produsen', 'simpan_pinjam', 'pemasaran', 'jasa')),
    region_code      TEXT NOT NULL,   -- a desa/kelurahan
    kmp              BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX koperasi_nik_key ON koperasi (nik) WHERE nik IS NOT NULL;
CREATE UNIQUE INDEX koperasi_badan_hukum_key ON koperasi (badan_hukum_no);
CREATE INDEX koperasi_region_idx ON koperasi (region_code);

-- One row per koperasi and year. region_code is where the koperasi was that
-- year; is_new, rat_held and berkualitas are derived when the row is written
-- (domain.KoperasiYear), so indicators are sums over a range of region codes.
CREATE TABLE koperasi_years (
    koperasi_id       TEXT NOT NULL REFERENCES koperasi (id) ON DELETE CASCADE,
    year              INTEGER NOT NULL,
    region_code       TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('aktif', 'tidak_aktif', 'dibubarkan')),
    rat_date          TEXT NOT NULL DEFAULT '',
    members           BIGINT NOT NULL DEFAULT 0 CHECK (members >= 0),
    modal_sendiri_idr BIGINT NOT NULL DEFAULT 0 CHECK (modal_sendiri_idr >= 0),
    modal_luar_idr    BIGINT NOT NULL DEFAULT 0 CHECK (modal_luar_idr >= 0),
    volume_usaha_idr  BIGINT NOT NULL DEFAULT 0 CHECK (volume_usaha_idr >= 0),
    shu_idr           BIGINT NOT NULL DEFAULT 0 CHECK (shu_idr >= 0),
    is_new            BOOLEAN NOT NULL DEFAULT FALSE,
    rat_held          BOOLEAN NOT NULL DEFAULT FALSE,
    berkualitas       BOOLEAN NOT NULL DEFAULT FALSE,
    updated_by        TEXT NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (koperasi_id, year)
);
-- Covering: the indicators of any region are read from this index alone.
CREATE INDEX koperasi_years_region_idx ON koperasi_years (year, region_code, status, is_new, rat_held, berkualitas,
    members, modal_sendiri_idr, modal_luar_idr, volume_usaha_idr, shu_idr);

-- UMKM figures per kab/kota and year.
CREATE TABLE umkm_figures (
    region_code  TEXT NOT NULL,
    year         INTEGER NOT NULL,
    mikro        BIGINT NOT NULL CHECK (mikro >= 0),
    kecil        BIGINT NOT NULL CHECK (kecil >= 0),
    menengah     BIGINT NOT NULL CHECK (menengah >= 0),
    tenaga_kerja BIGINT NOT NULL CHECK (tenaga_kerja >= 0),
    updated_by   TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region_code, year)
);

-- The projection of a DataRoundWorkflow (data/<kabkota>/<year>) and its
-- trail; written only by the RecordDataRound activity, idempotent on seq.
CREATE TABLE data_rounds (
    region_code TEXT NOT NULL,
    year        INTEGER NOT NULL,
    revision    INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'returned', 'verified', 'accepted')),
    due_at      TIMESTAMPTZ NOT NULL,
    overdue     BOOLEAN NOT NULL DEFAULT FALSE,
    comment     TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region_code, year)
);
CREATE INDEX data_rounds_year_idx ON data_rounds (year, region_code);

CREATE TABLE data_round_events (
    region_code   TEXT NOT NULL,
    year          INTEGER NOT NULL,
    seq           BIGINT NOT NULL,
    action        TEXT NOT NULL,
    from_status   TEXT NOT NULL DEFAULT '',
    to_status     TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    actor_role    TEXT NOT NULL DEFAULT '',
    comment       TEXT NOT NULL DEFAULT '',
    transition_id TEXT NOT NULL DEFAULT '',
    at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (region_code, year, seq)
);

-- +goose Down
DROP TABLE data_round_events;
DROP TABLE data_rounds;
DROP TABLE umkm_figures;
DROP TABLE koperasi_years;
DROP TABLE koperasi;
