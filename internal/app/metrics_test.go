package app_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// Request durations are labelled by the pattern that served them, never by
// the raw path, with the method and the status class.
func TestRequestDurationsByRoutePattern(t *testing.T) {
	t.Parallel()
	db := reckontest.Open(t, store.SQLite, nil)
	a, err := app.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, a)
	for _, path := range []string{"/healthz", "/api/v1/workspaces/acme-secret/environments", "/no/such/page-42", "/system/queue/"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
	}
	mfs, err := a.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		if mf.GetName() != "reckon_http_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			got = append(got, strings.Join(labels, ","))
		}
	}
	slices.Sort(got)
	want := []string{
		"code_class=2xx,method=GET,route=/healthz",
		"code_class=4xx,method=GET,route=/",
		"code_class=4xx,method=GET,route=/api/v1/workspaces/{workspace}/environments",
		"code_class=4xx,method=GET,route=/system/queue/",
	}
	if !slices.Equal(got, want) {
		t.Errorf("series:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
