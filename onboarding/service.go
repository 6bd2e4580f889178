// This file owns the façade: the Service every host calls, New assembling
// its components, and one method per step, each handing over to the
// component (one file each) that owns the step:
//
//	signup.go        registration: SignUp, ConfirmPhone, ResendPhoneCode
//	contacts.go      contact verification: AddEmail, ConfirmEmail,
//	                 ResendEmailCode, ChangePhone, ConfirmPhoneChange
//	credentials.go   Login, VerifyLoginChallenge, ResendLoginCode,
//	                 LoginWithRecoveryCode, ForgotPassword, ResetPassword,
//	                 ResendPasswordResetCode, ChangePassword,
//	                 ConfirmPasswordChange, BeginTOTP, ConfirmTOTP,
//	                 RemoveTOTP
//	passkeys.go      BeginPasskeyRegistration, RegisterPasskey,
//	                 ListPasskeys, RemovePasskey, VerifyLoginPasskey,
//	                 BeginPasskeyLogin, LoginWithPasskey,
//	                 IssuePasskeyChallenge (WebAuthn)
//	sessions.go      Refresh, Logout, LogoutEverywhere, ListSessions,
//	                 EndSession, VerifyAccessToken
//	kyc.go           UpdateProfile, PatchProfile, SubmitCompliance,
//	                 SubmitKYC, KYCStatus, CreateIndividualAccount
//	                 (me.go: Me)
//	decisions.go     RecordKYCDecision, and what approval provisions
//	provisioning.go  CreateAccount, ListAccounts, CreatePortfolio,
//	                 ListPortfolios
//	operator.go      LockUser, UnlockUser, DeactivateUser, ReactivateUser,
//	                 SetRoles, SetMetadata, CreateAccountFor, SearchUsers,
//	                 UserEvents
//	privacy.go       EraseUser, ExportUser, PurgeRetained, RewrapDataKeys
//	pii.go           what is sealed before it reaches the store
//	labels.go        roles and bounded string maps (metadata, account
//	                 information)

package onboarding

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/seal"
)

// Service is the onboarding façade: one method per step of the journey. It
// is safe for concurrent use and keeps no state of its own beyond its
// configuration, so any number of replicas can share one store.
type Service struct {
	core      *core
	signup    *registration
	contacts  *contacts
	creds     *credentials
	sessions  *sessions
	kyc       *kycSteps
	decisions *decisions
	prov      *provisioning
	privacy   *privacy
	ops       *operators
	passkeys  *passkeys
}

// New validates cfg and assembles a Service from its components.
func New(cfg Config) (*Service, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	rt := cfg.runtime()
	tel, err := newTelemetry(rt)
	if err != nil {
		return nil, err
	}
	c := &core{store: cfg.Store, flow: cfg.Flow, rt: rt, log: rt.Logger, hooks: cfg.Hooks, tel: tel}
	senders := otp.Senders{SMS: cfg.SMS, Email: cfg.Email}
	ids := identifiers{region: cfg.DefaultRegion, fixedLine: cfg.AllowFixedLine}

	codes, err := otp.NewManager(cfg.Store, deriveKey(cfg.Secret, "onboardkit otp"), senders, cfg.OTP, rt)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	pii := &pii{sealer: seal.New(cfg.Keyring, cfg.Seal, rt)}
	totp, err := otp.NewTOTP(cfg.Store, deriveKey(cfg.Secret, "onboardkit totp"), cfg.TOTP, rt)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	totp = totp.WithSecretBox(totpBox{p: pii, store: cfg.Store})
	tokens, err := newTokenIssuer(cfg.Tokens, cfg.Secret)
	if err != nil {
		return nil, err
	}
	hasher, err := hasherOrDefault(cfg.Hasher, rt)
	if err != nil {
		return nil, err
	}
	validator, err := kyc.NewValidator(cfg.KYC, rt)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	planner, err := portfolio.NewPlanner(cfg.Portfolio)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}

	s := &Service{core: c}
	s.sessions = &sessions{core: c, tokens: tokens}
	s.contacts = &contacts{core: c, codes: codes, senders: senders, ids: ids, recentAuth: cfg.RecentAuth}
	ttl := cfg.OTP.TTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	if s.passkeys, err = newPasskeys(c, cfg.WebAuthn, cfg.Secret, codes, ttl); err != nil {
		return nil, err
	}
	s.creds = &credentials{core: c, pii: pii, policy: cfg.PasswordPolicy, hasher: hasher, totp: totp, passkeys: s.passkeys,
		contacts: s.contacts, sessions: s.sessions, throttle: newThrottle(cfg.Login, cfg.Secret)}
	s.passkeys.contacts, s.passkeys.creds = s.contacts, s.creds
	s.signup = &registration{core: c, pii: pii, roles: cfg.Roles, contacts: s.contacts, creds: s.creds, sessions: s.sessions,
		enumerationSafe: cfg.EnumerationSafeSignUp, unconfirmedTTL: cfg.UnconfirmedTTL}
	s.prov = &provisioning{core: c, pii: pii, planner: planner, addresses: cfg.Addresses}
	s.decisions = &decisions{core: c, prov: s.prov}
	s.privacy = &privacy{core: c, pii: pii, retention: cfg.Retention, recentAuth: cfg.RecentAuth}
	s.kyc = &kycSteps{core: c, passkeys: s.passkeys, pii: pii, validator: validator, reviewer: cfg.Reviewer, ids: ids, decisions: s.decisions}
	s.ops = &operators{core: c, pii: pii, prov: s.prov, roles: cfg.Roles, ids: ids}
	return s, nil
}

