// Package onboarding is the façade a host service calls to onboard
// customers: one method per step of the journey, built on packages
// password, otp, kyc, portfolio and storage.
//
// # Construction
//
// onboarding.New takes a [Config]: the storage.Store every replica shares
// (storage/memory or storage/postgres; there is no silent default), the SMS
// and email senders, a server secret, a token signing key, and optional
// policy, hasher, OTP, KYC and portfolio settings whose zero values are the
// defaults. Time, randomness and logs are injected once (Config.Clock, Rand,
// Logger) and passed to every component, so every expiry and token can be
// tested without sleeping (see package clocktest).
//
// # Where each rule lives
//
// [Service] is a thin façade: each method hands over to the component that
// owns the step, one file each, whose first comment says what it owns:
//
//   - signup.go: registration (sign-up, a taken identifier, the sign-up code).
//   - contacts.go: contact verification (issue, deliver, resend, notices,
//     email and phone changes). The rules of codes themselves — expiry,
//     attempts, the resend cooldown, send limits — are package otp's.
//   - credentials.go: password, login and its throttle, the second factor,
//     recovery codes, reset and change of the password, TOTP enrollment.
//   - sessions.go: refresh-token families, rotation, reuse detection, access
//     tokens (tokens.go signs them).
//   - kyc.go: profile, compliance, submission, the integrator's one call;
//     me.go: the user view.
//   - decisions.go: what a KYC decision does, approval included.
//   - provisioning.go: accounts and portfolios.
//   - flow.go: the state machine and Progress, from which the tier and
//     whether accounts are active are derived.
//   - step.go: the unit of work every step runs in, and the one translation
//     of storage errors; events.go: the events and hooks.
//
// # The registration state machine
//
// A user's registration [Status] moves through one declarative transition
// table ([Flow.Transitions]); every step fires a [Trigger] through
// [Flow.Fire], and a step out of order returns an invalid_transition error
// naming the current status and the steps still required ([Flow.Next]). The
// host chooses phone-first or email-first sign-up and whether an email is
// required; [Flow.Mermaid] draws the result.
//
// # Steps
//
//   - SignUp, ConfirmPhone, ResendPhoneCode: registration and the contact
//     confirmation that starts the first session.
//   - AddEmail, ConfirmEmail, ChangePhone, ConfirmPhoneChange: contact details
//     (changing a confirmed one needs a recent login and notifies the old one).
//   - Login, VerifyLoginChallenge, LoginWithRecoveryCode, Refresh, Logout,
//     LogoutEverywhere: sessions, with refresh-token rotation and reuse
//     detection.
//   - ForgotPassword, ResetPassword, ChangePassword, ConfirmPasswordChange.
//   - BeginTOTP, ConfirmTOTP: authenticator apps.
//   - UpdateProfile, SubmitCompliance, SubmitKYC, KYCStatus,
//     RecordKYCDecision, CreateIndividualAccount: KYC.
//   - CreateAccount, ListAccounts, CreatePortfolio, ListPortfolios.
//   - Me, VerifyAccessToken, JWKS.
//
// Every failure a caller can act on is an *onboardkit.Error with a stable
// code; errors.Is works against the root package's sentinels.
//
// # Guarantees
//
// Multi-record steps commit in one storage transaction and send messages
// only after commit. One-time semantics (a code, a refresh token, a deposit
// address index) are enforced by the store, so they hold across replicas.
// Unknown users at login and forgot-password are indistinguishable from known
// ones. Events go to the store's audit log with the step and to the hooks
// after commit; neither logs nor events carry secrets or clear PII.
package onboarding
