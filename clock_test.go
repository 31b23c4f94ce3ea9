package reckon_test

import (
	"testing"
	"time"

	"github.com/reckonhq/reckon"
)

func TestManualClockMovesWhenToldThenFollowsTheWallClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 28, 10, 0, 0, 1500, time.FixedZone("CET", 3600))
	c := reckon.NewManualClock(start)
	if got, want := c.Now(), start.UTC().Truncate(time.Microsecond); !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("start reads %v, want %v in UTC", got, want)
	}
	c.Advance(time.Hour)
	c.Set(c.Now().Add(time.Minute))
	if got := c.Now().Sub(start.Truncate(time.Microsecond)); got != time.Hour+time.Minute {
		t.Fatalf("moved by %s, want 1h1m", got)
	}
	c.Follow()
	if d := time.Since(c.Now()); d < 0 || d > time.Minute {
		t.Fatalf("a followed clock reads %v, %s from the wall clock", c.Now(), d)
	}
}
