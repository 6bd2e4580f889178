package postgres_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/ratelimit"
	"github.com/onboardkit/onboardkit/ratelimit/ratelimittest"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
	"github.com/onboardkit/onboardkit/storage/storagetest"
)

// TestConformance runs the storage conformance suite on one migrated
// schema: the suite's records are unique per run, so its tests share it.
func TestConformance(t *testing.T) {
	t.Parallel()
	st := postgrestest.New(t)
	storagetest.Run(t, func(t *testing.T) storage.Store { return st })
}

// TestConformanceReplicas runs the suite's replica races on two pools
// sharing one schema.
func TestConformanceReplicas(t *testing.T) {
	t.Parallel()
	a, b := postgrestest.NewPair(t)
	storagetest.RunReplicas(t, func(t *testing.T) (storage.Store, storage.Store) {
		return a, b
	})
}

// writeCounter counts the writes the pool's connections make to the
// server: one per round trip (pgx flushes a query's messages at once).
type writeCounter struct{ n atomic.Int64 }

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(b)
}

// option wraps the pool's dialer so that its connections are counted.
func (w *writeCounter) option() postgres.Option {
	return postgres.WithPoolConfig(func(c *pgxpool.Config) {
		dial := c.ConnConfig.DialFunc
		c.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: conn, n: &w.n}, nil
		}
	})
}

// rateSetups returns the ratelimittest setups on two pools sharing one
// migrated schema (two replicas): every test gets a fresh settable clock
// and limiters or caches reading it.
func rateSetups(tb testing.TB) (ratelimittest.LimiterSetup, ratelimittest.ReplaySetup) {
	w := new(writeCounter)
	a, b := postgrestest.NewPair(tb, w.option())
	limiter := ratelimittest.LimiterSetup{
		New: func(testing.TB) (ratelimit.Limiter, ratelimit.Limiter, *clocktest.Clock) {
			c := clocktest.Default()
			return a.Limiter(postgres.WithLimiterClock(c)), b.Limiter(postgres.WithLimiterClock(c)), c
		},
		RoundTrips: w.n.Load,
	}
	replay := ratelimittest.ReplaySetup{
		New: func(testing.TB) (ratelimit.ReplayCache, ratelimit.ReplayCache, *clocktest.Clock) {
			c := clocktest.Default()
			return a.ReplayCache(postgres.WithLimiterClock(c)), b.ReplayCache(postgres.WithLimiterClock(c)), c
		},
		RoundTrips: w.n.Load,
	}
	return limiter, replay
}

// TestRateLimitConformance runs the ratelimit conformance suite on the
// PostgreSQL limiter and replay cache, over two pools.
func TestRateLimitConformance(t *testing.T) {
	t.Parallel()
	limiter, replay := rateSetups(t)
	t.Run("Limiter", func(t *testing.T) { ratelimittest.RunLimiter(t, limiter) })
	t.Run("ReplayCache", func(t *testing.T) { ratelimittest.RunReplayCache(t, replay) })
}
