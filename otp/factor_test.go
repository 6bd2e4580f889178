package otp

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

// issueFactor issues a ChannelTOTP login challenge for u1.
func (h *harness) issueFactor(t testing.TB) *Pending {
	t.Helper()
	p, err := h.m.Issue(context.Background(), IssueRequest{UserID: "u1", Purpose: PurposeLogin, Channel: ChannelTOTP, Locale: "fr"})
	must(t, err)
	return p
}

// accept and reject are verify functions of CheckFactor.
func accept(context.Context, string) error { return nil }

func reject(context.Context, string) error { return onboardkit.ErrInvalidCode }

func TestIssueFactorChallenge(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DestinationLimit = 1 })
	ctx := context.Background()
	h.m.senders = Senders{} // a TOTP challenge needs no sender
	p := h.issueFactor(t)
	now := h.clock.Now()
	eq(t, p.Challenge, Challenge{
		ID: p.Challenge.ID, UserID: "u1", Purpose: PurposeLogin, Channel: ChannelTOTP, Locale: "fr",
		CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute), MaxAttempts: 5, Sends: 1,
		LastSentAt: now, ResendAt: now.Add(10 * time.Minute),
	})
	c := h.stored(t, p.Challenge.ID)
	eq(t, c.Channel, "totp")
	eq(t, c.Destination, "")
	eq(t, c.CodeHash, h.m.mac.factorMarker(c.ID), "the stored hash is the marker")
	ne(t, c.CodeHash, h.m.mac.decoyHash(c.ID), "not a decoy")
	// Send does nothing, and nothing was counted in a destination window.
	must(t, h.m.Send(ctx, p))
	eq(t, h.rec.Len(), 0)
	for range 2 {
		_, err := h.m.Issue(ctx, IssueRequest{UserID: "u1", Purpose: PurposeLogin, Channel: ChannelTOTP})
		must(t, err)
	}
	// A destination is allowed and kept, and still not counted.
	for range 2 {
		q, err := h.m.Issue(ctx, IssueRequest{UserID: "u1", Purpose: PurposeLogin, Channel: ChannelTOTP, Destination: phone})
		must(t, err)
		eq(t, h.stored(t, q.Challenge.ID).Destination, phone)
	}

	// No code opens it, and it cannot be resent: both read as an unknown id.
	h.m.senders = Senders{SMS: h.rec, Email: h.rec}
	for _, code := range []string{"", "000000", "123456"} {
		_, err := h.m.Check(ctx, c.ID, code, PurposeLogin)
		e := okErr(t, err, onboardkit.CodeInvalidCode)
		isTrue(t, e.AttemptsRemaining == nil, "not counted")
	}
	h.clock.Advance(time.Hour)
	_, err := h.m.Resend(ctx, c.ID, PurposeLogin)
	okErr(t, err, onboardkit.CodeInvalidCode)
	eq(t, h.stored(t, c.ID).Attempts, 0)
	eq(t, h.stored(t, c.ID).Sends, 1)
}

func TestCheckFactor(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p := h.issueFactor(t)
	var got []string
	v, err := h.m.CheckFactor(ctx, p.Challenge.ID, PurposeLogin, func(_ context.Context, userID string) error {
		got = append(got, userID)
		return nil
	})
	must(t, err)
	eq(t, got, []string{"u1"}, "verify is called with the user id")
	eq(t, v.Challenge.UserID, "u1")
	eq(t, v.Challenge.Channel, ChannelTOTP)
	isTrue(t, h.stored(t, p.Challenge.ID).ConsumedAt.IsZero(), "CheckFactor does not consume")
	must(t, h.m.Consume(ctx, v))
	eq(t, v.Challenge.ConsumedAt, h.clock.Now())
	eq(t, h.stored(t, p.Challenge.ID).ConsumedAt, h.clock.Now())
	// Consumed: invalid_code, and verify is not asked again.
	e := okErr(t, h.m.Consume(ctx, v), onboardkit.CodeInvalidCode)
	isTrue(t, strings.Contains(e.Message, "already"), e.Message)
	_, err = h.m.CheckFactor(ctx, p.Challenge.ID, PurposeLogin, func(context.Context, string) error {
		t.Error("verify called on a consumed challenge")
		return nil
	})
	e = okErr(t, err, onboardkit.CodeInvalidCode)
	isTrue(t, strings.Contains(e.Message, "already"), e.Message)
	_, err = h.m.CheckFactor(ctx, p.Challenge.ID, PurposeLogin, nil)
	isTrue(t, err != nil, "nil verify")
}

