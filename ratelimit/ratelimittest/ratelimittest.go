// Package ratelimittest is the conformance suite every [ratelimit.Limiter]
// and [ratelimit.ReplayCache] passes, in-process or shared by replicas.
//
// An implementation's tests call [RunLimiter] and [RunReplayCache] with a
// setup that returns two instances sharing state, standing for two replicas
// (for an in-process implementation, the same instance twice; for a shared
// backend, two clients or pools), and its benchmarks call [Bench]:
//
//	func TestConformance(t *testing.T) {
//		ratelimittest.RunLimiter(t, ratelimittest.LimiterSetup{
//			New: func(tb testing.TB) (a, b ratelimit.Limiter, clock *clocktest.Clock) {
//				clock = clocktest.Default()
//				m := ratelimit.NewMemory(ratelimit.WithClock(clock))
//				return m, m, clock
//			},
//		})
//	}
//
// Time: a backend that reads an injected clock returns the settable clock
// it reads, and the suite advances it instead of sleeping. A backend that
// reads its own clock (Redis and its server TIME) returns a nil clock; the
// suite then uses real periods of about a second and sleeps through them,
// allowing a scheduling tolerance.
//
// Every key the suite uses is unique to the process run (a random run
// prefix and a counter), so instances backed by one shared server may hold
// other data and run alongside other tests; nothing needs emptying. The
// tests of one run call the setup's New once each and run in parallel, so
// New must return a fresh clock every time.
package ratelimittest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/ratelimit"
)

// LimiterSetup builds the limiters under test.
type LimiterSetup struct {
	// New returns two limiters sharing state, and the clock they read or
	// nil when they read real time. It is called once per test.
	New func(tb testing.TB) (a, b ratelimit.Limiter, clock *clocktest.Clock)
	// RoundTrips, when set, returns how many round trips to the backend
	// the instances made so far; Bench reports them per operation.
	RoundTrips func() int64
}

// ReplaySetup builds the replay caches under test.
type ReplaySetup struct {
	// New returns two replay caches sharing state, and the clock they
	// compare expiries with or nil when they use real time. It is called
	// once per test.
	New func(tb testing.TB) (a, b ratelimit.ReplayCache, clock *clocktest.Clock)
	// RoundTrips is as in LimiterSetup.
	RoundTrips func() int64
}

// scale holds the timing of the tests: with a settable clock nothing
// sleeps and the tolerance only absorbs a backend's rounding (stored
// microseconds or milliseconds); in real time, intervals are a second and
// the tolerance absorbs scheduling and round trips. A real-time test fails
// if a run of its requests is delayed by most of an interval.
type scale struct {
	interval time.Duration // the Interval of the limits of timing tests
	ttl      time.Duration // the lifetime of nonces in expiry tests
	tol      time.Duration // accepted error of a RetryAfter
	slack    time.Duration // waited beyond a RetryAfter or an expiry
}

var (
	clockScale = scale{interval: 20 * time.Second, ttl: time.Minute, tol: time.Millisecond, slack: time.Millisecond}
	realScale  = scale{interval: time.Second, ttl: time.Second, tol: 200 * time.Millisecond, slack: 50 * time.Millisecond}
)

// env is what a test receives: its context, the clock (nil in real time)
// and the timing.
type env struct {
	*testing.T
	ctx   context.Context
	clock *clocktest.Clock
	scale
}

func newEnv(t *testing.T, clock *clocktest.Clock) *env {
	sc := realScale
	if clock != nil {
		sc = clockScale
	}
	return &env{T: t, ctx: t.Context(), clock: clock, scale: sc}
}

// now is the time of the instances: the settable clock, or the wall clock.
func (e *env) now() time.Time {
	if e.clock != nil {
		return e.clock.Now()
	}
	return time.Now()
}

// wait lets d pass: advances the settable clock, or sleeps.
func (e *env) wait(d time.Duration) {
	if e.clock != nil {
		e.clock.Advance(d)
		return
	}
	time.Sleep(d)
}

// within fails the test unless got is in [lo-tol, hi+tol].
func (e *env) within(what string, got, lo, hi time.Duration) {
	e.Helper()
	if got < lo-e.tol || got > hi+e.tol {
		e.Errorf("%s = %v, want %v..%v (tolerance %v)", what, got, lo, hi, e.tol)
	}
}

// Unique values for one process run.
var (
	runID = func() string {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		return hex.EncodeToString(b[:])
	}()
	seq atomic.Uint64
)

// key returns a limiter key unique to the run.
func key(name string) string {
	return fmt.Sprintf("okrl:%s:%d:%s", runID, seq.Add(1), name)
}

// nonce returns a replay-cache key unique to the run.
func nonce() [32]byte {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		panic(err)
	}
	return k
}

// race calls fn(0..n-1) on n goroutines released together, and waits for
// them.
func race(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// run runs each test in parallel with instances of its own.
func run[T any](t *testing.T, tests []namedTest[T], build func(t *testing.T) (T, T, *clocktest.Clock)) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b, clock := build(t)
			tc.fn(newEnv(t, clock), a, b)
		})
	}
}

type namedTest[T any] struct {
	name string
	fn   func(e *env, a, b T)
}

// RunLimiter runs the limiter conformance tests, one subtest each, in
// parallel.
func RunLimiter(t *testing.T, s LimiterSetup) {
	t.Helper()
	run(t, limiterTests, func(t *testing.T) (ratelimit.Limiter, ratelimit.Limiter, *clocktest.Clock) {
		return s.New(t)
	})
}

// RunReplayCache runs the replay cache conformance tests, one subtest each,
// in parallel.
func RunReplayCache(t *testing.T, s ReplaySetup) {
	t.Helper()
	run(t, replayTests, func(t *testing.T) (ratelimit.ReplayCache, ratelimit.ReplayCache, *clocktest.Clock) {
		return s.New(t)
	})
}
