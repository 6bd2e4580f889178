package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

// throttleDeadline is the SQL deadline after n failures: NULL below the free
// failures ($3), else now ($2) plus min(base × 2^(n − free), max)
// microseconds ($4, $5). The exponent is capped at 62, where any positive
// base already exceeds any max a time.Duration can hold, and the product is
// computed in double precision, so nothing overflows.
func throttleDeadline(n string) string {
	return `CASE WHEN ` + n + ` >= $3::integer THEN $2::timestamptz +
		LEAST($4::float8 * power(2::float8, LEAST(` + n + ` - $3::integer, 62)), $5::float8)::bigint
		* interval '1 microsecond' END`
}

// reserveAttempt decides and counts in its upsert: the DO UPDATE applies
// only when the stored row is not blocked at now, and PostgreSQL evaluates
// that condition on the newest row version under the row lock, so
// concurrent callers on any number of connections take turns and none
// loses a count. A refused attempt updates nothing; the second branch then
// reports the stored row as the statement's snapshot saw it.
var reserveAttempt = `WITH up AS (
	INSERT INTO login_throttles AS t (key, failures, blocked_until, updated_at)
	VALUES ($1, 1, ` + throttleDeadline("1") + `, $2)
	ON CONFLICT (key) DO UPDATE
	SET failures = t.failures + 1, blocked_until = ` + throttleDeadline("t.failures + 1") + `, updated_at = $2
	WHERE t.blocked_until IS NULL OR t.blocked_until <= $2
	RETURNING failures, blocked_until)
SELECT true, failures, blocked_until FROM up
UNION ALL
SELECT false, failures, blocked_until FROM login_throttles
WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM up)`

// errThrottleChurn reports a key that was reset between every refusal and
// the read of its deadline, several times in a row.
var errThrottleChurn = errors.New("postgres: reserve login attempt: the key kept changing")

// ReserveLoginAttempt counts one more failure of the key in advance and
// allows the attempt, or refuses it without writing while the key is
// blocked at now, as one conditional upsert (see the package
// documentation). The deadline is now + min(BaseDelay ×
// 2^(failures−FreeFailures), MaxDelay) once the count reaches FreeFailures,
// kept to the microsecond.
//
// When the statement refuses the attempt but its snapshot predates the row
// version that blocked it (a concurrent caller committed in between), the
// stored count and deadline are read again; when the key was reset
// meanwhile, the reservation is made again.
func (s *Store) ReserveLoginAttempt(ctx context.Context, key string, now time.Time, p storage.ThrottlePolicy) (storage.Reservation, error) {
	const op = "reserve login attempt"
	base, limit := max(p.BaseDelay, 0).Microseconds(), max(p.MaxDelay, 0).Microseconds()
	for range 3 {
		r, found, err := scanReservation(s.q.QueryRow(ctx, reserveAttempt,
			key, ts(now), p.FreeFailures, float64(base), float64(limit)))
		if err != nil {
			return storage.Reservation{}, mapErr(op, err)
		}
		if found && (r.Allowed || now.Before(r.BlockedUntil)) {
			return r, nil
		}
		r, found, err = scanReservation(s.q.QueryRow(ctx,
			`SELECT false, failures, blocked_until FROM login_throttles WHERE key = $1`, key))
		if err != nil {
			return storage.Reservation{}, mapErr(op, err)
		}
		if found && now.Before(r.BlockedUntil) {
			return r, nil
		}
	}
	return storage.Reservation{}, errThrottleChurn
}

// scanReservation reads (allowed, failures, blocked_until); found is false
// when there is no row.
func scanReservation(row pgx.Row) (r storage.Reservation, found bool, err error) {
	var until pgtype.Timestamptz
	err = row.Scan(&r.Allowed, &r.Failures, &until)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.Reservation{}, false, nil
	}
	if err != nil {
		return storage.Reservation{}, false, fmt.Errorf("scan: %w", err)
	}
	r.BlockedUntil = fromTS(until)
	return r, true, nil
}

// ResetLoginAttempts deletes the key's row; an unknown key is not an
// error.
func (s *Store) ResetLoginAttempts(ctx context.Context, key string) error {
	return s.later(ctx, "reset login attempts", stmt{`DELETE FROM login_throttles WHERE key = $1`, []any{key}})
}
