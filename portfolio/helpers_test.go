package portfolio_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/onboardkit/onboardkit"
)

func mustNoErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func mustEqual(t testing.TB, want, got any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("not equal\nwant: %#v\n got: %#v", want, got)
	}
}

// mustCode checks that err is an *onboardkit.Error with the code.
func mustCode(t testing.TB, err error, code onboardkit.Code) *onboardkit.Error {
	t.Helper()
	var e *onboardkit.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *onboardkit.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code %q, want %q (%v)", e.Code, code, err)
	}
	return e
}

// fieldCodes lists the "field:code" pairs of a validation error.
func fieldCodes(t testing.TB, err error) []string {
	t.Helper()
	e := mustCode(t, err, onboardkit.CodeValidation)
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+":"+string(f.Code))
	}
	return out
}
