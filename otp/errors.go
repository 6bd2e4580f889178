package otp

import (
	"errors"
	"time"

	"github.com/onboardkit/onboardkit"
)

// ErrNoSender is returned by Issue and Resend when no sender is configured
// for the requested channel. It is a configuration error, not an
// *onboardkit.Error (onboardkit.ErrorCode maps it to "internal").
var ErrNoSender = errors.New("otp: no sender is configured for this channel")

// msgWrongCode is the message of a wrong code (and of an unknown challenge,
// which must read the same).
const msgWrongCode = "The code is not valid."

func invalidCode(msg string, remaining *int) *onboardkit.Error {
	return &onboardkit.Error{
		Code:              onboardkit.CodeInvalidCode,
		Message:           msg,
		AttemptsRemaining: remaining,
		Fields:            []onboardkit.FieldError{{Field: "code", Code: onboardkit.FieldInvalidCode, Message: msg}},
	}
}

func errWrongCode(msg string, remaining int) *onboardkit.Error {
	return invalidCode(msg, &remaining)
}

func errUnknownChallenge() *onboardkit.Error {
	return invalidCode(msgWrongCode, nil)
}

// errUnknown is errUnknownChallenge wrapping its cause (storage.ErrNotFound
// for an unknown id).
func errUnknown(cause error) *onboardkit.Error {
	e := errUnknownChallenge()
	e.Err = cause
	return e
}

func errAlreadyUsed() *onboardkit.Error {
	return invalidCode("The code has already been used.", nil)
}

func errReplaced() *onboardkit.Error {
	return invalidCode("The code was replaced by a newer one.", nil)
}

func errExpired() *onboardkit.Error {
	return &onboardkit.Error{
		Code:    onboardkit.CodeCodeExpired,
		Message: "The code has expired; request a new one.",
		Fields:  []onboardkit.FieldError{{Field: "code", Code: onboardkit.FieldCodeExpired, Message: "The code has expired."}},
	}
}

func errTooMany() *onboardkit.Error {
	zero := 0
	return &onboardkit.Error{
		Code:              onboardkit.CodeTooManyAttempts,
		Message:           "Too many wrong codes; request a new one.",
		AttemptsRemaining: &zero,
		Fields:            []onboardkit.FieldError{{Field: "code", Code: onboardkit.FieldTooManyAttempts, Message: "Too many wrong codes."}},
	}
}

func errTooSoon(retry time.Duration) *onboardkit.Error {
	if retry < 0 {
		retry = 0
	}
	return &onboardkit.Error{
		Code:       onboardkit.CodeResendTooSoon,
		Message:    "A new code cannot be sent yet.",
		RetryAfter: retry,
	}
}

func errSendLimit(retry time.Duration) *onboardkit.Error {
	return &onboardkit.Error{
		Code:       onboardkit.CodeSendLimit,
		Message:    "No more codes can be sent for now.",
		RetryAfter: retry,
	}
}

func errSendFailed(cause error) *onboardkit.Error {
	return &onboardkit.Error{
		Code:    onboardkit.CodeSendFailed,
		Message: "The message could not be sent; try again.",
		Err:     cause,
	}
}
