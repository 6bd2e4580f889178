// This file owns the configuration of a Service: every setting, its
// default, and the checks New runs before assembling the components.

package onboarding

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// LoginConfig configures login throttling. A throttle counts the failures
// of one key: the account for logins without a device token (and wrong
// current passwords of a password change), or one device of the user for
// logins presenting its valid device token.
type LoginConfig struct {
	// FreeFailures is how many consecutive failed logins of a key are
	// allowed before throttling starts (default 5). Concurrent attempts get
	// at most this many password checks: each reserves its failure in the
	// store before the check.
	FreeFailures int
	// BaseDelay is the first throttle delay; it doubles with each further
	// failure (default 30 s).
	BaseDelay time.Duration
	// MaxDelay caps the delay (default 15 min). Throttling never becomes a
	// permanent lock, and a stranger's failures never throttle the owner's
	// devices.
	MaxDelay time.Duration
	// DeviceTTL is how long a device token stays valid (default 180 days).
	DeviceTTL time.Duration
}

// RetentionConfig keeps the KYC records of erased users for a regulated
// period. The records stay sealed with the user's data key, which EraseUser
// re-wraps under Keyring: the service's keyring no longer opens them; a
// Sealer built with this keyring (seal.Sealer.WithRetention), held by the
// people the host's regulation names (its compliance officers), does.
// PurgeRetained destroys them once Period has passed.
type RetentionConfig struct {
	// Period is how long the KYC records of an erased user are kept (zero:
	// not kept).
	Period time.Duration
	// Keyring wraps the retained data keys (required with a Period). The
	// Service only wraps with it; keep it apart from the service's keyring
	// (with a KMS, give the service encrypt permission only).
	Keyring seal.Keyring
}

// Config configures a Service. Store, Secret, Keyring and
// Tokens.SigningKey are required, and a sender for each channel the flow uses; every other zero
// value is the documented default. Clock, Rand and Logger are given here
// once and passed to every component.
type Config struct {
	// Store persists everything. Required: the memory store is never a
	// silent default.
	Store storage.Store
	// SMS sends SMS codes and notices (required for phone sign-up).
	SMS otp.SMSSender
	// Email sends email codes and notices (required when the flow uses
	// email).
	Email otp.EmailSender
	// Secret keys the one-time-code HMACs, the recovery codes and
	// refresh-token rotation (each gets its own key derived from it). At
	// least 32 random bytes, the same on every replica. Required.
	Secret []byte
	// Keyring wraps the users' data keys: every personal value is sealed
	// with its user's data key before it reaches the store (package seal:
	// seal.ReadKeyringFile, seal.KeyringFromEnv, or a KMS). Required, the
	// same on every replica.
	Keyring seal.Keyring
	// Seal configures the data-key cache.
	Seal seal.Config
	// Retention keeps the KYC records of erased users, sealed under a
	// separate keyring, for a regulated period (default: none; EraseUser
	// shreds everything).
	Retention RetentionConfig

	// Flow configures the journey (zero value: the seed flow, DefaultFlow).
	Flow Flow
	// Roles says which roles users may carry (default: any well-formed
	// role an operator gives; none at sign-up).
	Roles RolesConfig
	// PasswordPolicy (nil: password.DefaultPolicy()). A policy is a rule
	// set whose zero fields switch rules off, so it starts from its default.
	PasswordPolicy *password.Policy
	// Hasher (default argon2id at OWASP parameters).
	Hasher PasswordHasher
	// OTP configures one-time codes (length, expiry, attempts, resend
	// cooldown, send limits, templates).
	OTP otp.Config
	// TOTP configures authenticator apps.
	TOTP otp.TOTPConfig
	// Tokens configures access and refresh tokens.
	Tokens TokenConfig
	// Login configures login throttling.
	Login LoginConfig

	// KYC configures validation, documents, risk rules and tier limits.
	KYC kyc.Config
	// Reviewer receives complete KYC submissions (optional). A reviewer that
	// decides at once (kyc.DevReviewer) has its decision applied
	// immediately; otherwise decisions arrive through RecordKYCDecision.
	Reviewer kyc.Reviewer
	// Portfolio configures accounts and portfolios (zero value: 20
	// portfolios per account, auto-provisioning on).
	Portfolio portfolio.Config
	// Addresses derives portfolio deposit addresses (e.g.
	// portfolio.NewBitcoinDeriver over an account-level extended public
	// key). Without it portfolios cannot be created.
	Addresses portfolio.AddressProvider

	// DefaultRegion is the region (ISO 3166-1 alpha-2, e.g. "FR") used to
	// parse phone numbers written without a country code. Empty (the
	// default) requires international format.
	DefaultRegion string
	// AllowFixedLine accepts fixed-line numbers at sign-up (default: mobile
	// numbers only, since codes go by SMS).
	AllowFixedLine bool
	// EnumerationSafeSignUp answers a sign-up with a taken phone or email
	// like a successful one and notifies the owner. By default (the seed
	// behaviour) such a sign-up answers identifier_taken.
	EnumerationSafeSignUp bool
	// UnconfirmedTTL bounds how long a sign-up that is never confirmed
	// holds its phone (or email): after it, or once its confirmation
	// challenge expired or burned, a new sign-up with that identifier
	// replaces it (default 1 hour).
	UnconfirmedTTL time.Duration
	// RecentAuth is how recent the last login must be for sensitive
	// changes: a confirmed email or phone, and authenticator enrollment
	// (default 10 minutes).
	RecentAuth time.Duration
	// WebAuthn is the relying party of passkeys (passkeys.go); passkeys
	// are disabled while its RPID is empty.
	WebAuthn WebAuthnConfig

	// Clock (default onboardkit.SystemClock) and Rand (default
	// crypto/rand.Reader; an injected one need not be safe for concurrent
	// use) are injected for tests.
	Clock onboardkit.Clock
	Rand  io.Reader
	// Logger receives operational logs; never PII or secrets (default: a
	// logger that discards).
	Logger *slog.Logger
	// Meter and Tracer receive the OpenTelemetry metrics and spans of the
	// Service and of the handler serving it (default: the global
	// providers). See telemetry.go for what is reported.
	Meter  metric.MeterProvider
	Tracer trace.TracerProvider
	// Hooks receive every event after commit.
	Hooks []Hook
}

