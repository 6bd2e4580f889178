// This file owns issuing a challenge and delivering its messages:
// IssueRequest and its validation, Issue and IssueDecoy, the destination's
// send window (DestinationLimit per DestinationWindow), and Send, which
// renders a message in the challenge's locale and hands it to the sender of
// its channel. A destination has two send budgets: one for challenges
// issued after the user proved a factor (IssueRequest.Proven) and one for
// anonymous requests, so strangers cannot spend the owner's.

package otp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

// IssueRequest describes a challenge to issue.
type IssueRequest struct {
	// UserID is stored with the challenge and returned on verification.
	UserID string
	// Purpose is required; a challenge only verifies for its purpose.
	Purpose Purpose
	// Channel is ChannelSMS or ChannelEmail for a code sent to Destination,
	// or ChannelTOTP for a login challenge answered with an authenticator
	// app through CheckFactor (nothing is sent).
	Channel Channel
	// Destination is the E.164 phone number or the email address (Contact.
	// Route chooses one). It is required except for ChannelTOTP.
	Destination string
	// Locale selects the message template (fallback English); it is stored
	// with the challenge, so that its resends are in the same language. At
	// most 35 characters (a BCP 47 tag).
	Locale string
	// Payload is opaque data stored with the challenge and returned on
	// verification (for example a pending password hash).
	Payload []byte
	// Proven marks a challenge issued after the user proved a factor (a
	// login code after the right password, an authenticated change). Its
	// sends, and its resends', count against the destination's proven
	// budget; every other request is anonymous and counts against the
	// anonymous budget. Each budget is DestinationLimit per
	// DestinationWindow. An anonymous request over its budget is not
	// refused: the challenge is stored as a decoy, nothing is sent, and
	// Pending.Dropped reports it, so the answer does not change.
	Proven bool
}

// Pending is an issued (or resent) challenge waiting to be sent with
// Manager.Send. It holds the clear code, which it never prints.
type Pending struct {
	// Challenge is a copy of the stored challenge.
	Challenge Challenge

	// Dropped reports an anonymous request over its destination's budget:
	// the challenge is a decoy and nothing will be sent (record it).
	Dropped bool

	code string
	// quiet: Send delivers nothing (a decoy or a ChannelTOTP challenge).
	quiet bool
}

// Silent reports whether Send delivers nothing for p: a decoy, a
// challenge answered by an authenticator app, or one over its budget.
func (p *Pending) Silent() bool { return p.quiet || p.Dropped }

// Format prints the challenge id and never the code.
func (p Pending) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "otp.Pending{challenge %s}", p.Challenge.ID)
}

// Issue checks the destination's send window, generates a code and stores a
// new challenge (Sends 1, LastSentAt now, ResendAt now+ResendCooldown,
// ExpiresAt now+TTL, Locale from the request). It sends nothing: call Send
// with the result once the surrounding transaction, if any, committed.
//
// With ChannelTOTP it stores a login challenge answered with an
// authenticator app through CheckFactor: no sender, destination window or
// code is involved, its stored hash is a fixed per-challenge marker that no
// code matches, it cannot be resent (ResendAt is ExpiresAt) and Send does
// nothing for it.
//
// Errors: validation (missing purpose, channel or destination, over-long
// values), send_limit (the destination's window is full, RetryAfter until
// it ends), ErrNoSender.
func (m *Manager) Issue(ctx context.Context, req IssueRequest) (*Pending, error) {
	return m.issue(ctx, req, false)
}

// IssueDecoy behaves like Issue, stores a challenge and counts the
// destination's window, but the challenge can never be verified (no code
// matches it, and CheckFactor counts every answer as wrong without asking
// the factor) and Send delivers nothing for it or its resends;
// Challenge.Decoy reports it. Use it where the answer must not reveal
// whether the destination belongs to a user, as in a forgot-password request
// for an unknown username. Callers must also make the timing of their Send
// path uniform (for example by sending asynchronously).
func (m *Manager) IssueDecoy(ctx context.Context, req IssueRequest) (*Pending, error) {
	return m.issue(ctx, req, true)
}

