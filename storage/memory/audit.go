package memory

import (
	"context"
	"maps"
	"slices"

	"github.com/onboardkit/onboardkit/storage"
)

func cloneEvent(e *storage.Event) *storage.Event {
	c := *e
	c.Data = maps.Clone(e.Data)
	return &c
}

// AppendEvent appends a copy of e. A taken non-empty id returns a
// *storage.DuplicateError with Field "id".
func (s *Store) AppendEvent(_ context.Context, e *storage.Event) error {
	t := s.lock()
	defer s.unlock(t)
	if e.ID != "" {
		if s.d.eventIDs[e.ID] {
			return duplicate("id")
		}
		put(t, s.d.eventIDs, e.ID, true)
	}
	appendTo(t, s.d.events, e.UserID, cloneEvent(e))
	return nil
}

// ListEvents returns copies of the user's events, oldest At first (append
// order among equals), the first limit of them (all when limit <= 0).
func (s *Store) ListEvents(_ context.Context, userID string, limit int) ([]*storage.Event, error) {
	t := s.lock()
	defer s.unlock(t)
	evs := s.d.events[userID]
	sorted := slices.IsSortedFunc(evs, func(a, b *storage.Event) int { return a.At.Compare(b.At) })
	if !sorted {
		evs = slices.Clone(evs)
		slices.SortStableFunc(evs, func(a, b *storage.Event) int { return a.At.Compare(b.At) })
	}
	if limit > 0 && len(evs) > limit {
		evs = evs[:limit]
	}
	out := make([]*storage.Event, len(evs))
	for i, e := range evs {
		out[i] = cloneEvent(e)
	}
	return out, nil
}
