package api

import "net/http"

// EncodeCursor lets tests start a list at a chosen keyset position.
var EncodeCursor = encodeCursor

// OpenAPIDocument is the served OpenAPI document.
var OpenAPIDocument = openapiJSON

// RoutePatterns lists the mux patterns of the operations routes() registers,
// without the catch-all 404.
func RoutePatterns() []string {
	s := &Server{mux: http.NewServeMux()}
	s.routes()
	return s.patterns
}
