package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/ratelimit"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

var perMinute = ratelimit.Limit{Rate: 30, Period: time.Minute}

// replicasWithClock returns two stores with separate pools on one schema,
// a settable clock at t0, and the option that makes limiters read it.
func replicasWithClock(t *testing.T) (a, b *postgres.Store, clock *clocktest.Clock, withClock postgres.LimiterOption) {
	a, b = postgrestest.NewPair(t)
	clock = clocktest.New(t0)
	return a, b, clock, postgres.WithLimiterClock(clock)
}

// allow calls l.Allow and fails the test on an error.
func allow(t *testing.T, l ratelimit.Limiter, key string, lim ratelimit.Limit, cost int) ratelimit.Result {
	t.Helper()
	r, err := l.Allow(context.Background(), key, lim, cost)
	require.NoError(t, err)
	return r
}

// TestLimiterExactAcrossReplicas: 60 requests at once over two pools
// against a limit of 30 a minute, the clock standing still: exactly 30
// are allowed, and every refusal says when to retry.
func TestLimiterExactAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b, _, withClock := replicasWithClock(t)
	limiters := []ratelimit.Limiter{a.Limiter(withClock), b.Limiter(withClock)}
	key := newID("client")
	results := make([]ratelimit.Result, 60)
	race(len(results), func(i int) {
		r, err := limiters[i%2].Allow(context.Background(), key, perMinute, 1)
		assert.NoError(t, err)
		results[i] = r
	})
	allowed := 0
	for _, r := range results {
		if r.Allowed {
			allowed++
			assert.Zero(t, r.RetryAfter)
			continue
		}
		// Exact when the snapshot was current; never longer, never zero.
		assert.True(t, r.RetryAfter > 0 && r.RetryAfter <= 2*time.Second, "RetryAfter %v", r.RetryAfter)
	}
	assert.Equal(t, 30, allowed)
	for _, l := range limiters {
		assert.Equal(t, ratelimit.Result{RetryAfter: 2 * time.Second}, allow(t, l, key, perMinute, 1))
	}
}

// TestLimiterRetryAfterAndExpiry moves the injected clock: the allowance
// comes back one interval at a time, and a cost of 0 only reads.
func TestLimiterRetryAfterAndExpiry(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	clock := clocktest.New(t0)
	l := st.Limiter(postgres.WithLimiterClock(clock))
	lim := ratelimit.Limit{Rate: 3, Period: 3 * time.Second} // one a second
	key := newID("client")

	assert.Equal(t, ratelimit.Result{Allowed: true}, allow(t, l, key, lim, 0), "a new key, read")
	for range 3 {
		require.True(t, allow(t, l, key, lim, 1).Allowed)
	}
	refused := ratelimit.Result{RetryAfter: time.Second}
	assert.Equal(t, refused, allow(t, l, key, lim, 1))
	assert.Equal(t, refused, allow(t, l, key, lim, 0), "a read reports the wait")
	assert.Equal(t, refused, allow(t, l, key, lim, 1), "the refusals took nothing")

	clock.Advance(999 * time.Millisecond)
	assert.Equal(t, ratelimit.Result{RetryAfter: time.Millisecond}, allow(t, l, key, lim, 1))
	clock.Advance(time.Millisecond)
	assert.Equal(t, ratelimit.Result{Allowed: true}, allow(t, l, key, lim, 0), "a read takes nothing")
	assert.Equal(t, ratelimit.Result{Allowed: true}, allow(t, l, key, lim, 1))
	assert.Equal(t, refused, allow(t, l, key, lim, 1))

	clock.Advance(2 * time.Second)
	assert.Equal(t, ratelimit.Result{RetryAfter: time.Second}, allow(t, l, key, lim, 3), "a cost of 3 needs the whole burst")
	assert.True(t, allow(t, l, key, lim, 2).Allowed, "a cost of 2")
	clock.Advance(10 * time.Minute)
	assert.True(t, allow(t, l, key, lim, 3).Allowed, "an idle key has its whole burst back, no more")
	assert.Equal(t, refused, allow(t, l, key, lim, 1))

	other := newID("client")
	assert.True(t, allow(t, l, other, lim, 1).Allowed, "keys count separately")

	for _, bad := range []struct {
		lim  ratelimit.Limit
		cost int
	}{{lim, -1}, {lim, 4}, {ratelimit.Limit{Rate: 0, Period: time.Second}, 1}, {ratelimit.Limit{Rate: 1}, 1}} {
		_, err := l.Allow(context.Background(), key, bad.lim, bad.cost)
		assert.ErrorIs(t, err, ratelimit.ErrInvalidLimit, "limit %+v cost %d", bad.lim, bad.cost)
	}
}

// TestLimiterUnevenInterval: a Period that Rate does not divide into
// whole microseconds still allows exactly Rate at once.
func TestLimiterUnevenInterval(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	l := st.Limiter(postgres.WithLimiterClock(clocktest.New(t0)))
	for _, lim := range []ratelimit.Limit{{Rate: 7, Period: time.Minute}, {Rate: 3000, Period: time.Second}} {
		key := newID("client")
		n := 0
		for allow(t, l, key, lim, 1).Allowed {
			n++
		}
		assert.Equal(t, lim.Rate, n, "limit %+v", lim)
	}
}

