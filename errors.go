package onboardkit

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Code is a stable machine-readable error code. Codes never change meaning;
// the HTTP layer maps each to a status in one table, and [Codes] lists them
// all so that table can be checked for completeness.
//
// A Code is also an error: the sentinels ErrValidation, ErrInvalidCode, …
// are Codes, immutable values that errors.Is matches against every *Error
// with that code. The module itself always returns an *Error (built with
// [Code.Err] or [NewError]), so errors.As into *Error works on everything it
// returns.
type Code string

// The error codes of the module, in the order [Codes] lists them.
const (
	CodeValidation          Code = "validation"
	CodePasswordPolicy      Code = "password_policy"
	CodeInvalidCode         Code = "invalid_code"
	CodeCodeExpired         Code = "code_expired"
	CodeTooManyAttempts     Code = "too_many_attempts"
	CodeResendTooSoon       Code = "resend_too_soon"
	CodeSendLimit           Code = "send_limit"
	CodeSendFailed          Code = "send_failed"
	CodeIdentifierTaken     Code = "identifier_taken"
	CodeInvalidCredentials  Code = "invalid_credentials"
	CodeAccountLocked       Code = "account_locked"
	CodeKYCNotActive        Code = "kyc_not_active"
	CodeInvalidTransition   Code = "invalid_transition"
	CodeInvalidRefreshToken Code = "invalid_refresh_token"
	CodeInvalidToken        Code = "invalid_token"
	CodeRecentAuthRequired  Code = "recent_auth_required"
	CodeNotFound            Code = "not_found"
	CodeConflict            Code = "conflict"
	CodeNameTaken           Code = "name_taken"
	CodeLimitReached        Code = "limit_reached"
	CodeRateLimited         Code = "rate_limited"
	CodeInvalidSignature    Code = "invalid_signature"
	CodeUnavailable         Code = "unavailable"
	CodeInternal            Code = "internal"
	// CodePasskeyInvalid: a WebAuthn response (attestation or assertion)
	// does not verify; the field error says why.
	CodePasskeyInvalid Code = "passkey_invalid"
	// CodePasskeyCloned: a passkey's signature counter did not grow (a
	// cloned authenticator, or a replayed assertion).
	CodePasskeyCloned Code = "passkey_cloned"
	// CodePasskeysDisabled: the service has no WebAuthn relying party
	// configured.
	CodePasskeysDisabled Code = "passkeys_disabled"
)

// codeMessages is the one table of codes and their default messages: every
// Code of the module has a row, and Codes lists the rows in order.
var codeMessages = []struct {
	code    Code
	message string
}{
	{CodeValidation, "The input is not valid."},
	{CodePasswordPolicy, "The password does not meet the policy."},
	{CodeInvalidCode, "The code is not valid."},
	{CodeCodeExpired, "The code has expired."},
	{CodeTooManyAttempts, "Too many wrong codes; request a new one."},
	{CodeResendTooSoon, "A new code cannot be sent yet."},
	{CodeSendLimit, "No more codes can be sent to this destination for now."},
	{CodeSendFailed, "The message could not be sent; try again."},
	{CodeIdentifierTaken, "This phone number or email is already registered."},
	{CodeInvalidCredentials, "The username or password is not valid."},
	{CodeAccountLocked, "The account is locked."},
	{CodeKYCNotActive, "Identity verification is not complete."},
	{CodeInvalidTransition, "This step is not allowed now."},
	{CodeInvalidRefreshToken, "The refresh token is not valid."},
	{CodeInvalidToken, "The access token is not valid."},
	{CodeRecentAuthRequired, "Log in again to make this change."},
	{CodeNotFound, "Not found."},
	{CodeConflict, "The record changed; retry."},
	{CodeNameTaken, "The name is already used."},
	{CodeLimitReached, "The limit has been reached."},
	{CodeRateLimited, "Too many requests; try again later."},
	{CodeInvalidSignature, "The request signature is not valid."},
	{CodeUnavailable, "The service is temporarily unavailable."},
	{CodeInternal, "An internal error occurred."},
	{CodePasskeyInvalid, "The passkey response is not valid."},
	{CodePasskeyCloned, "The passkey's signature counter went backwards; it may have been copied."},
	{CodePasskeysDisabled, "Passkeys are not enabled on this service."},
}

// Codes returns every error code of the module, in a fixed order.
func Codes() []Code {
	out := make([]Code, len(codeMessages))
	for i, r := range codeMessages {
		out[i] = r.code
	}
	return out
}

