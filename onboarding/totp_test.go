package onboarding

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

func TestTOTPEnrollmentLoginAndRecovery(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t))
		ctx := context.Background()
		phone := newPhone()
		a := h.confirmed(phone)
		enr, err := h.svc.BeginTOTP(ctx, a.UserID)
		require.NoError(t, err)
		assert.Contains(t, enr.URL, "otpauth://totp/")
		code, err := totp.GenerateCode(enr.Secret, h.clock.Now())
		require.NoError(t, err)
		recovery, err := h.svc.ConfirmTOTP(ctx, a.UserID, code)
		require.NoError(t, err)
		require.Len(t, recovery, 10)

		h.clock.Advance(30 * time.Second)
		lr, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		require.NoError(t, err)
		assert.Equal(t, ChallengeTOTP, lr.Challenge.ChallengeType)
		code, err = totp.GenerateCode(enr.Secret, h.clock.Now())
		require.NoError(t, err)
		_, err = h.svc.VerifyLoginChallenge(ctx, lr.SessionID, "000000")
		oe := requireCode(t, err, onboardkit.CodeInvalidCode)
		assert.Equal(t, 4, *oe.AttemptsRemaining, "TOTP login challenges count attempts")
		res, err := h.svc.VerifyLoginChallenge(ctx, lr.SessionID, code)
		require.NoError(t, err)
		require.NotNil(t, res.Tokens)

		// The same time step cannot be used again (replay guard).
		lr, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		require.NoError(t, err)
		_, err = h.svc.VerifyLoginChallenge(ctx, lr.SessionID, code)
		requireCode(t, err, onboardkit.CodeInvalidCode)

		// A recovery code works once.
		res, err = h.svc.LoginWithRecoveryCode(ctx, lr.SessionID, recovery[0])
		require.NoError(t, err)
		require.NotNil(t, res.Tokens)
		lr, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		require.NoError(t, err)
		_, err = h.svc.LoginWithRecoveryCode(ctx, lr.SessionID, recovery[0])
		requireCode(t, err, onboardkit.CodeInvalidCode)
		assert.Contains(t, h.eventTypes(), EventRecoveryCodeUsed)

		// Enrolling needs a recent authentication.
		b := h.confirmed(newPhone())
		h.clock.Advance(time.Hour)
		_, err = h.svc.BeginTOTP(ctx, b.UserID)
		requireCode(t, err, onboardkit.CodeRecentAuthRequired)
	})
}

func TestPhoneChange(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	oldPhone, newPhoneNumber := newPhone(), newPhone()
	a := h.confirmed(oldPhone)
	ch, err := h.svc.ChangePhone(ctx, a.UserID, newPhoneNumber)
	require.NoError(t, err)
	// The sign-up confirmation cannot be used to swap numbers.
	_, err = h.svc.ConfirmPhone(ctx, ch.ChallengeID, h.sms.LastCode(newPhoneNumber))
	requireCode(t, err, onboardkit.CodeInvalidCode)
	_, err = h.svc.ConfirmPhoneChange(ctx, a.UserID, ch.ChallengeID, h.sms.LastCode(newPhoneNumber))
	require.NoError(t, err)
	notice := h.sms.Last(oldPhone)
	assert.Empty(t, notice.Code)
	assert.Contains(t, notice.Body, "changed")
	_, err = h.login(newPhoneNumber, testPassword, newPhoneNumber)
	require.NoError(t, err)

	h.clock.Advance(time.Hour)
	_, err = h.svc.ChangePhone(ctx, a.UserID, newPhone())
	requireCode(t, err, onboardkit.CodeRecentAuthRequired)
}

// TestLoginTimingUnknownVersusKnown compares the unknown-user path (dummy
// hash) with the wrong-password path (real verification) using the real
// argon2id hasher: the two must cost the same order of magnitude. It compares
// the two paths with each other, never with a wall-clock threshold.
func TestLoginTimingUnknownVersusKnown(t *testing.T) {
	hasher, err := password.NewHasher(password.HasherConfig{Params: password.Params{Memory: 4 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}}, onboardkit.Runtime{})
	require.NoError(t, err)
	h := newHarness(t, memory.New(), func(c *Config) { c.Hasher = hasher })
	ctx := context.Background()
	phone := newPhone()
	h.confirmed(phone)
	median := func(fn func()) time.Duration {
		ds := make([]time.Duration, 15)
		for i := range ds {
			start := time.Now()
			fn()
			ds[i] = time.Since(start)
			h.clock.Advance(time.Hour) // stay clear of the login throttle
		}
		for i := range ds {
			for j := i + 1; j < len(ds); j++ {
				if ds[j] < ds[i] {
					ds[i], ds[j] = ds[j], ds[i]
				}
			}
		}
		return ds[len(ds)/2]
	}
	unknown := median(func() { _, _ = h.svc.Login(ctx, LoginRequest{Username: "+33699999997", Password: "wrong-password-1"}) })
	known := median(func() { _, _ = h.svc.Login(ctx, LoginRequest{Username: phone, Password: "wrong-password-1"}) })
	ratio := float64(unknown) / float64(known)
	t.Logf("median unknown %v, known %v, ratio %.2f", unknown, known, ratio)
	assert.Greater(t, ratio, 0.2, "the unknown-user path is much cheaper than a real verification")
	assert.Less(t, ratio, 5.0, "the unknown-user path is much dearer than a real verification")
}
