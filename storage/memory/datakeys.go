package memory

import (
	"context"
	"slices"

	"github.com/onboardkit/onboardkit/storage"
)

// CreateDataKey stores a copy of k. A user that has a key already returns
// a *storage.DuplicateError with Field "user_id". The user id need not
// name a stored user.
func (s *Store) CreateDataKey(_ context.Context, k *storage.DataKey) error {
	t := s.lock()
	defer s.unlock(t)
	if _, ok := s.d.dataKeys[k.UserID]; ok {
		return duplicate("user_id")
	}
	put(t, s.d.dataKeys, k.UserID, k.Clone())
	return nil
}

// GetDataKey returns a copy of the user's key, or storage.ErrNotFound.
func (s *Store) GetDataKey(_ context.Context, userID string) (*storage.DataKey, error) {
	t := s.lock()
	defer s.unlock(t)
	k, ok := s.d.dataKeys[userID]
	if !ok {
		return nil, notFound("data key")
	}
	return k.Clone(), nil
}

// UpdateDataKey replaces the stored key of k.UserID by a copy of k when
// the stored KeyRef equals prevKeyRef; otherwise it returns
// storage.ErrConflict (storage.ErrNotFound when there is no key).
func (s *Store) UpdateDataKey(_ context.Context, k *storage.DataKey, prevKeyRef string) error {
	t := s.lock()
	defer s.unlock(t)
	old, ok := s.d.dataKeys[k.UserID]
	if !ok {
		return notFound("data key")
	}
	if old.KeyRef != prevKeyRef {
		return conflict("data key wrapped by another key")
	}
	put(t, s.d.dataKeys, k.UserID, k.Clone())
	return nil
}

// DeleteDataKey deletes the user's key, or returns storage.ErrNotFound.
func (s *Store) DeleteDataKey(_ context.Context, userID string) error {
	t := s.lock()
	defer s.unlock(t)
	if _, ok := s.d.dataKeys[userID]; !ok {
		return notFound("data key")
	}
	del(t, s.d.dataKeys, userID)
	return nil
}

// ListDataKeys returns copies of up to limit keys (all when limit <= 0) of
// users whose id is greater than after, in byte order of the user ids.
func (s *Store) ListDataKeys(_ context.Context, after string, limit int) ([]*storage.DataKey, error) {
	t := s.lock()
	defer s.unlock(t)
	var ids []string
	for id := range s.d.dataKeys {
		if id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]*storage.DataKey, len(ids))
	for i, id := range ids {
		out[i] = s.d.dataKeys[id].Clone()
	}
	return out, nil
}
