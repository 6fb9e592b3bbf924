package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/api"
)

// contractRouter finds the operation of a request in api/openapi.yaml. The
// document's server is "/": dropped here so paths match as they are.
var contractRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPISpec)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	doc.Servers = nil
	return legacy.NewRouter(doc)
})

func init() {
	// Files the contract documents as binary: checked for their media
	// type, their bytes taken as they are.
	for _, t := range []string{"text/csv", "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
		openapi3filter.RegisterBodyDecoder(t, openapi3filter.FileBodyDecoder)
	}
}

// checkContract checks one exchange against the contract: every answer has
// a documented status and a body of the documented shape, and every request
// the server accepted (2xx) is one the contract allows, so the document is
// never narrower than the server. Requests the server refused are often bad
// on purpose (the tests of 422s); their answers are still checked.
func checkContract(t testing.TB, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	if req.Method == http.MethodOptions {
		return // a CORS preflight, answered by middleware, not an operation
	}
	router, err := contractRouter()
	require.NoError(t, err, "api/openapi.yaml")
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Not an API operation: the web pages, or a path that does not
		// exist (which must then be a plain 404 or 405).
		if strings.HasPrefix(req.URL.Path, "/api/") {
			require.Contains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, rec.Code,
				"%s %s is not in api/openapi.yaml but answered %d", req.Method, req.URL.Path, rec.Code)
		}
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			// The server's own tests cover tokens; an accepted request
			// to a protected operation must at least have carried one.
			if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return in.NewError(errNoBearer)
			}
			return nil
		}}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if rec.Code >= 200 && rec.Code < 300 {
		require.NoError(t, openapi3filter.ValidateRequest(req.Context(), in),
			"%s %s was accepted (%d) but does not conform to api/openapi.yaml", req.Method, req.URL, rec.Code)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Options: opts}
	out.SetBodyBytes(rec.Body.Bytes())
	require.NoError(t, openapi3filter.ValidateResponse(req.Context(), out),
		"the answer to %s %s (%d) does not conform to api/openapi.yaml: %s", req.Method, req.URL, rec.Code, truncate(rec.Body.String()))
}

type contractError string

func (e contractError) Error() string { return string(e) }

const errNoBearer = contractError("no bearer token")

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
