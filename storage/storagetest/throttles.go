package storagetest

import (
	"context"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// loginPolicy is the policy of the throttle tests: 3 free failures, then
// 30 s doubling up to 15 min.
var loginPolicy = storage.ThrottlePolicy{FreeFailures: 3, BaseDelay: 30 * time.Second, MaxDelay: 15 * time.Minute}

func (f *fixture) reserve(key string, sec int, p storage.ThrottlePolicy) storage.Reservation {
	f.Helper()
	r, err := f.s.ReserveLoginAttempt(f.ctx, key, f.at(sec), p)
	f.ok(err, "ReserveLoginAttempt")
	return r
}

// reservation is an expected Reservation: deadline in seconds from base,
// -1 for the zero time.
func (f *fixture) reservation(allowed bool, failures, deadline int) storage.Reservation {
	r := storage.Reservation{Allowed: allowed, Failures: failures}
	if deadline >= 0 {
		r.BlockedUntil = f.at(deadline)
	}
	return r
}

// reserveAtDeadlines makes n reservations of a fresh key, each at the
// deadline the previous one set (or at base while there is none), checks
// that each is allowed, and returns the last one with the time it was made.
func (f *fixture) reserveAtDeadlines(p storage.ThrottlePolicy, n int) (storage.Reservation, time.Time) {
	f.Helper()
	key, now := id("throttle"), f.at(0)
	var r storage.Reservation
	for i := range n {
		if !r.BlockedUntil.IsZero() {
			now = r.BlockedUntil
		}
		var err error
		r, err = f.s.ReserveLoginAttempt(f.ctx, key, now, p)
		f.ok(err, "ReserveLoginAttempt")
		f.check(r.Allowed && r.Failures == i+1, "reservation %d at its deadline: %+v", i+1, r)
	}
	return r, now
}

var throttleTests = []test{
	{"Sequence", func(f *fixture) {
		// Free attempts, then one attempt per doubling delay up to the
		// maximum; a refused attempt changes nothing.
		key := id("throttle")
		for i, step := range []struct {
			sec  int
			want storage.Reservation
		}{
			{0, f.reservation(true, 1, -1)},
			{0, f.reservation(true, 2, -1)},
			{1, f.reservation(true, 3, 31)}, // the 3rd failure blocks 30 s
			{1, f.reservation(false, 3, 31)},
			{30, f.reservation(false, 3, 31)},
			{31, f.reservation(true, 4, 91)}, // then 60 s
			{90, f.reservation(false, 4, 91)},
			{91, f.reservation(true, 5, 211)},   // 120 s
			{300, f.reservation(true, 6, 540)},  // 240 s, from the attempt's now
			{540, f.reservation(true, 7, 1020)}, // 480 s
			{1019, f.reservation(false, 7, 1020)},
			{1020, f.reservation(true, 8, 1920)}, // 960 s, capped at 900
			{1920, f.reservation(true, 9, 2820)}, // 900 s
		} {
			got := f.reserve(key, step.sec, loginPolicy)
			f.equal(got, step.want, fmt.Sprintf("reservation %d at +%ds", i+1, step.sec))
		}
	}},
	{"Delay", func(f *fixture) {
		// The delay of the n-th failure: min(base × 2^(n−free), max),
		// without overflow however large the exponent.
		year := 365 * 24 * time.Hour
		for _, tc := range []struct {
			name string
			p    storage.ThrottlePolicy
			n    int
			want time.Duration
		}{
			{"FirstBlocking", loginPolicy, 3, 30 * time.Second},
			{"Doubled", loginPolicy, 5, 2 * time.Minute},
			{"Capped", loginPolicy, 8, 15 * time.Minute},
			{"HugeExponent", loginPolicy, 80, 15 * time.Minute},
			{"OneFree", storage.ThrottlePolicy{FreeFailures: 1, BaseDelay: time.Second, MaxDelay: time.Hour}, 1, time.Second},
			{"BaseOverMax", storage.ThrottlePolicy{FreeFailures: 2, BaseDelay: time.Hour, MaxDelay: time.Minute}, 2, time.Minute},
			{"LongMax", storage.ThrottlePolicy{FreeFailures: 1, BaseDelay: time.Hour, MaxDelay: 100 * year}, 70, 100 * year},
		} {
			r, now := f.reserveAtDeadlines(tc.p, tc.n)
			f.check(r.BlockedUntil.Equal(now.Add(tc.want)), "%s: BlockedUntil = %v, want %v (now %v + %v)",
				tc.name, r.BlockedUntil, now.Add(tc.want), now, tc.want)
		}
	}},
	{"Reset", func(f *fixture) {
		key := id("throttle")
		for range 3 {
			f.reserve(key, 0, loginPolicy)
		}
		f.equal(f.reserve(key, 1, loginPolicy), f.reservation(false, 3, 30), "blocked before the reset")
		f.ok(f.s.ResetLoginAttempts(f.ctx, key), "ResetLoginAttempts")
		f.equal(f.reserve(key, 1, loginPolicy), f.reservation(true, 1, -1), "first attempt after the reset")
		f.ok(f.s.ResetLoginAttempts(f.ctx, key), "ResetLoginAttempts")
		f.ok(f.s.ResetLoginAttempts(f.ctx, key), "ResetLoginAttempts of a reset key")
		f.ok(f.s.ResetLoginAttempts(f.ctx, id("throttle")), "ResetLoginAttempts of an unknown key")
	}},
	{"IndependentKeys", func(f *fixture) {
		a, b := id("throttle"), id("throttle")
		for range 3 {
			f.reserve(a, 0, loginPolicy)
		}
		f.equal(f.reserve(b, 1, loginPolicy), f.reservation(true, 1, -1), "another key while the first is blocked")
		f.ok(f.s.ResetLoginAttempts(f.ctx, b), "ResetLoginAttempts of the other key")
		f.equal(f.reserve(a, 1, loginPolicy), f.reservation(false, 3, 30), "the first key after resetting the other")
	}},
	{"RolledBackWithTx", func(f *fixture) {
		key := id("throttle")
		f.reserve(key, 0, loginPolicy)
		err := f.s.Tx(f.ctx, func(ctx context.Context, s storage.Store) error {
			for range 2 {
				if _, err := s.ReserveLoginAttempt(ctx, key, f.at(0), loginPolicy); err != nil {
					return err
				}
			}
			if err := s.ResetLoginAttempts(ctx, key); err != nil {
				return err
			}
			return errRollback
		})
		f.is(err, errRollback, "Tx")
		f.equal(f.reserve(key, 0, loginPolicy), f.reservation(true, 2, -1), "the attempt after a rolled-back Tx")
	}},
}
