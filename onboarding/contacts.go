// This file owns contact verification: issuing a one-time code in a unit of
// work, delivering it after commit, resending it, notices that carry no
// code, and the changes of a contact detail (adding or changing the email,
// changing the phone) that a code confirms. The rules of codes themselves
// (length, expiry, attempts, the resend cooldown, send limits) are package
// otp's.

package onboarding

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/storage"
)

// Challenge is a one-time-code challenge as shown to a client: the
// destination is masked.
type Challenge struct {
	ChallengeID       string    `json:"challengeId"`
	ChallengeType     string    `json:"challengeType"` // SMS_OTP, EMAIL_OTP, TOTP or PASSKEY
	Destination       string    `json:"destination,omitempty"`
	ExpiresAt         time.Time `json:"expiresAt"`
	ResendAvailableAt time.Time `json:"resendAvailableAt"`
	// PublicKey is, for a PASSKEY challenge, the assertion options to hand
	// to navigator.credentials.get() (PublicKeyCredentialRequestOptions as
	// go-webauthn marshals them).
	PublicKey json.RawMessage `json:"publicKey,omitempty"`
}

// Challenge types.
const (
	ChallengeSMS   = "SMS_OTP"
	ChallengeEmail = "EMAIL_OTP"
	ChallengeTOTP  = "TOTP"
)

func challengeView(c otp.Challenge) Challenge {
	v := Challenge{ChallengeID: c.ID, ExpiresAt: c.ExpiresAt.UTC(), ResendAvailableAt: c.ResendAt.UTC()}
	switch c.Channel {
	case otp.ChannelSMS:
		v.ChallengeType = ChallengeSMS
	case otp.ChannelEmail:
		v.ChallengeType = ChallengeEmail
	case otp.ChannelPasskey:
		v.ChallengeType = ChallengePasskey
	default:
		v.ChallengeType = ChallengeTOTP
	}
	if c.Destination != "" {
		v.Destination = otp.Mask(c.Destination)
	}
	return v
}

type contacts struct {
	*core
	codes      *otp.Manager
	senders    otp.Senders
	ids        identifiers
	recentAuth time.Duration
}

// issue issues a code in a unit of work of its own: counting the send for
// the destination's window and storing the challenge commit together. A
// request without a user id issues a decoy (see otp.Manager.IssueDecoy).
// The functions first run in the unit before the code is issued.
func (c *contacts) issue(ctx context.Context, req otp.IssueRequest, first ...func(context.Context, *unit) error) (*otp.Pending, error) {
	var p *otp.Pending
	err := c.step(ctx, "issue code", func(ctx context.Context, u *unit) error {
		for _, f := range first {
			if err := f(ctx, u); err != nil {
				return err
			}
		}
		var err error
		p, err = c.issueIn(ctx, u.later, req)
		return err
	})
	// A proven send's count may run only with the commit (CapSend on the
	// write-behind view): its refusal comes back from the unit.
	return p, c.codes.Limited(err)
}

// issueIn issues a code through the store of a unit of work.
func (c *contacts) issueIn(ctx context.Context, st storage.Challenges, req otp.IssueRequest) (*otp.Pending, error) {
	m := c.codes.WithStore(st)
	if req.UserID == "" {
		return m.IssueDecoy(ctx, req)
	}
	return m.Issue(ctx, req)
}

// deliver sends the code of p, after any unit of work that stored it, and
// returns the challenge as a client sees it. When the send fails the
// challenge can be resent at once, and the error says so. Decoys send
// nothing; an anonymous request dropped over its destination's budget is
// recorded (code.dropped) and answered as usual.
func (c *contacts) deliver(ctx context.Context, p *otp.Pending) (Challenge, error) {
	v := challengeView(p.Challenge)
	if p.Dropped && p.Challenge.UserID != "" {
		c.audit(ctx, c.event(EventCodeDropped, p.Challenge.UserID, "purpose", string(p.Challenge.Purpose), "reason", "destination_budget"))
	}
	if err := c.codes.Send(ctx, p); err != nil {
		v.ResendAvailableAt = c.now()
		return v, err
	}
	if !p.Silent() {
		c.countCode(ctx, "sent", p.Challenge, "")
	}
	return v, nil
}

