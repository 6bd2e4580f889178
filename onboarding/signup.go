package onboarding

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/storage"
)

// Challenge is a one-time-code challenge as shown to a client: the
// destination is masked.
type Challenge struct {
	ChallengeID       string    `json:"challengeId"`
	ChallengeType     string    `json:"challengeType"` // SMS_OTP, EMAIL_OTP or TOTP
	Destination       string    `json:"destination,omitempty"`
	ExpiresAt         time.Time `json:"expiresAt"`
	ResendAvailableAt time.Time `json:"resendAvailableAt"`
}

// Challenge types.
const (
	ChallengeSMS   = "SMS_OTP"
	ChallengeEmail = "EMAIL_OTP"
	ChallengeTOTP  = "TOTP"
)

func challengeView(c *storage.Challenge) Challenge {
	v := Challenge{ChallengeID: c.ID, ExpiresAt: c.ExpiresAt.UTC(), ResendAvailableAt: c.ResendAt.UTC()}
	switch c.Channel {
	case string(otp.ChannelSMS):
		v.ChallengeType = ChallengeSMS
	case string(otp.ChannelEmail):
		v.ChallengeType = ChallengeEmail
	default:
		v.ChallengeType = ChallengeTOTP
	}
	if c.Destination != "" {
		v.Destination = otp.Mask(c.Destination)
	}
	return v
}

// SignUpRequest is the input of SignUp.
type SignUpRequest struct {
	PhoneNumber string `json:"phoneNumber"`
	Password    string `json:"password"`
	Email       string `json:"email,omitempty"`
	Locale      string `json:"locale,omitempty"`
}

// SignUpResult is the outcome of SignUp.
type SignUpResult struct {
	UserID    string    `json:"userId"`
	Status    Status    `json:"status"`
	Next      []Step    `json:"next"`
	Challenge Challenge `json:"challenge"`
}

// AuthResult is the outcome of a step that authenticates the user.
type AuthResult struct {
	UserID string  `json:"userId"`
	Status Status  `json:"status"`
	Next   []Step  `json:"next"`
	Tokens *Tokens `json:"tokens,omitempty"`
}

// SignUp registers a user with a phone number (or an email in email-first
// flows) and a password, and sends the confirmation code. The user, the
// password and the challenge are written in one transaction; the message is
// sent after it commits. When the send fails the user exists and the result
// is returned together with a send_failed error: the challenge can be
// resent at once.
func (s *Service) SignUp(ctx context.Context, req SignUpRequest) (*SignUpResult, error) {
	var fields []onboardkit.FieldError
	var phone, email string
	emailFirst := s.flow.SignUp == SignUpWithEmail
	if req.PhoneNumber != "" || !emailFirst {
		var fe *onboardkit.FieldError
		phone, fe = s.normalizePhone("phoneNumber", req.PhoneNumber)
		if fe != nil {
			fields = append(fields, *fe)
		}
	}
	if req.Email != "" || emailFirst {
		var fe *onboardkit.FieldError
		email, fe = normalizeEmail("email", req.Email)
		if fe != nil {
			fields = append(fields, *fe)
		}
	}
	if len(req.Locale) > 35 {
		fields = append(fields, onboardkit.FieldError{Field: "locale", Code: "too_long", Message: "The locale is too long."})
	}
	perr := s.policy.Validate(ctx, req.Password, password.Profile{Phone: phone, Email: email})
	if perr != nil && !errors.Is(perr, password.ErrPolicy) {
		return nil, s.internal(ctx, "sign-up policy", perr)
	}
	if len(fields) > 0 {
		var oe *onboardkit.Error
		if errors.As(perr, &oe) {
			fields = append(fields, oe.Fields...)
		}
		return nil, onboardkit.ValidationError(fields...)
	}
	if perr != nil {
		return nil, perr
	}

	if taken, err := s.identifierTaken(ctx, phone, email); err != nil {
		return nil, s.internal(ctx, "sign-up lookup", err)
	} else if taken {
		return s.duplicateSignUp(ctx, phone, email, req.Locale)
	}

	hash, err := s.hasher.Hash(ctx, req.Password)
	if err != nil {
		return nil, s.internal(ctx, "hash password", err)
	}
	id, err := s.newID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &storage.User{
		ID: id, Phone: phone, Email: email, Locale: req.Locale,
		Status: string(StatusRegistered), KYCStatus: "not_started",
		CreatedAt: now, UpdatedAt: now,
	}
	issue := otp.IssueRequest{UserID: id, Purpose: otp.PurposePhoneConfirmation, Channel: otp.ChannelSMS, Destination: phone, Locale: req.Locale}
	if emailFirst {
		issue = otp.IssueRequest{UserID: id, Purpose: otp.PurposeEmailConfirmation, Channel: otp.ChannelEmail, Destination: email, Locale: req.Locale}
	}
	ev := s.event(EventUserRegistered, id, "signup", string(s.flow.SignUp))
	var pending *otp.Pending
	err = s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, id, hash, now, s.historyKeep()); err != nil {
			return err
		}
		var err error
		if pending, err = s.codes.WithStore(tx).Issue(ctx, issue); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if errors.Is(err, storage.ErrDuplicate) {
		// Lost a race with another sign-up for the same identifier.
		return s.duplicateSignUp(ctx, phone, email, req.Locale)
	}
	if err != nil {
		return nil, s.internal(ctx, "sign-up", err)
	}
	s.emit(ctx, ev)
	ch, err := s.deliver(ctx, pending)
	return &SignUpResult{UserID: id, Status: StatusRegistered, Next: s.flow.Next(u), Challenge: ch}, err
}

