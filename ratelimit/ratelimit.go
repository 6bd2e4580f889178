// Package ratelimit holds the two small interfaces behind the HTTP layer's
// request limits and the integrator signature replay cache, so that limits
// and one-time signatures hold across replicas: a [Limiter] decides whether
// a key (a client address, a user) may make one more request, and a
// [ReplayCache] remembers a signature so it is accepted once.
//
// Three implementations of each exist, and all pass the conformance suite of
// package ratelimit/ratelimittest:
//
//   - in-process ([NewMemory], [NewMemoryReplayCache]): the default, right
//     for a single replica; with N replicas every limit is N times looser
//     and a signature can be replayed on another replica;
//   - PostgreSQL, in the database of storage/postgres (one statement per
//     decision): postgres.Store.Limiter and postgres.Store.ReplayCache;
//   - Redis (package ratelimit/redisrate), with go-redis and a GCRA limiter.
package ratelimit

import (
	"context"
	"time"
)

// Limit allows Rate requests per Period for one key, in bursts of at most
// Rate (the generic cell rate algorithm: one request every Period/Rate on
// average, with a tolerance of a full Period).
type Limit struct {
	Rate   int
	Period time.Duration
}

// Interval is the time one request uses up: Period / Rate.
func (l Limit) Interval() time.Duration { return l.Period / time.Duration(l.Rate) }

// Result is a limiter's decision.
type Result struct {
	// Allowed reports whether the requests may proceed (for a cost of 0:
	// whether one more would).
	Allowed bool
	// RetryAfter is, when not Allowed, how long until the cost asked
	// would be allowed (for a cost of 0, one request), if nothing else
	// takes from the key meanwhile.
	RetryAfter time.Duration
}

// Limiter decides request allowances per key. Implementations are safe for
// concurrent use; those shared by replicas make one decision per key at a
// time, so N concurrent requests over any number of replicas get exactly
// the allowance.
type Limiter interface {
	// Allow takes cost requests (usually 1) from key's allowance under l,
	// all or none. A cost of 0 takes nothing and reports whether one more
	// request would be allowed. An error means no decision: callers should
	// refuse (fail closed) or let the request through by policy. A cost
	// outside 0..l.Rate, or a Limit that [Limit.Check] refuses, is an error
	// wrapping [ErrInvalidLimit].
	//
	// A key has one state whatever the Limit (the time from which its
	// allowance is full again), so give each limit keys of its own, e.g.
	// "signup:" + client address.
	Allow(ctx context.Context, key string, l Limit, cost int) (Result, error)
}

// ReplayCache remembers keys (signature digests) until they expire, so that
// each is used once. Implementations are safe for concurrent use; those
// shared by replicas answer one of two concurrent uses of a key fresh.
type ReplayCache interface {
	// Use records key until expiresAt and reports whether it was fresh:
	// not recorded before, or recorded with an expiry already past. An
	// error refuses the request.
	Use(ctx context.Context, key [32]byte, expiresAt time.Time) (fresh bool, err error)
}
