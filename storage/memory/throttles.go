package memory

import (
	"context"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

// throttle is the state of one login-throttle key.
type throttle struct {
	failures     int
	blockedUntil time.Time // zero when the next attempt is allowed
	updatedAt    time.Time // the time of the last counted failure
}

// ReserveLoginAttempt refuses the attempt, writing nothing, while the key
// is blocked at now (now before its deadline), and returns the stored count
// and deadline. Otherwise it counts one more failure, sets the deadline to
// now + min(BaseDelay × 2^(failures−FreeFailures), MaxDelay) once the count
// reaches p.FreeFailures, and allows the attempt. Inside a Tx that fails,
// the count is undone.
func (s *Store) ReserveLoginAttempt(_ context.Context, key string, now time.Time, p storage.ThrottlePolicy) (storage.Reservation, error) {
	t := s.lock()
	defer s.unlock(t)
	old := s.d.throttles[key]
	if now.Before(old.blockedUntil) {
		return storage.Reservation{Failures: old.failures, BlockedUntil: old.blockedUntil}, nil
	}
	n := throttle{failures: old.failures + 1, updatedAt: now}
	if n.failures >= p.FreeFailures {
		n.blockedUntil = now.Add(throttleDelay(p, n.failures))
	}
	put(t, s.d.throttles, key, n)
	return storage.Reservation{Allowed: true, Failures: n.failures, BlockedUntil: n.blockedUntil}, nil
}

// ResetLoginAttempts forgets the key's failures; an unknown key is not an
// error.
func (s *Store) ResetLoginAttempts(_ context.Context, key string) error {
	t := s.lock()
	defer s.unlock(t)
	del(t, s.d.throttles, key)
	return nil
}

// throttleDelay is min(BaseDelay × 2^(failures−FreeFailures), MaxDelay),
// negative durations counting as zero. The doubling stops at MaxDelay, so
// it never overflows and runs at most 63 times.
func throttleDelay(p storage.ThrottlePolicy, failures int) time.Duration {
	d, limit := max(p.BaseDelay, 0), max(p.MaxDelay, 0)
	for k := failures - p.FreeFailures; k > 0 && d > 0 && d < limit; k-- {
		if d > limit/2 {
			d = limit
		} else {
			d *= 2
		}
	}
	return min(d, limit)
}
