package memory

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// deliveryKey names a delivery: its endpoint and its event's Seq.
type deliveryKey struct {
	endpoint string
	seq      int64
}

func compareKeys(a, b deliveryKey) int {
	return cmp.Or(cmp.Compare(a.seq, b.seq), cmp.Compare(a.endpoint, b.endpoint))
}

// userKey names the deliveries of one user to one endpoint.
type userKey struct{ endpoint, user string }

type providerKey struct{ provider, eventID string }

// assign sets *p = v, recording the previous value in t. Slices assigned
// so are only ever appended to or resliced in place (a removal or an
// insertion assigns a new slice), and the undo restores the old header, so
// the elements an old header covers never change.
func assign[V any](t *txn, p *V, v V) {
	if t != nil {
		old := *p
		t.undo = append(t.undo, func() { *p = old })
	}
	*p = v
}

func cloneDelivery(d *storage.Delivery) *storage.Delivery {
	c := *d
	c.Event.Data = maps.Clone(d.Event.Data)
	return &c
}

var (
	errEmptyEndpoint = errors.New("memory: empty webhook endpoint id")
	errEmptyToken    = errors.New("memory: empty claim token")
)

// EnqueueDeliveries takes up to limit events of the queue of events not
// enqueued yet (AppendEvent adds to it, in Seq order), creates a pending
// delivery to each endpoint for each, and returns how many it took. The
// store lock makes it atomic; inside a Tx it is undone with the unit (an
// event appended in a unit of work is in the queue only once the unit
// commits, for every other caller).
func (s *Store) EnqueueDeliveries(_ context.Context, endpointIDs []string, now time.Time, limit int) (int, error) {
	eps := slices.Clone(endpointIDs)
	slices.Sort(eps)
	eps = slices.Compact(eps)
	if len(eps) > 0 && eps[0] == "" {
		return 0, errEmptyEndpoint
	}
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	n := min(max(limit, 0), len(d.queue))
	if n == 0 {
		return 0, nil
	}
	// Every event of the queue has a greater Seq than every event enqueued
	// before it, so the new keys sort after every stored one.
	var keys []deliveryKey
	for _, e := range d.queue[:n] {
		for _, ep := range eps {
			k := deliveryKey{ep, e.Seq}
			put(t, d.deliveries, k, &storage.Delivery{
				EndpointID: ep, Event: *e, State: storage.DeliveryPending,
				NextAttemptAt: now, CreatedAt: now,
			})
			keys = append(keys, k)
		}
	}
	assign(t, &d.queue, d.queue[n:])
	assign(t, &d.allDeliveries, append(d.allDeliveries, keys...))
	assign(t, &d.pending, append(d.pending, keys...))
	return n, nil
}

// ClaimDeliveries walks the pending deliveries in (Seq, endpoint) order
// and leases the first limit that are due, not leased at now and not held
// back by an earlier pending delivery of their user to their endpoint.
func (s *Store) ClaimDeliveries(_ context.Context, token string, now time.Time, lease time.Duration, limit int) ([]*storage.Delivery, error) {
	if token == "" {
		return nil, errEmptyToken
	}
	t := s.lock()
	defer s.unlock(t)
	d := s.d
	out := []*storage.Delivery{}
	held := map[userKey]bool{} // (endpoint, user) with an earlier pending delivery
	for _, k := range d.pending {
		if len(out) >= limit {
			break
		}
		dl := d.deliveries[k]
		if u := dl.Event.UserID; u != "" {
			uk := userKey{k.endpoint, u}
			if held[uk] {
				continue
			}
			held[uk] = true
		}
		if dl.NextAttemptAt.After(now) || dl.LeaseUntil.After(now) {
			continue
		}
		c := *dl
		c.ClaimToken, c.LeaseUntil = token, now.Add(lease)
		put(t, d.deliveries, k, &c)
		out = append(out, cloneDelivery(&c))
	}
	return out, nil
}

