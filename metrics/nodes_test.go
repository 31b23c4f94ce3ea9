package metrics_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reckonhq/reckon/metrics"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// TestNodesAlive counts the nodes that have not stopped and heartbeat
// within the liveness window, as the alert on no node heartbeating reads it.
func TestNodesAlive(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := reckontest.EpochClock()
			db := reckontest.Open(t, engine, &reckontest.Options{Clock: clock.Now})
			reg := prometheus.NewRegistry()
			m, err := metrics.New(reg, db, nil)
			if err != nil {
				t.Fatal(err)
			}
			m.WatchNodes(15 * time.Second)
			alive := func(want int) {
				t.Helper()
				exp := fmt.Sprintf("# HELP reckon_nodes_alive Nodes working jobs whose heartbeat is fresh (any process's view of the whole database).\n"+
					"# TYPE reckon_nodes_alive gauge\nreckon_nodes_alive %d\n", want)
				if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "reckon_nodes_alive"); err != nil {
					t.Fatal(err)
				}
			}
			alive(0)
			var a, b *store.Node
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				if a, err = tx.RegisterNode(ctx, "host-1", "client-a"); err != nil {
					return err
				}
				b, err = tx.RegisterNode(ctx, "host-2", "client-b")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			alive(2)
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.StopNode(ctx, b.ID) }); err != nil {
				t.Fatal(err)
			}
			alive(1)
			clock.Advance(16 * time.Second) // a's heartbeat ages past the window
			alive(0)
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.HeartbeatNode(ctx, a.ID) }); err != nil {
				t.Fatal(err)
			}
			alive(1)
		})
	}
}
