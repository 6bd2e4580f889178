package onboarding

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

func TestJourney(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t))
		ctx := context.Background()
		phone := newPhone()

		su, code := h.signUp(phone)
		assert.Equal(t, StatusRegistered, su.Status)
		assert.Equal(t, []Step{StepConfirmPhone, StepAddEmail, StepConfirmEmail, StepCompleteProfile, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}, su.Next)
		assert.Equal(t, ChallengeSMS, su.Challenge.ChallengeType)
		assert.Equal(t, "+33******"+phone[len(phone)-2:], su.Challenge.Destination)
		assert.Len(t, code, 6)

		a, err := h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, code)
		require.NoError(t, err)
		assert.Equal(t, StatusContactVerified, a.Status)
		assert.Equal(t, []Step{StepAddEmail, StepConfirmEmail, StepCompleteProfile, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}, a.Next)
		require.NotNil(t, a.Tokens)
		claims, err := h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken)
		require.NoError(t, err)
		assert.Equal(t, a.UserID, claims.UserID)
		assert.Equal(t, StatusContactVerified, claims.Status)

		email := "Jean.Dupont@Example.com"
		ch, err := h.svc.AddEmail(ctx, a.UserID, email)
		require.NoError(t, err)
		assert.Equal(t, "j***@example.com", ch.Destination)
		e, err := h.svc.ConfirmEmail(ctx, a.UserID, ch.ChallengeID, h.email.LastCode("jean.dupont@example.com"))
		require.NoError(t, err)
		assert.Equal(t, []Step{StepCompleteProfile, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}, e.Next)

		// Login by email, answer the SMS code.
		l, err := h.login("jean.dupont@example.com", testPassword, phone)
		require.NoError(t, err)
		require.NotNil(t, l.Tokens)

		r, err := h.svc.Refresh(ctx, l.Tokens.RefreshToken)
		require.NoError(t, err)
		assert.NotEqual(t, l.Tokens.RefreshToken, r.RefreshToken)

		fp, err := h.svc.ForgotPassword(ctx, phone)
		require.NoError(t, err)
		assert.Equal(t, CodeDeliveryDetails{Destination: su.Challenge.Destination, DeliveryMedium: "SMS", AttributeName: "phone_number"}, fp.CodeDeliveryDetails)
		require.NoError(t, h.svc.ResetPassword(ctx, fp.SessionID, h.sms.LastCode(phone), "Another-long-pass-42", "Another-long-pass-42"))

		_, err = h.login(phone, testPassword, phone)
		requireCode(t, err, onboardkit.CodeInvalidCredentials)
		_, err = h.login(phone, "Another-long-pass-42", phone)
		require.NoError(t, err)

		assert.Equal(t, []string{
			EventUserRegistered, EventPhoneConfirmed, EventEmailConfirmed, EventLoginSucceeded,
			EventPasswordReset, EventLoginFailed, EventLoginSucceeded,
		}, h.eventTypes())
		logged, err := h.store.ListEvents(ctx, a.UserID, 0, 0)
		require.NoError(t, err)
		assert.Len(t, logged, 7, "every event is also in the audit log")
	})
}

func TestSignUpValidation(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	tests := []struct {
		name   string
		req    SignUpRequest
		code   onboardkit.Code
		fields []string
	}{
		{"bad phone and weak password", SignUpRequest{PhoneNumber: "12", Password: "short"}, onboardkit.CodeValidation, []string{"phoneNumber", "password"}},
		{"missing phone", SignUpRequest{Password: testPassword}, onboardkit.CodeValidation, []string{"phoneNumber"}},
		{"national format without region", SignUpRequest{PhoneNumber: "0614125910", Password: testPassword}, onboardkit.CodeValidation, []string{"phoneNumber"}},
		{"fixed line", SignUpRequest{PhoneNumber: "+33145000000", Password: testPassword}, onboardkit.CodeValidation, []string{"phoneNumber"}},
		{"bad email", SignUpRequest{PhoneNumber: newPhone(), Email: "nope", Password: testPassword}, onboardkit.CodeValidation, []string{"email"}},
		{"weak password", SignUpRequest{PhoneNumber: newPhone(), Password: "12345678"}, onboardkit.CodePasswordPolicy, []string{"password"}},
		{"password equals phone", SignUpRequest{PhoneNumber: "+33614125910", Password: "+33614125910"}, onboardkit.CodePasswordPolicy, []string{"password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.SignUp(ctx, tt.req)
			oe := requireCode(t, err, tt.code)
			var got []string
			for _, f := range oe.Fields {
				if len(got) == 0 || got[len(got)-1] != f.Field {
					got = append(got, f.Field)
				}
			}
			assert.Equal(t, tt.fields, got)
		})
	}
	assert.Zero(t, h.sms.Len(), "nothing is sent for refused input")
	assert.Zero(t, h.hasher.hashes.Load(), "nothing is hashed for refused input")
}