// hasherOrDefault returns h, or argon2id at OWASP parameters.
func hasherOrDefault(h PasswordHasher, rt onboardkit.Runtime) (PasswordHasher, error) {
	if h != nil {
		return h, nil
	}
	ph, err := password.NewHasher(password.HasherConfig{}, rt)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	return ph, nil
}

// Flow returns the configured flow.
func (s *Service) Flow() Flow { return s.core.flow }

// Ping checks that the store can be reached, for readiness checks: nil, or
// an unavailable *onboardkit.Error.
func (s *Service) Ping(ctx context.Context) error {
	if err := s.core.store.Ping(ctx); err != nil {
		return s.core.storeErr(ctx, "ping", err)
	}
	s.core.reachable(ctx)
	return nil
}

// Runtime returns the clock, random source and logger the Service uses, for
// a handler that must read the same clock (package httpapi does).
func (s *Service) Runtime() onboardkit.Runtime { return s.core.rt }

// ---------------------------------------------------------------------------
// Registration and contact details

// SignUp registers a user with a phone number (or an email in email-first
// flows) and a password, and sends the confirmation code. The user, the
// password and the challenge are written in one unit of work; the message
// is sent after it commits. When the send fails the user exists and the
// result is returned together with a send_failed error: the challenge can
// be resent at once.
func (s *Service) SignUp(ctx context.Context, req SignUpRequest) (_ *SignUpResult, err error) {
	ctx, end := s.core.observe(ctx, "SignUp")
	defer func() { end(err) }()
	return s.signup.signUp(ctx, req)
}

// ConfirmPhone confirms the sign-up code (the SMS code in phone-first flows,
// the email code in email-first flows). The user's contact becomes verified
// and a session starts: the result carries an access and a refresh token.
func (s *Service) ConfirmPhone(ctx context.Context, challengeID, code string) (_ *AuthResult, err error) {
	ctx, end := s.core.observe(ctx, "ConfirmPhone")
	defer func() { end(err) }()
	return s.signup.confirm(ctx, challengeID, code)
}

// ResendPhoneCode sends a new sign-up code for the challenge, in the
// language it was issued in, subject to the resend cooldown and send limits
// of package otp; the previous code stops working and the wrong-attempt
// count carries over.
func (s *Service) ResendPhoneCode(ctx context.Context, challengeID string) (_ *Challenge, err error) {
	ctx, end := s.core.observe(ctx, "ResendPhoneCode")
	defer func() { end(err) }()
	purpose, _ := s.signup.confirmation()
	return s.contacts.resend(ctx, challengeID, purpose, "")
}

// AddEmail starts adding (or changing) the user's email: a code is sent to
// the new address, which replaces the old one only once confirmed. Changing
// a confirmed email requires a recent authentication (Config.RecentAuth).
func (s *Service) AddEmail(ctx context.Context, userID, email string) (_ *Challenge, err error) {
	ctx, end := s.core.observe(ctx, "AddEmail")
	defer func() { end(err) }()
	return s.contacts.addEmail(ctx, userID, email)
}

// ResendEmailCode resends the code of an AddEmail challenge of the user.
func (s *Service) ResendEmailCode(ctx context.Context, userID, challengeID string) (_ *Challenge, err error) {
	ctx, end := s.core.observe(ctx, "ResendEmailCode")
	defer func() { end(err) }()
	return s.contacts.resend(ctx, challengeID, otp.PurposeEmailConfirmation, userID)
}

