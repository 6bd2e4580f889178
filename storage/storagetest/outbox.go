package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// The outbox tests' clocks: each test runs in an hour of its own, counted
// down from a random day of the twentieth century drawn per run, so that
// the deliveries earlier tests of the run left pending (due and leased in
// later hours) are never due, nor their leases over, in a later test's
// hour (see the package documentation).
var (
	outboxEpoch   time.Time
	outboxWindows atomic.Int64
)

func init() {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("storagetest: reading random outbox epoch: " + err.Error())
	}
	days := binary.BigEndian.Uint32(b[:]) % 36500
	outboxEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -int(days))
}

// outbox is the fixture of an outbox test: its clock (an hour of its own)
// and helpers.
type outbox struct {
	*fixture
	w time.Time
}

// outbox starts an outbox test: it takes the hour of the test and
// enqueues, to no endpoint, every event other tests left not enqueued, so
// that the test's own events are the only ones its enqueues take.
func (f *fixture) outbox() *outbox {
	f.Helper()
	o := &outbox{fixture: f, w: outboxEpoch.Add(-time.Duration(outboxWindows.Add(1)) * time.Hour)}
	for range 10000 {
		n, err := f.s.EnqueueDeliveries(f.ctx, nil, o.at(0), 1000)
		f.ok(err, "EnqueueDeliveries to no endpoint (the events of other tests)")
		if n == 0 {
			return o
		}
	}
	f.Fatalf("EnqueueDeliveries to no endpoint never ran out of events")
	return nil
}

// at returns the test's hour plus sec seconds.
func (o *outbox) at(sec int) time.Time { return o.w.Add(time.Duration(sec) * time.Second) }

// endpoints returns n endpoint ids unique to the test, in byte order.
func endpoints(n int) []string {
	prefix := id("ep")
	eps := make([]string, n)
	for i := range eps {
		eps[i] = fmt.Sprintf("%s-%c", prefix, 'a'+i)
	}
	return eps
}

// enqueueAndClaim enqueues what s can take to eps and claims up to 10
// deliveries with the token t0, at the test's start.
func (o *outbox) enqueueAndClaim(s storage.Store, eps []string) ([]*storage.Delivery, error) {
	if _, err := s.EnqueueDeliveries(o.ctx, eps, o.at(0), 10); err != nil {
		return nil, err
	}
	return s.ClaimDeliveries(o.ctx, "t0", o.at(0), time.Hour, 10)
}

// inOrder checks the end of an order test, where a unit held a user's
// event 1 (evs[0]) while the other replica claimed (claimed): that claim
// has no delivery of event 2; once everything is enqueued, the claims give
// event 1 alone and, after its delivery, event 2.
func (o *outbox) inOrder(eps []string, evs []*storage.Event, claimed []*storage.Delivery) {
	o.Helper()
	for _, d := range claimed {
		o.check(d.Event.Seq != evs[1].Seq, "a claim returned the user's event 2 while event 1 was held")
	}
	o.enqueue(eps, 0, 10)
	ds := claimed
	if len(ds) == 0 {
		ds = o.claim("t1", 0, time.Hour, 10)
	}
	o.check(len(ds) == 1 && ds[0].Event.Seq == evs[0].Seq, "the first claim did not return event 1 alone: %v", keys(ds))
	o.complete(ds[0], 1)
	ds = o.claim("t2", 2, time.Hour, 10)
	o.check(len(ds) == 1 && ds[0].Event.Seq == evs[1].Seq, "the second claim did not return event 2: %v", keys(ds))
}

// appendEvents appends one event of each of the users ("" for none) and
// returns them with their Seq.
func (o *outbox) appendEvents(users ...string) []*storage.Event {
	o.Helper()
	evs := make([]*storage.Event, len(users))
	for i, u := range users {
		evs[i] = o.newEvent(u, i)
		o.ok(o.s.AppendEvent(o.ctx, evs[i]), "AppendEvent")
	}
	return evs
}

func (o *outbox) enqueue(eps []string, sec, limit int) int {
	o.Helper()
	n, err := o.s.EnqueueDeliveries(o.ctx, eps, o.at(sec), limit)
	o.ok(err, fmt.Sprintf("EnqueueDeliveries(%d endpoints, limit %d)", len(eps), limit))
	o.check(n >= 0 && (limit <= 0 && n == 0 || n <= limit), "EnqueueDeliveries with limit %d took %d events", limit, n)
	return n
}

func (o *outbox) claim(token string, sec int, lease time.Duration, limit int) []*storage.Delivery {
	o.Helper()
	ds, err := o.s.ClaimDeliveries(o.ctx, token, o.at(sec), lease, limit)
	o.ok(err, fmt.Sprintf("ClaimDeliveries(%s, limit %d)", o.at(sec).Format(time.TimeOnly), limit))
	o.check(len(ds) <= max(limit, 0), "ClaimDeliveries with limit %d claimed %d", limit, len(ds))
	return ds
}

func (o *outbox) list(q storage.DeliveryQuery) []*storage.Delivery {
	o.Helper()
	ds, err := o.s.ListDeliveries(o.ctx, q)
	o.ok(err, fmt.Sprintf("ListDeliveries(%+v)", q))
	o.check(q.Limit <= 0 || len(ds) <= q.Limit, "ListDeliveries with limit %d returned %d", q.Limit, len(ds))
	return ds
}

