package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

var (
	errEmptyEndpoint = errors.New("postgres: empty webhook endpoint id")
	errEmptyToken    = errors.New("postgres: empty claim token")
)

// due encodes the parameter param as the time a delivery is due:
// next_attempt_at is NOT NULL (the claim compares and indexes it), so a
// zero time (NULL, see ts) is '-infinity', due at once, which reads back
// as the zero time.
func due(param string) string {
	return `COALESCE(` + param + `::timestamptz, '-infinity'::timestamptz)`
}

// enqueueDeliveries takes the events not enqueued yet ($3 of them at most,
// lowest seq first, through events_not_enqueued_idx), skipping those that
// a concurrent enqueuer has locked, marks them enqueued and creates their
// deliveries to the endpoints $1 due at $2, in one statement; it returns
// how many events it took. FOR NO KEY UPDATE is the lock the UPDATE takes
// anyway (the mark is no key), so the foreign-key checks of deliveries
// inserted for these events never wait for it. A row that a concurrent
// enqueuer marked after this statement's snapshot was taken is locked in
// its newest version, which no longer matches NOT enqueued, and skipped.
var enqueueDeliveries = `WITH taken AS MATERIALIZED (
	SELECT seq, user_id FROM events WHERE NOT enqueued ORDER BY seq LIMIT $3
	FOR NO KEY UPDATE SKIP LOCKED
), marked AS (
	UPDATE events e SET enqueued = true FROM taken WHERE e.seq = taken.seq
), created AS (
	INSERT INTO webhook_deliveries (endpoint_id, event_seq, user_id, next_attempt_at, created_at)
	SELECT ep.id, taken.seq, taken.user_id, ` + due("$2") + `, $2
	FROM taken CROSS JOIN unnest($1::text[]) AS ep (id)
)
SELECT count(*) FROM taken`

// EnqueueDeliveries takes up to limit events not enqueued yet in one
// statement (see enqueueDeliveries): on the pool as its own transaction,
// inside a Tx as part of it (under a savepoint, like every write).
func (s *Store) EnqueueDeliveries(ctx context.Context, endpointIDs []string, now time.Time, limit int) (int, error) {
	eps := slices.Clone(endpointIDs)
	slices.Sort(eps)
	eps = slices.Compact(eps)
	if len(eps) > 0 && eps[0] == "" {
		return 0, errEmptyEndpoint
	}
	if eps == nil {
		eps = []string{}
	}
	if limit <= 0 {
		return 0, nil
	}
	var n int64
	if err := s.scanWrite(ctx, "enqueue deliveries", stmt{enqueueDeliveries,
		[]any{eps, ts(now), int64(limit)}}, &n); err != nil {
		return 0, err
	}
	return int(n), nil
}

// deliveryColumns are the columns scanDelivery reads: the delivery (d)
// and its event (e).
const deliveryColumns = `d.endpoint_id, d.state, d.attempts, d.next_attempt_at, d.claim_token,
	d.lease_until, d.last_status, d.last_error, d.created_at, d.delivered_at, ` + eventColumnsOf

func scanDelivery(row pgx.Row) (*storage.Delivery, error) {
	var (
		d                           storage.Delivery
		next, lease, created, deliv pgtype.Timestamptz
		ev                          eventScan
	)
	dest := []any{&d.EndpointID, &d.State, &d.Attempts, &next, &d.ClaimToken,
		&lease, &d.LastStatus, &d.LastError, &created, &deliv}
	if err := row.Scan(append(dest, ev.dest(&d.Event)...)...); err != nil {
		return nil, err
	}
	if err := ev.finish(&d.Event); err != nil {
		return nil, err
	}
	d.NextAttemptAt, d.LeaseUntil = fromTS(next), fromTS(lease)
	d.CreatedAt, d.DeliveredAt = fromTS(created), fromTS(deliv)
	return &d, nil
}

