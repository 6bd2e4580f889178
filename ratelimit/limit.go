package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidLimit is wrapped by the error of every Limiter asked to decide
// under a Limit without a positive Rate and Period (a Period shorter than
// Rate nanoseconds included), or for a cost outside 0..Rate: a cost above
// Rate could never be allowed.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// Check returns an error wrapping ErrInvalidLimit when a request of cost
// cannot be decided under l. Every Limiter calls it before deciding.
func (l Limit) Check(cost int) error {
	switch {
	case l.Rate <= 0 || l.Period <= 0 || l.Period < time.Duration(l.Rate):
		return fmt.Errorf("%w: %d per %s", ErrInvalidLimit, l.Rate, l.Period)
	case cost < 0 || cost > l.Rate:
		return fmt.Errorf("%w: cost %d outside 0..%d", ErrInvalidLimit, cost, l.Rate)
	}
	return nil
}