func TestSignUpDefaultRegionAndPasswordPolicy(t *testing.T) {
	h := newHarness(t, memory.New(), func(c *Config) { c.DefaultRegion = "FR" })
	res, err := h.svc.SignUp(context.Background(), SignUpRequest{PhoneNumber: "06 14 12 59 11", Password: testPassword})
	require.NoError(t, err)
	assert.Equal(t, "+33******11", res.Challenge.Destination)
	_, err = h.svc.SignUp(context.Background(), SignUpRequest{PhoneNumber: "06 14 12 59 10", Password: "0614125910"})
	oe := requireCode(t, err, onboardkit.CodePasswordPolicy)
	assert.True(t, errors.Is(err, onboardkit.ErrPasswordPolicy))
	assert.NotEmpty(t, oe.Fields)
}

func TestSignUpIdentifierTaken(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t))
		phone := newPhone()
		h.signUp(phone)
		_, err := h.svc.SignUp(context.Background(), SignUpRequest{PhoneNumber: phone, Password: testPassword})
		requireCode(t, err, onboardkit.CodeIdentifierTaken)
		assert.True(t, errors.Is(err, onboardkit.ErrIdentifierTaken))
	})
}

func TestSignUpEnumerationSafe(t *testing.T) {
	h := newHarness(t, memory.New(), func(c *Config) { c.EnumerationSafeSignUp = true })
	ctx := context.Background()
	phone := newPhone()
	first, _ := h.signUp(phone)
	sent := h.sms.Len()

	dup, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: phone, Password: testPassword})
	require.NoError(t, err, "a taken phone answers like a success")
	assert.NotEqual(t, first.UserID, dup.UserID)
	assert.Equal(t, first.Status, dup.Status)
	assert.Equal(t, first.Next, dup.Next)
	assert.Equal(t, first.Challenge.ChallengeType, dup.Challenge.ChallengeType)
	assert.Equal(t, first.Challenge.Destination, dup.Challenge.Destination)

	require.Equal(t, sent+1, h.sms.Len(), "the owner gets a notice")
	notice := h.sms.Last(phone)
	assert.Empty(t, notice.Code, "the notice carries no code")
	assert.Contains(t, notice.Body, "tried to sign up")

	// The decoy challenge answers like a real one, and no code opens it.
	_, err = h.svc.ConfirmPhone(ctx, dup.Challenge.ChallengeID, "000000")
	oe := requireCode(t, err, onboardkit.CodeInvalidCode)
	require.NotNil(t, oe.AttemptsRemaining)
	assert.Equal(t, 4, *oe.AttemptsRemaining)
}

func TestSignUpEnumerationSafeNoticeGoesToOwner(t *testing.T) {
	h := newHarness(t, memory.New(), func(c *Config) { c.EnumerationSafeSignUp = true })
	ctx := context.Background()
	owner := h.withEmail(newPhone(), "owner@example.com")
	newcomer := newPhone()
	_, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: newcomer, Email: "OWNER@example.com", Password: testPassword})
	require.NoError(t, err)
	_, sentToNewcomer := h.sms.LastOK(newcomer)
	assert.False(t, sentToNewcomer, "nothing goes to the phone of the attempt")
	notice := h.email.Last("owner@example.com")
	assert.Contains(t, notice.Body, "tried to sign up")
	events, err := h.store.ListEvents(ctx, owner.UserID, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, EventSignUpDuplicate, events[len(events)-1].Type)
}

func TestConfirmPhoneErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t))
		ctx := context.Background()

		t.Run("wrong code five times burns it", func(t *testing.T) {
			su, code := h.signUp(newPhone())
			for i := 4; i >= 1; i-- {
				_, err := h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, "000000")
				oe := requireCode(t, err, onboardkit.CodeInvalidCode)
				require.Equal(t, i, *oe.AttemptsRemaining)
			}
			_, err := h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, "000000")
			requireCode(t, err, onboardkit.CodeTooManyAttempts)
			_, err = h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, code)
			requireCode(t, err, onboardkit.CodeTooManyAttempts)
		})
		t.Run("expired", func(t *testing.T) {
			su, code := h.signUp(newPhone())
			h.clock.Advance(10*time.Minute + time.Second)
			_, err := h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, code)
			requireCode(t, err, onboardkit.CodeCodeExpired)
		})
		t.Run("used twice", func(t *testing.T) {
			su, code := h.signUp(newPhone())
			_, err := h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, code)
			require.NoError(t, err)
			_, err = h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, code)
			requireCode(t, err, onboardkit.CodeInvalidCode)
		})
		t.Run("unknown challenge", func(t *testing.T) {
			_, err := h.svc.ConfirmPhone(ctx, "nope", "123456")
			requireCode(t, err, onboardkit.CodeInvalidCode)
		})
		t.Run("resend cooldown, new code, attempts carried over", func(t *testing.T) {
			phone := newPhone()
			su, old := h.signUp(phone)
			_, err := h.svc.ResendPhoneCode(ctx, su.Challenge.ChallengeID)
			oe := requireCode(t, err, onboardkit.CodeResendTooSoon)
			assert.Equal(t, 30*time.Second, oe.RetryAfter)
			_, err = h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, "000000")
			requireCode(t, err, onboardkit.CodeInvalidCode)
			h.clock.Advance(30 * time.Second)
			ch, err := h.svc.ResendPhoneCode(ctx, su.Challenge.ChallengeID)
			require.NoError(t, err)
			assert.Equal(t, h.clock.Now().Add(60*time.Second), ch.ResendAvailableAt)
			fresh := h.sms.LastCode(phone)
			if fresh != old {
				_, err = h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, old)
				oe = requireCode(t, err, onboardkit.CodeInvalidCode)
				assert.Equal(t, 3, *oe.AttemptsRemaining, "a resend never resets attempts")
			}
			_, err = h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, fresh)
			require.NoError(t, err)
		})
	})
}

func TestConcurrentConfirmationOneWins(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t))
		su, code := h.signUp(newPhone())
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, fails := 0, 0
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := h.svc.ConfirmPhone(context.Background(), su.Challenge.ChallengeID, code)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else {
					assert.Equal(t, onboardkit.CodeInvalidCode, onboardkit.ErrorCode(err), "%v", err)
					fails++
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, 1, wins)
		assert.Equal(t, 19, fails)
		n := 0
		for _, e := range h.eventTypes() {
			if e == EventPhoneConfirmed {
				n++
			}
		}
		assert.Equal(t, 1, n)
	})
}

func TestSendFailureLeavesChallengeResendable(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	phone := newPhone()
	h.sms.FailNext(errors.New("provider down"))
	res, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: phone, Password: testPassword})
	requireCode(t, err, onboardkit.CodeSendFailed)
	require.NotNil(t, res, "the user exists; the result carries the challenge")
	assert.Equal(t, h.clock.Now(), res.Challenge.ResendAvailableAt)
	_, err = h.svc.ResendPhoneCode(ctx, res.Challenge.ChallengeID)
	require.NoError(t, err, "resendable at once")
	_, err = h.svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, h.sms.LastCode(phone))
	require.NoError(t, err)
}