// claimDeliveries leases the deliveries of a claim in one statement: the
// pending ones due at $1 and not leased at $1 (through
// webhook_deliveries_due_idx), without an earlier pending delivery of
// their user to their endpoint (through webhook_deliveries_user_order_idx;
// leased and not yet due ones count, so order holds while a delivery waits
// for its next attempt), the lowest event_seq first, $4 of them at most,
// skipping rows another claim has locked; they get the token $2 until $3.
//
// SKIP LOCKED cannot let two claimers take a user's deliveries out of
// order: a claimer skips the row of seq 10 that another one has locked,
// but the row still exists, pending, in its snapshot, so the NOT EXISTS
// holds seq 11 back; the row leaves the pending state only when a
// completion commits. A row that another claim leased after this
// statement's snapshot was taken is locked in its newest version, whose
// live lease no longer matches, and skipped.
//
// Nor can the enqueuers' SKIP LOCKED: while one enqueuer holds the user's
// event 10, another may enqueue event 11 and commit first, so that 11 has
// a delivery and 10 none yet. The second NOT EXISTS holds 11 back while
// an earlier event of its user is not enqueued in the claim's snapshot
// (events_not_enqueued_idx: normally only the few events being enqueued).
const claimDeliveries = `WITH picked AS MATERIALIZED (
	SELECT endpoint_id, event_seq FROM webhook_deliveries d
	WHERE state = 'pending' AND next_attempt_at <= $1
		AND (lease_until IS NULL OR lease_until <= $1)
		AND (user_id = '' OR NOT EXISTS (
			SELECT 1 FROM webhook_deliveries p
			WHERE p.endpoint_id = d.endpoint_id AND p.user_id = d.user_id
				AND p.state = 'pending' AND p.event_seq < d.event_seq)
			AND NOT EXISTS (
			SELECT 1 FROM events ev
			WHERE NOT ev.enqueued AND ev.seq < d.event_seq AND ev.user_id = d.user_id))
	ORDER BY event_seq, endpoint_id COLLATE "C" LIMIT $4
	FOR UPDATE SKIP LOCKED
), claimed AS (
	UPDATE webhook_deliveries d SET claim_token = $2, lease_until = $3
	FROM picked WHERE d.endpoint_id = picked.endpoint_id AND d.event_seq = picked.event_seq
	RETURNING d.*
)
SELECT ` + deliveryColumns + ` FROM claimed d JOIN events e ON e.seq = d.event_seq
ORDER BY d.event_seq, d.endpoint_id COLLATE "C"`

// ClaimDeliveries leases up to limit deliveries in one statement (see
// claimDeliveries): on the pool as its own transaction, inside a Tx as
// part of it (the rows stay locked until the unit ends).
func (s *Store) ClaimDeliveries(ctx context.Context, token string, now time.Time, lease time.Duration, limit int) ([]*storage.Delivery, error) {
	if token == "" {
		return nil, errEmptyToken
	}
	if limit <= 0 {
		return []*storage.Delivery{}, nil
	}
	return writeAll(ctx, s, "claim deliveries", claimDeliveries, scanDelivery,
		ts(now), token, ts(now.Add(lease)), int64(limit))
}

