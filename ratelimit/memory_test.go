package ratelimit_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/ratelimit"
	"github.com/onboardkit/onboardkit/ratelimit/ratelimittest"
)

// memorySetups returns the suite's setups for the in-process
// implementations: one instance standing for both replicas, on a settable
// clock, or on the system clock when realTime.
func memorySetups(realTime bool, replayOpts ...ratelimit.ReplayOption) (ratelimittest.LimiterSetup, ratelimittest.ReplaySetup) {
	clock := func() *clocktest.Clock {
		if realTime {
			return nil
		}
		return clocktest.Default()
	}
	limiter := ratelimittest.LimiterSetup{New: func(testing.TB) (a, b ratelimit.Limiter, c *clocktest.Clock) {
		c = clock()
		m := ratelimit.NewMemory()
		if c != nil {
			m = ratelimit.NewMemory(ratelimit.WithClock(c))
		}
		return m, m, c
	}}
	replay := ratelimittest.ReplaySetup{New: func(testing.TB) (a, b ratelimit.ReplayCache, c *clocktest.Clock) {
		c = clock()
		opts := replayOpts
		if c != nil {
			opts = append(opts[:len(opts):len(opts)], ratelimit.WithReplayClock(c))
		}
		m := ratelimit.NewMemoryReplayCache(opts...)
		return m, m, c
	}}
	return limiter, replay
}

func TestMemoryConformance(t *testing.T) {
	limiter, replay := memorySetups(false)
	t.Run("Limiter", func(t *testing.T) { t.Parallel(); ratelimittest.RunLimiter(t, limiter) })
	t.Run("ReplayCache", func(t *testing.T) { t.Parallel(); ratelimittest.RunReplayCache(t, replay) })
}

// TestMemoryConformanceRealTime runs the suite as it runs on a backend that
// reads its own clock: real periods and sleeps.
func TestMemoryConformanceRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps about three seconds")
	}
	limiter, replay := memorySetups(true)
	t.Run("Limiter", func(t *testing.T) { t.Parallel(); ratelimittest.RunLimiter(t, limiter) })
	t.Run("ReplayCache", func(t *testing.T) { t.Parallel(); ratelimittest.RunReplayCache(t, replay) })
}

func BenchmarkMemory(b *testing.B) {
	limiter, replay := memorySetups(false, ratelimit.WithReplayCapacity(1<<30))
	ratelimittest.Bench(b, limiter, replay)
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.Default()
	m := ratelimit.NewMemory(ratelimit.WithClock(clock), ratelimit.WithMaxKeys(3))
	l := ratelimit.Limit{Rate: 1, Period: time.Minute}
	mustAllow := func(key string, want bool) {
		t.Helper()
		r, err := m.Allow(ctx, key, l, 1)
		if err != nil || r.Allowed != want {
			t.Fatalf("Allow(%s) = %+v, %v; want Allowed %v", key, r, err, want)
		}
	}
	for _, k := range []string{"a", "b", "c"} {
		mustAllow(k, true)
	}
	mustAllow("a", false) // a is now the most recently used
	mustAllow("d", true)  // evicts b, the least recently used
	if n := m.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	mustAllow("a", false) // kept
	mustAllow("b", true)  // evicted: its allowance was reset
}

