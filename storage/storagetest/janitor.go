package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// The janitor tests' clocks: each test runs in a day of its own, counted
// up from a random day of the eighteenth century drawn per run, before
// every time the other tests use (base is in 2030, the outbox hours in
// the twentieth century, the search windows after 2100). A test first
// enqueues the events left not enqueued (see outbox) and prunes, without
// a limit, everything before the end of its day (the records earlier
// janitor tests left), so that its records are the only ones its prunes
// can delete and the counts they return are exact; the records of the
// other tests are never old enough. Like the outbox tests, they need a
// store that no other janitor prunes while they run.
var (
	janitorEpoch time.Time
	janitorDays  atomic.Int64
)

func init() {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("storagetest: reading random janitor epoch: " + err.Error())
	}
	days := binary.BigEndian.Uint32(b[:]) % 36000
	janitorEpoch = time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(days))
}

// pruneFunc is one method of storage.Janitor.
type pruneFunc func(ctx context.Context, before time.Time, limit int) (int, error)

// prunes are the Janitor methods of a store, by name.
func prunes(s storage.Store) []struct {
	name string
	fn   pruneFunc
} {
	return []struct {
		name string
		fn   pruneFunc
	}{
		{"PruneChallenges", s.PruneChallenges},
		{"PruneRefreshTokens", s.PruneRefreshTokens},
		{"PruneSendCounts", s.PruneSendCounts},
		{"PruneLoginThrottles", s.PruneLoginThrottles},
		{"PruneEvents", s.PruneEvents},
	}
}

// janitor is the fixture of a janitor test: its day and helpers.
type janitor struct {
	*fixture
	day time.Time
}

// janitor starts a janitor test: it takes the test's day, enqueues the
// events left not enqueued (see outbox) and prunes everything before the
// day's end.
func (f *fixture) janitor() *janitor {
	f.Helper()
	j := &janitor{fixture: f, day: janitorEpoch.Add(time.Duration(janitorDays.Add(1)) * 24 * time.Hour)}
	f.outbox()
	for _, p := range prunes(f.s) {
		_, err := p.fn(f.ctx, j.at(86400), 0)
		f.ok(err, p.name+" of the records earlier tests left")
	}
	return j
}

// at returns the test's day plus sec seconds.
func (j *janitor) at(sec int) time.Time { return j.day.Add(time.Duration(sec) * time.Second) }

// pruned calls fn and checks the count it returns.
func (j *janitor) pruned(name string, fn pruneFunc, before time.Time, limit, want int) {
	j.Helper()
	n, err := fn(j.ctx, before, limit)
	j.ok(err, name)
	j.check(n == want, "%s(%s, limit %d) deleted %d, want %d", name, before.Format(time.DateTime), limit, n, want)
}

// record is a record a janitor test made, and how to tell whether it is
// still stored.
type record struct {
	name   string
	stored func() bool
}

// exists reports whether err says found (nil) or not (ErrNotFound).
func (j *janitor) exists(err error, what string) bool {
	j.Helper()
	if errors.Is(err, storage.ErrNotFound) {
		return false
	}
	j.ok(err, what)
	return true
}

// challenge stores a challenge expiring at sec and returns it as a record.
func (j *janitor) challenge(name string, sec int) record {
	j.Helper()
	c := j.newChallenge()
	c.CreatedAt, c.LastSentAt, c.ResendAt, c.ExpiresAt = j.at(sec-600), j.at(sec-600), j.at(sec-570), j.at(sec)
	j.ok(j.s.CreateChallenge(j.ctx, c), "CreateChallenge")
	return record{name, func() bool {
		_, err := j.s.GetChallenge(j.ctx, c.ID)
		return j.exists(err, "GetChallenge")
	}}
}

// tokenAt is a token of a family: its idle expiry and its revocation (-1:
// not revoked), in seconds of the test's day.
type tokenAt struct{ expires, revoked int }

