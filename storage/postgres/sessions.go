package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

const tokenColumns = `hash, family_id, user_id, issued_at, family_created_at, expires_at, rotated_at, revoked_at`

const insertToken = `INSERT INTO refresh_tokens (` + tokenColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

func tokenValues(t *storage.RefreshToken) []any {
	hash := t.Hash
	if hash == nil {
		hash = []byte{} // the primary key is NOT NULL
	}
	return []any{hash, t.FamilyID, text(t.UserID), ts(t.IssuedAt), ts(t.FamilyCreatedAt),
		ts(t.ExpiresAt), ts(t.RotatedAt), ts(t.RevokedAt)}
}

// CreateRefreshToken stores t. A taken hash returns a
// *storage.DuplicateError with Field "token".
func (s *Store) CreateRefreshToken(ctx context.Context, t *storage.RefreshToken) error {
	return s.later(ctx, "create refresh token", stmt{insertToken, tokenValues(t)})
}

func scanToken(row pgx.Row) (*storage.RefreshToken, error) {
	var (
		t                                               storage.RefreshToken
		user                                            pgtype.Text
		issued, famCreated, expires, rotated, revokedAt pgtype.Timestamptz
	)
	if err := row.Scan(&t.Hash, &t.FamilyID, &user, &issued, &famCreated, &expires, &rotated, &revokedAt); err != nil {
		return nil, err
	}
	t.Hash = bytesOrNil(t.Hash)
	t.UserID = user.String
	t.IssuedAt, t.FamilyCreatedAt, t.ExpiresAt = fromTS(issued), fromTS(famCreated), fromTS(expires)
	t.RotatedAt, t.RevokedAt = fromTS(rotated), fromTS(revokedAt)
	return &t, nil
}

// GetRefreshToken returns the token with the hash, rotated or revoked ones
// included, or storage.ErrNotFound.
func (s *Store) GetRefreshToken(ctx context.Context, hash []byte) (*storage.RefreshToken, error) {
	if hash == nil {
		hash = []byte{}
	}
	t, err := scanToken(s.q.QueryRow(ctx, `SELECT `+tokenColumns+` FROM refresh_tokens WHERE hash = $1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("get refresh token")
	}
	if err != nil {
		return nil, mapErr("get refresh token", err)
	}
	return t, nil
}

// rotateToken marks the token $1 rotated at $2 when it is neither rotated
// nor revoked, and then only, inserts the next token ($3…$10): one
// statement, so one round trip and atomic without a transaction.
const rotateToken = `WITH rotated AS (
	UPDATE refresh_tokens SET rotated_at = $2
	WHERE hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL
	RETURNING 1)
INSERT INTO refresh_tokens (` + tokenColumns + `)
SELECT $3::bytea, $4::text, $5::text, $6::timestamptz, $7::timestamptz, $8::timestamptz, $9::timestamptz, $10::timestamptz
FROM rotated`

// RotateRefreshToken marks oldHash rotated at now with a conditional
// UPDATE (rotated_at and revoked_at still NULL) and inserts next, in one
// statement (under a savepoint inside the caller's Tx). When the update
// matches nothing, nothing is written and it returns storage.ErrConflict
// (storage.ErrNotFound for an unknown hash); a taken next hash returns a
// *storage.DuplicateError with Field "token".
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash []byte, next *storage.RefreshToken, now time.Time) error {
	if oldHash == nil {
		oldHash = []byte{}
	}
	const op = "rotate refresh token"
	tags, err := s.exec(ctx, op, stmt{rotateToken, append([]any{oldHash, ts(now)}, tokenValues(next)...)})
	if err != nil {
		return err
	}
	if tags[0].RowsAffected() == 1 {
		return nil
	}
	var ok bool
	if err := s.scanOne(ctx, `SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE hash = $1)`, []any{oldHash}, &ok); err != nil {
		return mapErr(op, err)
	}
	if !ok {
		return notFound(op)
	}
	return conflict(op, "refresh token already rotated or revoked")
}

// RevokeFamily sets revoked_at = now on every token of the family not
// revoked yet (a token keeps its first revocation time), including the
// successor a concurrent rotation inserts: onboardkit_revoke_sessions
// (migration 0012) repeats its UPDATE until one revokes nothing. An
// unknown family is not an error.
func (s *Store) RevokeFamily(ctx context.Context, familyID string, now time.Time) error {
	_, err := s.q.Exec(ctx, `SELECT onboardkit_revoke_sessions($1, NULL, NULL, $2)`, familyID, ts(now))
	return mapErr("revoke family", err)
}

// RevokeUserSessions revokes, as RevokeFamily does, every token of every
// family that holds a token of the user.
func (s *Store) RevokeUserSessions(ctx context.Context, userID string, now time.Time) error {
	return s.revokeUserSessions(ctx, "revoke user sessions", userID, pgtype.Text{}, now)
}

// RevokeUserSessionsExcept is RevokeUserSessions sparing the family keep.
func (s *Store) RevokeUserSessionsExcept(ctx context.Context, userID, keep string, now time.Time) error {
	return s.revokeUserSessions(ctx, "revoke other sessions", userID, pgtype.Text{String: keep, Valid: true}, now)
}

// revokeUserSessions revokes the user's families but keep (none when keep
// is NULL) with one call of onboardkit_revoke_sessions, deferred on the
// write-behind view.
func (s *Store) revokeUserSessions(ctx context.Context, op, userID string, keep pgtype.Text, now time.Time) error {
	q := stmt{`SELECT onboardkit_revoke_sessions(NULL, $1, $3, $2)`, []any{userID, ts(now), keep}}
	if s.deferring() {
		return s.later(ctx, op, q)
	}
	_, err := s.q.Exec(ctx, q.sql, q.args...)
	return mapErr(op, err)
}

// FamilyRevoked reports whether a token of the family is revoked, or
// returns storage.ErrNotFound for a family without tokens.
func (s *Store) FamilyRevoked(ctx context.Context, familyID string) (bool, error) {
	var revoked pgtype.Bool
	err := s.q.QueryRow(ctx, `SELECT bool_or(revoked_at IS NOT NULL) FROM refresh_tokens WHERE family_id = $1`,
		familyID).Scan(&revoked)
	if err != nil {
		return false, mapErr("family revoked", err)
	}
	if !revoked.Valid {
		return false, notFound("family revoked")
	}
	return revoked.Bool, nil
}

// ListSessions returns the user's live tokens (refresh_tokens_user_idx):
// neither rotated nor revoked, expiring after now and, when maxAge > 0,
// of a family created after now - maxAge. That is the current token of
// each live family (a family has one unrotated token), newest family
// first: family_created_at descending, then family_id compared bytewise
// (COLLATE "C", as Go compares strings). None is an empty list.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time, maxAge time.Duration) ([]*storage.RefreshToken, error) {
	born := pgtype.Timestamptz{} // NULL: no bound on the family's age
	if maxAge > 0 {
		born = ts(now.Add(-maxAge))
	}
	return queryAll(ctx, s, "list sessions", `SELECT `+tokenColumns+` FROM refresh_tokens
		WHERE user_id = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $2
		AND ($3::timestamptz IS NULL OR family_created_at > $3)
		ORDER BY family_created_at DESC NULLS LAST, family_id COLLATE "C"`, 0, scanToken, userID, ts(now), born)
}
