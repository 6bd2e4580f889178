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
	policy   *password.Policy
	hasher   PasswordHasher
	totp     *otp.TOTP
	contacts *contacts
	sessions *sessions
	login    LoginConfig
}

// contactOf is where a user receives codes.
func contactOf(u *storage.User) otp.Contact {
	return otp.Contact{Phone: u.Phone, PhoneVerified: u.PhoneVerified, Email: u.Email, EmailVerified: u.EmailVerified}
}

// codeTo returns the request of a code for a known user, routed by
// otp.Contact.Route.
func codeTo(u *storage.User, purpose otp.Purpose, preferred otp.Channel) otp.IssueRequest {
	ch, dest := contactOf(u).Route(preferred)
	return otp.IssueRequest{UserID: u.ID, Purpose: purpose, Channel: ch, Destination: dest, Locale: u.Locale}
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
	if err := c.policy.ValidateWithHistory(ctx, pw, policyProfile(u), history, c.hasher); err != nil {
		if errors.Is(err, onboardkit.ErrPasswordPolicy) {
			return "", err
		}
		return "", c.storeErr(ctx, "password policy", err)
	}
	return c.hash(ctx, pw)
}

func policyProfile(u *storage.User) password.Profile {
	p := password.Profile{Phone: u.Phone, Email: u.Email}
	if u.Profile != nil {
		p.FirstName, p.MiddleName, p.LastName = u.Profile.FirstName, u.Profile.MiddleName, u.Profile.LastName
		if t, err := time.Parse(time.DateOnly, u.Profile.BirthDate); err == nil {
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

// signIn is Service.Login.
func (c *credentials) signIn(ctx context.Context, username, pw string) (*LoginResult, error) {
	u, err := c.contacts.ids.lookup(ctx, c.store, username)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, c.dummy(ctx, pw)
	}
	if err != nil {
		return nil, c.storeErr(ctx, "login lookup", err)
	}
	now := c.now()
	if now.Before(u.LoginBlockedUntil) {
		c.audit(ctx, c.event(EventLoginFailed, u.ID, "reason", "throttled"))
		return nil, c.dummy(ctx, pw)
	}
	hash, err := c.store.GetPassword(ctx, u.ID)
	if errors.Is(err, storage.ErrNotFound) {
		// No password yet (created by an integrator): set one with
		// ForgotPassword. Answer like a wrong password.
		return nil, c.dummy(ctx, pw)
	}
	if err != nil {
		return nil, c.storeErr(ctx, "login credentials", err)
	}
	ok, err := c.hasher.Verify(ctx, pw, hash)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Counted as a failure below; the stored hash needs attention.
		c.log.ErrorContext(ctx, "onboarding: stored password hash unreadable", slog.String("user_id", u.ID), slog.String("error", err.Error()))
	}
	if !ok {
		c.failed(ctx, u.ID, now)
		return nil, onboardkit.CodeInvalidCredentials.Err()
	}
	if locked(u) {
		return nil, onboardkit.CodeAccountLocked.Err()
	}
	if err := c.passed(ctx, u, pw, hash, now); err != nil {
		return nil, err
	}
	return c.challenge(ctx, u)
}

// failed counts a failed login and sets the throttle deadline: after
// LoginConfig.FreeFailures consecutive failures, a delay doubling from
// BaseDelay up to MaxDelay.
func (c *credentials) failed(ctx context.Context, userID string, now time.Time) {
	var n int
	_, err := c.updateUser(ctx, c.store, userID, func(u *storage.User) error {
		u.FailedLogins++
		n = u.FailedLogins
		if extra := u.FailedLogins - c.login.FreeFailures; extra >= 0 {
			d := c.login.BaseDelay
			for i := 0; i < extra && d < c.login.MaxDelay; i++ {
				d *= 2
			}
			u.LoginBlockedUntil = now.Add(min(d, c.login.MaxDelay))
		}
		return nil
	})
	if err != nil {
		c.log.ErrorContext(ctx, "onboarding: failed login not counted", slog.String("user_id", userID), slog.String("error", err.Error()))
	}
	c.audit(ctx, c.event(EventLoginFailed, userID, "reason", "password", "consecutive", strconv.Itoa(n)))
}

// passed clears the failure count after a right password and upgrades a
// hash made with weaker parameters.
func (c *credentials) passed(ctx context.Context, u *storage.User, pw, hash string, now time.Time) error {
	if u.FailedLogins > 0 || !u.LoginBlockedUntil.IsZero() {
		if _, err := c.updateUser(ctx, c.store, u.ID, func(u *storage.User) error {
			u.FailedLogins, u.LoginBlockedUntil = 0, time.Time{}
			return nil
		}); err != nil {
			return c.storeErr(ctx, "login reset failures", err)
		}
	}
	if c.hasher.NeedsRehash(hash) {
		if nh, err := c.hasher.Hash(ctx, pw); err == nil {
			if err := c.setPassword(ctx, c.store, u.ID, nh, now); err != nil {
				c.log.WarnContext(ctx, "onboarding: rehash not stored", slog.String("user_id", u.ID), slog.String("error", err.Error()))
			}
		}
	}
	return nil
}

// challenge issues the login's second factor: an authenticator challenge
// when the user enrolled one, else a code routed to the user's contact.
func (c *credentials) challenge(ctx context.Context, u *storage.User) (*LoginResult, error) {
	enrolled, err := c.totp.Enrolled(ctx, u.ID)
	if err != nil {
		return nil, c.storeErr(ctx, "totp lookup", err)
	}
	if enrolled {
		p, err := c.contacts.issue(ctx, otp.IssueRequest{UserID: u.ID, Purpose: otp.PurposeLogin, Channel: otp.ChannelTOTP, Locale: u.Locale})
		if err != nil {
			return nil, err
		}
		return &LoginResult{SessionID: p.Challenge.ID, Challenge: challengeView(p.Challenge)}, nil
	}
	p, v, err := c.contacts.send(ctx, codeTo(u, otp.PurposeLogin, otp.ChannelSMS))
	if p == nil {
		return nil, err
	}
	return &LoginResult{SessionID: p.Challenge.ID, Challenge: v}, err
}

// answer is Service.VerifyLoginChallenge: the code of the challenge, or the
// authenticator's code for a TOTP challenge.
func (c *credentials) answer(ctx context.Context, sessionID, code string) (*AuthResult, error) {
	ch, err := c.contacts.codes.Get(ctx, sessionID)
	if err != nil || ch.Purpose != otp.PurposeLogin {
		return nil, onboardkit.CodeInvalidCode.Err()
	}
	if ch.Channel == otp.ChannelTOTP {
		return c.answerFactor(ctx, sessionID, "totp", func(ctx context.Context, userID string) error {
			return c.totp.Verify(ctx, userID, code)
		})
	}
	v, err := c.contacts.codes.Check(ctx, sessionID, code, otp.PurposeLogin)
	if err != nil {
		return nil, c.storeErr(ctx, "check code", err)
	}
	return c.finish(ctx, v, "otp")
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
	now, userID := c.now(), v.Challenge.UserID
	var u *storage.User
	var refresh string
	err := c.step(ctx, "finish login", func(ctx context.Context, tx *unit) error {
		if err := c.contacts.codes.WithStore(tx).Consume(ctx, v); err != nil {
			return err
		}
		var err error
		u, err = c.updateUser(ctx, tx, userID, func(u *storage.User) error {
			if locked(u) {
				return onboardkit.CodeAccountLocked.Err()
			}
			u.LastAuthAt = now
			return nil
		})
		if err != nil {
			return err
		}
		if refresh, err = c.sessions.start(ctx, tx, userID, now); err != nil {
			return err
		}
		tx.raise(EventLoginSucceeded, userID, "method", method)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c.sessions.authResult(u, refresh, now)
}

// forgot is Service.ForgotPassword.
func (c *credentials) forgot(ctx context.Context, username string) (*ForgotPasswordResult, error) {
	value, isEmail, fe := c.contacts.ids.username(username)
	if fe != nil {
		return nil, onboardkit.ValidationError(*fe)
	}
	typed := otp.ChannelSMS
	if isEmail {
		typed = otp.ChannelEmail
	}
	// An unknown user gets a decoy (no user id): same answer, nothing sent.
	req := otp.IssueRequest{Purpose: otp.PurposePasswordReset, Channel: typed, Destination: value}
	u, err := c.contacts.ids.lookup(ctx, c.store, username)
	switch {
	case err == nil:
		req = codeTo(u, otp.PurposePasswordReset, typed)
	case !errors.Is(err, storage.ErrNotFound):
		return nil, c.storeErr(ctx, "forgot-password lookup", err)
	}
	p, _, err := c.contacts.send(ctx, req)
	if p == nil {
		return nil, err
	}
	return &ForgotPasswordResult{SessionID: p.Challenge.ID, CodeDeliveryDetails: deliveryDetails(p.Challenge)}, err
}

func deliveryDetails(c otp.Challenge) CodeDeliveryDetails {
	if c.Channel == otp.ChannelEmail {
		return CodeDeliveryDetails{Destination: otp.Mask(c.Destination), DeliveryMedium: "EMAIL", AttributeName: "email"}
	}
	return CodeDeliveryDetails{Destination: otp.Mask(c.Destination), DeliveryMedium: "SMS", AttributeName: "phone_number"}
}

// reset is Service.ResetPassword.
func (c *credentials) reset(ctx context.Context, sessionID, code, newPassword, confirm string) error {
	if newPassword != confirm {
		return mismatch()
	}
	v, err := c.contacts.codes.Check(ctx, sessionID, code, otp.PurposePasswordReset)
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
	return c.step(ctx, "reset password", func(ctx context.Context, tx *unit) error {
		if err := c.contacts.codes.WithStore(tx).Consume(ctx, v); err != nil {
			return err
		}
		if err := c.setPassword(ctx, tx, userID, hash, now); err != nil {
			return err
		}
		if _, err := c.sessions.endAll(ctx, tx, userID, now, func(u *storage.User) {
			u.FailedLogins, u.LoginBlockedUntil = 0, time.Time{}
		}); err != nil {
			return err
		}
		tx.raise(EventPasswordReset, userID)
		return nil
	})
}

// change is Service.ChangePassword.
func (c *credentials) change(ctx context.Context, userID, current, newPassword, confirm string) (*PasswordChangeResult, error) {
	if newPassword != confirm {
		return nil, mismatch()
	}
	u, err := c.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	old, err := c.store.GetPassword(ctx, userID)
	if err != nil {
		return nil, c.storeErr(ctx, "change password", err)
	}
	if ok, err := c.hasher.Verify(ctx, current, old); err != nil || !ok {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, onboardkit.CodeInvalidCredentials.Err()
	}
	hash, err := c.checkNewPassword(ctx, u, newPassword)
	if err != nil {
		return nil, err
	}
	req := codeTo(u, otp.PurposePasswordChange, otp.ChannelSMS)
	req.Payload = []byte(hash)
	p, v, err := c.contacts.send(ctx, req)
	if p == nil {
		return nil, err
	}
	return &PasswordChangeResult{SessionID: p.Challenge.ID, Challenge: v}, err
}

// confirmChange is Service.ConfirmPasswordChange.
func (c *credentials) confirmChange(ctx context.Context, userID, sessionID, code string) error {
	v, err := c.contacts.codes.Check(ctx, sessionID, code, otp.PurposePasswordChange)
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
		if err := c.setPassword(ctx, tx, userID, string(v.Challenge.Payload), now); err != nil {
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
	e, err := c.totp.Begin(ctx, userID, name)
	return e, c.storeErr(ctx, "begin totp", err)
}

// confirmTOTP is Service.ConfirmTOTP.
func (c *credentials) confirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	codes, err := c.totp.Confirm(ctx, userID, code)
	if err != nil {
		return nil, c.storeErr(ctx, "confirm totp", err)
	}
	c.audit(ctx, c.event(EventTOTPEnabled, userID))
	return codes, nil
}
