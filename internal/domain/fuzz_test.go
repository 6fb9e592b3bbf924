package domain_test

import (
	"strings"
	"testing"

	"github.com/rencana-id/rencana/internal/domain"
)

// FuzzParseRegionCode: whatever the input, the parser never panics, and what
// it accepts is a well-formed code whose level matches its segments and
// whose parent chain ends at its province.
func FuzzParseRegionCode(f *testing.F) {
	for _, s := range []string{"74", "74.05", "74.05.03", "74.05.03.2001", "", "74.", "7405", "74.05.03.2001.1", "74.0a", "٧٤"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		level, err := domain.ParseRegionCode(code)
		if err != nil {
			if level != 0 {
				t.Fatalf("%q refused with level %d", code, level)
			}
			return
		}
		parts := strings.Split(code, ".")
		if int(level) != len(parts) || level < domain.LevelProvinsi || level > domain.LevelDesa {
			t.Fatalf("%q: level %d for %d segments", code, level, len(parts))
		}
		for _, r := range code {
			if r != '.' && (r < '0' || r > '9') {
				t.Fatalf("%q accepted with %q", code, r)
			}
		}
		p := code
		for range int(level) - 1 {
			p = domain.RegionParent(p)
			if !domain.ScopeCovers(p, code) {
				t.Fatalf("parent %q does not cover %q", p, code)
			}
		}
		if p != domain.RegionProvince(code) {
			t.Fatalf("%q: parent chain ends at %q, province is %q", code, p, domain.RegionProvince(code))
		}
	})
}
