package onboarding

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/storage"
)

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

// ForgotPassword sends a password-reset code to the user's phone (or email).
// The answer has the same shape whether or not the user exists: for an
// unknown username a decoy challenge is stored (no message is sent, and no
// code opens it), so ResetPassword then answers exactly as for a real one.
func (s *Service) ForgotPassword(ctx context.Context, username string) (*ForgotPasswordResult, error) {
	username = strings.TrimSpace(username)
	var dest string
	channel := otp.ChannelSMS
	if strings.Contains(username, "@") {
		addr, fe := normalizeEmail("username", username)
		if fe != nil {
			return nil, onboardkit.ValidationError(*fe)
		}
		dest, channel = addr, otp.ChannelEmail
	} else {
		phone, fe := s.parsePhone("username", username, true)
		if fe != nil {
			return nil, onboardkit.ValidationError(*fe)
		}
		dest = phone
	}
	req := otp.IssueRequest{Purpose: otp.PurposePasswordReset, Channel: channel, Destination: dest}
	u, err := s.lookup(ctx, username)
	switch {
	case err == nil:
		req.UserID, req.Locale = u.ID, u.Locale
		// Deliver where the user can receive: the verified phone, else the
		// verified email, else what they typed.
		switch {
		case u.Phone != "" && u.PhoneVerified:
			req.Channel, req.Destination = otp.ChannelSMS, u.Phone
		case u.Email != "" && u.EmailVerified:
			req.Channel, req.Destination = otp.ChannelEmail, u.Email
		}
	case !errors.Is(err, storage.ErrNotFound):
		return nil, s.internal(ctx, "forgot-password lookup", err)
	}
	p, err := s.issue(ctx, req)
	if err != nil {
		return nil, err
	}
	res := &ForgotPasswordResult{SessionID: p.Challenge.ID, CodeDeliveryDetails: deliveryDetails(p.Challenge)}
	if req.UserID == "" {
		return res, nil
	}
	if err := s.codes.Send(ctx, p); err != nil {
		return res, err
	}
	return res, nil
}

func deliveryDetails(c *storage.Challenge) CodeDeliveryDetails {
	if c.Channel == string(otp.ChannelEmail) {
		return CodeDeliveryDetails{Destination: otp.Mask(c.Destination), DeliveryMedium: "EMAIL", AttributeName: "email"}
	}
	return CodeDeliveryDetails{Destination: otp.Mask(c.Destination), DeliveryMedium: "SMS", AttributeName: "phone_number"}
}

// ResendPasswordResetCode resends the code of a ForgotPassword session.
func (s *Service) ResendPasswordResetCode(ctx context.Context, sessionID string) (*Challenge, error) {
	return s.resend(ctx, sessionID, otp.PurposePasswordReset, "")
}

// ResetPassword sets a new password with the code sent by ForgotPassword.
// The password goes through the whole policy, including the history; a
// refusal (or a confirmation mismatch) does not consume the code, so the
// user can retry with a better password. On success every session of the
// user is revoked and access tokens issued before now are refused.
func (s *Service) ResetPassword(ctx context.Context, sessionID, code, newPassword, confirm string) error {
	if newPassword != confirm {
		return mismatch()
	}
	v, err := s.codes.Check(ctx, sessionID, code, otp.PurposePasswordReset)
	if err != nil {
		return err
	}
	if v.Challenge.UserID == "" {
		return onboardkit.ErrInvalidCode
	}
	userID := v.Challenge.UserID
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return s.userErr(ctx, err)
	}
	hash, err := s.checkNewPassword(ctx, u, newPassword)
	if err != nil {
		return err
	}
	now := s.now()
	ev := s.event(EventPasswordReset, userID)
	err = s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := s.codes.WithStore(tx).Consume(ctx, v); err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, userID, hash, now, s.historyKeep()); err != nil {
			return err
		}
		if err := tx.RevokeUserSessions(ctx, userID, now); err != nil {
			return err
		}
		if _, err := s.updateUser(ctx, tx, userID, func(u *storage.User) error {
			u.TokensValidAfter = now
			u.FailedLogins, u.LoginBlockedUntil = 0, time.Time{}
			return nil
		}); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if err != nil {
		return s.internal(ctx, "reset password", err)
	}
	s.emit(ctx, ev)
	return nil
}

// PasswordChangeResult is the outcome of ChangePassword: the challenge that
// confirms the change.
type PasswordChangeResult struct {
	SessionID string    `json:"sessionId"`
	Challenge Challenge `json:"challenge"`
}

// ChangePassword starts an authenticated password change: the current
// password is checked, the new one goes through the policy, and a code is
// sent; the change applies after ConfirmPasswordChange.
func (s *Service) ChangePassword(ctx context.Context, userID, current, newPassword, confirm string) (*PasswordChangeResult, error) {
	if newPassword != confirm {
		return nil, mismatch()
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.userErr(ctx, err)
	}
	old, err := s.store.GetPassword(ctx, userID)
	if err != nil {
		return nil, s.internal(ctx, "change password", err)
	}
	if ok, err := s.hasher.Verify(ctx, current, old); err != nil || !ok {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, onboardkit.ErrInvalidCredentials
	}
	hash, err := s.checkNewPassword(ctx, u, newPassword)
	if err != nil {
		return nil, err
	}
	req := otp.IssueRequest{UserID: userID, Purpose: otp.PurposePasswordChange, Channel: otp.ChannelSMS, Destination: u.Phone, Locale: u.Locale, Payload: []byte(hash)}
	if u.Phone == "" || !u.PhoneVerified && u.EmailVerified {
		req.Channel, req.Destination = otp.ChannelEmail, u.Email
	}
	p, err := s.issue(ctx, req)
	if err != nil {
		return nil, err
	}
	ch, err := s.deliver(ctx, p)
	return &PasswordChangeResult{SessionID: p.Challenge.ID, Challenge: ch}, err
}

// ConfirmPasswordChange applies the password change with its code.
func (s *Service) ConfirmPasswordChange(ctx context.Context, userID, sessionID, code string) error {
	v, err := s.codes.Check(ctx, sessionID, code, otp.PurposePasswordChange)
	if err != nil {
		return err
	}
	if v.Challenge.UserID != userID || len(v.Challenge.Payload) == 0 {
		return onboardkit.ErrInvalidCode
	}
	now := s.now()
	ev := s.event(EventPasswordChanged, userID)
	err = s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := s.codes.WithStore(tx).Consume(ctx, v); err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, userID, string(v.Challenge.Payload), now, s.historyKeep()); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if err != nil {
		return s.internal(ctx, "confirm password change", err)
	}
	s.emit(ctx, ev)
	return nil
}

// checkNewPassword runs the policy, history included, and hashes the
// password.
func (s *Service) checkNewPassword(ctx context.Context, u *storage.User, pw string) (string, error) {
	var history []string
	if n := s.policy.HistorySize; n > 0 {
		var err error
		if history, err = s.store.PasswordHistory(ctx, u.ID, n); err != nil {
			return "", s.internal(ctx, "password history", err)
		}
	}
	if err := s.policy.ValidateWithHistory(ctx, pw, policyProfile(u), history, s.hasher); err != nil {
		if errors.Is(err, password.ErrPolicy) {
			return "", err
		}
		return "", s.internal(ctx, "password policy", err)
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return "", s.internal(ctx, "hash password", err)
	}
	return hash, nil
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
	return onboardkit.ValidationError(onboardkit.FieldError{Field: "passwordConfirm", Code: "mismatch", Message: "The passwords do not match."})
}
