// This file owns answering a challenge: Check (a code), CheckFactor (an
// external factor such as an authenticator app), Consume and Verify, the
// state errors every answer is checked against (consumed, burned, expired,
// in this order), counting a wrong answer (fail), and explaining a lost
// conditional write (explain).

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
	return m.checkCode(ctx, c, code, purpose)
}

// Answer checks the answer to a challenge of purpose, read once: a code
// challenge as Check does with code, a factor challenge (ChannelTOTP, …)
// as CheckFactor does with the verify function factors holds for its
// channel. A factor challenge whose channel factors lacks is invalid_code,
// as for an unknown id. Consume the returned Verified like the one of
// Check; its Challenge says which channel answered.
func (m *Manager) Answer(ctx context.Context, challengeID, code string, purpose Purpose, factors map[Channel]func(ctx context.Context, userID string) error) (*Verified, error) {
	c, err := m.loadAny(ctx, challengeID, purpose)
	if err != nil {
		return nil, err
	}
	if !Channel(c.Channel).IsFactor() {
		if len(c.CodeHash) == 0 {
			return nil, errUnknown(storage.ErrNotFound)
		}
		return m.checkCode(ctx, c, code, purpose)
	}
	verify := factors[Channel(c.Channel)]
	if verify == nil {
		return nil, errUnknown(storage.ErrNotFound)
	}
	return m.checkFactor(ctx, c, verify)
}

// checkCode is Check of a loaded code challenge.
func (m *Manager) checkCode(ctx context.Context, c *storage.Challenge, code string, purpose Purpose) (*Verified, error) {
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
	return m.checkFactor(ctx, c, verify)
}

// checkFactor is CheckFactor of a loaded challenge.
func (m *Manager) checkFactor(ctx context.Context, c *storage.Challenge, verify func(ctx context.Context, userID string) error) (*Verified, error) {
	decoy := m.isDecoy(c)
	if !Channel(c.Channel).IsFactor() || !decoy && !hmac.Equal(c.CodeHash, m.mac.factorMarker(c.ID)) {
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
		var counted *countedError
		if errors.As(err, &counted) {
			// A refusal of the factor's own kind: it counts like a wrong
			// code, and is returned as it is while the challenge lives.
			if ferr := m.fail(ctx, c, now, msgWrongCode); !errors.Is(ferr, onboardkit.ErrInvalidCode) {
				return nil, ferr
			}
			return nil, counted.err
		}
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

// CountAttempt wraps an error a CheckFactor verify function returns for a
// wrong answer that is not a wrong code (a passkey assertion that does not
// verify, with its own error code): CheckFactor counts a wrong attempt, as
// for invalid_code, and returns err itself, or too_many_attempts when the
// attempt burned the challenge.
func CountAttempt(err error) error { return &countedError{err: err} }

type countedError struct{ err error }

func (e *countedError) Error() string { return e.err.Error() }
func (e *countedError) Unwrap() error { return e.err }

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

// Explain tells, from a fresh read, why the challenge of v cannot be
// consumed any more: invalid_code when it was consumed or its code
// replaced, too_many_attempts, code_expired; nil when it still can be.
// A caller whose Consume went through a write-behind view
// (storage.WriteBehind), which reports a lost consumption only as the
// unit's storage.ErrConflict, calls it after the unit failed, outside it:
// nil then means the unit failed for another reason.
func (m *Manager) Explain(ctx context.Context, v *Verified) error {
	if v == nil {
		return errors.New("otp: Explain: nil Verified")
	}
	c, err := m.get(ctx, v.Challenge.ID)
	if err != nil {
		return err
	}
	if err := stateError(c, m.rt.Now()); err != nil {
		return err
	}
	if !hmac.Equal(v.hash, c.CodeHash) {
		return errReplaced()
	}
	return nil
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
