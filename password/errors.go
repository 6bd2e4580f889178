package password

import (
	"errors"
	"strings"

	"github.com/onboardkit/onboardkit"
)

// ErrPolicy is the sentinel every policy failure matches:
// errors.Is(err, password.ErrPolicy) holds for a [*PolicyError]. It is the
// root package's onboardkit.ErrPasswordPolicy (code password_policy).
var ErrPolicy = onboardkit.ErrPasswordPolicy

// ErrInvalidHash is matched (errors.Is) by the errors [Hasher.Verify] returns
// for a stored hash that is malformed, of an unknown algorithm, or whose
// parameters exceed the limits the hasher accepts.
var ErrInvalidHash = errors.New("password: invalid or unsupported password hash")

// The stable codes of policy violations ([Violation.Code]). They are also the
// Code of the onboardkit.FieldError entries of the unwrapped *onboardkit.Error.
const (
	// CodeTooShort: fewer runes than Policy.MinLength.
	CodeTooShort = "too_short"
	// CodeTooLong: more runes than Policy.MaxLength.
	CodeTooLong = "too_long"
	// CodeMissingDigit: no digit although Policy.RequireDigit.
	CodeMissingDigit = "missing_digit"
	// CodeMissingLetter: no letter although Policy.RequireLetter.
	CodeMissingLetter = "missing_letter"
	// CodeEqualsPhone: the password is the user's phone number, in any of
	// its digit forms.
	CodeEqualsPhone = "equals_phone"
	// CodeContainsProfileInfo: the password contains a name, the email local
	// part, the phone number or the birth date of the user.
	CodeContainsProfileInfo = "contains_profile_info"
	// CodeReused: the password is one of the user's previous passwords.
	CodeReused = "reused"
	// CodeTooCommon: the password is on the blocklist of common passwords
	// (after folding, substitutions and stripping a short digit run).
	CodeTooCommon = "too_common"
	// CodeTooSimple: the password is a keyboard row, a sequence, a repeated
	// character or a short repeated pattern.
	CodeTooSimple = "too_simple"
	// CodeBreached: the configured BreachChecker reports the password as
	// breached. Only possible when Policy.BreachChecker is set.
	CodeBreached = "breached"
)

// Violation is one violated policy rule.
type Violation struct {
	// Code is one of the Code* constants.
	Code string
	// Message is an English sentence for the end user. It never repeats the
	// password or the profile data.
	Message string
}

// PolicyError is the error returned when a password violates the policy. It
// lists every violated rule. errors.Is(err, ErrPolicy) holds, and errors.As
// into an *onboardkit.Error yields code password_policy with one
// onboardkit.FieldError (field "password") per violation.
type PolicyError struct {
	// Violations lists every violated rule, in a fixed order (the order of
	// the Code* constants).
	Violations []Violation
}

// Error implements error. It lists the violation codes only.
func (e *PolicyError) Error() string {
	var b strings.Builder
	b.WriteString("password_policy: ")
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(v.Code)
	}
	return b.String()
}

// Has reports whether the violations include code.
func (e *PolicyError) Has(code string) bool {
	for _, v := range e.Violations {
		if v.Code == code {
			return true
		}
	}
	return false
}

// Codes returns the violation codes in order.
func (e *PolicyError) Codes() []string {
	out := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		out[i] = v.Code
	}
	return out
}

// Unwrap returns the equivalent *onboardkit.Error (code password_policy, one
// field error per violation), so that errors.Is against ErrPolicy and
// errors.As into *onboardkit.Error both work.
func (e *PolicyError) Unwrap() error {
	fields := make([]onboardkit.FieldError, len(e.Violations))
	for i, v := range e.Violations {
		fields[i] = onboardkit.FieldError{Field: "password", Code: v.Code, Message: v.Message}
	}
	return &onboardkit.Error{
		Code:    onboardkit.CodePasswordPolicy,
		Message: ErrPolicy.Message,
		Fields:  fields,
	}
}
