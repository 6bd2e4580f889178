package otp

import (
	"context"
	"testing"
	"time"

	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/onboardkit/onboardkit/storage"
)

func benchHarness(b *testing.B) *harness {
	return newHarness(b, func(c *Config) { c.DestinationLimit = 1 << 30 }) // crypto/rand: the Runtime has no Rand
}

// Issue: destination window count, id and code from crypto/rand, HMAC,
// CreateChallenge on the in-memory store.
func BenchmarkIssue(b *testing.B) {
	h := benchHarness(b)
	ctx := context.Background()
	req := IssueRequest{UserID: "u1", Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.m.Issue(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// Verify: GetChallenge, HMAC, constant-time compare, ConsumeChallenge.
func BenchmarkVerify(b *testing.B) {
	h := benchHarness(b)
	ctx := context.Background()
	req := IssueRequest{UserID: "u1", Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone}
	type issued struct{ id, code string }
	var all []issued
	for range b.N {
		p, err := h.m.Issue(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, issued{p.Challenge.ID, p.code})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := h.m.Verify(ctx, all[i].id, all[i].code, PurposeLogin); err != nil {
			b.Fatal(err)
		}
	}
}

// A wrong code: GetChallenge, HMAC, FailChallengeAttempt, typed error.
func BenchmarkCheckWrongCode(b *testing.B) {
	h := newHarness(b, func(c *Config) { c.MaxAttempts = 1 << 30 })
	ctx := context.Background()
	p, err := h.m.Issue(ctx, IssueRequest{Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone})
	if err != nil {
		b.Fatal(err)
	}
	bad := wrong(p.code)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.m.Check(ctx, p.Challenge.ID, bad, PurposeLogin); err == nil {
			b.Fatal("accepted")
		}
	}
}

// Issue then Send through the recorder: adds template rendering.
func BenchmarkIssueAndSend(b *testing.B) {
	h := benchHarness(b)
	ctx := context.Background()
	req := IssueRequest{UserID: "u1", Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone, Locale: "fr"}
	b.ReportAllocs()
	for b.Loop() {
		p, err := h.m.Issue(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if err := h.m.Send(ctx, p); err != nil {
			b.Fatal(err)
		}
		if h.rec.Len() > 1000 {
			h.rec.Reset()
		}
	}
}

// TOTP verify of a fresh step each time (the replay guard refuses reuse):
// GetTOTP, up to three HOTP computations, UseTOTPStep.
func BenchmarkTOTPVerify(b *testing.B) {
	x := newTOTPHarness(b)
	ctx := context.Background()
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	if err := x.store.PutTOTP(ctx, &storage.TOTPEnrollment{UserID: "u1", Secret: storage.Sealed{Data: []byte(secret)}, Confirmed: true}); err != nil {
		b.Fatal(err)
	}
	start := x.clock.Now()
	codes := make([]string, b.N)
	for i := range codes {
		c, err := totp.GenerateCodeCustom(secret, start.Add(time.Duration(i)*30*time.Second), totp.ValidateOpts{Period: 30, Digits: potp.DigitsSix})
		if err != nil {
			b.Fatal(err)
		}
		codes[i] = c
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		x.clock.Set(start.Add(time.Duration(i) * 30 * time.Second))
		if err := x.t.Verify(ctx, "u1", codes[i]); err != nil {
			b.Fatal(i, err)
		}
	}
}