// ConfirmEmail confirms the code sent by AddEmail; the address becomes the
// user's verified email. When it replaces a confirmed address, the old
// address is notified, and the user's last login must have been recent
// when the code was issued (recent_auth_required otherwise: a code issued
// for a first address cannot replace one confirmed since).
func (s *Service) ConfirmEmail(ctx context.Context, userID, challengeID, code string) (_ *AuthResult, err error) {
	ctx, end := s.core.observe(ctx, "ConfirmEmail")
	defer func() { end(err) }()
	return s.contacts.confirm(ctx, userID, challengeID, code, s.contacts.emailChange())
}

// ChangePhone starts adding a phone number (an email-first user) or
// replacing a confirmed one (which requires a recent authentication): it
// sends a code to the new number, which becomes the user's only once
// ConfirmPhoneChange accepts it.
func (s *Service) ChangePhone(ctx context.Context, userID, phone string) (_ *Challenge, err error) {
	ctx, end := s.core.observe(ctx, "ChangePhone")
	defer func() { end(err) }()
	return s.contacts.changePhone(ctx, userID, phone)
}

// ConfirmPhoneChange applies the phone change with the code sent to the new
// number, and notifies the old number. Replacing a verified number needs a
// login that was recent when the code was issued, as ConfirmEmail.
func (s *Service) ConfirmPhoneChange(ctx context.Context, userID, challengeID, code string) (_ *AuthResult, err error) {
	ctx, end := s.core.observe(ctx, "ConfirmPhoneChange")
	defer func() { end(err) }()
	return s.contacts.confirm(ctx, userID, challengeID, code, s.contacts.phoneChange())
}

// ---------------------------------------------------------------------------
// Login and credentials

// Login checks a username (phone or email) and password and returns a
// second-factor challenge: an SMS code (an email code for users without a
// verified phone), or a TOTP challenge when the user enrolled an
// authenticator app. Answering it returns tokens with a device token that
// later logins on this device present.
//
// It is enumeration-safe: an unknown user gets the same invalid_credentials
// error as a wrong password, after the same store work and a dummy hash
// that takes as long as a real verification. Each login reserves its
// failure in the store before the password is checked, so concurrent
// guesses get at most Config.Login.FreeFailures checks; then the key is
// throttled with doubling delays, during which every attempt answers
// invalid_credentials without checking the password — the right password
// included. The key is the account, or the device of a valid device token:
// strangers can slow down logins from new devices but never the owner's
// known ones. account_locked is returned only for an administrator's lock,
// and only to a caller who knows the password.
func (s *Service) Login(ctx context.Context, req LoginRequest) (_ *LoginResult, err error) {
	ctx, end := s.core.observe(ctx, "Login")
	defer func() { end(err) }()
	return s.creds.signIn(ctx, req)
}

// VerifyLoginChallenge answers the challenge of Login with the code (SMS,
// email or authenticator) and starts a session. A login begun before the
// user's sessions were ended (a password reset, a logout everywhere, a
// role change or a lock moved the user's token cutoff) answers
// code_expired: log in again.
func (s *Service) VerifyLoginChallenge(ctx context.Context, sessionID, code string) (_ *AuthResult, err error) {
	ctx, end := s.core.observe(ctx, "VerifyLoginChallenge")
	defer func() { end(err) }()
	return s.creds.answer(ctx, sessionID, code)
}

// ResendLoginCode resends the code of a login challenge (SMS or email).
func (s *Service) ResendLoginCode(ctx context.Context, sessionID string) (_ *Challenge, err error) {
	ctx, end := s.core.observe(ctx, "ResendLoginCode")
	defer func() { end(err) }()
	return s.contacts.resend(ctx, sessionID, otp.PurposeLogin, "")
}

// LoginWithRecoveryCode answers a TOTP login challenge with one of the
// user's single-use recovery codes.
func (s *Service) LoginWithRecoveryCode(ctx context.Context, sessionID, recoveryCode string) (_ *AuthResult, err error) {
	ctx, end := s.core.observe(ctx, "LoginWithRecoveryCode")
	defer func() { end(err) }()
	return s.creds.recover(ctx, sessionID, recoveryCode)
}

// ForgotPassword sends a password-reset code to the identifier given (SMS
// to a phone, email to an email address) when it is a verified identifier
// of a user. The answer names that medium and masked identifier whether or
// not it is: otherwise a decoy challenge is stored (no message is sent, and
// no code opens it), so ResetPassword then answers exactly as for a real
// one.
func (s *Service) ForgotPassword(ctx context.Context, username string) (_ *ForgotPasswordResult, err error) {
	ctx, end := s.core.observe(ctx, "ForgotPassword")
	defer func() { end(err) }()
	return s.creds.forgot(ctx, username)
}

