// This file owns the login identifiers: how a phone number and an email
// address are parsed and normalised (E.164, lower case), and how a username
// finds its user.

package onboarding

import (
	"context"
	"errors"
	"net/mail"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

// identifiers parses phone numbers and email addresses.
type identifiers struct {
	// region parses numbers written without a country code ("" requires
	// international format).
	region string
	// fixedLine accepts numbers that cannot receive SMS at sign-up.
	fixedLine bool
}

// signUpPhone parses a phone number given at sign-up (or as a new number):
// it must be able to receive SMS unless fixed lines are allowed.
func (i identifiers) signUpPhone(field, raw string) (string, *onboardkit.FieldError) {
	return i.phone(field, raw, i.fixedLine)
}

// phone parses raw to E.164; anyType accepts numbers that cannot receive
// SMS.
func (i identifiers) phone(field, raw string, anyType bool) (string, *onboardkit.FieldError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", &onboardkit.FieldError{Field: field, Code: onboardkit.FieldRequired, Message: "A phone number is required."}
	}
	if len(raw) > 32 {
		return "", &onboardkit.FieldError{Field: field, Code: onboardkit.FieldInvalidPhone, Message: "The phone number is not valid."}
	}
	num, err := phonenumbers.Parse(raw, i.region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", &onboardkit.FieldError{Field: field, Code: onboardkit.FieldInvalidPhone, Message: "The phone number is not valid; use the international format, e.g. +33612345678."}
	}
	if !anyType {
		switch phonenumbers.GetNumberType(num) {
		case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		default:
			return "", &onboardkit.FieldError{Field: field, Code: onboardkit.FieldNotMobile, Message: "The phone number must be a mobile number that can receive SMS."}
		}
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// normalizeEmail validates an email address and returns it lower-cased.
func normalizeEmail(field, raw string) (string, *onboardkit.FieldError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", &onboardkit.FieldError{Field: field, Code: onboardkit.FieldRequired, Message: "An email address is required."}
	}
	a, err := mail.ParseAddress(raw)
	if err != nil || a.Name != "" || a.Address != raw || len(raw) > 254 || !strings.Contains(raw[strings.LastIndexByte(raw, '@')+1:], ".") {
		return "", &onboardkit.FieldError{Field: field, Code: onboardkit.FieldInvalidEmail, Message: "The email address is not valid."}
	}
	return strings.ToLower(a.Address), nil
}

// username parses a username: an email when it has an "@", else a phone
// number of any type. It returns the normalised value and whether it is an
// email.
func (i identifiers) username(raw string) (value string, isEmail bool, fe *onboardkit.FieldError) {
	raw = strings.TrimSpace(raw)
	if strings.Contains(raw, "@") {
		v, fe := normalizeEmail("username", raw)
		return v, true, fe
	}
	v, fe := i.phone("username", raw, true)
	return v, false, fe
}

// lookup finds the user of a username through st; a username that does not
// parse is storage.ErrNotFound like an unknown one.
func (i identifiers) lookup(ctx context.Context, st storage.Users, username string) (*storage.User, error) {
	v, isEmail, fe := i.username(username)
	switch {
	case fe != nil:
		return nil, storage.ErrNotFound
	case isEmail:
		return st.GetUserByEmail(ctx, v)
	default:
		return st.GetUserByPhone(ctx, v)
	}
}

// taken reports whether phone or email (either may be empty) belongs to a
// user.
func taken(ctx context.Context, st storage.Users, phone, email string) (bool, error) {
	if phone != "" {
		if _, err := st.GetUserByPhone(ctx, phone); err == nil {
			return true, nil
		} else if !errors.Is(err, storage.ErrNotFound) {
			return false, err
		}
	}
	if email != "" {
		if _, err := st.GetUserByEmail(ctx, email); err == nil {
			return true, nil
		} else if !errors.Is(err, storage.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}
