package password_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/password"
)

// FuzzValidate checks that validation never panics, always answers nil or a
// *PolicyError (no breach checker or history here), is deterministic, and
// reports too_long exactly when the password has more than 128 runes.
func FuzzValidate(f *testing.F) {
	seeds := [][4]string{
		{"12345678", "Désirée", "+33614125910", "desiree.martin@example.com"},
		{"Desiree1990x", "Desiree", "+33614125910", ""},
		{"+33614125910", "", "+33614125910", ""},
		{"0614125910", "", "06 14 12 59 10", ""},
		{"Passw0rd!", "", "", ""},
		{"correct-horse-7-battery", "Klaus", "+4915112345678", "k@x.org"},
		{"", "", "", ""},
		{"\xff\xfe\xfd", "\xff", "+", "@"},
		{"Жёлтый-кот-42", "Жёлтый", "+7 916 123-45-67", "кот@пример.рф"},
		{"e\u0301e\u0301e\u0301e\u0301e\u0301e\u03011", "é", "+999999999999999999999", "a@b@c"},
		{"1!1!1!1!1!1!1!1!", "l", "+1", "!!!"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	p := password.DefaultPolicy()
	ctx := context.Background()
	birth := time.Date(1990, 5, 21, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, candidate, name, phone, email string) {
		prof := password.Profile{Phone: phone, Email: email, FirstName: name, LastName: name, BirthDate: birth, Extra: []string{name}}
		err1 := p.Validate(ctx, candidate, prof)
		err2 := p.Validate(ctx, candidate, prof)
		var pe1, pe2 *password.PolicyError
		if err1 != nil && !errors.As(err1, &pe1) || err2 != nil && !errors.As(err2, &pe2) {
			t.Fatalf("not a PolicyError: %v / %v", err1, err2)
		}
		if (err1 == nil) != (err2 == nil) || pe1 != nil && !slices.Equal(pe1.Codes(), pe2.Codes()) {
			t.Fatalf("not deterministic: %v / %v", err1, err2)
		}
		tooLong := utf8.RuneCountInString(candidate) > 128
		if got := pe1 != nil && pe1.Has(onboardkit.FieldTooLong); got != tooLong {
			t.Fatalf("too_long = %v for %d runes", got, utf8.RuneCountInString(candidate))
		}
		if pe1 != nil && !errors.Is(err1, onboardkit.ErrPasswordPolicy) {
			t.Fatal("errors.Is(ErrPasswordPolicy) does not hold")
		}
	})
}
