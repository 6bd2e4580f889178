package redisrate_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/ratelimit"
	"github.com/onboardkit/onboardkit/ratelimit/ratelimittest"
	"github.com/onboardkit/onboardkit/ratelimit/redisrate"
	"github.com/onboardkit/onboardkit/ratelimit/redisrate/redistest"
)

// prefix keeps the tests' keys apart from a service's.
const prefix = "onboardkit-test:"

// roundTrips counts the commands the clients send, each a round trip (a
// pipeline counts once).
type roundTrips struct{ n atomic.Int64 }

func (c *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// backends returns two backends on separate clients of the test server:
// two replicas sharing one Redis.
func backends(tb testing.TB, rt *roundTrips) (a, b *redisrate.Backend) {
	ca, cb := redistest.Pair(tb)
	ca.AddHook(rt)
	cb.AddHook(rt)
	return redisrate.New(ca, redisrate.WithPrefix(prefix)), redisrate.New(cb, redisrate.WithPrefix(prefix))
}

// setups returns the suite's setups: Redis reads its own clock, so no
// settable clock.
func setups() (ratelimittest.LimiterSetup, ratelimittest.ReplaySetup) {
	rt := new(roundTrips)
	limiter := ratelimittest.LimiterSetup{
		New: func(tb testing.TB) (a, b ratelimit.Limiter, _ *clocktest.Clock) {
			ba, bb := backends(tb, rt)
			return ba.Limiter(), bb.Limiter(), nil
		},
		RoundTrips: rt.n.Load,
	}
	replay := ratelimittest.ReplaySetup{
		New: func(tb testing.TB) (a, b ratelimit.ReplayCache, _ *clocktest.Clock) {
			ba, bb := backends(tb, rt)
			return ba.ReplayCache(), bb.ReplayCache(), nil
		},
		RoundTrips: rt.n.Load,
	}
	return limiter, replay
}

func TestConformance(t *testing.T) {
	limiter, replay := setups()
	t.Run("Limiter", func(t *testing.T) { t.Parallel(); ratelimittest.RunLimiter(t, limiter) })
	t.Run("ReplayCache", func(t *testing.T) { t.Parallel(); ratelimittest.RunReplayCache(t, replay) })
}

func BenchmarkRedis(b *testing.B) {
	limiter, replay := setups()
	ratelimittest.Bench(b, limiter, replay)
}

func TestKeysAndExpiries(t *testing.T) {
	client := redistest.Client(t)
	ctx := context.Background()
	ns := fmt.Sprintf("%s%d:", prefix, time.Now().UnixNano())
	backend := redisrate.New(client, redisrate.WithPrefix(ns))
	l := ratelimit.Limit{Rate: 10, Period: time.Minute}
	if r, err := backend.Limiter().Allow(ctx, "signup:192.0.2.1", l, 1); err != nil || !r.Allowed {
		t.Fatalf("Allow = %+v, %v", r, err)
	}
	// redis_rate keeps the key until the allowance is full: one interval.
	if ttl, err := client.TTL(ctx, "rate:"+ns+"signup:192.0.2.1").Result(); err != nil || ttl <= 0 || ttl > l.Interval() {
		t.Errorf("limiter key TTL = %v, %v; want 0..%v", ttl, err, l.Interval())
	}
	key := [32]byte{1, 2, 3}
	exp := time.Now().Add(time.Minute).Truncate(time.Millisecond).Add(time.Microsecond)
	if fresh, err := backend.ReplayCache().Use(ctx, key, exp); err != nil || !fresh {
		t.Fatalf("Use = %v, %v", fresh, err)
	}
	at, err := client.PExpireTime(ctx, ns+"replay:"+hex.EncodeToString(key[:])).Result()
	if want := exp.Truncate(time.Millisecond).Add(time.Millisecond); err != nil || at != time.Duration(want.UnixMilli())*time.Millisecond {
		t.Errorf("replay key expires at %v, %v; want %v (rounded up to the millisecond)", at, err, want.UnixMilli())
	}
}

func TestPastExpiryStoresNothing(t *testing.T) {
	backend := redisrate.New(redistest.Client(t), redisrate.WithPrefix(prefix))
	key := [32]byte{0xde, 0xad, byte(time.Now().UnixNano())}
	for _, exp := range []time.Time{time.Now().Add(-time.Second), {}, time.Now().Add(-time.Second)} {
		if fresh, err := backend.ReplayCache().Use(context.Background(), key, exp); err != nil || !fresh {
			t.Fatalf("Use(expiry %v) = %v, %v; want fresh", exp, fresh, err)
		}
	}
}

func TestInvalidLimitMakesNoRoundTrip(t *testing.T) {
	rt := new(roundTrips)
	a, _ := backends(t, rt)
	before := rt.n.Load()
	for _, tc := range []struct {
		l    ratelimit.Limit
		cost int
	}{
		{ratelimit.Limit{Rate: 0, Period: time.Minute}, 0},
		{ratelimit.Limit{Rate: 1, Period: -time.Second}, 1},
		{ratelimit.Limit{Rate: 2, Period: time.Minute}, 3},
	} {
		if _, err := a.Limiter().Allow(context.Background(), "k", tc.l, tc.cost); !errors.Is(err, ratelimit.ErrInvalidLimit) {
			t.Errorf("Allow(%+v, cost %d): %v, want ErrInvalidLimit", tc.l, tc.cost, err)
		}
	}
	if n := rt.n.Load() - before; n != 0 {
		t.Errorf("%d round trips for invalid limits", n)
	}
}

// TestUnreachableIsAnError needs no server: a client of a closed port.
func TestUnreachableIsAnError(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	backend := redisrate.New(client)
	ctx := context.Background()
	if r, err := backend.Limiter().Allow(ctx, "k", ratelimit.Limit{Rate: 1, Period: time.Second}, 1); err == nil || r.Allowed {
		t.Errorf("Allow = %+v, %v; want an error and no allowance", r, err)
	}
	if fresh, err := backend.ReplayCache().Use(ctx, [32]byte{}, time.Now().Add(time.Minute)); err == nil || fresh {
		t.Errorf("Use = %v, %v; want an error and not fresh", fresh, err)
	}
}
