package memory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// CreateRefreshToken stores a copy of rt. A taken hash returns a
// *storage.DuplicateError with Field "token".
func (s *Store) CreateRefreshToken(_ context.Context, rt *storage.RefreshToken) error {
	t := s.lock()
	defer s.unlock(t)
	if _, ok := s.d.tokens[string(rt.Hash)]; ok {
		return duplicate("token")
	}
	s.d.addToken(t, rt.Clone())
	return nil
}

func (d *data) addToken(t *txn, rt *storage.RefreshToken) {
	h := string(rt.Hash)
	put(t, d.tokens, h, rt)
	if rt.UserID != "" {
		appendTo(t, d.userTokens, rt.UserID, h)
	}
	appendTo(t, d.families, rt.FamilyID, h)
	if !d.familyKnown[rt.FamilyID] {
		put(t, d.familyKnown, rt.FamilyID, true)
		appendTo(t, d.userFamily, rt.UserID, rt.FamilyID)
	}
}

// GetRefreshToken returns a copy of the token with the hash, rotated and
// revoked ones included, or storage.ErrNotFound.
func (s *Store) GetRefreshToken(_ context.Context, hash []byte) (*storage.RefreshToken, error) {
	t := s.lock()
	defer s.unlock(t)
	rt, ok := s.d.tokens[string(hash)]
	if !ok {
		return nil, notFound("refresh token")
	}
	return rt.Clone(), nil
}

// RotateRefreshToken marks the token oldHash rotated at now, when it is
// neither rotated nor revoked, and stores a copy of next. It returns
// storage.ErrNotFound for an unknown oldHash, storage.ErrConflict for a
// rotated or revoked one and a *storage.DuplicateError with Field "token" when
// next's hash is taken; nothing is written then.
func (s *Store) RotateRefreshToken(_ context.Context, oldHash []byte, next *storage.RefreshToken, now time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	h := string(oldHash)
	old, ok := d.tokens[h]
	if !ok {
		return notFound("refresh token")
	}
	if !old.RotatedAt.IsZero() || !old.RevokedAt.IsZero() {
		return conflict("refresh token already rotated or revoked")
	}
	if _, ok := d.tokens[string(next.Hash)]; ok {
		return duplicate("token")
	}
	r := *old
	r.RotatedAt = now
	put(t, d.tokens, h, &r)
	d.addToken(t, next.Clone())
	return nil
}

// RevokeFamily sets RevokedAt = now on every token of the family that is not
// revoked yet (a token keeps its first revocation time). An unknown family is
// not an error.
func (s *Store) RevokeFamily(_ context.Context, familyID string, now time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	s.d.revokeFamily(t, familyID, now)
	return nil
}

func (d *data) revokeFamily(t *txn, familyID string, now time.Time) {
	for _, h := range d.families[familyID] {
		old := d.tokens[h]
		if !old.RevokedAt.IsZero() {
			continue
		}
		r := *old
		r.RevokedAt = now
		put(t, d.tokens, h, &r)
	}
}

// RevokeUserSessions revokes every token of every family of the user, as
// RevokeFamily does.
func (s *Store) RevokeUserSessions(_ context.Context, userID string, now time.Time) error {
	s.revokeUserSessions(userID, func(string) bool { return false }, now)
	return nil
}

// RevokeUserSessionsExcept revokes, as RevokeFamily does, every family of
// the user but keep.
func (s *Store) RevokeUserSessionsExcept(_ context.Context, userID, keep string, now time.Time) error {
	s.revokeUserSessions(userID, func(f string) bool { return f == keep }, now)
	return nil
}

func (s *Store) revokeUserSessions(userID string, kept func(family string) bool, now time.Time) {
	t := s.lock()
	defer s.unlock(t)
	for _, f := range s.d.userFamily[userID] {
		if !kept(f) {
			s.d.revokeFamily(t, f, now)
		}
	}
}

// FamilyRevoked reports whether a token of the family is revoked, or
// returns storage.ErrNotFound for a family without tokens.
func (s *Store) FamilyRevoked(_ context.Context, familyID string) (bool, error) {
	t := s.lock()
	defer s.unlock(t)
	hashes := s.d.families[familyID]
	if len(hashes) == 0 {
		return false, notFound("refresh token family")
	}
	for _, h := range hashes {
		if !s.d.tokens[h].RevokedAt.IsZero() {
			return true, nil
		}
	}
	return false, nil
}

// ListSessions returns copies of the user's live tokens: neither rotated
// nor revoked, ExpiresAt after now and, when maxAge > 0, FamilyCreatedAt
// + maxAge after now. That is the current token of each live family (a
// family has one unrotated token), newest family first: the greatest
// FamilyCreatedAt, then FamilyID in byte order. None is an empty list.
func (s *Store) ListSessions(_ context.Context, userID string, now time.Time, maxAge time.Duration) ([]*storage.RefreshToken, error) {
	t := s.lock()
	defer s.unlock(t)
	out := []*storage.RefreshToken{}
	for _, h := range s.d.userTokens[userID] {
		rt := s.d.tokens[h]
		if rt.RotatedAt.IsZero() && rt.RevokedAt.IsZero() && rt.ExpiresAt.After(now) &&
			(maxAge <= 0 || rt.FamilyCreatedAt.Add(maxAge).After(now)) {
			out = append(out, rt.Clone())
		}
	}
	slices.SortFunc(out, func(a, b *storage.RefreshToken) int {
		if n := b.FamilyCreatedAt.Compare(a.FamilyCreatedAt); n != 0 {
			return n
		}
		return strings.Compare(a.FamilyID, b.FamilyID)
	})
	return out, nil
}
