// This file owns credentials: the password (policy, hashing, history), login
// with its throttle and its second-factor challenge (a code by SMS or email,
// or an authenticator app), recovery codes, the forgotten-password reset and
// the authenticated password change, and authenticator enrollment.

package onboarding

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/storage"
)

// PasswordHasher hashes and verifies passwords. *password.Hasher implements
// it; tests may plug a cheaper one.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (bool, error)
	NeedsRehash(encoded string) bool
	// DummyVerify costs what Verify costs, for unknown users; it returns
	// only context errors.
	DummyVerify(ctx context.Context, password string) error
}

// LoginRequest is the input of Login.
type LoginRequest struct {
	// Username is the phone number (E.164, or national with the configured
	// region) or the email address.
	Username string `json:"username"`
	Password string `json:"password"`
	// DeviceToken is the token a previous login on this device returned
	// (Tokens.DeviceToken). With a valid one the login is throttled only
	// by the failures made with it, so strangers cannot lock the owner out.
	DeviceToken string `json:"deviceToken,omitempty"`
}

// LoginResult is the outcome of Login: the challenge to answer.
type LoginResult struct {
	SessionID string    `json:"sessionId"`
	Challenge Challenge `json:"challenge"`
}

// CodeDeliveryDetails tells where a code went, masked (the shape of AWS
// Cognito's CodeDeliveryDetails).
type CodeDeliveryDetails struct {
	Destination    string `json:"destination"`
	DeliveryMedium string `json:"deliveryMedium"` // SMS or EMAIL
	AttributeName  string `json:"attributeName"`  // phone_number or email
}

// ForgotPasswordResult is the outcome of ForgotPassword.
type ForgotPasswordResult struct {
	SessionID           string              `json:"sessionId"`
	CodeDeliveryDetails CodeDeliveryDetails `json:"codeDeliveryDetails"`
}

// PasswordChangeResult is the outcome of ChangePassword: the challenge that
// confirms the change.
type PasswordChangeResult struct {
	SessionID string    `json:"sessionId"`
	Challenge Challenge `json:"challenge"`
}

type credentials struct {
	*core
	pii      *pii
	policy   *password.Policy
	hasher   PasswordHasher
	totp     *otp.TOTP
	passkeys *passkeys
	contacts *contacts
	sessions *sessions
	throttle *throttle
}

// contactOf is where a user receives codes.
func contactOf(u *storage.User) otp.Contact {
	return otp.Contact{Phone: u.Phone, PhoneVerified: u.PhoneVerified, Email: u.Email, EmailVerified: u.EmailVerified}
}

// provenCode returns the request of a code for a user who proved a factor
// (the right password, an authenticated session), routed by
// otp.Contact.Route; it counts against the destination's proven budget.
func provenCode(u *storage.User, purpose otp.Purpose) otp.IssueRequest {
	ch, dest := contactOf(u).Route(otp.ChannelSMS)
	return otp.IssueRequest{UserID: u.ID, Purpose: purpose, Channel: ch, Destination: dest, Locale: u.Locale, Proven: true}
}

// hash hashes a password.
func (c *credentials) hash(ctx context.Context, pw string) (string, error) {
	h, err := c.hasher.Hash(ctx, pw)
	if err != nil {
		return "", c.storeErr(ctx, "hash password", err)
	}
	return h, nil
}

// setPassword stores a password hash through st, keeping the history the
// policy compares with.
func (c *credentials) setPassword(ctx context.Context, st storage.Credentials, userID, hash string, now time.Time) error {
	keep := 1
	if n := c.policy.HistorySize; n > 0 {
		keep = n
	}
	return st.SetPassword(ctx, userID, hash, now, keep)
}

// checkNewPassword runs the policy, history included, and hashes the
// password.
func (c *credentials) checkNewPassword(ctx context.Context, u *storage.User, pw string) (string, error) {
	var history []string
	if n := c.policy.HistorySize; n > 0 {
		var err error
		if history, err = c.store.PasswordHistory(ctx, u.ID, n); err != nil {
			return "", c.storeErr(ctx, "password history", err)
		}
	}
	prof, err := c.pii.profile(ctx, c.store, u)
	if err != nil {
		return "", c.storeErr(ctx, "open profile", err)
	}
	if err := c.policy.ValidateWithHistory(ctx, pw, policyProfile(u, prof), history, c.hasher); err != nil {
		if errors.Is(err, onboardkit.ErrPasswordPolicy) {
			return "", err
		}
		return "", c.storeErr(ctx, "password policy", err)
	}
	return c.hash(ctx, pw)
}

