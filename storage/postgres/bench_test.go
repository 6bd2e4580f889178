package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onboardkit/onboardkit/ratelimit/ratelimittest"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/postgres"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
	"github.com/onboardkit/onboardkit/storage/storagetest"
)

// BenchmarkStore runs the suite's benchmarks (CreateUser, GetUserByPhone,
// ConsumeChallenge, RotateRefreshToken, a Tx creating a challenge).
func BenchmarkStore(b *testing.B) {
	storagetest.Bench(b, func(b *testing.B) storage.Store { return postgrestest.New(b) })
}

// BenchmarkRateLimit measures one limiter decision and one replay check
// (ratelimittest.Bench), with the round trips each makes.
func BenchmarkRateLimit(b *testing.B) {
	limiter, replay := rateSetups(b)
	ratelimittest.Bench(b, limiter, replay)
}

// BenchmarkSignUpConcurrent measures sign-up throughput: 8 workers each
// running units of work of CreateUser + SetPassword + CreateChallenge, the
// writes of one sign-up. It reports sign-ups/s and inserts/s (3 per
// sign-up).
func BenchmarkSignUpConcurrent(b *testing.B) {
	const workers = 8
	st := postgrestest.New(b, postgres.WithPoolConfig(func(c *pgxpool.Config) { c.MaxConns = workers }))
	ctx := context.Background()
	var run atomic.Int64
	prefix := fmt.Sprintf("b%d", run.Add(1))
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				u := &storage.User{
					ID: fmt.Sprintf("%s-user-%d", prefix, n), Phone: fmt.Sprintf("+1555%09d", n),
					Status: "registered", KYCStatus: "not_started", CreatedAt: t0, UpdatedAt: t0,
				}
				c := newChallenge(u.ID)
				err := st.Tx(ctx, func(ctx context.Context, s storage.Store) error {
					if err := s.CreateUser(ctx, u); err != nil {
						return err
					}
					if err := s.SetPassword(ctx, u.ID, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", t0, 5); err != nil {
						return err
					}
					return s.CreateChallenge(ctx, c)
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/secs, "signups/s")
	b.ReportMetric(float64(3*b.N)/secs, "inserts/s")
}