// family stores a refresh-token family of a new user with the tokens
// (the first ones rotated) and returns each token as a record.
func (j *janitor) family(name string, tokens ...tokenAt) []record {
	j.Helper()
	user, fam := j.userID(), id("fam")
	var out []record
	for i, ta := range tokens {
		t := &storage.RefreshToken{Hash: hash(), FamilyID: fam, UserID: user,
			IssuedAt: j.at(-1000 + i), FamilyCreatedAt: j.at(-1000), ExpiresAt: j.at(ta.expires)}
		if i < len(tokens)-1 {
			t.RotatedAt = j.at(-999 + i)
		}
		if ta.revoked >= 0 {
			t.RevokedAt = j.at(ta.revoked)
		}
		j.ok(j.s.CreateRefreshToken(j.ctx, t), "CreateRefreshToken")
		out = append(out, record{fmt.Sprintf("%s, token %d", name, i+1), func() bool {
			_, err := j.s.GetRefreshToken(j.ctx, t.Hash)
			return j.exists(err, "GetRefreshToken")
		}})
	}
	return out
}

// sendCount counts two sends in the window starting at sec. Telling
// whether it is stored counts a third (1 when it was not).
func (j *janitor) sendCount(name string, sec int) record {
	j.Helper()
	key := id("dest")
	for range 2 {
		_, err := j.s.CountSend(j.ctx, key, j.at(sec))
		j.ok(err, "CountSend")
	}
	return record{name, func() bool {
		n, err := j.s.CountSend(j.ctx, key, j.at(sec))
		j.ok(err, "CountSend")
		return n > 1
	}}
}

// throttle counts failures of a new key, the last at sec, so that the
// key is blocked until sec+blocked (not blocked when blocked < 0; the
// throttle policy's base delay is 30 s, so blocked is 30). Telling whether
// it is stored reserves an attempt far later (a count of 1 when it was
// not).
func (j *janitor) throttle(name string, sec int, blocked bool) record {
	j.Helper()
	key := id("throttle")
	n := 2
	if blocked {
		n = loginPolicy.FreeFailures
	}
	for range n {
		r, err := j.s.ReserveLoginAttempt(j.ctx, key, j.at(sec), loginPolicy)
		j.ok(err, "ReserveLoginAttempt")
		j.check(r.Allowed, "reservation refused: %+v", r)
	}
	return record{name, func() bool {
		r, err := j.s.ReserveLoginAttempt(j.ctx, key, j.at(86400), loginPolicy)
		j.ok(err, "ReserveLoginAttempt")
		return r.Failures > 1
	}}
}

// event appends an event of a new user at sec and returns it with its
// record.
func (j *janitor) event(name string, sec int) (*storage.Event, record) {
	j.Helper()
	user := id("user")
	e := j.newEvent(user, 0)
	e.At = j.at(sec)
	j.ok(j.s.AppendEvent(j.ctx, e), "AppendEvent")
	return e, record{name, func() bool {
		return slices.ContainsFunc(j.events(user), func(x *storage.Event) bool { return x.Seq == e.Seq })
	}}
}

// delivery returns the record of the delivery of e to ep.
func (j *janitor) delivery(name, ep string, e *storage.Event) record {
	return record{name, func() bool {
		ds, err := j.s.ListDeliveries(j.ctx, storage.DeliveryQuery{EndpointID: ep, After: e.Seq - 1, Limit: 1})
		j.ok(err, "ListDeliveries")
		return len(ds) == 1 && ds[0].Event.Seq == e.Seq
	}}
}

