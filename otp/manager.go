package otp

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

// Defaults of Config.
const (
	DefaultCodeLength        = 6
	DefaultTTL               = 10 * time.Minute
	DefaultMaxAttempts       = 5
	DefaultResendCooldown    = 30 * time.Second
	DefaultMaxSends          = 5
	DefaultDestinationLimit  = 10
	DefaultDestinationWindow = time.Hour
	// MinKeyLength is the minimum length of the server key given to
	// NewManager and NewTOTP.
	MinKeyLength = 32
)

// Config is the policy of a Manager. Zero values take the documented
// defaults. The server key, the senders and the Runtime (clock, randomness)
// are arguments of NewManager, not settings.
type Config struct {
	// CodeLength is the number of digits of a code, 4 to 10 (default 6).
	CodeLength int
	// TTL is how long a code stays valid (default 10 minutes). Each resend
	// gives the new code a fresh TTL. A ChannelTOTP challenge stays open as
	// long.
	TTL time.Duration
	// MaxAttempts is the number of wrong answers that burns a challenge
	// (default 5).
	MaxAttempts int
	// ResendCooldown is the wait after the first send before a resend is
	// allowed (default 30 s); it doubles after each send (30, 60, 120, 240 s).
	ResendCooldown time.Duration
	// MaxSends is the number of messages a challenge may send, the first one
	// included (default 5).
	MaxSends int
	// DestinationLimit is the number of messages one destination may receive
	// per DestinationWindow across all challenges (default 10). A negative
	// value disables the limit.
	DestinationLimit int
	// DestinationWindow is the fixed window of DestinationLimit (default 1 h).
	DestinationWindow time.Duration
	// Templates renders messages (default NewTemplates(), English and French).
	Templates *Templates
}

// Senders deliver the messages of a Manager, one per channel. Either may be
// nil when its channel is not used: issuing on that channel then returns
// ErrNoSender. ChannelTOTP needs none.
type Senders struct {
	// SMS delivers ChannelSMS codes.
	SMS SMSSender
	// Email delivers ChannelEmail codes.
	Email EmailSender
}

// Manager issues, sends, resends and verifies one-time codes, and holds the
// login challenges answered with an authenticator app (ChannelTOTP). It
// holds no state besides its configuration: every replica sharing the store
// sees the same challenges. A Manager is safe for concurrent use.
type Manager struct {
	store   storage.Challenges
	cfg     Config
	senders Senders
	rt      onboardkit.Runtime
	mac     *keyedMAC
}

// NewManager returns a Manager storing challenges in store. key is the HMAC
// server key, at least MinKeyLength (32) bytes of secret randomness;
// changing it invalidates every pending challenge. rt gives the clock and the
// random source of ids and codes (zero fields take the defaults of
// onboardkit.Runtime.WithDefaults). NewManager reports every invalid
// setting at once.
func NewManager(store storage.Challenges, key []byte, senders Senders, cfg Config, rt onboardkit.Runtime) (*Manager, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("otp: store is nil"))
	}
	if len(key) < MinKeyLength {
		errs = append(errs, fmt.Errorf("otp: the key must be at least %d bytes", MinKeyLength))
	}
	if cfg.CodeLength == 0 {
		cfg.CodeLength = DefaultCodeLength
	} else if cfg.CodeLength < 4 || cfg.CodeLength > 10 {
		errs = append(errs, errors.New("otp: Config.CodeLength must be between 4 and 10"))
	}
	def := func(d *time.Duration, v time.Duration, name string) {
		if *d == 0 {
			*d = v
		} else if *d < 0 {
			errs = append(errs, fmt.Errorf("otp: Config.%s must not be negative", name))
		}
	}
	def(&cfg.TTL, DefaultTTL, "TTL")
	def(&cfg.ResendCooldown, DefaultResendCooldown, "ResendCooldown")
	def(&cfg.DestinationWindow, DefaultDestinationWindow, "DestinationWindow")
	defInt := func(n *int, v int, name string) {
		if *n == 0 {
			*n = v
		} else if *n < 0 {
			errs = append(errs, fmt.Errorf("otp: Config.%s must not be negative", name))
		}
	}
	defInt(&cfg.MaxAttempts, DefaultMaxAttempts, "MaxAttempts")
	defInt(&cfg.MaxSends, DefaultMaxSends, "MaxSends")
	if cfg.DestinationLimit == 0 {
		cfg.DestinationLimit = DefaultDestinationLimit
	}
	if cfg.Templates == nil {
		cfg.Templates = NewTemplates()
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Manager{store: store, cfg: cfg, senders: senders, rt: rt.WithDefaults(), mac: newKeyedMAC(key)}, nil
}

