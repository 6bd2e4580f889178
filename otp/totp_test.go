package otp

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

func b32(s string) string { return base32.StdEncoding.EncodeToString([]byte(s)) }

// RFC 6238 appendix B through the library.
func TestRFC6238Vectors(t *testing.T) {
	secrets := map[potp.Algorithm]string{
		potp.AlgorithmSHA1:   b32("12345678901234567890"),
		potp.AlgorithmSHA256: b32("12345678901234567890123456789012"),
		potp.AlgorithmSHA512: b32("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	vectors := []struct {
		unix  int64
		codes map[potp.Algorithm]string
	}{
		{59, map[potp.Algorithm]string{potp.AlgorithmSHA1: "94287082", potp.AlgorithmSHA256: "46119246", potp.AlgorithmSHA512: "90693936"}},
		{1111111109, map[potp.Algorithm]string{potp.AlgorithmSHA1: "07081804", potp.AlgorithmSHA256: "68084774", potp.AlgorithmSHA512: "25091201"}},
		{1111111111, map[potp.Algorithm]string{potp.AlgorithmSHA1: "14050471", potp.AlgorithmSHA256: "67062674", potp.AlgorithmSHA512: "99943326"}},
		{1234567890, map[potp.Algorithm]string{potp.AlgorithmSHA1: "89005924", potp.AlgorithmSHA256: "91819424", potp.AlgorithmSHA512: "93441116"}},
		{2000000000, map[potp.Algorithm]string{potp.AlgorithmSHA1: "69279037", potp.AlgorithmSHA256: "90698825", potp.AlgorithmSHA512: "38618901"}},
		{20000000000, map[potp.Algorithm]string{potp.AlgorithmSHA1: "65353130", potp.AlgorithmSHA256: "77737706", potp.AlgorithmSHA512: "47863826"}},
	}
	for _, v := range vectors {
		for alg, want := range v.codes {
			opts := totp.ValidateOpts{Period: 30, Digits: potp.DigitsEight, Algorithm: alg}
			got, err := totp.GenerateCodeCustom(secrets[alg], time.Unix(v.unix, 0).UTC(), opts)
			must(t, err)
			eq(t, got, want, v.unix, alg)
			ok, err := totp.ValidateCustom(want, secrets[alg], time.Unix(v.unix, 0).UTC(), opts)
			must(t, err)
			isTrue(t, ok, v.unix, alg)
		}
	}
	// And through the manager: SHA-1, 8 digits, at T = 59 s.
	x := newTOTPHarness(t, func(c *TOTPConfig) { c.Digits = 8; c.Skew = -1 })
	x.clock.Set(time.Unix(59, 0))
	ctx := context.Background()
	must(t, x.store.PutTOTP(ctx, &storage.TOTPEnrollment{UserID: "rfc", Secret: storage.Sealed{Data: []byte(secrets[potp.AlgorithmSHA1])}, Confirmed: true}))
	must(t, x.t.Verify(ctx, "rfc", "94287082"))
	x.clock.Set(time.Unix(1111111109, 0))
	must(t, x.t.Verify(ctx, "rfc", "07081804"))
	x.clock.Set(time.Unix(20000000000, 0))
	must(t, x.t.Verify(ctx, "rfc", "65353130"))
}

// RFC 4226 appendix D through the library.
func TestRFC4226Vectors(t *testing.T) {
	secret := b32("12345678901234567890")
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for counter, w := range want {
		got, err := hotp.GenerateCode(secret, uint64(counter))
		must(t, err)
		eq(t, got, w, counter)
		isTrue(t, hotp.Validate(w, uint64(counter), secret), counter)
	}
}

type totpHarness struct {
	t     *TOTP
	store *memory.Store
	clock *clocktest.Clock
}

func newTOTPHarness(tb testing.TB, mod ...func(*TOTPConfig)) *totpHarness {
	tb.Helper()
	x := &totpHarness{store: memory.New(), clock: clocktest.Default()}
	cfg := TOTPConfig{Issuer: "OnboardKit", QRSize: -1}
	for _, f := range mod {
		f(&cfg)
	}
	m, err := NewTOTP(x.store, testKey, cfg, onboardkit.Runtime{Clock: x.clock, Rand: chaChaReader(7)})
	must(tb, err)
	x.t = m
	return x
}

// codeAt is what an authenticator app shows at offset steps from now.
func (x *totpHarness) codeAt(tb testing.TB, secret string, offset int) string {
	tb.Helper()
	period := x.t.cfg.Period
	c, err := totp.GenerateCodeCustom(secret, x.clock.Now().Add(time.Duration(offset)*period), totp.ValidateOpts{
		Period: uint(period / time.Second), Digits: potp.Digits(x.t.cfg.Digits), Algorithm: potp.AlgorithmSHA1,
	})
	must(tb, err)
	return c
}

func (x *totpHarness) enroll(tb testing.TB, user string) (string, []string) {
	tb.Helper()
	ctx := context.Background()
	e, err := x.t.Begin(ctx, user, user+"@example.com")
	must(tb, err)
	rc, err := x.t.Confirm(ctx, user, x.codeAt(tb, e.Secret, 0))
	must(tb, err)
	x.clock.Advance(5 * x.t.cfg.Period) // past the confirming step and its skew window
	return e.Secret, rc
}

func TestNewTOTPConfig(t *testing.T) {
	var rt onboardkit.Runtime
	_, err := NewTOTP(nil, []byte("x"), TOTPConfig{Issuer: "a:b", Period: 1500 * time.Millisecond, Digits: 7}, rt)
	isTrue(t, err != nil, "accepted")
	for _, w := range []string{"store", "key", "Issuer", "Period", "Digits"} {
		isTrue(t, strings.Contains(err.Error(), w), w, err)
	}
	m, err := NewTOTP(memory.New(), testKey, TOTPConfig{Issuer: "X"}, rt)
	must(t, err)
	eq(t, m.skew, uint(1))
	eq(t, m.cfg.Period, 30*time.Second)
	eq(t, m.cfg.Digits, 6)
	eq(t, m.cfg.Issuer, "X")
	eq(t, m.cfg.QRSize, 256)
	isTrue(t, m.rt.Clock != nil && m.rt.Rand != nil, "Runtime defaults")
	// The zero Issuer is the default one.
	m, err = NewTOTP(memory.New(), testKey, TOTPConfig{}, rt)
	must(t, err)
	eq(t, m.cfg.Issuer, DefaultIssuer)
	eq(t, DefaultIssuer, "onboardkit")
	x := newTOTPHarness(t, func(c *TOTPConfig) { c.Issuer = "" })
	en, err := x.t.Begin(context.Background(), "u1", "alice@example.com")
	must(t, err)
	u, err := url.Parse(en.URL)
	must(t, err)
	eq(t, u.Path, "/onboardkit:alice@example.com")
	eq(t, u.Query().Get("issuer"), "onboardkit")
}

func TestTOTPEnrollment(t *testing.T) {
	x := newTOTPHarness(t, func(c *TOTPConfig) { c.QRSize = 0 })
	ctx := context.Background()
	ok, err := x.t.Enrolled(ctx, "u1")
	must(t, err)
	isTrue(t, !ok)

	_, err = x.t.Begin(ctx, "", "")
	e := okErr(t, err, onboardkit.CodeValidation)
	eq(t, len(e.Fields), 2)

	en, err := x.t.Begin(ctx, "u1", "alice@example.com")
	must(t, err)
	eq(t, len(en.Secret), 32, "160-bit secret")
	u, err := url.Parse(en.URL)
	must(t, err)
	eq(t, u.Scheme, "otpauth")
	eq(t, u.Host, "totp")
	eq(t, u.Path, "/OnboardKit:alice@example.com")
	eq(t, u.Query().Get("secret"), en.Secret)
	eq(t, u.Query().Get("issuer"), "OnboardKit")
	eq(t, u.Query().Get("digits"), "6")
	eq(t, u.Query().Get("period"), "30")
	isTrue(t, bytes.HasPrefix(en.QRPNG, []byte("\x89PNG\r\n\x1a\n")), "PNG")

	stored, err := x.store.GetTOTP(ctx, "u1")
	must(t, err)
	eq(t, stored.Secret, storage.Sealed{Data: []byte(en.Secret)})
	isTrue(t, !stored.Confirmed)
	eq(t, stored.CreatedAt, x.clock.Now())
	ok, _ = x.t.Enrolled(ctx, "u1")
	isTrue(t, !ok, "not active before confirmation")
	okErr(t, x.t.Verify(ctx, "u1", x.codeAt(t, en.Secret, 0)), onboardkit.CodeInvalidTransition)

	// Begin again restarts with a new secret.
	en2, err := x.t.Begin(ctx, "u1", "alice@example.com")
	must(t, err)
	ne(t, en2.Secret, en.Secret)

	_, err = x.t.Confirm(ctx, "u1", x.codeAt(t, en.Secret, 0))
	okErr(t, err, onboardkit.CodeInvalidCode)
	_, err = x.t.Confirm(ctx, "u1", "abc")
	okErr(t, err, onboardkit.CodeInvalidCode)
	rc, err := x.t.Confirm(ctx, "u1", x.codeAt(t, en2.Secret, 0))
	must(t, err)
	eq(t, len(rc), RecoveryCodeCount)
	re := regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)
	seen := map[string]bool{}
	for _, c := range rc {
		isTrue(t, re.MatchString(c), c)
		isTrue(t, !seen[c], "duplicate")
		seen[c] = true
	}
	stored, err = x.store.GetTOTP(ctx, "u1")
	must(t, err)
	isTrue(t, stored.Confirmed)
	eq(t, stored.ConfirmedAt, x.clock.Now())
	eq(t, stored.LastUsedStep, x.clock.Now().Unix()/30)
	ok, _ = x.t.Enrolled(ctx, "u1")
	isTrue(t, ok)
	n, err := x.t.RecoveryCodesRemaining(ctx, "u1")
	must(t, err)
	eq(t, n, 10)

	_, err = x.t.Confirm(ctx, "u1", x.codeAt(t, en2.Secret, 0))
	okErr(t, err, onboardkit.CodeInvalidTransition)
	_, err = x.t.Begin(ctx, "u1", "alice@example.com")
	okErr(t, err, onboardkit.CodeInvalidTransition)
	_, err = x.t.Confirm(ctx, "nobody", "123456")
	okErr(t, err, onboardkit.CodeInvalidTransition)

	must(t, x.t.Disable(ctx, "u1"))
	must(t, x.t.Disable(ctx, "u1"))
	ok, _ = x.t.Enrolled(ctx, "u1")
	isTrue(t, !ok)
	okErr(t, x.t.UseRecoveryCode(ctx, "u1", rc[0]), onboardkit.CodeInvalidCode)
}

