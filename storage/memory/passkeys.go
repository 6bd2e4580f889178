package memory

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// CreatePasskey stores a copy of p; a taken ID or credential id is a
// *storage.DuplicateError ("id", "credential_id").
func (s *Store) CreatePasskey(_ context.Context, p *storage.Passkey) error {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	for _, k := range d.passkeys {
		if k.ID == p.ID {
			return duplicate("id")
		}
	}
	key := string(p.CredentialID)
	if _, ok := d.passkeys[key]; ok {
		return duplicate("credential_id")
	}
	put(t, d.passkeys, key, p.Clone())
	appendTo(t, d.userPasskeys, p.UserID, key)
	return nil
}

// GetPasskey returns a copy of the passkey with this credential id, or
// storage.ErrNotFound.
func (s *Store) GetPasskey(_ context.Context, credentialID []byte) (*storage.Passkey, error) {
	t := s.lock()
	defer s.unlock(t)
	p, ok := s.d.passkeys[string(credentialID)]
	if !ok {
		return nil, notFound("passkey")
	}
	return p.Clone(), nil
}

// ListPasskeys returns copies of the user's passkeys, oldest first.
func (s *Store) ListPasskeys(_ context.Context, userID string) ([]*storage.Passkey, error) {
	t := s.lock()
	defer s.unlock(t)
	out := []*storage.Passkey{}
	for _, k := range s.d.userPasskeys[userID] {
		out = append(out, s.d.passkeys[k].Clone())
	}
	slices.SortFunc(out, func(a, b *storage.Passkey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// UsePasskey records a use when the stored counter is still prevCount.
func (s *Store) UsePasskey(_ context.Context, credentialID []byte, prevCount, newCount uint32, backupState bool, at time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	key := string(credentialID)
	old, ok := s.d.passkeys[key]
	if !ok {
		return notFound("passkey")
	}
	if old.SignCount != prevCount {
		return conflict("passkey counter changed")
	}
	p := old.Clone()
	p.SignCount, p.BackupState, p.LastUsedAt = newCount, backupState, at
	put(t, s.d.passkeys, key, p)
	return nil
}

// DeletePasskey removes the user's passkey with this ID.
func (s *Store) DeletePasskey(_ context.Context, userID, id string) error {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	for _, k := range d.userPasskeys[userID] {
		if d.passkeys[k].ID == id {
			del(t, d.passkeys, k)
			removeFrom(t, d.userPasskeys, userID, k)
			return nil
		}
	}
	return notFound("passkey")
}