// ResendPasswordResetCode resends the code of a ForgotPassword session and
// answers in ForgotPassword's shape, alike for a session of an unknown
// identifier (nothing is sent) and of a registered one.
func (s *Service) ResendPasswordResetCode(ctx context.Context, sessionID string) (_ *ForgotPasswordResult, err error) {
	ctx, end := s.core.observe(ctx, "ResendPasswordResetCode")
	defer func() { end(err) }()
	return s.creds.resendReset(ctx, sessionID)
}

// ResetPassword sets a new password with the code sent by ForgotPassword.
// The password goes through the whole policy, including the history; a
// refusal (or a confirmation mismatch) does not consume the code, so the
// user can retry with a better password. The code resets the password only
// while the phone or email it was sent to is still a verified identifier
// of the user (invalid_code otherwise). On success every session of the
// user is revoked and access tokens issued before now are refused.
func (s *Service) ResetPassword(ctx context.Context, sessionID, code, newPassword, confirm string) (err error) {
	ctx, end := s.core.observe(ctx, "ResetPassword")
	defer func() { end(err) }()
	return s.creds.reset(ctx, sessionID, code, newPassword, confirm)
}

// ChangePassword starts an authenticated password change: the current
// password is checked (a wrong one counts against the account's login
// throttle; while throttled the answer is rate_limited), the new one goes
// through the policy, and a code is sent; the change applies after
// ConfirmPasswordChange.
func (s *Service) ChangePassword(ctx context.Context, userID, current, newPassword, confirm string) (_ *PasswordChangeResult, err error) {
	ctx, end := s.core.observe(ctx, "ChangePassword")
	defer func() { end(err) }()
	return s.creds.change(ctx, userID, current, newPassword, confirm)
}

// ConfirmPasswordChange applies the password change with its code and ends
// every other session of the user: the session of the access token in ctx
// (NewContext; httpapi sets it) is kept, every other refresh-token family is
// revoked, and their access tokens are refused from now on (unless
// TokenConfig.StatelessAccess).
func (s *Service) ConfirmPasswordChange(ctx context.Context, userID, sessionID, code string) (err error) {
	ctx, end := s.core.observe(ctx, "ConfirmPasswordChange")
	defer func() { end(err) }()
	return s.creds.confirmChange(ctx, userID, sessionID, code)
}

// BeginTOTP starts enrolling an authenticator app for the user (a recent
// authentication is required): the result holds the otpauth:// URL and its
// QR code. The enrollment is active once ConfirmTOTP accepts a first code.
func (s *Service) BeginTOTP(ctx context.Context, userID string) (_ *otp.Enrollment, err error) {
	ctx, end := s.core.observe(ctx, "BeginTOTP")
	defer func() { end(err) }()
	return s.creds.beginTOTP(ctx, userID)
}

// ConfirmTOTP activates the enrollment with a first code and returns the
// ten single-use recovery codes, shown only this once.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string) (_ []string, err error) {
	ctx, end := s.core.observe(ctx, "ConfirmTOTP")
	defer func() { end(err) }()
	return s.creds.confirmTOTP(ctx, userID, code)
}

// RemoveTOTP removes the user's authenticator and recovery codes (a recent
// authentication is required; not_found without one), and notifies the
// user.
func (s *Service) RemoveTOTP(ctx context.Context, userID string) (err error) {
	ctx, end := s.core.observe(ctx, "RemoveTOTP")
	defer func() { end(err) }()
	return s.creds.removeTOTP(ctx, userID)
}

// ---------------------------------------------------------------------------
// Sessions

// ListSessions returns the user's live sessions, newest first; the one of
// the access token in ctx (NewContext) is marked current.
func (s *Service) ListSessions(ctx context.Context, userID string) (_ []SessionInfo, err error) {
	ctx, end := s.core.observe(ctx, "ListSessions")
	defer func() { end(err) }()
	return s.sessions.list(ctx, userID)
}

// EndSession ends one of the user's live sessions (not_found for any other
// id).
func (s *Service) EndSession(ctx context.Context, userID, sessionID string) (err error) {
	ctx, end := s.core.observe(ctx, "EndSession")
	defer func() { end(err) }()
	return s.sessions.end(ctx, userID, sessionID)
}

// Refresh rotates a refresh token: the presented token stops working and a
// new pair is returned. Presenting a token that was already rotated is
// treated as theft (RFC 9700 §4.14.2): the whole family is revoked and a
// session.reuse_detected event is recorded — unless TokenConfig.ReuseGrace
// is set and the token was rotated within it, in which case the same new
// refresh token is returned again.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (_ *Tokens, err error) {
	ctx, end := s.core.observe(ctx, "Refresh")
	defer func() { end(err) }()
	return s.sessions.refresh(ctx, refreshToken)
}