// eventCase makes the records of the PruneEvents boundaries, in an hour
// of the outbox clock (see outbox) to enqueue, claim and complete their
// deliveries in.
func (j *janitor) eventCase() (deleted, kept []record) {
	j.Helper()
	o := j.outbox()
	eps := endpoints(2)
	_, oldRec := j.event("an event without deliveries from before", 99)
	_, edgeRec := j.event("an event at before", 100)
	delivered, deliveredRec := j.event("an event delivered to every endpoint", 0)
	failed, failedRec := j.event("an event whose deliveries failed for good", 0)
	waiting, waitingRec := j.event("an event with a pending delivery", 0)
	half, halfRec := j.event("an event delivered to one endpoint, pending to the other", 0)
	// The first two to no endpoint, the others to both.
	j.check(o.enqueue(nil, 0, 2) == 2, "EnqueueDeliveries of 2 events")
	j.check(o.enqueue(eps, 0, 4) == 4, "EnqueueDeliveries of 4 events")
	_, lateRec := j.event("an event from before not enqueued yet", 0)
	ds := o.claim(id("claim"), 0, time.Minute, 100)
	j.check(len(ds) == 8, "ClaimDeliveries claimed %d deliveries, want 8", len(ds))
	for _, d := range ds {
		switch {
		case d.Event.Seq == delivered.Seq, d.Event.Seq == half.Seq && d.EndpointID == eps[0]:
			o.complete(d, 1)
		case d.Event.Seq == failed.Seq:
			j.ok(j.s.FailDelivery(j.ctx, d.EndpointID, d.Event.Seq, d.ClaimToken, 500, "down", o.at(60), true), "FailDelivery")
		default:
			j.ok(j.s.FailDelivery(j.ctx, d.EndpointID, d.Event.Seq, d.ClaimToken, 500, "down", o.at(60), false), "FailDelivery")
		}
	}
	deleted = []record{oldRec, deliveredRec, failedRec,
		j.delivery("the delivered event's delivery", eps[0], delivered),
		j.delivery("the failed event's delivery", eps[1], failed)}
	kept = []record{edgeRec, waitingRec, halfRec, lateRec,
		j.delivery("the pending delivery", eps[0], waiting),
		j.delivery("the completed delivery of an event with a pending one", eps[0], half)}
	return deleted, kept
}

// janitorCases are the boundaries of each Janitor method, pruned at +100 s
// of the test's day: the records made, those the prune deletes (the count
// it returns is len(deleted) minus uncounted, the deliveries going with
// their events) and those it keeps.
var janitorCases = []struct {
	name      string
	prune     func(s storage.Store) pruneFunc
	make      func(j *janitor) (deleted, kept []record)
	uncounted int
}{
	{"Challenges", func(s storage.Store) pruneFunc { return s.PruneChallenges }, func(j *janitor) (deleted, kept []record) {
		return []record{j.challenge("expired before", 99), j.challenge("expired long before", -5000)},
			[]record{j.challenge("expiring at before", 100), j.challenge("expiring after", 101)}
	}, 0},
	{"RefreshTokens", func(s storage.Store) pruneFunc { return s.PruneRefreshTokens }, func(j *janitor) (deleted, kept []record) {
		const no = -1
		deleted = slices.Concat(
			j.family("expired before", tokenAt{99, no}),
			j.family("rotated, every token expired before", tokenAt{50, no}, tokenAt{99, no}),
			j.family("revoked before, expiring after", tokenAt{5000, 99}, tokenAt{6000, 99}),
			j.family("one token revoked, the other expired before", tokenAt{5000, 10}, tokenAt{99, no}),
		)
		kept = slices.Concat(
			j.family("expiring at before", tokenAt{100, no}),
			j.family("revoked at before", tokenAt{5000, 100}),
			j.family("a rotated token expired, the current one live", tokenAt{10, no}, tokenAt{5000, no}),
			j.family("a revoked rotated token, the current one live", tokenAt{5000, 10}, tokenAt{5000, no}),
			j.family("every token expired, the current one at before", tokenAt{10, no}, tokenAt{100, no}),
		)
		return deleted, kept
	}, 0},
	{"SendCounts", func(s storage.Store) pruneFunc { return s.PruneSendCounts }, func(j *janitor) (deleted, kept []record) {
		return []record{j.sendCount("a window started before", 99), j.sendCount("a window started long before", -3600)},
			[]record{j.sendCount("a window starting at before", 100), j.sendCount("a window starting after", 3700)}
	}, 0},
	{"LoginThrottles", func(s storage.Store) pruneFunc { return s.PruneLoginThrottles }, func(j *janitor) (deleted, kept []record) {
		return []record{
				j.throttle("touched before", 99, false),
				j.throttle("blocked until before", 70, true), // 70 + 30 s
			}, []record{
				j.throttle("touched at before", 100, false),
				j.throttle("touched before, blocked after", 99, true),
			}
	}, 0},
	{"Events", func(s storage.Store) pruneFunc { return s.PruneEvents }, (*janitor).eventCase, 2},
}

