package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

const challengeColumns = `id, user_id, purpose, channel, destination, code_hash, created_at,
	expires_at, attempts, max_attempts, sends, last_sent_at, resend_at, consumed_at, payload, locale, proven`

const challengeExists = `SELECT EXISTS (SELECT 1 FROM challenges WHERE id = $1)`

// CreateChallenge stores c (an empty UserID is stored as NULL). A taken id
// returns a *storage.DuplicateError with Field "id"; a UserID naming no user
// an error wrapping storage.ErrNotFound.
func (s *Store) CreateChallenge(ctx context.Context, c *storage.Challenge) error {
	return s.later(ctx, "create challenge", stmt{`INSERT INTO challenges (` + challengeColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, []any{
		c.ID, text(c.UserID), c.Purpose, c.Channel, c.Destination, bytesOrNil(c.CodeHash), ts(c.CreatedAt),
		ts(c.ExpiresAt), c.Attempts, c.MaxAttempts, c.Sends, ts(c.LastSentAt), ts(c.ResendAt),
		ts(c.ConsumedAt), bytesOrNil(c.Payload), c.Locale, c.Proven,
	}})
}

// GetChallenge returns the challenge, or storage.ErrNotFound.
func (s *Store) GetChallenge(ctx context.Context, id string) (*storage.Challenge, error) {
	return s.getChallenge(ctx, "get challenge", `id = $1`, id)
}

// LatestChallenge returns the user's challenge of the purpose with the
// greatest created_at (a NULL one counts as the oldest), then the greatest
// id, or storage.ErrNotFound. It reads the first entry of a backward scan
// of challenges_user_purpose_idx.
func (s *Store) LatestChallenge(ctx context.Context, userID, purpose string) (*storage.Challenge, error) {
	return s.getChallenge(ctx, "latest challenge", latestChallenge, userID, purpose)
}

const latestChallenge = `user_id = $1 AND purpose = $2 ORDER BY created_at DESC NULLS LAST, id DESC`

// challengeQuery selects the first challenge the condition (and order)
// gives.
func challengeQuery(where string) string {
	return `SELECT ` + challengeColumns + ` FROM challenges WHERE ` + where + ` LIMIT 1`
}

func (s *Store) getChallenge(ctx context.Context, op, where string, args ...any) (*storage.Challenge, error) {
	var (
		c                                              pgtype.Text
		ch                                             storage.Challenge
		created, expires, lastSent, resend, consumedAt pgtype.Timestamptz
		codeHash, payload                              []byte
	)
	err := s.q.QueryRow(ctx, challengeQuery(where), args...).Scan(
		&ch.ID, &c, &ch.Purpose, &ch.Channel, &ch.Destination, &codeHash, &created, &expires, &ch.Attempts,
		&ch.MaxAttempts, &ch.Sends, &lastSent, &resend, &consumedAt, &payload, &ch.Locale, &ch.Proven)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(op)
	}
	if err != nil {
		return nil, mapErr(op, err)
	}
	ch.UserID = c.String
	ch.CodeHash, ch.Payload = bytesOrNil(codeHash), bytesOrNil(payload)
	ch.CreatedAt, ch.ExpiresAt, ch.LastSentAt = fromTS(created), fromTS(expires), fromTS(lastSent)
	ch.ResendAt, ch.ConsumedAt = fromTS(resend), fromTS(consumedAt)
	return &ch, nil
}

// FailChallengeAttempt increments Attempts with one conditional UPDATE
// (not consumed, attempts < max_attempts, expires_at > now) and returns the
// new count; otherwise storage.ErrConflict (storage.ErrNotFound when the
// challenge does not exist).
func (s *Store) FailChallengeAttempt(ctx context.Context, id string, now time.Time) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `UPDATE challenges SET attempts = attempts + 1
		WHERE id = $1 AND consumed_at IS NULL AND attempts < max_attempts AND expires_at > $2
		RETURNING attempts`, id, ts(now)).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, s.missingOrConflict(ctx, "fail challenge attempt", "challenge not usable", challengeExists, id)
	}
	if err != nil {
		return 0, mapErr("fail challenge attempt", err)
	}
	return n, nil
}

// consumeChallenge is the conditional update of ConsumeChallenge.
const consumeChallenge = `UPDATE challenges SET consumed_at = $2
	WHERE id = $1 AND consumed_at IS NULL AND attempts < max_attempts AND expires_at > $2
	AND code_hash IS NOT DISTINCT FROM $3`

