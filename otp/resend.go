// This file owns resending a challenge: Resend, which replaces the code
// with a new one and a fresh TTL, the limit of MaxSends messages per
// challenge, and the resend cooldown (ResendCooldown after the first send,
// doubling after each one).

package otp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/storage"
)

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
		if err := m.countDestination(ctx, c.Destination, c.Proven, now); err != nil {
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

// cooldown returns the wait after the n-th send (n >= 1):
// ResendCooldown × 2^(n-1).
func (m *Manager) cooldown(n int) time.Duration {
	d := m.cfg.ResendCooldown
	for i := 1; i < n && d < 24*time.Hour; i++ {
		d *= 2
	}
	return d
}
