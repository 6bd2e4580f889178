package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

const userColumns = `id, version, phone, phone_verified, email, email_verified, locale,
	status, kyc_status, kyc_tier, profile_key_ref, profile_data, compliance_key_ref, compliance_data,
	admin_locked, tokens_valid_after, last_auth_at, created_at, updated_at,
	profile_complete, roles, metadata_key_ref, metadata_data`

// userValues returns the values of every user column but id and version,
// in userColumns order. The sealed values are stored as they are; no
// roles are the empty array (the column is NOT NULL).
func userValues(u *storage.User) []any {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return []any{
		text(u.Phone), u.PhoneVerified, text(u.Email), u.EmailVerified, u.Locale,
		u.Status, u.KYCStatus, u.KYCTier, u.Profile.KeyRef, bytesOrNil(u.Profile.Data),
		u.Compliance.KeyRef, bytesOrNil(u.Compliance.Data),
		u.AdminLocked, ts(u.TokensValidAfter), ts(u.LastAuthAt), ts(u.CreatedAt), ts(u.UpdatedAt),
		u.ProfileComplete, roles, u.Metadata.KeyRef, bytesOrNil(u.Metadata.Data),
	}
}

func scanUser(row pgx.Row) (*storage.User, error) { return scanUserAnd(row) }

