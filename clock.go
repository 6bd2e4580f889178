package onboardkit

import (
	"errors"
	"time"
)

// Clock tells the time. Every package of the module reads time through a
// Clock so that expiries, cooldowns and tokens can be tested without sleeping.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock, in UTC.
var SystemClock Clock = ClockFunc(func() time.Time { return time.Now().UTC() })

func asError(err error, target **Error) bool { return errors.As(err, target) }
