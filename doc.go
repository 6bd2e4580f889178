// Package onboardkit is an embeddable Go module that gives a fintech or crypto
// service the whole customer onboarding journey: sign-up with phone and
// password, SMS and email confirmation codes, login with an OTP challenge,
// access and refresh tokens, password recovery, personal details, compliance
// declarations, KYC submission and review, and accounts and portfolios with
// their own deposit addresses once KYC is approved.
//
// # The journey
//
//  1. Sign up with a phone number (or email) and a password checked against
//     the policy of package password.
//  2. Confirm the SMS code (package otp); the user receives an access token
//     and a refresh token.
//  3. Add and confirm an email address.
//  4. Enter personal details (tier KYC_0 once complete).
//  5. Declare compliance: terms, politically-exposed person, questionnaire.
//  6. Submit KYC documents (package kyc); a reviewer decides.
//  7. On approval (tier KYC_1) accounts become active and portfolios with
//     their own deposit addresses can be created (package portfolio).
//
// # Packages
//
// This root package holds what every other package shares: the typed [Error]
// with its stable [Code]s (sentinels for errors.Is), the [FieldCode]s of
// field problems, the [Clock] through which all time is read and the
// [Runtime] that carries clock, randomness and logger to every component.
//
//   - password: the password policy, argon2id hashing, the embedded blocklist.
//   - otp: the lifecycle of one-time challenges (SMS and email codes, TOTP
//     login challenges), TOTP enrollment, SMS and email senders; otp/otptest
//     holds a recording sender for tests.
//   - kyc: KYC submission types, validation, documents, status machine, tiers.
//   - portfolio: accounts, portfolios, the KYC gate, deposit-address derivation.
//   - storage: the storage interfaces; storage/memory, storage/postgres and the
//     conformance suite storage/storagetest.
//   - onboarding: the registration state machine and the Service façade.
//   - httpapi: the ready net/http handler.
//   - clocktest: a settable clock for tests (the module's and the host's).
//
// # Configuration
//
// One rule holds across the module:
//
//   - A package is configured by a struct named Config (or XConfig where it
//     has several, such as otp.TOTPConfig) whose zero value is the
//     documented default: a zero field always means "the default", never
//     "off". Where a feature is on by default its switch reads Disable… or
//     …Optional (portfolio.Config.DisableAutoProvision,
//     onboarding.Flow.EmailOptional). Rule sets whose zero fields switch
//     rules off (password.Policy, kyc.Rules) are values the host starts
//     from a DefaultX() function; nil means that default.
//   - Adapters to something outside the module (storage/memory,
//     storage/postgres, otp.NewTwilio, otp.NewSMTP, otp.NewOutbox,
//     password.NewHIBPClient, httpapi.NewMemoryReplayCache) take their
//     required arguments and then functional options.
//   - Constructors are named New, or NewX where a package builds several
//     things.
//   - Time, randomness and logs are given once, as Clock, Rand and Logger of
//     onboarding.Config; onboarding.New passes that [Runtime] to every
//     component, and httpapi reads it from the Service. A package used on its
//     own takes a Runtime as the last argument of its constructor. Keys and
//     senders are arguments, never fields of a policy Config, so no setting
//     exists twice.
//
// # Errors
//
// Every failure a caller can act on is an [*Error] with a [Code] from
// [Codes], a message safe to show, and the [FieldError]s of the input, each
// with a [FieldCode] from [FieldCodes]. The sentinels ErrValidation,
// ErrInvalidCode, … are the Codes themselves: constants that errors.Is
// matches against every *Error of that code, and that nobody can change.
// httpapi maps every Code to an HTTP status in one table, and its test fails
// for a Code without a row.
//
// # Plugging in
//
// The host chooses a storage.Store (storage/memory for tests and
// single-process use, storage/postgres for many replicas), implements
// otp.SMSSender and otp.EmailSender over its providers (or uses the Twilio
// and SMTP adapters), and passes them to onboarding.New. It then calls the
// Service's methods directly or mounts httpapi.New(service, options).
//
// onboardkit keeps no state of its own: all replicas of the host service share
// the store, and every one-time semantic (a code, a refresh token) is enforced
// by the store, not by process memory.
package onboardkit
