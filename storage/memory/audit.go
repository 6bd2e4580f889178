package memory

import (
	"cmp"
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

// AppendEvent appends a copy of e and sets e.Seq to the store's next
// sequence number. A taken non-empty id returns a *storage.DuplicateError
// with Field "id". Like a database sequence, the counter is not rolled
// back with a Tx: a failed unit of work leaves a gap. The event joins the
// queue of events EnqueueDeliveries takes.
func (s *Store) AppendEvent(_ context.Context, e *storage.Event) error {
	t := s.lock()
	defer s.unlock(t)
	if e.ID != "" {
		if s.d.eventIDs[e.ID] {
			return duplicate("id")
		}
		put(t, s.d.eventIDs, e.ID, true)
	}
	s.d.eventSeq++
	c := cloneEvent(e)
	c.Seq = s.d.eventSeq
	appendTo(t, s.d.events, c.UserID, c)
	assign(t, &s.d.queue, append(s.d.queue, c))
	e.Seq = c.Seq
	return nil
}

// ListEvents returns copies of the user's events with a Seq greater than
// after, in Seq (append) order, the first limit of them (all when limit <=
// 0).
func (s *Store) ListEvents(_ context.Context, userID string, after int64, limit int) ([]*storage.Event, error) {
	t := s.lock()
	defer s.unlock(t)
	evs := s.d.events[userID] // in append order, so by Seq
	i, found := slices.BinarySearchFunc(evs, after, func(e *storage.Event, seq int64) int { return cmp.Compare(e.Seq, seq) })
	if found {
		i++
	}
	evs = evs[i:]
	if limit > 0 && len(evs) > limit {
		evs = evs[:limit]
	}
	out := make([]*storage.Event, len(evs))
	for i, e := range evs {
		out[i] = cloneEvent(e)
	}
	return out, nil
}