// of returns the deliveries to the endpoint.
func (o *outbox) of(ep string) []*storage.Delivery {
	o.Helper()
	return o.list(storage.DeliveryQuery{EndpointID: ep})
}

// get returns the delivery of e to ep.
func (o *outbox) get(ep string, e *storage.Event) *storage.Delivery {
	o.Helper()
	ds := o.list(storage.DeliveryQuery{EndpointID: ep, After: e.Seq - 1, Limit: 1})
	o.check(len(ds) == 1 && ds[0].Event.Seq == e.Seq, "no delivery of event %d to %s", e.Seq, ep)
	return ds[0]
}

func (o *outbox) complete(d *storage.Delivery, sec int) {
	o.Helper()
	o.ok(o.s.CompleteDelivery(o.ctx, d.EndpointID, d.Event.Seq, d.ClaimToken, o.at(sec)), "CompleteDelivery")
}

// pending returns the delivery of e to ep that an enqueue at sec creates.
func (o *outbox) pending(ep string, e *storage.Event, sec int) *storage.Delivery {
	return &storage.Delivery{EndpointID: ep, Event: *e, State: storage.DeliveryPending,
		NextAttemptAt: o.at(sec), CreatedAt: o.at(sec)}
}

// deliveries returns the deliveries of each event to each endpoint that an
// enqueue at sec creates, in (Seq, endpoint) order.
func (o *outbox) deliveries(eps []string, evs []*storage.Event, sec int) []*storage.Delivery {
	var ds []*storage.Delivery
	for _, e := range evs {
		for _, ep := range eps {
			ds = append(ds, o.pending(ep, e, sec))
		}
	}
	return ds
}

// leased returns copies of ds held by token until until.
func leased(ds []*storage.Delivery, token string, until time.Time) []*storage.Delivery {
	out := make([]*storage.Delivery, len(ds))
	for i, d := range ds {
		c := *d
		c.ClaimToken, c.LeaseUntil = token, until
		out[i] = &c
	}
	return out
}

// dkey names a delivery in messages and sets.
type dkey struct {
	ep  string
	seq int64
}

func keys(ds []*storage.Delivery) []dkey {
	out := make([]dkey, len(ds))
	for i, d := range ds {
		out[i] = dkey{d.EndpointID, d.Event.Seq}
	}
	return out
}

// keysOf returns the keys of the deliveries of each event to each
// endpoint, in (Seq, endpoint) order.
func keysOf(eps []string, evs ...*storage.Event) []dkey {
	var out []dkey
	for _, e := range evs {
		for _, ep := range eps {
			out = append(out, dkey{ep, e.Seq})
		}
	}
	return out
}

