package otp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"strings"
	"time"

	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

// RecoveryCodeCount is the number of recovery codes Confirm returns.
const RecoveryCodeCount = 10

// DefaultIssuer is the issuer authenticator apps show when
// TOTPConfig.Issuer is empty.
const DefaultIssuer = "onboardkit"

// TOTPConfig is the policy of a TOTP manager. Zero values take the
// documented defaults. The server key and the Runtime (clock, randomness)
// are arguments of NewTOTP, not settings.
type TOTPConfig struct {
	// Issuer names the service in authenticator apps (default
	// DefaultIssuer, "onboardkit"). It must not contain ':'.
	Issuer string
	// Skew is the number of time steps accepted on each side of the current
	// one (default 1). A negative value accepts the current step only.
	Skew int
	// Period is the time step (default 30 s, whole seconds).
	Period time.Duration
	// Digits is 6 (default) or 8.
	Digits int
	// QRSize is the width and height in pixels of Enrollment.QRPNG (default
	// 256); a negative value skips the image.
	QRSize int
}

// TOTP enrolls and verifies authenticator apps (RFC 6238, SHA-1, as every
// common app expects) over a storage.TOTP. It is safe for concurrent use.
//
// TOTP codes carry no attempt counter here: callers must rate-limit
// verification. A login answered with an authenticator app does so through a
// ChannelTOTP challenge of a Manager: Manager.CheckFactor counts its wrong
// answers like wrong one-time codes.
type TOTP struct {
	store storage.TOTP
	cfg   TOTPConfig
	rt    onboardkit.Runtime
	skew  uint
	mac   *keyedMAC
	box   SecretBox
}

// SecretBox seals TOTP secrets at rest. Without one a TOTP stores secrets
// in clear (storage.Sealed with an empty KeyRef); the onboarding Service
// always gives one, over package seal.
type SecretBox interface {
	SealSecret(ctx context.Context, userID string, secret []byte) (storage.Sealed, error)
	OpenSecret(ctx context.Context, userID string, sealed storage.Sealed) ([]byte, error)
}

// WithSecretBox returns a copy of t that seals the secrets it stores and
// opens the ones it reads with box.
func (t *TOTP) WithSecretBox(box SecretBox) *TOTP {
	c := *t
	c.box = box
	return &c
}

// Enrollment is a started authenticator enrollment, shown to the user once.
type Enrollment struct {
	// Secret is the base32 secret, for manual entry.
	Secret string
	// URL is the otpauth:// key URI.
	URL string
	// QRPNG is a PNG image of the QR code of URL (nil when disabled).
	QRPNG []byte
}

// NewTOTP returns a TOTP manager over store. key is the server key recovery
// codes are hashed with (HMAC-SHA256), at least MinKeyLength bytes; it may be
// the Manager's key. rt gives the clock and the random source of secrets and
// recovery codes (zero fields take the defaults of
// onboardkit.Runtime.WithDefaults). NewTOTP reports every invalid setting at
// once.
func NewTOTP(store storage.TOTP, key []byte, cfg TOTPConfig, rt onboardkit.Runtime) (*TOTP, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("otp: store is nil"))
	}
	if len(key) < MinKeyLength {
		errs = append(errs, fmt.Errorf("otp: the TOTP key must be at least %d bytes", MinKeyLength))
	}
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	} else if strings.Contains(cfg.Issuer, ":") {
		errs = append(errs, errors.New("otp: TOTPConfig.Issuer must not contain ':'"))
	}
	if cfg.Period == 0 {
		cfg.Period = 30 * time.Second
	} else if cfg.Period < time.Second || cfg.Period%time.Second != 0 {
		errs = append(errs, errors.New("otp: TOTPConfig.Period must be a positive whole number of seconds"))
	}
	if cfg.Digits == 0 {
		cfg.Digits = 6
	} else if cfg.Digits != 6 && cfg.Digits != 8 {
		errs = append(errs, errors.New("otp: TOTPConfig.Digits must be 6 or 8"))
	}
	skew := uint(1)
	if cfg.Skew > 0 {
		skew = uint(cfg.Skew)
	} else if cfg.Skew < 0 {
		skew = 0
	}
	if cfg.QRSize == 0 {
		cfg.QRSize = 256
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &TOTP{store: store, cfg: cfg, rt: rt.WithDefaults(), skew: skew, mac: newKeyedMAC(key)}, nil
}

