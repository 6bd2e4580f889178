package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

const dataKeyColumns = `user_id, id, key_ref, wrapped, retain_until, created_at, updated_at`

// dataKeyValues returns the values of the data_keys columns but user_id,
// in dataKeyColumns order. wrapped is NOT NULL: an empty key is stored as
// an empty bytea.
func dataKeyValues(k *storage.DataKey) []any {
	wrapped := k.Wrapped
	if wrapped == nil {
		wrapped = []byte{}
	}
	return []any{k.ID, k.KeyRef, wrapped, ts(k.RetainUntil), ts(k.CreatedAt), ts(k.UpdatedAt)}
}

func scanDataKey(row pgx.Row) (*storage.DataKey, error) {
	var (
		k                    storage.DataKey
		retain, created, upd pgtype.Timestamptz
	)
	if err := row.Scan(&k.UserID, &k.ID, &k.KeyRef, &k.Wrapped, &retain, &created, &upd); err != nil {
		return nil, err
	}
	k.Wrapped = bytesOrNil(k.Wrapped)
	k.RetainUntil, k.CreatedAt, k.UpdatedAt = fromTS(retain), fromTS(created), fromTS(upd)
	return &k, nil
}

// CreateDataKey inserts k into data_keys. A user that has a key already
// returns a *storage.DuplicateError with Field "user_id". The table has no
// foreign key: the user id need not name a user.
func (s *Store) CreateDataKey(ctx context.Context, k *storage.DataKey) error {
	_, err := s.exec(ctx, "create data key", stmt{`INSERT INTO data_keys (` + dataKeyColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, append([]any{k.UserID}, dataKeyValues(k)...)})
	return err
}

// GetDataKey returns the user's key, or storage.ErrNotFound.
func (s *Store) GetDataKey(ctx context.Context, userID string) (*storage.DataKey, error) {
	k, err := scanDataKey(s.q.QueryRow(ctx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE user_id = $1`, userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("get data key")
	}
	if err != nil {
		return nil, mapErr("get data key", err)
	}
	return k, nil
}

// UpdateDataKey replaces the user's key with one conditional UPDATE (the
// stored key_ref equals prevKeyRef); otherwise it returns
// storage.ErrConflict, or storage.ErrNotFound when there is no key.
func (s *Store) UpdateDataKey(ctx context.Context, k *storage.DataKey, prevKeyRef string) error {
	const op = "update data key"
	args := append([]any{k.UserID, prevKeyRef}, dataKeyValues(k)...)
	tags, err := s.exec(ctx, op, stmt{`UPDATE data_keys SET id = $3, key_ref = $4, wrapped = $5,
		retain_until = $6, created_at = $7, updated_at = $8
		WHERE user_id = $1 AND key_ref = $2`, args})
	if err != nil {
		return err
	}
	if tags[0].RowsAffected() == 0 {
		return s.missingOrConflict(ctx, op, "data key wrapped by another key",
			`SELECT EXISTS (SELECT 1 FROM data_keys WHERE user_id = $1)`, k.UserID)
	}
	return nil
}

// DeleteDataKey deletes the user's key, or returns storage.ErrNotFound.
func (s *Store) DeleteDataKey(ctx context.Context, userID string) error {
	return s.execFound(ctx, "delete data key", `DELETE FROM data_keys WHERE user_id = $1`, userID)
}

// ListDataKeys returns up to limit keys (all when limit <= 0) of users
// whose id is greater than after, ordered by user id in the database
// collation (a walk of the primary key).
func (s *Store) ListDataKeys(ctx context.Context, after string, limit int) ([]*storage.DataKey, error) {
	const op = "list data keys"
	rows, err := s.queryLimit(ctx, `SELECT `+dataKeyColumns+` FROM data_keys WHERE user_id > $1
		ORDER BY user_id`, limit, after)
	if err != nil {
		return nil, mapErr(op, err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*storage.DataKey, error) { return scanDataKey(r) })
	if err != nil {
		return nil, mapErr(op, err)
	}
	return keys, nil
}
