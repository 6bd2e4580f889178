// Package otp owns the whole life of a challenge: one-time codes sent by SMS
// or email, login challenges answered with an authenticator app (TOTP),
// decoys, and the choice of channel. It also enrolls and verifies
// authenticator apps and their recovery codes.
//
// # Configuration
//
// As everywhere in the module, a component takes a Config whose zero values
// are the documented defaults, adapters take functional options, and time
// and randomness come from an [onboardkit.Runtime] (zero fields take the
// defaults of [onboardkit.Runtime.WithDefaults]: the system clock and
// crypto/rand, an injected reader being serialised):
//
//	m, err := otp.NewManager(store, key, otp.Senders{SMS: twilio, Email: smtp}, otp.Config{}, rt)
//	t, err := otp.NewTOTP(store, key, otp.TOTPConfig{Issuer: "Example Bank"}, rt)
//	twilio, err := otp.NewTwilio(sid, token, "+15005550006", otp.WithTwilioTimeout(5*time.Second))
//
// [Config] and [TOTPConfig] hold policy only. The server key (at least
// [MinKeyLength] bytes) and the [Senders] are arguments.
//
// # Challenges
//
// A [Manager] stores each challenge through the [storage.Challenges]
// interface and hands out copies as [Challenge] values. Only
// HMAC-SHA256(server key, challenge id | purpose | code), with
// length-prefixed fields, is stored; the clear code exists only in the
// [Pending] value handed to [Manager.Send] and in the [Message] given to the
// sender. Codes are decimal digits drawn from the Runtime's random source by
// rejection sampling (no modulo bias).
//
// The flow is two-phase so that a caller can store the challenge inside its
// own storage transaction and send only after the transaction committed:
//
//	p, err := m.WithStore(tx).Issue(ctx, otp.IssueRequest{...}) // inside Tx
//	...                                                          // commit
//	err = m.Send(ctx, p)                                         // after
//
// and, symmetrically, [Manager.Check] then [Manager.Consume] (or
// [Manager.Verify] for both at once): Check answers without consuming, and
// Consume, through the store of a transaction if needed, succeeds for
// exactly one of many concurrent callers.
//
// Rules (all configurable in [Config]):
//
//   - A code expires after TTL (10 minutes). A resend issues a new code with a
//     fresh TTL; the previous code stops working at once. A challenge can be
//     resent after it expired (it is then revived with the new code), but
//     never after it was consumed or burned.
//   - Every wrong code counts, including codes of the wrong length or with
//     non-digits (an attacker gains nothing from the distinction). The
//     MaxAttempts-th (5th) wrong code burns the challenge: too_many_attempts
//     from then on. A resend never resets the count (NIST SP 800-63B
//     §3.1.3.2).
//   - Resends wait a cooldown that doubles after each send (30, 60, 120, 240
//     s) and a challenge is sent at most MaxSends (5) times.
//   - Each destination receives at most DestinationLimit (10) messages per
//     DestinationWindow (1 hour) across all challenges, which limits SMS
//     pumping. The counter key is an HMAC of the destination, never the
//     destination itself.
//   - An unknown challenge id, a purpose mismatch and a challenge of the
//     wrong kind are reported as invalid_code, like a wrong code.
//
// Errors are *onboardkit.Error values with stable codes (invalid_code with
// AttemptsRemaining, code_expired, too_many_attempts, resend_too_soon with
// RetryAfter, send_limit, send_failed, validation); compare them with
// errors.Is against the root sentinels (onboardkit.ErrInvalidCode, ...). A
// challenge that can no longer be answered reports, in this order: consumed
// (invalid_code), burned (too_many_attempts), expired (code_expired).
//
// # Locale
//
// [IssueRequest].Locale is stored with the challenge ([Challenge].Locale):
// the first message and every resend are rendered in it, from [Templates]
// (text/template, per purpose and locale, falling back to the language and
// then to English; English and French built in).
//
// # Login with an authenticator app
//
// Issue with [ChannelTOTP] stores a login challenge that needs no sender and
// no destination and sends nothing; its stored hash is a fixed
// per-challenge marker that no code matches, so [Manager.Check] and
// [Manager.Resend] answer invalid_code for it. [Manager.CheckFactor] answers
// it with an external factor (typically [TOTP.Verify] or
// [TOTP.UseRecoveryCode]) under the same state model: the same state errors
// in the same order, a wrong answer counted atomically like a wrong code
// (the fifth burns the challenge), and a [Verified] that [Manager.Consume]
// consumes once.
//
// # Decoys
//
// [Manager.IssueDecoy] stores a challenge for a destination that belongs to
// nobody (a forgot-password request for an unknown user). To the client it
// is indistinguishable from a real one: it counts the destination's window
// and wrong attempts, expires, and can be resent with the same cooldowns and
// limits; but no code opens it (CheckFactor counts every answer to a
// ChannelTOTP decoy as wrong), and [Manager.Send] delivers nothing for it
// nor for its resends. [Challenge].Decoy reports it to the host, derived
// from the stored hash (an HMAC label of the id, which no code hashes to).
//
// # Channel choice
//
// [Contact.Route] picks the channel and destination of a code: the verified
// phone (SMS), else the verified email, else the preferred channel's value,
// else the phone, else the email.
//
// # Senders
//
// [SMSSender] and [EmailSender] deliver a rendered [Message]. The package
// ships an [Outbox] that appends JSON lines (development), a [Twilio]
// Messages API client and an [SMTP] client. Tests use the Recorder of
// package otp/otptest, which records messages and fails on demand.
//
// # TOTP
//
// [TOTP] enrolls authenticator apps over [storage.TOTP] with
// github.com/pquerna/otp: [TOTP.Begin] stores an unconfirmed secret and returns
// the otpauth:// URL and a QR code, [TOTP.Confirm] activates it on a first
// valid code and returns ten single-use recovery codes (stored as HMACs),
// [TOTP.Verify] accepts a code within the configured skew and refuses a time
// step that was already used (replay guard). TOTP itself counts no attempts:
// answer logins through a ChannelTOTP challenge and CheckFactor.
//
// The TOTP secret is stored as storage.Sealed{KeyRef: "", Data: secret}, that
// is in clear; a storage layer that encrypts Sealed values can wrap the store
// and hand back clear values (KeyRef "") on reads. A secret read with a
// non-empty KeyRef is refused.
package otp
