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

const userColumns = `id, version, phone, phone_verified, email, email_verified, locale,
	status, kyc_status, kyc_tier, profile, profile_ssn_key_ref, profile_ssn_data, compliance,
	admin_locked, tokens_valid_after, last_auth_at, created_at, updated_at`

// userValues returns the values of every user column but id and version,
// in userColumns order.
func userValues(u *storage.User) ([]any, error) {
	profile, err := encodeProfile(u.Profile)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode profile: %w", err)
	}
	compliance, err := encodeCompliance(u.Compliance)
	if err != nil {
		return nil, fmt.Errorf("postgres: encode compliance: %w", err)
	}
	var ssn storage.Sealed
	if u.Profile != nil {
		ssn = u.Profile.SSN
	}
	return []any{
		text(u.Phone), u.PhoneVerified, text(u.Email), u.EmailVerified, u.Locale,
		u.Status, u.KYCStatus, u.KYCTier, profile, ssn.KeyRef, bytesOrNil(ssn.Data), compliance,
		u.AdminLocked, ts(u.TokensValidAfter), ts(u.LastAuthAt), ts(u.CreatedAt), ts(u.UpdatedAt),
	}, nil
}

func scanUser(row pgx.Row) (*storage.User, error) {
	var (
		u                                 storage.User
		phone, email                      pgtype.Text
		profile, compliance, ssnData      []byte
		ssnKeyRef                         string
		validAfter, lastAuth, created, up pgtype.Timestamptz
	)
	err := row.Scan(&u.ID, &u.Version, &phone, &u.PhoneVerified, &email, &u.EmailVerified, &u.Locale,
		&u.Status, &u.KYCStatus, &u.KYCTier, &profile, &ssnKeyRef, &ssnData, &compliance,
		&u.AdminLocked, &validAfter, &lastAuth, &created, &up)
	if err != nil {
		return nil, err
	}
	u.Phone, u.Email = phone.String, email.String
	if u.Profile, err = decodeProfile(profile, sealed(ssnKeyRef, ssnData)); err != nil {
		return nil, fmt.Errorf("decode profile: %w", err)
	}
	if u.Compliance, err = decodeCompliance(compliance); err != nil {
		return nil, fmt.Errorf("decode compliance: %w", err)
	}
	u.TokensValidAfter, u.LastAuthAt = fromTS(validAfter), fromTS(lastAuth)
	u.CreatedAt, u.UpdatedAt = fromTS(created), fromTS(up)
	return &u, nil
}

// CreateUser stores u with Version 1 and sets u.Version. A taken id returns
// a *storage.DuplicateError with Field "id"; a verified phone or email
// (case-insensitive) another user holds verified, by the partial unique
// indexes users_phone_verified_key and users_email_verified_key, one with
// Field "phone" or "email".
func (s *Store) CreateUser(ctx context.Context, u *storage.User) error {
	vals, err := userValues(u)
	if err != nil {
		return err
	}
	args := append([]any{u.ID, int64(1)}, vals...)
	if _, err := s.exec(ctx, "create user", stmt{`INSERT INTO users (` + userColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`, args}); err != nil {
		return err
	}
	u.Version = 1
	return nil
}

func (s *Store) getUser(ctx context.Context, where string, arg any) (*storage.User, error) {
	u, err := scanUser(s.q.QueryRow(ctx, userQuery(where), arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("get user")
	}
	if err != nil {
		return nil, mapErr("get user", err)
	}
	return u, nil
}

// userQuery selects the first user the condition (and order) gives.
func userQuery(where string) string {
	return `SELECT ` + userColumns + ` FROM users WHERE ` + where + ` LIMIT 1`
}

// GetUser returns the user with the id, or storage.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (*storage.User, error) {
	return s.getUser(ctx, `id = $1`, id)
}

// Lookups by identifier: the verified holder first, then the newest
// (created_at, then id; a NULL created_at counts as the oldest). Each reads
// the first entry of a backward scan of users_phone_idx or
// users_email_lower_idx.
const (
	byPhone = `phone = $1 ORDER BY phone_verified DESC, created_at DESC NULLS LAST, id DESC`
	byEmail = `lower(email) = lower($1) ORDER BY email_verified DESC, created_at DESC NULLS LAST, id DESC`
)

// GetUserByPhone returns the user holding the exact E.164 phone verified,
// else the most recently created user holding it unverified, else
// storage.ErrNotFound.
func (s *Store) GetUserByPhone(ctx context.Context, phone string) (*storage.User, error) {
	return s.getUser(ctx, byPhone, phone)
}

// GetUserByEmail is GetUserByPhone for an email, matched after lower().
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*storage.User, error) {
	return s.getUser(ctx, byEmail, email)
}

// UpdateUser replaces the stored user by a conditional update on (id,
// version) that increments the version (and u.Version). A stale version
// returns storage.ErrConflict, an unknown id storage.ErrNotFound, a verified
// phone or email another user holds verified a *storage.DuplicateError.
func (s *Store) UpdateUser(ctx context.Context, u *storage.User) error {
	vals, err := userValues(u)
	if err != nil {
		return err
	}
	args := append([]any{u.ID, u.Version}, vals...)
	tags, err := s.exec(ctx, "update user", stmt{`UPDATE users SET
		phone = $3, phone_verified = $4, email = $5, email_verified = $6, locale = $7,
		status = $8, kyc_status = $9, kyc_tier = $10, profile = $11, profile_ssn_key_ref = $12,
		profile_ssn_data = $13, compliance = $14, admin_locked = $15, tokens_valid_after = $16,
		last_auth_at = $17, created_at = $18, updated_at = $19, version = version + 1
		WHERE id = $1 AND version = $2`, args})
	if err != nil {
		return err
	}
	if tags[0].RowsAffected() == 0 {
		return s.missingOrConflict(ctx, "update user", "stale user version",
			`SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, u.ID)
	}
	u.Version++
	return nil
}