// writeAll runs a write returning rows (UPDATE ... RETURNING): on the pool
// as its own transaction, retried like Tx; on the Store of a Tx once, in
// the transaction. No row is an empty slice.
func writeAll[T any](ctx context.Context, s *Store, op, sql string, scan func(pgx.Row) (T, error), args ...any) ([]T, error) {
	run := func(q querier) ([]T, error) {
		rows, err := q.Query(ctx, sql, args...)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
	}
	var (
		out []T
		err error
	)
	if s.tx != nil {
		out, err = run(s.tx)
	} else {
		err = s.retry(ctx, func() (err error) {
			out, err = run(s.pool)
			return err
		})
	}
	if err != nil {
		return nil, mapErr(op, err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// deliveryExists is the existence check that tells ErrNotFound from
// ErrConflict after a conditional write of a delivery wrote nothing.
const deliveryExists = `SELECT EXISTS (SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1 AND event_seq = $2)`

// held is the condition of the writes of a claim's holder: the delivery
// is pending and the token $3 (never empty) holds it.
const held = `endpoint_id = $1 AND event_seq = $2 AND state = 'pending' AND claim_token = $3 AND claim_token <> ''`

// writeDelivery runs a conditional UPDATE of one delivery and, when it
// wrote nothing, tells storage.ErrNotFound from storage.ErrConflict.
func (s *Store) writeDelivery(ctx context.Context, op, msg, sql string, args ...any) error {
	tags, err := s.exec(ctx, op, stmt{sql, args})
	if err != nil {
		return err
	}
	if tags[0].RowsAffected() == 0 {
		return s.missingOrConflict(ctx, op, msg, deliveryExists, args[0], args[1])
	}
	return nil
}

// CompleteDelivery marks the delivery delivered with one conditional
// UPDATE (pending, and held by token).
func (s *Store) CompleteDelivery(ctx context.Context, endpointID string, seq int64, token string, now time.Time) error {
	return s.writeDelivery(ctx, "complete delivery", "delivery not held by the claim",
		`UPDATE webhook_deliveries SET state = 'delivered', delivered_at = $4, claim_token = '', lease_until = NULL
		WHERE `+held, endpointID, seq, token, ts(now))
}

// FailDelivery records a failed attempt with one conditional UPDATE
// (pending, and held by token).
func (s *Store) FailDelivery(ctx context.Context, endpointID string, seq int64, token string, status int, reason string, next time.Time, final bool) error {
	return s.writeDelivery(ctx, "fail delivery", "delivery not held by the claim",
		`UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $4, last_error = $5,
			claim_token = '', lease_until = NULL,
			state = CASE WHEN $7 THEN 'failed' ELSE 'pending' END,
			next_attempt_at = CASE WHEN $7 THEN next_attempt_at ELSE `+due("$6")+` END
		WHERE `+held, endpointID, seq, token, int64(status), reason, ts(next), final)
}

// ReplayDelivery makes a failed delivery pending again with one
// conditional UPDATE (failed).
func (s *Store) ReplayDelivery(ctx context.Context, endpointID string, seq int64, now time.Time) error {
	return s.writeDelivery(ctx, "replay delivery", "delivery not failed",
		`UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = `+due("$3")+`,
			claim_token = '', lease_until = NULL
		WHERE endpoint_id = $1 AND event_seq = $2 AND state = 'failed'`, endpointID, seq, ts(now))
}

// deliveryQuery returns the query of ListDeliveries for q (without its
// limit) and its arguments: one endpoint's deliveries are a range of the
// primary key, everyone's a walk of webhook_deliveries_event_idx.
func deliveryQuery(q storage.DeliveryQuery) (string, []any) {
	var c conditions
	order := ` ORDER BY d.event_seq`
	if q.EndpointID != "" {
		c.add(`d.endpoint_id = ?`, q.EndpointID)
	} else {
		order += `, d.endpoint_id COLLATE "C"`
	}
	if q.State != "" {
		c.add(`d.state = ?`, q.State)
	}
	c.add(`d.event_seq > ?`, q.After)
	return `SELECT ` + deliveryColumns + ` FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq` +
		c.where() + order, c.args
}

// ListDeliveries returns the deliveries q selects with their events, in
// (event seq, endpoint id) order, with one query (see deliveryQuery).
func (s *Store) ListDeliveries(ctx context.Context, q storage.DeliveryQuery) ([]*storage.Delivery, error) {
	sql, args := deliveryQuery(q)
	return queryAll(ctx, s, "list deliveries", sql, q.Limit, scanDelivery, args...)
}

// RecordProviderEvent inserts the pair into provider_events; a pair
// stored before is a unique violation of its primary key, a
// *storage.DuplicateError with Field "event_id". Inside a Tx the insert
// runs under a savepoint, so a duplicate the caller handles leaves the
// unit usable.
func (s *Store) RecordProviderEvent(ctx context.Context, provider, eventID string, at time.Time) error {
	_, err := s.exec(ctx, "record provider event", stmt{`INSERT INTO provider_events (provider, event_id, received_at)
		VALUES ($1, $2, $3)`, []any{provider, eventID, ts(at)}})
	return err
}
