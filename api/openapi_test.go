package api_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/store/storetest"
)

var echoParam = regexp.MustCompile(`:([a-z_]+)`)

// TestOpenAPIMatchesRoutes: every route the server registers is documented
// and every documented operation is registered, with the same method and
// path; the document served is the one checked.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{})
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, r.Code)
	require.Equal(t, "3.0.3", r.body["openapi"])

	var documented []string
	for path, item := range r.body["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	var registered []string
	for _, rt := range e.srv.Echo().Routes() {
		if rt.Method == echo.RouteNotFound {
			continue
		}
		registered = append(registered, rt.Method+" "+echoParam.ReplaceAllString(rt.Path, "{$1}"))
	}
	sort.Strings(documented)
	sort.Strings(registered)
	require.Equal(t, registered, documented, "routes() and openapi.go disagree")

	// Every $ref resolves.
	schemas := r.body["components"].(map[string]any)["schemas"].(map[string]any)
	raw := r.Body.String()
	for _, m := range regexp.MustCompile(`"#/components/schemas/([A-Za-z]+)"`).FindAllStringSubmatch(raw, -1) {
		require.Contains(t, schemas, m[1], "dangling $ref")
	}
}

// TestEveryDocumentedEndpointNeedsToken walks the document: every operation
// but the four public ones answers 401 problem+json without a token, and the
// document marks exactly those four as public.
func TestEveryDocumentedEndpointNeedsToken(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, r.Code)
	var public []string
	n := 0
	for path, item := range r.body["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			key := strings.ToUpper(method) + " " + path
			sec, has := op.(map[string]any)["security"]
			if has && len(sec.([]any)) == 0 {
				public = append(public, key)
				continue
			}
			n++
			concrete := strings.NewReplacer("{id}", "usl-x", "{action}", "submit", "{code}", "74", "{username}", "camat.andoolo").Replace(path)
			var body any
			if m := strings.ToUpper(method); m == http.MethodPost || m == http.MethodPatch || m == http.MethodDelete {
				body = "{}"
			}
			res := e.do(strings.ToUpper(method), concrete, "", body)
			requireProblem(t, res, http.StatusUnauthorized)
			// A forged token does not get in either.
			res = e.do(strings.ToUpper(method), concrete, "x.y.z", body)
			require.Equal(t, http.StatusUnauthorized, res.Code, key)
		}
	}
	sort.Strings(public)
	require.Equal(t, []string{"GET /api/v1/openapi.json", "GET /healthz", "GET /readyz", "POST /api/v1/auth/login"}, public)
	require.Greater(t, n, 15)
}

// TestResponsesMatchSchemas checks real answers against the documented
// properties: no key the document does not name, no required key missing.
func TestResponsesMatchSchemas(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	doc := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	schemas := doc.body["components"].(map[string]any)["schemas"].(map[string]any)
	check := schemaChecker(t, schemas)
	e.insertProposal(sampleRow("usl-schema", e.cycle.ID, "74.05.03", "draft"))
	check("ProposalList", e.as(camat, http.MethodGet, "/api/v1/proposals", nil).body)
	check("Proposal", e.as(camat, http.MethodGet, "/api/v1/proposals/usl-schema", nil).body)
	check("History", e.as(camat, http.MethodGet, "/api/v1/proposals/usl-schema/history", nil).body)
	tasks := e.as(camat, http.MethodGet, "/api/v1/tasks", nil)
	require.NotEmpty(t, items(tasks))
	check("TaskList", tasks.body)
	check("CycleList", e.as(camat, http.MethodGet, "/api/v1/cycles", nil).body)
	check("Cycle", e.as(camat, http.MethodGet, "/api/v1/cycles/"+e.cycle.ID, nil).body)
	check("RegionList", e.as(camat, http.MethodGet, "/api/v1/regions?parent=74", nil).body)
	check("Region", e.as(camat, http.MethodGet, "/api/v1/regions/74.05", nil).body)
	check("NomenclatureList", e.as(camat, http.MethodGet, "/api/v1/nomenclature?q=umkm", nil).body)
	check("User", e.as(camat, http.MethodGet, "/api/v1/me", nil).body)
	check("AdminUserList", e.as(admin, http.MethodGet, "/api/v1/admin/users", nil).body)
	check("AdminUser", e.as(admin, http.MethodGet, "/api/v1/admin/users/camat.andoolo", nil).body)
	login := e.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": camat.username, "password": testPassword})
	check("LoginResult", login.body)
	check("Problem", e.as(camat, http.MethodGet, "/api/v1/proposals?stage=x", nil).body)
}

// schemaChecker returns a check of a decoded JSON answer against the
// named schema of the document: no key the schema does not name, no
// required key missing, recursively through $ref properties and arrays.
func schemaChecker(t *testing.T, schemas map[string]any) func(name string, v any) {
	var check func(name string, v any)
	check = func(name string, v any) {
		t.Helper()
		s := schemas[name].(map[string]any)
		obj, ok := v.(map[string]any)
		require.True(t, ok, "%s: not an object: %v", name, v)
		props := s["properties"].(map[string]any)
		for k := range obj {
			require.Contains(t, props, k, "%s has undocumented key %q", name, k)
		}
		if req, ok := s["required"].([]any); ok {
			for _, k := range req {
				require.Contains(t, obj, k, "%s lacks required key %q", name, k)
			}
		}
		for k, p := range props {
			pm := p.(map[string]any)
			if ref, ok := pm["$ref"].(string); ok && obj[k] != nil {
				check(strings.TrimPrefix(ref, "#/components/schemas/"), obj[k])
			}
			if it, ok := pm["items"].(map[string]any); ok && obj[k] != nil {
				if ref, ok := it["$ref"].(string); ok {
					for _, x := range obj[k].([]any) {
						check(strings.TrimPrefix(ref, "#/components/schemas/"), x)
					}
				}
			}
		}
	}
	return check
}
