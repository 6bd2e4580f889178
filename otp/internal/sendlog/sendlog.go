// Package sendlog is the one in-memory log behind the fake senders of
// package otp: it records the messages a sender is given and returns the
// failures it is told to. otptest.Recorder (for hosts) and the sender of
// package otp's own tests (which cannot import otptest, an importer of otp)
// are both built on it.
package sendlog

import "sync"

// Log records messages of type M. Its zero value records every message. It
// is safe for concurrent use.
type Log[M any] struct {
	mu       sync.Mutex
	msgs     []M
	fail     error
	failNext []error
}

// Record records m, or returns the next failure (one given to FailNext,
// else the one given to FailWith) without recording it.
func (l *Log[M]) Record(m M) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failNext) > 0 {
		err := l.failNext[0]
		l.failNext = l.failNext[1:]
		return err
	}
	if l.fail != nil {
		return l.fail
	}
	l.msgs = append(l.msgs, m)
	return nil
}

// FailWith makes every later Record return err until FailWith(nil).
func (l *Log[M]) FailWith(err error) {
	l.mu.Lock()
	l.fail = err
	l.mu.Unlock()
}

// FailNext makes the next Record (only) return err.
func (l *Log[M]) FailNext(err error) {
	l.mu.Lock()
	l.failNext = append(l.failNext, err)
	l.mu.Unlock()
}

// Messages returns a copy of the recorded messages, oldest first.
func (l *Log[M]) Messages() []M {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]M(nil), l.msgs...)
}

// Len returns how many messages were recorded.
func (l *Log[M]) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.msgs)
}

// Newest returns the newest recorded message for which match is true, and
// whether there is one.
func (l *Log[M]) Newest(match func(M) bool) (M, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.msgs) - 1; i >= 0; i-- {
		if match(l.msgs[i]) {
			return l.msgs[i], true
		}
	}
	var zero M
	return zero, false
}

// Reset forgets the recorded messages and the failures.
func (l *Log[M]) Reset() {
	l.mu.Lock()
	l.msgs, l.fail, l.failNext = nil, nil, nil
	l.mu.Unlock()
}
