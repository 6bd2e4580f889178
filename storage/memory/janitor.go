package memory

import (
	"bytes"
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// The storage.Janitor methods scan the records of their kind under the
// store lock, pick the oldest ones that serve no more (at most limit,
// every one when limit <= 0) and delete them with their index entries.
// Inside a Tx the deletions are undone with the unit. A zero time is never
// before before (as a NULL in SQL): records without the time are kept.

// olderThan reports whether t is set and before before.
func olderThan(t, before time.Time) bool { return !t.IsZero() && t.Before(before) }

// take returns the first limit elements of s (all when limit <= 0).
func take[T any](s []T, limit int) []T {
	if limit > 0 && len(s) > limit {
		return s[:limit]
	}
	return s
}

// PruneChallenges deletes the challenges whose ExpiresAt is before before,
// the earliest first.
func (s *Store) PruneChallenges(_ context.Context, before time.Time, limit int) (int, error) {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	var old []*storage.Challenge
	for _, c := range d.challenges {
		if olderThan(c.ExpiresAt, before) {
			old = append(old, c)
		}
	}
	slices.SortFunc(old, func(a, b *storage.Challenge) int {
		return cmp.Or(a.ExpiresAt.Compare(b.ExpiresAt), strings.Compare(a.ID, b.ID))
	})
	old = take(old, limit)
	for _, c := range old {
		del(t, d.challenges, c.ID)
		if c.UserID != "" {
			removeFrom(t, d.userChal, c.UserID, c.ID)
		}
	}
	return len(old), nil
}

// tokenEnd is when a refresh token ended: the earlier of its revocation
// and its idle expiry (zero when it has neither).
func tokenEnd(rt *storage.RefreshToken) time.Time {
	switch {
	case rt.RevokedAt.IsZero():
		return rt.ExpiresAt
	case rt.ExpiresAt.IsZero() || rt.RevokedAt.Before(rt.ExpiresAt):
		return rt.RevokedAt
	}
	return rt.ExpiresAt
}

// PruneRefreshTokens deletes the tokens of the families whose every token
// was revoked or expired before before, the tokens that ended earliest
// first. A family cut by the limit keeps its other tokens, all ended,
// until the next call.
func (s *Store) PruneRefreshTokens(_ context.Context, before time.Time, limit int) (int, error) {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	var old []*storage.RefreshToken
	for _, hashes := range d.families {
		ended := true
		for _, h := range hashes {
			if !olderThan(tokenEnd(d.tokens[h]), before) {
				ended = false
				break
			}
		}
		if ended {
			for _, h := range hashes {
				old = append(old, d.tokens[h])
			}
		}
	}
	slices.SortFunc(old, func(a, b *storage.RefreshToken) int {
		return cmp.Or(tokenEnd(a).Compare(tokenEnd(b)), bytes.Compare(a.Hash, b.Hash))
	})
	old = take(old, limit)
	for _, rt := range old {
		h := string(rt.Hash)
		del(t, d.tokens, h)
		if rt.UserID != "" {
			removeFrom(t, d.userTokens, rt.UserID, h)
		}
		removeFrom(t, d.families, rt.FamilyID, h)
		if len(d.families[rt.FamilyID]) == 0 && d.familyKnown[rt.FamilyID] {
			del(t, d.familyKnown, rt.FamilyID)
			removeFrom(t, d.userFamily, rt.UserID, rt.FamilyID)
		}
	}
	return len(old), nil
}

// unixNano is t.UnixNano clamped to the int64 range (UnixNano is
// undefined outside the years 1678 to 2262).
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// PruneSendCounts deletes the send counters of windows that started
// before before, the oldest windows first.
func (s *Store) PruneSendCounts(_ context.Context, before time.Time, limit int) (int, error) {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	cut := unixNano(before)
	var old []sendKey
	for k := range d.sends {
		if k.start < cut {
			old = append(old, k)
		}
	}
	slices.SortFunc(old, func(a, b sendKey) int {
		return cmp.Or(cmp.Compare(a.start, b.start), strings.Compare(a.key, b.key))
	})
	old = take(old, limit)
	for _, k := range old {
		del(t, d.sends, k)
	}
	return len(old), nil
}

// PruneLoginThrottles deletes the throttles whose last counted failure is
// before before and that are not blocked at before, the least recently
// touched first.
func (s *Store) PruneLoginThrottles(_ context.Context, before time.Time, limit int) (int, error) {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	type entry struct {
		key     string
		touched time.Time
	}
	var old []entry
	for k, th := range d.throttles {
		if olderThan(th.updatedAt, before) && !before.Before(th.blockedUntil) {
			old = append(old, entry{k, th.updatedAt})
		}
	}
	slices.SortFunc(old, func(a, b entry) int {
		return cmp.Or(a.touched.Compare(b.touched), strings.Compare(a.key, b.key))
	})
	old = take(old, limit)
	for _, e := range old {
		del(t, d.throttles, e.key)
	}
	return len(old), nil
}

// PruneEvents deletes the events appended (At) before before that are
// enqueued and have no pending delivery, the oldest first, with their
// deliveries.
func (s *Store) PruneEvents(_ context.Context, before time.Time, limit int) (int, error) {
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	waiting := map[int64]bool{} // events not enqueued yet, or with a pending delivery
	for _, e := range d.queue {
		waiting[e.Seq] = true
	}
	for _, k := range d.pending {
		waiting[k.seq] = true
	}
	var old []*storage.Event
	for _, evs := range d.events {
		for _, e := range evs {
			if olderThan(e.At, before) && !waiting[e.Seq] {
				old = append(old, e)
			}
		}
	}
	slices.SortFunc(old, func(a, b *storage.Event) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Seq, b.Seq))
	})
	old = take(old, limit)
	if len(old) == 0 {
		return 0, nil
	}
	gone := map[int64]bool{}
	users := map[string]bool{}
	for _, e := range old {
		gone[e.Seq] = true
		users[e.UserID] = true
		if e.ID != "" {
			del(t, d.eventIDs, e.ID)
		}
	}
	for u := range users {
		removeIf(t, d.events, u, func(e *storage.Event) bool { return gone[e.Seq] })
	}
	if slices.ContainsFunc(d.allDeliveries, func(k deliveryKey) bool { return gone[k.seq] }) {
		for _, k := range d.allDeliveries {
			if gone[k.seq] {
				del(t, d.deliveries, k)
			}
		}
		assign(t, &d.allDeliveries, slices.DeleteFunc(slices.Clone(d.allDeliveries), func(k deliveryKey) bool { return gone[k.seq] }))
	}
	return len(old), nil
}