var outboxTests = []test{
	{"EnqueueCreatesDeliveries", func(f *fixture) {
		o := f.outbox()
		u := f.userID()
		evs := o.appendEvents(u, u, "")
		eps := endpoints(2)
		n := o.enqueue([]string{eps[1], eps[0], eps[1]}, 5, 100)
		f.check(n == 3, "EnqueueDeliveries took %d events, want 3", n)
		for _, ep := range eps {
			f.equal(o.of(ep), o.deliveries([]string{ep}, evs, 5), "the deliveries to one endpoint")
		}
		f.equal(o.list(storage.DeliveryQuery{After: evs[0].Seq - 1}), o.deliveries(eps, evs, 5),
			"the deliveries to every endpoint, by (Seq, endpoint)")

		f.check(o.enqueue(eps, 6, 100) == 0, "EnqueueDeliveries took enqueued events again")
		f.equal(o.list(storage.DeliveryQuery{After: evs[0].Seq - 1}), o.deliveries(eps, evs, 5),
			"the deliveries after a second enqueue")
		f.equal(f.events(u), evs[:2], "ListEvents of enqueued events")
	}},
	{"EnqueueLimit", func(f *fixture) {
		o := f.outbox()
		u := f.userID()
		evs := o.appendEvents(u, "", u, u, "")
		eps := endpoints(1)
		_, err := f.s.EnqueueDeliveries(f.ctx, []string{eps[0], ""}, o.at(0), 10)
		f.check(err != nil, "EnqueueDeliveries to an empty endpoint id succeeded")
		taken := 0
		for i, tc := range []struct{ limit, want int }{{0, 0}, {-1, 0}, {2, 2}, {2, 2}, {2, 1}, {2, 0}} {
			n := o.enqueue(eps, i, tc.limit)
			f.check(n == tc.want, "enqueue %d with limit %d took %d events, want %d", i, tc.limit, n, tc.want)
			taken += n
			f.equal(keys(o.of(eps[0])), keysOf(eps, evs[:taken]...), fmt.Sprintf("the deliveries after enqueue %d (lowest Seq first)", i))
		}
	}},
	{"EnqueueWithoutEndpoints", func(f *fixture) {
		o := f.outbox()
		evs := o.appendEvents(f.userID(), "")
		f.check(o.enqueue(nil, 0, 10) == 2, "EnqueueDeliveries to no endpoint did not take the 2 events")
		o.appendEvents("")
		f.check(o.enqueue([]string{}, 0, 10) == 1, "EnqueueDeliveries to an empty list did not take the event")
		eps := endpoints(1)
		f.check(o.enqueue(eps, 0, 10) == 0, "events enqueued to no endpoint were taken again")
		f.equal(o.list(storage.DeliveryQuery{After: evs[0].Seq - 1}), []*storage.Delivery(nil), "deliveries of events enqueued to no endpoint")
	}},
	{"EnqueueInTx", func(f *fixture) {
		o := f.outbox()
		eps, u := endpoints(1), f.userID()
		appendAndEnqueue := func(e *storage.Event) func(ctx context.Context, s storage.Store) error {
			return func(ctx context.Context, s storage.Store) error {
				if err := s.AppendEvent(ctx, e); err != nil {
					return err
				}
				// The unit's own event, not committed yet, is taken in it.
				if n, err := s.EnqueueDeliveries(ctx, eps, o.at(1), 10); err != nil || n != 1 {
					return fmt.Errorf("EnqueueDeliveries in the Tx: %d, %v", n, err)
				}
				return nil
			}
		}
		rolled := f.newEvent(u, 0)
		f.is(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := appendAndEnqueue(rolled)(ctx, s); err != nil {
				return err
			}
			return errRollback
		}), errRollback, "Tx appending and enqueuing an event")
		f.is(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := s.AppendEvent(ctx, f.newEvent(u, 1)); err != nil {
				return err
			}
			return errRollback
		}), errRollback, "Tx appending an event")
		f.check(o.enqueue(eps, 2, 10) == 0, "EnqueueDeliveries took an event of a rolled-back Tx")
		f.equal(o.of(eps[0]), []*storage.Delivery(nil), "the deliveries after rolled-back units")

		// A committed event enqueued in a rolled-back Tx is taken again.
		committed := o.appendEvents(u)[0]
		f.is(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if n, err := s.EnqueueDeliveries(ctx, eps, o.at(1), 10); err != nil || n != 1 {
				return fmt.Errorf("EnqueueDeliveries of a committed event in a Tx: %d, %v", n, err)
			}
			return errRollback
		}), errRollback, "Tx enqueuing a committed event")
		f.equal(o.of(eps[0]), []*storage.Delivery(nil), "the deliveries of a rolled-back Tx")
		inTx := f.newEvent(u, 3)
		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if n, err := s.EnqueueDeliveries(ctx, eps, o.at(1), 10); err != nil || n != 1 {
				return fmt.Errorf("EnqueueDeliveries of a committed event in a Tx: %d, %v", n, err)
			}
			return appendAndEnqueue(inTx)(ctx, s)
		}), "Tx enqueuing a committed event, then appending and enqueuing one")
		f.equal(o.of(eps[0]), o.deliveries(eps, []*storage.Event{committed, inTx}, 1), "the deliveries of the committed Tx")
		f.check(o.enqueue(eps, 2, 10) == 0, "EnqueueDeliveries took events enqueued in a committed Tx again")
	}},
	{"ClaimDueLeaseLimit", func(f *fixture) {
		o := f.outbox()
		eps := endpoints(2)
		evs := o.appendEvents(f.userID(), f.userID(), "")
		o.enqueue(eps, 0, 10)
		all := o.deliveries(eps, evs, 0)
		minute := time.Minute

		f.equal(o.claim("t0", -1, minute, 10), []*storage.Delivery(nil), "a claim before the deliveries are due")
		f.equal(o.claim("t0", 0, minute, 0), []*storage.Delivery(nil), "a claim with limit 0")
		_, err := f.s.ClaimDeliveries(f.ctx, "", o.at(0), minute, 10)
		f.check(err != nil, "a claim with an empty token succeeded")
		f.equal(o.claim("t1", 0, minute, 3), leased(all[:3], "t1", o.at(60)), "a claim of 3, lowest Seq then endpoint first")
		f.equal(o.claim("t2", 10, minute, 10), leased(all[3:], "t2", o.at(70)), "a claim of the deliveries not leased")
		f.equal(o.claim("t3", 59, minute, 10), []*storage.Delivery(nil), "a claim while every lease lives")
		f.equal(o.claim("t3", 60, minute, 10), leased(all[:3], "t3", o.at(120)), "a claim when the first leases run out")
		f.equal(o.of(eps[1]), slices.Concat(leased([]*storage.Delivery{all[1]}, "t3", o.at(120)),
			leased([]*storage.Delivery{all[3], all[5]}, "t2", o.at(70))), "ListDeliveries shows the leases")
	}},
	{"LeaseRunsOut", func(f *fixture) {
		o := f.outbox()
		eps := endpoints(1)
		evs := o.appendEvents(f.userID(), f.userID())
		o.enqueue(eps, 0, 10)
		first := o.claim("old", 0, 30*time.Second, 1)
		f.check(len(first) == 1, "claimed %d deliveries, want 1", len(first))
		again := o.claim("new", 30, 30*time.Second, 1)
		f.equal(keys(again), keys(first), "the delivery claimed again once its lease ran out")
		d := first[0]
		f.is(f.s.CompleteDelivery(f.ctx, d.EndpointID, d.Event.Seq, "old", o.at(31)), storage.ErrConflict,
			"CompleteDelivery by the token of a lease that ran out, claimed again")
		f.is(f.s.FailDelivery(f.ctx, d.EndpointID, d.Event.Seq, "old", 500, "x", o.at(90), false), storage.ErrConflict,
			"FailDelivery by the token of a lease that ran out, claimed again")
		o.complete(again[0], 32)
		want := o.pending(eps[0], evs[0], 0)
		want.State, want.DeliveredAt = storage.DeliveryDelivered, o.at(32)
		f.equal(o.get(eps[0], evs[0]), want, "the delivery completed by the new token")

		// Pinned: a lease that ran out still holds the delivery until
		// another claim takes it.
		late := o.claim("late", 40, 10*time.Second, 1)
		f.equal(keys(late), keysOf(eps, evs[1]), "the second delivery")
		o.complete(late[0], 100)
		f.check(o.get(eps[0], evs[1]).State == storage.DeliveryDelivered, "the late completion was not recorded")
	}},
	{"CompleteDelivery", func(f *fixture) {
		o := f.outbox()
		eps := endpoints(1)
		evs := o.appendEvents(f.userID(), f.userID())
		o.enqueue(eps, 0, 10)
		d := o.claim("tok", 0, time.Minute, 1)[0]
		for _, tc := range []struct {
			name  string
			ep    string
			seq   int64
			token string
			want  error
		}{
			{"of an unknown endpoint", eps[0] + "x", d.Event.Seq, "tok", storage.ErrNotFound},
			{"of an unknown event", eps[0], evs[1].Seq + 1_000_000, "tok", storage.ErrNotFound},
			{"with another token", eps[0], d.Event.Seq, "other", storage.ErrConflict},
			{"with an empty token", eps[0], d.Event.Seq, "", storage.ErrConflict},
			{"of a delivery never claimed", eps[0], evs[1].Seq, "tok", storage.ErrConflict},
			{"of a delivery never claimed, with an empty token", eps[0], evs[1].Seq, "", storage.ErrConflict},
		} {
			f.is(f.s.CompleteDelivery(f.ctx, tc.ep, tc.seq, tc.token, o.at(5)), tc.want, "CompleteDelivery "+tc.name)
			f.is(f.s.FailDelivery(f.ctx, tc.ep, tc.seq, tc.token, 500, "x", o.at(60), false), tc.want, "FailDelivery "+tc.name)
		}
		f.equal(o.get(eps[0], evs[0]), leased([]*storage.Delivery{o.pending(eps[0], evs[0], 0)}, "tok", o.at(60))[0],
			"the delivery after refused writes")
		f.equal(o.get(eps[0], evs[1]), o.pending(eps[0], evs[1], 0), "the other delivery after refused writes")

		o.complete(d, 5)
		want := o.pending(eps[0], evs[0], 0)
		want.State, want.DeliveredAt = storage.DeliveryDelivered, o.at(5)
		f.equal(o.get(eps[0], evs[0]), want, "the completed delivery")
		f.is(f.s.CompleteDelivery(f.ctx, eps[0], d.Event.Seq, "tok", o.at(6)), storage.ErrConflict, "CompleteDelivery again")
		f.is(f.s.FailDelivery(f.ctx, eps[0], d.Event.Seq, "tok", 500, "x", o.at(60), true), storage.ErrConflict, "FailDelivery of a delivered one")
		f.equal(keys(o.claim("next", 3600, time.Minute, 10)), keysOf(eps, evs[1]), "a claim after the completion")
		f.equal(o.get(eps[0], evs[0]), want, "the completed delivery after another claim")
	}},
	{"FailDelivery", func(f *fixture) {
		o := f.outbox()
		eps := endpoints(1)
		e := o.appendEvents(f.userID())[0]
		o.enqueue(eps, 0, 10)
		d := o.claim("t1", 0, time.Minute, 1)[0]
		f.ok(f.s.FailDelivery(f.ctx, d.EndpointID, e.Seq, "t1", 503, "service unavailable", o.at(60), false), "FailDelivery")
		want := o.pending(eps[0], e, 0)
		want.Attempts, want.LastStatus, want.LastError, want.NextAttemptAt = 1, 503, "service unavailable", o.at(60)
		f.equal(o.get(eps[0], e), want, "the delivery after a failed attempt")
		f.is(f.s.FailDelivery(f.ctx, d.EndpointID, e.Seq, "t1", 503, "again", o.at(60), false), storage.ErrConflict,
			"FailDelivery after the lease was released")
		f.equal(o.claim("t2", 59, time.Minute, 10), []*storage.Delivery(nil), "a claim before the next attempt")

		d = o.claim("t2", 60, time.Minute, 10)[0]
		f.equal(d, leased([]*storage.Delivery{want}, "t2", o.at(120))[0], "the delivery claimed for its next attempt")
		f.ok(f.s.FailDelivery(f.ctx, d.EndpointID, e.Seq, "t2", 0, "timeout", time.Time{}, true), "FailDelivery final")
		want.State, want.Attempts, want.LastStatus, want.LastError = storage.DeliveryFailed, 2, 0, "timeout"
		f.equal(o.get(eps[0], e), want, "the delivery failed for good (NextAttemptAt kept)")
		f.equal(o.claim("t3", 3600, time.Minute, 10), []*storage.Delivery(nil), "a claim after the final failure")
		f.is(f.s.FailDelivery(f.ctx, d.EndpointID, e.Seq, "t2", 0, "x", o.at(70), false), storage.ErrConflict, "FailDelivery of a failed one")
		f.is(f.s.CompleteDelivery(f.ctx, d.EndpointID, e.Seq, "t2", o.at(70)), storage.ErrConflict, "CompleteDelivery of a failed one")

		// A zero next time is due at once.
		e2 := o.appendEvents("")[0]
		o.enqueue(eps, 0, 10)
		d = o.claim("t4", 0, time.Minute, 10)[0]
		f.ok(f.s.FailDelivery(f.ctx, d.EndpointID, e2.Seq, "t4", 500, "x", time.Time{}, false), "FailDelivery due at a zero time")
		late := o.claim("t5", -3600, time.Minute, 10)
		f.equal(keys(late), keysOf(eps, e2), "a claim of a delivery due at a zero time")
		o.complete(late[0], 0) // due in every test's hour: leave it delivered
	}},
	{"PerUserOrder", func(f *fixture) {
		o := f.outbox()
		eps := endpoints(2)
		a, b := eps[0], eps[1]
		u, v := f.userID(), f.userID()
		evs := o.appendEvents(u, u, v, "", "", u)
		o.enqueue(eps, 0, 10)
		lease := time.Hour

		// A user's second event waits for the first, even when the first
		// is claimed by the same claim; other users and events without a
		// user do not wait.
		first := o.claim("t1", 0, lease, 100)
		f.equal(keys(first), keysOf(eps, evs[0], evs[2], evs[3], evs[4]), "the first claim")

		// The first event of u waits for its next attempt to a, and holds
		// the second back meanwhile; to b it is delivered, which frees the
		// second there.
		f.ok(f.s.FailDelivery(f.ctx, a, evs[0].Seq, "t1", 500, "x", o.at(600), false), "FailDelivery to a")
		o.complete(first[1], 1) // evs[0] to b
		f.equal(keys(o.claim("t2", 10, lease, 100)), keysOf([]string{b}, evs[1]), "a claim while u's first event waits to a")
		f.equal(o.claim("t3", 599, lease, 100), []*storage.Delivery(nil), "a claim before the next attempt")
		retry := o.claim("t4", 600, lease, 100)
		f.equal(keys(retry), keysOf([]string{a}, evs[0]), "the next attempt, alone for u")
		o.complete(retry[0], 601)
		second := o.claim("t5", 602, lease, 100)
		f.equal(keys(second), keysOf([]string{a}, evs[1]), "u's second event once the first is delivered")
		// A failure for good no longer holds the later events back.
		f.ok(f.s.FailDelivery(f.ctx, a, evs[1].Seq, "t5", 400, "x", time.Time{}, true), "FailDelivery final")
		f.equal(keys(o.claim("t6", 603, lease, 100)), keysOf([]string{a}, evs[5]), "u's third event to a after a final failure")
	}},
	{"ListDeliveries", func(f *fixture) {
		o := f.outbox()
		eps := endpoints(3)
		u := f.userID()
		evs := o.appendEvents(u, "", f.userID(), u)
		o.enqueue([]string{eps[2], eps[0], eps[1]}, 0, 10)
		all := o.deliveries(eps, evs, 0)
		// The delivery of evs[1] to eps[1] fails for good; those of
		// evs[0] to eps[0] and eps[2] are delivered.
		claimed := o.claim("t", 0, time.Minute, 100)
		byKey := map[dkey]*storage.Delivery{}
		for _, d := range claimed {
			byKey[dkey{d.EndpointID, d.Event.Seq}] = d
		}
		o.complete(byKey[dkey{eps[0], evs[0].Seq}], 1)
		o.complete(byKey[dkey{eps[2], evs[0].Seq}], 1)
		f.ok(f.s.FailDelivery(f.ctx, eps[1], evs[1].Seq, "t", 410, "gone", time.Time{}, true), "FailDelivery")
		after := evs[0].Seq - 1
		for _, tc := range []struct {
			name string
			q    storage.DeliveryQuery
			want []dkey
		}{
			{"all", storage.DeliveryQuery{After: after}, keysOf(eps, evs...)},
			{"of one endpoint", storage.DeliveryQuery{EndpointID: eps[1]}, keysOf(eps[1:2], evs...)},
			{"after a Seq", storage.DeliveryQuery{After: evs[1].Seq}, keysOf(eps, evs[2:]...)},
			{"limited", storage.DeliveryQuery{After: after, Limit: 4}, keysOf(eps, evs...)[:4]},
			{"of one endpoint, limited", storage.DeliveryQuery{EndpointID: eps[2], After: evs[0].Seq, Limit: 2}, keysOf(eps[2:], evs[1:3]...)},
			{"delivered", storage.DeliveryQuery{State: storage.DeliveryDelivered, After: after},
				[]dkey{{eps[0], evs[0].Seq}, {eps[2], evs[0].Seq}}},
			{"failed", storage.DeliveryQuery{State: storage.DeliveryFailed, After: after}, []dkey{{eps[1], evs[1].Seq}}},
			{"pending to one endpoint", storage.DeliveryQuery{EndpointID: eps[0], State: storage.DeliveryPending},
				keysOf(eps[:1], evs[1:]...)},
			{"failed to another endpoint", storage.DeliveryQuery{EndpointID: eps[0], State: storage.DeliveryFailed}, nil},
			{"of an unknown endpoint", storage.DeliveryQuery{EndpointID: eps[0] + "x"}, nil},
		} {
			f.equal(keys(o.list(tc.q)), tc.want, "ListDeliveries "+tc.name)
		}
		f.equal(o.of(eps[1])[1], func() *storage.Delivery {
			d := *all[4]
			d.State, d.Attempts, d.LastStatus, d.LastError = storage.DeliveryFailed, 1, 410, "gone"
			return &d
		}(), "a failed delivery listed with its event")

		// Pages of one endpoint's deliveries, each after the last Seq of
		// the one before.
		for _, size := range []int{1, 3} {
			var got []dkey
			var last int64
			for page := 0; ; page++ {
				f.check(page <= len(evs), "paging by %d does not end", size)
				p := o.list(storage.DeliveryQuery{EndpointID: eps[1], After: last, Limit: size})
				if len(p) == 0 {
					break
				}
				got, last = append(got, keys(p)...), p[len(p)-1].Event.Seq
			}
			f.equal(got, keysOf(eps[1:2], evs...), fmt.Sprintf("the deliveries paged by %d", size))
		}
	}},
	{"ReplayDelivery", func(f *fixture) {
		o := f.outbox()
		eps := endpoints(1)
		evs := o.appendEvents(f.userID(), f.userID())
		o.enqueue(eps, 0, 10)
		ds := o.claim("t1", 0, time.Minute, 10)
		f.ok(f.s.FailDelivery(f.ctx, eps[0], evs[0].Seq, "t1", 502, "bad gateway", o.at(30), false), "FailDelivery")
		d := o.claim("t2", 30, time.Minute, 10)[0]
		f.ok(f.s.FailDelivery(f.ctx, eps[0], evs[0].Seq, "t2", 504, "gateway timeout", time.Time{}, true), "FailDelivery final")
		o.complete(ds[1], 1)

		f.is(f.s.ReplayDelivery(f.ctx, eps[0], evs[1].Seq, o.at(100)), storage.ErrConflict, "ReplayDelivery of a delivered one")
		f.is(f.s.ReplayDelivery(f.ctx, eps[0]+"x", evs[0].Seq, o.at(100)), storage.ErrNotFound, "ReplayDelivery of an unknown one")
		f.ok(f.s.ReplayDelivery(f.ctx, eps[0], d.Event.Seq, o.at(100)), "ReplayDelivery")
		want := o.pending(eps[0], evs[0], 0)
		want.NextAttemptAt, want.LastStatus, want.LastError = o.at(100), 504, "gateway timeout"
		f.equal(o.get(eps[0], evs[0]), want, "the replayed delivery (Attempts reset, last failure kept)")
		f.is(f.s.ReplayDelivery(f.ctx, eps[0], d.Event.Seq, o.at(100)), storage.ErrConflict, "ReplayDelivery of a pending one")
		f.equal(o.claim("t3", 99, time.Minute, 10), []*storage.Delivery(nil), "a claim before the replay is due")
		again := o.claim("t3", 100, time.Minute, 10)
		f.equal(again, leased([]*storage.Delivery{want}, "t3", o.at(160)), "the replayed delivery claimed")
		o.complete(again[0], 101)
		f.check(o.get(eps[0], evs[0]).State == storage.DeliveryDelivered, "the replayed delivery is not delivered")
	}},
	{"RolledBackWithTx", func(f *fixture) {
		o := f.outbox()
		eps := endpoints(1)
		evs := o.appendEvents(f.userID(), f.userID(), f.userID())
		o.enqueue(eps, 0, 10)
		ds := o.claim("t", 0, time.Hour, 2)
		f.ok(f.s.FailDelivery(f.ctx, eps[0], evs[1].Seq, "t", 500, "x", time.Time{}, true), "FailDelivery")
		before := o.of(eps[0])
		f.is(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := s.CompleteDelivery(ctx, eps[0], ds[0].Event.Seq, "t", o.at(1)); err != nil {
				return err
			}
			return errRollback
		}), errRollback, "Tx completing a delivery")
		f.equal(o.of(eps[0]), before, "the deliveries after a rolled-back completion")
		f.is(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			for _, step := range []func() error{
				func() error { return s.ReplayDelivery(ctx, eps[0], evs[1].Seq, o.at(1)) },
				func() error {
					return s.CompleteDelivery(ctx, eps[0], ds[0].Event.Seq, "t", o.at(1))
				},
				func() error {
					got, err := s.ClaimDeliveries(ctx, "u", o.at(1), time.Hour, 10)
					if err == nil && !slices.Equal(keys(got), keysOf(eps, evs[1:]...)) {
						err = fmt.Errorf("claimed %v in the Tx", keys(got))
					}
					return err
				},
				func() error { return s.FailDelivery(ctx, eps[0], evs[2].Seq, "u", 500, "y", o.at(9), false) },
				func() error {
					if err := s.CompleteDelivery(ctx, eps[0], ds[0].Event.Seq, "t", o.at(1)); !errors.Is(err, storage.ErrConflict) {
						return fmt.Errorf("CompleteDelivery again in the Tx: %v", err)
					}
					return nil
				},
			} {
				if err := step(); err != nil {
					return err
				}
			}
			return errRollback
		}), errRollback, "Tx")
		f.equal(o.of(eps[0]), before, "the deliveries after the rolled-back Tx")
		f.equal(keys(o.claim("v", 2, time.Hour, 10)), keysOf(eps, evs[2]), "a claim after the rolled-back Tx")
		f.equal(keys(o.claim("w", 3600, time.Hour, 10)), keysOf(eps, evs[0]), "a claim once the first lease runs out")
	}},
	{"DeepCopy", func(f *fixture) {
		o := f.outbox()
		eps := endpoints(1)
		e := o.appendEvents(f.userID())[0]
		o.enqueue(eps, 0, 10)
		want := o.pending(eps[0], e, 0)
		want.Event.Data = map[string]string{"n": e.Data["n"]}
		got := o.claim("t", 0, time.Minute, 1)
		got[0].Event.Data["n"] = "mutated"
		got[0].ClaimToken = "mutated"
		listed := o.of(eps[0])
		f.equal(listed, leased([]*storage.Delivery{want}, "t", o.at(60)), "after mutating a claimed delivery")
		listed[0].Event.Data["n"] = "mutated"
		f.equal(o.of(eps[0]), leased([]*storage.Delivery{want}, "t", o.at(60)), "after mutating a listed delivery")
	}},
}

