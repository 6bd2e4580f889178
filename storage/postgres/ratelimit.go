package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/ratelimit"
)

// LimiterOption configures the [ratelimit.Limiter] of [Store.Limiter] and
// the [ratelimit.ReplayCache] of [Store.ReplayCache].
type LimiterOption func(*limiterConfig)

type limiterConfig struct {
	clock onboardkit.Clock
}

// WithLimiterClock makes the limiter or replay cache read the time from c
// (default onboardkit.SystemClock). The database's clock is never read:
// every decision passes the time in as a parameter, so a test can move a
// settable clock (package clocktest), and the replicas sharing the tables
// should keep their clocks synchronised.
func WithLimiterClock(c onboardkit.Clock) LimiterOption {
	return func(lc *limiterConfig) { lc.clock = c }
}

// apply applies opts (nil ones do nothing).
func (c *limiterConfig) apply(opts []LimiterOption) {
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
}

// now is the configured clock's time (the system clock's when none is
// set) in UTC, truncated to the microsecond that PostgreSQL keeps.
func (c limiterConfig) now() time.Time {
	clock := c.clock
	if clock == nil {
		clock = onboardkit.SystemClock
	}
	return clock.Now().UTC().Truncate(time.Microsecond)
}

// Limiter returns a ratelimit.Limiter kept in the table rate_limits of the
// Store's database (migration 0004), shared by every replica on it. It
// always runs on the pool, also when s is the Store of a Tx.
//
// It implements the generic cell rate algorithm: a key's row holds its
// theoretical arrival time (tat), and a request of cost n under a Limit is
// allowed when max(tat, now) + n·T − now <= τ, where T is the Limit's
// Interval truncated to the microsecond (at least one) and τ = Rate·T (the
// Period when it is a whole number of microseconds), so a fresh key allows
// exactly Rate requests at once and then one per T. A decision is one
// statement: an upsert whose DO UPDATE ... WHERE applies the test to the
// newest row version under its row lock, so concurrent decisions on any
// number of replicas take turns and the allowance is exact. A refusal
// writes nothing; the same statement reads the stored tat for RetryAfter,
// as its snapshot saw it: when a concurrent decision committed after the
// snapshot was taken, RetryAfter may be too short (never below one
// interval in that case; see Allow). A cost of 0 is a read: whether one
// more request would be allowed, and RetryAfter when not.
//
// Allow returns an error wrapping ratelimit.ErrInvalidLimit, and decides
// nothing, when [ratelimit.Limit.Check] refuses the limit or cost (a cost
// above Rate could never be allowed). Database errors wrap
// storage.ErrUnavailable when the database cannot be reached. Rows stay
// until [Store.PruneRateLimits] deletes those whose tat has passed.
func (s *Store) Limiter(opts ...LimiterOption) ratelimit.Limiter {
	return &limiter{s.newRateBase(opts)}
}

// rateBase is what the limiter and the replay cache hold: a Store on
// the pool and the options.
type rateBase struct {
	s   *Store
	cfg limiterConfig
}

func (s *Store) newRateBase(opts []LimiterOption) rateBase {
	r := rateBase{s: s.poolView()}
	r.cfg.apply(opts)
	return r
}

type limiter struct{ rateBase }

// gcra is one decision's parameters, in whole microseconds.
type gcra struct {
	interval time.Duration // T
	tau      time.Duration // Rate·T
	cost     int
}

func newGCRA(l ratelimit.Limit, cost int) (gcra, error) {
	if err := l.Check(cost); err != nil {
		return gcra{}, fmt.Errorf("postgres: limiter: %w", err)
	}
	t := max(l.Interval().Truncate(time.Microsecond), time.Microsecond)
	return gcra{interval: t, tau: t * time.Duration(l.Rate), cost: cost}, nil
}

// retryAfter is how long after now a request of cost n (one for a read)
// fits, given the stored tat: tat + n·T − τ − now.
func (g gcra) retryAfter(tat, now time.Time) time.Duration {
	return tat.Add(time.Duration(max(g.cost, 1))*g.interval - g.tau).Sub(now)
}

// allowSQL takes cost·T ($3) from the key's allowance when its tat is at
// most now + τ − cost·T ($4), which is max(tat, now) + cost·T − now <= τ;
// a new key always fits (cost <= Rate). The second branch reads the
// stored tat of a refused key as the statement's snapshot saw it.
const allowSQL = `WITH up AS (
	INSERT INTO rate_limits AS r (key, tat) VALUES ($1, $2::timestamptz + $3::interval)
	ON CONFLICT (key) DO UPDATE SET tat = GREATEST(r.tat, $2::timestamptz) + $3::interval
	WHERE r.tat <= $4::timestamptz
	RETURNING tat)
SELECT true, tat FROM up
UNION ALL
SELECT false, tat FROM rate_limits WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM up)`