func TestOutOfOrderSteps(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	a := h.confirmed(newPhone())
	su, code := h.signUp(newPhone())
	_, err := h.svc.ConfirmPhone(ctx, su.Challenge.ChallengeID, code)
	require.NoError(t, err)
	// Confirming the contact of an already confirmed user is out of order.
	u, err := h.store.GetUser(ctx, a.UserID)
	require.NoError(t, err)
	_, err = h.svc.Flow().Fire(ProgressOf(u), TriggerConfirmContact)
	oe := requireCode(t, err, onboardkit.CodeInvalidTransition)
	assert.Contains(t, oe.Message, "contact_verified")
	assert.Contains(t, oe.Message, "add_email")
	// Completing the profile before the email is confirmed.
	_, err = h.svc.Flow().Fire(ProgressOf(u), TriggerCompleteProfile)
	oe = requireCode(t, err, onboardkit.CodeInvalidTransition)
	assert.Contains(t, oe.Message, "email")
}

func TestLoginEnumerationSafety(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	phone := newPhone()
	h.confirmed(phone)

	h.hasher.verifies.Store(0)
	_, errUnknown := h.svc.Login(ctx, LoginRequest{Username: "+33699999999", Password: testPassword})
	assert.Equal(t, int64(1), h.hasher.dummies.Load(), "an unknown user costs one dummy verification")
	_, errWrong := h.svc.Login(ctx, LoginRequest{Username: phone, Password: "wrong-password-1"})
	assert.Equal(t, int64(1), h.hasher.verifies.Load(), "a known user costs one real verification")
	_, errUnknownEmail := h.svc.Login(ctx, LoginRequest{Username: "nobody@example.com", Password: testPassword})
	_, errGarbage := h.svc.Login(ctx, LoginRequest{Username: "garbage", Password: testPassword})

	for _, err := range []error{errUnknown, errWrong, errUnknownEmail, errGarbage} {
		oe := requireCode(t, err, onboardkit.CodeInvalidCredentials)
		assert.Equal(t, onboardkit.ErrInvalidCredentials.Message(), oe.Message)
		assert.Nil(t, oe.Fields)
		assert.Zero(t, oe.RetryAfter)
	}
}

func TestLoginThrottleAndAdminLock(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t))
		ctx := context.Background()
		phone := newPhone()
		a := h.confirmed(phone)
		for range 5 {
			_, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: "wrong-password-1"})
			requireCode(t, err, onboardkit.CodeInvalidCredentials)
		}
		// Throttled: even the right password is refused, with the same answer.
		_, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		requireCode(t, err, onboardkit.CodeInvalidCredentials)
		h.clock.Advance(31 * time.Second)
		_, err = h.login(phone, testPassword, phone)
		require.NoError(t, err, "the throttle is a delay, not a lock")

		// The right password reset the count: five more checks, then none
		// while the delay runs (and those attempts are not counted).
		wrong := func() {
			_, err := h.svc.Login(ctx, LoginRequest{Username: phone, Password: "wrong-password-1"})
			requireCode(t, err, onboardkit.CodeInvalidCredentials)
		}
		checked := func() int64 { return h.hasher.verifies.Load() }
		before := checked()
		for range 8 {
			wrong()
		}
		assert.Equal(t, before+5, checked(), "five checks, then the delay")
		// After the 30 s delay one attempt is checked, and the delay doubles.
		h.clock.Advance(31 * time.Second)
		wrong()
		assert.Equal(t, before+6, checked())
		h.clock.Advance(31 * time.Second)
		wrong()
		assert.Equal(t, before+6, checked(), "60 s now")
		h.clock.Advance(30 * time.Second)
		wrong()
		assert.Equal(t, before+7, checked())

		u, err := h.store.GetUser(ctx, a.UserID)
		require.NoError(t, err)
		u.AdminLocked = true
		require.NoError(t, h.store.UpdateUser(ctx, u))
		require.NoError(t, h.store.ResetLoginAttempts(ctx, accountKey(a.UserID)))
		_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: "wrong-password-1"})
		requireCode(t, err, onboardkit.CodeInvalidCredentials)
		_, err = h.svc.Login(ctx, LoginRequest{Username: phone, Password: testPassword})
		requireCode(t, err, onboardkit.CodeAccountLocked)
	})
}

