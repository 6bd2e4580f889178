package memory

import (
	"context"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// CreateUser stores a copy of u with Version 1 and sets u.Version. A taken
// id, phone or email (case-insensitive) returns a *storage.DuplicateError.
func (s *Store) CreateUser(_ context.Context, u *storage.User) error {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	if _, ok := d.users[u.ID]; ok {
		return duplicate("id")
	}
	if u.Phone != "" {
		if _, ok := d.byPhone[u.Phone]; ok {
			return duplicate("phone")
		}
	}
	email := strings.ToLower(u.Email)
	if email != "" {
		if _, ok := d.byEmail[email]; ok {
			return duplicate("email")
		}
	}
	c := u.Clone()
	c.Version = 1
	put(t, d.users, c.ID, c)
	if c.Phone != "" {
		put(t, d.byPhone, c.Phone, c.ID)
	}
	if email != "" {
		put(t, d.byEmail, email, c.ID)
	}
	u.Version = 1
	return nil
}

// GetUser returns a copy of the user, or storage.ErrNotFound.
func (s *Store) GetUser(_ context.Context, id string) (*storage.User, error) {
	t := s.lock()
	defer s.unlock(t)
	u, ok := s.d.users[id]
	if !ok {
		return nil, notFound("user")
	}
	return u.Clone(), nil
}

// GetUserByPhone returns a copy of the user with the exact phone, or
// storage.ErrNotFound.
func (s *Store) GetUserByPhone(_ context.Context, phone string) (*storage.User, error) {
	t := s.lock()
	defer s.unlock(t)
	if phone != "" {
		if id, ok := s.d.byPhone[phone]; ok {
			return s.d.users[id].Clone(), nil
		}
	}
	return nil, notFound("user")
}

// GetUserByEmail returns a copy of the user whose email matches
// case-insensitively, or storage.ErrNotFound.
func (s *Store) GetUserByEmail(_ context.Context, email string) (*storage.User, error) {
	t := s.lock()
	defer s.unlock(t)
	if email != "" {
		if id, ok := s.d.byEmail[strings.ToLower(email)]; ok {
			return s.d.users[id].Clone(), nil
		}
	}
	return nil, notFound("user")
}

// UpdateUser replaces the stored user when its version equals u.Version and
// increments the version (and u.Version). It returns storage.ErrNotFound for
// an unknown id, storage.ErrConflict for a stale version and a
// *storage.DuplicateError for a phone or email taken by another user.
func (s *Store) UpdateUser(_ context.Context, u *storage.User) error {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	old, ok := d.users[u.ID]
	if !ok {
		return notFound("user")
	}
	if old.Version != u.Version {
		return conflict("stale user version")
	}
	if u.Phone != "" {
		if id, ok := d.byPhone[u.Phone]; ok && id != u.ID {
			return duplicate("phone")
		}
	}
	oldEmail, email := strings.ToLower(old.Email), strings.ToLower(u.Email)
	if email != "" {
		if id, ok := d.byEmail[email]; ok && id != u.ID {
			return duplicate("email")
		}
	}
	c := u.Clone()
	c.Version = old.Version + 1
	put(t, d.users, c.ID, c)
	if old.Phone != c.Phone {
		if old.Phone != "" {
			del(t, d.byPhone, old.Phone)
		}
		if c.Phone != "" {
			put(t, d.byPhone, c.Phone, c.ID)
		}
	}
	if oldEmail != email {
		if oldEmail != "" {
			del(t, d.byEmail, oldEmail)
		}
		if email != "" {
			put(t, d.byEmail, email, c.ID)
		}
	}
	u.Version = c.Version
	return nil
}

// SetPassword makes hash the user's current password hash and keeps the
// newest keep hashes (at least 1) of the history.
func (s *Store) SetPassword(_ context.Context, userID, hash string, _ time.Time, keep int) error {
	t := s.lock()
	defer s.unlock(t)
	keep = max(keep, 1)
	old := s.d.passwords[userID]
	n := min(len(old)+1, keep)
	h := make([]string, n)
	h[0] = hash
	copy(h[1:], old)
	put(t, s.d.passwords, userID, h)
	return nil
}

// GetPassword returns the current hash, or storage.ErrNotFound.
func (s *Store) GetPassword(_ context.Context, userID string) (string, error) {
	t := s.lock()
	defer s.unlock(t)
	h := s.d.passwords[userID]
	if len(h) == 0 {
		return "", notFound("password")
	}
	return h[0], nil
}

// PasswordHistory returns up to limit hashes, newest first (all kept hashes
// when limit <= 0); an unknown user has an empty history.
func (s *Store) PasswordHistory(_ context.Context, userID string, limit int) ([]string, error) {
	t := s.lock()
	defer s.unlock(t)
	h := s.d.passwords[userID]
	if limit > 0 && len(h) > limit {
		h = h[:limit]
	}
	return append([]string{}, h...), nil
}
