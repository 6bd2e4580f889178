package storagetest

import (
	"context"

	"github.com/onboardkit/onboardkit/storage"
)

func (f *fixture) newEvent(userID string, sec int) *storage.Event {
	return &storage.Event{ID: id("evt"), Type: "user.registered", UserID: userID, At: f.at(sec), Data: map[string]string{"n": id("n")}}
}

// events returns every event of the user.
func (f *fixture) events(userID string) []*storage.Event {
	f.Helper()
	return f.eventsAfter(userID, 0, 0)
}

// eventsAfter returns ListEvents(userID, after, limit).
func (f *fixture) eventsAfter(userID string, after int64, limit int) []*storage.Event {
	f.Helper()
	evs, err := f.s.ListEvents(f.ctx, userID, after, limit)
	f.ok(err, "ListEvents")
	return evs
}

// appendEvents appends n events of the user (one without data) and
// returns them, each with the Seq AppendEvent set.
func (f *fixture) appendEvents(userID string, n int) []*storage.Event {
	f.Helper()
	var evs []*storage.Event
	for i := range n {
		e := f.newEvent(userID, i)
		if i == 2 {
			e.Data = nil
		}
		f.ok(f.s.AppendEvent(f.ctx, e), "AppendEvent")
		evs = append(evs, e)
	}
	return evs
}

// increasing checks that the events' Seq increase strictly.
func (f *fixture) increasing(evs []*storage.Event, what string) {
	f.Helper()
	for i := 1; i < len(evs); i++ {
		f.check(evs[i].Seq > evs[i-1].Seq, "%s: Seq %d after %d", what, evs[i].Seq, evs[i-1].Seq)
	}
}

var auditTests = []test{
	{"AppendAndList", func(f *fixture) {
		uid := f.userID()
		want := f.appendEvents(uid, 5)
		f.ok(f.s.AppendEvent(f.ctx, f.newEvent(f.userID(), 0)), "AppendEvent other user")
		f.check(want[0].Seq != 0, "AppendEvent did not set Seq")
		f.increasing(want, "AppendEvent")
		f.equal(f.events(uid), want, "ListEvents(0, 0) returns all, oldest first")
		f.check(len(f.events(id("user"))) == 0, "ListEvents of a user without events is not empty")
	}},
	{"ListEventsAfterAndLimit", func(f *fixture) {
		uid := f.userID()
		evs := f.appendEvents(uid, 5)
		for _, tc := range []struct {
			name  string
			after int64
			limit int
			want  []*storage.Event
		}{
			{"all", 0, 0, evs},
			{"negative limit", 0, -1, evs},
			{"limit above the count", 0, 10, evs},
			// Pinned: a limit keeps the oldest events.
			{"limit", 0, 2, evs[:2]},
			{"after the first", evs[0].Seq, 0, evs[1:]},
			{"after the second, limit 2", evs[1].Seq, 2, evs[2:4]},
			{"after one below the third", evs[2].Seq - 1, 1, evs[2:3]},
			{"after the last", evs[4].Seq, 0, nil},
			{"after beyond the last", evs[4].Seq + 1000, 3, nil},
			{"negative after", -1, 0, evs},
		} {
			f.equal(f.eventsAfter(uid, tc.after, tc.limit), tc.want, "ListEvents "+tc.name)
		}
		for _, size := range []int{1, 2, 3} {
			var got []*storage.Event
			var after int64
			for page := 0; ; page++ {
				f.check(page <= len(evs), "paging by %d does not end", size)
				p := f.eventsAfter(uid, after, size)
				f.check(len(p) <= size, "a page of %d events with limit %d", len(p), size)
				if len(p) == 0 {
					break
				}
				got = append(got, p...)
				after = p[len(p)-1].Seq
			}
			f.equal(got, evs, "the events paged by their Seq")
		}
	}},
	{"SeqInAppendOrder", func(f *fixture) {
		// Pinned: Seq increases in the order of appending across users,
		// and ListEvents lists in Seq order whatever the events' At.
		a, b := f.userID(), f.userID()
		var all, ofA []*storage.Event
		for i, uid := range []string{a, b, a, b, a} {
			e := f.newEvent(uid, 100-i) // each At earlier than the one before
			f.ok(f.s.AppendEvent(f.ctx, e), "AppendEvent")
			all = append(all, e)
			if uid == a {
				ofA = append(ofA, e)
			}
		}
		f.increasing(all, "events of two users appended in turn")
		f.equal(f.events(a), ofA, "ListEvents in Seq order, not At order")
		got := f.eventsAfter(a, all[1].Seq, 0) // after an event of b
		f.equal(got, ofA[1:], "ListEvents after the Seq of another user's event")

		// In a unit of work too.
		var inTx *storage.Event
		f.ok(f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			inTx = f.newEvent(a, 0)
			return s.AppendEvent(ctx, inTx)
		}), "Tx appending an event")
		f.check(inTx.Seq > all[len(all)-1].Seq, "Seq %d of an event appended in a Tx is not above %d", inTx.Seq, all[len(all)-1].Seq)
		f.equal(f.eventsAfter(a, all[len(all)-1].Seq, 0), []*storage.Event{inTx}, "the event appended in a Tx")
	}},
	{"DeepCopy", func(f *fixture) {
		uid := f.userID()
		e := f.newEvent(uid, 0)
		e.Data["k"] = "v"
		f.ok(f.s.AppendEvent(f.ctx, e), "AppendEvent")
		want := *e
		want.Data = map[string]string{"k": "v", "n": e.Data["n"]}
		e.Data["k"] = "mutated"
		e.Type = "mutated"
		e.Seq = 0
		got := f.events(uid)
		f.equal(got, []*storage.Event{&want}, "after mutating the event passed in")
		got[0].Data["k"] = "mutated"
		got[0].Seq++
		f.equal(f.events(uid), []*storage.Event{&want}, "after mutating a returned event")
	}},
}