// policyProfile is what the password policy compares a password with: the
// identifiers and the profile, opened in memory.
func policyProfile(u *storage.User, prof *PersonalDetails) password.Profile {
	p := password.Profile{Phone: u.Phone, Email: u.Email}
	if prof != nil {
		p.FirstName, p.MiddleName, p.LastName = prof.FirstName, prof.MiddleName, prof.LastName
		if t, err := time.Parse(time.DateOnly, prof.BirthDate); err == nil {
			p.BirthDate = t
		}
	}
	return p
}

func mismatch() error {
	return onboardkit.ValidationError(onboardkit.FieldError{Field: "passwordConfirm", Code: onboardkit.FieldMismatch, Message: "The passwords do not match."})
}

// dummy spends the time of a password check and answers
// invalid_credentials, for every login that must look like a wrong password.
func (c *credentials) dummy(ctx context.Context, pw string) error {
	if err := c.hasher.DummyVerify(ctx, pw); err != nil {
		return err
	}
	return onboardkit.CodeInvalidCredentials.Err()
}

// signIn is Service.Login. Known and unknown usernames do the same store
// work: a reservation on a throttle key, a password read, a password check
// (a dummy one for unknown users), and on failure an audit event.
func (c *credentials) signIn(ctx context.Context, req LoginRequest) (*LoginResult, error) {
	now := c.now()
	// The user, its password hash and its authenticator in one read.
	l, err := c.contacts.ids.login(ctx, c.store, req.Username)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, c.unknownLogin(ctx, req, now)
	}
	if err != nil {
		return nil, c.storeErr(ctx, "login lookup", err)
	}
	u := l.User
	key, deviceID := c.throttle.loginKey(u.ID, req.DeviceToken, now)
	r, err := c.store.ReserveLoginAttempt(ctx, key, now, c.throttle.policy)
	if err != nil {
		return nil, c.storeErr(ctx, "login throttle", err)
	}
	if !r.Allowed {
		c.audit(ctx, c.event(EventLoginFailed, u.ID, "reason", "throttled"))
		return nil, c.dummy(ctx, req.Password)
	}
	hash, ok, err := c.checkPassword(ctx, u.ID, l.PasswordHash, req.Password)
	if err != nil {
		return nil, err
	}
	if !ok {
		c.audit(ctx, c.event(EventLoginFailed, u.ID, "reason", "password", "consecutive", strconv.Itoa(r.Failures)))
		return nil, onboardkit.CodeInvalidCredentials.Err()
	}
	if locked(u) {
		return nil, onboardkit.CodeAccountLocked.Err()
	}
	c.rehash(ctx, u, req.Password, hash, now)
	if deviceID == "" {
		if deviceID, err = newDeviceID(c.rt.Rand); err != nil {
			return nil, c.storeErr(ctx, "device id", err)
		}
	}
	return c.challenge(ctx, l, deviceID, key)
}

// unknownLogin answers a login of an unknown username like a wrong
// password, after the same store work (the lookup read the hash with the
// user: nothing more is read).
func (c *credentials) unknownLogin(ctx context.Context, req LoginRequest, now time.Time) error {
	r, err := c.store.ReserveLoginAttempt(ctx, c.throttle.ghostKey(req.Username), now, c.throttle.policy)
	if err != nil {
		return c.storeErr(ctx, "login throttle", err)
	}
	reason := "throttled"
	if r.Allowed {
		reason = "unknown_user"
	}
	err = c.dummy(ctx, req.Password)
	c.audit(ctx, c.event(EventLoginFailed, "", "reason", reason))
	return err
}

// checkPassword checks pw against the user's hash. A user without a
// password (hash "", created by an integrator) fails like a wrong
// password, after a dummy check.
func (c *credentials) checkPassword(ctx context.Context, userID, hash, pw string) (_ string, ok bool, err error) {
	if hash == "" {
		return "", false, c.hasher.DummyVerify(ctx, pw)
	}
	ok, err = c.hasher.Verify(ctx, pw, hash)
	if err != nil {
		if ctx.Err() != nil {
			return "", false, ctx.Err()
		}
		// A failure; the stored hash needs attention.
		c.log.ErrorContext(ctx, "onboarding: stored password hash unreadable", slog.String("user_id", userID), slog.String("error", err.Error()))
	}
	return hash, ok, nil
}