func (m *Manager) issue(ctx context.Context, req IssueRequest, decoy bool) (*Pending, error) {
	if err := validateIssue(req); err != nil {
		return nil, err
	}
	factor := req.Channel.IsFactor()
	if !factor && m.sender(req.Channel) == nil {
		return nil, ErrNoSender
	}
	now := m.rt.Now()
	dropped := false
	if !factor {
		err := m.countDestination(ctx, req.Destination, req.Proven, now)
		switch {
		case errors.Is(err, onboardkit.ErrSendLimit) && !req.Proven:
			dropped, decoy = !decoy, true
		case err != nil:
			return nil, err
		}
	}
	id, err := m.mac.newID(m.rt.Rand)
	if err != nil {
		return nil, fmt.Errorf("otp: random id: %w", err)
	}
	var code string
	var hash []byte
	switch {
	case decoy:
		hash = m.mac.decoyHash(id)
	case factor:
		hash = m.mac.factorMarker(id)
	default:
		if code, err = m.mac.newCode(m.rt.Rand, m.cfg.CodeLength); err != nil {
			return nil, fmt.Errorf("otp: random code: %w", err)
		}
		hash = m.mac.codeHash(id, req.Purpose, code)
	}
	c := &storage.Challenge{
		ID:          id,
		UserID:      req.UserID,
		Purpose:     string(req.Purpose),
		Channel:     string(req.Channel),
		Destination: req.Destination,
		Locale:      req.Locale,
		CodeHash:    hash,
		CreatedAt:   now,
		ExpiresAt:   now.Add(m.cfg.TTL),
		MaxAttempts: m.cfg.MaxAttempts,
		Sends:       1,
		LastSentAt:  now,
		ResendAt:    now.Add(m.cooldown(1)),
		Payload:     cloneBytes(req.Payload),
		Proven:      req.Proven,
	}
	if factor {
		c.ResendAt = c.ExpiresAt
	}
	if err := m.store.CreateChallenge(ctx, c); err != nil {
		return nil, fmt.Errorf("otp: create challenge: %w", err)
	}
	return &Pending{Challenge: m.view(c), Dropped: dropped, code: code, quiet: decoy || factor}, nil
}

func validateIssue(req IssueRequest) error {
	var fields []onboardkit.FieldError
	add := func(field string, code onboardkit.FieldCode, msg string) {
		fields = append(fields, onboardkit.FieldError{Field: field, Code: code, Message: msg})
	}
	switch {
	case req.Purpose == "":
		add("purpose", onboardkit.FieldRequired, "The purpose is required.")
	case len(req.Purpose) > 64:
		add("purpose", onboardkit.FieldTooLong, "The purpose is too long.")
	}
	switch req.Channel {
	case ChannelSMS, ChannelEmail, ChannelTOTP, ChannelPasskey:
	default:
		add("channel", onboardkit.FieldInvalid, "The channel must be sms, email, totp or passkey.")
	}
	switch {
	case req.Destination == "" && !req.Channel.IsFactor():
		add("destination", onboardkit.FieldRequired, "The destination is required.")
	case len(req.Destination) > 320:
		add("destination", onboardkit.FieldTooLong, "The destination is too long.")
	}
	if len(req.Locale) > 35 {
		add("locale", onboardkit.FieldTooLong, "The locale is too long.")
	}
	if len(fields) > 0 {
		return onboardkit.ValidationError(fields...)
	}
	return nil
}