// scanUserAnd reads the user columns of row, then the next columns into
// extra.
func scanUserAnd(row pgx.Row, extra ...any) (*storage.User, error) {
	var (
		u                                      storage.User
		phone, email                           pgtype.Text
		profileRef, complianceRef, metadataRef string
		profile, compliance, metadata          []byte
		validAfter, lastAuth, created, up      pgtype.Timestamptz
	)
	err := row.Scan(append([]any{&u.ID, &u.Version, &phone, &u.PhoneVerified, &email, &u.EmailVerified, &u.Locale,
		&u.Status, &u.KYCStatus, &u.KYCTier, &profileRef, &profile, &complianceRef, &compliance,
		&u.AdminLocked, &validAfter, &lastAuth, &created, &up,
		&u.ProfileComplete, &u.Roles, &metadataRef, &metadata}, extra...)...)
	if err != nil {
		return nil, err
	}
	u.Phone, u.Email = phone.String, email.String
	u.Profile, u.Compliance = sealed(profileRef, profile), sealed(complianceRef, compliance)
	u.Roles, u.Metadata = stringsOrNil(u.Roles), sealed(metadataRef, metadata)
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
	args := append([]any{u.ID, int64(1)}, userValues(u)...)
	if err := s.later(ctx, "create user", stmt{`INSERT INTO users (` + userColumns + `)
		VALUES (` + placeholders(len(args)) + `)`, args}); err != nil {
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

// updateUser is the conditional update of UpdateUser.
const updateUser = `UPDATE users SET
	phone = $3, phone_verified = $4, email = $5, email_verified = $6, locale = $7,
	status = $8, kyc_status = $9, kyc_tier = $10, profile_key_ref = $11, profile_data = $12,
	compliance_key_ref = $13, compliance_data = $14, admin_locked = $15, tokens_valid_after = $16,
	last_auth_at = $17, created_at = $18, updated_at = $19, profile_complete = $20, roles = $21,
	metadata_key_ref = $22, metadata_data = $23, version = version + 1
	WHERE id = $1 AND version = $2`

// UpdateUser replaces the stored user by a conditional update on (id,
// version) that increments the version (and u.Version). A stale version
// returns storage.ErrConflict, an unknown id storage.ErrNotFound, a verified
// phone or email another user holds verified a *storage.DuplicateError.
func (s *Store) UpdateUser(ctx context.Context, u *storage.User) error {
	args := append([]any{u.ID, u.Version}, userValues(u)...)
	if s.deferring() {
		// A stale version raises a serialization failure, when the write
		// runs: Tx then runs the unit again, with a fresh read.
		if err := s.later(ctx, "update user", stmt{`WITH w AS (` + updateUser + ` RETURNING 1)
			SELECT onboardkit_expect_one(count(*), '40001', 'stale user version') FROM w`, args}); err != nil {
			return err
		}
		u.Version++
		return nil
	}
	tags, err := s.exec(ctx, "update user", stmt{updateUser, args})
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
// recovery codes, passkeys, KYC submissions and documents, accounts, portfolios).
// Events and the user's data key have no foreign key and stay. An unknown
// id returns storage.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.execFound(ctx, "delete user", `DELETE FROM users WHERE id = $1`, id)
}

// DeleteUserRecords deletes, in one atomic batch, the rows of every
// per-user table (those DeleteUser's cascade reaches) but the user row and,
// when keepKYC, the KYC submissions and documents. Events and the data key
// stay. An unknown id returns storage.ErrNotFound.
func (s *Store) DeleteUserRecords(ctx context.Context, id string, keepKYC bool) error {
	stmts := []stmt{{`SELECT id FROM users WHERE id = $1 FOR UPDATE`, []any{id}}}
	tables := []string{"credentials", "password_history", "challenges", "refresh_tokens",
		"recovery_codes", "totp_enrollments", "passkeys", "portfolios", "accounts"}
	if !keepKYC {
		tables = append(tables, "kyc_submissions") // its documents cascade
	}
	for _, t := range tables {
		stmts = append(stmts, stmt{`DELETE FROM ` + t + ` WHERE user_id = $1`, []any{id}})
	}
	tags, err := s.exec(ctx, "delete user records", stmts...)
	if err != nil {
		return err
	}
	if tags[0].RowsAffected() == 0 {
		return notFound("delete user records")
	}
	return nil
}

// SetPassword makes hash the user's current password hash and appends it to
// the history, keeping the newest keep entries (at least 1), in one
// statement. An unknown user returns an error wrapping storage.ErrNotFound.
func (s *Store) SetPassword(ctx context.Context, userID, hash string, at time.Time, keep int) error {
	keep = max(keep, 1)
	// One statement: the new hash, its history entry, and the history
	// beyond keep deleted. The DELETE sees the history as the statement
	// began, so under a concurrent SetPassword of the same user it may
	// leave one entry too many, which the next one deletes (PasswordHistory
	// reads only the newest anyway).
	return s.later(ctx, "set password", stmt{`WITH c AS (
			INSERT INTO credentials (user_id, hash, seq, set_at) VALUES ($1, $2, 1, $3)
			ON CONFLICT (user_id) DO UPDATE
			SET hash = excluded.hash, set_at = excluded.set_at, seq = credentials.seq + 1
			RETURNING user_id, seq, hash, set_at),
		h AS (INSERT INTO password_history (user_id, seq, hash, set_at)
			SELECT user_id, seq, hash, set_at FROM c)
		DELETE FROM password_history WHERE user_id = $1 AND seq <= (SELECT seq FROM c) - $4`,
		[]any{userID, hash, ts(at), int64(keep)}})
}

// loginQuery reads the holder of an identifier (by a condition of
// byPhone or byEmail, which carries its order) with its password hash,
// TOTP confirmation and number of passkeys (passkeys_user_idx): one
// statement, one round trip.
func loginQuery(where string) string {
	return `SELECT u.*, COALESCE(c.hash, ''), COALESCE(e.confirmed, false),
		(SELECT count(*) FROM passkeys p WHERE p.user_id = u.id)
	FROM (` + userQuery(where) + `) u
	LEFT JOIN credentials c ON c.user_id = u.id
	LEFT JOIN totp_enrollments e ON e.user_id = u.id`
}

// GetLogin returns the holder of the identifier (as GetUserByEmail or
// GetUserByPhone), its current password hash ("" for none) and whether it
// has a confirmed TOTP enrollment, in one statement.
func (s *Store) GetLogin(ctx context.Context, by storage.LoginBy, value string) (*storage.Login, error) {
	var where string
	switch by {
	case storage.LoginByPhone:
		where = byPhone
	case storage.LoginByEmail:
		where = byEmail
	case storage.LoginByID:
		where = `id = $1`
	default:
		return nil, notFound("get login")
	}
	var l storage.Login
	var passkeys int64
	u, err := scanUserAnd(s.q.QueryRow(ctx, loginQuery(where), value), &l.PasswordHash, &l.TOTPConfirmed, &passkeys)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("get login")
	}
	if err != nil {
		return nil, mapErr("get login", err)
	}
	l.User, l.Passkeys = u, int(passkeys)
	return &l, nil
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
	rows, err := s.queryLimit(ctx, `SELECT hash FROM password_history WHERE user_id = $1 ORDER BY seq DESC`,
		limit, userID)
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

// conditions builds a WHERE clause and its arguments.
type conditions struct {
	sql  []string
	args []any
}

// add adds the condition cond whose placeholders (?) take args in order.
func (c *conditions) add(cond string, args ...any) {
	for _, a := range args {
		c.args = append(c.args, a)
		cond = strings.Replace(cond, "?", "$"+strconv.Itoa(len(c.args)), 1)
	}
	c.sql = append(c.sql, cond)
}

// where returns the clause ("" for none).
func (c *conditions) where() string {
	if len(c.sql) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(c.sql, ` AND `)
}

// searchOrder is the order of SearchUsers: a NULL created_at (the zero
// time) first, the id compared bytewise (COLLATE "C", as Go compares
// strings) whatever the database collation. users_created_idx holds the
// rows in this order.
const searchOrder = ` ORDER BY created_at ASC NULLS FIRST, id COLLATE "C" ASC`

// searchQuery returns the query of SearchUsers for q (without its limit)
// and its arguments. The cursor is a row-value comparison, which
// users_created_idx serves as the start of an index scan; NULL created_at
// sorts first, so a cursor at a non-zero time leaves those rows out.
func searchQuery(q storage.UserQuery) (string, []any) {
	var c conditions
	if q.Status != "" {
		c.add(`status = ?`, q.Status)
	}
	if q.KYCStatus != "" {
		c.add(`kyc_status = ?`, q.KYCStatus)
	}
	if q.Phone != "" {
		c.add(`phone = ?`, q.Phone)
	}
	if q.Email != "" {
		c.add(`lower(email) = lower(?)`, q.Email)
	}
	if !q.CreatedFrom.IsZero() {
		c.add(`created_at >= ?`, ts(q.CreatedFrom))
	}
	if !q.CreatedTo.IsZero() {
		c.add(`(created_at < ? OR created_at IS NULL)`, ts(q.CreatedTo))
	}
	switch {
	case !q.After.CreatedAt.IsZero():
		c.add(`(created_at, id COLLATE "C") > (?, ?)`, ts(q.After.CreatedAt), q.After.ID)
	case q.After.ID != "":
		c.add(`(created_at IS NOT NULL OR id COLLATE "C" > ?)`, q.After.ID)
	}
	return `SELECT ` + userColumns + ` FROM users` + c.where() + searchOrder, c.args
}

// SearchUsers returns the users matching q in (created_at, id) order,
// after q.After, at most q.Limit of them (all when Limit <= 0), with one
// query; see searchQuery. Emails match after lower(). None is an empty
// list.
func (s *Store) SearchUsers(ctx context.Context, q storage.UserQuery) ([]*storage.User, error) {
	sql, args := searchQuery(q)
	return queryAll(ctx, s, "search users", sql, q.Limit, scanUser, args...)
}
