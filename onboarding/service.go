package onboarding

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/kyc"
	"github.com/onboardkit/onboardkit/otp"
	"github.com/onboardkit/onboardkit/password"
	"github.com/onboardkit/onboardkit/portfolio"
	"github.com/onboardkit/onboardkit/storage"
)

// PasswordHasher hashes and verifies passwords. *password.Hasher implements
// it; tests may plug a cheaper one.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (bool, error)
	NeedsRehash(encoded string) bool
	// DummyVerify costs what Verify costs, for unknown users; it returns
	// only context errors.
	DummyVerify(ctx context.Context, password string) error
}

// Hook receives events after the step that raised them committed. An error
// is logged; it never undoes the step.
type Hook func(ctx context.Context, e Event) error

// Event is something that happened to a user. Data never holds secrets or
// clear PII.
type Event struct {
	Type   string            `json:"type"`
	UserID string            `json:"userId"`
	At     time.Time         `json:"at"`
	Data   map[string]string `json:"data,omitempty"`
}

// Event types.
const (
	EventUserRegistered       = "user.registered"
	EventPhoneConfirmed       = "phone.confirmed"
	EventPhoneChanged         = "phone.changed"
	EventEmailConfirmed       = "email.confirmed"
	EventEmailChangeRequested = "email.change_requested"
	EventLoginSucceeded       = "login.succeeded"
	EventLoginFailed          = "login.failed"
	EventPasswordReset        = "password.reset"
	EventPasswordChanged      = "password.changed"
	EventSessionRefreshed     = "session.refreshed"
	EventSessionReuseDetected = "session.reuse_detected"
	EventSessionRevoked       = "session.revoked"
	EventTOTPEnabled          = "totp.enabled"
	EventRecoveryCodeUsed     = "totp.recovery_code_used"
	EventSignUpDuplicate      = "signup.duplicate_attempt"
)

// LoginConfig configures login throttling.
type LoginConfig struct {
	// FreeFailures is how many consecutive failed logins are allowed before
	// throttling starts (default 5).
	FreeFailures int
	// BaseDelay is the first throttle delay; it doubles with each further
	// failure (default 30 s).
	BaseDelay time.Duration
	// MaxDelay caps the delay (default 15 min). Throttling never becomes a
	// permanent lock, so strangers cannot lock a customer out.
	MaxDelay time.Duration
}

// Config configures a Service. Store and Secret and Tokens.SigningKey are
// required, and a sender for each channel the flow uses.
type Config struct {
	// Store persists everything. Required: the memory store is never a
	// silent default.
	Store storage.Store
	// SMS sends SMS codes (required for phone sign-up).
	SMS otp.SMSSender
	// Email sends email codes (required when the flow uses email).
	Email otp.EmailSender
	// Secret keys the one-time-code HMACs and refresh-token rotation. At
	// least 32 random bytes, the same on every replica. Required.
	Secret []byte

	// Flow configures the journey (zero value: DefaultFlow()).
	Flow Flow
	// PasswordPolicy (default password.DefaultPolicy()).
	PasswordPolicy *password.Policy
	// Hasher (default argon2id at OWASP parameters).
	Hasher PasswordHasher
	// OTP configures one-time codes. Key, Clock, Rand, SMS and Email are
	// filled from this Config when empty.
	OTP otp.Config
	// TOTP configures authenticator apps. Clock and Rand filled as above.
	TOTP otp.TOTPConfig
	// Tokens configures access and refresh tokens.
	Tokens TokenConfig
	// Login configures login throttling.
	Login LoginConfig

	// KYC configures validation, documents, risk rules and tier limits
	// (Clock and Rand filled from this Config when empty).
	KYC kyc.Config
	// Reviewer receives complete KYC submissions (optional). A reviewer that
	// decides at once (kyc.DevReviewer) has its decision applied
	// immediately; otherwise decisions arrive through RecordKYCDecision.
	Reviewer kyc.Reviewer
	// Portfolio configures accounts and portfolios (nil means
	// portfolio.DefaultConfig(): auto-provisioning on).
	Portfolio *portfolio.Config
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
	// like a successful one and notifies the owner, instead of answering
	// identifier_taken (the seed behaviour, the default).
	EnumerationSafeSignUp bool
	// RecentAuth is how recent a login must be to change the email of a
	// confirmed user (default 10 minutes).
	RecentAuth time.Duration

	// Clock (default onboardkit.SystemClock) and Rand (default
	// crypto/rand.Reader) are injected for tests.
	Clock onboardkit.Clock
	Rand  io.Reader
	// Logger receives operational logs; never PII or secrets (default: a
	// logger that discards).
	Logger *slog.Logger
	// Hooks receive every event after commit.
	Hooks []Hook
}