// The message of verify's invalid_code error is kept; a bare sentinel reads
// as the default message.
func TestCheckFactorMessage(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.issueFactor(t).Challenge.ID
	const msg = "The code has already been used; wait for the next one."
	_, err := h.m.CheckFactor(ctx, id, PurposeLogin, func(context.Context, string) error {
		return onboardkit.NewError(onboardkit.CodeInvalidCode, msg)
	})
	e := okErr(t, err, onboardkit.CodeInvalidCode)
	eq(t, e.Message, msg)
	eq(t, e.Fields, []onboardkit.FieldError{{Field: "code", Code: onboardkit.FieldInvalidCode, Message: msg}})
	eq(t, *e.AttemptsRemaining, 4)
	_, err = h.m.CheckFactor(ctx, id, PurposeLogin, func(context.Context, string) error {
		return errors.Join(errors.New("wrapped"), onboardkit.ErrInvalidCode)
	})
	e = okErr(t, err, onboardkit.CodeInvalidCode)
	eq(t, e.Message, msgWrongCode)
	eq(t, *e.AttemptsRemaining, 3)
}

// An error of verify other than invalid_code is returned wrapped and counts
// nothing.
func TestCheckFactorOtherError(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.issueFactor(t).Challenge.ID
	boom := errors.New("store down")
	_, err := h.m.CheckFactor(ctx, id, PurposeLogin, func(context.Context, string) error { return boom })
	isTrue(t, errors.Is(err, boom), err)
	eq(t, onboardkit.ErrorCode(err), onboardkit.CodeInternal)
	notEnrolled := onboardkit.NewError(onboardkit.CodeInvalidTransition, "No authenticator app is enrolled.")
	_, err = h.m.CheckFactor(ctx, id, PurposeLogin, func(context.Context, string) error { return notEnrolled })
	isTrue(t, errors.Is(err, onboardkit.ErrInvalidTransition), err)
	var e *onboardkit.Error
	isTrue(t, errors.As(err, &e) && e == notEnrolled, "verify's error as it is")
	_, err = h.m.CheckFactor(ctx, id, PurposeLogin, func(context.Context, string) error { return context.Canceled })
	isTrue(t, errors.Is(err, context.Canceled), err)
	eq(t, h.stored(t, id).Attempts, 0)
}

// CheckFactor refuses every challenge that is not a ChannelTOTP one of this
// Manager, as an unknown id, without calling verify.
func TestCheckFactorRefusesOtherChallenges(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	never := func(context.Context, string) error {
		t.Error("verify called")
		return nil
	}
	code, _ := h.issue(t)
	p, err := h.m.IssueDecoy(ctx, IssueRequest{Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone})
	must(t, err)
	smsDecoy := p.Challenge.ID
	// A "totp" challenge whose hash is not this Manager's marker: another
	// key, or no hash at all.
	foreign := &storage.Challenge{ID: "foreign", UserID: "u1", Purpose: "login", Channel: "totp", CodeHash: bytes.Repeat([]byte{1}, 32), MaxAttempts: 5, ExpiresAt: h.clock.Now().Add(time.Hour)}
	must(t, h.store.CreateChallenge(ctx, foreign))
	bare := &storage.Challenge{ID: "bare", UserID: "u1", Purpose: "login", Channel: "totp", MaxAttempts: 5, ExpiresAt: h.clock.Now().Add(time.Hour)}
	must(t, h.store.CreateChallenge(ctx, bare))
	for _, tc := range []struct {
		id      string
		purpose Purpose
	}{
		{code, PurposePhoneConfirmation}, // a code challenge
		{smsDecoy, PurposeLogin},
		{"foreign", PurposeLogin},
		{"bare", PurposeLogin},
		{"nope", PurposeLogin},
		{"", PurposeLogin},
		{strings.Repeat("x", 500), PurposeLogin},
	} {
		_, err := h.m.CheckFactor(ctx, tc.id, tc.purpose, never)
		e := okErr(t, err, onboardkit.CodeInvalidCode)
		eq(t, e.Message, msgWrongCode, tc.id)
		isTrue(t, e.AttemptsRemaining == nil, tc.id, "counted")
	}
	eq(t, h.stored(t, code).Attempts, 0)
	eq(t, h.stored(t, smsDecoy).Attempts, 0)
}

// A ChannelTOTP decoy counts every answer as wrong without asking the
// factor (a decoy has no user to ask about).
func TestCheckFactorDecoy(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	p, err := h.m.IssueDecoy(ctx, IssueRequest{Purpose: PurposeLogin, Channel: ChannelTOTP})
	must(t, err)
	isTrue(t, p.Challenge.Decoy)
	must(t, h.m.Send(ctx, p))
	eq(t, h.rec.Len(), 0)
	for i := range 5 {
		_, err := h.m.CheckFactor(ctx, p.Challenge.ID, PurposeLogin, func(context.Context, string) error {
			t.Error("verify called on a decoy")
			return nil
		})
		if i < 4 {
			e := okErr(t, err, onboardkit.CodeInvalidCode)
			eq(t, *e.AttemptsRemaining, 4-i)
		} else {
			okErr(t, err, onboardkit.CodeTooManyAttempts)
		}
	}
}

