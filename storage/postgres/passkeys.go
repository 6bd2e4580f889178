package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onboardkit/onboardkit/storage"
)

const passkeyColumns = `id, user_id, credential_id, user_handle, public_key, attestation_format,
	aaguid, sign_count, transports, backup_eligible, backup_state, name, created_at, last_used_at`

// CreatePasskey inserts p; a taken id or credential id is a
// *storage.DuplicateError, a user id naming no user wraps
// storage.ErrNotFound.
func (s *Store) CreatePasskey(ctx context.Context, p *storage.Passkey) error {
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	_, err := s.exec(ctx, "create passkey", stmt{`INSERT INTO passkeys (` + passkeyColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, []any{
		p.ID, p.UserID, bytesOrEmpty(p.CredentialID), bytesOrEmpty(p.UserHandle), bytesOrEmpty(p.PublicKey),
		p.AttestationFormat, bytesOrNil(p.AAGUID), int64(p.SignCount), transports, p.BackupEligible,
		p.BackupState, p.Name, ts(p.CreatedAt), ts(p.LastUsedAt),
	}})
	return err
}

func bytesOrEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func scanPasskey(r pgx.Row) (*storage.Passkey, error) {
	var (
		p             storage.Passkey
		count         int64
		created, used pgtype.Timestamptz
	)
	if err := r.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.UserHandle, &p.PublicKey, &p.AttestationFormat,
		&p.AAGUID, &count, &p.Transports, &p.BackupEligible, &p.BackupState, &p.Name, &created, &used); err != nil {
		return nil, err
	}
	p.SignCount = uint32(count)
	p.CreatedAt, p.LastUsedAt = fromTS(created), fromTS(used)
	if len(p.Transports) == 0 {
		p.Transports = nil
	}
	return &p, nil
}

// GetPasskey returns the passkey with this credential id, or
// storage.ErrNotFound.
func (s *Store) GetPasskey(ctx context.Context, credentialID []byte) (*storage.Passkey, error) {
	p, err := scanPasskey(s.q.QueryRow(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE credential_id = $1`,
		bytesOrEmpty(credentialID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("get passkey")
	}
	if err != nil {
		return nil, mapErr("get passkey", err)
	}
	return p, nil
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]*storage.Passkey, error) {
	return queryAll(ctx, s, "list passkeys", `SELECT `+passkeyColumns+` FROM passkeys
		WHERE user_id = $1 ORDER BY created_at, id`, 0, scanPasskey, userID)
}

// UsePasskey records a use with one conditional UPDATE (sign_count =
// prevCount).
func (s *Store) UsePasskey(ctx context.Context, credentialID []byte, prevCount, newCount uint32, backupState bool, at time.Time) error {
	tags, err := s.exec(ctx, "use passkey", stmt{`UPDATE passkeys SET sign_count = $3, backup_state = $4, last_used_at = $5
		WHERE credential_id = $1 AND sign_count = $2`, []any{bytesOrEmpty(credentialID), int64(prevCount), int64(newCount), backupState, ts(at)}})
	if err != nil {
		return err
	}
	if tags[0].RowsAffected() == 0 {
		return s.missingOrConflict(ctx, "use passkey", "passkey counter changed",
			`SELECT EXISTS (SELECT 1 FROM passkeys WHERE credential_id = $1)`, bytesOrEmpty(credentialID))
	}
	return nil
}

// DeletePasskey removes the user's passkey with this id.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	return s.execFound(ctx, "delete passkey", `DELETE FROM passkeys WHERE user_id = $1 AND id = $2`, userID, id)
}