var janitorTests = []test{
	{"Boundaries", func(f *fixture) {
		for _, tc := range janitorCases {
			j := f.janitor()
			deleted, kept := tc.make(j)
			prune := tc.prune(f.s)
			j.pruned("Prune"+tc.name, prune, j.at(100), 0, len(deleted)-tc.uncounted)
			j.pruned("Prune"+tc.name+" again", prune, j.at(100), 0, 0)
			for _, r := range deleted {
				f.check(!r.stored(), "%s: %s: not deleted", tc.name, r.name)
			}
			for _, r := range kept {
				f.check(r.stored(), "%s: %s: deleted", tc.name, r.name)
			}
		}
	}},
	{"Limit", func(f *fixture) {
		// Five prunable records of each kind: a limit of 2 deletes 2, 2,
		// then 1; a limit <= 0 deletes every one.
		makers := map[string]func(j *janitor, i int) record{
			"Challenges": func(j *janitor, i int) record { return j.challenge("expired", i) },
			"RefreshTokens": func(j *janitor, i int) record {
				return j.family("expired", tokenAt{i, -1})[0]
			},
			"SendCounts":     func(j *janitor, i int) record { return j.sendCount("past", i) },
			"LoginThrottles": func(j *janitor, i int) record { return j.throttle("idle", i, false) },
			"Events": func(j *janitor, i int) record {
				_, r := j.event("old", i)
				return r
			},
		}
		for _, tc := range janitorCases {
			for _, limit := range []int{2, 0, -1} {
				j := f.janitor()
				var rs []record
				for i := range 5 {
					rs = append(rs, makers[tc.name](j, i))
				}
				if tc.name == "Events" {
					j.outbox() // enqueues them, to no endpoint
				}
				prune := tc.prune(f.s)
				what := fmt.Sprintf("Prune%s (limit %d)", tc.name, limit)
				if limit > 0 {
					j.pruned(what, prune, j.at(100), limit, 2)
					j.pruned(what, prune, j.at(100), limit, 2)
					j.pruned(what, prune, j.at(100), limit, 1)
				} else {
					j.pruned(what, prune, j.at(100), limit, 5)
				}
				j.pruned(what, prune, j.at(100), limit, 0)
				for _, r := range rs {
					f.check(!r.stored(), "%s: a record is left", what)
				}
			}
		}
	}},
	{"OldestFirst", func(f *fixture) {
		// A limited prune deletes the records that expired first.
		j := f.janitor()
		late, early := j.challenge("expired later", 50), j.challenge("expired first", 10)
		j.pruned("PruneChallenges", f.s.PruneChallenges, j.at(100), 1, 1)
		f.check(!early.stored() && late.stored(), "PruneChallenges with limit 1 did not delete the earliest")
		j = f.janitor()
		lateKey, earlyKey := j.throttle("touched later", 50, false), j.throttle("touched first", 10, false)
		j.pruned("PruneLoginThrottles", f.s.PruneLoginThrottles, j.at(100), 1, 1)
		f.check(!earlyKey.stored() && lateKey.stored(), "PruneLoginThrottles with limit 1 did not delete the least recent")
	}},
	{"RolledBackWithTx", func(f *fixture) {
		j := f.janitor()
		c, t := j.challenge("expired", 10), j.throttle("idle", 10, false)
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			for _, fn := range []pruneFunc{s.PruneChallenges, s.PruneLoginThrottles} {
				if n, err := fn(ctx, j.at(100), 0); err != nil || n != 1 {
					return fmt.Errorf("prune in a Tx: %d, %v", n, err)
				}
			}
			return errRollback
		})
		f.is(err, errRollback, "Tx")
		f.check(c.stored(), "a challenge pruned in a rolled-back Tx is gone")
		f.check(t.stored(), "a throttle pruned in a rolled-back Tx is gone")
		j.pruned("PruneChallenges after the rollback", f.s.PruneChallenges, j.at(100), 0, 1)
		f.check(!c.stored(), "the challenge is not pruned after the rollback")
	}},
}