// identifierTaken reports whether phone or email belongs to a user.
func (s *Service) identifierTaken(ctx context.Context, phone, email string) (bool, error) {
	if phone != "" {
		if _, err := s.store.GetUserByPhone(ctx, phone); err == nil {
			return true, nil
		} else if !errors.Is(err, storage.ErrNotFound) {
			return false, err
		}
	}
	if email != "" {
		if _, err := s.store.GetUserByEmail(ctx, email); err == nil {
			return true, nil
		} else if !errors.Is(err, storage.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}

// duplicateSignUp answers a sign-up whose phone or email is taken: with
// identifier_taken by default, or, in enumeration-safe mode, with a result
// shaped like a success (backed by a decoy challenge no code opens) while
// the owner of the identifier is told of the attempt.
func (s *Service) duplicateSignUp(ctx context.Context, phone, email, locale string) (*SignUpResult, error) {
	if !s.cfg.EnumerationSafeSignUp {
		return nil, onboardkit.ErrIdentifierTaken
	}
	// The decoy looks like the challenge this sign-up would have had.
	dest, channel, purpose := phone, otp.ChannelSMS, otp.PurposePhoneConfirmation
	if s.flow.SignUp == SignUpWithEmail {
		dest, channel, purpose = email, otp.ChannelEmail, otp.PurposeEmailConfirmation
	}
	// The notice goes to the owner of the taken identifier, on its channel.
	var owner *storage.User
	noticeTo, noticeCh := "", otp.ChannelSMS
	if u, err := s.store.GetUserByPhone(ctx, phone); phone != "" && err == nil {
		owner, noticeTo = u, u.Phone
	} else if u, err := s.store.GetUserByEmail(ctx, email); email != "" && err == nil {
		owner, noticeTo, noticeCh = u, u.Email, otp.ChannelEmail
	}
	fakeID, err := s.newID()
	if err != nil {
		return nil, err
	}
	// The decoy carries no user id: its code is never sent, so no code
	// opens it, and it answers confirmations exactly as a real one does.
	pending, err := s.issue(ctx, otp.IssueRequest{Purpose: purpose, Channel: channel, Destination: dest, Locale: locale})
	if err != nil {
		return nil, err
	}
	if owner != nil {
		s.notify(ctx, noticeCh, noticeTo, owner.Locale, otp.Purpose("signup_attempt"),
			"Someone tried to sign up with your details. If it was you, log in or reset your password instead.")
		s.recordAndEmit(ctx, s.event(EventSignUpDuplicate, owner.ID))
	}
	fake := &storage.User{Status: string(StatusRegistered)}
	return &SignUpResult{UserID: fakeID, Status: StatusRegistered, Next: s.flow.Next(fake), Challenge: challengeView(pending.Challenge)}, nil
}

// notify sends a message that carries no code (a security notice). Failures
// are logged, not returned.
func (s *Service) notify(ctx context.Context, channel otp.Channel, to, locale string, purpose otp.Purpose, body string) {
	msg := otp.Message{Purpose: purpose, Channel: channel, Locale: locale, To: to, Subject: "Security notice", Body: body}
	var err error
	switch {
	case channel == otp.ChannelSMS && s.cfg.SMS != nil:
		err = s.cfg.SMS.Send(ctx, msg)
	case channel == otp.ChannelEmail && s.cfg.Email != nil:
		err = s.cfg.Email.Send(ctx, msg)
	default:
		return
	}
	if err != nil {
		s.log.WarnContext(ctx, "onboarding: notice not sent", "purpose", string(purpose), "channel", string(channel), "error", err.Error())
	}
}

// ConfirmPhone confirms the sign-up code (the SMS code in phone-first flows,
// the email code in email-first flows). The user's contact becomes verified
// and a session starts: the result carries an access and a refresh token.
func (s *Service) ConfirmPhone(ctx context.Context, challengeID, code string) (*AuthResult, error) {
	purpose := otp.PurposePhoneConfirmation
	if s.flow.SignUp == SignUpWithEmail {
		purpose = otp.PurposeEmailConfirmation
	}
	v, err := s.codes.Check(ctx, challengeID, code, purpose)
	if err != nil {
		return nil, err
	}
	if v.Challenge.UserID == "" || len(v.Challenge.Payload) != 0 {
		return nil, onboardkit.ErrInvalidCode
	}
	now := s.now()
	var u *storage.User
	var refresh string
	evType := EventPhoneConfirmed
	if purpose == otp.PurposeEmailConfirmation {
		evType = EventEmailConfirmed
	}
	ev := s.event(evType, v.Challenge.UserID)
	err = s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := s.codes.WithStore(tx).Consume(ctx, v); err != nil {
			return err
		}
		var err error
		u, err = s.updateUser(ctx, tx, v.Challenge.UserID, func(u *storage.User) error {
			to, err := s.flow.Fire(u, TriggerConfirmContact)
			if err != nil {
				return err
			}
			u.Status = string(to)
			if purpose == otp.PurposeEmailConfirmation {
				u.EmailVerified = true
			} else {
				u.PhoneVerified = true
			}
			u.LastAuthAt = now
			return nil
		})
		if err != nil {
			return err
		}
		if refresh, err = s.startSession(ctx, tx, u.ID, now); err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if err != nil {
		return nil, s.internal(ctx, "confirm contact", err)
	}
	s.emit(ctx, ev)
	return s.authResult(u, refresh, now)
}

// ResendPhoneCode sends a new sign-up code for the challenge, subject to the
// resend cooldown and send limits; the previous code stops working and the
// wrong-attempt count carries over.
func (s *Service) ResendPhoneCode(ctx context.Context, challengeID string) (*Challenge, error) {
	purpose := otp.PurposePhoneConfirmation
	if s.flow.SignUp == SignUpWithEmail {
		purpose = otp.PurposeEmailConfirmation
	}
	return s.resend(ctx, challengeID, purpose, "")
}

func (s *Service) resend(ctx context.Context, challengeID string, purpose otp.Purpose, userID string) (*Challenge, error) {
	if userID != "" {
		c, err := s.codes.Get(ctx, challengeID)
		if err != nil || c.UserID != userID {
			return nil, onboardkit.ErrInvalidCode
		}
	}
	p, err := s.codes.Resend(ctx, challengeID, purpose)
	if err != nil {
		return nil, err
	}
	if p.Challenge.UserID == "" {
		// A decoy: never send anything.
		v := challengeView(p.Challenge)
		return &v, nil
	}
	v, err := s.deliver(ctx, p)
	return &v, err
}

// AddEmail starts adding (or changing) the user's email: a code is sent to
// the new address, which replaces the old one only once confirmed. Changing
// a confirmed email requires a recent authentication.
func (s *Service) AddEmail(ctx context.Context, userID, email string) (*Challenge, error) {
	addr, fe := normalizeEmail("email", email)
	if fe != nil {
		return nil, onboardkit.ValidationError(*fe)
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.userErr(ctx, err)
	}
	if _, err := s.flow.Fire(u, TriggerAddEmail); err != nil {
		return nil, err
	}
	if u.EmailVerified && u.Email != "" && s.now().Sub(u.LastAuthAt) > s.cfg.RecentAuth {
		return nil, onboardkit.ErrRecentAuthRequired
	}
	if other, err := s.store.GetUserByEmail(ctx, addr); err == nil && other.ID != userID {
		return nil, onboardkit.ErrIdentifierTaken
	} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, s.internal(ctx, "email lookup", err)
	}
	p, err := s.issue(ctx, otp.IssueRequest{
		UserID: userID, Purpose: otp.PurposeEmailConfirmation, Channel: otp.ChannelEmail,
		Destination: addr, Locale: u.Locale, Payload: []byte(addr),
	})
	if err != nil {
		return nil, err
	}
	if u.EmailVerified && u.Email != "" {
		s.recordAndEmit(ctx, s.event(EventEmailChangeRequested, userID))
	}
	v, err := s.deliver(ctx, p)
	return &v, err
}

// ResendEmailCode resends the code of an AddEmail challenge of the user.
func (s *Service) ResendEmailCode(ctx context.Context, userID, challengeID string) (*Challenge, error) {
	return s.resend(ctx, challengeID, otp.PurposeEmailConfirmation, userID)
}

// ConfirmEmail confirms the code sent by AddEmail; the address becomes the
// user's verified email. When it replaces a confirmed address, the old
// address is notified.
func (s *Service) ConfirmEmail(ctx context.Context, userID, challengeID, code string) (*AuthResult, error) {
	return s.confirmContact(ctx, userID, challengeID, code, contactChange{
		purpose: otp.PurposeEmailConfirmation, channel: otp.ChannelEmail, event: EventEmailConfirmed,
		noticePurpose: "email_changed",
		notice:        "The email address of your account was changed. If you did not do this, contact support at once.",
		apply: func(u *storage.User, addr string) (string, error) {
			if _, err := s.flow.Fire(u, TriggerConfirmEmail); err != nil {
				return "", err
			}
			old := ""
			if u.EmailVerified && !strings.EqualFold(u.Email, addr) {
				old = u.Email
			}
			u.Email, u.EmailVerified = addr, true
			return old, nil
		},
	})
}

// contactChange describes a confirmed change of a contact detail.
type contactChange struct {
	purpose otp.Purpose
	channel otp.Channel // of the notice to the old value
	event   string
	// noticePurpose and notice are the message to the old value.
	noticePurpose otp.Purpose
	notice        string
	// apply sets the new value on the user and returns the old value to
	// notify ("" for none).
	apply func(u *storage.User, value string) (old string, err error)
}

// confirmContact checks the code of a contact change (the new value is the
// challenge's payload), then in one transaction consumes it and applies the
// change; after commit the old value is notified.
func (s *Service) confirmContact(ctx context.Context, userID, challengeID, code string, c contactChange) (*AuthResult, error) {
	v, err := s.codes.Check(ctx, challengeID, code, c.purpose)
	if err != nil {
		return nil, err
	}
	if v.Challenge.UserID != userID || len(v.Challenge.Payload) == 0 {
		return nil, onboardkit.ErrInvalidCode
	}
	var u *storage.User
	var old string
	ev := s.event(c.event, userID)
	err = s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		if err := s.codes.WithStore(tx).Consume(ctx, v); err != nil {
			return err
		}
		var err error
		u, err = s.updateUser(ctx, tx, userID, func(u *storage.User) error {
			old, err = c.apply(u, string(v.Challenge.Payload))
			return err
		})
		if err != nil {
			return err
		}
		return s.record(ctx, tx, ev)
	})
	if errors.Is(err, storage.ErrDuplicate) {
		return nil, onboardkit.ErrIdentifierTaken
	}
	if err != nil {
		return nil, s.internal(ctx, "confirm "+string(c.purpose), err)
	}
	s.emit(ctx, ev)
	if old != "" {
		s.notify(ctx, c.channel, old, u.Locale, c.noticePurpose, c.notice)
	}
	return &AuthResult{UserID: u.ID, Status: Status(u.Status), Next: s.flow.Next(u)}, nil
}

