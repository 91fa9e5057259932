package sim

import (
	"sync"
	"time"
)

// Clock tells the simulator what scenario time it is. It drives only the
// content (which scenario steps are visible); token expiry, throttling windows
// and fault time windows always use wall time, because clients such as
// azidentity cache tokens by wall time.
type Clock interface{ Now() time.Time }

// SteppedClock is a Clock that moves only when told to. It is safe for
// concurrent use.
type SteppedClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewSteppedClock returns a SteppedClock standing at start.
func NewSteppedClock(start time.Time) *SteppedClock { return &SteppedClock{now: start} }

// Now returns the clock's current time.
func (c *SteppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t (also backwards).
func (c *SteppedClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *SteppedClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// AcceleratedClock is a Clock that starts at a scenario time and runs speed
// times faster than the wall clock.
type AcceleratedClock struct {
	start     time.Time
	realStart time.Time
	speed     float64
	realNow   func() time.Time
}

// NewAcceleratedClock returns a clock that reads scenarioStart now and then
// advances speed scenario seconds per wall second. realNow nil means time.Now;
// speed <= 0 means 1.
func NewAcceleratedClock(scenarioStart time.Time, speed float64, realNow func() time.Time) *AcceleratedClock {
	if realNow == nil {
		realNow = time.Now
	}
	if speed <= 0 {
		speed = 1
	}
	return &AcceleratedClock{start: scenarioStart, realStart: realNow(), speed: speed, realNow: realNow}
}

// Now returns the scenario time.
func (c *AcceleratedClock) Now() time.Time {
	el := c.realNow().Sub(c.realStart)
	return c.start.Add(time.Duration(float64(el) * c.speed))
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