// check checks a code with otp and counts the outcome.
func (c *contacts) check(ctx context.Context, challengeID, code string, purpose otp.Purpose) (*otp.Verified, error) {
	v, err := c.codes.Check(ctx, challengeID, code, purpose)
	return v, c.counted(ctx, v, err, purpose)
}

// consumeLater consumes v through the unit's write-behind view: on
// PostgreSQL the consumption goes with the unit's next statement and a
// lost race fails the unit with storage.ErrConflict, which explain then
// turns into the answer the client gets (a store that writes at once
// answers it here, as Consume does).
func (c *contacts) consumeLater(ctx context.Context, tx *unit, v *otp.Verified) error {
	return c.codes.WithStore(tx.later).Consume(ctx, v)
}

// explain returns the error of a unit that consumed v with consumeLater:
// when it failed with a conflict and the challenge can no longer be
// consumed, why (invalid_code, too_many_attempts, code_expired, from a
// fresh read); otherwise err.
func (c *contacts) explain(ctx context.Context, v *otp.Verified, err error) error {
	if !errors.Is(err, storage.ErrConflict) {
		return err
	}
	if why := c.codes.Explain(ctx, v); why != nil {
		return c.storeErr(ctx, "check code", why)
	}
	return err
}

// answer checks the answer to a code or factor challenge in one read
// (otp.Manager.Answer) and counts the outcome.
func (c *contacts) answer(ctx context.Context, challengeID, code string, purpose otp.Purpose, factors map[otp.Channel]func(ctx context.Context, userID string) error) (*otp.Verified, error) {
	v, err := c.codes.Answer(ctx, challengeID, code, purpose, factors)
	return v, c.counted(ctx, v, err, purpose)
}

// counted counts the outcome of a check and returns its error.
func (c *contacts) counted(ctx context.Context, v *otp.Verified, err error, purpose otp.Purpose) error {
	ch := otp.Challenge{Purpose: purpose}
	if v != nil {
		ch = v.Challenge
	}
	if err != nil {
		c.countCode(ctx, "failed", ch, errorCode(err))
	} else {
		c.countCode(ctx, "verified", ch, "")
	}
	return err
}

// send issues a code and delivers it. p is nil when nothing was issued; when
// only the delivery failed, p and the challenge are returned with the
// send_failed error.
func (c *contacts) send(ctx context.Context, req otp.IssueRequest, first ...func(context.Context, *unit) error) (p *otp.Pending, v Challenge, err error) {
	if p, err = c.issue(ctx, req, first...); err != nil {
		return nil, Challenge{}, err
	}
	v, err = c.deliver(ctx, p)
	return p, v, err
}

// resend sends a new code for a challenge of the purpose, in the language
// the challenge was issued in; when userID is not empty the challenge must
// be that user's.
func (c *contacts) resend(ctx context.Context, challengeID string, purpose otp.Purpose, userID string) (*Challenge, error) {
	if userID != "" {
		ch, err := c.codes.Get(ctx, challengeID)
		if err != nil || ch.UserID != userID {
			return nil, onboardkit.CodeInvalidCode.Err()
		}
	}
	p, err := c.codes.Resend(ctx, challengeID, purpose)
	if err != nil {
		return nil, c.storeErr(ctx, "resend code", err)
	}
	v, err := c.deliver(ctx, p)
	return &v, err
}

// notice is a message that carries no code: a security notice.
type notice struct {
	purpose otp.Purpose
	body    string
}

// notify sends a notice to a destination on a channel. Failures are logged,
// not returned.
func (c *contacts) notify(ctx context.Context, channel otp.Channel, to, locale string, n notice) {
	msg := otp.Message{Purpose: n.purpose, Channel: channel, Locale: locale, To: to, Subject: "Security notice", Body: n.body}
	var err error
	switch {
	case channel == otp.ChannelSMS && c.senders.SMS != nil:
		err = c.senders.SMS.Send(ctx, msg)
	case channel == otp.ChannelEmail && c.senders.Email != nil:
		err = c.senders.Email.Send(ctx, msg)
	default:
		return
	}
	if err != nil {
		c.log.WarnContext(ctx, "onboarding: notice not sent", slog.String("purpose", string(n.purpose)),
			slog.String("channel", string(channel)), slog.String("error", err.Error()))
	}
}

