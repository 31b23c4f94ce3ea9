package catalog

import (
	"fmt"
	"time"
)

// Liveness is how nodes that work jobs prove they are alive: each refreshes
// its heartbeat every Interval, and a node whose heartbeat is older than
// DeadAfter is dead — a live node hands its runs on.
type Liveness struct {
	Interval  time.Duration
	DeadAfter time.Duration
}

// DefaultLiveness: a heartbeat every 5 s, dead after three missed.
func DefaultLiveness() Liveness {
	return Liveness{Interval: 5 * time.Second, DeadAfter: 15 * time.Second}
}

// DetectionDelay bounds the time from a node's death to the hand-on of its
// runs: its last heartbeat ages past DeadAfter, and the next beat of a live
// node, at most one Interval later, notices.
func (l Liveness) DetectionDelay() time.Duration { return l.DeadAfter + l.Interval }

func (l Liveness) validate() error {
	if l.Interval <= 0 || l.DeadAfter < 2*l.Interval {
		return fmt.Errorf("catalog: liveness: heartbeat interval %s must be positive and the dead-after %s at least two of them",
			l.Interval, l.DeadAfter)
	}
	return nil
}