// Allow decides with one statement (see [Store.Limiter]).
func (l *limiter) Allow(ctx context.Context, key string, lim ratelimit.Limit, cost int) (ratelimit.Result, error) {
	g, err := newGCRA(lim, cost)
	if err != nil {
		return ratelimit.Result{}, err
	}
	now := l.cfg.now()
	if cost == 0 {
		return l.peek(ctx, key, g, now)
	}
	take := time.Duration(cost) * g.interval
	var (
		allowed bool
		tat     time.Time
	)
	err = l.s.scanOne(ctx, allowSQL, []any{key, now, take, now.Add(g.tau - take)}, &allowed, &tat)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Refused by a row inserted after the statement's snapshot.
		return ratelimit.Result{RetryAfter: g.interval}, nil
	case err != nil:
		return ratelimit.Result{}, mapErr("rate limit", err)
	case allowed:
		return ratelimit.Result{Allowed: true}, nil
	}
	// A stale snapshot can make the wait look over; the refusal proves
	// it is not.
	wait := g.retryAfter(tat, now)
	if wait <= 0 {
		wait = g.interval
	}
	return ratelimit.Result{RetryAfter: wait}, nil
}

// peek is a decision of cost 0: one read of the stored tat.
func (l *limiter) peek(ctx context.Context, key string, g gcra, now time.Time) (ratelimit.Result, error) {
	var tat time.Time
	err := l.s.scanOne(ctx, `SELECT tat FROM rate_limits WHERE key = $1`, []any{key}, &tat)
	if errors.Is(err, pgx.ErrNoRows) {
		return ratelimit.Result{Allowed: true}, nil
	}
	if err != nil {
		return ratelimit.Result{}, mapErr("rate limit", err)
	}
	if wait := g.retryAfter(tat, now); wait > 0 {
		return ratelimit.Result{RetryAfter: wait}, nil
	}
	return ratelimit.Result{Allowed: true}, nil
}

// ReplayCache returns a ratelimit.ReplayCache kept in the table
// replay_nonces of the Store's database (migration 0004), shared by every
// replica on it. It always runs on the pool, also when s is the Store of
// a Tx.
//
// Use is one statement: an insert of the key with its expiry that, on a
// key already recorded, replaces the expiry only when the stored one is
// before now, returning a row only when it inserted or replaced. Of
// concurrent uses of a key on any number of replicas exactly one is fresh.
// The time comes from the clock of [WithLimiterClock]; times are kept to
// the microsecond. Rows stay until [Store.PruneReplayNonces] deletes the
// expired ones. Database errors wrap storage.ErrUnavailable when the
// database cannot be reached.
func (s *Store) ReplayCache(opts ...LimiterOption) ratelimit.ReplayCache {
	return &replayCache{s.newRateBase(opts)}
}

type replayCache struct{ rateBase }

// Use records key until expiresAt and reports whether it was fresh.
func (c *replayCache) Use(ctx context.Context, key [32]byte, expiresAt time.Time) (bool, error) {
	var fresh bool
	err := c.s.scanOne(ctx, `INSERT INTO replay_nonces AS n (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE n.expires_at < $3
		RETURNING true`, []any{key[:], expiresAt.UTC(), c.cfg.now()}, &fresh)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, mapErr("replay cache", err)
	}
	return fresh, nil
}

// PruneRateLimits deletes the rows of [Store.Limiter] whose theoretical
// arrival time is not after now, and returns how many it deleted. Such a
// key has its whole allowance back, exactly as a key never seen, so
// deleting it changes no decision. Run it from time to time (a janitor,
// for example hourly); pass a time no later than the limiters' clocks
// (now minus a margin for clock skew between replicas), since a row
// deleted while a replica's clock still sees it in the future loses that
// key's pending intervals. The table is scanned (tat has no index, so that
// decisions stay cheap).
func (s *Store) PruneRateLimits(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.q.Exec(ctx, `DELETE FROM rate_limits WHERE tat <= $1`, now.UTC())
	if err != nil {
		return 0, mapErr("prune rate limits", err)
	}
	return tag.RowsAffected(), nil
}

// PruneReplayNonces deletes the keys of [Store.ReplayCache] whose expiry
// is before now, and returns how many it deleted. ReplayCache.Use already
// treats such a key as fresh, so deleting it changes no answer. Run it
// from time to time, with a time no later than the replicas' clocks; the
// table is scanned.
func (s *Store) PruneReplayNonces(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.q.Exec(ctx, `DELETE FROM replay_nonces WHERE expires_at < $1`, now.UTC())
	if err != nil {
		return 0, mapErr("prune replay nonces", err)
	}
	return tag.RowsAffected(), nil
}