// notifyUser sends a notice to the user's verified email, else their
// verified phone.
func (c *contacts) notifyUser(ctx context.Context, u *storage.User, n notice) {
	switch {
	case u.EmailVerified:
		c.notify(ctx, otp.ChannelEmail, u.Email, u.Locale, n)
	case u.PhoneVerified:
		c.notify(ctx, otp.ChannelSMS, u.Phone, u.Locale, n)
	}
}

// requireRecentAuth refuses a sensitive change when the user's last login
// is older than Config.RecentAuth.
func (c *contacts) requireRecentAuth(u *storage.User) error {
	if c.now().Sub(u.LastAuthAt) > c.recentAuth {
		return onboardkit.CodeRecentAuthRequired.Err()
	}
	return nil
}

// ownedElsewhere reports whether the identifier found by get is verified by
// a user other than userID (an unverified holder never blocks: the first to
// confirm wins, the other gets identifier_taken at confirmation).
func (c *contacts) ownedElsewhere(ctx context.Context, userID string, get func() (*storage.User, error), verified func(*storage.User) bool) error {
	other, err := get()
	switch {
	case err == nil && other.ID != userID && verified(other):
		return onboardkit.CodeIdentifierTaken.Err()
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return c.storeErr(ctx, "identifier lookup", err)
	}
	return nil
}

// addEmail is Service.AddEmail.
func (c *contacts) addEmail(ctx context.Context, userID, email string) (*Challenge, error) {
	addr, fe := normalizeEmail("email", email)
	if fe != nil {
		return nil, onboardkit.ValidationError(*fe)
	}
	u, err := c.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if _, err := c.flow.Fire(ProgressOf(u), TriggerAddEmail); err != nil {
		return nil, err
	}
	changing := u.EmailVerified && u.Email != ""
	if changing {
		if err := c.requireRecentAuth(u); err != nil {
			return nil, err
		}
	}
	if err := c.ownedElsewhere(ctx, userID, func() (*storage.User, error) { return c.store.GetUserByEmail(ctx, addr) },
		func(u *storage.User) bool { return u.EmailVerified }); err != nil {
		return nil, err
	}
	p, err := c.issue(ctx, otp.IssueRequest{
		UserID: userID, Purpose: otp.PurposeEmailConfirmation, Channel: otp.ChannelEmail,
		Destination: addr, Locale: u.Locale, Payload: []byte(addr), Proven: true,
	})
	if err != nil {
		return nil, err
	}
	if changing {
		c.audit(ctx, c.event(EventEmailChangeRequested, userID))
	}
	v, err := c.deliver(ctx, p)
	return &v, err
}

// changePhone is Service.ChangePhone.
func (c *contacts) changePhone(ctx context.Context, userID, phone string) (*Challenge, error) {
	num, fe := c.ids.signUpPhone("phoneNumber", phone)
	if fe != nil {
		return nil, onboardkit.ValidationError(*fe)
	}
	u, err := c.getUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if _, err := c.flow.Fire(ProgressOf(u), TriggerAddPhone); err != nil {
		return nil, err
	}
	if u.PhoneVerified { // a change, not a first phone
		if err := c.requireRecentAuth(u); err != nil {
			return nil, err
		}
	}
	if err := c.ownedElsewhere(ctx, userID, func() (*storage.User, error) { return c.store.GetUserByPhone(ctx, num) },
		func(u *storage.User) bool { return u.PhoneVerified }); err != nil {
		return nil, err
	}
	p, v, err := c.send(ctx, otp.IssueRequest{
		UserID: userID, Purpose: otp.PurposePhoneConfirmation, Channel: otp.ChannelSMS,
		Destination: num, Locale: u.Locale, Payload: []byte(num), Proven: true,
	})
	if p == nil {
		return nil, err
	}
	return &v, err
}

