package api

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/scubagear"
)

// Bounds of a bulk import request: at most MaxBulkReports reports, each
// within scubagear.MaxBodyBytes, and MaxBulkBodyBytes (64 MiB) in all —
// some thirty real reports of 1.4–1.9 MB.
const (
	MaxBulkReports   = 100
	MaxBulkBodyBytes = 64 << 20
)

type bulkResultJSON struct {
	Name          string        `json:"name"`
	Outcome       string        `json:"outcome"`
	TenantID      *string       `json:"tenant_id"`
	EnvironmentID *int64        `json:"environment_id"`
	Snapshot      *snapshotJSON `json:"snapshot"`
	Error         *errorJSON    `json:"error"`
}

type bulkImportJSON struct {
	Results []bulkResultJSON    `json:"results"`
	Counts  evidence.BulkCounts `json:"counts"`
}

// importSnapshots imports several ScubaGear reports in one request into the
// environments whose recorded tenant ids match theirs
// (evidence.Service.ImportForTenant): an NDJSON body (one report per line)
// or multipart/form-data (one report per part). The answer is 200 with one
// result per report, in the order sent; a report that cannot be read is
// that report's result, not the request's error.
func (s *Server) importSnapshots(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if err := g.Require(access.ImportSnapshot); err != nil {
		return err
	}
	if f := cmp.Or(r.URL.Query().Get("format"), reckon.SnapshotFormatScubaGear); f != reckon.SnapshotFormatScubaGear {
		return fieldError("format", "api.param_enum", "allowed", reckon.SnapshotFormatScubaGear)
	}
	out := bulkImportJSON{Results: []bulkResultJSON{}}
	each := func(name string, body io.Reader) error {
		if len(out.Results) == MaxBulkReports {
			return reckon.Errorf(reckon.CodeTooLarge, "api.bulk_too_many", "max", MaxBulkReports)
		}
		in, decodeErr := scubagear.Decode(body)
		res, err := s.evidence.ImportForTenant(r.Context(), g.Workspace.ID, name, in, decodeErr, g.Sees)
		if err != nil {
			return err
		}
		out.Counts.Add(res)
		out.Results = append(out.Results, s.bulkResultView(c.lang, res))
		return nil
	}
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mediaType {
	case "application/x-ndjson":
		err = eachLine(r.Body, each)
	case "multipart/form-data":
		err = eachPart(r, params["boundary"], each)
	default:
		return malformed("api.bulk_content_type")
	}
	if err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return reckon.Errorf(reckon.CodeTooLarge, "api.bulk_too_large", "max", maxBytes.Limit)
		}
		return err
	}
	if len(out.Results) == 0 {
		return malformed("api.bulk_empty")
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// eachLine hands each non-blank line of an NDJSON body to fn.
func eachLine(body io.Reader, fn func(name string, r io.Reader) error) error {
	sc := bufio.NewScanner(body)
	// A line is one whole report; one past the decoder's limit lets it
	// answer too_large for that report rather than the scanner failing.
	sc.Buffer(make([]byte, 0, 64<<10), scubagear.MaxBodyBytes+1)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := fn(fmt.Sprintf("line %d", n), bytes.NewReader(line)); err != nil {
			return err
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return reckon.Errorf(reckon.CodeTooLarge, "api.bulk_line_too_long", "line", n+1, "max", scubagear.MaxBodyBytes)
	}
	return sc.Err()
}

// eachPart hands each part of a multipart body to fn, named by its file
// name (or its form name).
func eachPart(r *http.Request, boundary string, fn func(name string, r io.Reader) error) error {
	if boundary == "" {
		return malformed("api.bulk_content_type")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return malformed("api.bulk_content_type")
	}
	for n := 1; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var maxBytes *http.MaxBytesError
			if errors.As(err, &maxBytes) {
				return err
			}
			return malformed("api.bulk_multipart")
		}
		name := cmp.Or(part.FileName(), part.FormName(), fmt.Sprintf("part %d", n))
		err = fn(name, part)
		part.Close()
		if err != nil {
			return err
		}
	}
}

func (s *Server) bulkResultView(lang string, r evidence.BulkResult) bulkResultJSON {
	v := bulkResultJSON{Name: r.Name, Outcome: r.Outcome}
	if r.TenantID != "" {
		v.TenantID = &r.TenantID
	}
	if r.Environment != nil {
		v.EnvironmentID = &r.Environment.ID
	}
	if r.Snapshot != nil {
		snap := snapshotView(r.Snapshot)
		v.Snapshot = &snap
	}
	if r.Err != nil {
		e := s.errorView(lang, r.Err)
		v.Error = &e
	}
	return v
}