func TestTOTPVerify(t *testing.T) {
	ctx := context.Background()
	type step struct {
		offset  int // step offset of the code the user types
		advance int // steps the clock moves before typing
		want    onboardkit.Code
	}
	tests := []struct {
		name  string
		skew  int
		steps []step
	}{
		{"current step once", 0, []step{{0, 0, ""}, {0, 0, onboardkit.CodeInvalidCode}, {0, 1, ""}}},
		{"skew one accepts neighbours", 1, []step{{-1, 0, ""}, {1, 0, ""}, {0, 0, onboardkit.CodeInvalidCode}, {-2, 5, onboardkit.CodeInvalidCode}, {2, 0, onboardkit.CodeInvalidCode}}},
		{"no skew", -1, []step{{-1, 0, onboardkit.CodeInvalidCode}, {1, 0, onboardkit.CodeInvalidCode}, {0, 0, ""}}},
		{"skew two", 2, []step{{-2, 0, ""}, {2, 0, ""}, {3, 1, onboardkit.CodeInvalidCode}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newTOTPHarness(t, func(c *TOTPConfig) { c.Skew = tt.skew })
			secret, _ := x.enroll(t, "u1")
			for _, s := range tt.steps {
				x.clock.Advance(time.Duration(s.advance) * 30 * time.Second)
				err := x.t.Verify(ctx, "u1", x.codeAt(t, secret, s.offset))
				if s.want == "" {
					must(t, err)
				} else {
					okErr(t, err, s.want)
				}
			}
		})
	}
	t.Run("bad input", func(t *testing.T) {
		x := newTOTPHarness(t)
		x.enroll(t, "u1")
		for _, c := range []string{"", "12345", "1234567", "abcdef", "12345\x00", "١٢٣٤٥٦"} {
			okErr(t, x.t.Verify(ctx, "u1", c), onboardkit.CodeInvalidCode)
		}
		okErr(t, x.t.Verify(ctx, "nobody", "123456"), onboardkit.CodeInvalidTransition)
	})
	t.Run("eight digits, 60 s", func(t *testing.T) {
		x := newTOTPHarness(t, func(c *TOTPConfig) { c.Digits = 8; c.Period = time.Minute })
		secret, _ := x.enroll(t, "u1")
		code := x.codeAt(t, secret, 0)
		eq(t, len(code), 8)
		must(t, x.t.Verify(ctx, "u1", code))
	})
	t.Run("sealed secret is refused", func(t *testing.T) {
		x := newTOTPHarness(t)
		must(t, x.store.PutTOTP(ctx, &storage.TOTPEnrollment{UserID: "u1", Secret: storage.Sealed{KeyRef: "kms:1", Data: []byte("xx")}, Confirmed: true}))
		err := x.t.Verify(ctx, "u1", "123456")
		isTrue(t, err != nil && onboardkit.ErrorCode(err) == onboardkit.CodeInternal && strings.Contains(err.Error(), "kms:1"), err)
	})
}

