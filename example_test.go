package onboardkit_test

import (
	"errors"
	"fmt"

	"github.com/onboardkit/onboardkit"
)

// A step returns an *Error; callers compare it with the sentinels and read
// its details with errors.As.
func ExampleCode_Err() {
	err := fmt.Errorf("confirm: %w", onboardkit.CodeInvalidCode.Err())
	fmt.Println(errors.Is(err, onboardkit.ErrInvalidCode), errors.Is(err, onboardkit.ErrCodeExpired))
	var e *onboardkit.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, "-", e.Message)
	}
	// Output:
	// true false
	// invalid_code - The code is not valid.
}

// ValidationError lists every field problem at once, each with a stable
// FieldCode.
func ExampleValidationError() {
	err := onboardkit.ValidationError(
		onboardkit.FieldError{Field: "phoneNumber", Code: onboardkit.FieldInvalidPhone, Message: "The phone number is not valid."},
		onboardkit.FieldError{Field: "password", Code: onboardkit.FieldTooShort, Message: "The password must be at least 8 characters long."},
	)
	fmt.Println(err)
	fmt.Println(onboardkit.ErrorCode(err))
	// Output:
	// validation: The input is not valid. (phoneNumber: invalid_phone; password: too_short)
	// validation
}

// Codes lists every code, for tables that must cover them all.
func ExampleCodes() {
	for _, c := range onboardkit.Codes()[:3] {
		fmt.Printf("%s: %s\n", c, c.Message())
	}
	// Output:
	// validation: The input is not valid.
	// password_policy: The password does not meet the policy.
	// invalid_code: The code is not valid.
}
