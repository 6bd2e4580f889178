// Package clocktest provides a settable clock for tests: hosts give it to
// onboarding.Config.Clock (and the module's own tests use it) to test
// expiries, cooldowns and token lifetimes without sleeping.
package clocktest

import (
	"sync"
	"time"
)

// Clock is a manually advanced clock implementing onboardkit.Clock. It is
// safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock set to t (UTC).
func New(t time.Time) *Clock { return &Clock{now: t.UTC()} }

// Default returns a clock at 2026-01-02T03:04:05Z.
func Default() *Clock { return New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

// Now returns the current fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t.UTC()
	c.mu.Unlock()
}
