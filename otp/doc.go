// Package otp issues and verifies one-time codes sent by SMS or email, and
// enrolls and verifies authenticator apps (TOTP).
//
// # One-time codes
//
// A [Manager] persists each code as a [storage.Challenge] through the
// [storage.Challenges] interface. Only HMAC-SHA256(server key, challenge id |
// purpose | code), with length-prefixed fields, is stored; the clear code
// exists only in the [Pending] value handed to [Manager.Send] and in the
// [Message] given to the sender. Codes are decimal digits drawn from the
// injected random source by rejection sampling (no modulo bias).
//
// The flow is two-phase so that a caller can store the challenge inside its
// own storage transaction and send only after the transaction committed:
//
//	p, err := m.WithStore(tx).Issue(ctx, otp.IssueRequest{...}) // inside Tx
//	...                                                          // commit
//	err = m.Send(ctx, p)                                         // after
//
// and, symmetrically, [Manager.Check] then [Manager.Consume] (or
// [Manager.Verify] for both at once).
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
//   - An unknown challenge id is reported as invalid_code, like a wrong code.
//
// Errors are *onboardkit.Error values with stable codes (invalid_code with
// AttemptsRemaining, code_expired, too_many_attempts, resend_too_soon with
// RetryAfter, send_limit, send_failed); compare them with errors.Is against
// the sentinels re-exported here ([ErrInvalidCode], ...).
//
// # Decoys
//
// [Manager.IssueDecoy] stores a challenge for a destination that belongs to
// nobody (a forgot-password request for an unknown user). It is
// indistinguishable from a real challenge to the client: it counts wrong
// attempts, expires, can be resent with the same cooldowns and limits, but no
// code ever matches it and [Manager.Send] delivers nothing for it.
//
// # Senders
//
// [SMSSender] and [EmailSender] deliver a rendered [Message]. The package
// ships a [Recorder] (tests and examples), an [Outbox] that appends JSON lines
// (development), a [Twilio] Messages API client and an [SMTP] client.
// Messages are rendered from [Templates] (text/template, per purpose and
// locale; English and French built in).
//
// # TOTP
//
// [TOTP] enrolls authenticator apps over [storage.TOTP] with
// github.com/pquerna/otp: [TOTP.Begin] stores an unconfirmed secret and returns
// the otpauth:// URL and a QR code, [TOTP.Confirm] activates it on a first
// valid code and returns ten single-use recovery codes (stored as HMACs),
// [TOTP.Verify] accepts a code within the configured skew and refuses a time
// step that was already used (replay guard).
//
// The TOTP secret is stored as storage.Sealed{KeyRef: "", Data: secret}, that
// is in clear; a storage layer that encrypts Sealed values can wrap the store
// and hand back clear values (KeyRef "") on reads. A secret read with a
// non-empty KeyRef is refused.
package otp