// startSession creates a new refresh-token family and returns its first
// token (256 random bits).
func (s *Service) startSession(ctx context.Context, st storage.Store, userID string, now time.Time) (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	fam, err := s.newID()
	if err != nil {
		return "", err
	}
	err = st.CreateRefreshToken(ctx, &storage.RefreshToken{
		Hash: hashRefresh(token), FamilyID: fam, UserID: userID,
		IssuedAt: now, FamilyCreatedAt: now, ExpiresAt: s.refreshExpiry(now, now),
	})
	return token, err
}

// refreshExpiry is the idle expiry of a token issued at now in a family
// created at created, capped by the absolute lifetime.
func (s *Service) refreshExpiry(created, now time.Time) time.Time {
	exp := now.Add(s.tokens.cfg.RefreshIdleTTL)
	if abs := created.Add(s.tokens.cfg.RefreshAbsoluteTTL); abs.Before(exp) {
		exp = abs
	}
	return exp
}

// authResult signs an access token for u and packs the result.
func (s *Service) authResult(u *storage.User, refresh string, now time.Time) (*AuthResult, error) {
	tok, err := s.tokenPair(u, refresh, now)
	if err != nil {
		return nil, err
	}
	return &AuthResult{UserID: u.ID, Status: Status(u.Status), Next: s.flow.Next(u), Tokens: tok}, nil
}