func TestMemoryDropsKeysWhoseAllowanceIsFull(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.Default()
	m := ratelimit.NewMemory(ratelimit.WithClock(clock))
	l := ratelimit.Limit{Rate: 10, Period: time.Minute}
	for i := range 1000 {
		if _, err := m.Allow(ctx, fmt.Sprint("client-", i), l, 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := m.Len(); n != 1000 {
		t.Fatalf("Len = %d, want 1000", n)
	}
	// A peek at an unknown key remembers nothing.
	if r, err := m.Allow(ctx, "peek", l, 0); err != nil || !r.Allowed {
		t.Fatalf("peek = %+v, %v", r, err)
	}
	// One interval later every key's allowance is full again.
	clock.Advance(l.Interval())
	if _, err := m.Allow(ctx, "late", l, 1); err != nil {
		t.Fatal(err)
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("Len = %d after the allowances refilled, want 1", n)
	}
}

// TestMemoryBoundedUnderManyClients feeds many distinct keys, none of
// whose allowance refills meanwhile, and checks that the number of keys
// held never passes the bound, that the newest keys are the ones kept, and
// that every key goes once its allowance is full again.
func TestMemoryBoundedUnderManyClients(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []ratelimit.MemoryOption
		bound   int
		clients int
	}{
		{"default bound", nil, 100_000, 150_000},
		{"small bound", []ratelimit.MemoryOption{ratelimit.WithMaxKeys(1000)}, 1000, 100_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clock := clocktest.Default()
			m := ratelimit.NewMemory(append(tc.opts, ratelimit.WithClock(clock))...)
			l := ratelimit.Limit{Rate: 1, Period: time.Minute}
			key := func(i int) string { return fmt.Sprintf("signup:ip:10.%d.%d.%d", i>>16&255, i>>8&255, i&255) }
			for i := range tc.clients {
				if r, err := m.Allow(ctx, key(i), l, 1); err != nil || !r.Allowed {
					t.Fatalf("client %d: %+v, %v", i, r, err)
				}
				if n := m.Len(); n > tc.bound {
					t.Fatalf("after %d clients: %d keys held, bound %d", i+1, n, tc.bound)
				}
			}
			if n := m.Len(); n != tc.bound {
				t.Fatalf("Len = %d, want the bound %d", n, tc.bound)
			}
			if r, _ := m.Allow(ctx, key(tc.clients-1), l, 1); r.Allowed {
				t.Error("the newest client was forgotten")
			}
			if r, _ := m.Allow(ctx, key(0), l, 1); !r.Allowed {
				t.Error("the oldest client is still held past the bound")
			}
			clock.Advance(l.Period)
			if _, err := m.Allow(ctx, "late", l, 0); err != nil {
				t.Fatal(err)
			}
			if n := m.Len(); n != 0 {
				t.Fatalf("Len = %d once every allowance is full again, want 0", n)
			}
		})
	}
}

func TestMemoryInvalidLimit(t *testing.T) {
	m := ratelimit.NewMemory()
	for _, tc := range []struct {
		l    ratelimit.Limit
		cost int
	}{
		{ratelimit.Limit{Rate: 0, Period: time.Minute}, 1},
		{ratelimit.Limit{Rate: -1, Period: time.Minute}, 1},
		{ratelimit.Limit{Rate: 1, Period: 0}, 1},
		{ratelimit.Limit{Rate: 10, Period: 9}, 1},
		{ratelimit.Limit{Rate: 2, Period: time.Minute}, -1},
		{ratelimit.Limit{Rate: 2, Period: time.Minute}, 3},
	} {
		r, err := m.Allow(context.Background(), "k", tc.l, tc.cost)
		if !errors.Is(err, ratelimit.ErrInvalidLimit) || r.Allowed {
			t.Errorf("Allow(%+v, cost %d) = %+v, %v; want ErrInvalidLimit", tc.l, tc.cost, r, err)
		}
	}
	if m.Len() != 0 {
		t.Errorf("Len = %d after invalid requests", m.Len())
	}
}

func TestMemoryReplayCacheBounded(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.Default()
	c := ratelimit.NewMemoryReplayCache(ratelimit.WithReplayClock(clock), ratelimit.WithReplayCapacity(2))
	exp := clock.Now().Add(time.Minute)
	for i := range byte(2) {
		if fresh, err := c.Use(ctx, [32]byte{i}, exp); err != nil || !fresh {
			t.Fatalf("Use(%d) = %v, %v", i, fresh, err)
		}
	}
	if fresh, err := c.Use(ctx, [32]byte{0}, exp); err != nil || fresh {
		t.Fatalf("a replay at capacity = %v, %v; want not fresh, no error", fresh, err)
	}
	if fresh, err := c.Use(ctx, [32]byte{2}, exp); !errors.Is(err, ratelimit.ErrReplayCacheFull) || fresh {
		t.Fatalf("a new key at capacity = %v, %v; want ErrReplayCacheFull", fresh, err)
	}
	clock.Advance(time.Minute + time.Nanosecond)
	if fresh, err := c.Use(ctx, [32]byte{2}, clock.Now().Add(time.Minute)); err != nil || !fresh {
		t.Fatalf("a new key once the others expired = %v, %v", fresh, err)
	}
	if n := c.Len(); n != 1 {
		t.Fatalf("Len = %d, want 1: expired entries are dropped", n)
	}
}

