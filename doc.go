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
// with its stable [Code]s and sentinels for errors.Is, and the [Clock]
// interface through which all time is read.
//
//   - password: the password policy, argon2id hashing, the embedded blocklist.
//   - otp: one-time codes, TOTP, SMS and email senders.
//   - kyc: KYC submission types, validation, documents, status machine, tiers.
//   - portfolio: accounts, portfolios, the KYC gate, deposit-address derivation.
//   - storage: the storage interfaces; storage/memory, storage/postgres and the
//     conformance suite storage/storagetest.
//   - onboarding: the registration state machine and the Service façade.
//   - httpapi: the ready net/http handler.
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