func (s *Service) tokenPair(u *storage.User, refresh string, now time.Time) (*Tokens, error) {
	jti, err := s.newID()
	if err != nil {
		return nil, err
	}
	access, err := s.tokens.signAccess(u.ID, Status(u.Status), jti, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(s.tokens.cfg.AccessTTL / time.Second)}, nil
}

func (s *Service) historyKeep() int {
	if n := s.policy.HistorySize; n > 0 {
		return n
	}
	return 1
}

// userErr maps a user lookup failure.
func (s *Service) userErr(ctx context.Context, err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return onboardkit.ErrNotFound
	}
	return s.internal(ctx, "user lookup", err)
}

// lookup finds a user by username: an email when it has an "@", else a
// phone number.
func (s *Service) lookup(ctx context.Context, username string) (*storage.User, error) {
	if strings.Contains(username, "@") {
		addr, fe := normalizeEmail("username", username)
		if fe != nil {
			return nil, storage.ErrNotFound
		}
		return s.store.GetUserByEmail(ctx, addr)
	}
	phone, fe := s.parsePhone("username", username, true)
	if fe != nil {
		return nil, storage.ErrNotFound
	}
	return s.store.GetUserByPhone(ctx, phone)
}

// normalizePhone parses a sign-up phone number to E.164.
func (s *Service) normalizePhone(field, raw string) (string, *onboardkit.FieldError) {
	return s.parsePhone(field, raw, s.cfg.AllowFixedLine)
}