// TestReplayCacheOnceAcrossReplicas: of 50 uses of one nonce at once over
// two pools exactly one is fresh; the nonce is fresh again only once its
// expiry has passed.
func TestReplayCacheOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b, clock, withClock := replicasWithClock(t)
	caches := []ratelimit.ReplayCache{a.ReplayCache(withClock), b.ReplayCache(withClock)}
	key := nonce()
	expires := t0.Add(time.Minute)
	var fresh atomic.Int32
	race(50, func(i int) {
		ok, err := caches[i%2].Use(context.Background(), key, expires)
		assert.NoError(t, err)
		if ok {
			fresh.Add(1)
		}
	})
	assert.EqualValues(t, 1, fresh.Load())

	use := func(c ratelimit.ReplayCache, key [32]byte, exp time.Time) bool {
		ok, err := c.Use(context.Background(), key, exp)
		require.NoError(t, err)
		return ok
	}
	clock.Set(expires)
	assert.False(t, use(caches[1], key, expires.Add(time.Hour)), "at its expiry the nonce is still known")
	clock.Advance(time.Microsecond)
	assert.True(t, use(caches[1], key, expires.Add(time.Hour)), "after its expiry the nonce is fresh")
	assert.False(t, use(caches[0], key, expires.Add(2*time.Hour)), "and recorded again with the new expiry")
	clock.Set(expires.Add(time.Hour))
	assert.False(t, use(caches[0], key, expires.Add(2*time.Hour)), "the new expiry holds")
	assert.True(t, use(caches[0], nonce(), expires), "another nonce")
}

// race calls fn(0..n-1) on n goroutines that start together once all
// exist, and waits for them.
func race(n int, fn func(i int)) {
	var gate, wg sync.WaitGroup
	gate.Add(1)
	for i := range n {
		wg.Go(func() { gate.Wait(); fn(i) })
	}
	gate.Done()
	wg.Wait()
}

var nonceSeq atomic.Uint64

func nonce() [32]byte {
	var k [32]byte
	copy(k[:], fmt.Sprintf("nonce-%d-%d", time.Now().UnixNano(), nonceSeq.Add(1)))
	return k
}

// TestPruneRateLimitsAndNonces: pruning deletes exactly the rows whose
// time has passed, and changes no decision.
func TestPruneRateLimitsAndNonces(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	ctx := context.Background()
	clock := clocktest.New(t0)
	l := st.Limiter(postgres.WithLimiterClock(clock))
	lim := ratelimit.Limit{Rate: 2, Period: 2 * time.Minute} // one a minute
	// tat of old = t0+1m; of busy = t0+2m.
	old, busy := newID("old"), newID("busy")
	require.True(t, allow(t, l, old, lim, 1).Allowed)
	require.True(t, allow(t, l, busy, lim, 2).Allowed)
	rc := st.ReplayCache(postgres.WithLimiterClock(clock))
	n1, n2 := nonce(), nonce()
	for k, exp := range map[[32]byte]time.Time{n1: t0.Add(time.Minute), n2: t0.Add(time.Hour)} {
		ok, err := rc.Use(ctx, k, exp)
		require.NoError(t, err)
		require.True(t, ok)
	}

	n, err := st.PruneRateLimits(ctx, t0.Add(59*time.Second))
	require.NoError(t, err)
	assert.EqualValues(t, 0, n, "nothing has passed yet")
	n, err = st.PruneRateLimits(ctx, t0.Add(time.Minute))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "old's tat has come")
	clock.Set(t0.Add(time.Minute))
	assert.True(t, allow(t, l, old, lim, 2).Allowed, "a pruned key has its whole burst")
	assert.Equal(t, ratelimit.Result{RetryAfter: time.Minute}, allow(t, l, busy, lim, 2), "busy is kept")

	n, err = st.PruneReplayNonces(ctx, t0.Add(time.Minute))
	require.NoError(t, err)
	assert.EqualValues(t, 0, n, "a nonce is kept until after its expiry")
	n, err = st.PruneReplayNonces(ctx, t0.Add(time.Minute+time.Microsecond))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	ok, err := rc.Use(ctx, n2, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.False(t, ok, "the unexpired nonce is kept")
}

// TestLimiterStateUnlogged: the limiter's table writes no WAL (migration
// 0010), the replay cache's does (a used signature must outlive a crash).
func TestLimiterStateUnlogged(t *testing.T) {
	st := postgrestest.New(t)
	for table, want := range map[string]string{"rate_limits": "u", "replay_nonces": "p"} {
		var got string
		err := st.Pool().QueryRow(context.Background(),
			`SELECT relpersistence::text FROM pg_class WHERE oid = to_regclass($1)`, table).Scan(&got)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: relpersistence %q, want %q", table, got, want)
		}
	}
}
