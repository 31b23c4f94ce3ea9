package reconcile

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/reckonhq/reckon/queue"
)

// Node is a process that works jobs, as the other nodes know it
// (docs/design.md §12): while it runs, it heartbeats, and after each beat
// it hands the runs of dead nodes on; every attempt the ledger records
// names it.
type Node struct {
	queue     *queue.Queue
	heartbeat *queue.Heartbeat
}

// StartNode publishes the labels of the catalog's types (Catalog.Publish),
// registers this process as a node working q's jobs, heartbeating at the
// catalog's liveness interval and handing dead nodes' runs on after each
// beat, names it on the reconciler's ledger, and then starts q's workers. Failed hand-ons are logged to log (the reconciler's logger when
// nil); the next beat tries again.
func (r *Reconciler) StartNode(ctx context.Context, q *queue.Queue, log *slog.Logger) (*Node, error) {
	if log == nil {
		log = r.logger
	}
	handOn := func(ctx context.Context) {
		if _, err := r.HandOn(ctx); err != nil && ctx.Err() == nil {
			log.Warn("handing dead nodes' runs on failed", "error", err)
		}
	}
	if err := r.ledger.Catalog().Publish(ctx, r.db); err != nil {
		return nil, err
	}
	hb, err := queue.StartHeartbeat(ctx, r.db, queue.NodeName(), q.ClientID(), r.ledger.Catalog().Liveness.Interval,
		handOn, log)
	if err != nil {
		return nil, err
	}
	n := &Node{queue: q, heartbeat: hb}
	r.ledger.SetNode(hb.NodeID())
	if err := q.Start(ctx); err != nil {
		return nil, errors.Join(err, n.stopHeartbeat())
	}
	return n, nil
}

// ID is the node's id in the nodes table.
func (n *Node) ID() int64 { return n.heartbeat.NodeID() }

// Stop stops the queue — jobs in flight may finish until ctx ends, then the
// rest are cancelled — and then marks the node stopped, so that live nodes
// hand on at once whatever did not finish.
func (n *Node) Stop(ctx context.Context) error {
	return errors.Join(n.queue.Stop(ctx), n.stopHeartbeat())
}

func (n *Node) stopHeartbeat() error {
	// Its own short time: the node must be marked stopped even when the
	// caller's shutdown time is spent.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return n.heartbeat.Stop(ctx)
}