// check reports every missing or invalid required setting at once.
func (cfg Config) check() error {
	var problems []error
	if cfg.Store == nil {
		problems = append(problems, errors.New("a Store is required (use storage/memory or storage/postgres)"))
	}
	if len(cfg.Secret) < 32 {
		problems = append(problems, errors.New("the Secret must be at least 32 bytes"))
	}
	if err := cfg.Flow.validate(); err != nil {
		problems = append(problems, err)
	}
	if cfg.SMS == nil && !cfg.Flow.EmailFirst() {
		problems = append(problems, errors.New("an SMS sender is required for phone sign-up"))
	}
	if cfg.Email == nil && (cfg.Flow.EmailFirst() || cfg.Flow.emailRequired()) {
		problems = append(problems, errors.New("an Email sender is required when the flow uses email"))
	}
	if cfg.Tokens.SigningKey.Key == nil {
		problems = append(problems, errors.New("a Tokens.SigningKey is required (see NewSigningKey)"))
	}
	if cfg.Keyring == nil {
		problems = append(problems, errors.New("a Keyring is required: personal data is sealed at rest (see package seal)"))
	}
	switch r := cfg.Retention; {
	case r.Period > 0 && r.Keyring == nil:
		problems = append(problems, errors.New("Retention.Period needs a Retention.Keyring"))
	case r.Keyring != nil && cfg.Keyring != nil && r.Keyring.Current() == cfg.Keyring.Current():
		// Data keys name their wrapping key by id: one id for two keyrings
		// would blur which one a key is under.
		problems = append(problems, fmt.Errorf("Retention.Keyring's current key %q is also Keyring's: give the retention keys ids of their own", r.Keyring.Current()))
	}
	for _, r := range append(slices.Clone(cfg.Roles.Allowed), cfg.Roles.SelfAssigned...) {
		if !validLabel(r, maxRoleLabelBytes, false) {
			problems = append(problems, fmt.Errorf("the role %q is not 1 to 64 of a-z, 0-9, '_', '.', ':' and '-'", r))
		}
	}
	for _, r := range cfg.Roles.SelfAssigned {
		if len(cfg.Roles.Allowed) > 0 && !slices.Contains(cfg.Roles.Allowed, r) {
			problems = append(problems, fmt.Errorf("the self-assigned role %q is not in Roles.Allowed", r))
		}
	}
	problems = append(problems, cfg.WebAuthn.check()...)
	if len(problems) > 0 {
		return fmt.Errorf("onboarding: invalid config: %w", errors.Join(problems...))
	}
	return nil
}

// withDefaults fills the zero settings New does not hand to a component's
// own constructor.
func (cfg Config) withDefaults() Config {
	cfg.Flow = cfg.Flow.normalized()
	if cfg.PasswordPolicy == nil {
		cfg.PasswordPolicy = password.DefaultPolicy()
	}
	if cfg.RecentAuth <= 0 {
		cfg.RecentAuth = 10 * time.Minute
	}
	if cfg.Login.FreeFailures <= 0 {
		cfg.Login.FreeFailures = 5
	}
	if cfg.Login.BaseDelay <= 0 {
		cfg.Login.BaseDelay = 30 * time.Second
	}
	if cfg.Login.MaxDelay <= 0 {
		cfg.Login.MaxDelay = 15 * time.Minute
	}
	if cfg.Login.DeviceTTL <= 0 {
		cfg.Login.DeviceTTL = 180 * 24 * time.Hour
	}
	if cfg.UnconfirmedTTL <= 0 {
		cfg.UnconfirmedTTL = time.Hour
	}
	return cfg
}

// runtime is the Runtime every component receives.
func (cfg Config) runtime() onboardkit.Runtime {
	return onboardkit.Runtime{Clock: cfg.Clock, Rand: cfg.Rand, Logger: cfg.Logger, Meter: cfg.Meter, Tracer: cfg.Tracer}.WithDefaults()
}