// rehash upgrades a hash made with weaker parameters after a right
// password (a failure is logged: the old hash still works). It replaces
// the hash only while it is still the one checked: a reset or a change
// that committed meanwhile (the new hash takes two password hashings) is
// not undone by writing the old password back. The unit pins the user,
// as the password's other writers do (a reset updates the user, a change
// pins it), so one that commits while the unit runs makes it run again.
func (c *credentials) rehash(ctx context.Context, u *storage.User, pw, hash string, now time.Time) {
	if !c.hasher.NeedsRehash(hash) {
		return
	}
	nh, err := c.hasher.Hash(ctx, pw)
	if err != nil {
		return
	}
	err = c.step(ctx, "rehash password", func(ctx context.Context, tx *unit) error {
		if _, err := c.pin(ctx, tx, u.ID, asIs); err != nil {
			return err
		}
		cur, err := tx.GetPassword(ctx, u.ID)
		if err != nil || cur != hash {
			return err // changed meanwhile: keep the new one
		}
		return c.setPassword(ctx, tx.later, u.ID, nh, now)
	})
	if err != nil {
		c.log.WarnContext(ctx, "onboarding: rehash not stored", slog.String("user_id", u.ID), slog.String("error", err.Error()))
	}
}

// challenge issues the login's second factor: an authenticator challenge
// when the user enrolled one, else a code routed to the user's contact. The
// challenge carries the device the login continues on. A user with a
// passkey answers a PASSKEY challenge (no code is sent). The failures of
// the throttle key are forgotten with the challenge (a login whose
// challenge cannot be issued keeps them).
func (c *credentials) challenge(ctx context.Context, l *storage.Login, deviceID, key string) (*LoginResult, error) {
	u, enrolled := l.User, l.TOTPConfirmed
	if c.passkeys.wa != nil && l.Passkeys > 0 {
		keys, err := c.store.ListPasskeys(ctx, u.ID)
		if err != nil {
			return nil, c.storeErr(ctx, "passkey lookup", err)
		}
		if len(keys) > 0 {
			// As for a code: the failures are forgotten with the challenge,
			// in one unit (one round trip on PostgreSQL).
			var res *LoginResult
			err := c.step(ctx, "issue passkey login", func(ctx context.Context, tx *unit) error {
				if err := tx.later.ResetLoginAttempts(ctx, key); err != nil {
					return err
				}
				var err error
				res, err = c.passkeys.loginChallenge(ctx, tx.later, u, keys, deviceID)
				return err
			})
			if err != nil {
				return nil, err
			}
			return res, nil
		}
	}
	req := provenCode(u, otp.PurposeLogin)
	req.Payload = []byte(deviceID)
	reset := func(ctx context.Context, tx *unit) error { return tx.later.ResetLoginAttempts(ctx, key) }
	if enrolled {
		req.Channel, req.Destination = otp.ChannelTOTP, ""
		p, err := c.contacts.issue(ctx, req, reset)
		if err != nil {
			return nil, err
		}
		return &LoginResult{SessionID: p.Challenge.ID, Challenge: challengeView(p.Challenge)}, nil
	}
	p, v, err := c.contacts.send(ctx, req, reset)
	if p == nil {
		return nil, err
	}
	return &LoginResult{SessionID: p.Challenge.ID, Challenge: v}, err
}

// answer is Service.VerifyLoginChallenge: the code of the challenge, or the
// authenticator's code for a TOTP challenge.
func (c *credentials) answer(ctx context.Context, sessionID, code string) (*AuthResult, error) {
	// One read of the challenge: a code, or the authenticator's code for a
	// TOTP challenge (a PASSKEY challenge has its own route).
	v, err := c.contacts.answer(ctx, sessionID, code, otp.PurposeLogin, map[otp.Channel]func(context.Context, string) error{
		otp.ChannelTOTP: func(ctx context.Context, userID string) error { return c.totp.Verify(ctx, userID, code) },
	})
	if err != nil {
		return nil, c.storeErr(ctx, "check code", err)
	}
	method := "otp"
	if v.Challenge.Channel == otp.ChannelTOTP {
		method = "totp"
	}
	return c.finish(ctx, v, method)
}