// Message returns the default English message of the code ("" for a code
// the module does not define).
func (c Code) Message() string {
	for _, r := range codeMessages {
		if r.code == c {
			return r.message
		}
	}
	return ""
}

// Error makes a Code usable as a sentinel error; it is the code itself, so a
// Code prints the same whether fmt sees it as an error or a string.
func (c Code) Error() string { return string(c) }

// Err returns a new *Error with the code and its default message. Each call
// returns a fresh value, so a caller may change it freely.
func (c Code) Err() *Error { return &Error{Code: c, Message: c.Message()} }

// Sentinels, one per code, for errors.Is. Each is the Code itself: a
// constant that nobody can change.
const (
	ErrValidation          = CodeValidation
	ErrPasswordPolicy      = CodePasswordPolicy
	ErrInvalidCode         = CodeInvalidCode
	ErrCodeExpired         = CodeCodeExpired
	ErrTooManyAttempts     = CodeTooManyAttempts
	ErrResendTooSoon       = CodeResendTooSoon
	ErrSendLimit           = CodeSendLimit
	ErrSendFailed          = CodeSendFailed
	ErrIdentifierTaken     = CodeIdentifierTaken
	ErrInvalidCredentials  = CodeInvalidCredentials
	ErrAccountLocked       = CodeAccountLocked
	ErrKYCNotActive        = CodeKYCNotActive
	ErrInvalidTransition   = CodeInvalidTransition
	ErrInvalidRefreshToken = CodeInvalidRefreshToken
	ErrInvalidToken        = CodeInvalidToken
	ErrRecentAuthRequired  = CodeRecentAuthRequired
	ErrNotFound            = CodeNotFound
	ErrConflict            = CodeConflict
	ErrNameTaken           = CodeNameTaken
	ErrLimitReached        = CodeLimitReached
	ErrRateLimited         = CodeRateLimited
	ErrInvalidSignature    = CodeInvalidSignature
	ErrUnavailable         = CodeUnavailable
	ErrPasskeyInvalid      = CodePasskeyInvalid
	ErrPasskeyCloned       = CodePasskeyCloned
	ErrPasskeysDisabled    = CodePasskeysDisabled
)

// FieldError is one problem with one input field. Field is the JSON path of
// the field ("userInfo.residentialAddress.postalCode"); Code is one of the
// [FieldCode]s.
type FieldError struct {
	Field   string    `json:"field"`
	Code    FieldCode `json:"code"`
	Message string    `json:"message"`
}

// Error is the typed error every package of the module returns for failures a
// caller can act on. Compare with errors.Is against the sentinels (an *Error
// matches the sentinel of its code, and another *Error with the same code)
// and read details with errors.As.
type Error struct {
	// Code is the stable machine code.
	Code Code
	// Message is an English sentence safe to show to an end user. It never
	// holds secrets or PII.
	Message string
	// Fields lists every field problem when the input had fields.
	Fields []FieldError
	// AttemptsRemaining is set on invalid_code: how many wrong codes the
	// challenge still accepts.
	AttemptsRemaining *int
	// RetryAfter is set when the caller may retry after a delay
	// (resend_too_soon, send_limit, rate_limited).
	RetryAfter time.Duration
	// Err is an underlying cause kept for logs and errors.Unwrap; it is never
	// shown to end users.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", f.Field, f.Code)
		if i == len(e.Fields)-1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's code, or an *Error with
// the same code, so that errors.Is(err, onboardkit.ErrInvalidCode) holds for
// every invalid_code error.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return t == e.Code
	case *Error:
		return t.Code == e.Code
	}
	return false
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError returns an *Error with the code and message ("" takes the code's
// default message).
func NewError(code Code, message string) *Error {
	if message == "" {
		message = code.Message()
	}
	return &Error{Code: code, Message: message}
}

// ValidationError returns a validation *Error listing fields.
func ValidationError(fields ...FieldError) *Error {
	return &Error{Code: CodeValidation, Message: CodeValidation.Message(), Fields: fields}
}

// AsError returns the first *Error in err's chain. A bare Code (a sentinel
// returned as an error) reads as a new *Error of that code. It returns nil
// when err holds neither.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var c Code
	if errors.As(err, &c) {
		return c.Err()
	}
	return nil
}

// ErrorCode returns the code of the first *Error (or Code) in err's chain,
// CodeInternal when there is none, and "" for a nil error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e := AsError(err); e != nil {
		return e.Code
	}
	return CodeInternal
}