// janitorConcurrencyTests prune one store from two replicas at once.
var janitorConcurrencyTests = []test{
	{"PruneSparesAReplayedDelivery", func(f *fixture) {
		// A unit on one replica makes the failed delivery of an old event
		// pending again and stays open while the other replica prunes old
		// events: once both have ended, the event and its pending
		// delivery are still there (the replay was not silently lost).
		o := f.outbox()
		eps := endpoints(1)
		e := o.appendEvents(f.userID())[0]
		o.enqueue(eps, 0, 10)
		d := o.claim("t1", 0, time.Hour, 10)[0]
		f.ok(f.s.FailDelivery(f.ctx, d.EndpointID, e.Seq, "t1", 500, "x", time.Time{}, true), "FailDelivery final")
		end := f.holding(func(ctx context.Context, s storage.Store) error {
			return s.ReplayDelivery(ctx, d.EndpointID, e.Seq, o.at(10))
		})
		prune := beside(func() error {
			_, err := f.b.PruneEvents(f.ctx, e.At.Add(time.Hour), 0)
			return err
		})
		prune.within(200 * time.Millisecond)
		f.ok(end(), "the replaying unit")
		f.ok(prune.wait(), "PruneEvents beside the replay")
		f.check(o.get(eps[0], e).State == storage.DeliveryPending, "the replayed delivery is not pending")
	}},
	{"PruneOnce", func(f *fixture) {
		// Racing janitors on both replicas, each pruning in batches of 3
		// until a batch deletes nothing, delete each record once: their
		// counts add up to the records made, and none is left.
		const n = 30
		makers := map[string]func(j *janitor, i int){
			"Challenges":     func(j *janitor, i int) { j.challenge("expired", i) },
			"RefreshTokens":  func(j *janitor, i int) { j.family("expired", tokenAt{i, -1}, tokenAt{i + 1, -1}) },
			"SendCounts":     func(j *janitor, i int) { j.sendCount("past", i) },
			"LoginThrottles": func(j *janitor, i int) { j.throttle("idle", i, false) },
			"Events":         func(j *janitor, i int) { j.event("old", i) },
		}
		for _, tc := range janitorCases {
			j := f.janitor()
			for i := range n {
				makers[tc.name](j, i)
			}
			want := n
			switch tc.name {
			case "Events":
				j.outbox() // enqueues them, to no endpoint
			case "RefreshTokens":
				want = 2 * n
			}
			counts := make([]int, 8)
			errs := race(len(counts), func(i int) error {
				prune := tc.prune(f.replica(i))
				for {
					k, err := prune(f.ctx, j.at(100), 3)
					if err != nil {
						return err
					}
					counts[i] += k
					if k == 0 {
						return nil
					}
				}
			})
			f.winners(errs, len(errs), func(error) bool { return false }, "Prune"+tc.name+" on two replicas")
			total := 0
			for _, k := range counts {
				total += k
			}
			f.check(total == want, "Prune%s on two replicas deleted %d records in all, want %d", tc.name, total, want)
			j.pruned("Prune"+tc.name+" after the race", tc.prune(f.s), j.at(100), 0, 0)
		}
	}},
}
