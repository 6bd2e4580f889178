// This file owns the login identifiers: how a phone number and an email
// address are parsed and normalised (E.164, lower case) — one spelling per
// identifier, so every limit keyed on it holds — and how a username finds
// its user.

package onboarding

import (
	"context"
	"errors"
	"net/mail"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
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
// SMS. Only a plain number is accepted: digits, with a leading "+" for the
// international format, and spaces, dots or dashes between digits. The
// digits must be the number's own — the E.164 digits, or with a default
// region the national number with or without its trunk prefix — so
// extensions, tel: URIs, "(0)" and a trunk zero after the country code are
// all refused, and every spelling that reaches a user is one spelling.
func (i identifiers) phone(field, raw string, anyType bool) (string, *onboardkit.FieldError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", &onboardkit.FieldError{Field: field, Code: onboardkit.FieldRequired, Message: "A phone number is required."}
	}
	digits, ok := plainNumber(raw)
	if !ok {
		return "", &onboardkit.FieldError{Field: field, Code: onboardkit.FieldInvalidPhone, Message: "Write the phone number with digits only (spaces, dots or dashes between them), in the international format, e.g. +33612345678."}
	}
	num, err := phonenumbers.Parse(digits, i.region)
	if err != nil || !phonenumbers.IsValidNumber(num) || !i.canonical(digits, num) {
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

// plainNumber strips the separators of a plain number (kyc.PhoneDigits).
func plainNumber(raw string) (string, bool) { return kyc.PhoneDigits(raw) }

// canonical reports whether digits spell num exactly: its E.164 digits, or
// (national format, with a default region) its national significant number
// with or without the region's trunk prefix.
func (i identifiers) canonical(digits string, num *phonenumbers.PhoneNumber) bool {
	if strings.HasPrefix(digits, "+") {
		return digits == phonenumbers.Format(num, phonenumbers.E164)
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	return i.region != "" && (digits == nsn || digits == phonenumbers.GetNddPrefixForRegion(i.region, true)+nsn)
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
// parse (another spelling of a number included) is storage.ErrNotFound like
// an unknown one.
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

// login reads, in one store read, the holder of a username (as lookup)
// with its password hash and whether it has a confirmed authenticator.
func (i identifiers) login(ctx context.Context, st storage.Credentials, username string) (*storage.Login, error) {
	v, isEmail, fe := i.username(username)
	if fe != nil {
		return nil, storage.ErrNotFound
	}
	by := storage.LoginByPhone
	if isEmail {
		by = storage.LoginByEmail
	}
	return st.GetLogin(ctx, by, v)
}

// holders returns the users holding phone and email (nil for none, or for
// an empty identifier): the verified holder when there is one, else the
// newest unverified holder.
func holders(ctx context.Context, st storage.Users, phone, email string) (byPhone, byEmail *storage.User, err error) {
	get := func(v string, fn func(context.Context, string) (*storage.User, error)) (*storage.User, error) {
		if v == "" {
			return nil, nil
		}
		u, err := fn(ctx, v)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		return u, err
	}
	if byPhone, err = get(phone, st.GetUserByPhone); err != nil {
		return nil, nil, err
	}
	byEmail, err = get(email, st.GetUserByEmail)
	return byPhone, byEmail, err
}

// validLocale reports whether locale is empty or a well-formed BCP 47 tag
// of at most 35 characters.
func validLocale(locale string) bool {
	if locale == "" {
		return true
	}
	if len(locale) > 35 {
		return false
	}
	_, err := language.Parse(locale)
	return err == nil
}
