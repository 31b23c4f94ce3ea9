package telemetry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/internal/telemetry"
)

// Tracing is configured by the standard OTEL_* variables alone, and off
// when none is set.
func TestTracingFromTheEnvironment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct {
		name string
		env  map[string]string
		on   bool
		err  string
	}{
		{name: "nothing set", env: nil},
		{name: "exporter none", env: map[string]string{"OTEL_SERVICE_NAME": "r", "OTEL_TRACES_EXPORTER": "none"}},
		{name: "an endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, on: true},
		{name: "a service name", env: map[string]string{"OTEL_SERVICE_NAME": "reckon-eu"}, on: true},
		{name: "otlp named", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, on: true},
		{name: "another exporter", env: map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, err: "otlp only"},
		{name: "grpc", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, err: "http/protobuf only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := telemetry.FromEnv(ctx, func(k string) string { return c.env[k] })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (tr != nil) != c.on || (tr.Tracer() != nil) != c.on {
				t.Fatalf("tracing on %v, want %v", tr != nil, c.on)
			}
			if err := tr.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
