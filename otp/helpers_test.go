package otp

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp/internal/sendlog"
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

// answerErr checks the error of an answer to a challenge: its code, its
// AttemptsRemaining (remain, or nil when remain is -1) and its one field
// error, on "code".
func answerErr(t testing.TB, err error, want onboardkit.Code, remain int, what ...any) {
	t.Helper()
	e := okErr(t, err, want)
	if remain < 0 {
		isTrue(t, e.AttemptsRemaining == nil, what, "AttemptsRemaining set")
	} else {
		isTrue(t, e.AttemptsRemaining != nil && *e.AttemptsRemaining == remain, what, "remaining", e.AttemptsRemaining)
	}
	isTrue(t, len(e.Fields) == 1 && e.Fields[0].Field == "code", what, "field error on code", e.Fields)
}

// sink is the sender of the package's own tests. (Hosts use
// otptest.Recorder, which package otp's internal tests cannot import; both
// are built on sendlog.Log.)
type sink struct {
	sendlog.Log[Message]
}

func (s *sink) Send(_ context.Context, m Message) error { return s.Record(m) }

// Last returns the newest message to the destination (zero when none).
func (s *sink) Last(to string) Message {
	m, _ := s.Newest(func(m Message) bool { return m.To == to })
	return m
}

func (s *sink) LastCode(to string) string { return s.Last(to).Code }
