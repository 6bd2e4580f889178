package otp

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/onboardkit/onboardkit"
)

// Small assertion helpers (the package tests use only the standard library).

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func eq[T any](t testing.TB, got, want T, what ...any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%v: got %#v, want %#v", what, got, want)
	}
}

func ne[T any](t testing.TB, a, b T, what ...any) {
	t.Helper()
	if reflect.DeepEqual(a, b) {
		t.Errorf("%v: both are %#v", what, a)
	}
}

func isTrue(t testing.TB, cond bool, what ...any) {
	t.Helper()
	if !cond {
		t.Errorf("not true: %v", what)
	}
}

// code returns the *onboardkit.Error in err's chain, failing when there is
// none.
func okErr(t testing.TB, err error, want onboardkit.Code) *onboardkit.Error {
	t.Helper()
	var e *onboardkit.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v: not an *onboardkit.Error (want %s)", err, want)
	}
	if e.Code != want {
		t.Fatalf("error code %s (%v), want %s", e.Code, err, want)
	}
	return e
}

func asErr(err error, target **onboardkit.Error) bool { return errors.As(err, target) }

// sink is the sender of the package's own tests. (Hosts use
// otptest.Recorder, which package otp's internal tests cannot import.)
type sink struct {
	mu   sync.Mutex
	msgs []Message
	errs []error // returned by the next Sends, in order
}

func (s *sink) Send(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return err
	}
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *sink) FailNext(err error) { s.mu.Lock(); s.errs = append(s.errs, err); s.mu.Unlock() }
func (s *sink) Reset()             { s.mu.Lock(); s.msgs, s.errs = nil, nil; s.mu.Unlock() }
func (s *sink) Len() int           { s.mu.Lock(); defer s.mu.Unlock(); return len(s.msgs) }

// Last returns the newest message to the destination (zero when none).
func (s *sink) Last(to string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if s.msgs[i].To == to {
			return s.msgs[i]
		}
	}
	return Message{}
}

func (s *sink) LastCode(to string) string { return s.Last(to).Code }
