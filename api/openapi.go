package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"time"
)

// openapiJSON is the OpenAPI 3.1 description of /api/v1. The API tests
// validate every exchange against it, so it says what the handlers do.
//
//go:embed openapi.json
var openapiJSON []byte

// openapiETag names this build's document, so that clients revalidate
// cheaply instead of fetching it again.
var openapiETag = func() string {
	sum := sha256.Sum256(openapiJSON)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// serveOpenAPI answers the document without a token: it describes the API,
// it holds nothing of anyone's.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("ETag", openapiETag)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "openapi.json", time.Time{}, bytes.NewReader(openapiJSON))
}