// outdatedHash makes the user's stored hash one the hasher wants
// upgraded (its "old$" prefix), for the same password.
func (h *harness) outdatedHash(userID string) {
	h.t.Helper()
	ctx := context.Background()
	cur, err := h.store.GetPassword(ctx, userID)
	require.NoError(h.t, err)
	require.NoError(h.t, h.store.SetPassword(ctx, userID, "old$"+strings.TrimPrefix(cur, "fake$"), h.clock.Now(), 5))
	h.hasher.rehash = "old$"
}

func TestLoginRehashesOutdatedHash(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	phone := newPhone()
	a := h.confirmed(phone)
	h.outdatedHash(a.UserID)
	_, err := h.login(phone, testPassword, phone)
	require.NoError(t, err)
	cur, err := h.store.GetPassword(ctx, a.UserID)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(cur, "fake$"))
}

func TestRefreshRotationAndReuse(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t))
		ctx := context.Background()
		a := h.confirmed(newPhone())
		t1 := a.Tokens.RefreshToken
		p2, err := h.svc.Refresh(ctx, t1)
		require.NoError(t, err)
		p3, err := h.svc.Refresh(ctx, p2.RefreshToken)
		require.NoError(t, err)

		// Reusing t1 (already rotated) revokes the whole family.
		_, err = h.svc.Refresh(ctx, t1)
		requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
		_, err = h.svc.Refresh(ctx, p3.RefreshToken)
		requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
		assert.Contains(t, h.eventTypes(), EventSessionReuseDetected)

		_, err = h.svc.Refresh(ctx, "not-a-token")
		requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
	})
}

// revokedMeanwhile is a store whose rotations lose to a revocation of
// their family that lands between the refresh's read and its rotation.
type revokedMeanwhile struct {
	storage.Store
	now time.Time
}

func (r *revokedMeanwhile) RotateRefreshToken(ctx context.Context, oldHash []byte, next *storage.RefreshToken, now time.Time) error {
	if err := r.Store.RevokeFamily(ctx, next.FamilyID, r.now); err != nil {
		return err
	}
	return r.Store.RotateRefreshToken(ctx, oldHash, next, now)
}

// A refresh that loses to a logout (or a reset) is an invalid refresh
// token, not a reuse: no session.reuse_detected event, no warning.
func TestRefreshLosingToRevocationIsNotReuse(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		st := &revokedMeanwhile{Store: newStore(t)}
		h := newHarness(t, st)
		st.now = h.clock.Now()
		a := h.confirmed(newPhone())
		_, err := h.svc.Refresh(context.Background(), a.Tokens.RefreshToken)
		requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
		assert.NotContains(t, h.eventTypes(), EventSessionReuseDetected)
	})
}

func TestRefreshConcurrentRotationOneWins(t *testing.T) {
	h := newHarness(t, memory.New())
	a := h.confirmed(newPhone())
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.svc.Refresh(context.Background(), a.Tokens.RefreshToken); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, wins, 1)
}

func TestRefreshLifetimes(t *testing.T) {
	h := newHarness(t, memory.New(), func(c *Config) {
		c.Tokens.RefreshIdleTTL = time.Hour
		c.Tokens.RefreshAbsoluteTTL = 3 * time.Hour
	})
	ctx := context.Background()
	a := h.confirmed(newPhone())
	h.clock.Advance(61 * time.Minute)
	_, err := h.svc.Refresh(ctx, a.Tokens.RefreshToken)
	requireCode(t, err, onboardkit.CodeInvalidRefreshToken)

	b := h.confirmed(newPhone())
	tok := b.Tokens.RefreshToken
	for range 5 { // keep it fresh, but the family ages
		h.clock.Advance(50 * time.Minute)
		p, err := h.svc.Refresh(ctx, tok)
		if err != nil {
			requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
			return
		}
		tok = p.RefreshToken
	}
	t.Fatal("the absolute lifetime did not end the family")
}

