package ratelimittest

import (
	"sync/atomic"
	"time"

	"github.com/onboardkit/onboardkit/ratelimit"
)

var limiterTests = []namedTest[ratelimit.Limiter]{
	{"ExactAllowanceUnderConcurrency", testExactAllowance},
	{"BurstThenRefill", testBurstThenRefill},
	{"CostZeroTakesNothing", testCostZero},
	{"CostAllOrNone", testCostAllOrNone},
	{"IndependentKeys", testIndependentKeys},
	{"RefillsAfterPeriod", testRefillsAfterPeriod},
}

// limit returns the limit of rate requests per rate intervals of the scale.
func (e *env) limit(rate int) ratelimit.Limit {
	return ratelimit.Limit{Rate: rate, Period: time.Duration(rate) * e.interval}
}

// allow asks lim for cost under l and fails the test unless the decision is
// want; a refusal must come with a positive RetryAfter.
func (e *env) allow(lim ratelimit.Limiter, key string, l ratelimit.Limit, cost int, want bool) ratelimit.Result {
	e.Helper()
	r, err := lim.Allow(e.ctx, key, l, cost)
	if err != nil {
		e.Fatalf("Allow(%q, %v, cost %d): %v", key, l, cost, err)
	}
	if r.Allowed != want {
		e.Fatalf("Allow(%q, %v, cost %d).Allowed = %v, want %v (RetryAfter %v)", key, l, cost, r.Allowed, want, r.RetryAfter)
	}
	if !r.Allowed && r.RetryAfter <= 0 {
		e.Errorf("Allow(%q, %v, cost %d) refused with RetryAfter %v, want > 0", key, l, cost, r.RetryAfter)
	}
	return r
}

// pick alternates between the two instances.
func pick[T any](a, b T, i int) T {
	if i%2 == 0 {
		return a
	}
	return b
}

// exhaust takes key's whole allowance one request at a time, alternating
// between first and second, checks that the next request is refused, and
// returns that refusal.
func (e *env) exhaust(first, second ratelimit.Limiter, key string, l ratelimit.Limit) ratelimit.Result {
	e.Helper()
	for i := range l.Rate {
		e.allow(pick(first, second, i), key, l, 1, true)
	}
	return e.allow(pick(first, second, l.Rate), key, l, 1, false)
}

// peek asks each of lims, in turn, whether one more request of key would be
// allowed (a cost of 0), fails the test unless the answer is want, and
// returns the last answer.
func (e *env) peek(key string, l ratelimit.Limit, want bool, lims ...ratelimit.Limiter) ratelimit.Result {
	e.Helper()
	var r ratelimit.Result
	for _, lim := range lims {
		r = e.allow(lim, key, l, 0, want)
	}
	return r
}

// testExactAllowance: 60 concurrent requests of one key, split over both
// instances, under 30 per minute: exactly 30 are allowed.
func testExactAllowance(e *env, a, b ratelimit.Limiter) {
	const requests, rate = 60, 30
	l := ratelimit.Limit{Rate: rate, Period: time.Minute}
	k := key("concurrent")
	var allowed atomic.Int64
	race(requests, func(i int) {
		r, err := pick(a, b, i).Allow(e.ctx, k, l, 1)
		switch {
		case err != nil:
			e.Errorf("Allow: %v", err)
		case r.Allowed:
			allowed.Add(1)
		case r.RetryAfter <= 0 || r.RetryAfter > l.Interval()+e.tol:
			e.Errorf("refused with RetryAfter %v, want 0..%v", r.RetryAfter, l.Interval())
		}
	})
	if got := allowed.Load(); got != rate {
		e.Errorf("%d of %d concurrent requests over two instances allowed, want %d", got, requests, rate)
	}
	e.peek(k, l, false, a, b)
}

// testBurstThenRefill: a burst of Rate is allowed, the next request is
// refused with the true wait, and after that wait one more is allowed.
func testBurstThenRefill(e *env, a, b ratelimit.Limiter) {
	l := e.limit(3)
	k := key("burst")
	start := e.now()
	r := e.exhaust(a, b, k, l)
	e.within("RetryAfter after a burst", r.RetryAfter, e.interval-e.now().Sub(start), e.interval)
	e.wait(r.RetryAfter + e.slack)
	e.allow(b, k, l, 1, true)
	r = e.allow(a, k, l, 1, false)
	e.within("RetryAfter after taking the refill", r.RetryAfter, 0, e.interval)
}

// testCostZero: a cost of 0 takes nothing, on either instance, and reports
// whether one more request would be allowed and when.
func testCostZero(e *env, a, b ratelimit.Limiter) {
	l := e.limit(2)
	k := key("peek")
	e.peek(k, l, true, a, b, a) // a key never seen
	start := e.now()
	e.exhaust(b, a, k, l) // the peeks took nothing
	peek := e.peek(k, l, false, b, a, b)
	e.within("RetryAfter of a cost-0 request", peek.RetryAfter, e.interval-e.now().Sub(start), e.interval)
	sincePeek := e.now()
	take := e.allow(a, k, l, 1, false)
	e.within("RetryAfter of a request after cost-0 requests", take.RetryAfter,
		peek.RetryAfter-e.now().Sub(sincePeek), peek.RetryAfter)
	e.wait(take.RetryAfter + e.slack)
	e.peek(k, l, true, b, a)
	e.allow(a, k, l, 1, true)
	e.peek(k, l, false, b)
}

// testCostAllOrNone: a cost above 1 takes that many or, refused, nothing,
// and its RetryAfter is the wait for the whole cost.
func testCostAllOrNone(e *env, a, b ratelimit.Limiter) {
	l := e.limit(4)
	k := key("cost")
	start := e.now()
	e.allow(a, k, l, 3, true)
	r := e.allow(b, k, l, 2, false)
	e.within("RetryAfter of a cost of 2 with 1 left", r.RetryAfter, e.interval-e.now().Sub(start), e.interval)
	e.allow(b, k, l, 1, true) // the refused cost took nothing
	e.peek(k, l, false, a)
	whole := key("whole")
	e.allow(b, whole, l, l.Rate, true)
	e.allow(a, whole, l, 1, false)
}

// testIndependentKeys: one key's use leaves another's allowance whole.
func testIndependentKeys(e *env, a, b ratelimit.Limiter) {
	l := e.limit(2)
	one, two := key("one"), key("two")
	e.exhaust(a, b, one, l)
	e.exhaust(b, a, two, l)
	e.peek(one, l, false, a, b)
}

// testRefillsAfterPeriod: a whole Period after a burst the whole allowance
// is back.
func testRefillsAfterPeriod(e *env, a, b ratelimit.Limiter) {
	l := e.limit(2)
	k := key("refill")
	e.exhaust(a, b, k, l)
	e.wait(l.Period + e.slack)
	e.exhaust(b, a, k, l)
}
