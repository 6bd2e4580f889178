package memory

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// CreateChallenge stores a copy of c. A taken id returns a
// *storage.DuplicateError with Field "id".
func (s *Store) CreateChallenge(_ context.Context, c *storage.Challenge) error {
	t := s.lock()
	defer s.unlock(t)
	if _, ok := s.d.challenges[c.ID]; ok {
		return duplicate("id")
	}
	put(t, s.d.challenges, c.ID, c.Clone())
	if c.UserID != "" {
		appendTo(t, s.d.userChal, c.UserID, c.ID)
	}
	return nil
}

// GetChallenge returns a copy of the challenge, or storage.ErrNotFound.
func (s *Store) GetChallenge(_ context.Context, id string) (*storage.Challenge, error) {
	t := s.lock()
	defer s.unlock(t)
	c, ok := s.d.challenges[id]
	if !ok {
		return nil, notFound("challenge")
	}
	return c.Clone(), nil
}

// LatestChallenge returns a copy of the user's challenge of the purpose
// with the greatest CreatedAt (then the greatest id), or
// storage.ErrNotFound.
func (s *Store) LatestChallenge(_ context.Context, userID, purpose string) (*storage.Challenge, error) {
	t := s.lock()
	defer s.unlock(t)
	var latest *storage.Challenge
	for _, id := range s.d.userChal[userID] {
		c := s.d.challenges[id]
		if c.Purpose != purpose {
			continue
		}
		if latest == nil || c.CreatedAt.After(latest.CreatedAt) || c.CreatedAt.Equal(latest.CreatedAt) && c.ID > latest.ID {
			latest = c
		}
	}
	if latest == nil {
		return nil, notFound("challenge")
	}
	return latest.Clone(), nil
}

// usable reports whether c can still take an attempt at now.
func usable(c *storage.Challenge, now time.Time) bool {
	return c.ConsumedAt.IsZero() && c.Attempts < c.MaxAttempts && now.Before(c.ExpiresAt)
}

// FailChallengeAttempt increments Attempts of a challenge that is unused,
// not burned and not expired at now, and returns the new count; otherwise it
// returns storage.ErrConflict (storage.ErrNotFound for an unknown id).
func (s *Store) FailChallengeAttempt(_ context.Context, id string, now time.Time) (int, error) {
	t := s.lock()
	defer s.unlock(t)
	old, ok := s.d.challenges[id]
	if !ok {
		return 0, notFound("challenge")
	}
	if !usable(old, now) {
		return 0, conflict("challenge not usable")
	}
	// Stored records are never modified in place: byte slices are shared
	// with the old version, which the undo log may restore.
	c := *old
	c.Attempts++
	put(t, s.d.challenges, id, &c)
	return c.Attempts, nil
}

// ConsumeChallenge sets ConsumedAt = now on a challenge that is unused, not
// burned, not expired at now and whose CodeHash equals codeHash (compared in
// constant time); otherwise it returns storage.ErrConflict
// (storage.ErrNotFound for an unknown id).
func (s *Store) ConsumeChallenge(_ context.Context, id string, codeHash []byte, now time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	old, ok := s.d.challenges[id]
	if !ok {
		return notFound("challenge")
	}
	if !usable(old, now) || subtle.ConstantTimeCompare(old.CodeHash, codeHash) != 1 {
		return conflict("challenge not consumable")
	}
	c := *old
	c.ConsumedAt = now
	put(t, s.d.challenges, id, &c)
	return nil
}

// ResendChallenge replaces the code of an unused challenge whose Sends equals
// prevSends, keeping Attempts; otherwise it returns storage.ErrConflict
// (storage.ErrNotFound for an unknown id).
func (s *Store) ResendChallenge(_ context.Context, id string, prevSends int, codeHash []byte, sentAt, resendAt, expiresAt time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	old, ok := s.d.challenges[id]
	if !ok {
		return notFound("challenge")
	}
	if !old.ConsumedAt.IsZero() || old.Sends != prevSends {
		return conflict("challenge changed")
	}
	c := *old
	c.CodeHash = append([]byte(nil), codeHash...)
	c.Sends = prevSends + 1
	c.LastSentAt = sentAt
	c.ResendAt = resendAt
	c.ExpiresAt = expiresAt
	put(t, s.d.challenges, id, &c)
	return nil
}

// SetChallengeResendAt sets ResendAt, or returns storage.ErrNotFound.
func (s *Store) SetChallengeResendAt(_ context.Context, id string, resendAt time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	old, ok := s.d.challenges[id]
	if !ok {
		return notFound("challenge")
	}
	c := *old
	c.ResendAt = resendAt
	put(t, s.d.challenges, id, &c)
	return nil
}

// CountSend increments and returns the counter of key for the window
// starting at windowStart. Counters of windows older than the retention (see
// WithSendWindowRetention) before the newest window seen are pruned.
func (s *Store) CountSend(_ context.Context, key string, windowStart time.Time) (int, error) {
	t := s.lock()
	defer s.unlock(t)
	return s.countSend(t, key, windowStart, -1)
}

// CapSend counts one send as CountSend does unless the window already
// holds limit sends (see storage.SendCapper).
func (s *Store) CapSend(_ context.Context, key string, windowStart time.Time, limit int) error {
	t := s.lock()
	defer s.unlock(t)
	_, err := s.countSend(t, key, windowStart, limit)
	return err
}

// countSend counts one send under the lock, refusing it when limit is not
// negative and the window already holds limit sends.
func (s *Store) countSend(t *txn, key string, windowStart time.Time, limit int) (int, error) {
	d := s.d
	start := windowStart.UnixNano()
	if start > d.sendNewest {
		d.sendNewest = start
	}
	if len(d.sends) >= d.sendPruneN {
		d.pruneSends()
	}
	k := sendKey{key, start}
	n := d.sends[k] + 1
	if limit >= 0 && n > limit {
		return 0, fmt.Errorf("memory: cap send: %w", storage.ErrSendLimit)
	}
	put(t, d.sends, k, n)
	return n, nil
}

// pruneSends drops the counters of windows past the retention. It is not
// undone by a rollback: the pruned windows are no longer counted anyway.
func (d *data) pruneSends() {
	cutoff := d.sendNewest - int64(d.cfg.sendRetention)
	for k := range d.sends {
		if k.start < cutoff {
			delete(d.sends, k)
		}
	}
	d.sendPruneN = max(1024, 2*len(d.sends))
}
