package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/domain"

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
	require.Equal(t, registered, documented, "routes() and api/openapi.yaml disagree")

	// What is served is the file, in JSON; the file is a valid OpenAPI
	// 3.0 document with every $ref resolved (kin-openapi's loader).
	var file any
	require.NoError(t, yaml.Unmarshal(api.OpenAPISpec, &file))
	want, err := json.Marshal(file)
	require.NoError(t, err)
	require.JSONEq(t, string(want), r.Body.String())
	_, err = contractRouter()
	require.NoError(t, err)
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

// TestResponsesMatchSchemas makes one successful call of each kind of
// read; e.do checks each answer against api/openapi.yaml (no undocumented
// key, no required key missing, types and enums as documented).
func TestResponsesMatchSchemas(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	e.insertProposal(sampleRow("usl-schema", e.cycle.ID, "74.05.03", "draft"))
	tasks := e.as(camat, http.MethodGet, "/api/v1/tasks", nil)
	require.NotEmpty(t, items(tasks))
	for _, call := range []struct {
		who  person
		path string
	}{
		{camat, "/api/v1/proposals"}, {camat, "/api/v1/proposals/usl-schema"}, {camat, "/api/v1/proposals/usl-schema/history"},
		{camat, "/api/v1/cycles"}, {camat, "/api/v1/cycles/" + e.cycle.ID}, {camat, "/api/v1/regions?parent=74"},
		{camat, "/api/v1/regions/74.05"}, {camat, "/api/v1/nomenclature?q=umkm"}, {camat, "/api/v1/me"},
		{admin, "/api/v1/admin/users"}, {admin, "/api/v1/admin/users/camat.andoolo"},
	} {
		require.Equal(t, http.StatusOK, e.as(call.who, http.MethodGet, call.path, nil).Code, call.path)
	}
	login := e.do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": camat.username, "password": testPassword})
	require.Equal(t, http.StatusOK, login.Code)
	requireProblem(t, e.as(camat, http.MethodGet, "/api/v1/proposals?stage=x", nil), http.StatusUnprocessableEntity)
}

// TestOpenAPIEnumsFollowDomain: the lists the contract spells out by hand
// (stages, actions, categories, funding sources, roles, the largest amount)
// are the domain's, so a stage added in internal/domain without the
// contract (or the other way round) fails here.
func TestOpenAPIEnumsFollowDomain(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum    []string `json:"enum"`
					Maximum *int64   `json:"maximum"`
					Items   struct {
						Enum []string `json:"enum"`
					} `json:"items"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	e := newEnv(t, storetest.SQLite(t), envOptions{})
	r := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	require.NoError(t, json.Unmarshal(r.Body.Bytes(), &doc))
	s := doc.Components.Schemas
	require.Equal(t, names(domain.Stages), s["Proposal"].Properties["stage"].Enum)
	// A task of the inbox is a proposal's (its stage) or a KMP milestone's
	// (stage empty).
	require.Equal(t, append(names(domain.Stages), ""), s["Task"].Properties["stage"].Enum)
	require.Equal(t, names(domain.Actions), s["Proposal"].Properties["allowed_actions"].Items.Enum)
	require.Equal(t, append(names(domain.Actions), "record"), s["Task"].Properties["actions"].Items.Enum) // "record": a KMP milestone
	require.Equal(t, names(domain.Categories), s["ProposalCreate"].Properties["category"].Enum)
	require.Equal(t, names(domain.FundingSources), s["ProposalCreate"].Properties["funding_source"].Enum)
	require.Equal(t, names(domain.FundingSources), s["ActionRequest"].Properties["funding_source"].Enum)
	require.Equal(t, names(domain.Roles), s["Grant"].Properties["role"].Enum)
	require.Equal(t, api.MaxAmountIDR, *s["Proposal"].Properties["amount_idr"].Maximum)
}

func names[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}
