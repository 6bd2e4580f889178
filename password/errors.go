package password

import (
	"errors"
	"strings"

	"github.com/onboardkit/onboardkit"
)

// ErrInvalidHash is matched (errors.Is) by the errors [Hasher.Verify] returns
// for a stored hash that is malformed, of an unknown algorithm, or whose
// parameters exceed the limits the hasher accepts.
var ErrInvalidHash = errors.New("password: invalid or unsupported password hash")

// Violation is one violated policy rule.
type Violation struct {
	// Code is one of the password field codes of the root package
	// (onboardkit.FieldTooShort, FieldTooLong, FieldMissingDigit,
	// FieldMissingLetter, FieldEqualsPhone, FieldContainsProfileInfo,
	// FieldReused, FieldTooCommon, FieldTooSimple, FieldBreached).
	Code onboardkit.FieldCode
	// Message is an English sentence for the end user. It never repeats the
	// password or the profile data.
	Message string
}

// PolicyError is the error returned when a password violates the policy. It
// lists every violated rule. errors.Is(err, onboardkit.ErrPasswordPolicy)
// holds, and errors.As
// into an *onboardkit.Error yields code password_policy with one
// onboardkit.FieldError (field "password") per violation.
type PolicyError struct {
	// Violations lists every violated rule, in a fixed order (the order of
	// the list in Violation.Code).
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
		b.WriteString(string(v.Code))
	}
	return b.String()
}

// Has reports whether the violations include code.
func (e *PolicyError) Has(code onboardkit.FieldCode) bool {
	for _, v := range e.Violations {
		if v.Code == code {
			return true
		}
	}
	return false
}

// Codes returns the violation codes in order.
func (e *PolicyError) Codes() []onboardkit.FieldCode {
	out := make([]onboardkit.FieldCode, len(e.Violations))
	for i, v := range e.Violations {
		out[i] = v.Code
	}
	return out
}

// Unwrap returns the equivalent *onboardkit.Error (code password_policy, one
// field error per violation), so that errors.Is against
// onboardkit.ErrPasswordPolicy and
// errors.As into *onboardkit.Error both work.
func (e *PolicyError) Unwrap() error {
	fields := make([]onboardkit.FieldError, len(e.Violations))
	for i, v := range e.Violations {
		fields[i] = onboardkit.FieldError{Field: "password", Code: v.Code, Message: v.Message}
	}
	return &onboardkit.Error{
		Code:    onboardkit.CodePasswordPolicy,
		Message: onboardkit.CodePasswordPolicy.Message(),
		Fields:  fields,
	}
}
