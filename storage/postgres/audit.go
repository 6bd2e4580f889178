package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

// AppendEvent appends e and sets e.Seq to the row's seq (the bigserial
// column: unique, increasing in the order of the inserts; a rolled-back
// insert leaves a gap). A taken non-empty id returns a
// *storage.DuplicateError with Field "id"; events without an id are never
// duplicates.
func (s *Store) AppendEvent(ctx context.Context, e *storage.Event) error {
	var data []byte
	if e.Data != nil {
		var err error
		if data, err = json.Marshal(e.Data); err != nil {
			return fmt.Errorf("postgres: encode event data: %w", err)
		}
	}
	var seq int64
	err := s.scanWrite(ctx, "append event", stmt{`INSERT INTO events (id, event_type, user_id, at, data)
		VALUES ($1, $2, $3, $4, $5) RETURNING seq`, []any{text(e.ID), e.Type, e.UserID, ts(e.At), data}}, &seq)
	if err != nil {
		return err
	}
	e.Seq = seq
	return nil
}

// eventsAfter selects a user's events after a seq, a range scan of
// events_user_seq_idx.
const eventsAfter = `SELECT seq, id, event_type, user_id, at, data FROM events
	WHERE user_id = $1 AND seq > $2 ORDER BY seq`

// ListEvents returns the user's events with a seq greater than after, in
// seq order, the first limit of them (all when limit <= 0).
func (s *Store) ListEvents(ctx context.Context, userID string, after int64, limit int) ([]*storage.Event, error) {
	return queryAll(ctx, s, "list events", eventsAfter, limit, scanEvent, userID, after)
}

func scanEvent(row pgx.Row) (*storage.Event, error) {
	var (
		e    storage.Event
		id   pgtype.Text
		at   pgtype.Timestamptz
		data []byte
	)
	if err := row.Scan(&e.Seq, &id, &e.Type, &e.UserID, &at, &data); err != nil {
		return nil, err
	}
	e.ID, e.At = id.String, fromTS(at)
	if data != nil {
		if err := json.Unmarshal(data, &e.Data); err != nil {
			return nil, fmt.Errorf("decode event data: %w", err)
		}
	}
	return &e, nil
}
