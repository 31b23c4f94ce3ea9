package reconcile

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// Attributes of a sweep's span: what it counted.
const (
	AttrExamined = attribute.Key("reckon.sweep.examined")
	AttrSettled  = attribute.Key("reckon.sweep.settled")
	AttrErrors   = attribute.Key("reckon.sweep.errors")
)

// tracedSweep is a sweep in a span that carries its counts.
func (r *Reconciler) tracedSweep(ctx context.Context) (Result, error) {
	ctx, span := r.tracer.Start(ctx, "reconcile.sweep")
	defer span.End()
	res, err := r.sweep(ctx)
	span.SetAttributes(AttrExamined.Int(res.Examined), AttrSettled.Int(res.Settled), AttrErrors.Int(res.Errors))
	if err != nil {
		span.SetStatus(codes.Error, "sweep incomplete")
	}
	return res, err
}
