// Package refdata ships rencana's reference data inside the binary — the
// Kemendagri region codes (Kepmendagri 300.2.2-2138/2025) and a seed of the
// SIPD nomenclature for urusan 2.17 — and loads it into the store at first
// start, so a fresh install works offline. It also parses and imports an
// official nomenclature lampiran (CSV/XLSX) as a new version. data/SOURCES.md
// says where the data comes from and carries the MIT licence notice of the
// region list; it must stay next to the data.
package refdata

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// files holds the shipped data: regions.csv.gz is
// wilayah_kepmendagri_2025.csv compressed with gzip -9 (4.7 MB to 0.9 MB),
// nomenklatur_2_17.csv the seed as published, SOURCES.md their provenance.
//
//go:embed data/regions.csv.gz data/nomenklatur_2_17.csv data/SOURCES.md
var files embed.FS

// BuiltinRegionCount is how many regions the shipped list holds (38
// provinsi, 514 kab/kota, 7,285 kecamatan, 83,762 desa/kelurahan).
// LoadBuiltin compares the table's count with it to skip work cheaply; a
// test checks it against the data.
const BuiltinRegionCount = 91_599

// Sources returns data/SOURCES.md: the provenance of the shipped data and the
// licence notice that has to accompany it wherever it is shown or copied.
func Sources() string {
	b, err := files.ReadFile("data/SOURCES.md")
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

// Result says what LoadBuiltin did, for the start-up log.
type Result struct {
	// RegionsAdded is 0 when the regions were already there.
	RegionsAdded int64
	// Regions is how many regions the table holds afterwards.
	Regions int64
	// VersionsAdded lists the valid_from_year of each seed nomenclature
	// version this call created.
	VersionsAdded []int
	// NomenclatureRowsAdded counts the rows of those versions.
	NomenclatureRowsAdded int
}

// LoadBuiltin loads the shipped regions and nomenclature seed unless they
// are already there. It is idempotent and safe to run from several processes
// at once: a second call costs two cheap queries and writes nothing. Regions
// go in one transaction (existing codes are kept), each seed version in its
// own; see BuiltinNomenclature for the versions.
func LoadBuiltin(ctx context.Context, db *store.DB) (Result, error) {
	var res Result
	n, err := db.CountRegions(ctx)
	if err != nil {
		return res, err
	}
	res.Regions = n
	if n < BuiltinRegionCount {
		regions, err := BuiltinRegions()
		if err != nil {
			return res, err
		}
		if res.RegionsAdded, err = db.InsertRegions(ctx, regions); err != nil {
			return res, err
		}
		res.Regions = n + res.RegionsAdded
	}

	existing, err := db.ListNomenclatureVersions(ctx)
	if err != nil {
		return res, err
	}
	have := map[int]bool{}
	for _, v := range existing {
		have[v.ValidFromYear] = true
	}
	if have[seed2022.ValidFromYear] && have[seed2024.ValidFromYear] {
		return res, nil
	}
	seeds, err := BuiltinNomenclature()
	if err != nil {
		return res, err
	}
	for _, s := range seeds {
		year := s.Version.ValidFromYear
		if have[year] {
			continue
		}
		_, err := db.CreateNomenclatureVersion(ctx, s.Version, s.Rows)
		switch {
		case domain.ErrorCode(err) == domain.ECONFLICT:
			// Another process loaded it first, or an operator imported an
			// official lampiran for that year: keep theirs.
		case err != nil:
			return res, fmt.Errorf("load nomenclature seed %d: %w", year, err)
		default:
			res.VersionsAdded = append(res.VersionsAdded, year)
			res.NomenclatureRowsAdded += len(s.Rows)
		}
	}
	return res, nil
}

// BuiltinRegions decodes the shipped region list and checks every code's
// shape, level and parent, parents before children.
func BuiltinRegions() ([]store.Region, error) {
	f, err := files.Open("data/regions.csv.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("regions.csv.gz: %w", err)
	}
	return parseRegions(zr)
}

// parseRegions reads kode,kode_digits,nama,level,level_name,parent_kode.
func parseRegions(r io.Reader) ([]store.Region, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("regions: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, c := range []string{"kode", "nama", "level", "parent_kode"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("regions: column %q missing", c)
		}
	}
	out := make([]store.Region, 0, BuiltinRegionCount)
	known := make(map[string]bool, BuiltinRegionCount)
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("regions: %w", err)
		}
		code, parent := rec[col["kode"]], rec[col["parent_kode"]]
		level, err := domain.ParseRegionCode(code)
		if err != nil {
			return nil, fmt.Errorf("regions line %d: %w", line, err)
		}
		if l, err := strconv.Atoi(rec[col["level"]]); err != nil || l != int(level) {
			return nil, fmt.Errorf("regions line %d: level %q does not match code %s", line, rec[col["level"]], code)
		}
		if parent != domain.RegionParent(code) || (parent != "" && !known[parent]) {
			return nil, fmt.Errorf("regions line %d: parent %q of %s is wrong or comes later", line, parent, code)
		}
		if known[code] {
			return nil, fmt.Errorf("regions line %d: duplicate code %s", line, code)
		}
		known[code] = true
		out = append(out, store.Region{Code: code, Name: rec[col["nama"]], Level: level, ParentCode: parent})
	}
	return out, nil
}