// countDestination counts one send to destination in the current window of
// its budget (proven or anonymous) and refuses it when the window is full.
//
// A proven send on a store that checks the limit itself
// (storage.SendCapper) is counted with CapSend: its refusal is the answer,
// so nothing waits for the count, which the write-behind view of a unit of
// work may then defer to its commit (see Limited). An anonymous send must
// know at once whether it is dropped, so it is counted with CountSend.
func (m *Manager) countDestination(ctx context.Context, destination string, proven bool, now time.Time) error {
	if m.cfg.DestinationLimit < 0 {
		return nil
	}
	start := now.Truncate(m.cfg.DestinationWindow)
	key := m.mac.destinationKey(destination, proven)
	if capper, ok := m.store.(storage.SendCapper); ok && proven {
		if err := capper.CapSend(ctx, key, start, m.cfg.DestinationLimit); err != nil {
			if errors.Is(err, storage.ErrSendLimit) {
				return m.windowFull(now)
			}
			return fmt.Errorf("otp: count send: %w", err)
		}
		return nil
	}
	n, err := m.store.CountSend(ctx, key, start)
	if err != nil {
		return fmt.Errorf("otp: count send: %w", err)
	}
	if n > m.cfg.DestinationLimit {
		return m.windowFull(now)
	}
	return nil
}

// Limited returns the send_limit error, with its RetryAfter (until the
// current window ends), that err stands for when it wraps
// storage.ErrSendLimit: the refusal of a proven send that a unit of work
// deferred to its commit, so that Issue returned before the count ran.
// Any other error is returned as it is. Call it on the error of the unit
// of work an Issue ran in.
func (m *Manager) Limited(err error) error {
	if err == nil || !errors.Is(err, storage.ErrSendLimit) {
		return err
	}
	return m.windowFull(m.rt.Now())
}

// windowFull is the send_limit error of a destination window that is full
// at now: RetryAfter until the window ends.
func (m *Manager) windowFull(now time.Time) error {
	return errSendLimit(now.Truncate(m.cfg.DestinationWindow).Add(m.cfg.DestinationWindow).Sub(now))
}

func (m *Manager) sender(ch Channel) interface {
	Send(context.Context, Message) error
} {
	switch ch {
	case ChannelSMS:
		if m.senders.SMS != nil {
			return m.senders.SMS
		}
	case ChannelEmail:
		if m.senders.Email != nil {
			return m.senders.Email
		}
	}
	return nil
}

// Send renders the message of p in the challenge's locale and delivers it
// with the sender of its channel. It is called after the challenge was
// stored (after the caller's transaction committed). When delivery fails the
// challenge is made resendable at once (ResendAt = now) and a send_failed
// error wrapping the cause is returned; nothing else is recorded. Send does
// nothing for a decoy or a ChannelTOTP challenge.
func (m *Manager) Send(ctx context.Context, p *Pending) error {
	switch {
	case p == nil:
		return errors.New("otp: Send: nil Pending")
	case p.quiet:
		return nil
	case p.code == "":
		return errors.New("otp: Send: the Pending was not returned by Issue or Resend")
	}
	err := m.deliver(ctx, p)
	if err == nil {
		return nil
	}
	now := m.rt.Now()
	if serr := m.store.SetChallengeResendAt(context.WithoutCancel(ctx), p.Challenge.ID, now); serr != nil {
		err = errors.Join(err, fmt.Errorf("otp: set resend time: %w", serr))
	} else {
		p.Challenge.ResendAt = now
	}
	return errSendFailed(err)
}

func (m *Manager) deliver(ctx context.Context, p *Pending) error {
	c := &p.Challenge
	s := m.sender(c.Channel)
	if s == nil {
		return ErrNoSender
	}
	minutes := int((m.cfg.TTL + time.Minute - 1) / time.Minute)
	subject, body, err := m.cfg.Templates.Render(c.Purpose, c.Locale, TemplateData{
		Code: p.code, Purpose: c.Purpose, Minutes: minutes, Locale: c.Locale,
	})
	if err != nil {
		return err
	}
	msg := Message{
		Purpose: c.Purpose,
		Channel: c.Channel,
		Locale:  c.Locale,
		To:      c.Destination,
		Code:    p.code,
		Body:    body,
	}
	if msg.Channel == ChannelEmail {
		msg.Subject = subject
	}
	return s.Send(ctx, msg)
}
