package otp

import (
	"errors"
	"reflect"
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
