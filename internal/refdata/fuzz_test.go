package refdata_test

import (
	"strings"
	"testing"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/refdata"
	"github.com/rencana-id/rencana/internal/store"
)

// FuzzParseNomenclatureCode checks the code parser's invariants on any
// input: it never panics, and what it accepts is consistent with itself —
// the level matches the depth, a parent parses one level up (skipping the
// "2.17.NN.P" pseudo-level), the pemda level follows the 5th segment.
// Seeds live in testdata/fuzz/FuzzParseNomenclatureCode.
func FuzzParseNomenclatureCode(f *testing.F) {
	for _, s := range []string{"2", "2.17", "2.17.07", "2.17.07.2.01", "2.17.07.2.01.0001", "2.17.07.1.01.02", "", "2.17.07.3.01"} {
		f.Add(s)
	}
	depth := map[store.NomenclatureLevel]int{
		store.NomenUrusan: 1, store.NomenBidangUrusan: 2, store.NomenProgram: 3,
		store.NomenKegiatan: 5, store.NomenSubKegiatan: 6,
	}
	f.Fuzz(func(t *testing.T, code string) {
		c, err := refdata.ParseNomenclatureCode(code)
		if err != nil {
			if c != (refdata.NomenclatureCode{}) {
				t.Fatalf("%q: error %v with a non-zero result %+v", code, err, c)
			}
			return
		}
		parts := strings.Split(code, ".")
		if c.Code != code || depth[c.Level] != len(parts) {
			t.Fatalf("%q parsed as %+v", code, c)
		}
		switch c.Level {
		case store.NomenKegiatan, store.NomenSubKegiatan:
			want := map[string]domain.PemdaLevel{"1": domain.PemdaProvinsi, "2": domain.PemdaKabKota}[parts[3]]
			if c.PemdaLevel != want || want == "" {
				t.Fatalf("%q: pemda level %q", code, c.PemdaLevel)
			}
		default:
			if c.PemdaLevel != "" {
				t.Fatalf("%q: pemda level %q above kegiatan", code, c.PemdaLevel)
			}
		}
		if (c.Level == store.NomenSubKegiatan) != (c.SubDigits == 2 || c.SubDigits == 4) {
			t.Fatalf("%q: sub digits %d", code, c.SubDigits)
		}
		parent := c.Parent()
		if c.Level == store.NomenKegiatan {
			parent = domain.RegionParent(parent)
		}
		if c.Level == store.NomenUrusan {
			if parent != "" {
				t.Fatalf("%q: urusan with parent %q", code, parent)
			}
			return
		}
		p, err := refdata.ParseNomenclatureCode(parent)
		if err != nil {
			t.Fatalf("%q: parent %q does not parse: %v", code, parent, err)
		}
		if depth[p.Level] >= depth[c.Level] {
			t.Fatalf("%q: parent %q is not above it", code, parent)
		}
	})
}