// Concurrent right answers: exactly one consumes.
func TestCheckFactorConcurrentConsume(t *testing.T) {
	raceRightAnswers(t, (*harness).factorChallenge)
}

// Concurrent wrong answers: exactly MaxAttempts are counted.
func TestCheckFactorConcurrentWrongAnswers(t *testing.T) {
	raceWrongAnswers(t, (*harness).factorChallenge, 30)
}

// A passkey ceremony is a factor challenge too: CountAttempt makes a
// refusal of the factor's own kind count like a wrong code and come back
// as it is, until the attempts burn the challenge.
func TestCheckFactorCountAttempt(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.m.senders = Senders{}
	p, err := h.m.Issue(ctx, IssueRequest{Purpose: "passkey_registration", Channel: ChannelPasskey})
	must(t, err)
	refused := onboardkit.NewError(onboardkit.CodeConflict, "refused")
	for i := range 4 {
		_, err := h.m.CheckFactor(ctx, p.Challenge.ID, "passkey_registration", func(context.Context, string) error {
			return CountAttempt(refused)
		})
		isTrue(t, errors.Is(err, refused), "attempt %d: got %v, want the verify error", i, err)
		eq(t, h.stored(t, p.Challenge.ID).Attempts, i+1)
	}
	_, err = h.m.CheckFactor(ctx, p.Challenge.ID, "passkey_registration", func(context.Context, string) error {
		return CountAttempt(refused)
	})
	okErr(t, err, onboardkit.CodeTooManyAttempts)
	// A code never opens it.
	_, err = h.m.Check(ctx, p.Challenge.ID, "123456", "passkey_registration")
	okErr(t, err, onboardkit.CodeInvalidCode)
}

// TestAnswer: Answer reads the challenge once and checks a code challenge
// as Check does and a factor challenge with the verify function of its
// channel; a factor channel without one, or another purpose, is
// invalid_code without counting an attempt.
func TestAnswer(t *testing.T) {
	ctx := context.Background()
	accept := func(context.Context, string) error { return nil }
	refuse := func(context.Context, string) error { return onboardkit.CodeInvalidCode.Err() }
	for _, tc := range []struct {
		name    string
		factor  bool
		code    func(h *harness, code string) string
		factors map[Channel]func(context.Context, string) error
		purpose Purpose
		want    onboardkit.Code // "" for success
		counted bool
	}{
		{name: "right code", code: func(_ *harness, c string) string { return c }, purpose: PurposePhoneConfirmation},
		{name: "wrong code", code: func(*harness, string) string { return "000000" }, purpose: PurposePhoneConfirmation,
			want: onboardkit.CodeInvalidCode, counted: true},
		{name: "code challenge, other purpose", code: func(_ *harness, c string) string { return c }, purpose: PurposeLogin,
			want: onboardkit.CodeInvalidCode},
		{name: "factor accepted", factor: true, factors: map[Channel]func(context.Context, string) error{ChannelTOTP: accept}, purpose: PurposeLogin},
		{name: "factor refused", factor: true, factors: map[Channel]func(context.Context, string) error{ChannelTOTP: refuse}, purpose: PurposeLogin,
			want: onboardkit.CodeInvalidCode, counted: true},
		{name: "factor channel without a verifier", factor: true, factors: map[Channel]func(context.Context, string) error{ChannelPasskey: accept},
			purpose: PurposeLogin, want: onboardkit.CodeInvalidCode},
		{name: "factor, other purpose", factor: true, factors: map[Channel]func(context.Context, string) error{ChannelTOTP: accept},
			purpose: PurposePasswordReset, want: onboardkit.CodeInvalidCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			var id, code string
			if tc.factor {
				id = h.issueFactor(t).Challenge.ID
			} else {
				id, code = h.issue(t)
				code = tc.code(h, code)
			}
			v, err := h.m.Answer(ctx, id, code, tc.purpose, tc.factors)
			if tc.want == "" {
				must(t, err)
				eq(t, v.Challenge.ID, id)
				must(t, h.m.Consume(ctx, v))
				return
			}
			okErr(t, err, tc.want)
			attempts := h.stored(t, id).Attempts
			isTrue(t, (attempts == 1) == tc.counted, "attempts counted: %d", attempts)
		})
	}
}
