package store

import (
	"context"
	"runtime"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// SetTracer makes every InTx a span named after the function that opened
// the transaction. Its attributes are the engine and that name, never SQL
// or its arguments. nil (the default) turns the spans off.
func (db *DB) SetTracer(t trace.Tracer) {
	if t == nil {
		db.tracer.Store(nil)
		return
	}
	db.tracer.Store(&tracerRef{t})
}

// tracerRef holds a tracer for DB's atomic pointer.
type tracerRef struct{ trace.Tracer }

// AfterCommit runs f once the transaction has committed, and never when it
// rolls back: figures about what a transaction did are counted only when it
// happened.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// Traced returns ctx with the transaction's span, so that spans of work
// done inside the transaction nest under it: callers of InTx keep using
// their own context in fn. ctx unchanged when the transaction is not traced.
func (tx *Tx) Traced(ctx context.Context) context.Context {
	if tx.span == nil {
		return ctx
	}
	return trace.ContextWithSpan(ctx, tx.span)
}

// Attribute keys of transaction spans.
const (
	AttrEngine    = attribute.Key("db.system.name")
	AttrOperation = attribute.Key("reckon.tx.operation")
)

// startTx starts the span of one InTx; end closes it with the
// transaction's result.
func (db *DB) startTx(ctx context.Context, tracer trace.Tracer) (context.Context, func(error)) {
	op := txOperation()
	system := "sqlite"
	if db.engine == Postgres {
		system = "postgresql"
	}
	ctx, span := tracer.Start(ctx, "tx "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(AttrEngine.String(system), AttrOperation.String(op)))
	return ctx, func(err error) {
		if err != nil {
			// The error's text may quote the database; the span says only
			// that the transaction failed.
			span.SetStatus(codes.Error, "transaction failed")
		}
		span.End()
	}
}

// txOperation names the function that called InTx, without the module
// path: "review.(*Service).Compose".
func txOperation() string {
	pc, _, _, ok := runtime.Caller(4) // txOperation, startTx, run, InTx, the caller
	if !ok {
		return "unknown"
	}
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return "unknown"
	}
	name := fn.Name()
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	// A closure's name ends in .funcN; the function that holds it says
	// more and keeps the span names few.
	for {
		i := strings.LastIndex(name, ".func")
		if i < 0 || strings.ContainsAny(name[i+len(".func"):], ".()") {
			break
		}
		name = name[:i]
	}
	return name
}