// Logout revokes the session (refresh-token family) of refreshToken; its
// access tokens are refused from now on. An empty refreshToken is a
// validation error (LogoutEverywhere ends every session). It succeeds
// whether or not the token is known, so it reveals nothing; when userID is
// not empty the token must belong to that user.
func (s *Service) Logout(ctx context.Context, userID, refreshToken string) (err error) {
	ctx, end := s.core.observe(ctx, "Logout")
	defer func() { end(err) }()
	return s.sessions.logout(ctx, userID, refreshToken)
}

// LogoutEverywhere revokes every session of the user and refuses every
// access token issued until now.
func (s *Service) LogoutEverywhere(ctx context.Context, userID string) (err error) {
	ctx, end := s.core.observe(ctx, "LogoutEverywhere")
	defer func() { end(err) }()
	return s.sessions.logoutEverywhere(ctx, userID)
}

// VerifyAccessToken checks an access token for host middleware: signature,
// issuer, expiry, the user (unknown or locked users are refused), the
// user's cutoff (tokens issued before a password reset or a
// sign-out-everywhere), and, unless TokenConfig.StatelessAccess, that its
// session has not ended (logout, password change, reuse detection). It
// costs two store reads (one with StatelessAccess).
func (s *Service) VerifyAccessToken(ctx context.Context, token string) (_ *AccessClaims, err error) {
	ctx, end := s.core.observe(ctx, "VerifyAccessToken")
	defer func() { end(err) }()
	return s.sessions.verifyAccess(ctx, token)
}

// JWKS returns the JSON Web Key Set of the access-token verification keys,
// as served at /.well-known/jwks.json.
func (s *Service) JWKS() []byte { return append([]byte(nil), s.sessions.tokens.jwks...) }

// ---------------------------------------------------------------------------
// Passkeys (WebAuthn); passkeys_disabled while Config.WebAuthn has no RPID.

// BeginPasskeyRegistration opens a registration ceremony for the user: the
// options to hand to navigator.credentials.create(). A recent login is
// required (Config.RecentAuth), as a passkey alone opens the account. User
// verification and a discoverable credential are required; the user's
// passkeys are excluded. The ceremony is one-time and expires with the
// code TTL.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, userID string) (_ *PasskeyOptions, err error) {
	ctx, end := s.core.observe(ctx, "BeginPasskeyRegistration")
	defer func() { end(err) }()
	return s.passkeys.beginRegistration(ctx, userID)
}

// RegisterPasskey verifies the browser's attestation against the user's
// ceremony and stores the passkey; the ceremony is consumed with it. A
// response that does not verify is passkey_invalid, its reason the code of
// the field error on "credential", and counts as a wrong attempt.
func (s *Service) RegisterPasskey(ctx context.Context, userID string, req PasskeyRegistration) (_ *Passkey, err error) {
	ctx, end := s.core.observe(ctx, "RegisterPasskey")
	defer func() { end(err) }()
	return s.passkeys.finishRegistration(ctx, userID, req)
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Service) ListPasskeys(ctx context.Context, userID string) (_ []Passkey, err error) {
	ctx, end := s.core.observe(ctx, "ListPasskeys")
	defer func() { end(err) }()
	return s.passkeys.list(ctx, userID)
}

// RemovePasskey removes one of the user's passkeys (a recent login is
// required) and notifies the user.
func (s *Service) RemovePasskey(ctx context.Context, userID, passkeyID string) (err error) {
	ctx, end := s.core.observe(ctx, "RemovePasskey")
	defer func() { end(err) }()
	return s.passkeys.remove(ctx, userID, passkeyID)
}

// VerifyLoginPasskey answers a PASSKEY login challenge (Login issues one
// when the user has a passkey) with the browser's assertion and starts a
// session. The passkey's signature counter must grow (passkey_cloned
// otherwise).
func (s *Service) VerifyLoginPasskey(ctx context.Context, sessionID string, credential json.RawMessage) (_ *AuthResult, err error) {
	ctx, end := s.core.observe(ctx, "VerifyLoginPasskey")
	defer func() { end(err) }()
	return s.passkeys.answerLogin(ctx, sessionID, credential)
}

// BeginPasskeyLogin opens a passwordless login ceremony: options for a
// discoverable credential, no username needed.
func (s *Service) BeginPasskeyLogin(ctx context.Context) (_ *PasskeyOptions, err error) {
	ctx, end := s.core.observe(ctx, "BeginPasskeyLogin")
	defer func() { end(err) }()
	return s.passkeys.beginLogin(ctx)
}

