package reckontest

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// EpochEnv names the environment variable that moves the test epoch: an
// RFC 3339 time. CI runs the clock-driven packages once more with the epoch a
// year in the past and years in the future, so a test clock that leaks into
// something judged by real time (a cookie jar, a browser, River's scheduler)
// fails at once instead of on some later date.
const EpochEnv = "RECKON_TEST_EPOCH"

// defaultEpoch is when every fixed test clock starts unless EpochEnv moves it.
var defaultEpoch = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

var epoch = sync.OnceValue(func() time.Time {
	v := os.Getenv(EpochEnv)
	if v == "" {
		return defaultEpoch
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		panic(fmt.Sprintf("reckontest: %s=%q is not an RFC 3339 time: %v", EpochEnv, v, err))
	}
	return t.UTC().Truncate(time.Microsecond)
})

// Epoch is the instant every fixed test clock starts at: 2026-11-28 10:00 UTC,
// or the time EpochEnv names. Tests derive their fixed times from it (never
// from a literal date), so the whole suite moves with it.
func Epoch() time.Time { return epoch() }

// EpochClock returns a settable clock that starts at Epoch.
func EpochClock() *Clock { return NewClock(Epoch()) }