func (s *Service) parsePhone(field, raw string, anyType bool) (string, *onboardkit.FieldError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", &onboardkit.FieldError{Field: field, Code: "required", Message: "A phone number is required."}
	}
	if len(raw) > 32 {
		return "", &onboardkit.FieldError{Field: field, Code: "invalid_phone", Message: "The phone number is not valid."}
	}
	num, err := phonenumbers.Parse(raw, s.cfg.DefaultRegion)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", &onboardkit.FieldError{Field: field, Code: "invalid_phone", Message: "The phone number is not valid; use the international format, e.g. +33612345678."}
	}
	if !anyType {
		switch phonenumbers.GetNumberType(num) {
		case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		default:
			return "", &onboardkit.FieldError{Field: field, Code: "not_mobile", Message: "The phone number must be a mobile number that can receive SMS."}
		}
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// normalizeEmail validates an email address and returns it lower-cased.
func normalizeEmail(field, raw string) (string, *onboardkit.FieldError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", &onboardkit.FieldError{Field: field, Code: "required", Message: "An email address is required."}
	}
	a, err := mail.ParseAddress(raw)
	if err != nil || a.Name != "" || a.Address != raw || len(raw) > 254 || !strings.Contains(raw[strings.LastIndexByte(raw, '@')+1:], ".") {
		return "", &onboardkit.FieldError{Field: field, Code: "invalid_email", Message: "The email address is not valid."}
	}
	return strings.ToLower(a.Address), nil
}

