package onboarding

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/storage"
)

// LoginResult is the outcome of Login: the OTP challenge to answer.
type LoginResult struct {
	SessionID string    `json:"sessionId"`
	Challenge Challenge `json:"challenge"`
}

// Login checks a username (phone or email) and password and returns an OTP
// challenge: an SMS code (an email code for users without a phone), or a
// TOTP challenge when the user enrolled an authenticator app.
//
// It is enumeration-safe: an unknown user gets the same invalid_credentials
// error as a wrong password, after a dummy hash that takes as long as a real
// verification. After Login.FreeFailures consecutive failures the account is
// throttled with doubling delays; during a delay every attempt answers
// invalid_credentials without checking the password, so strangers can slow
// a customer down but never lock them out. account_locked is returned only
// for an administrator's lock, and only to a caller who knows the password.
func (s *Service) Login(ctx context.Context, username, pw string) (*LoginResult, error) {
	u, err := s.lookup(ctx, username)
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			return nil, s.internal(ctx, "login lookup", err)
		}
		if err := s.hasher.DummyVerify(ctx, pw); err != nil {
			return nil, err
		}
		return nil, onboardkit.ErrInvalidCredentials
	}
	now := s.now()
	if now.Before(u.LoginBlockedUntil) {
		if err := s.hasher.DummyVerify(ctx, pw); err != nil {
			return nil, err
		}
		s.recordAndEmit(ctx, s.event(EventLoginFailed, u.ID, "reason", "throttled"))
		return nil, onboardkit.ErrInvalidCredentials
	}
	hash, err := s.store.GetPassword(ctx, u.ID)
	if errors.Is(err, storage.ErrNotFound) {
		// No password yet (created by an integrator): set one with
		// ForgotPassword. Answer like a wrong password.
		if err := s.hasher.DummyVerify(ctx, pw); err != nil {
			return nil, err
		}
		return nil, onboardkit.ErrInvalidCredentials
	}
	if err != nil {
		return nil, s.internal(ctx, "login credentials", err)
	}
	ok, err := s.hasher.Verify(ctx, pw, hash)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Counted as a failure below; the stored hash needs attention.
		s.log.ErrorContext(ctx, "onboarding: stored password hash unreadable", slog.String("user_id", u.ID), slog.String("error", err.Error()))
	}
	if !ok {
		s.loginFailed(ctx, u.ID, now)
		return nil, onboardkit.ErrInvalidCredentials
	}
	if u.AdminLocked || Status(u.Status) == StatusLocked {
		return nil, onboardkit.ErrAccountLocked
	}
	if u.FailedLogins > 0 || !u.LoginBlockedUntil.IsZero() {
		if _, err := s.updateUser(ctx, s.store, u.ID, func(u *storage.User) error {
			u.FailedLogins, u.LoginBlockedUntil = 0, time.Time{}
			return nil
		}); err != nil {
			return nil, s.internal(ctx, "login reset failures", err)
		}
	}
	if s.hasher.NeedsRehash(hash) {
		if nh, err := s.hasher.Hash(ctx, pw); err == nil {
			if err := s.store.SetPassword(ctx, u.ID, nh, now, s.historyKeep()); err != nil {
				s.log.WarnContext(ctx, "onboarding: rehash not stored", slog.String("user_id", u.ID), slog.String("error", err.Error()))
			}
		}
	}
	return s.loginChallenge(ctx, u)
}

// loginFailed counts a failed login and sets the throttle deadline.
func (s *Service) loginFailed(ctx context.Context, userID string, now time.Time) {
	var n int
	_, err := s.updateUser(ctx, s.store, userID, func(u *storage.User) error {
		u.FailedLogins++
		n = u.FailedLogins
		if extra := u.FailedLogins - s.cfg.Login.FreeFailures; extra >= 0 {
			d := s.cfg.Login.BaseDelay
			for i := 0; i < extra && d < s.cfg.Login.MaxDelay; i++ {
				d *= 2
			}
			d = min(d, s.cfg.Login.MaxDelay)
			u.LoginBlockedUntil = now.Add(d)
		}
		return nil
	})
	if err != nil {
		s.log.ErrorContext(ctx, "onboarding: failed login not counted", slog.String("user_id", userID), slog.String("error", err.Error()))
	}
	s.recordAndEmit(ctx, s.event(EventLoginFailed, userID, "reason", "password", "consecutive", strconv.Itoa(n)))
}

