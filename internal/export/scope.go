// Package export writes what leaves rencana as files: the consolidated list
// of docs/ARCHITECTURE.md (CSV and XLSX, one cycle or a whole fiscal year across
// provinces), the audit trail of a cycle (CSV), and reads back the
// ministry's answer uploaded as the exported sheet with a decision column.
// Everything is streamed from the database, so memory stays flat however
// many proposals a fiscal year holds.
package export

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// Format is a file format of an export or an upload.
type Format string

// The formats the consolidated list is offered in.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ParseFormat accepts "csv" or "xlsx" in any case; anything else is
// EINVALID on the field format.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case CSV, XLSX:
		return f, nil
	}
	var v domain.Validation
	v.Add("format", "Format %q tidak dikenal; gunakan csv atau xlsx.", s)
	return "", v.Err()
}

// ContentType is the media type to serve a file of format f with.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Scope is what an export covers: one cycle (a province's fiscal year), or
// every cycle of FiscalYear across provinces when CycleID is empty (what the
// ministry liaison downloads). Build it with ResolveScope.
type Scope struct {
	CycleID      string
	FiscalYear   int
	ProvinceCode string // "" for a fiscal year across provinces
	ProvinceName string
}

// National reports whether the scope spans every province of its year.
func (s Scope) National() bool { return s.CycleID == "" }

func (s Scope) query() store.ConsolidatedQuery {
	if s.National() {
		return store.ConsolidatedQuery{FiscalYear: s.FiscalYear}
	}
	return store.ConsolidatedQuery{CycleID: s.CycleID}
}

// ResolveScope builds the scope of one cycle (cycleID) or of a fiscal year
// across provinces (fiscalYear); exactly one is given. An unknown cycle is
// ENOTFOUND, a missing or doubled choice EINVALID.
func ResolveScope(ctx context.Context, db *store.DB, cycleID string, fiscalYear int) (Scope, error) {
	var v domain.Validation
	switch {
	case cycleID == "" && fiscalYear == 0:
		v.Add("cycle_id", "Pilih satu siklus (cycle_id) atau satu tahun anggaran (fiscal_year).")
	case cycleID != "" && fiscalYear != 0:
		v.Add("cycle_id", "Gunakan cycle_id atau fiscal_year, tidak keduanya.")
	case cycleID == "" && (fiscalYear < 2000 || fiscalYear > 2999):
		v.Add("fiscal_year", "Tahun anggaran %d tidak valid.", fiscalYear)
	}
	if err := v.Err(); err != nil {
		return Scope{}, err
	}
	if cycleID == "" {
		return Scope{FiscalYear: fiscalYear}, nil
	}
	c, err := db.GetCycle(ctx, cycleID)
	if err != nil {
		return Scope{}, err
	}
	s := Scope{CycleID: c.ID, FiscalYear: c.FiscalYear, ProvinceCode: c.ProvinceCode, ProvinceName: c.ProvinceCode}
	r, err := db.GetRegion(ctx, c.ProvinceCode)
	switch {
	case err == nil:
		s.ProvinceName = r.Name
	case domain.ErrorCode(err) != domain.ENOTFOUND:
		return Scope{}, err
	}
	return s, nil
}

// Filename names the consolidated list of scope in format f so that a
// downloaded file says what it holds: konsolidasi_74_sulawesi_tenggara_2027.xlsx
// for a cycle, konsolidasi_semua_provinsi_2027.csv for a fiscal year.
func Filename(scope Scope, f Format) string {
	return "konsolidasi_" + scopeSlug(scope) + "." + string(f)
}

// AuditFilename names the audit trail of a cycle:
// jejak_audit_74_sulawesi_tenggara_2027.csv.
func AuditFilename(scope Scope) string {
	return "jejak_audit_" + scopeSlug(scope) + ".csv"
}

func scopeSlug(s Scope) string {
	if s.National() {
		return fmt.Sprintf("semua_provinsi_%d", s.FiscalYear)
	}
	return fmt.Sprintf("%s_%s_%d", slug(s.ProvinceCode), slug(s.ProvinceName), s.FiscalYear)
}

// slug keeps ASCII letters and digits, lower-cased, and joins the rest with
// single underscores, so a filename survives every browser and OS.
func slug(s string) string {
	var b strings.Builder
	pending := false
	for _, r := range strings.ToLower(s) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
			continue
		}
		pending = true
	}
	return b.String()
}

// Indonesia's three time zones; none observes daylight saving, so fixed
// offsets are exact and need no tzdata on the server.
var (
	wib  = time.FixedZone("WIB", 7*3600)
	wita = time.FixedZone("WITA", 8*3600)
	wit  = time.FixedZone("WIT", 9*3600)
)

// ProvinceZone is the local time zone of a province (by its Kemendagri
// code), for showing times as the province's officials read them: WIB for
// Sumatra, Java, West and Central Kalimantan; WITA for Bali, Nusa Tenggara,
// South, East and North Kalimantan and Sulawesi; WIT for Maluku and Papua.
// An unknown code gets WIB, the capital's zone.
func ProvinceZone(provinceCode string) *time.Location {
	switch domain.RegionProvince(provinceCode) {
	case "51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76":
		return wita
	case "81", "82", "91", "92", "93", "94", "95", "96":
		return wit
	}
	return wib
}