// LoginWithPasskey answers a passwordless ceremony with the browser's
// assertion and starts a session for the passkey's user.
func (s *Service) LoginWithPasskey(ctx context.Context, ceremonyID string, credential json.RawMessage) (_ *AuthResult, err error) {
	ctx, end := s.core.observe(ctx, "LoginWithPasskey")
	defer func() { end(err) }()
	return s.passkeys.finishLogin(ctx, ceremonyID, credential)
}

// IssuePasskeyChallenge opens a registration ceremony for an integrator,
// whose front end creates the passkey of a customer not created yet; the
// attestation then comes with CreateIndividualAccount (authenticators).
func (s *Service) IssuePasskeyChallenge(ctx context.Context, req PasskeyChallengeRequest) (_ *PasskeyChallenge, err error) {
	ctx, end := s.core.observe(ctx, "IssuePasskeyChallenge")
	defer func() { end(err) }()
	return s.passkeys.integratorChallenge(ctx, req)
}

// ---------------------------------------------------------------------------
// KYC

// Me returns the user's view of their own record.
func (s *Service) Me(ctx context.Context, userID string) (_ *UserView, err error) {
	ctx, end := s.core.observe(ctx, "Me")
	defer func() { end(err) }()
	return s.kyc.me(ctx, userID)
}

// UpdateProfile replaces the user's personal details whole: every field
// is validated (a required one missing is an error). The first complete
// profile moves the user to profile_completed and tier KYC_0; later updates
// keep the status (and are refused once KYC is under review).
func (s *Service) UpdateProfile(ctx context.Context, userID string, p kyc.Profile) (err error) {
	ctx, end := s.core.observe(ctx, "UpdateProfile")
	defer func() { end(err) }()
	_, err = s.kyc.patchProfile(ctx, userID, kyc.PatchOf(p))
	return err
}

// PatchProfile saves the user's personal details in parts (PATCH
// /v1/profile): the fields given are validated and replace the saved ones,
// the others are kept. The result lists the required fields still
// missing; when none is, the user moves to profile_completed and tier
// KYC_0 as with UpdateProfile.
func (s *Service) PatchProfile(ctx context.Context, userID string, p kyc.ProfilePatch) (_ *ProfileResult, err error) {
	ctx, end := s.core.observe(ctx, "PatchProfile")
	defer func() { end(err) }()
	return s.kyc.patchProfile(ctx, userID, p)
}

// SubmitCompliance stores the compliance declarations: terms acceptance
// (its timestamp and version kept), the politically-exposed-person
// declaration and the questionnaire. The user moves to
// compliance_completed.
func (s *Service) SubmitCompliance(ctx context.Context, userID string, c kyc.Compliance) (err error) {
	ctx, end := s.core.observe(ctx, "SubmitCompliance")
	defer func() { end(err) }()
	return s.kyc.submitCompliance(ctx, userID, c)
}

// SubmitKYC stores a KYC submission and its documents and evaluates it: the
// result lists missing documents and fields and each document's warnings and
// errors. A complete submission goes under_review (and to the configured
// Reviewer); one with missing items waits for information. Document numbers,
// document bytes and the SSN are stored as sealed PII and never logged.
func (s *Service) SubmitKYC(ctx context.Context, userID string, sub kyc.Submission) (_ *kyc.Result, err error) {
	ctx, end := s.core.observe(ctx, "SubmitKYC")
	defer func() { end(err) }()
	return s.kyc.submit(ctx, userID, sub)
}

// KYCStatus returns the user's verification status, missing items and the
// findings of the latest submission.
func (s *Service) KYCStatus(ctx context.Context, userID string) (_ *kyc.Result, err error) {
	ctx, end := s.core.observe(ctx, "KYCStatus")
	defer func() { end(err) }()
	return s.kyc.status(ctx, userID)
}

// RecordKYCDecision applies a reviewer's decision (a KYC provider's webhook
// or an integrator's signed call); decisions.go holds the table of what each
// status does. active makes the user active at tier KYC_1, activates their
// accounts and, unless disabled, gives their first account a TRADING
// portfolio; rejected rejects; waiting_for_information asks for the listed
// documents. Delivering the same decision twice changes nothing the second
// time and answers the same result.
func (s *Service) RecordKYCDecision(ctx context.Context, userID string, d kyc.Decision) (_ *DecisionResult, err error) {
	ctx, end := s.core.observe(ctx, "RecordKYCDecision")
	defer func() { end(err) }()
	return s.decisions.record(ctx, userID, d, source{})
}

