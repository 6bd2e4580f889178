// This file owns the server's janitor: a goroutine that deletes, every
// -janitor-interval, what the store keeps but no longer needs.

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// Janitor settings that have no flag.
const (
	// janitorBatch is how many records one prune deletes at most.
	janitorBatch = 1000
	// pruneGrace is how long expired challenges, ended refresh-token
	// families and past send windows are kept after they stop counting.
	pruneGrace = time.Hour
	// throttleIdle is how long a login throttle is kept after its last
	// failure (and its block): then its count starts again from zero.
	throttleIdle = 24 * time.Hour
)

// janitorConfig is what one sweep prunes.
type janitorConfig struct {
	// interval is the time between sweeps (0: no janitor).
	interval time.Duration
	// eventRetention is how long audit events are kept (0: for ever).
	eventRetention time.Duration
	// sendWindow is the window of the per-destination send limit.
	sendWindow time.Duration
	// batch is how many records one prune deletes at most.
	batch int
}

// limitPruner is what the PostgreSQL store adds for its rate limits and
// signature replay cache.
type limitPruner interface {
	PruneRateLimits(ctx context.Context, now time.Time) (int64, error)
	PruneReplayNonces(ctx context.Context, now time.Time) (int64, error)
}

// count is how many records of a kind a sweep deleted.
type count struct {
	kind string
	n    int
}

// pruned is what one sweep deleted, by kind, in sweep order.
type pruned []count

func (p pruned) String() string {
	var parts []string
	for _, k := range p {
		if k.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", k.n, k.kind))
		}
	}
	return strings.Join(parts, ", ")
}

// sweep prunes, as of now, the challenges expired and the refresh-token
// families ended more than pruneGrace ago, the send counters of windows
// over for pruneGrace, the login throttles idle for throttleIdle, the
// audit events older than the retention (unless it is 0) and, when the
// store has them (limits is not nil), the rate limits and replay nonces
// that no longer count. Each Janitor method is called until it deletes
// fewer than the batch. It stops at the first error, returning what it
// deleted until then.
func sweep(ctx context.Context, st storage.Janitor, limits limitPruner, now time.Time, c janitorConfig) (pruned, error) {
	type step struct {
		kind   string
		prune  func(context.Context, time.Time, int) (int, error)
		before time.Time
	}
	steps := []step{
		{"challenges", st.PruneChallenges, now.Add(-pruneGrace)},
		{"refresh tokens", st.PruneRefreshTokens, now.Add(-pruneGrace)},
		{"send counters", st.PruneSendCounts, now.Add(-c.sendWindow - pruneGrace)},
		{"login throttles", st.PruneLoginThrottles, now.Add(-throttleIdle)},
	}
	if c.eventRetention > 0 {
		steps = append(steps, step{"events", st.PruneEvents, now.Add(-c.eventRetention)})
	}
	var out pruned
	for _, s := range steps {
		total := 0
		for {
			n, err := s.prune(ctx, s.before, c.batch)
			total += n
			if err != nil {
				return append(out, count{s.kind, total}), fmt.Errorf("prune %s: %w", s.kind, err)
			}
			if n < c.batch || ctx.Err() != nil {
				break
			}
		}
		out = append(out, count{s.kind, total})
	}
	if limits != nil {
		// A minute's margin for the clocks of the other replicas.
		for _, s := range []struct {
			kind  string
			prune func(context.Context, time.Time) (int64, error)
		}{{"rate limits", limits.PruneRateLimits}, {"replay nonces", limits.PruneReplayNonces}} {
			n, err := s.prune(ctx, now.Add(-time.Minute))
			out = append(out, count{s.kind, int(n)})
			if err != nil {
				return out, fmt.Errorf("prune %s: %w", s.kind, err)
			}
		}
	}
	return out, nil
}

// runJanitor sweeps at start and then every c.interval until ctx ends,
// saying on stderr what it deleted and what failed.
func runJanitor(ctx context.Context, st storage.Janitor, limits limitPruner, now func() time.Time, c janitorConfig, stderr io.Writer) {
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		p, err := sweep(ctx, st, limits, now(), c)
		if s := p.String(); s != "" {
			fmt.Fprintln(stderr, "janitor: deleted", s)
		}
		if err != nil && ctx.Err() == nil {
			fmt.Fprintln(stderr, "janitor:", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// retentionText says how long a retention keeps ("kept for ever" for 0).
func retentionText(d time.Duration) string {
	if d == 0 {
		return "kept for ever"
	}
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("kept %d days", d/(24*time.Hour))
	}
	return "kept " + d.String()
}
