package otp

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/onboardkit/onboardkit"
)

// FuzzCheck submits arbitrary strings as codes: never a panic, always a typed
// error (or success for the right code), and every wrong code is counted.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "0", "123456", " 123456 ", "12345a", "１２３４５６", "\x00\xff", strings.Repeat("9", 100), "-1", "+12345", "1e5", "\n"} {
		f.Add(s)
	}
	h := newHarness(f, func(c *Config) { c.MaxAttempts = 1 << 30; c.DestinationLimit = -1 })
	f.Fuzz(func(t *testing.T, code string) {
		ctx := context.Background()
		p, err := h.m.Issue(ctx, IssueRequest{Purpose: PurposeLogin, Channel: ChannelSMS, Destination: phone})
		must(t, err)
		_, err = h.m.Check(ctx, p.Challenge.ID, code, PurposeLogin)
		if strings.TrimSpace(code) == p.code {
			must(t, err)
			return
		}
		e := okErr(t, err, onboardkit.CodeInvalidCode)
		isTrue(t, e.AttemptsRemaining != nil, "counted")
		eq(t, h.stored(t, p.Challenge.ID).Attempts, 1)
		// A mangled challenge id never panics either.
		_, err = h.m.Check(ctx, code, code, Purpose(code))
		okErr(t, err, onboardkit.CodeInvalidCode)
	})
}

// FuzzMask: never a panic, valid UTF-8 out, never the whole of a long input.
func FuzzMask(f *testing.F) {
	for _, s := range []string{"", "+33614125910", "alice@example.com", "@", "a@", "@b", "+", "+0", "+1 (555) 010-9999", "é@é", "\xff@\xfe", "0614125910", "+33\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := Mask(s)
		isTrue(t, utf8.ValidString(m) || !utf8.ValidString(s), "invalid UTF-8 out", m)
		if d := strings.TrimSpace(s); len(d) >= 8 && !strings.Contains(d, "@") {
			isTrue(t, !strings.Contains(m, d), "unmasked", s, m)
		}
	})
}

// FuzzTOTPVerify: any string as a TOTP or recovery code is a typed error,
// never a panic.
func FuzzTOTPVerify(f *testing.F) {
	for _, s := range []string{"", "000000", "12345678", " 123456", "abcd-efgh-ijkl-mnop", "ABCD EFGH IJKL MNOP", "\x00", "١٢٣٤٥٦"} {
		f.Add(s)
	}
	x := newTOTPHarness(f)
	x.enroll(f, "u1")
	f.Fuzz(func(t *testing.T, code string) {
		ctx := context.Background()
		if err := x.t.Verify(ctx, "u1", code); err != nil {
			okErr(t, err, onboardkit.CodeInvalidCode)
		}
		if err := x.t.UseRecoveryCode(ctx, "u1", code); err != nil {
			okErr(t, err, onboardkit.CodeInvalidCode)
		}
	})
}