// RecordProviderDecision applies the decision a KYC provider's
// notification carries (package kyc/provider reads them), as
// RecordKYCDecision does, once: the provider's event id is recorded in the
// decision's unit of work, so the same notification delivered again
// decides nothing new and answers the user's current state.
func (s *Service) RecordProviderDecision(ctx context.Context, provider, eventID, userID string, d kyc.Decision) (_ *DecisionResult, err error) {
	ctx, end := s.core.observe(ctx, "RecordProviderDecision")
	defer func() { end(err) }()
	if provider == "" || eventID == "" || len(provider) > 64 || len(eventID) > 200 {
		return nil, onboardkit.ValidationError(onboardkit.FieldError{Field: "eventId", Code: onboardkit.FieldInvalid, Message: "A provider and an event id of at most 64 and 200 characters are required."})
	}
	return s.decisions.record(ctx, userID, d, source{provider: provider, eventID: eventID})
}

// CreateIndividualAccount is the integrator's one-call creation of a fully
// described customer (seed create-individual-account): it runs the same
// validation as the step-by-step journey, creates the user with verified
// contact details (the integrator vouches for them), the profile, the terms
// acceptance and questionnaire, evaluates the documents when given, and
// creates the user's account (inactive until KYC is active). The user has
// no password: they set one through ForgotPassword.
func (s *Service) CreateIndividualAccount(ctx context.Context, req kyc.IndividualAccountRequest) (_ *IndividualAccountResult, err error) {
	ctx, end := s.core.observe(ctx, "CreateIndividualAccount")
	defer func() { end(err) }()
	return s.kyc.createIndividual(ctx, req)
}

// ---------------------------------------------------------------------------
// Accounts and portfolios

// CreateAccount creates an account for a user whose contact is verified. It
// stays inactive until the user's verification is active. The request is
// optional: a chosen id (conflict when taken), an email and additional
// information (sealed).
func (s *Service) CreateAccount(ctx context.Context, userID string, req AccountRequest) (_ *portfolio.Account, err error) {
	ctx, end := s.core.observe(ctx, "CreateAccount")
	defer func() { end(err) }()
	return s.prov.createAccount(ctx, userID, req, "")
}

// ListAccounts returns the user's accounts with their portfolios, oldest
// first.
func (s *Service) ListAccounts(ctx context.Context, userID string) (_ []portfolio.Account, err error) {
	ctx, end := s.core.observe(ctx, "ListAccounts")
	defer func() { end(err) }()
	return s.prov.listAccounts(ctx, userID)
}

// ListPortfolios returns the portfolios of one of the user's accounts.
func (s *Service) ListPortfolios(ctx context.Context, userID, accountID string) (_ []portfolio.Portfolio, err error) {
	ctx, end := s.core.observe(ctx, "ListPortfolios")
	defer func() { end(err) }()
	return s.prov.listPortfolios(ctx, userID, accountID)
}

// CreatePortfolio creates a typed portfolio in one of the user's accounts,
// linked to a fresh deposit address. It returns kyc_not_active unless the
// user's verification is active, name_taken for a name already used in the
// account and limit_reached past the configured cap. A request naming its
// PortfolioID is idempotent: the same request again answers the same
// portfolio; another request with that id answers conflict.
func (s *Service) CreatePortfolio(ctx context.Context, userID string, req PortfolioRequest) (_ *portfolio.Portfolio, err error) {
	ctx, end := s.core.observe(ctx, "CreatePortfolio")
	defer func() { end(err) }()
	return s.prov.createPortfolio(ctx, userID, req)
}

// ---------------------------------------------------------------------------
// Operators

// LockUser locks a user: login answers account_locked, every session ends
// and access tokens are refused, until UnlockUser. The status is kept.
// Operator actions record their Actor in the audit log; an empty one is
// refused.
func (s *Service) LockUser(ctx context.Context, by Actor, userID string) (err error) {
	ctx, end := s.core.observe(ctx, "LockUser")
	defer func() { end(err) }()
	return s.ops.lock(ctx, by, userID)
}

// UnlockUser lifts an operator's lock (the user logs in again).
func (s *Service) UnlockUser(ctx context.Context, by Actor, userID string) (err error) {
	ctx, end := s.core.observe(ctx, "UnlockUser")
	defer func() { end(err) }()
	return s.ops.unlock(ctx, by, userID)
}

// DeactivateUser moves an active verification to inactive: the user's
// accounts become inactive and portfolio creation is refused
// (kyc_not_active) until a reactivation is approved.
func (s *Service) DeactivateUser(ctx context.Context, by Actor, userID string) (err error) {
	ctx, end := s.core.observe(ctx, "DeactivateUser")
	defer func() { end(err) }()
	return s.ops.deactivate(ctx, by, userID)
}

