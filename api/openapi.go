package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"
)

// OpenAPISpec is the HTTP contract of the v1 API: the OpenAPI 3 document
// written by hand in api/openapi.yaml, the source of truth for paths,
// parameters and fields. routes() is checked against it (every route
// documented, every documented path routed) and the API tests validate
// every request the server accepts and every answer it gives against it,
// so the code cannot drift from the file. A new endpoint starts here.
//
//go:embed openapi.yaml
var OpenAPISpec []byte

// openapiJSON is OpenAPISpec served as JSON at /api/v1/openapi.json,
// converted once; the file is embedded, so a failure is a bug the tests
// catch before a build ships.
var openapiJSON = sync.OnceValue(func() []byte {
	var doc any
	if err := yaml.Unmarshal(OpenAPISpec, &doc); err != nil {
		panic("api/openapi.yaml: " + err.Error())
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("api/openapi.yaml: " + err.Error())
	}
	return b
})

func (s *Server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openapiJSON())
}
