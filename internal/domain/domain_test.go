package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
)

func TestParseRegionCode(t *testing.T) {
	for code, want := range map[string]domain.RegionLevel{
		"74":            domain.LevelProvinsi,
		"74.05":         domain.LevelKabKota,
		"74.05.03":      domain.LevelKecamatan,
		"74.05.03.2001": domain.LevelDesa,
	} {
		got, err := domain.ParseRegionCode(code)
		require.NoError(t, err, code)
		require.Equal(t, want, got, code)
	}
	for _, bad := range []string{"", "7", "740", "74.5", "74.05.3", "74.05.03.201", "74.05.03.2001.1", "74.0a", "74..05", ".74", "74."} {
		_, err := domain.ParseRegionCode(bad)
		require.Error(t, err, bad)
	}
}

func TestRegionHelpers(t *testing.T) {
	require.Equal(t, "74.05", domain.RegionParent("74.05.03"))
	require.Equal(t, "", domain.RegionParent("74"))
	require.Equal(t, "74", domain.RegionProvince("74.05.03.2001"))
	require.Equal(t, "74", domain.RegionProvince("74"))
	require.Equal(t, "74.05", domain.RegionKabKota("74.05.03.2001"))
	require.Equal(t, "74.05", domain.RegionKabKota("74.05"))
	require.Equal(t, "74", domain.RegionKabKota("74"))
	require.Equal(t, domain.PemdaProvinsi, domain.PemdaLevelOf("74"))
	require.Equal(t, domain.PemdaKabKota, domain.PemdaLevelOf("74.05"))
	require.Equal(t, domain.PemdaKabKota, domain.PemdaLevelOf("74.05.03"))
}

// A scope covers itself and every code below it, never a sibling that
// merely shares a textual prefix.
func TestScopeCovers(t *testing.T) {
	cases := []struct {
		scope, code string
		want        bool
	}{
		{"74.05", "74.05", true},
		{"74.05", "74.05.03", true},
		{"74.05", "74.05.03.2001", true},
		{"74.05", "74.050", false},
		{"74.05", "74.06", false},
		{"74.05", "74", false},
		{"74", "74.71.01", true},
		{"74", "73.01", false},
		{"7", "74", false},
		{domain.NationalScope, "11.01", true},
	}
	for _, c := range cases {
		require.Equal(t, c.want, domain.ScopeCovers(c.scope, c.code), "%s covers %s", c.scope, c.code)
	}
}

func validCalendar() domain.Calendar {
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 9, 0, 0, 0, time.UTC) }
	return domain.Calendar{
		SubmissionDeadline:    d(2, 1),
		ReviewDeadline:        d(3, 1),
		RakordaStart:          d(4, 1),
		RakordaEnd:            d(4, 3),
		ConsolidationDeadline: d(5, 1),
		MinistryDeadline:      d(6, 1),
		MappingDeadline:       d(7, 1),
	}
}

func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	var de *domain.Error
	require.True(t, errors.As(err, &de), "want *domain.Error, got %v", err)
	require.Equal(t, domain.EINVALID, de.Code)
	out := map[string]string{}
	for _, f := range de.Fields {
		out[f.Field] = f.Message
	}
	return out
}