// issue issues a code outside a step's transaction. Counting the send for
// the destination window and storing the challenge run in one unit of work,
// so neither is recorded without the other.
func (s *Service) issue(ctx context.Context, req otp.IssueRequest) (*otp.Pending, error) {
	var p *otp.Pending
	err := s.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		var err error
		p, err = s.codes.WithStore(tx).Issue(ctx, req)
		return err
	})
	return p, err
}

// ChangePhone starts replacing the phone number of a user whose phone is
// confirmed: it requires a recent authentication, and sends a code to the
// new number, which replaces the old one only once ConfirmPhoneChange
// accepts it. The old number is then notified.
func (s *Service) ChangePhone(ctx context.Context, userID, phone string) (*Challenge, error) {
	num, fe := s.normalizePhone("phoneNumber", phone)
	if fe != nil {
		return nil, onboardkit.ValidationError(*fe)
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, s.userErr(ctx, err)
	}
	if !u.PhoneVerified {
		return nil, s.flow.invalid(u, TriggerConfirmContact, "confirm the current phone number first")
	}
	if s.now().Sub(u.LastAuthAt) > s.cfg.RecentAuth {
		return nil, onboardkit.ErrRecentAuthRequired
	}
	if other, err := s.store.GetUserByPhone(ctx, num); err == nil && other.ID != userID {
		return nil, onboardkit.ErrIdentifierTaken
	} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, s.internal(ctx, "phone lookup", err)
	}
	p, err := s.issue(ctx, otp.IssueRequest{
		UserID: userID, Purpose: otp.PurposePhoneConfirmation, Channel: otp.ChannelSMS,
		Destination: num, Locale: u.Locale, Payload: []byte(num),
	})
	if err != nil {
		return nil, err
	}
	v, err := s.deliver(ctx, p)
	return &v, err
}

// ConfirmPhoneChange applies the phone change with the code sent to the new
// number, and notifies the old number.
func (s *Service) ConfirmPhoneChange(ctx context.Context, userID, challengeID, code string) (*AuthResult, error) {
	return s.confirmContact(ctx, userID, challengeID, code, contactChange{
		purpose: otp.PurposePhoneConfirmation, channel: otp.ChannelSMS, event: EventPhoneChanged,
		noticePurpose: "phone_changed",
		notice:        "The phone number of your account was changed. If you did not do this, contact support at once.",
		apply: func(u *storage.User, phone string) (string, error) {
			old := ""
			if u.Phone != phone {
				old = u.Phone
			}
			u.Phone, u.PhoneVerified = phone, true
			return old, nil
		},
	})
}

// deliver sends the code of p, after any transaction that stored it, and
// returns the challenge as a client sees it. When the send fails the
// challenge can be resent at once, and the error says so.
func (s *Service) deliver(ctx context.Context, p *otp.Pending) (Challenge, error) {
	v := challengeView(p.Challenge)
	if err := s.codes.Send(ctx, p); err != nil {
		v.ResendAvailableAt = s.now()
		return v, err
	}
	return v, nil
}