func (s *Service) loginChallenge(ctx context.Context, u *storage.User) (*LoginResult, error) {
	enrolled, err := s.totp.Enrolled(ctx, u.ID)
	if err != nil {
		return nil, s.internal(ctx, "totp lookup", err)
	}
	if enrolled {
		c, err := s.totpChallenge(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		return &LoginResult{SessionID: c.ID, Challenge: challengeView(c)}, nil
	}
	req := otp.IssueRequest{UserID: u.ID, Purpose: otp.PurposeLogin, Channel: otp.ChannelSMS, Destination: u.Phone, Locale: u.Locale}
	if u.Phone == "" || !u.PhoneVerified && u.EmailVerified {
		req.Channel, req.Destination = otp.ChannelEmail, u.Email
	}
	p, err := s.issue(ctx, req)
	if err != nil {
		return nil, err
	}
	ch, err := s.deliver(ctx, p)
	return &LoginResult{SessionID: p.Challenge.ID, Challenge: ch}, err
}

// totpChallenge stores a login challenge answered with an authenticator
// code. It has no code of its own; its hash field holds a fixed marker so
// the store's conditional consume applies unchanged.
func (s *Service) totpChallenge(ctx context.Context, userID string) (*storage.Challenge, error) {
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	ttl := s.cfg.OTP.TTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	max := s.cfg.OTP.MaxAttempts
	if max <= 0 {
		max = 5
	}
	c := &storage.Challenge{
		ID: id, UserID: userID, Purpose: string(otp.PurposeLogin), Channel: "totp",
		CodeHash: totpMarker(id), CreatedAt: now, ExpiresAt: now.Add(ttl),
		MaxAttempts: max, Sends: 1, LastSentAt: now, ResendAt: now.Add(ttl),
	}
	if err := s.store.CreateChallenge(ctx, c); err != nil {
		return nil, s.internal(ctx, "totp challenge", err)
	}
	return c, nil
}

func totpMarker(id string) []byte {
	h := sha256.Sum256([]byte("onboardkit totp challenge\x00" + id))
	return h[:]
}

// ResendLoginCode resends the code of a login challenge (SMS or email).
func (s *Service) ResendLoginCode(ctx context.Context, sessionID string) (*Challenge, error) {
	return s.resend(ctx, sessionID, otp.PurposeLogin, "")
}

// VerifyLoginChallenge answers the challenge of Login with the code (SMS,
// email or authenticator) and starts a session.
func (s *Service) VerifyLoginChallenge(ctx context.Context, sessionID, code string) (*AuthResult, error) {
	c, err := s.codes.Get(ctx, sessionID)
	if err != nil || c.Purpose != string(otp.PurposeLogin) {
		return nil, onboardkit.ErrInvalidCode
	}
	if c.Channel == "totp" {
		return s.verifyTOTPLogin(ctx, c, func() error { return s.totp.Verify(ctx, c.UserID, code) })
	}
	v, err := s.codes.Check(ctx, sessionID, code, otp.PurposeLogin)
	if err != nil {
		return nil, err
	}
	return s.finishLogin(ctx, v.Challenge.UserID, "otp", func(tx storage.Store) error {
		return s.codes.WithStore(tx).Consume(ctx, v)
	})
}

// LoginWithRecoveryCode answers a TOTP login challenge with one of the
// user's single-use recovery codes.
func (s *Service) LoginWithRecoveryCode(ctx context.Context, sessionID, recoveryCode string) (*AuthResult, error) {
	c, err := s.codes.Get(ctx, sessionID)
	if err != nil || c.Purpose != string(otp.PurposeLogin) || c.Channel != "totp" {
		return nil, onboardkit.ErrInvalidCode
	}
	res, err := s.verifyTOTPLogin(ctx, c, func() error { return s.totp.UseRecoveryCode(ctx, c.UserID, recoveryCode) })
	if err == nil {
		s.recordAndEmit(ctx, s.event(EventRecoveryCodeUsed, c.UserID))
	}
	return res, err
}

func (s *Service) verifyTOTPLogin(ctx context.Context, c *storage.Challenge, check func() error) (*AuthResult, error) {
	now := s.now()
	switch {
	case !c.ConsumedAt.IsZero():
		return nil, onboardkit.ErrInvalidCode
	case c.Attempts >= c.MaxAttempts:
		return nil, onboardkit.ErrTooManyAttempts
	case !now.Before(c.ExpiresAt):
		return nil, onboardkit.ErrCodeExpired
	}
	if err := check(); err != nil {
		if !errors.Is(err, onboardkit.ErrInvalidCode) {
			return nil, s.internal(ctx, "totp verify", err)
		}
		n, ferr := s.store.FailChallengeAttempt(ctx, c.ID, now)
		if ferr != nil {
			return nil, onboardkit.ErrInvalidCode
		}
		left := c.MaxAttempts - n
		if left <= 0 {
			return nil, onboardkit.ErrTooManyAttempts
		}
		return nil, &onboardkit.Error{Code: onboardkit.CodeInvalidCode, Message: onboardkit.ErrInvalidCode.Message, AttemptsRemaining: &left,
			Fields: []onboardkit.FieldError{{Field: "code", Code: string(onboardkit.CodeInvalidCode), Message: "The code is not valid."}}}
	}
	return s.finishLogin(ctx, c.UserID, "totp", func(tx storage.Store) error {
		if err := tx.ConsumeChallenge(ctx, c.ID, c.CodeHash, now); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return onboardkit.ErrInvalidCode
			}
			return err
		}
		return nil
	})
}

