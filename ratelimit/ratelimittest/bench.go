package ratelimittest

import (
	"context"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/ratelimit"
)

// Bench reports the cost of one limiter decision (Limiter/Allow: an allowed
// request of cost 1) and one replay check (ReplayCache/Use: a fresh key),
// in ns/op and, when the setup counts them, round-trips/op. A setup whose
// New is nil is left out. Nonces are drawn before the timer starts.
func Bench(b *testing.B, l LimiterSetup, r ReplaySetup) {
	if l.New != nil {
		b.Run("Limiter/Allow", func(b *testing.B) {
			lim, _, _ := l.New(b)
			// Every decision is allowed: an interval of 3.6 µs.
			limit := ratelimit.Limit{Rate: 1 << 30, Period: time.Hour}
			k := key("bench")
			measure(b, l.RoundTrips, func(ctx context.Context, _ int) error {
				_, err := lim.Allow(ctx, k, limit, 1)
				return err
			})
		})
	}
	if r.New != nil {
		b.Run("ReplayCache/Use", func(b *testing.B) {
			c, _, clock := r.New(b)
			now := time.Now()
			if clock != nil {
				now = clock.Now()
			}
			exp := now.Add(time.Minute)
			keys := make([][32]byte, b.N+1) // keys[0] for the warm-up
			for i := range keys {
				keys[i] = nonce()
			}
			measure(b, r.RoundTrips, func(ctx context.Context, i int) error {
				_, err := c.Use(ctx, keys[i+1], exp)
				return err
			})
		})
	}
}

// measure times op(ctx, 0..b.N-1) after a warm-up call op(ctx, -1), and
// reports round-trips/op when counted.
func measure(b *testing.B, roundTrips func() int64, op func(ctx context.Context, i int) error) {
	ctx := context.Background()
	if err := op(ctx, -1); err != nil { // warm up: connections, scripts
		b.Fatal(err)
	}
	var before int64
	if roundTrips != nil {
		before = roundTrips()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := op(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if roundTrips != nil {
		b.ReportMetric(float64(roundTrips()-before)/float64(b.N), "round-trips/op")
	}
}
