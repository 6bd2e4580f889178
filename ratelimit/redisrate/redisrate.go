// Package redisrate holds the Redis implementations of ratelimit.Limiter
// and ratelimit.ReplayCache, shared by every replica that uses one Redis
// (a single server, a Sentinel group or a Cluster, through
// redis.UniversalClient):
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	backend := redisrate.New(rdb)
//	limiter, replay := backend.Limiter(), backend.ReplayCache()
//
// Guarantees. A decision of the Limiter is one Lua script (GCRA, by
// github.com/go-redis/redis_rate/v10), run atomically by Redis: N
// concurrent requests of one key over any number of replicas get exactly
// the allowance. A replay check is one SET NX: of concurrent uses of one
// key exactly one is fresh. Each is one round trip (the limiter's first
// call on a connection to a server that has not cached the script yet
// takes two). Both hold as long as Redis keeps its data: a restart of a
// server without persistence, or a failover to a replica that had not
// received the last writes, forgets allowances and used signatures, so
// for the replay cache prefer a server with persistence, or accept that a
// signature used just before a failover may be accepted once more within
// its validity window.
//
// Time is Redis server time. The limiter reads the server's TIME inside
// its script, so replicas' clocks do not matter and the Runtime's clock is
// not read. The replay cache stores each key until expiresAt (SET ... PXAT,
// milliseconds), an instant computed by the caller from its own clock and
// compared by Redis with the server's: keep the clocks of replicas and of
// Redis synchronised (NTP), or a skew shortens or lengthens how long a
// signature is remembered.
//
// Keys. Limiter keys are "rate:" + prefix + key (redis_rate adds "rate:"),
// each kept until its allowance is full again; replay keys are prefix +
// "replay:" + the hexadecimal key, kept until their expiry. The prefix is
// "onboardkit:" unless WithPrefix says otherwise.
package redisrate

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/onboardkit/onboardkit/ratelimit"
)

// DefaultPrefix starts every key the backend writes, unless WithPrefix
// changes it.
const DefaultPrefix = "onboardkit:"

// Backend holds a Redis client and hands out the limiter and the replay
// cache that use it. It is safe for concurrent use.
type Backend struct {
	client redis.UniversalClient
	rate   *redis_rate.Limiter
	prefix string
}

// Option configures a Backend.
type Option func(*Backend)

// WithPrefix sets the prefix of the keys written (default DefaultPrefix),
// so that several services, or several tests, can share one Redis.
func WithPrefix(prefix string) Option {
	return func(b *Backend) { b.prefix = prefix }
}

// New returns a backend on client. The client stays the caller's to close.
func New(client redis.UniversalClient, opts ...Option) *Backend {
	b := &Backend{client: client, rate: redis_rate.NewLimiter(client), prefix: DefaultPrefix}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Limiter returns the backend's limiter.
func (b *Backend) Limiter() ratelimit.Limiter { return limiter{b} }

// ReplayCache returns the backend's replay cache.
func (b *Backend) ReplayCache() ratelimit.ReplayCache { return replayCache{b} }

type limiter struct{ b *Backend }

// minRetry is the RetryAfter of a cost-0 request refused at the instant its
// request becomes allowed: redis_rate counts whole requests left, rounded
// down, so a float error can refuse a request whose wait is a few
// nanoseconds.
const minRetry = time.Millisecond

// Allow implements ratelimit.Limiter.
func (l limiter) Allow(ctx context.Context, key string, lim ratelimit.Limit, cost int) (ratelimit.Result, error) {
	if err := lim.Check(cost); err != nil {
		return ratelimit.Result{}, err
	}
	gcra := redis_rate.Limit{Rate: lim.Rate, Burst: lim.Rate, Period: lim.Period}
	res, err := l.b.rate.AllowN(ctx, l.b.prefix+key, gcra, cost)
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("redisrate: limiter: %w", err)
	}
	switch {
	case cost == 0 && res.Remaining >= 1:
		return ratelimit.Result{Allowed: true}, nil
	case cost == 0:
		// The key is free again ResetAfter from now; one request is
		// allowed a Period, less one Interval, before that.
		return ratelimit.Result{RetryAfter: max(res.ResetAfter-lim.Period+lim.Interval(), minRetry)}, nil
	case res.Allowed > 0:
		return ratelimit.Result{Allowed: true}, nil
	}
	return ratelimit.Result{RetryAfter: max(res.RetryAfter, minRetry)}, nil
}

type replayCache struct{ b *Backend }

// Use implements ratelimit.ReplayCache with SET key 1 NX PXAT expiresAt. An
// expiresAt already past (for Redis) stores nothing and is fresh.
func (c replayCache) Use(ctx context.Context, key [32]byte, expiresAt time.Time) (bool, error) {
	k := c.b.prefix + "replay:" + hex.EncodeToString(key[:])
	// In milliseconds rounded up, so that a key is never forgotten early.
	// PXAT must be positive; any instant already past expires at once.
	at := max(expiresAt.Add(time.Millisecond-time.Nanosecond).UnixMilli(), 1)
	err := c.b.client.Do(ctx, "set", k, 1, "nx", "pxat", at).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("redisrate: replay cache: %w", err)
	}
	return true, nil
}
