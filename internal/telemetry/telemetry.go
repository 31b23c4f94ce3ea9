// Package telemetry sets up reckon's OpenTelemetry traces from the standard
// OTEL_* environment variables. With none of them set tracing is off: the
// process gets no provider, its components skip their spans, and nothing is
// exported.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Scope is the instrumentation scope of reckon's own spans.
const Scope = "github.com/reckonhq/reckon"

// variables turn tracing on when any of them is set.
var variables = []string{
	"OTEL_TRACES_EXPORTER",
	"OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_SERVICE_NAME",
}

// Tracing is the process's tracer provider; a nil *Tracing is tracing off.
type Tracing struct {
	Provider trace.TracerProvider
	shutdown func(context.Context) error
}

// FromEnv configures tracing from the OTEL_* variables read by getenv: it
// returns nil when none of them is set or OTEL_TRACES_EXPORTER is "none".
// The exporter is OTLP over HTTP/protobuf (the exporter reads
// OTEL_EXPORTER_OTLP_* itself; the SDK reads OTEL_TRACES_SAMPLER and
// OTEL_BSP_*); the service is named by OTEL_SERVICE_NAME, "reckon" by
// default.
func FromEnv(ctx context.Context, getenv func(string) string) (*Tracing, error) {
	on := false
	for _, v := range variables {
		on = on || getenv(v) != ""
	}
	exporter := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))
	if !on || exporter == "none" {
		return nil, nil
	}
	if exporter != "" && exporter != "otlp" {
		return nil, fmt.Errorf("telemetry: OTEL_TRACES_EXPORTER=%q: reckon exports traces by otlp only", exporter)
	}
	protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if protocol != "" && protocol != "http/protobuf" {
		return nil, fmt.Errorf("telemetry: OTLP protocol %q: reckon exports traces over http/protobuf only", protocol)
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	return New(ctx, sdktrace.WithBatcher(exp))
}

// New returns tracing with the span processors in opts (a test passes a
// tracetest recorder), on the resource the environment describes.
func New(ctx context.Context, opts ...sdktrace.TracerProviderOption) (*Tracing, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("reckon")),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
		resource.WithTelemetrySDK())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithResource(res)}, opts...)...)
	return &Tracing{Provider: tp, shutdown: tp.Shutdown}, nil
}

// Tracer returns reckon's tracer, nil when tracing is off: instrumented
// code checks for nil and skips its span, so that tracing off costs
// nothing beyond that check.
func (t *Tracing) Tracer() trace.Tracer {
	if t == nil {
		return nil
	}
	return t.Provider.Tracer(Scope)
}

// Propagator is the W3C trace context, for incoming requests and for job
// metadata.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// Shutdown flushes the spans not yet exported and stops the provider.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.shutdown(ctx)
}
