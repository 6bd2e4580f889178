package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

// PutTOTP creates or replaces the user's enrollment with one upsert. A user
// id naming no user returns an error wrapping storage.ErrNotFound.
func (s *Store) PutTOTP(ctx context.Context, e *storage.TOTPEnrollment) error {
	_, err := s.exec(ctx, "put totp", stmt{`INSERT INTO totp_enrollments
		(user_id, secret_key_ref, secret_data, confirmed, created_at, confirmed_at, last_used_step)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (user_id) DO UPDATE SET secret_key_ref = excluded.secret_key_ref,
			secret_data = excluded.secret_data, confirmed = excluded.confirmed,
			created_at = excluded.created_at, confirmed_at = excluded.confirmed_at,
			last_used_step = excluded.last_used_step`, []any{
		e.UserID, e.Secret.KeyRef, bytesOrNil(e.Secret.Data), e.Confirmed, ts(e.CreatedAt),
		ts(e.ConfirmedAt), e.LastUsedStep,
	}})
	return err
}

// GetTOTP returns the user's enrollment, or storage.ErrNotFound.
func (s *Store) GetTOTP(ctx context.Context, userID string) (*storage.TOTPEnrollment, error) {
	var (
		e                  storage.TOTPEnrollment
		keyRef             string
		data               []byte
		created, confirmed pgtype.Timestamptz
	)
	err := s.q.QueryRow(ctx, `SELECT user_id, secret_key_ref, secret_data, confirmed, created_at,
		confirmed_at, last_used_step FROM totp_enrollments WHERE user_id = $1`, userID).Scan(
		&e.UserID, &keyRef, &data, &e.Confirmed, &created, &confirmed, &e.LastUsedStep)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("get totp")
	}
	if err != nil {
		return nil, mapErr("get totp", err)
	}
	e.Secret = sealed(keyRef, data)
	e.CreatedAt, e.ConfirmedAt = fromTS(created), fromTS(confirmed)
	return &e, nil
}

// UseTOTPStep sets LastUsedStep = step with one conditional UPDATE
// (last_used_step < step); a replayed step returns storage.ErrConflict, a
// missing enrollment storage.ErrNotFound.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	tag, err := s.q.Exec(ctx, `UPDATE totp_enrollments SET last_used_step = $2
		WHERE user_id = $1 AND last_used_step < $2`, userID, step)
	if err != nil {
		return mapErr("use totp step", err)
	}
	if tag.RowsAffected() == 0 {
		return s.missingOrConflict(ctx, "use totp step", "totp step already used",
			`SELECT EXISTS (SELECT 1 FROM totp_enrollments WHERE user_id = $1)`, userID)
	}
	return nil
}

// DeleteTOTP removes the enrollment and the recovery codes; deleting what
// does not exist is not an error.
func (s *Store) DeleteTOTP(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, "delete totp",
		stmt{`DELETE FROM recovery_codes WHERE user_id = $1`, []any{userID}},
		stmt{`DELETE FROM totp_enrollments WHERE user_id = $1`, []any{userID}},
	)
	return err
}

// SetRecoveryCodes replaces the user's recovery codes by these hashes in one
// atomic batch (a hash given twice is stored once).
func (s *Store) SetRecoveryCodes(ctx context.Context, userID string, hashes [][]byte, at time.Time) error {
	stmts := []stmt{{`DELETE FROM recovery_codes WHERE user_id = $1`, []any{userID}}}
	if len(hashes) > 0 {
		hs := make([][]byte, len(hashes))
		for i, h := range hashes {
			hs[i] = h
			if h == nil {
				hs[i] = []byte{}
			}
		}
		stmts = append(stmts, stmt{`INSERT INTO recovery_codes (user_id, hash, created_at)
			SELECT $1, h, $3 FROM unnest($2::bytea[]) AS h
			ON CONFLICT (user_id, hash) DO NOTHING`, []any{userID, hs, ts(at)}})
	}
	_, err := s.exec(ctx, "set recovery codes", stmts...)
	return err
}

// UseRecoveryCode marks the unused code with this hash used with one
// conditional UPDATE, or returns storage.ErrNotFound when no unused code has
// the hash; of concurrent callers exactly one succeeds.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte, at time.Time) error {
	if hash == nil {
		hash = []byte{}
	}
	tag, err := s.q.Exec(ctx, `UPDATE recovery_codes SET used_at = $3
		WHERE user_id = $1 AND hash = $2 AND used_at IS NULL`, userID, hash, usedAt(at))
	if err != nil {
		return mapErr("use recovery code", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("use recovery code")
	}
	return nil
}

// usedAt encodes the time a code was used; a code used at the zero time
// must still read as used, so it is stored as the zero instant, not NULL.
func usedAt(t time.Time) time.Time { return t.UTC() }

// CountRecoveryCodes returns how many unused recovery codes remain.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
		userID).Scan(&n)
	if err != nil {
		return 0, mapErr("count recovery codes", err)
	}
	return n, nil
}