// recover is Service.LoginWithRecoveryCode.
func (c *credentials) recover(ctx context.Context, sessionID, recoveryCode string) (*AuthResult, error) {
	res, err := c.answerFactor(ctx, sessionID, "totp", func(ctx context.Context, userID string) error {
		return c.totp.UseRecoveryCode(ctx, userID, recoveryCode)
	})
	if err == nil {
		c.audit(ctx, c.event(EventRecoveryCodeUsed, res.UserID))
	}
	return res, err
}

// answerFactor answers a TOTP login challenge with verify.
func (c *credentials) answerFactor(ctx context.Context, sessionID, method string, verify func(ctx context.Context, userID string) error) (*AuthResult, error) {
	v, err := c.contacts.codes.CheckFactor(ctx, sessionID, otp.PurposeLogin, verify)
	if err != nil {
		return nil, c.storeErr(ctx, "check factor", err)
	}
	return c.finish(ctx, v, method)
}

// finish consumes the answered challenge and starts a session in one unit
// of work.
func (c *credentials) finish(ctx context.Context, v *otp.Verified, method string) (*AuthResult, error) {
	return c.finishWith(ctx, v, v.Challenge.UserID, method, nil)
}

// finishWith is finish for userID (a passwordless login's challenge names
// no user), running also in the unit of work.
func (c *credentials) finishWith(ctx context.Context, v *otp.Verified, userID, method string, also func(ctx context.Context, tx *unit, now time.Time) error) (*AuthResult, error) {
	now := c.now()
	var u *storage.User
	var sess session
	err := c.step(ctx, "finish login", func(ctx context.Context, tx *unit) error {
		if err := c.contacts.consumeLater(ctx, tx, v); err != nil {
			return err
		}
		var err error
		u, err = c.updateUser(ctx, tx.later, userID, func(u *storage.User) error {
			if locked(u) {
				return onboardkit.CodeAccountLocked.Err()
			}
			// A login that began before the user's sessions were ended
			// (a password reset, a logout everywhere, a role change)
			// does not end in a session after it: its password was
			// checked against what may be the old one.
			if v.Challenge.CreatedAt.Before(u.TokensValidAfter) {
				return onboardkit.NewError(onboardkit.CodeCodeExpired, "The account's sessions were ended after this login began; log in again.")
			}
			u.LastAuthAt = now
			return nil
		})
		if err != nil {
			return err
		}
		if also != nil {
			if err := also(ctx, tx, now); err != nil {
				return err
			}
		}
		if sess, err = c.sessions.start(ctx, tx.later, userID, now); err != nil {
			return err
		}
		tx.raise(EventLoginSucceeded, userID, "method", method)
		return nil
	})
	if err != nil {
		return nil, c.contacts.explain(ctx, v, err)
	}
	res, err := c.sessions.authResult(ctx, u, sess, now)
	if err == nil {
		res.Tokens.DeviceToken = c.throttle.sign(userID, string(v.Challenge.Payload), now)
	}
	return res, err
}

// forgot is Service.ForgotPassword. The code goes to the identifier given,
// on its medium, and only when it is a verified identifier of a user; every
// other request gets a decoy (nothing sent) and the same answer, so the
// answer never tells whether the identifier is registered. The request is
// anonymous: it spends the destination's anonymous budget only.
func (c *credentials) forgot(ctx context.Context, username string) (*ForgotPasswordResult, error) {
	value, isEmail, fe := c.contacts.ids.username(username)
	if fe != nil {
		return nil, onboardkit.ValidationError(*fe)
	}
	req := otp.IssueRequest{Purpose: otp.PurposePasswordReset, Channel: otp.ChannelSMS, Destination: value}
	if isEmail {
		req.Channel = otp.ChannelEmail
	}
	u, err := c.contacts.ids.lookup(ctx, c.store, username)
	switch {
	case err == nil && verifiedIdentifier(u, value, isEmail):
		req.UserID, req.Locale = u.ID, u.Locale
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return nil, c.storeErr(ctx, "forgot-password lookup", err)
	}
	p, _, err := c.contacts.send(ctx, req)
	if p == nil {
		return nil, err
	}
	return &ForgotPasswordResult{SessionID: p.Challenge.ID, CodeDeliveryDetails: deliveryDetails(p.Challenge)}, err
}

