package ledger

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// Observer is told of every transition the ledger wrote (a run created
// queued, started, completed with its outcome), once its transaction has
// committed. The metrics package implements it.
type Observer interface {
	Transition(typ reckon.RunType, to reckon.RunStatus, outcome reckon.Outcome)
}

// Instrument gives the ledger a tracer for a span per Ensure, MarkRunning
// and Complete, and an observer of transitions; either may be nil. Call it
// before the ledger is used.
func (l *Ledger) Instrument(t trace.Tracer, o Observer) {
	l.tracer, l.observer = t, o
}

// Span attributes: identifiers, codes and counts only.
const (
	attrRunID   = attribute.Key("reckon.run.id")
	attrRunType = attribute.Key("reckon.run.type")
	attrOutcome = attribute.Key("reckon.run.outcome")
	attrRuns    = attribute.Key("reckon.runs")
	attrChanged = attribute.Key("reckon.runs.changed")
)

// startSpan starts a ledger span inside tx's span; end closes it with the
// runs it wrote (their ids and types when there is one) and how many it
// changed.
func (l *Ledger) startSpan(ctx context.Context, tx *store.Tx, name string) (context.Context, func([]*reckon.Run, []bool, error)) {
	ctx, span := l.tracer.Start(tx.Traced(ctx), name)
	return ctx, func(runs []*reckon.Run, changed []bool, err error) {
		if err != nil {
			span.SetStatus(codes.Error, "ledger: "+name+" failed")
		}
		n := 0
		for _, c := range changed {
			if c {
				n++
			}
		}
		span.SetAttributes(attrRuns.Int(len(runs)), attrChanged.Int(n))
		if len(runs) == 1 && runs[0] != nil {
			span.SetAttributes(attrRunID.Int64(runs[0].ID), attrRunType.String(string(runs[0].Type)),
				attrOutcome.String(string(runs[0].Outcome)))
		}
		span.End()
	}
}

// transitioned tells the observer of run's new state once tx commits.
func (l *Ledger) transitioned(tx *store.Tx, run *reckon.Run) {
	if l.observer == nil {
		return
	}
	typ, status, outcome := run.Type, run.Status, run.Outcome
	tx.AfterCommit(func() { l.observer.Transition(typ, status, outcome) })
}