func TestRefreshReuseGrace(t *testing.T) {
	h := newHarness(t, memory.New(), func(c *Config) { c.Tokens.ReuseGrace = 5 * time.Second })
	ctx := context.Background()
	a := h.confirmed(newPhone())
	p1, err := h.svc.Refresh(ctx, a.Tokens.RefreshToken)
	require.NoError(t, err)
	h.clock.Advance(2 * time.Second)
	again, err := h.svc.Refresh(ctx, a.Tokens.RefreshToken)
	require.NoError(t, err, "within the grace interval the lost response is replayed")
	assert.Equal(t, p1.RefreshToken, again.RefreshToken)
	h.clock.Advance(10 * time.Second)
	_, err = h.svc.Refresh(ctx, a.Tokens.RefreshToken)
	requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
	_, err = h.svc.Refresh(ctx, p1.RefreshToken)
	requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
}

func TestLogout(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	a := h.confirmed(newPhone())
	require.NoError(t, h.svc.Logout(ctx, a.UserID, a.Tokens.RefreshToken))
	_, err := h.svc.Refresh(ctx, a.Tokens.RefreshToken)
	requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
	require.NoError(t, h.svc.Logout(ctx, a.UserID, "unknown"), "logout reveals nothing")

	b := h.confirmed(newPhone())
	h.clock.Advance(time.Second)
	require.NoError(t, h.svc.LogoutEverywhere(ctx, b.UserID))
	_, err = h.svc.VerifyAccessToken(ctx, b.Tokens.AccessToken)
	requireCode(t, err, onboardkit.CodeInvalidToken)
}

func TestResetPassword(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		h := newHarness(t, newStore(t))
		ctx := context.Background()
		phone := newPhone()
		a := h.confirmed(phone)
		second, err := h.login(phone, testPassword, phone)
		require.NoError(t, err)
		h.clock.Advance(time.Minute)

		fp, err := h.svc.ForgotPassword(ctx, phone)
		require.NoError(t, err)
		code := h.sms.LastCode(phone)

		err = h.svc.ResetPassword(ctx, fp.SessionID, code, "Another-long-pass-42", "Another-long-pass-43")
		oe := requireCode(t, err, onboardkit.CodeValidation)
		assert.Equal(t, "passwordConfirm", oe.Fields[0].Field)
		err = h.svc.ResetPassword(ctx, fp.SessionID, code, testPassword, testPassword)
		pe := requireCode(t, err, onboardkit.CodePasswordPolicy)
		assert.Equal(t, onboardkit.FieldReused, pe.Fields[0].Code)
		err = h.svc.ResetPassword(ctx, fp.SessionID, code, "password1", "password1")
		requireCode(t, err, onboardkit.CodePasswordPolicy)

		// Refusals did not consume the code.
		require.NoError(t, h.svc.ResetPassword(ctx, fp.SessionID, code, "Another-long-pass-42", "Another-long-pass-42"))
		err = h.svc.ResetPassword(ctx, fp.SessionID, code, "Another-long-pass-44", "Another-long-pass-44")
		requireCode(t, err, onboardkit.CodeInvalidCode)

		// Every session is revoked and earlier access tokens are refused.
		for _, tok := range []*Tokens{a.Tokens, second.Tokens} {
			_, err = h.svc.Refresh(ctx, tok.RefreshToken)
			requireCode(t, err, onboardkit.CodeInvalidRefreshToken)
			_, err = h.svc.VerifyAccessToken(ctx, tok.AccessToken)
			requireCode(t, err, onboardkit.CodeInvalidToken)
		}
		_, err = h.login(phone, "Another-long-pass-42", phone)
		require.NoError(t, err)
	})
}