var providerEventTests = []test{
	{"RecordOnce", func(f *fixture) {
		p, evt := id("provider"), id("evt")
		f.ok(f.s.RecordProviderEvent(f.ctx, p, evt, f.at(0)), "RecordProviderEvent")
		f.dup(f.s.RecordProviderEvent(f.ctx, p, evt, f.at(1)), "event_id", "RecordProviderEvent again")
		f.ok(f.s.RecordProviderEvent(f.ctx, id("provider"), evt, f.at(0)), "the event id of another provider")
		f.ok(f.s.RecordProviderEvent(f.ctx, p, id("evt"), f.at(0)), "another event id of the provider")
	}},
	{"InTx", func(f *fixture) {
		p, rolled, kept := id("provider"), id("evt"), id("evt")
		record := func(evt string) func(ctx context.Context, s storage.Store) error {
			return func(ctx context.Context, s storage.Store) error {
				if err := s.RecordProviderEvent(ctx, p, evt, f.at(0)); err != nil {
					return err
				}
				// A duplicate the unit handles leaves it usable: a write
				// after it succeeds.
				if err := s.RecordProviderEvent(ctx, p, evt, f.at(1)); !errors.Is(err, storage.ErrDuplicate) {
					return fmt.Errorf("RecordProviderEvent again in the Tx: %v", err)
				}
				return s.RecordProviderEvent(ctx, p, evt+"-next", f.at(1))
			}
		}
		f.is(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			if err := record(rolled)(ctx, s); err != nil {
				return err
			}
			return errRollback
		}), errRollback, "Tx")
		f.ok(f.s.RecordProviderEvent(f.ctx, p, rolled, f.at(2)), "RecordProviderEvent of a pair recorded in a rolled-back Tx")
		f.ok(f.s.Tx(f.ctx, record(kept)), "Tx recording a pair and handling its duplicate")
		f.dup(f.s.RecordProviderEvent(f.ctx, p, kept, f.at(2)), "event_id", "RecordProviderEvent of a pair recorded in a committed Tx")
	}},
}