// Service is the onboarding façade: one method per step of the journey. It
// is safe for concurrent use and keeps no state of its own beyond its
// configuration, so any number of replicas can share one store.
type Service struct {
	cfg     Config
	store   storage.Store
	flow    Flow
	policy  *password.Policy
	hasher  PasswordHasher
	codes   *otp.Manager
	totp    *otp.TOTP
	tokens  *tokenIssuer
	kyc     *kyc.Validator
	planner *portfolio.Planner
	clock   onboardkit.Clock
	rand    io.Reader
	log     *slog.Logger
	hooks   []Hook
}

// New validates cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	var problems []error
	if cfg.Store == nil {
		problems = append(problems, errors.New("Store is required (use storage/memory or storage/postgres)"))
	}
	if len(cfg.Secret) < 32 {
		problems = append(problems, errors.New("Secret must be at least 32 bytes"))
	}
	if cfg.Flow == (Flow{}) {
		cfg.Flow = DefaultFlow()
	}
	if cfg.Flow.SignUp != SignUpWithPhone && cfg.Flow.SignUp != SignUpWithEmail {
		problems = append(problems, fmt.Errorf("Flow.SignUp %q is not %q or %q", cfg.Flow.SignUp, SignUpWithPhone, SignUpWithEmail))
	}
	if cfg.SMS == nil && cfg.Flow.SignUp == SignUpWithPhone {
		problems = append(problems, errors.New("SMS sender is required for phone sign-up"))
	}
	if cfg.Email == nil && (cfg.Flow.SignUp == SignUpWithEmail || cfg.Flow.RequireEmail) {
		problems = append(problems, errors.New("Email sender is required when the flow uses email"))
	}
	if cfg.Tokens.SigningKey.Key == nil {
		problems = append(problems, errors.New("Tokens.SigningKey is required (see NewSigningKey)"))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("onboarding: invalid config: %w", errors.Join(problems...))
	}
	if cfg.Clock == nil {
		cfg.Clock = onboardkit.SystemClock
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	} else {
		cfg.Rand = &lockedReader{r: cfg.Rand}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PasswordPolicy == nil {
		cfg.PasswordPolicy = password.DefaultPolicy()
	}
	if cfg.Hasher == nil {
		h, err := password.NewHasher(password.HasherConfig{}, onboardkit.Runtime{Rand: cfg.Rand})
		if err != nil {
			return nil, fmt.Errorf("onboarding: %w", err)
		}
		cfg.Hasher = h
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

	oc := cfg.OTP
	if oc.Key == nil {
		oc.Key = deriveKey(cfg.Secret, "onboardkit otp")
	}
	if oc.Clock == nil {
		oc.Clock = cfg.Clock
	}
	if oc.Rand == nil {
		oc.Rand = cfg.Rand
	}
	if oc.SMS == nil {
		oc.SMS = cfg.SMS
	}
	if oc.Email == nil {
		oc.Email = cfg.Email
	}
	codes, err := otp.NewManager(cfg.Store, oc)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	tc := cfg.TOTP
	if tc.Clock == nil {
		tc.Clock = cfg.Clock
	}
	if tc.Rand == nil {
		tc.Rand = cfg.Rand
	}
	if tc.Key == nil {
		tc.Key = deriveKey(cfg.Secret, "onboardkit totp")
	}
	if tc.Issuer == "" {
		tc.Issuer = "onboardkit"
	}
	totp, err := otp.NewTOTP(cfg.Store, tc)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	tokens, err := newTokenIssuer(cfg.Tokens, cfg.Secret)
	if err != nil {
		return nil, err
	}
	kc := cfg.KYC
	if kc.Clock == nil {
		kc.Clock = cfg.Clock
	}
	if kc.Rand == nil {
		kc.Rand = cfg.Rand
	}
	kv, err := kyc.NewValidator(kc)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	pc := portfolio.DefaultConfig()
	if cfg.Portfolio != nil {
		pc = *cfg.Portfolio
	}
	planner, err := portfolio.NewPlanner(pc)
	if err != nil {
		return nil, fmt.Errorf("onboarding: %w", err)
	}
	return &Service{
		cfg:     cfg,
		store:   cfg.Store,
		flow:    cfg.Flow,
		policy:  cfg.PasswordPolicy,
		hasher:  cfg.Hasher,
		codes:   codes,
		totp:    totp,
		tokens:  tokens,
		kyc:     kv,
		planner: planner,
		clock:   cfg.Clock,
		rand:    cfg.Rand,
		log:     cfg.Logger,
		hooks:   cfg.Hooks,
	}, nil
}

// Flow returns the configured flow.
func (s *Service) Flow() Flow { return s.flow }

// JWKS returns the JSON Web Key Set of the access-token verification keys,
// as served at /.well-known/jwks.json.
func (s *Service) JWKS() []byte { return append([]byte(nil), s.tokens.jwks...) }

// VerifyAccessToken checks an access token for host middleware: signature,
// issuer, expiry, and the user's cutoff, so tokens issued before a password
// reset or a sign-out-everywhere are refused even if not yet expired.
func (s *Service) VerifyAccessToken(ctx context.Context, token string) (*AccessClaims, error) {
	c, err := s.tokens.parseAccess(token, s.clock.Now())
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, c.UserID)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return nil, onboardkit.ErrInvalidToken
		}
		return nil, s.internal(ctx, "verify token", err)
	}
	// JWT times have second precision: a token is refused when it was
	// issued in a second strictly before the cutoff's.
	if !u.TokensValidAfter.IsZero() && c.IssuedAt.Before(u.TokensValidAfter.Truncate(time.Second)) {
		return nil, onboardkit.ErrInvalidToken
	}
	return c, nil
}