// DeleteUser deletes the user row; the foreign keys of every per-user table
// cascade (credentials, password history, challenges, refresh tokens, TOTP,
// recovery codes, KYC submissions and documents, accounts, portfolios).
// Events have no foreign key and stay. An unknown id returns
// storage.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	tags, err := s.exec(ctx, "delete user", stmt{`DELETE FROM users WHERE id = $1`, []any{id}})
	if err != nil {
		return err
	}
	if tags[0].RowsAffected() == 0 {
		return notFound("delete user")
	}
	return nil
}

// SetPassword makes hash the user's current password hash and appends it to
// the history, keeping the newest keep entries (at least 1), in one atomic
// batch. An unknown user returns an error wrapping storage.ErrNotFound.
func (s *Store) SetPassword(ctx context.Context, userID, hash string, at time.Time, keep int) error {
	keep = max(keep, 1)
	_, err := s.exec(ctx, "set password",
		stmt{`INSERT INTO credentials (user_id, hash, seq, set_at) VALUES ($1, $2, 1, $3)
			ON CONFLICT (user_id) DO UPDATE
			SET hash = excluded.hash, set_at = excluded.set_at, seq = credentials.seq + 1`,
			[]any{userID, hash, ts(at)}},
		stmt{`INSERT INTO password_history (user_id, seq, hash, set_at)
			SELECT user_id, seq, hash, set_at FROM credentials WHERE user_id = $1`,
			[]any{userID}},
		stmt{`DELETE FROM password_history
			WHERE user_id = $1 AND seq <= (SELECT seq FROM credentials WHERE user_id = $1) - $2`,
			[]any{userID, int64(keep)}},
	)
	return err
}

// GetPassword returns the current hash, or storage.ErrNotFound.
func (s *Store) GetPassword(ctx context.Context, userID string) (string, error) {
	var hash string
	err := s.q.QueryRow(ctx, `SELECT hash FROM credentials WHERE user_id = $1`, userID).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", notFound("get password")
	}
	if err != nil {
		return "", mapErr("get password", err)
	}
	return hash, nil
}

// PasswordHistory returns up to limit kept hashes, newest first (all of
// them when limit <= 0); the current hash is the first. An unknown user has
// an empty history.
func (s *Store) PasswordHistory(ctx context.Context, userID string, limit int) ([]string, error) {
	const q = `SELECT hash FROM password_history WHERE user_id = $1 ORDER BY seq DESC`
	var (
		rows pgx.Rows
		err  error
	)
	if limit > 0 {
		rows, err = s.q.Query(ctx, q+` LIMIT $2`, userID, int64(limit))
	} else {
		rows, err = s.q.Query(ctx, q, userID)
	}
	if err != nil {
		return nil, mapErr("password history", err)
	}
	hashes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, mapErr("password history", err)
	}
	if hashes == nil {
		hashes = []string{}
	}
	return hashes, nil
}