// outboxConcurrencyTests race enqueuers and claimers across the two
// replicas.
var outboxConcurrencyTests = []test{
	{"EnqueueDeliveriesOnce", func(f *fixture) {
		// 16 enqueuers, half on each replica, take 300 events 7 at a time
		// until none is left: each event is taken once, and has one
		// delivery to each endpoint.
		o := f.outbox()
		users := []string{""}
		for range 9 {
			users = append(users, f.userID())
		}
		var evs []*storage.Event
		for i := range 300 {
			evs = append(evs, o.appendEvents(users[i%len(users)])...)
		}
		eps := endpoints(2)
		taken := make([]int, 16)
		errs := race(len(taken), func(i int) error {
			for range 1000 {
				n, err := f.replica(i).EnqueueDeliveries(f.ctx, eps, o.at(0), 7)
				if err != nil || n == 0 {
					return err
				}
				taken[i] += n
			}
			return errors.New("EnqueueDeliveries never ran out of events")
		})
		f.winners(errs, len(errs), func(error) bool { return false }, "16 enqueuers")
		total := 0
		for _, n := range taken {
			total += n
		}
		f.check(total == len(evs), "the enqueuers took %d events, want %d", total, len(evs))
		for _, ep := range eps {
			f.equal(keys(o.of(ep)), keysOf([]string{ep}, evs...), "the deliveries to one endpoint")
		}
		f.check(o.enqueue(eps, 0, 1000) == 0, "events left after the race")
	}},
	{"OrderHoldsAcrossEnqueuers", func(f *fixture) {
		// While a unit on one replica holds a user's event 1 in an enqueue
		// it has not committed, the other replica may enqueue event 2
		// (or wait), but its claim never returns event 2: 1 has no
		// delivery yet to hold 2 back, and would be sent after it.
		o := f.outbox()
		u := f.userID()
		evs := o.appendEvents(u, u)
		eps := endpoints(1)
		end := f.holding(func(ctx context.Context, s storage.Store) error {
			n, err := s.EnqueueDeliveries(ctx, eps, o.at(0), 1)
			if err == nil && n != 1 {
				err = fmt.Errorf("the holder took %d events, want 1", n)
			}
			return err
		})
		var claimed []*storage.Delivery
		other := beside(func() (err error) { // a store that serialises units runs this after the holder
			claimed, err = o.enqueueAndClaim(f.b, eps)
			return err
		})
		other.within(200 * time.Millisecond)
		f.ok(end(), "the holder's unit")
		f.ok(other.wait(), "EnqueueDeliveries and ClaimDeliveries beside the holder")
		o.inOrder(eps, evs, claimed)
	}},
	{"OrderHoldsAcrossAppenders", func(f *fixture) {
		// While a unit on one replica holds a user's event 1 it appended
		// and has not committed, the other replica appends the user's
		// event 2, then enqueues and claims. Event 2 must not be claimed
		// before event 1 is delivered, and event 1 must have the smaller
		// Seq: the appender waits for the holder's unit to end (or the
		// store serialises units), so a user's events commit in Seq order.
		o := f.outbox()
		u := f.userID()
		eps := endpoints(1)
		evs := []*storage.Event{f.newEvent(u, 0), f.newEvent(u, 1)}
		end := f.holding(func(ctx context.Context, s storage.Store) error { return s.AppendEvent(ctx, evs[0]) })
		var claimed []*storage.Delivery
		other := beside(func() (err error) {
			if err := f.b.AppendEvent(f.ctx, evs[1]); err != nil {
				return err
			}
			claimed, err = o.enqueueAndClaim(f.b, eps)
			return err
		})
		other.within(200 * time.Millisecond)
		f.ok(end(), "the holder's unit")
		f.ok(other.wait(), "AppendEvent, EnqueueDeliveries and ClaimDeliveries beside the holder")
		f.check(evs[0].Seq < evs[1].Seq, "the user's event appended while another unit held one has the smaller Seq (%d, held %d)", evs[1].Seq, evs[0].Seq)
		o.inOrder(eps, evs, claimed)
	}},
	{"ClaimDeliveriesOnce", func(f *fixture) {
		// 16 claimers, half on each replica, claim 400 deliveries 5 at a
		// time, with a lease that outlives the test: each delivery is
		// claimed once.
		o := f.outbox()
		var users []string
		for range 200 {
			users = append(users, "") // events without a user are not ordered
		}
		evs := o.appendEvents(users...)
		eps := endpoints(2)
		o.enqueue(eps, 0, 1000)
		claimed := make([][]*storage.Delivery, 16)
		errs := race(len(claimed), func(i int) error {
			for range 1000 {
				ds, err := f.replica(i).ClaimDeliveries(f.ctx, fmt.Sprintf("t%d", i), o.at(0), time.Hour, 5)
				if err != nil || len(ds) == 0 {
					return err
				}
				claimed[i] = append(claimed[i], ds...)
			}
			return errors.New("ClaimDeliveries never ran out of deliveries")
		})
		f.winners(errs, len(errs), func(error) bool { return false }, "16 claimers")
		count := map[dkey]int{}
		for i, ds := range claimed {
			for _, d := range ds {
				k := dkey{d.EndpointID, d.Event.Seq}
				count[k]++
				f.check(count[k] == 1, "delivery %v claimed twice", k)
				f.check(d.ClaimToken == fmt.Sprintf("t%d", i), "delivery %v returned with token %q to claimer %d", k, d.ClaimToken, i)
			}
		}
		for _, k := range keysOf(eps, evs...) {
			f.check(count[k] == 1, "delivery %v claimed %d times, want once", k, count[k])
		}
		f.check(len(count) == 2*len(evs), "%d deliveries claimed, want %d", len(count), 2*len(evs))
	}},
	{"ClaimKeepsUserOrder", func(f *fixture) {
		// 12 deliverers, half on each replica, claim 3 at a time and
		// complete at once the deliveries of 20 users' 10 events each: a
		// user's delivery is claimed only after the completion of the one
		// before has started, so never two of a user at once, and in Seq
		// order.
		o := f.outbox()
		var users []string
		for range 20 {
			users = append(users, f.userID())
		}
		var all []string
		for range 10 {
			all = append(all, users...)
		}
		evs := o.appendEvents(all...)
		eps := endpoints(1)
		o.enqueue(eps, 0, 1000)

		var clock, done atomic.Int64
		var failed atomic.Bool                         // a deliverer failed: the others stop
		claimedAt := make([]atomic.Int64, len(evs))    // by event: when its claim returned
		completingAt := make([]atomic.Int64, len(evs)) // by event: when its completion started
		index := map[int64]int{}
		for i, e := range evs {
			index[e.Seq] = i
		}
		deliver := func(st storage.Store, token string) error {
			// Bounded by time, not by a number of claims: on a loaded
			// machine a deliverer may find nothing to claim many times
			// while the others hold the users' next events.
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				if done.Load() == int64(len(evs)) || failed.Load() {
					return nil
				}
				ds, err := st.ClaimDeliveries(f.ctx, token, o.at(0), time.Hour, 3)
				if err != nil {
					return err
				}
				if len(ds) == 0 {
					runtime.Gosched()
				}
				now := clock.Add(1)
				for _, d := range ds {
					if !claimedAt[index[d.Event.Seq]].CompareAndSwap(0, now) {
						return fmt.Errorf("delivery of event %d claimed twice", d.Event.Seq)
					}
				}
				for _, d := range ds {
					completingAt[index[d.Event.Seq]].Store(clock.Add(1))
					if err := st.CompleteDelivery(f.ctx, d.EndpointID, d.Event.Seq, d.ClaimToken, o.at(1)); err != nil {
						return err
					}
					done.Add(1)
				}
			}
			return errors.New("the deliveries never ran out")
		}
		errs := race(12, func(i int) error {
			err := deliver(f.replica(i), fmt.Sprintf("t%d", i))
			if err != nil {
				failed.Store(true)
			}
			return err
		})
		f.winners(errs, len(errs), func(error) bool { return false }, "12 deliverers")
		for i := len(users); i < len(evs); i++ {
			prev := i - len(users) // the user's event before
			f.check(claimedAt[i].Load() > completingAt[prev].Load(),
				"event %d of a user claimed (at %d) before the completion of its event %d started (at %d)",
				evs[i].Seq, claimedAt[i].Load(), evs[prev].Seq, completingAt[prev].Load())
		}
	}},
}
