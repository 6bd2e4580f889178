package otp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/otp/otptest"
	"github.com/onboardkit/onboardkit/storage/memory"
)

// A fixed clock keeps the example output stable.
var exampleClock = onboardkit.ClockFunc(func() time.Time {
	return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
})

// Issue a phone confirmation code, send it, verify it.
func Example() {
	ctx := context.Background()
	sms := otptest.NewRecorder() // in production: otp.NewTwilio(...)
	m, err := otp.NewManager(memory.New(),
		bytes.Repeat([]byte{0x42}, 32), // a secret from your key store
		otp.Senders{SMS: sms},
		otp.Config{}, // the defaults: 6 digits, 10 minutes, 5 attempts, ...
		onboardkit.Runtime{Clock: exampleClock})
	if err != nil {
		panic(err)
	}

	// Issue stores the challenge (inside your transaction, if you use one)...
	p, err := m.Issue(ctx, otp.IssueRequest{
		UserID:      "user-1",
		Purpose:     otp.PurposePhoneConfirmation,
		Channel:     otp.ChannelSMS,
		Destination: "+33614125910",
		Locale:      "en",
	})
	if err != nil {
		panic(err)
	}
	// ...and Send delivers it once the transaction committed.
	if err := m.Send(ctx, p); err != nil {
		panic(err)
	}
	fmt.Println("sent to", otp.Mask(p.Challenge.Destination), "expires", p.Challenge.ExpiresAt.Format(time.RFC3339))
	fmt.Println("resend allowed at", p.Challenge.ResendAt.Format(time.RFC3339))

	// The user types a wrong code, then the right one.
	_, err = m.Verify(ctx, p.Challenge.ID, "not-it", otp.PurposePhoneConfirmation)
	var e *onboardkit.Error
	if errors.As(err, &e) {
		fmt.Println("wrong code:", e.Code, "attempts remaining:", *e.AttemptsRemaining)
	}
	code := sms.LastCode("+33614125910")
	c, err := m.Verify(ctx, p.Challenge.ID, code, otp.PurposePhoneConfirmation)
	if err != nil {
		panic(err)
	}
	fmt.Println("verified for", c.UserID)

	// A code works once.
	_, err = m.Verify(ctx, p.Challenge.ID, code, otp.PurposePhoneConfirmation)
	fmt.Println("second use is invalid_code:", errors.Is(err, onboardkit.ErrInvalidCode))
	// Output:
	// sent to +33******10 expires 2026-01-02T03:14:05Z
	// resend allowed at 2026-01-02T03:04:35Z
	// wrong code: invalid_code attempts remaining: 4
	// verified for user-1
	// second use is invalid_code: true
}

func ExampleMask() {
	fmt.Println(otp.Mask("+33614125910"))
	fmt.Println(otp.Mask("+14155550123"))
	fmt.Println(otp.Mask("alice@example.com"))
	// Output:
	// +33******10
	// +1******23
	// a***@example.com
}

// The development outbox writes one JSON line per message.
func ExampleOutbox() {
	ctx := context.Background()
	m, err := otp.NewManager(memory.New(), bytes.Repeat([]byte{0x42}, 32),
		otp.Senders{Email: otp.NewOutbox(os.Stdout, otp.WithOutboxClock(exampleClock))},
		otp.Config{},
		onboardkit.Runtime{
			Clock: exampleClock,
			Rand:  rand.NewChaCha8([32]byte{}), // deterministic for the example only; keep the crypto/rand default
		})
	if err != nil {
		panic(err)
	}
	p, err := m.Issue(ctx, otp.IssueRequest{Purpose: otp.PurposeLogin, Channel: otp.ChannelEmail, Destination: "alice@example.com", Locale: "fr"})
	if err != nil {
		panic(err)
	}
	if err := m.Send(ctx, p); err != nil {
		panic(err)
	}
	// Output:
	// {"channel":"email","to":"alice@example.com","purpose":"login","code":"713451","body":"Votre code de connexion est 713451. Il expire dans 10 minutes. Ne le communiquez à personne.","sentAt":"2026-01-02T03:04:05Z"}
}

