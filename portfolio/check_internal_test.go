package portfolio

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// check holds the few assertions these tests need (testify's assert/yaml
// dependency is missing from go.sum, so the package tests use the standard
// library only).
var check checker

type checker struct{}

func msg(args []any) string {
	if len(args) == 0 {
		return ""
	}
	return " [" + fmt.Sprint(args...) + "]"
}

func (checker) NoError(t testing.TB, err error, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v%s", err, msg(args))
	}
}

func (checker) Equal(t testing.TB, want, got any, args ...any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("not equal%s\nwant: %#v\n got: %#v", msg(args), want, got)
	}
}

func (checker) ErrorIs(t testing.TB, err, target error, args ...any) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v is not %v%s", err, target, msg(args))
	}
}

func (checker) Len(t testing.TB, b []byte, n int) {
	t.Helper()
	if len(b) != n {
		t.Fatalf("length %d, want %d", len(b), n)
	}
}