// ReactivateUser sends an inactive verification back to review
// (under_review, status kyc_pending); an approval (RecordKYCDecision)
// makes it and the accounts active again.
func (s *Service) ReactivateUser(ctx context.Context, by Actor, userID string) (err error) {
	ctx, end := s.core.observe(ctx, "ReactivateUser")
	defer func() { end(err) }()
	return s.ops.reactivate(ctx, by, userID)
}

// SetRoles replaces the user's roles (Config.Roles says which exist).
// Access tokens issued before are refused, so the next refresh carries
// the new roles.
func (s *Service) SetRoles(ctx context.Context, by Actor, userID string, roles []string) (err error) {
	ctx, end := s.core.observe(ctx, "SetRoles")
	defer func() { end(err) }()
	return s.ops.setRoles(ctx, by, userID, roles)
}

// SetMetadata replaces the user's metadata (an empty map clears it).
func (s *Service) SetMetadata(ctx context.Context, by Actor, userID string, metadata map[string]string) (err error) {
	ctx, end := s.core.observe(ctx, "SetMetadata")
	defer func() { end(err) }()
	return s.ops.setMetadata(ctx, by, userID, metadata)
}

// CreateAccountFor creates an account for a user on an operator's behalf
// (the custody API's manual account creation), as CreateAccount does.
func (s *Service) CreateAccountFor(ctx context.Context, by Actor, userID string, req AccountRequest) (_ *portfolio.Account, err error) {
	ctx, end := s.core.observe(ctx, "CreateAccountFor")
	defer func() { end(err) }()
	return s.ops.createAccountFor(ctx, by, userID, req)
}

// SearchUsers finds users by status, verification status, exact phone or
// email and creation range, a page at a time (contact details masked).
func (s *Service) SearchUsers(ctx context.Context, by Actor, q UserQuery) (_ *UserPage, err error) {
	ctx, end := s.core.observe(ctx, "SearchUsers")
	defer func() { end(err) }()
	return s.ops.search(ctx, by, q)
}

// UserEvents reads a user's audit trail a page at a time, oldest first
// (limit 1 to 100, default 50; cursor from the previous page).
func (s *Service) UserEvents(ctx context.Context, by Actor, userID, cursor string, limit int) (_ *EventPage, err error) {
	ctx, end := s.core.observe(ctx, "UserEvents")
	defer func() { end(err) }()
	return s.ops.events(ctx, by, userID, cursor, limit)
}

// ---------------------------------------------------------------------------
// The data subject's rights and key rotation

// EraseUser erases a user (GDPR art. 17): the user's data key is destroyed
// (crypto-shredding: what it sealed, in the store or in a backup without
// the key, is unreadable), every record of the user is deleted — sessions
// and access tokens with them — so the phone and email are free again, and
// the audit trail keeps ids only, with a user.erased event. With
// Config.Retention the KYC records (and the sealed profile and
// declarations) are kept instead, anonymised and sealed under the retention
// keyring, until PurgeRetained destroys them. When ctx carries the user's
// own access-token claims (NewContext; httpapi sets them) the last login
// must be recent (Config.RecentAuth).
func (s *Service) EraseUser(ctx context.Context, userID string) (err error) {
	ctx, end := s.core.observe(ctx, "EraseUser")
	defer func() { end(err) }()
	return s.privacy.erase(ctx, userID)
}

// ExportUser returns everything the Service holds about a user, opened, as
// one document (GDPR arts. 15 and 20; its JSON is the answer of GET
// /v1/me/export). The same recent-login rule as EraseUser applies.
func (s *Service) ExportUser(ctx context.Context, userID string) (_ *Export, err error) {
	ctx, end := s.core.observe(ctx, "ExportUser")
	defer func() { end(err) }()
	return s.privacy.export(ctx, userID)
}

// PurgeRetained destroys the retained KYC records of erased users whose
// retention period has passed and returns how many users it purged. Run it
// periodically (on any one replica, or on several: each purge is one unit
// of work).
func (s *Service) PurgeRetained(ctx context.Context) (_ int, err error) {
	ctx, end := s.core.observe(ctx, "PurgeRetained")
	defer func() { end(err) }()
	return s.privacy.purgeRetained(ctx)
}

// RewrapDataKeys moves every user's data key under the keyring's current
// key without touching the sealed values, and returns how many it moved;
// after it an older key can be removed from the keyring. It is safe to run
// on several replicas and to interrupt.
func (s *Service) RewrapDataKeys(ctx context.Context) (_ int, err error) {
	ctx, end := s.core.observe(ctx, "RewrapDataKeys")
	defer func() { end(err) }()
	n, err := s.privacy.pii.sealer.Rewrap(ctx, s.core.store)
	if err != nil {
		return n, s.core.storeErr(ctx, "rewrap data keys", err)
	}
	return n, nil
}
