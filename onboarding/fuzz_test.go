package onboarding

import (
	"context"
	"errors"
	"testing"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage/memory"
)

// FuzzSignUp feeds arbitrary sign-up input to the Service: it must never
// panic, and every refusal must be a typed error a client can act on
// (validation, password_policy, identifier_taken), never an internal one.
func FuzzSignUp(f *testing.F) {
	f.Add("+33614125910", "correct-horse-7-battery", "", "en")
	f.Add("0614125910", "12345678", "a@b.co", "fr-FR")
	f.Add("+1 (415) 555-2671", "Passw0rd!", "not an email", "")
	f.Add("+٣٣٦١٤١٢٥٩١٠", "ééééééééé1", "x@y", "\x00")
	f.Add("", "", "", "")
	h := newHarness(f, memory.New())
	f.Fuzz(func(t *testing.T, phone, pw, email, locale string) {
		res, err := h.svc.SignUp(context.Background(), SignUpRequest{PhoneNumber: phone, Password: pw, Email: email, Locale: locale})
		if err == nil {
			if res == nil || res.UserID == "" || res.Challenge.ChallengeID == "" {
				t.Fatalf("success without a user or challenge: %+v", res)
			}
			return
		}
		var oe *onboardkit.Error
		if !errors.As(err, &oe) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		switch oe.Code {
		case onboardkit.CodeValidation, onboardkit.CodePasswordPolicy, onboardkit.CodeIdentifierTaken, onboardkit.CodeSendLimit:
		default:
			t.Fatalf("unexpected code %s: %v", oe.Code, err)
		}
		if oe.Code == onboardkit.CodeValidation && len(oe.Fields) == 0 {
			t.Fatalf("validation error without fields: %v", err)
		}
	})
}