// SeedVersion is one nomenclature version built from the shipped seed.
type SeedVersion struct {
	Version store.NomenclatureVersion
	Rows    []store.NomenclatureRow
}

// The two versions the seed mixes. Their codes differ in the width of the
// sub kegiatan segment, which is how the seed's rows are told apart.
var (
	seed2022 = store.NomenclatureVersion{
		Name:          "Nomenklatur 2.17 (seed, sub kegiatan 2 digit)",
		Regulation:    "Permendagri 90/2019 s.d. Kepmendagri 050-5889/2021",
		ValidFromYear: 2022,
		Source:        "builtin: nomenklatur_2_17.csv",
	}
	seed2024 = store.NomenclatureVersion{
		Name:          "Nomenklatur 2.17 (seed, sub kegiatan 4 digit)",
		Regulation:    "Kepmendagri 900.1.15.5-1317/2023",
		ValidFromYear: FourDigitFromYear,
		Source:        "builtin: nomenklatur_2_17.csv",
	}
)

// BuiltinNomenclature splits the shipped seed (data/nomenklatur_2_17.csv)
// into its two versions, each validated like an import:
//
//   - valid from 2022: sub kegiatan with a 2-digit last segment
//     (Permendagri 90/2019 up to Kepmendagri 050-5889/2021);
//   - valid from 2024: sub kegiatan with a 4-digit last segment
//     (Kepmendagri 900.1.15.5-1317/2023);
//   - urusan, bidang urusan, program and kegiatan rows belong to both.
//
// Rows are kept or dropped by their status:
//
//   - "verified": kept.
//   - "superseded (historical)": kept, in the 2-digit version. These are
//     the kab/kota sub kegiatan of the 2-digit lists, superseded only by the
//     4-digit renumbering; cycles before 2024 were planned with them. The
//     status column keeps saying so.
//   - "superseded" alone: dropped together with every code below it. These
//     are kegiatan (2.17.05.2.02, 2.17.05.2.03) removed by 050-5889/2021,
//     i.e. not in force for any fiscal year from 2022 on, so offering them
//     for mapping would only invite a code SIPD rejects.
//   - "unverified" / name-only rows without a code: dropped. A row without
//     a code cannot be mapped or validated; such names reach the product
//     when an operator imports the official lampiran.
func BuiltinNomenclature() ([]SeedVersion, error) {
	data, err := files.ReadFile("data/nomenklatur_2_17.csv")
	if err != nil {
		return nil, err
	}
	records, err := readCSV(data)
	if err != nil {
		return nil, fmt.Errorf("nomenklatur_2_17.csv: %w", err)
	}
	var v domain.Validation
	rows := tableRows(records, &v)
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("nomenklatur_2_17.csv: %w", describe(err))
	}
	var dropped []string
	var kept []sheetRow
	for _, r := range rows {
		status := strings.ToLower(r.get("status"))
		switch {
		case r.get("kode") == "" || strings.Contains(status, "unverified"):
			continue
		case status == "superseded":
			dropped = append(dropped, r.get("kode"))
			continue
		}
		kept = append(kept, r)
	}
	kept = slices.DeleteFunc(kept, func(r sheetRow) bool {
		return slices.ContainsFunc(dropped, func(d string) bool { return strings.HasPrefix(r.get("kode"), d+".") })
	})

	var out []SeedVersion
	for _, version := range []store.NomenclatureVersion{seed2022, seed2024} {
		digits := SubKegiatanDigits(version.ValidFromYear)
		var mine []sheetRow
		for _, r := range kept {
			c, err := ParseNomenclatureCode(r.get("kode"))
			if err == nil && c.SubDigits != 0 && c.SubDigits != digits {
				continue // the other version's sub kegiatan
			}
			mine = append(mine, r)
		}
		var v domain.Validation
		nrows := validateRows(mine, version.ValidFromYear, &v)
		if err := v.Err(); err != nil {
			return nil, fmt.Errorf("nomenklatur_2_17.csv for %d: %w", version.ValidFromYear, describe(err))
		}
		out = append(out, SeedVersion{Version: version, Rows: nrows})
	}
	return out, nil
}

// describe spells out a validation error's fields; used for the shipped
// seed, where a failure is a bug to be read in a log.
func describe(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	var b bytes.Buffer
	b.WriteString(de.Message)
	for _, f := range de.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	return fmt.Errorf("%w (%s)", err, b.String())
}
