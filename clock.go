package reckon

import (
	"sync"
	"time"
)

// ManualClock is a clock that moves only when told to: tests move it past
// deadlines, demos walk it through a history. Pass its Now where a Clock is
// taken. Times are kept in UTC at microsecond precision, as both engines
// store them.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	follow bool
}

// NewManualClock returns a clock that reads start until it is moved.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start.UTC().Truncate(time.Microsecond)}
}

// Now returns the clock's time, or the wall clock's once Follow was called.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.follow {
		return SystemClock()
	}
	return c.now
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, c.follow = t.UTC().Truncate(time.Microsecond), false
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d).Truncate(time.Microsecond)
}

// Follow hands the clock over to the wall clock: a process that played a
// history on it (serve --demo) then runs on real time.
func (c *ManualClock) Follow() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.follow = true
}
