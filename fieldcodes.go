package onboardkit

// FieldCode is the stable machine code of one [FieldError]: what is wrong
// with one field. Every code any package of the module reports is declared
// here and listed by [FieldCodes]; a client can switch on them.
type FieldCode string

// Field codes of input that is missing, too big or of the wrong shape.
const (
	// FieldRequired: the field is missing or empty.
	FieldRequired FieldCode = "required"
	// FieldTooLong: the value is over its maximum length.
	FieldTooLong FieldCode = "too_long"
	// FieldTooShort: the value is under its minimum length.
	FieldTooShort FieldCode = "too_short"
	// FieldTooMany: a list has too many items.
	FieldTooMany FieldCode = "too_many"
	// FieldInvalid: the value is malformed (a name, a number, a URL, a
	// channel, …); the message says how.
	FieldInvalid FieldCode = "invalid"
	// FieldInvalidFormat: the value does not have the documented format (a
	// derivation path, a portfolio type name in a configuration).
	FieldInvalidFormat FieldCode = "invalid_format"
	// FieldInvalidCharacters: the value holds control, invisible or
	// non-UTF-8 characters.
	FieldInvalidCharacters FieldCode = "invalid_characters"
	// FieldInvalidEnum: the value is not one of the accepted values, which
	// the message lists.
	FieldInvalidEnum FieldCode = "invalid_enum"
	// FieldUnsupported: the value names something this deployment does not
	// support (a portfolio type that is not configured).
	FieldUnsupported FieldCode = "unsupported"
	// FieldOutOfRange: a number is outside its accepted range.
	FieldOutOfRange FieldCode = "out_of_range"
	// FieldInvalidType: the JSON value has the wrong type (a string where a
	// number is expected).
	FieldInvalidType FieldCode = "invalid_type"
	// FieldUnknown: the JSON body has a member the API does not accept.
	FieldUnknown FieldCode = "unknown_field"
	// FieldMismatch: the value must equal another field and does not (a
	// password and its confirmation).
	FieldMismatch FieldCode = "mismatch"
	// FieldNotAllowed: the value may not be set by this caller (a role a
	// user may not give themselves).
	FieldNotAllowed FieldCode = "not_allowed"
)

// Field codes of contact details, dates and places.
const (
	// FieldInvalidPhone: not a valid phone number (E.164, or national with
	// the configured default region).
	FieldInvalidPhone FieldCode = "invalid_phone"
	// FieldNotMobile: a valid phone number that cannot receive SMS (fixed
	// line, premium rate, …) where a mobile is required.
	FieldNotMobile FieldCode = "not_mobile"
	// FieldInvalidEmail: not an email address.
	FieldInvalidEmail FieldCode = "invalid_email"
	// FieldInvalidCountry: not an officially assigned ISO 3166-1 code.
	FieldInvalidCountry FieldCode = "invalid_country"
	// FieldInvalidPostalCode: the postal code has the wrong shape for the
	// country.
	FieldInvalidPostalCode FieldCode = "invalid_postal_code"
	// FieldInvalidDate: not a real YYYY-MM-DD date or RFC 3339 timestamp,
	// or an implausible one.
	FieldInvalidDate FieldCode = "invalid_date"
	// FieldInFuture: a birth date or acceptance time after now.
	FieldInFuture FieldCode = "in_future"
	// FieldTooYoung: the birth date is under the minimum age.
	FieldTooYoung FieldCode = "too_young"
	// FieldNameTaken: the account already has a portfolio with this name.
	FieldNameTaken FieldCode = "name_taken"
)

// Field codes of one-time codes (field "code"); they repeat the error code.
const (
	// FieldInvalidCode: the code is wrong, unknown, replaced or used.
	FieldInvalidCode FieldCode = "invalid_code"
	// FieldCodeExpired: the code has expired.
	FieldCodeExpired FieldCode = "code_expired"
	// FieldTooManyAttempts: too many wrong codes burned the challenge.
	FieldTooManyAttempts FieldCode = "too_many_attempts"
)

