package onboardkit

import (
	"fmt"
	"strings"
	"time"
)

// Code is a stable machine-readable error code. Codes never change meaning;
// the HTTP layer maps each to a status in one table.
type Code string

// The error codes of the module.
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
)

// FieldError is one problem with one input field. Field is the JSON path of
// the field ("userInfo.residentialAddress.postalCode"); Code is a stable
// machine code for the problem ("required", "too_short", ...).
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is the typed error every package of the module returns for failures a
// caller can act on. Compare with errors.Is against the exported sentinels
// (two *Error match when their codes match) and read details with errors.As.
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

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, onboardkit.ErrInvalidCode) holds for every invalid_code error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError returns an *Error with the code and message.
func NewError(code Code, message string) *Error {
	return &Error{Code: code, Message: message}
}

// ValidationError returns a validation *Error listing fields.
func ValidationError(fields ...FieldError) *Error {
	return &Error{Code: CodeValidation, Message: "The input is not valid.", Fields: fields}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal when there is none (and "" for a nil error).
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if asError(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Sentinels, one per code, for errors.Is.
var (
	ErrValidation          = NewError(CodeValidation, "The input is not valid.")
	ErrPasswordPolicy      = NewError(CodePasswordPolicy, "The password does not meet the policy.")
	ErrInvalidCode         = NewError(CodeInvalidCode, "The code is not valid.")
	ErrCodeExpired         = NewError(CodeCodeExpired, "The code has expired.")
	ErrTooManyAttempts     = NewError(CodeTooManyAttempts, "Too many wrong codes; request a new one.")
	ErrResendTooSoon       = NewError(CodeResendTooSoon, "A new code cannot be sent yet.")
	ErrSendLimit           = NewError(CodeSendLimit, "No more codes can be sent to this destination for now.")
	ErrSendFailed          = NewError(CodeSendFailed, "The message could not be sent; try again.")
	ErrIdentifierTaken     = NewError(CodeIdentifierTaken, "This phone number or email is already registered.")
	ErrInvalidCredentials  = NewError(CodeInvalidCredentials, "The username or password is not valid.")
	ErrAccountLocked       = NewError(CodeAccountLocked, "The account is locked.")
	ErrKYCNotActive        = NewError(CodeKYCNotActive, "Identity verification is not complete.")
	ErrInvalidTransition   = NewError(CodeInvalidTransition, "This step is not allowed now.")
	ErrInvalidRefreshToken = NewError(CodeInvalidRefreshToken, "The refresh token is not valid.")
	ErrInvalidToken        = NewError(CodeInvalidToken, "The access token is not valid.")
	ErrRecentAuthRequired  = NewError(CodeRecentAuthRequired, "Log in again to make this change.")
	ErrNotFound            = NewError(CodeNotFound, "Not found.")
	ErrConflict            = NewError(CodeConflict, "The record changed; retry.")
	ErrNameTaken           = NewError(CodeNameTaken, "The name is already used.")
	ErrLimitReached        = NewError(CodeLimitReached, "The limit has been reached.")
	ErrRateLimited         = NewError(CodeRateLimited, "Too many requests; try again later.")
	ErrInvalidSignature    = NewError(CodeInvalidSignature, "The request signature is not valid.")
	ErrUnavailable         = NewError(CodeUnavailable, "The service is temporarily unavailable.")
)