// now returns the current time from the injected clock, in UTC.
func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// newID returns a random UUID (version 4) from the injected random source.
func (s *Service) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("onboarding: random id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// internal logs an unexpected failure and returns it wrapped in an internal
// error whose message reveals nothing.
func (s *Service) internal(ctx context.Context, op string, err error) error {
	var oe *onboardkit.Error
	if errors.As(err, &oe) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	s.log.ErrorContext(ctx, "onboarding: "+op+" failed", slog.String("error", err.Error()))
	return &onboardkit.Error{Code: onboardkit.CodeInternal, Message: "An internal error occurred.", Err: err}
}

// event builds an event at the current time.
func (s *Service) event(typ, userID string, kv ...string) Event {
	e := Event{Type: typ, UserID: userID, At: s.now()}
	if len(kv) > 0 {
		e.Data = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Data[kv[i]] = kv[i+1]
		}
	}
	return e
}

// record appends events to the audit log of st (a Tx store, so they commit
// with the step).
func (s *Service) record(ctx context.Context, st storage.Store, evs ...Event) error {
	for _, e := range evs {
		id, err := s.newID()
		if err != nil {
			return err
		}
		if err := st.AppendEvent(ctx, &storage.Event{ID: id, Type: e.Type, UserID: e.UserID, At: e.At, Data: e.Data}); err != nil {
			return err
		}
	}
	return nil
}

// emit runs the hooks for events that committed. A failing hook is logged.
func (s *Service) emit(ctx context.Context, evs ...Event) {
	for _, e := range evs {
		for _, h := range s.hooks {
			if err := h(ctx, e); err != nil {
				s.log.WarnContext(ctx, "onboarding: event hook failed",
					slog.String("event", e.Type), slog.String("user_id", e.UserID), slog.String("error", err.Error()))
			}
		}
	}
}

// recordAndEmit appends events outside any step transaction and emits them;
// used for events of steps that fail (login.failed, reuse detected).
func (s *Service) recordAndEmit(ctx context.Context, evs ...Event) {
	if err := s.record(ctx, s.store, evs...); err != nil {
		s.log.ErrorContext(ctx, "onboarding: audit append failed", slog.String("error", err.Error()))
	}
	s.emit(ctx, evs...)
}

// updateUser re-reads the user and applies fn until the versioned update
// succeeds (a bounded number of times).
func (s *Service) updateUser(ctx context.Context, st storage.Store, id string, fn func(u *storage.User) error) (*storage.User, error) {
	for i := 0; ; i++ {
		u, err := st.GetUser(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := fn(u); err != nil {
			return nil, err
		}
		u.UpdatedAt = s.now()
		err = st.UpdateUser(ctx, u)
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, storage.ErrConflict) || i >= 4 {
			return nil, err
		}
	}
}

// lockedReader serialises reads of an injected random source that may not
// be safe for concurrent use.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(p)
}