// Field codes of the password policy (field "password"); see package
// password for the rules.
const (
	// FieldMissingDigit: the password has no digit.
	FieldMissingDigit FieldCode = "missing_digit"
	// FieldMissingLetter: the password has no letter.
	FieldMissingLetter FieldCode = "missing_letter"
	// FieldEqualsPhone: the password is the user's phone number.
	FieldEqualsPhone FieldCode = "equals_phone"
	// FieldContainsProfileInfo: the password contains a name, the email
	// local part, the phone number or the birth date of the user.
	FieldContainsProfileInfo FieldCode = "contains_profile_info"
	// FieldReused: the password is one of the user's previous passwords.
	FieldReused FieldCode = "reused"
	// FieldTooCommon: the password is on the blocklist of common passwords.
	FieldTooCommon FieldCode = "too_common"
	// FieldTooSimple: the password is a keyboard row, a sequence or a
	// repetition.
	FieldTooSimple FieldCode = "too_simple"
	// FieldBreached: the configured breach checker knows the password.
	FieldBreached FieldCode = "breached"
)

// Field codes of an extended public key in a host's configuration (field
// "extendedKey"); see package portfolio.
const (
	// FieldMalformed: the key is not a Base58Check extended key.
	FieldMalformed FieldCode = "malformed"
	// FieldBadChecksum: the key's checksum does not match (a typo).
	FieldBadChecksum FieldCode = "bad_checksum"
	// FieldPrivateKey: an extended private key was given; only public keys
	// are accepted.
	FieldPrivateKey FieldCode = "private_key"
	// FieldUnsupportedVersion: the version prefix is unknown or of another
	// address type.
	FieldUnsupportedVersion FieldCode = "unsupported_version"
	// FieldWrongNetwork: the key is for another network.
	FieldWrongNetwork FieldCode = "wrong_network"
	// FieldInvalidPublicKey: the key's point is not on the curve.
	FieldInvalidPublicKey FieldCode = "invalid_public_key"
	// FieldWrongDepth: the key is not at the depth of an account key.
	FieldWrongDepth FieldCode = "wrong_depth"
	// FieldPathMismatch: the key's child number does not match the account
	// path.
	FieldPathMismatch FieldCode = "path_mismatch"
	// FieldUnusableKey: a chain of the key cannot be derived.
	FieldUnusableKey FieldCode = "unusable_key"

	// WebAuthn (passkey) responses.

	// FieldChallengeMismatch: the response signs another challenge than
	// the one this ceremony issued.
	FieldChallengeMismatch FieldCode = "challenge_mismatch"
	// FieldOriginMismatch: the response comes from an origin the service
	// does not allow.
	FieldOriginMismatch FieldCode = "origin_mismatch"
	// FieldRPIDMismatch: the authenticator scoped the credential to another
	// relying party id.
	FieldRPIDMismatch FieldCode = "rp_id_mismatch"
	// FieldBadSignature: the signature (of an assertion or an attestation
	// statement) does not verify.
	FieldBadSignature FieldCode = "bad_signature"
	// FieldUserVerificationRequired: the authenticator did not verify the
	// user (PIN, biometrics).
	FieldUserVerificationRequired FieldCode = "user_verification_required"
	// FieldUnknownCredential: no passkey of the user has this credential id.
	FieldUnknownCredential FieldCode = "unknown_credential"
	// FieldAlreadyRegistered: the credential is already registered.
	FieldAlreadyRegistered FieldCode = "already_registered"
)

var fieldCodes = []FieldCode{
	FieldRequired, FieldTooLong, FieldTooShort, FieldTooMany, FieldInvalid,
	FieldInvalidFormat, FieldInvalidCharacters, FieldInvalidEnum, FieldUnsupported,
	FieldOutOfRange, FieldInvalidType, FieldUnknown, FieldMismatch, FieldNotAllowed,
	FieldInvalidPhone, FieldNotMobile, FieldInvalidEmail, FieldInvalidCountry,
	FieldInvalidPostalCode, FieldInvalidDate, FieldInFuture, FieldTooYoung, FieldNameTaken,
	FieldInvalidCode, FieldCodeExpired, FieldTooManyAttempts,
	FieldMissingDigit, FieldMissingLetter, FieldEqualsPhone, FieldContainsProfileInfo,
	FieldReused, FieldTooCommon, FieldTooSimple, FieldBreached,
	FieldMalformed, FieldBadChecksum, FieldPrivateKey, FieldUnsupportedVersion,
	FieldWrongNetwork, FieldInvalidPublicKey, FieldWrongDepth, FieldPathMismatch, FieldUnusableKey,
	FieldChallengeMismatch, FieldOriginMismatch, FieldRPIDMismatch, FieldBadSignature,
	FieldUserVerificationRequired, FieldUnknownCredential, FieldAlreadyRegistered,
}

// FieldCodes returns every field code of the module, in a fixed order.
func FieldCodes() []FieldCode { return append([]FieldCode(nil), fieldCodes...) }
