package memory

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

func cloneTOTP(e *storage.TOTPEnrollment) *storage.TOTPEnrollment {
	c := *e
	c.Secret = e.Secret.Clone()
	return &c
}

// PutTOTP creates or replaces the user's enrollment with a copy of e.
func (s *Store) PutTOTP(_ context.Context, e *storage.TOTPEnrollment) error {
	t := s.lock()
	defer s.unlock(t)
	put(t, s.d.totp, e.UserID, cloneTOTP(e))
	return nil
}

// GetTOTP returns a copy of the user's enrollment, or storage.ErrNotFound.
func (s *Store) GetTOTP(_ context.Context, userID string) (*storage.TOTPEnrollment, error) {
	t := s.lock()
	defer s.unlock(t)
	e, ok := s.d.totp[userID]
	if !ok {
		return nil, notFound("totp enrollment")
	}
	return cloneTOTP(e), nil
}

// UseTOTPStep sets LastUsedStep = step when step is greater than the stored
// one; otherwise it returns storage.ErrConflict (storage.ErrNotFound without
// an enrollment).
func (s *Store) UseTOTPStep(_ context.Context, userID string, step int64) error {
	t := s.lock()
	defer s.unlock(t)
	old, ok := s.d.totp[userID]
	if !ok {
		return notFound("totp enrollment")
	}
	if step <= old.LastUsedStep {
		return conflict("totp step already used")
	}
	e := *old
	e.LastUsedStep = step
	put(t, s.d.totp, userID, &e)
	return nil
}

// DeleteTOTP removes the enrollment and the recovery codes; deleting what
// does not exist is not an error.
func (s *Store) DeleteTOTP(_ context.Context, userID string) error {
	t := s.lock()
	defer s.unlock(t)
	del(t, s.d.totp, userID)
	del(t, s.d.recovery, userID)
	return nil
}

// SetRecoveryCodes replaces the user's recovery codes by copies of hashes.
func (s *Store) SetRecoveryCodes(_ context.Context, userID string, hashes [][]byte, _ time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	codes := make([]recoveryCode, len(hashes))
	for i, h := range hashes {
		codes[i] = recoveryCode{hash: append([]byte(nil), h...)}
	}
	put(t, s.d.recovery, userID, codes)
	return nil
}

// UseRecoveryCode marks the unused code with the hash used at at, or returns
// storage.ErrNotFound when no unused code has it.
func (s *Store) UseRecoveryCode(_ context.Context, userID string, hash []byte, at time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	old := s.d.recovery[userID]
	for i, c := range old {
		if !c.used && subtle.ConstantTimeCompare(c.hash, hash) == 1 {
			codes := append([]recoveryCode(nil), old...)
			codes[i].used, codes[i].usedAt = true, at
			put(t, s.d.recovery, userID, codes)
			return nil
		}
	}
	return notFound("recovery code")
}

// CountRecoveryCodes returns how many unused recovery codes remain (0 for a
// user without codes).
func (s *Store) CountRecoveryCodes(_ context.Context, userID string) (int, error) {
	t := s.lock()
	defer s.unlock(t)
	n := 0
	for _, c := range s.d.recovery[userID] {
		if !c.used {
			n++
		}
	}
	return n, nil
}