func TestCalendarValidateN1(t *testing.T) {
	require.NoError(t, validCalendar().Validate(2027))

	// The same dates are not N-1 for another fiscal year: every field is named.
	f := fieldsOf(t, validCalendar().Validate(2026))
	require.Len(t, f, 7)
	require.Contains(t, f["calendar.submission_deadline"], "2025")

	// One date in the fiscal year itself.
	c := validCalendar()
	c.MappingDeadline = time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	f = fieldsOf(t, c.Validate(2027))
	require.Equal(t, []string{"calendar.mapping_deadline"}, keys(f))

	// Out of order: Rakorda ends before it starts.
	c = validCalendar()
	c.RakordaEnd = c.RakordaStart
	f = fieldsOf(t, c.Validate(2027))
	require.Equal(t, []string{"calendar.rakorda_end"}, keys(f))
	require.Contains(t, f["calendar.rakorda_end"], "rakorda_start")

	// A missing date.
	c = validCalendar()
	c.ReviewDeadline = time.Time{}
	f = fieldsOf(t, c.Validate(2027))
	require.Equal(t, []string{"calendar.review_deadline"}, keys(f))
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestErrorCodeAndMessage(t *testing.T) {
	err := domain.Errorf(domain.ECONFLICT, "Tahap %s tidak mengizinkan aksi ini.", "draft")
	wrapped := errors.Join(errors.New("context"), err)
	require.Equal(t, domain.ECONFLICT, domain.ErrorCode(wrapped))
	require.Equal(t, "Tahap draft tidak mengizinkan aksi ini.", domain.ErrorMessage(err))

	// Anything that is not a domain error is internal, and its text is not
	// shown to users.
	plain := errors.New("pq: connection refused")
	require.Equal(t, domain.EINTERNAL, domain.ErrorCode(plain))
	require.NotContains(t, domain.ErrorMessage(plain), "pq:")
	require.Equal(t, "", domain.ErrorCode(nil))

	var v domain.Validation
	require.NoError(t, v.Err())
	v.Add("amount_idr", "Jumlah harus lebih dari %d.", 0)
	require.Equal(t, map[string]string{"amount_idr": "Jumlah harus lebih dari 0."}, fieldsOf(t, v.Err()))
}

func TestCycleID(t *testing.T) {
	require.Equal(t, "74-2027", domain.CycleID("74", 2027))
}

func TestGrantActiveAt(t *testing.T) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	g := domain.Grant{Role: domain.RoleCamat, Scope: "74.05.03", ValidFrom: &from, ValidUntil: &until}
	require.False(t, g.ActiveAt(from.Add(-time.Second)))
	require.True(t, g.ActiveAt(from))
	require.True(t, g.ActiveAt(until.Add(-time.Second)))
	require.False(t, g.ActiveAt(until.Add(time.Second)))
	require.True(t, domain.Grant{Role: domain.RoleCamat, Scope: "74"}.ActiveAt(time.Now()))
}

func TestStagesAndActions(t *testing.T) {
	for _, s := range []domain.Stage{domain.StageFinal, domain.StageRejected, domain.StageDeferred, domain.StageDeclined, domain.StageWithdrawn, domain.StageExpired} {
		require.True(t, s.Terminal(), s)
		require.NotEmpty(t, s.Label(), s)
	}
	for _, s := range []domain.Stage{domain.StageDraft, domain.StageKabKotaReview, domain.StageRakorda, domain.StageConsolidation, domain.StageMinistry, domain.StageSIPDMapping} {
		require.False(t, s.Terminal(), s)
	}
}

func TestZoneOf(t *testing.T) {
	for code, want := range map[string]*time.Location{
		"74.05.03": domain.WITA, "74": domain.WITA, "51.71": domain.WITA, "64": domain.WITA, "53.10": domain.WITA,
		"31.71": domain.WIB, "62": domain.WIB, "61.01": domain.WIB, "11": domain.WIB, "36": domain.WIB,
		"81.01": domain.WIT, "82": domain.WIT, "91": domain.WIT, "96.01": domain.WIT,
		domain.NationalScope: domain.WIB, "": domain.WIB,
	} {
		require.Equal(t, want, domain.ZoneOf(code), code)
	}
	deadline := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	require.Equal(t, "2026-03-01 17:00 WITA", deadline.In(domain.ZoneOf("74")).Format("2006-01-02 15:04 MST"))
}

// Every code users can meet has an Indonesian label of its own.
func TestLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range domain.Actions {
		require.NotEqual(t, string(a), a.Label())
		require.False(t, seen[a.Label()], a)
		seen[a.Label()] = true
	}
	for _, c := range domain.Categories {
		require.NotEqual(t, string(c), c.Label(), c)
	}
	for _, f := range domain.FundingSources {
		require.NotEqual(t, string(f), f.Label(), f)
	}
	for _, r := range domain.Roles {
		require.NotEqual(t, string(r), r.Label(), r)
	}
}