func TestTOTPConcurrentReplay(t *testing.T) {
	x := newTOTPHarness(t)
	secret, _ := x.enroll(t, "u1")
	code := x.codeAt(t, secret, 0)
	var wins, refused atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := x.t.Verify(context.Background(), "u1", code)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, onboardkit.ErrInvalidCode):
				refused.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	eq(t, wins.Load(), int32(1))
	eq(t, refused.Load(), int32(19))
}

func TestRecoveryCodes(t *testing.T) {
	x := newTOTPHarness(t)
	ctx := context.Background()
	_, rc := x.enroll(t, "u1")
	_, rc2 := x.enroll(t, "u2")
	must(t, x.t.UseRecoveryCode(ctx, "u1", rc[0]))
	okErr(t, x.t.UseRecoveryCode(ctx, "u1", rc[0]), onboardkit.CodeInvalidCode)
	must(t, x.t.UseRecoveryCode(ctx, "u1", " "+strings.ToUpper(strings.ReplaceAll(rc[1], "-", " "))+" "))
	okErr(t, x.t.UseRecoveryCode(ctx, "u1", rc2[0]), onboardkit.CodeInvalidCode) // another user's
	okErr(t, x.t.UseRecoveryCode(ctx, "u1", "short"), onboardkit.CodeInvalidCode)
	okErr(t, x.t.UseRecoveryCode(ctx, "u1", "aaaa-aaaa-aaaa-aaaa"), onboardkit.CodeInvalidCode)
	n, err := x.t.RecoveryCodesRemaining(ctx, "u1")
	must(t, err)
	eq(t, n, 8)
	fresh, err := x.t.NewRecoveryCodes(ctx, "u1")
	must(t, err)
	okErr(t, x.t.UseRecoveryCode(ctx, "u1", rc[2]), onboardkit.CodeInvalidCode)
	must(t, x.t.UseRecoveryCode(ctx, "u1", fresh[9]))
	// Concurrent use of one code: exactly one succeeds.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if x.t.UseRecoveryCode(context.Background(), "u1", fresh[0]) == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	eq(t, wins.Load(), int32(1))
	// Only hashes are stored: WithStore + a transaction that rolls back.
	boom := errors.New("rollback")
	err = x.store.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		must(t, x.t.WithStore(tx).UseRecoveryCode(ctx, "u1", fresh[1]))
		return boom
	})
	isTrue(t, errors.Is(err, boom))
	must(t, x.t.UseRecoveryCode(ctx, "u1", fresh[1]))
}
