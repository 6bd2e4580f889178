package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

// appendEvent inserts an event of a user ($3) after taking the user's event
// lock, pg_advisory_xact_lock(1869309302, hashtext(user id)) (the first key
// is "okev" in ASCII; advisory locks of two int4 keys never collide with
// those of one bigint key, such as Migrate's), which its transaction holds
// until it ends: a concurrent unit appending an event of the same user
// waits in this statement until then.
// The lock is taken in the materialized CTE, which the one-time filter
// runs before the row (and with it nextval of seq) is made, so the waiting
// unit draws its seq after the holder committed: each user's events commit
// in seq order. Events without a user (an empty $3) take no lock.
const appendEvent = `WITH turn AS MATERIALIZED (
		SELECT pg_advisory_xact_lock(1869309302, hashtext($3)) WHERE $3 <> '')
	INSERT INTO events (id, event_type, user_id, at, data)
	SELECT $1, $2, $3, $4, $5 WHERE (SELECT count(*) FROM turn) >= 0
	RETURNING seq`

// AppendEvent appends e and sets e.Seq to the row's seq (the bigserial
// column: unique, increasing in the order of the inserts; a rolled-back
// insert leaves a gap). A unit appending an event of a user waits while
// another unit that appended one of the same user is open (see
// appendEvent), so a user's events become visible in seq order. A taken
// non-empty id returns a *storage.DuplicateError with Field "id"; events
// without an id are never duplicates.
func (s *Store) AppendEvent(ctx context.Context, e *storage.Event) error {
	var data []byte
	if e.Data != nil {
		var err error
		if data, err = json.Marshal(e.Data); err != nil {
			return fmt.Errorf("postgres: encode event data: %w", err)
		}
	}
	st := stmt{appendEvent, []any{text(e.ID), e.Type, e.UserID, ts(e.At), data}}
	if s.deferring() {
		// e.Seq is set when the insert runs, with the unit's next
		// statement or its commit.
		return s.tx.defer_(queued{op: "append event", sql: st.sql, args: st.args,
			scan: func(r pgx.Row) error { return r.Scan(&e.Seq) }})
	}
	var seq int64
	err := s.scanWrite(ctx, "append event", st, &seq)
	if err != nil {
		return err
	}
	e.Seq = seq
	return nil
}

// eventColumnsOf are the columns of an event e that eventScan reads.
const eventColumnsOf = `e.seq, e.id, e.event_type, e.user_id, e.at, e.data`

// eventsAfter selects a user's events after a seq, a range scan of
// events_user_seq_idx.
const eventsAfter = `SELECT ` + eventColumnsOf + ` FROM events e
	WHERE e.user_id = $1 AND e.seq > $2 ORDER BY e.seq`

// ListEvents returns the user's events with a seq greater than after, in
// seq order, the first limit of them (all when limit <= 0).
func (s *Store) ListEvents(ctx context.Context, userID string, after int64, limit int) ([]*storage.Event, error) {
	return queryAll(ctx, s, "list events", eventsAfter, limit, scanEvent, userID, after)
}

func scanEvent(row pgx.Row) (*storage.Event, error) {
	var (
		e  storage.Event
		ev eventScan
	)
	if err := row.Scan(ev.dest(&e)...); err != nil {
		return nil, err
	}
	if err := ev.finish(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

// eventScan holds the columns of an event (eventColumnsOf) that need
// decoding while a row is scanned.
type eventScan struct {
	id   pgtype.Text
	at   pgtype.Timestamptz
	data []byte
}

// dest returns the scan destinations of eventColumnsOf for e.
func (v *eventScan) dest(e *storage.Event) []any {
	return []any{&e.Seq, &v.id, &e.Type, &e.UserID, &v.at, &v.data}
}

// finish decodes the scanned columns into e.
func (v *eventScan) finish(e *storage.Event) error {
	e.ID, e.At = v.id.String, fromTS(v.at)
	if v.data != nil {
		if err := json.Unmarshal(v.data, &e.Data); err != nil {
			return fmt.Errorf("decode event data: %w", err)
		}
	}
	return nil
}