// verifiedIdentifier reports whether value is a verified identifier of u.
func verifiedIdentifier(u *storage.User, value string, isEmail bool) bool {
	if isEmail {
		return u.EmailVerified && strings.EqualFold(u.Email, value)
	}
	return u.PhoneVerified && u.Phone == value
}

func deliveryDetails(c otp.Challenge) CodeDeliveryDetails {
	if c.Channel == otp.ChannelEmail {
		return CodeDeliveryDetails{Destination: otp.Mask(c.Destination), DeliveryMedium: "EMAIL", AttributeName: "email"}
	}
	return CodeDeliveryDetails{Destination: otp.Mask(c.Destination), DeliveryMedium: "SMS", AttributeName: "phone_number"}
}

// resendReset is Service.ResendPasswordResetCode.
func (c *credentials) resendReset(ctx context.Context, sessionID string) (*ForgotPasswordResult, error) {
	ch, err := c.contacts.resend(ctx, sessionID, otp.PurposePasswordReset, "")
	if ch == nil {
		return nil, err
	}
	d := CodeDeliveryDetails{Destination: ch.Destination, DeliveryMedium: "SMS", AttributeName: "phone_number"}
	if ch.ChallengeType == ChallengeEmail {
		d.DeliveryMedium, d.AttributeName = "EMAIL", "email"
	}
	return &ForgotPasswordResult{SessionID: ch.ChallengeID, CodeDeliveryDetails: d}, err
}

// reset is Service.ResetPassword.
func (c *credentials) reset(ctx context.Context, sessionID, code, newPassword, confirm string) error {
	if newPassword != confirm {
		return mismatch()
	}
	v, err := c.contacts.check(ctx, sessionID, code, otp.PurposePasswordReset)
	if err != nil {
		return c.storeErr(ctx, "check code", err)
	}
	userID := v.Challenge.UserID
	if userID == "" {
		return onboardkit.CodeInvalidCode.Err()
	}
	u, err := c.getUser(ctx, userID)
	if err != nil {
		return err
	}
	hash, err := c.checkNewPassword(ctx, u, newPassword)
	if err != nil {
		return err
	}
	now := c.now()
	// Every write waits for the user's read or the commit (write-behind):
	// the consumption is checked when it runs (see consumeLater).
	err = c.step(ctx, "reset password", func(ctx context.Context, tx *unit) error {
		if err := c.contacts.consumeLater(ctx, tx, v); err != nil {
			return err
		}
		if err := c.setPassword(ctx, tx.later, userID, hash, now); err != nil {
			return err
		}
		// The code went to a verified identifier of the user when it was
		// sent; it resets the password only while that is still so (a
		// phone number given up since, and its new holder, do not).
		stillTheirs := func(u *storage.User) error {
			if !verifiedIdentifier(u, v.Challenge.Destination, v.Challenge.Channel == otp.ChannelEmail) {
				return onboardkit.CodeInvalidCode.Err()
			}
			return nil
		}
		if _, err := c.sessions.endAll(ctx, tx.later, userID, now, stillTheirs); err != nil {
			return err
		}
		if err := tx.later.ResetLoginAttempts(ctx, accountKey(userID)); err != nil {
			return err
		}
		tx.raise(EventPasswordReset, userID)
		return nil
	})
	return c.contacts.explain(ctx, v, err)
}

// change is Service.ChangePassword. A wrong current password counts
// against the account's login throttle, so a stolen access token cannot
// guess it; while the account is throttled the answer is rate_limited.
func (c *credentials) change(ctx context.Context, userID, current, newPassword, confirm string) (*PasswordChangeResult, error) {
	if newPassword != confirm {
		return nil, mismatch()
	}
	u, err := c.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := c.now()
	r, err := c.store.ReserveLoginAttempt(ctx, accountKey(userID), now, c.throttle.policy)
	if err != nil {
		return nil, c.storeErr(ctx, "password throttle", err)
	}
	if !r.Allowed {
		return nil, &onboardkit.Error{Code: onboardkit.CodeRateLimited, Message: onboardkit.CodeRateLimited.Message(), RetryAfter: r.BlockedUntil.Sub(now)}
	}
	stored, err := c.store.GetPassword(ctx, userID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, c.storeErr(ctx, "password lookup", err)
	}
	if _, ok, err := c.checkPassword(ctx, userID, stored, current); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		c.audit(ctx, c.event(EventLoginFailed, userID, "reason", "current_password", "consecutive", strconv.Itoa(r.Failures)))
		return nil, onboardkit.CodeInvalidCredentials.Err()
	}
	if err := c.store.ResetLoginAttempts(ctx, accountKey(userID)); err != nil {
		return nil, c.storeErr(ctx, "password throttle", err)
	}
	hash, err := c.checkNewPassword(ctx, u, newPassword)
	if err != nil {
		return nil, err
	}
	req := provenCode(u, otp.PurposePasswordChange)
	req.Payload = []byte(hash)
	p, v, err := c.contacts.send(ctx, req)
	if p == nil {
		return nil, err
	}
	return &PasswordChangeResult{SessionID: p.Challenge.ID, Challenge: v}, err
}

