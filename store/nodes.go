package store

import (
	"context"
	"fmt"
	"time"
)

// Node is a process that works jobs. It heartbeats while it lives; a node
// whose heartbeat is too old, or that stopped, is dead, and live nodes hand
// its runs on.
type Node struct {
	ID int64
	// Name is hostname-pid, safe to show.
	Name          string
	RiverClientID string
	StartedAt     time.Time
	HeartbeatAt   time.Time
	StoppedAt     *time.Time
}

const nodeColumns = `id, name, river_client_id, started_at, heartbeat_at, stopped_at`

func scanNode(r scanner) (*Node, error) {
	var n Node
	err := r.Scan(&n.ID, &n.Name, &n.RiverClientID, scanTime(&n.StartedAt), scanTime(&n.HeartbeatAt), scanNullTime(&n.StoppedAt))
	if err != nil {
		return nil, interpret(err)
	}
	return &n, nil
}

// RegisterNode records a node that starts working jobs, with its first
// heartbeat.
func (tx *Tx) RegisterNode(ctx context.Context, name, riverClientID string) (*Node, error) {
	n, err := scanNode(tx.queryRow(ctx, `INSERT INTO nodes (name, river_client_id, started_at, heartbeat_at)
VALUES ($1, $2, $3, $3) RETURNING `+nodeColumns, name, riverClientID, tx.now))
	if err != nil {
		return nil, fmt.Errorf("store: register node: %w", err)
	}
	return n, nil
}

// HeartbeatNode refreshes a live node's heartbeat. ErrNotFound when the node
// is stopped or gone: a node once stopped does not come back to life.
func (tx *Tx) HeartbeatNode(ctx context.Context, id int64) error {
	n, err := tx.exec(ctx, `UPDATE nodes SET heartbeat_at = $2 WHERE id = $1 AND stopped_at IS NULL`, id, tx.now)
	if err != nil {
		return fmt.Errorf("store: heartbeat node %d: %w", id, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// StopNode marks a node stopped, so that live nodes hand its runs on at
// once rather than after its heartbeat ages.
func (tx *Tx) StopNode(ctx context.Context, id int64) error {
	_, err := tx.exec(ctx, `UPDATE nodes SET stopped_at = $2 WHERE id = $1 AND stopped_at IS NULL`, id, tx.now)
	if err != nil {
		return fmt.Errorf("store: stop node %d: %w", id, err)
	}
	return nil
}

// Node returns a node by id.
func (tx *Tx) Node(ctx context.Context, id int64) (*Node, error) {
	return scanNode(tx.queryRow(ctx, `SELECT `+nodeColumns+` FROM nodes WHERE id = $1`, id))
}

// CountLiveNodes counts the nodes that have not stopped and heartbeat since
// since: the processes working jobs now.
func (tx *Tx) CountLiveNodes(ctx context.Context, since time.Time) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM nodes WHERE stopped_at IS NULL AND heartbeat_at >= $1`, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count live nodes: %w", err)
	}
	return n, nil
}