// contactChange describes a confirmed change of a contact detail.
type contactChange struct {
	purpose otp.Purpose
	channel otp.Channel // of the notice to the old value
	event   string
	// added is the event of a first value (no old one), when it differs.
	added  string
	notice notice // to the old value
	// apply sets the new value on the user and returns the old value to
	// notify ("" for none).
	apply func(u *storage.User, value string) (old string, err error)
}

// emailChange confirms a new email address.
func (c *contacts) emailChange() contactChange {
	return contactChange{
		purpose: otp.PurposeEmailConfirmation, channel: otp.ChannelEmail, event: EventEmailConfirmed,
		notice: notice{"email_changed", "The email address of your account was changed. If you did not do this, contact support at once."},
		apply: func(u *storage.User, addr string) (string, error) {
			if err := c.fire(u, TriggerConfirmEmail); err != nil {
				return "", err
			}
			old := ""
			if u.EmailVerified && !strings.EqualFold(u.Email, addr) {
				old = u.Email
			}
			u.Email, u.EmailVerified = addr, true
			return old, nil
		},
	}
}

// phoneChange confirms a new phone number.
func (c *contacts) phoneChange() contactChange {
	return contactChange{
		purpose: otp.PurposePhoneConfirmation, channel: otp.ChannelSMS, event: EventPhoneChanged, added: EventPhoneConfirmed,
		notice: notice{"phone_changed", "The phone number of your account was changed. If you did not do this, contact support at once."},
		apply: func(u *storage.User, phone string) (string, error) {
			if err := c.fire(u, TriggerConfirmPhone); err != nil {
				return "", err
			}
			old := ""
			if u.PhoneVerified && u.Phone != phone {
				old = u.Phone
			}
			u.Phone, u.PhoneVerified = phone, true
			return old, nil
		},
	}
}

// confirm checks the code of a contact change (the new value is the
// challenge's payload), then in one unit of work consumes it and applies the
// change; after commit the old value is notified.
func (c *contacts) confirm(ctx context.Context, userID, challengeID, code string, ch contactChange) (*AuthResult, error) {
	v, err := c.check(ctx, challengeID, code, ch.purpose)
	if err != nil {
		return nil, c.storeErr(ctx, "check code", err)
	}
	if v.Challenge.UserID != userID || len(v.Challenge.Payload) == 0 {
		return nil, onboardkit.CodeInvalidCode.Err()
	}
	var usr *storage.User
	var old string
	err = c.step(ctx, "confirm "+string(ch.purpose), func(ctx context.Context, u *unit) error {
		// The consumption and the user's update are checked when they run,
		// with the user's read and with the commit (see consumeLater); a
		// taken address fails the unit with the commit.
		if err := c.consumeLater(ctx, u, v); err != nil {
			return err
		}
		var err error
		usr, err = c.updateUser(ctx, u.later, userID, func(usr *storage.User) error {
			lastAuth := usr.LastAuthAt
			if old, err = ch.apply(usr, string(v.Challenge.Payload)); err != nil {
				return err
			}
			// Replacing a verified value needs a login recent when the
			// code was issued. Issuing checked that only if the value was
			// verified then: one verified since (the owner confirming
			// their own) must not be replaced by a code issued as a first
			// value without the check (a stolen, old access token).
			if old != "" && v.Challenge.CreatedAt.Sub(lastAuth) > c.recentAuth {
				return onboardkit.CodeRecentAuthRequired.Err()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if old == "" && ch.added != "" {
			u.raise(ch.added, userID)
		} else {
			u.raise(ch.event, userID)
		}
		return nil
	})
	if err != nil {
		return nil, c.explain(ctx, v, err)
	}
	if old != "" {
		c.notify(ctx, ch.channel, old, usr.Locale, ch.notice)
	}
	return &AuthResult{UserID: usr.ID, Status: Status(usr.Status), Next: c.next(usr)}, nil
}