// finishLogin consumes the challenge and starts a session in one
// transaction.
func (s *Service) finishLogin(ctx context.Context, userID, method string, consume func(tx storage.Store) error) (*AuthResult, error) {
	now := s.now()
	var u *storage.User
	var refresh string
	ev := s.event(EventLoginSucceeded, userID, "method", method)
	err := s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := consume(tx); err != nil {
			return err
		}
		var err error
		u, err = s.updateUser(ctx, tx, userID, func(u *storage.User) error {
			if u.AdminLocked || Status(u.Status) == StatusLocked {
				return onboardkit.ErrAccountLocked
			}
			u.LastAuthAt = now
			return nil
		})
		if err != nil {
			return err
		}
		if refresh, err = s.startSession(ctx, tx, userID, now); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if err != nil {
		return nil, s.internal(ctx, "finish login", err)
	}
	s.emit(ctx, ev)
	return s.authResult(u, refresh, now)
}

// Refresh rotates a refresh token: the presented token stops working and a
// new pair is returned. Presenting a token that was already rotated is
// treated as theft (RFC 9700 §4.14.2): the whole family is revoked and a
// session.reuse_detected event is recorded — unless TokenConfig.ReuseGrace
// is set and the token was rotated within it, in which case the same new
// refresh token is returned again.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if refreshToken == "" || len(refreshToken) > 128 {
		return nil, onboardkit.ErrInvalidRefreshToken
	}
	now := s.now()
	old, err := s.store.GetRefreshToken(ctx, hashRefresh(refreshToken))
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, onboardkit.ErrInvalidRefreshToken
		}
		return nil, s.internal(ctx, "refresh lookup", err)
	}
	if !old.RevokedAt.IsZero() || !now.Before(old.ExpiresAt) ||
		!now.Before(old.FamilyCreatedAt.Add(s.tokens.cfg.RefreshAbsoluteTTL)) {
		return nil, onboardkit.ErrInvalidRefreshToken
	}
	nextToken := s.tokens.nextRefresh(refreshToken)
	if old.RotatedAt.IsZero() {
		next := &storage.RefreshToken{
			Hash: hashRefresh(nextToken), FamilyID: old.FamilyID, UserID: old.UserID,
			IssuedAt: now, FamilyCreatedAt: old.FamilyCreatedAt, ExpiresAt: s.refreshExpiry(old.FamilyCreatedAt, now),
		}
		err = s.store.RotateRefreshToken(ctx, old.Hash, next, now)
		if err == nil {
			return s.refreshed(ctx, old.UserID, nextToken, now)
		}
		if !errors.Is(err, storage.ErrConflict) {
			return nil, s.internal(ctx, "rotate refresh token", err)
		}
		// Lost a race: someone rotated it first. Re-read and judge below.
		if old, err = s.store.GetRefreshToken(ctx, old.Hash); err != nil {
			return nil, s.internal(ctx, "refresh lookup", err)
		}
	}
	if g := s.tokens.cfg.ReuseGrace; g > 0 && old.RevokedAt.IsZero() && now.Sub(old.RotatedAt) <= g {
		if cur, err := s.store.GetRefreshToken(ctx, hashRefresh(nextToken)); err == nil &&
			cur.RotatedAt.IsZero() && cur.RevokedAt.IsZero() {
			return s.refreshed(ctx, old.UserID, nextToken, now)
		}
	}
	if err := s.store.RevokeFamily(ctx, old.FamilyID, now); err != nil {
		return nil, s.internal(ctx, "revoke family", err)
	}
	s.log.WarnContext(ctx, "onboarding: refresh token reuse detected; family revoked",
		slog.String("user_id", old.UserID), slog.String("family_id", old.FamilyID))
	s.recordAndEmit(ctx, s.event(EventSessionReuseDetected, old.UserID, "family_id", old.FamilyID))
	return nil, onboardkit.ErrInvalidRefreshToken
}