// rewrite stores a copy of the delivery (endpoint, seq) with its lease
// released and change applied, when allowed holds for it; otherwise it
// returns storage.ErrConflict with the message msg, or
// storage.ErrNotFound when there is no such delivery.
func (s *Store) rewrite(endpointID string, seq int64, allowed func(*storage.Delivery) bool, msg string, change func(*storage.Delivery)) error {
	t := s.lock()
	defer s.unlock(t)
	dl, ok := s.d.deliveries[deliveryKey{endpointID, seq}]
	if !ok {
		return notFound("delivery")
	}
	if !allowed(dl) {
		return conflict(msg)
	}
	c := *dl
	c.ClaimToken, c.LeaseUntil = "", time.Time{}
	change(&c)
	s.d.update(t, &c)
	return nil
}

// heldBy reports whether the delivery is pending and token holds it.
func heldBy(token string) func(*storage.Delivery) bool {
	return func(d *storage.Delivery) bool {
		return d.State == storage.DeliveryPending && token != "" && d.ClaimToken == token
	}
}

const notHeld = "delivery not held by the claim"

// CompleteDelivery marks the delivery delivered when token holds it.
func (s *Store) CompleteDelivery(_ context.Context, endpointID string, seq int64, token string, now time.Time) error {
	return s.rewrite(endpointID, seq, heldBy(token), notHeld, func(c *storage.Delivery) {
		c.State, c.DeliveredAt = storage.DeliveryDelivered, now
	})
}

// FailDelivery records a failed attempt when token holds the delivery.
func (s *Store) FailDelivery(_ context.Context, endpointID string, seq int64, token string, status int, reason string, next time.Time, final bool) error {
	return s.rewrite(endpointID, seq, heldBy(token), notHeld, func(c *storage.Delivery) {
		c.Attempts++
		c.LastStatus, c.LastError = status, reason
		if final {
			c.State = storage.DeliveryFailed
		} else {
			c.NextAttemptAt = next
		}
	})
}

// ReplayDelivery makes a failed delivery pending again, due at now.
func (s *Store) ReplayDelivery(_ context.Context, endpointID string, seq int64, now time.Time) error {
	failed := func(d *storage.Delivery) bool { return d.State == storage.DeliveryFailed }
	return s.rewrite(endpointID, seq, failed, "delivery not failed", func(c *storage.Delivery) {
		c.State, c.Attempts, c.NextAttemptAt = storage.DeliveryPending, 0, now
	})
}

// update stores c in place of the delivery of its key, keeping the list of
// pending deliveries in step with its state.
func (d *data) update(t *txn, c *storage.Delivery) {
	k := deliveryKey{c.EndpointID, c.Event.Seq}
	was := d.deliveries[k].State == storage.DeliveryPending
	put(t, d.deliveries, k, c)
	is := c.State == storage.DeliveryPending
	if was == is {
		return
	}
	i, _ := slices.BinarySearchFunc(d.pending, k, compareKeys)
	if is {
		assign(t, &d.pending, slices.Insert(slices.Clone(d.pending), i, k))
	} else {
		assign(t, &d.pending, slices.Delete(slices.Clone(d.pending), i, i+1))
	}
}

// ListDeliveries returns copies of the deliveries q selects, in (Seq,
// endpoint) order.
func (s *Store) ListDeliveries(_ context.Context, q storage.DeliveryQuery) ([]*storage.Delivery, error) {
	t := s.lock()
	defer s.unlock(t)
	keys := s.d.allDeliveries
	i, _ := slices.BinarySearchFunc(keys, q.After, func(k deliveryKey, seq int64) int {
		// The first key of a Seq after q.After.
		if k.seq <= seq {
			return -1
		}
		return 1
	})
	out := []*storage.Delivery{}
	for _, k := range keys[i:] {
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
		dl := s.d.deliveries[k]
		if (q.EndpointID == "" || k.endpoint == q.EndpointID) && (q.State == "" || dl.State == q.State) {
			out = append(out, cloneDelivery(dl))
		}
	}
	return out, nil
}

// RecordProviderEvent stores the pair, or returns a
// *storage.DuplicateError with Field "event_id" when it is stored already.
func (s *Store) RecordProviderEvent(_ context.Context, provider, eventID string, at time.Time) error {
	t := s.lock()
	defer s.unlock(t)
	k := providerKey{provider, eventID}
	if _, ok := s.d.provEvents[k]; ok {
		return duplicate("event_id")
	}
	put(t, s.d.provEvents, k, at)
	return nil
}