// WithStore returns a shallow copy of t bound to another store (a
// transaction's).
func (t *TOTP) WithStore(s storage.TOTP) *TOTP {
	c := *t
	c.store = s
	return &c
}

func (t *TOTP) period() uint { return uint(t.cfg.Period / time.Second) }

func (t *TOTP) opts() hotp.ValidateOpts {
	return hotp.ValidateOpts{Digits: potp.Digits(t.cfg.Digits), Algorithm: potp.AlgorithmSHA1}
}

// Begin starts (or restarts) an enrollment: it generates a secret, stores it
// unconfirmed and returns it with its otpauth:// URL and QR code.
// accountName is the label shown in the app (the user's email or phone).
// A user with a confirmed enrollment gets invalid_transition: Disable first.
func (t *TOTP) Begin(ctx context.Context, userID, accountName string) (*Enrollment, error) {
	if userID == "" || accountName == "" {
		var fields []onboardkit.FieldError
		if userID == "" {
			fields = append(fields, onboardkit.FieldError{Field: "userId", Code: onboardkit.FieldRequired, Message: "The user id is required."})
		}
		if accountName == "" {
			fields = append(fields, onboardkit.FieldError{Field: "accountName", Code: onboardkit.FieldRequired, Message: "The account name is required."})
		}
		return nil, onboardkit.ValidationError(fields...)
	}
	cur, err := t.store.GetTOTP(ctx, userID)
	switch {
	case err == nil && cur.Confirmed:
		return nil, onboardkit.NewError(onboardkit.CodeInvalidTransition, "An authenticator app is already enrolled.")
	case err != nil && !errors.Is(err, storage.ErrNotFound):
		return nil, fmt.Errorf("otp: get totp: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      t.cfg.Issuer,
		AccountName: accountName,
		Period:      t.period(),
		Digits:      potp.Digits(t.cfg.Digits),
		Algorithm:   potp.AlgorithmSHA1,
		Rand:        t.rt.Rand,
	})
	if err != nil {
		return nil, fmt.Errorf("otp: generate totp key: %w", err)
	}
	e := &Enrollment{Secret: key.Secret(), URL: key.URL()}
	if t.cfg.QRSize > 0 {
		img, err := key.Image(t.cfg.QRSize, t.cfg.QRSize)
		if err != nil {
			return nil, fmt.Errorf("otp: qr code: %w", err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return nil, fmt.Errorf("otp: qr code: %w", err)
		}
		e.QRPNG = buf.Bytes()
	}
	secret := storage.Sealed{Data: []byte(key.Secret())}
	if t.box != nil {
		if secret, err = t.box.SealSecret(ctx, userID, secret.Data); err != nil {
			return nil, fmt.Errorf("otp: seal totp secret: %w", err)
		}
	}
	err = t.store.PutTOTP(ctx, &storage.TOTPEnrollment{UserID: userID, Secret: secret, CreatedAt: t.rt.Now()})
	if err != nil {
		return nil, fmt.Errorf("otp: put totp: %w", err)
	}
	return e, nil
}

// secretOf returns the clear secret of an enrollment, opened with the
// SecretBox when it is sealed.
func (t *TOTP) secretOf(ctx context.Context, e *storage.TOTPEnrollment) (string, error) {
	if e.Secret.KeyRef == "" {
		return string(e.Secret.Data), nil
	}
	if t.box == nil {
		return "", fmt.Errorf("otp: the TOTP secret is sealed with key %q and no SecretBox is configured", e.Secret.KeyRef)
	}
	b, err := t.box.OpenSecret(ctx, e.UserID, e.Secret)
	if err != nil {
		return "", fmt.Errorf("otp: open totp secret: %w", err)
	}
	return string(b), nil
}

// match returns the time step within the skew window whose code is code and
// that is later than the last used step. It reports replay when the code
// only matches a step already used.
func (t *TOTP) match(ctx context.Context, e *storage.TOTPEnrollment, code string) (step int64, ok, replay bool, err error) {
	secret, err := t.secretOf(ctx, e)
	if err != nil {
		return 0, false, false, err
	}
	code = normalizeCode(code)
	if len(code) != t.cfg.Digits || !allDigits(code) {
		return 0, false, false, nil
	}
	now := t.rt.Now().Unix()
	if now < 0 {
		return 0, false, false, nil
	}
	cur := now / int64(t.period())
	opts := t.opts()
	// Oldest first, so that of two matching steps the one that keeps the
	// replay guard lowest is taken.
	for s := cur - int64(t.skew); s <= cur+int64(t.skew); s++ {
		if s < 0 {
			continue
		}
		good, err := hotp.ValidateCustom(code, uint64(s), secret, opts)
		if err != nil {
			return 0, false, false, fmt.Errorf("otp: validate totp: %w", err)
		}
		if !good {
			continue
		}
		if s <= e.LastUsedStep {
			replay = true
			continue
		}
		return s, true, false, nil
	}
	return 0, false, replay, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// use checks code against e and records the matched step.
func (t *TOTP) use(ctx context.Context, e *storage.TOTPEnrollment, code string) (int64, error) {
	step, ok, replay, err := t.match(ctx, e, code)
	if err != nil {
		return 0, err
	}
	if replay {
		return 0, invalidCode("The code has already been used; wait for the next one.", nil)
	}
	if !ok {
		return 0, invalidCode("The code is not valid.", nil)
	}
	err = t.store.UseTOTPStep(ctx, e.UserID, step)
	if errors.Is(err, storage.ErrConflict) {
		return 0, invalidCode("The code has already been used; wait for the next one.", nil)
	}
	if err != nil {
		return 0, fmt.Errorf("otp: use totp step: %w", err)
	}
	return step, nil
}

// Confirm activates a started enrollment with a first valid code and returns
// RecoveryCodeCount single-use recovery codes, to show once (only their
// HMACs are stored). Errors: invalid_code, invalid_transition when no
// enrollment is pending.
//
// Run it in a unit of work (WithStore with the transaction's store) for
// one winner among concurrent confirmations with codes of different time
// steps: the step's use (UseTOTPStep) holds the enrollment until the unit
// ends, and Confirm reads the enrollment again after it, so the loser sees
// it confirmed (invalid_transition) instead of replacing the winner's
// recovery codes or storing an older step.
func (t *TOTP) Confirm(ctx context.Context, userID, code string) ([]string, error) {
	e, err := t.pending(ctx, userID)
	if err != nil {
		return nil, err
	}
	if _, err := t.use(ctx, e, code); err != nil {
		return nil, err
	}
	// The stored LastUsedStep is now at least the step used.
	if e, err = t.pending(ctx, userID); err != nil {
		return nil, err
	}
	e.Confirmed = true
	e.ConfirmedAt = t.rt.Now()
	if err := t.store.PutTOTP(ctx, e); err != nil {
		return nil, fmt.Errorf("otp: put totp: %w", err)
	}
	return t.NewRecoveryCodes(ctx, userID)
}

// pending returns the user's enrollment waiting for confirmation.
func (t *TOTP) pending(ctx context.Context, userID string) (*storage.TOTPEnrollment, error) {
	e, err := t.store.GetTOTP(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && e.Confirmed) {
		return nil, onboardkit.NewError(onboardkit.CodeInvalidTransition, "No authenticator enrollment is waiting for confirmation.")
	}
	if err != nil {
		return nil, fmt.Errorf("otp: get totp: %w", err)
	}
	return e, nil
}

// Verify accepts a code of the user's confirmed enrollment within the skew
// window, once: a time step accepted before is refused (replay guard).
// Errors: invalid_code, invalid_transition when the user has no confirmed
// enrollment.
func (t *TOTP) Verify(ctx context.Context, userID, code string) error {
	e, err := t.confirmed(ctx, userID)
	if err != nil {
		return err
	}
	_, err = t.use(ctx, e, code)
	return err
}

func (t *TOTP) confirmed(ctx context.Context, userID string) (*storage.TOTPEnrollment, error) {
	e, err := t.store.GetTOTP(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !e.Confirmed) {
		return nil, onboardkit.NewError(onboardkit.CodeInvalidTransition, "No authenticator app is enrolled.")
	}
	if err != nil {
		return nil, fmt.Errorf("otp: get totp: %w", err)
	}
	return e, nil
}

// NewRecoveryCodes replaces the user's recovery codes by RecoveryCodeCount
// new ones and returns them (formatted "xxxx-xxxx-xxxx-xxxx", 80 bits each).
func (t *TOTP) NewRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	codes := make([]string, RecoveryCodeCount)
	hashes := make([][]byte, RecoveryCodeCount)
	var raw [10]byte
	for i := range codes {
		if _, err := io.ReadFull(t.rt.Rand, raw[:]); err != nil {
			return nil, fmt.Errorf("otp: random recovery code: %w", err)
		}
		s := idEncoding.EncodeToString(raw[:]) // 16 characters
		codes[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		hashes[i] = t.recoveryHash(userID, s)
	}
	if err := t.store.SetRecoveryCodes(ctx, userID, hashes, t.rt.Now()); err != nil {
		return nil, fmt.Errorf("otp: set recovery codes: %w", err)
	}
	return codes, nil
}

func (t *TOTP) recoveryHash(userID, normalized string) []byte {
	return t.mac.sum(nil, labelRecovery, userID, normalized)
}

// normalizeRecovery lower-cases a recovery code and drops spaces and dashes.
func normalizeRecovery(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, code)
}

// UseRecoveryCode spends one of the user's recovery codes (case, spaces and
// dashes are ignored). A wrong or already used code is invalid_code; of
// concurrent uses of one code exactly one succeeds.
func (t *TOTP) UseRecoveryCode(ctx context.Context, userID, code string) error {
	n := normalizeRecovery(code)
	if len(n) != 16 {
		return invalidCode("The recovery code is not valid.", nil)
	}
	err := t.store.UseRecoveryCode(ctx, userID, t.recoveryHash(userID, n), t.rt.Now())
	if errors.Is(err, storage.ErrNotFound) {
		return invalidCode("The recovery code is not valid.", nil)
	}
	if err != nil {
		return fmt.Errorf("otp: use recovery code: %w", err)
	}
	return nil
}

// RecoveryCodesRemaining returns how many unused recovery codes the user has.
func (t *TOTP) RecoveryCodesRemaining(ctx context.Context, userID string) (int, error) {
	return t.store.CountRecoveryCodes(ctx, userID)
}

// Enrolled reports whether the user has a confirmed enrollment.
func (t *TOTP) Enrolled(ctx context.Context, userID string) (bool, error) {
	e, err := t.store.GetTOTP(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("otp: get totp: %w", err)
	}
	return e.Confirmed, nil
}

// Disable removes the user's enrollment and recovery codes. Disabling a user
// without enrollment is not an error.
func (t *TOTP) Disable(ctx context.Context, userID string) error {
	err := t.store.DeleteTOTP(ctx, userID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("otp: delete totp: %w", err)
	}
	return nil
}