func TestMemoryReplayCacheDropsExpired(t *testing.T) {
	ctx := context.Background()
	clock := clocktest.Default()
	c := ratelimit.NewMemoryReplayCache(ratelimit.WithReplayClock(clock))
	// Expiries out of order, as clocks of integrators differ.
	for i := range 1000 {
		exp := clock.Now().Add(time.Duration(1+(i*7919)%1000) * time.Millisecond)
		if _, err := c.Use(ctx, [32]byte{byte(i), byte(i >> 8)}, exp); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(500 * time.Millisecond)
	if _, err := c.Use(ctx, [32]byte{0xff, 0xff}, clock.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// Keys expiring at 1..500 ms are gone (500 ms is the instant itself:
	// still in use), the others and the new one stay.
	if n := c.Len(); n != 1000-499+1 {
		t.Fatalf("Len = %d, want %d", n, 1000-499+1)
	}
}

// TestMemoryReplayCacheBoundedUnderManyKeys feeds many distinct keys and
// checks that the entries held never pass the capacity: expired ones are
// dropped, and at capacity a new key is refused (ErrReplayCacheFull)
// rather than a used one forgotten, which would let it be replayed.
func TestMemoryReplayCacheBoundedUnderManyKeys(t *testing.T) {
	const capacity, keys = 1000, 100_000
	for _, tc := range []struct {
		name    string
		step    time.Duration // clock advance between two keys
		ttl     time.Duration // from each key's use to its expiry
		maxHeld int           // entries held at most
		refused int           // keys refused as the cache is full
	}{
		{"keys expire", time.Millisecond, 500 * time.Millisecond, 501, 0},
		{"keys in use", 0, time.Minute, capacity, keys - capacity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clock := clocktest.Default()
			c := ratelimit.NewMemoryReplayCache(ratelimit.WithReplayClock(clock), ratelimit.WithReplayCapacity(capacity))
			refused := 0
			for i := range keys {
				clock.Advance(tc.step)
				var k [32]byte
				binary.BigEndian.PutUint64(k[:], uint64(i))
				fresh, err := c.Use(ctx, k, clock.Now().Add(tc.ttl))
				switch {
				case errors.Is(err, ratelimit.ErrReplayCacheFull) && !fresh:
					refused++
				case err != nil || !fresh:
					t.Fatalf("key %d: fresh %v, %v", i, fresh, err)
				}
				if n := c.Len(); n > tc.maxHeld {
					t.Fatalf("after %d keys: %d entries held, want at most %d", i+1, n, tc.maxHeld)
				}
			}
			if refused != tc.refused {
				t.Errorf("%d keys refused, want %d", refused, tc.refused)
			}
			var first [32]byte // still in use in the second case: a replay
			if fresh, err := c.Use(ctx, first, clock.Now().Add(tc.ttl)); tc.step == 0 && (fresh || err != nil) {
				t.Errorf("replay of the first key: fresh %v, %v", fresh, err)
			}
		})
	}
}

func ExampleMemory() {
	clock := clocktest.Default()
	limiter := ratelimit.NewMemory(ratelimit.WithClock(clock))
	signUps := ratelimit.Limit{Rate: 2, Period: time.Minute}
	for range 3 {
		r, _ := limiter.Allow(context.Background(), "signup:192.0.2.1", signUps, 1)
		fmt.Println(r.Allowed, r.RetryAfter)
	}
	// Output:
	// true 0s
	// true 0s
	// false 30s
}
