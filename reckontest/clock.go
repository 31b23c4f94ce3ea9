package reckontest

import (
	"time"

	"github.com/reckonhq/reckon"
)

// Clock is a settable clock for tests that move time past deadlines. Pass
// its Now as Options.Clock.
type Clock = reckon.ManualClock

// NewClock returns a clock that reads start until advanced.
func NewClock(start time.Time) *Clock { return reckon.NewManualClock(start) }