// WithStore returns a shallow copy of m bound to another store, typically the
// one a storage transaction passes to its function.
func (m *Manager) WithStore(s storage.Challenges) *Manager {
	c := *m
	c.store = s
	return &c
}

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
}

// Pending is an issued (or resent) challenge waiting to be sent with
// Manager.Send. It holds the clear code, which it never prints.
type Pending struct {
	// Challenge is a copy of the stored challenge.
	Challenge Challenge

	code string
	// quiet: Send delivers nothing (a decoy or a ChannelTOTP challenge).
	quiet bool
}

// Format prints the challenge id and never the code.
func (p Pending) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "otp.Pending{challenge %s}", p.Challenge.ID)
}

// Verified is a challenge answered correctly (by Check or CheckFactor), not
// yet consumed.
type Verified struct {
	// Challenge is a copy of the stored challenge, with UserID and Payload;
	// ConsumedAt is set once Consume succeeded.
	Challenge Challenge

	hash []byte
}

// Format prints the challenge id only.
func (v Verified) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "otp.Verified{challenge %s}", v.Challenge.ID)
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
	factor := req.Channel == ChannelTOTP
	if !factor && m.sender(req.Channel) == nil {
		return nil, ErrNoSender
	}
	now := m.rt.Now()
	if !factor {
		if err := m.countDestination(ctx, req.Destination, now); err != nil {
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
	c := Challenge{
		ID:          id,
		UserID:      req.UserID,
		Purpose:     req.Purpose,
		Channel:     req.Channel,
		Destination: req.Destination,
		Locale:      req.Locale,
		CreatedAt:   now,
		ExpiresAt:   now.Add(m.cfg.TTL),
		MaxAttempts: m.cfg.MaxAttempts,
		Sends:       1,
		LastSentAt:  now,
		ResendAt:    now.Add(m.cooldown(1)),
		Payload:     cloneBytes(req.Payload),
		Decoy:       decoy,
	}
	if factor {
		c.ResendAt = c.ExpiresAt
	}
	if err := m.store.CreateChallenge(ctx, c.record(hash)); err != nil {
		return nil, fmt.Errorf("otp: create challenge: %w", err)
	}
	return &Pending{Challenge: c, code: code, quiet: decoy || factor}, nil
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
	case ChannelSMS, ChannelEmail, ChannelTOTP:
	default:
		add("channel", onboardkit.FieldInvalid, "The channel must be sms, email or totp.")
	}
	switch {
	case req.Destination == "" && req.Channel != ChannelTOTP:
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

// cooldown returns the wait after the n-th send (n >= 1):
// ResendCooldown × 2^(n-1).
func (m *Manager) cooldown(n int) time.Duration {
	d := m.cfg.ResendCooldown
	for i := 1; i < n && d < 24*time.Hour; i++ {
		d *= 2
	}
	return d
}

// countDestination counts one send to destination in the current window and
// refuses it when the window is full.
func (m *Manager) countDestination(ctx context.Context, destination string, now time.Time) error {
	if m.cfg.DestinationLimit < 0 {
		return nil
	}
	start := now.Truncate(m.cfg.DestinationWindow)
	n, err := m.store.CountSend(ctx, m.mac.destinationKey(destination), start)
	if err != nil {
		return fmt.Errorf("otp: count send: %w", err)
	}
	if n > m.cfg.DestinationLimit {
		return errSendLimit(start.Add(m.cfg.DestinationWindow).Sub(now))
	}
	return nil
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

// Get returns a copy of the challenge, whatever its channel and state. An
// unknown id is an invalid_code error that also wraps storage.ErrNotFound.
func (m *Manager) Get(ctx context.Context, challengeID string) (*Challenge, error) {
	c, err := m.get(ctx, challengeID)
	if err != nil {
		return nil, err
	}
	v := m.view(c)
	return &v, nil
}

func (m *Manager) get(ctx context.Context, challengeID string) (*storage.Challenge, error) {
	c, err := m.store.GetChallenge(ctx, challengeID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errUnknown(err)
	}
	if err != nil {
		return nil, fmt.Errorf("otp: get challenge: %w", err)
	}
	return c, nil
}

func errUnknown(cause error) *onboardkit.Error {
	e := errUnknownChallenge()
	e.Err = cause
	return e
}

// load reads a challenge answered with a code, for Check and Resend:
// unknown ids, purpose mismatches and ChannelTOTP (or code-less) challenges
// all read as invalid_code.
func (m *Manager) load(ctx context.Context, challengeID string, purpose Purpose) (*storage.Challenge, error) {
	c, err := m.loadAny(ctx, challengeID, purpose)
	if err != nil {
		return nil, err
	}
	if Channel(c.Channel) == ChannelTOTP || len(c.CodeHash) == 0 {
		return nil, errUnknown(storage.ErrNotFound)
	}
	return c, nil
}

// loadAny reads a challenge of any channel for purpose.
func (m *Manager) loadAny(ctx context.Context, challengeID string, purpose Purpose) (*storage.Challenge, error) {
	if challengeID == "" || len(challengeID) > 128 {
		return nil, errUnknown(storage.ErrNotFound)
	}
	c, err := m.get(ctx, challengeID)
	if err != nil {
		return nil, err
	}
	if Purpose(c.Purpose) != purpose {
		return nil, errUnknown(storage.ErrNotFound)
	}
	return c, nil
}

// stateError returns why c can no longer be answered at now, or nil.
func stateError(c *storage.Challenge, now time.Time) error {
	switch {
	case !c.ConsumedAt.IsZero():
		return errAlreadyUsed()
	case c.Attempts >= c.MaxAttempts:
		return errTooMany()
	case !now.Before(c.ExpiresAt):
		return errExpired()
	}
	return nil
}

// Check verifies code against the challenge without consuming it. A wrong
// code (whatever its length or characters) is counted atomically in the
// store and returns invalid_code with AttemptsRemaining, or
// too_many_attempts when it burned the challenge. Other errors, checked in
// this order: invalid_code for an unknown id, a purpose mismatch or a
// ChannelTOTP challenge; invalid_code for a consumed challenge;
// too_many_attempts for a burned one; code_expired. The comparison is
// constant-time.
func (m *Manager) Check(ctx context.Context, challengeID, code string, purpose Purpose) (*Verified, error) {
	c, err := m.load(ctx, challengeID, purpose)
	if err != nil {
		return nil, err
	}
	now := m.rt.Now()
	if err := stateError(c, now); err != nil {
		return nil, err
	}
	code = normalizeCode(code)
	if len(code) <= maxCodeInput {
		h := m.mac.codeHash(c.ID, purpose, code)
		if hmac.Equal(h, c.CodeHash) {
			return &Verified{Challenge: m.view(c), hash: h}, nil
		}
	}
	return nil, m.fail(ctx, c, now, msgWrongCode)
}

// CheckFactor answers a ChannelTOTP challenge with an external factor
// without consuming it: verify is called with the challenge's user id and
// returns nil when the factor (an authenticator code, a recovery code)
// checks out, for example
//
//	func(ctx context.Context, userID string) error { return t.Verify(ctx, userID, code) }
//
// The challenge answers exactly like a code challenge does to Check: an
// unknown id, a purpose mismatch or a challenge of another channel is
// invalid_code; then, in this order, a consumed challenge is invalid_code,
// a burned one too_many_attempts, an expired one code_expired (verify is
// not called). An error of verify that matches onboardkit.ErrInvalidCode
// counts a wrong attempt atomically, like a wrong code: invalid_code with
// AttemptsRemaining and a field error on "code" (with verify's message, such
// as "The code has already been used; wait for the next one."), or
// too_many_attempts when it burned the challenge. Any other error of verify
// is returned wrapped, as it is, and counts nothing. A decoy counts every
// answer as wrong without calling verify.
//
// Consume the returned Verified like the one of Check.
func (m *Manager) CheckFactor(ctx context.Context, challengeID string, purpose Purpose, verify func(ctx context.Context, userID string) error) (*Verified, error) {
	if verify == nil {
		return nil, errors.New("otp: CheckFactor: nil verify")
	}
	c, err := m.loadAny(ctx, challengeID, purpose)
	if err != nil {
		return nil, err
	}
	decoy := m.isDecoy(c)
	if Channel(c.Channel) != ChannelTOTP || !decoy && !hmac.Equal(c.CodeHash, m.mac.factorMarker(c.ID)) {
		return nil, errUnknown(storage.ErrNotFound)
	}
	now := m.rt.Now()
	if err := stateError(c, now); err != nil {
		return nil, err
	}
	if decoy {
		return nil, m.fail(ctx, c, now, msgWrongCode)
	}
	if err := verify(ctx, c.UserID); err != nil {
		if !errors.Is(err, onboardkit.ErrInvalidCode) {
			return nil, fmt.Errorf("otp: check factor: %w", err)
		}
		msg := msgWrongCode
		if e := onboardkit.AsError(err); e != nil && e.Message != "" {
			msg = e.Message
		}
		return nil, m.fail(ctx, c, now, msg)
	}
	return &Verified{Challenge: m.view(c), hash: c.CodeHash}, nil
}

// fail counts a wrong answer; msg is the message of the invalid_code error.
func (m *Manager) fail(ctx context.Context, c *storage.Challenge, now time.Time, msg string) error {
	n, err := m.store.FailChallengeAttempt(ctx, c.ID, now)
	switch {
	case err == nil:
		if rem := c.MaxAttempts - n; rem > 0 {
			return errWrongCode(msg, rem)
		}
		return errTooMany()
	case errors.Is(err, storage.ErrConflict):
		// Someone consumed, burned or the clock expired it meanwhile.
		return m.explain(ctx, c.ID, nil, now)
	case errors.Is(err, storage.ErrNotFound):
		return errUnknown(err)
	default:
		return fmt.Errorf("otp: count attempt: %w", err)
	}
}

// explain re-reads a challenge after a conditional write lost and says why.
func (m *Manager) explain(ctx context.Context, id string, hash []byte, now time.Time) error {
	c, err := m.get(ctx, id)
	if err != nil {
		return err
	}
	if err := stateError(c, now); err != nil {
		return err
	}
	if hash != nil && !hmac.Equal(hash, c.CodeHash) {
		return errReplaced()
	}
	return errAlreadyUsed()
}

// Consume marks a verified challenge used, atomically: of concurrent
// consumers of one challenge exactly one succeeds. It writes through m's
// store, so a caller can consume inside its transaction with
// m.WithStore(tx).Consume. A lost race, a resend since Check, an expiry or a
// burn in between return invalid_code, code_expired or too_many_attempts.
func (m *Manager) Consume(ctx context.Context, v *Verified) error {
	if v == nil || len(v.hash) == 0 {
		return errors.New("otp: Consume: the Verified was not returned by Check or CheckFactor")
	}
	now := m.rt.Now()
	err := m.store.ConsumeChallenge(ctx, v.Challenge.ID, v.hash, now)
	switch {
	case err == nil:
		v.Challenge.ConsumedAt = now
		return nil
	case errors.Is(err, storage.ErrConflict):
		return m.explain(ctx, v.Challenge.ID, v.hash, now)
	case errors.Is(err, storage.ErrNotFound):
		return errUnknown(err)
	default:
		return fmt.Errorf("otp: consume challenge: %w", err)
	}
}

// Verify is Check followed by Consume. It returns the consumed challenge.
func (m *Manager) Verify(ctx context.Context, challengeID, code string, purpose Purpose) (*Challenge, error) {
	v, err := m.Check(ctx, challengeID, code, purpose)
	if err != nil {
		return nil, err
	}
	if err := m.Consume(ctx, v); err != nil {
		return nil, err
	}
	return &v.Challenge, nil
}

// Resend replaces the code of a challenge with a new one (the old one stops
// working; wrong attempts carry over) with a fresh TTL, and returns it for
// Send, which renders it in the locale the challenge was issued in. Errors:
// resend_too_soon (RetryAfter set) before the cooldown ends, send_limit
// after MaxSends sends or when the destination's window is full,
// invalid_code for an unknown, mismatched, ChannelTOTP or consumed
// challenge, too_many_attempts for a burned one. An expired challenge can be
// resent. A decoy stays a decoy.
func (m *Manager) Resend(ctx context.Context, challengeID string, purpose Purpose) (*Pending, error) {
	return m.resend(ctx, challengeID, purpose, true)
}

func (m *Manager) resend(ctx context.Context, challengeID string, purpose Purpose, first bool) (*Pending, error) {
	c, err := m.load(ctx, challengeID, purpose)
	if err != nil {
		return nil, err
	}
	now := m.rt.Now()
	switch {
	case !c.ConsumedAt.IsZero():
		return nil, errAlreadyUsed()
	case c.Attempts >= c.MaxAttempts:
		return nil, errTooMany()
	case c.Sends >= m.cfg.MaxSends:
		return nil, errSendLimit(0)
	case now.Before(c.ResendAt):
		return nil, errTooSoon(c.ResendAt.Sub(now))
	}
	if m.sender(Channel(c.Channel)) == nil {
		return nil, ErrNoSender
	}
	if first {
		if err := m.countDestination(ctx, c.Destination, now); err != nil {
			return nil, err
		}
	}
	decoy := m.isDecoy(c)
	var code string
	hash := c.CodeHash
	if !decoy {
		if code, err = m.mac.newCode(m.rt.Rand, m.cfg.CodeLength); err != nil {
			return nil, fmt.Errorf("otp: random code: %w", err)
		}
		hash = m.mac.codeHash(c.ID, purpose, code)
	}
	resendAt := now.Add(m.cooldown(c.Sends + 1))
	expiresAt := now.Add(m.cfg.TTL)
	err = m.store.ResendChallenge(ctx, c.ID, c.Sends, hash, now, resendAt, expiresAt)
	switch {
	case err == nil:
	case errors.Is(err, storage.ErrConflict) && first:
		// A concurrent resend or consumption won: look again once.
		return m.resend(ctx, challengeID, purpose, false)
	case errors.Is(err, storage.ErrConflict):
		return nil, errTooSoon(m.cfg.ResendCooldown)
	case errors.Is(err, storage.ErrNotFound):
		return nil, errUnknown(err)
	default:
		return nil, fmt.Errorf("otp: resend challenge: %w", err)
	}
	c.CodeHash = hash
	c.Sends++
	c.LastSentAt = now
	c.ResendAt = resendAt
	c.ExpiresAt = expiresAt
	return &Pending{Challenge: m.view(c), code: code, quiet: decoy}, nil
}
