package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
)

// FuzzProposalInput feeds arbitrary bodies to the create endpoint's decoding
// and validation: nothing panics, every refusal is a 4xx the error handler
// maps (never an internal error), and whatever is accepted respects every
// bound the database and the workflow rely on.
func FuzzProposalInput(f *testing.F) {
	for _, seed := range []string{
		`{"cycle_id":"74-2027","region_code":"74.05.03","title":"Pelatihan","description":"x","category":"pelatihan","amount_idr":150000000,"funding_source":"apbd_kabkota","indicators":[{"name":"Peserta","target":30,"unit":"orang"}]}`,
		`{"title":""}`, `{"amount_idr":-1}`, `{"amount_idr":1e30}`, `{"amount_idr":"150000000"}`, `{"category":"judi"}`,
		`{"indicators":[{"name":"","target":-5}]}`, `{"unknown":1}`, `{"title":"a"} {"title":"b"}`, `[]`, `null`, `{`, ``,
		`{"title":"` + strings.Repeat("é", 201) + `"}`, `{"amount_idr":1000000000001}`, `{"indicators":null}`,
	} {
		f.Add(seed)
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/proposals", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c := e.NewContext(req, httptest.NewRecorder())
		var in createRequest
		if err := decodeStrict(c, []byte(body), &in); err != nil {
			requireClientError(t, body, err)
			return
		}
		var v domain.Validation
		in.draft().Patch().Apply(domain.Proposal{}).ValidateDraft(&v)
		if err := v.Err(); err != nil {
			requireClientError(t, body, err)
			return
		}
		d := in.draft()
		switch {
		case strings.TrimSpace(d.Title) == "" || utf8.RuneCountInString(d.Title) > domain.MaxTitle:
			t.Fatalf("accepted title %q", d.Title)
		case d.AmountIDR < 0 || d.AmountIDR > MaxAmountIDR:
			t.Fatalf("accepted amount %d", d.AmountIDR)
		case d.Category != "" && !domain.ValidCategory(d.Category):
			t.Fatalf("accepted category %q", d.Category)
		case d.FundingSource != "" && !domain.ValidFundingSource(d.FundingSource):
			t.Fatalf("accepted funding source %q", d.FundingSource)
		case len(d.Indicators) > domain.MaxIndicators:
			t.Fatalf("accepted %d indicators", len(d.Indicators))
		}
		for _, ind := range d.Indicators {
			if strings.TrimSpace(ind.Name) == "" || ind.Target < 0 || ind.Target > domain.MaxTarget {
				t.Fatalf("accepted indicator %+v", ind)
			}
		}
	})
}

func requireClientError(t *testing.T, body string, err error) {
	t.Helper()
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if he.Code < 400 || he.Code >= 500 {
			t.Fatalf("%q: status %d", body, he.Code)
		}
		return
	}
	if code := domain.ErrorCode(err); code != domain.EINVALID {
		t.Fatalf("%q: refused with %s (%v), want a field error", body, code, err)
	}
	var de *domain.Error
	if errors.As(err, &de) {
		for _, fe := range de.Fields {
			if fe.Field == "" || fe.Message == "" {
				t.Fatalf("%q: field error without field or message: %+v", body, fe)
			}
		}
	}
}
