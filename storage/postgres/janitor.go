package postgres

import (
	"context"
	"time"
)

// The storage.Janitor methods are one DELETE each (see the package
// documentation): the subquery selects the oldest rows that serve no more,
// at most limit of them (LIMIT NULL, no limit, when limit <= 0), through
// an index of migration 0008, and locks them FOR UPDATE SKIP LOCKED, so
// that janitors on several replicas take different rows instead of
// waiting and each row is deleted, and counted, once. The row's own
// condition is repeated outside the subquery: a row that changed after
// the subquery saw it (a throttle that counted a failure meanwhile) is
// re-checked on its newest version and kept. A NULL time (a zero
// time.Time) is never before before: such rows are kept.

// pruneChallenges deletes expired challenges.
const pruneChallenges = `DELETE FROM challenges WHERE id IN (
	SELECT id FROM challenges WHERE expires_at < $1
	ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
AND expires_at < $1`

// pruneRefreshTokens deletes the tokens of ended families: a token ended
// at the earlier of its revocation and its idle expiry
// (refresh_tokens_end_idx), and its family ended when no token of it
// (refresh_tokens_family_idx) is still going at $1. The OFFSET 0 keeps
// the NOT EXISTS a per-row lookup of the family: as an anti-join the
// planner would hash every live token of the table for each batch.
const pruneRefreshTokens = `DELETE FROM refresh_tokens WHERE hash IN (
	SELECT t.hash FROM refresh_tokens t
	WHERE LEAST(t.expires_at, t.revoked_at) < $1
	AND NOT EXISTS (SELECT 1 FROM refresh_tokens l WHERE l.family_id = t.family_id
		AND (LEAST(l.expires_at, l.revoked_at) IS NULL OR LEAST(l.expires_at, l.revoked_at) >= $1) OFFSET 0)
	ORDER BY LEAST(t.expires_at, t.revoked_at) LIMIT $2 FOR UPDATE OF t SKIP LOCKED)
AND LEAST(expires_at, revoked_at) < $1`

// pruneSendCounts deletes the counters of windows that started before $1.
const pruneSendCounts = `DELETE FROM send_counters WHERE (dest_key, window_start) IN (
	SELECT dest_key, window_start FROM send_counters WHERE window_start < $1
	ORDER BY window_start LIMIT $2 FOR UPDATE SKIP LOCKED)
AND window_start < $1`

// pruneLoginThrottles deletes the throttles last touched before $1 and
// not blocked at $1.
const pruneLoginThrottles = `DELETE FROM login_throttles WHERE key IN (
	SELECT key FROM login_throttles
	WHERE updated_at < $1 AND (blocked_until IS NULL OR blocked_until <= $1)
	ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
AND updated_at < $1 AND (blocked_until IS NULL OR blocked_until <= $1)`

// pruneEvents deletes the enqueued events appended before $1 that have no
// pending delivery (webhook_deliveries_event_idx), with their deliveries.
// It deletes the deliveries itself rather than through ON DELETE CASCADE,
// each only while it is not pending: a DELETE rechecks its condition on
// the newest version of the row, so a delivery that a concurrent
// ReplayDelivery made pending after this statement's snapshot is kept,
// and so is its event (it is deleted only when every delivery the
// snapshot showed was). A cascade would delete the replayed delivery
// unseen. No delivery of a pruned event appears after the snapshot: it is
// enqueued already.
const pruneEvents = `WITH doomed AS (
	SELECT e.seq FROM events e
	WHERE e.at < $1 AND e.enqueued
	AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = e.seq AND d.state = 'pending')
	ORDER BY e.at LIMIT $2 FOR UPDATE OF e SKIP LOCKED),
gone AS (
	DELETE FROM webhook_deliveries d USING doomed
	WHERE d.event_seq = doomed.seq AND d.state <> 'pending'
	RETURNING d.event_seq)
DELETE FROM events e USING doomed
WHERE e.seq = doomed.seq AND e.at < $1 AND e.enqueued
AND (SELECT count(*) FROM webhook_deliveries d WHERE d.event_seq = e.seq)
	= (SELECT count(*) FROM gone g WHERE g.event_seq = e.seq)`

// prune runs one of the statements above and returns how many rows it
// deleted.
func (s *Store) prune(ctx context.Context, op, sql string, before time.Time, limit int) (int, error) {
	var lim any // NULL: no limit
	if limit > 0 {
		lim = int64(limit)
	}
	tags, err := s.exec(ctx, op, stmt{sql, []any{before.UTC(), lim}})
	if err != nil {
		return 0, err
	}
	return int(tags[0].RowsAffected()), nil
}

// PruneChallenges deletes at most limit challenges (every one when limit
// <= 0) that expired before before, the earliest first, and returns how
// many it deleted.
func (s *Store) PruneChallenges(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.prune(ctx, "prune challenges", pruneChallenges, before, limit)
}

// PruneRefreshTokens deletes at most limit refresh tokens of the families
// whose every token was revoked or expired before before, the tokens that
// ended earliest first, and returns how many it deleted. A family cut by
// the limit keeps its other tokens, all ended, until the next call.
func (s *Store) PruneRefreshTokens(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.prune(ctx, "prune refresh tokens", pruneRefreshTokens, before, limit)
}

// PruneSendCounts deletes at most limit send counters of windows that
// started before before, the oldest first, and returns how many it
// deleted.
func (s *Store) PruneSendCounts(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.prune(ctx, "prune send counts", pruneSendCounts, before, limit)
}

// PruneLoginThrottles deletes at most limit login throttles whose last
// counted failure is before before and that are not blocked at before,
// the least recently touched first, and returns how many it deleted.
func (s *Store) PruneLoginThrottles(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.prune(ctx, "prune login throttles", pruneLoginThrottles, before, limit)
}

// PruneEvents deletes at most limit audit events appended before before,
// the oldest first, with their webhook deliveries, and returns how many
// events it deleted. Events not enqueued yet, or with a pending delivery,
// are kept.
func (s *Store) PruneEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	return s.prune(ctx, "prune events", pruneEvents, before, limit)
}
