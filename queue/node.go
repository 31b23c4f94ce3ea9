package queue

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/reckonhq/reckon/store"
)

// NodeName is this process's name among the nodes: hostname-pid, kept to
// letters, digits, dots and dashes so that it is safe to show anywhere.
func NodeName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	host = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '-'
	}, host)
	if len(host) > 63 {
		host = host[:63]
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// Heartbeat is a working node's row in nodes, refreshed every interval
// until Stop. After each beat it calls onBeat (the reconciler's hand-on of
// dead nodes' runs).
type Heartbeat struct {
	db       *store.DB
	node     *store.Node
	interval time.Duration
	onBeat   func(ctx context.Context)
	log      *slog.Logger
	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
}

// StartHeartbeat registers this process as a node named name, working jobs
// as River client riverClientID, and heartbeats every interval. The beats
// run on their own context, not the caller's: a node that drains its jobs
// at shutdown is still alive until Stop.
func StartHeartbeat(ctx context.Context, db *store.DB, name, riverClientID string, interval time.Duration,
	onBeat func(ctx context.Context), log *slog.Logger) (*Heartbeat, error) {
	h := &Heartbeat{db: db, interval: interval, onBeat: onBeat, log: log, done: make(chan struct{})}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		h.node, err = tx.RegisterNode(ctx, name, riverClientID)
		return err
	})
	if err != nil {
		return nil, err
	}
	beatCtx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go h.run(beatCtx)
	return h, nil
}

// NodeID is the node's id.
func (h *Heartbeat) NodeID() int64 { return h.node.ID }

func (h *Heartbeat) run(ctx context.Context) {
	defer close(h.done)
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := h.db.InTx(ctx, func(tx *store.Tx) error { return tx.HeartbeatNode(ctx, h.node.ID) })
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			// A missed beat is survivable; enough of them and live nodes
			// hand this node's runs on, which a job's steps are safe for.
			h.log.Warn("node heartbeat failed", "node", h.node.Name, "error", err)
			continue
		}
		if h.onBeat != nil {
			h.onBeat(ctx)
		}
	}
}

// Stop ends the heartbeat and marks the node stopped, so that live nodes
// hand on whatever it leaves at once. Call it after the queue stopped.
func (h *Heartbeat) Stop(ctx context.Context) error {
	var err error
	h.stopOnce.Do(func() {
		h.cancel()
		<-h.done
		err = h.db.InTx(ctx, func(tx *store.Tx) error { return tx.StopNode(ctx, h.node.ID) })
	})
	return err
}