// Enroll an authenticator app, then log in with it.
func ExampleTOTP() {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := onboardkit.ClockFunc(func() time.Time { return now })
	t, err := otp.NewTOTP(memory.New(), bytes.Repeat([]byte{0x42}, 32),
		otp.TOTPConfig{Issuer: "Example Bank"},
		onboardkit.Runtime{Clock: clock})
	if err != nil {
		panic(err)
	}
	en, err := t.Begin(ctx, "user-1", "alice@example.com")
	if err != nil {
		panic(err)
	}
	// The user scans en.QRPNG (or types en.Secret); the app shows a code.
	code, _ := totp.GenerateCode(en.Secret, now)
	recovery, err := t.Confirm(ctx, "user-1", code)
	if err != nil {
		panic(err)
	}
	fmt.Println("recovery codes:", len(recovery))

	// The same code cannot be replayed; the next one works.
	fmt.Println("replay refused:", errors.Is(t.Verify(ctx, "user-1", code), onboardkit.ErrInvalidCode))
	now = now.Add(30 * time.Second)
	code, _ = totp.GenerateCode(en.Secret, now)
	fmt.Println("next code:", t.Verify(ctx, "user-1", code))
	fmt.Println("recovery code:", t.UseRecoveryCode(ctx, "user-1", recovery[0]))
	// Output:
	// recovery codes: 10
	// replay refused: true
	// next code: <nil>
	// recovery code: <nil>
}

// A login answered with an authenticator app: the ChannelTOTP challenge
// counts wrong codes, expires and is consumed once, like an SMS code.
func ExampleManager_CheckFactor() {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rt := onboardkit.Runtime{Clock: onboardkit.ClockFunc(func() time.Time { return now })}
	store := memory.New()
	key := bytes.Repeat([]byte{0x42}, 32)
	authenticator, err := otp.NewTOTP(store, key, otp.TOTPConfig{}, rt)
	if err != nil {
		panic(err)
	}
	m, err := otp.NewManager(store, key, otp.Senders{}, otp.Config{}, rt) // no sender needed
	if err != nil {
		panic(err)
	}
	en, _ := authenticator.Begin(ctx, "user-1", "alice@example.com")
	code, _ := totp.GenerateCode(en.Secret, now)
	if _, err := authenticator.Confirm(ctx, "user-1", code); err != nil {
		panic(err)
	}

	// The password checked out: issue the login challenge (nothing is sent).
	p, err := m.Issue(ctx, otp.IssueRequest{UserID: "user-1", Purpose: otp.PurposeLogin, Channel: otp.ChannelTOTP})
	if err != nil {
		panic(err)
	}
	answer := func(code string) (*otp.Verified, error) {
		return m.CheckFactor(ctx, p.Challenge.ID, otp.PurposeLogin, func(ctx context.Context, userID string) error {
			return authenticator.Verify(ctx, userID, code)
		})
	}
	// The code that confirmed the enrollment cannot be replayed.
	_, err = answer(code)
	e := onboardkit.AsError(err)
	fmt.Println(e.Code, *e.AttemptsRemaining, e.Message)

	now = now.Add(30 * time.Second)
	code, _ = totp.GenerateCode(en.Secret, now)
	v, err := answer(code)
	if err != nil {
		panic(err)
	}
	// Consume (inside the transaction that starts the session, if any).
	fmt.Println("consumed:", m.Consume(ctx, v), "for", v.Challenge.UserID)
	fmt.Println("again:", onboardkit.ErrorCode(m.Consume(ctx, v)))
	// Output:
	// invalid_code 4 The code has already been used; wait for the next one.
	// consumed: <nil> for user-1
	// again: invalid_code
}

// Choosing where a code goes: a verified phone first.
func ExampleContact_Route() {
	c := otp.Contact{Phone: "+33614125910", Email: "alice@example.com", EmailVerified: true}
	fmt.Println(c.Route(otp.ChannelSMS))
	c.PhoneVerified = true
	fmt.Println(c.Route(otp.ChannelEmail))
	fmt.Println(otp.Contact{Phone: "+33614125910", Email: "alice@example.com"}.Route(otp.ChannelEmail))
	// Output:
	// email alice@example.com
	// sms +33614125910
	// email alice@example.com
}