func (s *Service) refreshed(ctx context.Context, userID, refresh string, now time.Time) (*Tokens, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.internal(ctx, "refresh user", err)
	}
	if u.AdminLocked || Status(u.Status) == StatusLocked {
		return nil, onboardkit.ErrAccountLocked
	}
	return s.tokenPair(u, refresh, now)
}

// Logout revokes the session (refresh-token family) of refreshToken. It
// succeeds whether or not the token is known, so it reveals nothing; when
// userID is not empty the token must belong to that user.
func (s *Service) Logout(ctx context.Context, userID, refreshToken string) error {
	t, err := s.store.GetRefreshToken(ctx, hashRefresh(refreshToken))
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		return s.internal(ctx, "logout lookup", err)
	}
	if userID != "" && t.UserID != userID {
		return nil
	}
	if err := s.store.RevokeFamily(ctx, t.FamilyID, s.now()); err != nil {
		return s.internal(ctx, "logout", err)
	}
	s.recordAndEmit(ctx, s.event(EventSessionRevoked, t.UserID, "family_id", t.FamilyID))
	return nil
}

// LogoutEverywhere revokes every session of the user and refuses every
// access token issued until now.
func (s *Service) LogoutEverywhere(ctx context.Context, userID string) error {
	now := s.now()
	ev := s.event(EventSessionRevoked, userID, "scope", "all")
	err := s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := tx.RevokeUserSessions(ctx, userID, now); err != nil {
			return err
		}
		if _, err := s.updateUser(ctx, tx, userID, func(u *storage.User) error {
			u.TokensValidAfter = now
			return nil
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if err != nil {
		return s.userErr(ctx, err)
	}
	s.emit(ctx, ev)
	return nil
}

// BeginTOTP starts enrolling an authenticator app for the user: the result
// holds the otpauth:// URL and its QR code. The enrollment is active once
// ConfirmTOTP accepts a first code.
func (s *Service) BeginTOTP(ctx context.Context, userID string) (*otp.Enrollment, error) {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.userErr(ctx, err)
	}
	if s.now().Sub(u.LastAuthAt) > s.cfg.RecentAuth {
		return nil, onboardkit.ErrRecentAuthRequired
	}
	name := u.Email
	if u.Phone != "" {
		name = u.Phone
	}
	return s.totp.Begin(ctx, userID, name)
}

// ConfirmTOTP activates the enrollment with a first code and returns the
// ten single-use recovery codes, shown only this once.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	codes, err := s.totp.Confirm(ctx, userID, code)
	if err != nil {
		return nil, err
	}
	s.recordAndEmit(ctx, s.event(EventTOTPEnabled, userID))
	return codes, nil
}
