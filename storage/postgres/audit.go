package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

// AppendEvent appends e. A taken non-empty id returns a
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
	_, err := s.exec(ctx, "append event", stmt{`INSERT INTO events (id, event_type, user_id, at, data)
		VALUES ($1, $2, $3, $4, $5)`, []any{text(e.ID), e.Type, e.UserID, ts(e.At), data}})
	return err
}

// ListEvents returns the user's events, oldest At first (append order among
// equals), the first limit of them (all when limit <= 0).
func (s *Store) ListEvents(ctx context.Context, userID string, limit int) ([]*storage.Event, error) {
	rows, err := s.queryLimit(ctx, `SELECT id, event_type, user_id, at, data FROM events WHERE user_id = $1
		ORDER BY at ASC NULLS FIRST, seq`, limit, userID)
	if err != nil {
		return nil, mapErr("list events", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*storage.Event, error) {
		var (
			e    storage.Event
			id   pgtype.Text
			at   pgtype.Timestamptz
			data []byte
		)
		if err := r.Scan(&id, &e.Type, &e.UserID, &at, &data); err != nil {
			return nil, err
		}
		e.ID, e.At = id.String, fromTS(at)
		if data != nil {
			if err := json.Unmarshal(data, &e.Data); err != nil {
				return nil, fmt.Errorf("decode event data: %w", err)
			}
		}
		return &e, nil
	})
	if err != nil {
		return nil, mapErr("list events", err)
	}
	if out == nil {
		out = []*storage.Event{}
	}
	return out, nil
}