func TestForgotPasswordSameShapeForUnknownUser(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	phone := newPhone()
	h.withEmail(phone, "known@example.com")
	sent := h.sms.Len() + h.email.Len()

	known, err := h.svc.ForgotPassword(ctx, "known@example.com")
	require.NoError(t, err)
	unknown, err := h.svc.ForgotPassword(ctx, "unknown@example.com")
	require.NoError(t, err)
	assert.Equal(t, sent+1, h.sms.Len()+h.email.Len(), "only the known user receives a code")
	// The medium follows the identifier given, known or not: the shape is
	// the same and tells nothing.
	assert.Equal(t, CodeDeliveryDetails{Destination: "k***@example.com", DeliveryMedium: "EMAIL", AttributeName: "email"}, known.CodeDeliveryDetails)
	assert.Equal(t, h.email.Len(), 2, "the code went to the email given")
	assert.Equal(t, CodeDeliveryDetails{Destination: "u***@example.com", DeliveryMedium: "EMAIL", AttributeName: "email"}, unknown.CodeDeliveryDetails)
	assert.Len(t, unknown.SessionID, len(known.SessionID))

	err = h.svc.ResetPassword(ctx, unknown.SessionID, "123456", "Another-long-pass-42", "Another-long-pass-42")
	oe := requireCode(t, err, onboardkit.CodeInvalidCode)
	assert.Equal(t, 4, *oe.AttemptsRemaining, "a decoy counts attempts like a real challenge")

	unknownPhone, err := h.svc.ForgotPassword(ctx, "+33699999998")
	require.NoError(t, err)
	assert.Equal(t, CodeDeliveryDetails{Destination: "+33******98", DeliveryMedium: "SMS", AttributeName: "phone_number"}, unknownPhone.CodeDeliveryDetails)
}

func TestChangePassword(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	phone := newPhone()
	a := h.confirmed(phone)

	_, err := h.svc.ChangePassword(ctx, a.UserID, "wrong-current-1", "Another-long-pass-42", "Another-long-pass-42")
	requireCode(t, err, onboardkit.CodeInvalidCredentials)
	_, err = h.svc.ChangePassword(ctx, a.UserID, testPassword, "qwertyuiop", "qwertyuiop")
	requireCode(t, err, onboardkit.CodePasswordPolicy)

	res, err := h.svc.ChangePassword(ctx, a.UserID, testPassword, "Another-long-pass-42", "Another-long-pass-42")
	require.NoError(t, err)
	// Not applied before confirmation.
	_, err = h.login(phone, testPassword, phone)
	require.NoError(t, err)
	code := h.sms.Messages()[len(h.sms.Messages())-2].Code // the change code, before the login code
	other := h.confirmed(newPhone())
	err = h.svc.ConfirmPasswordChange(ctx, other.UserID, res.SessionID, code)
	requireCode(t, err, onboardkit.CodeInvalidCode)
	require.NoError(t, h.svc.ConfirmPasswordChange(ctx, a.UserID, res.SessionID, code))
	_, err = h.login(phone, "Another-long-pass-42", phone)
	require.NoError(t, err)
}

func TestEmailChangeRequiresRecentAuthAndNotifiesOldAddress(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	phone := newPhone()
	a := h.withEmail(phone, "first@example.com")
	h.clock.Advance(11 * time.Minute)
	_, err := h.svc.AddEmail(ctx, a.UserID, "second@example.com")
	requireCode(t, err, onboardkit.CodeRecentAuthRequired)

	_, err = h.login(phone, testPassword, phone)
	require.NoError(t, err)
	ch, err := h.svc.AddEmail(ctx, a.UserID, "second@example.com")
	require.NoError(t, err)
	_, err = h.svc.ConfirmEmail(ctx, a.UserID, ch.ChallengeID, h.email.LastCode("second@example.com"))
	require.NoError(t, err)
	notice := h.email.Last("first@example.com")
	assert.Empty(t, notice.Code)
	assert.Contains(t, notice.Body, "changed")

	// An address taken by someone else.
	b := h.confirmed(newPhone())
	_, err = h.svc.AddEmail(ctx, b.UserID, "SECOND@example.com")
	requireCode(t, err, onboardkit.CodeIdentifierTaken)
}

func TestEmailFirstFlow(t *testing.T) {
	h := newHarness(t, memory.New(), func(c *Config) { c.Flow = Flow{SignUp: SignUpWithEmail} })
	ctx := context.Background()
	res, err := h.svc.SignUp(ctx, SignUpRequest{Email: "first@example.com", Password: testPassword})
	require.NoError(t, err)
	assert.Equal(t, ChallengeEmail, res.Challenge.ChallengeType)
	assert.Equal(t, []Step{StepConfirmEmail, StepCompleteProfile, StepSubmitCompliance, StepSubmitKYC, StepKYCReview}, res.Next)
	a, err := h.svc.ConfirmPhone(ctx, res.Challenge.ChallengeID, h.email.LastCode("first@example.com"))
	require.NoError(t, err)
	assert.Equal(t, StatusContactVerified, a.Status)
	lr, err := h.svc.Login(ctx, LoginRequest{Username: "first@example.com", Password: testPassword})
	require.NoError(t, err)
	assert.Equal(t, ChallengeEmail, lr.Challenge.ChallengeType)
}

