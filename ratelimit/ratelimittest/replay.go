package ratelimittest

import (
	"sync/atomic"
	"time"

	"github.com/onboardkit/onboardkit/ratelimit"
)

var replayTests = []namedTest[ratelimit.ReplayCache]{
	{"OnceAcrossInstances", testOnceAcrossInstances},
	{"ConcurrentUsesOneFresh", testConcurrentUses},
	{"ExpiredIsFreshAgain", testExpiredIsFreshAgain},
}

// use records k until exp on c and fails the test unless its freshness is
// want.
func (e *env) use(c ratelimit.ReplayCache, k [32]byte, exp time.Time, want bool) {
	e.Helper()
	fresh, err := c.Use(e.ctx, k, exp)
	if err != nil {
		e.Fatalf("Use(%x…): %v", k[:4], err)
	}
	if fresh != want {
		e.Fatalf("Use(%x…) fresh = %v, want %v", k[:4], fresh, want)
	}
}

// testOnceAcrossInstances: a key used on one instance is refused on both,
// and another key stays fresh.
func testOnceAcrossInstances(e *env, a, b ratelimit.ReplayCache) {
	exp := e.now().Add(e.ttl)
	one, two := nonce(), nonce()
	e.use(a, one, exp, true)
	e.use(a, one, exp, false)
	e.use(b, one, exp, false)
	e.use(b, two, exp, true)
	e.use(a, two, exp, false)
	e.use(b, one, exp, false)
}

// testConcurrentUses: 50 concurrent uses of one key over both instances,
// exactly one fresh.
func testConcurrentUses(e *env, a, b ratelimit.ReplayCache) {
	const uses = 50
	k, exp := nonce(), e.now().Add(e.ttl)
	var fresh atomic.Int64
	race(uses, func(i int) {
		ok, err := pick(a, b, i).Use(e.ctx, k, exp)
		if err != nil {
			e.Errorf("Use: %v", err)
		}
		if ok {
			fresh.Add(1)
		}
	})
	if got := fresh.Load(); got != 1 {
		e.Errorf("%d of %d concurrent uses of one key over two instances fresh, want 1", got, uses)
	}
}

// testExpiredIsFreshAgain: a key is refused until its expiry, then fresh
// again (and recorded again).
func testExpiredIsFreshAgain(e *env, a, b ratelimit.ReplayCache) {
	k, exp := nonce(), e.now().Add(e.ttl)
	e.use(a, k, exp, true)
	e.wait(e.ttl / 2)
	e.use(b, k, exp, false)
	e.wait(exp.Sub(e.now()) + e.slack)
	e.use(b, k, e.now().Add(e.ttl), true)
	e.use(a, k, e.now().Add(e.ttl), false)
}