// ConsumeChallenge sets ConsumedAt = now with one conditional UPDATE (not
// consumed, attempts < max_attempts, expires_at > now, code_hash equal to
// codeHash); of concurrent callers exactly one matches the row. Otherwise it
// returns storage.ErrConflict (storage.ErrNotFound when missing).
func (s *Store) ConsumeChallenge(ctx context.Context, id string, codeHash []byte, now time.Time) error {
	args := []any{id, ts(now), bytesOrNil(codeHash)}
	if s.deferring() {
		// Nothing to consume raises OB409 when the write runs, which fails
		// the unit with storage.ErrConflict.
		return s.later(ctx, "consume challenge", stmt{`WITH w AS (` + consumeChallenge + ` RETURNING 1)
			SELECT onboardkit_expect_one(count(*), 'OB409', 'challenge not consumable') FROM w`, args})
	}
	tag, err := s.q.Exec(ctx, consumeChallenge, args...)
	if err != nil {
		return mapErr("consume challenge", err)
	}
	if tag.RowsAffected() == 0 {
		return s.missingOrConflict(ctx, "consume challenge", "challenge not consumable", challengeExists, id)
	}
	return nil
}

// ResendChallenge replaces the code of an unconsumed challenge whose Sends
// still equals prevSends, with one conditional UPDATE; attempts are kept.
// Otherwise it returns storage.ErrConflict (storage.ErrNotFound when
// missing).
func (s *Store) ResendChallenge(ctx context.Context, id string, prevSends int, codeHash []byte, sentAt, resendAt, expiresAt time.Time) error {
	tag, err := s.q.Exec(ctx, `UPDATE challenges
		SET code_hash = $3, sends = sends + 1, last_sent_at = $4, resend_at = $5, expires_at = $6
		WHERE id = $1 AND consumed_at IS NULL AND sends = $2`,
		id, prevSends, bytesOrNil(codeHash), ts(sentAt), ts(resendAt), ts(expiresAt))
	if err != nil {
		return mapErr("resend challenge", err)
	}
	if tag.RowsAffected() == 0 {
		return s.missingOrConflict(ctx, "resend challenge", "challenge changed", challengeExists, id)
	}
	return nil
}

// SetChallengeResendAt sets ResendAt, or returns storage.ErrNotFound.
func (s *Store) SetChallengeResendAt(ctx context.Context, id string, resendAt time.Time) error {
	tag, err := s.q.Exec(ctx, `UPDATE challenges SET resend_at = $2 WHERE id = $1`, id, ts(resendAt))
	if err != nil {
		return mapErr("set challenge resend", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("set challenge resend")
	}
	return nil
}

// CountSend increments and returns the counter of (key, windowStart) with
// one upsert. Rows of past windows stay until [Store.PruneSendCounts] (or
// [Store.PruneSendCounters]) removes them.
func (s *Store) CountSend(ctx context.Context, key string, windowStart time.Time) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `INSERT INTO send_counters (dest_key, window_start, n) VALUES ($1, $2, 1)
		ON CONFLICT (dest_key, window_start) DO UPDATE SET n = send_counters.n + 1
		RETURNING n`, key, windowStart.UTC()).Scan(&n)
	if err != nil {
		return 0, mapErr("count send", err)
	}
	return n, nil
}

// CapSend counts one send as CountSend does, unless the window already
// holds limit sends (see storage.SendCapper): the upsert checks its own
// count (onboardkit_expect_one, SQLSTATE OB429), so a refusal writes
// nothing and the count need not come back. On the write-behind view of a
// transaction ([Store.Behind]) it waits in the pipe like the other
// deferred writes, and a refusal fails the unit with an error wrapping
// storage.ErrSendLimit; inside a Tx otherwise it runs under a savepoint,
// so that a refusal leaves the transaction usable.
func (s *Store) CapSend(ctx context.Context, key string, windowStart time.Time, limit int) error {
	return s.later(ctx, "cap send", stmt{`WITH w AS (
			INSERT INTO send_counters (dest_key, window_start, n) VALUES ($1, $2, 1)
			ON CONFLICT (dest_key, window_start) DO UPDATE SET n = send_counters.n + 1
			RETURNING n)
		SELECT onboardkit_expect_one(count(*) FILTER (WHERE $3 < 0 OR n <= $3), 'OB429', 'send limit reached') FROM w`,
		[]any{key, windowStart.UTC(), int64(limit)}})
}

// PruneSendCounters deletes the send counters of windows that started
// before cutoff and returns how many it deleted, in one statement: it is
// [Store.PruneSendCounts] without a limit (prefer that one, in batches, on
// large tables). The counts of the current windows are not affected.
func (s *Store) PruneSendCounters(ctx context.Context, cutoff time.Time) (int64, error) {
	n, err := s.PruneSendCounts(ctx, cutoff, 0)
	return int64(n), err
}