func TestHookFailureDoesNotUndoStep(t *testing.T) {
	var calls int
	h := newHarness(t, memory.New(), func(c *Config) {
		c.Hooks = append(c.Hooks, func(context.Context, Event) error { calls++; return errors.New("hook down") })
	})
	a := h.confirmed(newPhone())
	assert.Equal(t, 2, calls)
	u, err := h.store.GetUser(context.Background(), a.UserID)
	require.NoError(t, err)
	assert.Equal(t, string(StatusContactVerified), u.Status)
}

func TestNewConfigErrors(t *testing.T) {
	_, err := New(Config{})
	require.Error(t, err)
	for _, want := range []string{"Store", "Secret", "SMS", "Email", "SigningKey", "Keyring"} {
		assert.Contains(t, err.Error(), want)
	}
	ring := testKeyring(t, "k1", 3)
	for name, r := range map[string]RetentionConfig{
		"period without keyring": {Period: time.Hour},
		"the service's key id":   {Period: time.Hour, Keyring: testKeyring(t, "k1", 4)},
	} {
		_, err := New(Config{Keyring: ring, Retention: r})
		assert.ErrorContains(t, err, "Retention.", name)
	}
}

func TestVerifyAccessToken(t *testing.T) {
	h := newHarness(t, memory.New())
	ctx := context.Background()
	a := h.confirmed(newPhone())
	_, err := h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken+"x")
	requireCode(t, err, onboardkit.CodeInvalidToken)
	h.clock.Advance(16 * time.Minute)
	_, err = h.svc.VerifyAccessToken(ctx, a.Tokens.AccessToken)
	requireCode(t, err, onboardkit.CodeInvalidToken)
	assert.Contains(t, string(h.svc.JWKS()), `"kid":"k1"`)
}

func TestKeyRotation(t *testing.T) {
	st := memory.New()
	h1 := newHarness(t, st)
	a := h1.confirmed(newPhone())
	oldKey := h1.svc.sessions.tokens.cfg.SigningKey
	newKey, err := NewSigningKey("k2", newSeqReader(7))
	require.NoError(t, err)
	h2 := newHarness(t, st, func(c *Config) {
		c.Tokens = TokenConfig{SigningKey: newKey, VerificationKeys: []SigningKey{oldKey}}
		c.Clock = h1.clock
	})
	_, err = h2.svc.VerifyAccessToken(context.Background(), a.Tokens.AccessToken)
	require.NoError(t, err, "tokens of the previous key stay valid during rotation")
	assert.Contains(t, string(h2.svc.JWKS()), `"kid":"k2"`)
	assert.Contains(t, string(h2.svc.JWKS()), `"kid":"k1"`)
}

var _ = otp.ChannelSMS

// A resent code is in the language of the first message: challenges keep
// the locale they were issued in, on both stores.
func TestResendKeepsTheLocale(t *testing.T) {
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		for _, tc := range []struct{ locale, want string }{
			{"fr", "Votre code de confirmation de numéro de téléphone"},
			{"en", "Your code to confirm your phone number"},
		} {
			t.Run(tc.locale, func(t *testing.T) {
				h := newHarness(t, newStore(t))
				ctx := context.Background()
				phone := newPhone()
				su, err := h.svc.SignUp(ctx, SignUpRequest{PhoneNumber: phone, Password: testPassword, Locale: tc.locale})
				require.NoError(t, err)
				assert.Contains(t, h.sms.Last(phone).Body, tc.want)
				h.clock.Advance(31 * time.Second)
				_, err = h.svc.ResendPhoneCode(ctx, su.Challenge.ChallengeID)
				require.NoError(t, err)
				assert.Equal(t, 2, len(h.sms.Messages()))
				assert.Contains(t, h.sms.Last(phone).Body, tc.want, "the resend keeps the first message's language")
			})
		}
	})
}