// confirmChange is Service.ConfirmPasswordChange: the new password applies
// and every other session of the user ends; the session of ctx
// (FromContext), when it is the user's, is kept.
func (c *credentials) confirmChange(ctx context.Context, userID, sessionID, code string) error {
	v, err := c.contacts.check(ctx, sessionID, code, otp.PurposePasswordChange)
	if err != nil {
		return c.storeErr(ctx, "check code", err)
	}
	if v.Challenge.UserID != userID || len(v.Challenge.Payload) == 0 {
		return onboardkit.CodeInvalidCode.Err()
	}
	now := c.now()
	return c.step(ctx, "confirm password change", func(ctx context.Context, tx *unit) error {
		if err := c.contacts.codes.WithStore(tx).Consume(ctx, v); err != nil {
			return err
		}
		// Pinned, so a login's rehash running beside it does not write
		// the old password back (see rehash).
		if _, err := c.pin(ctx, tx, userID, asIs); err != nil {
			return err
		}
		if err := c.setPassword(ctx, tx, userID, string(v.Challenge.Payload), now); err != nil {
			return err
		}
		if err := c.sessions.endOthers(ctx, tx, userID, now); err != nil {
			return err
		}
		tx.raise(EventPasswordChanged, userID)
		return nil
	})
}

// beginTOTP is Service.BeginTOTP.
func (c *credentials) beginTOTP(ctx context.Context, userID string) (*otp.Enrollment, error) {
	u, err := c.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := c.contacts.requireRecentAuth(u); err != nil {
		return nil, err
	}
	name := u.Email
	if u.Phone != "" {
		name = u.Phone
	}
	// In a unit, not after an erasure: sealing the secret would create a
	// fresh data key.
	var e *otp.Enrollment
	err = c.step(ctx, "begin totp", func(ctx context.Context, tx *unit) error {
		if _, err := c.pin(ctx, tx, userID, live); err != nil {
			return err
		}
		var err error
		e, err = c.totpIn(tx).Begin(ctx, userID, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// totpIn is the TOTP manager working in the unit tx, its secrets sealed
// and opened with the unit's data keys.
func (c *credentials) totpIn(tx *unit) *otp.TOTP {
	return c.totp.WithStore(tx).WithSecretBox(totpBox{p: c.pii, store: tx})
}

// confirmTOTP is Service.ConfirmTOTP.
// The confirmation runs in one unit, so that of concurrent confirmations
// (codes of two time steps) one wins (see otp.TOTP.Confirm).
func (c *credentials) confirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	var codes []string
	err := c.step(ctx, "confirm totp", func(ctx context.Context, tx *unit) error {
		var err error
		if codes, err = c.totpIn(tx).Confirm(ctx, userID, code); err != nil {
			return err
		}
		tx.raise(EventTOTPEnabled, userID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// removeTOTP is Service.RemoveTOTP.
func (c *credentials) removeTOTP(ctx context.Context, userID string) error {
	u, err := c.getUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := c.contacts.requireRecentAuth(u); err != nil {
		return err
	}
	enrolled, err := c.totp.Enrolled(ctx, userID)
	if err != nil {
		return c.storeErr(ctx, "remove totp", err)
	}
	if !enrolled {
		return onboardkit.CodeNotFound.Err()
	}
	err = c.step(ctx, "remove totp", func(ctx context.Context, tx *unit) error {
		if err := c.totp.WithStore(tx).Disable(ctx, userID); err != nil {
			return err
		}
		tx.raise(EventTOTPDisabled, userID)
		return nil
	})
	if err != nil {
		return err
	}
	c.contacts.notifyUser(ctx, u, notice{"totp_disabled", "The authenticator app was removed from your account. If you did not do this, contact support at once."})
	return nil
}
