// This file owns the Manager itself: its policy (Config and the defaults),
// the senders it delivers through, its construction and validation
// (NewManager), the store it works on (WithStore), and reading a challenge
// (Get, and the lookups Check, CheckFactor and Resend start from).

package otp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/storage"
)

// Defaults of Config.
const (
	DefaultCodeLength        = 6
	DefaultTTL               = 10 * time.Minute
	DefaultMaxAttempts       = 5
	DefaultResendCooldown    = 30 * time.Second
	DefaultMaxSends          = 5
	DefaultDestinationLimit  = 10
	DefaultDestinationWindow = time.Hour
	// MinKeyLength is the minimum length of the server key given to
	// NewManager and NewTOTP.
	MinKeyLength = 32
)

// Config is the policy of a Manager. Zero values take the documented
// defaults. The server key, the senders and the Runtime (clock, randomness)
// are arguments of NewManager, not settings.
type Config struct {
	// CodeLength is the number of digits of a code, 4 to 10 (default 6).
	CodeLength int
	// TTL is how long a code stays valid (default 10 minutes). Each resend
	// gives the new code a fresh TTL. A ChannelTOTP challenge stays open as
	// long.
	TTL time.Duration
	// MaxAttempts is the number of wrong answers that burns a challenge
	// (default 5).
	MaxAttempts int
	// ResendCooldown is the wait after the first send before a resend is
	// allowed (default 30 s); it doubles after each send (30, 60, 120, 240 s).
	ResendCooldown time.Duration
	// MaxSends is the number of messages a challenge may send, the first one
	// included (default 5).
	MaxSends int
	// DestinationLimit is the number of messages one destination may receive
	// per DestinationWindow across all challenges (default 10). A negative
	// value disables the limit.
	DestinationLimit int
	// DestinationWindow is the fixed window of DestinationLimit (default 1 h).
	DestinationWindow time.Duration
	// Templates renders messages (default NewTemplates(), English and French).
	Templates *Templates
}

// Senders deliver the messages of a Manager, one per channel. Either may be
// nil when its channel is not used: issuing on that channel then returns
// ErrNoSender. ChannelTOTP needs none.
type Senders struct {
	// SMS delivers ChannelSMS codes.
	SMS SMSSender
	// Email delivers ChannelEmail codes.
	Email EmailSender
}

// Manager issues, sends, resends and verifies one-time codes, and holds the
// login challenges answered with an authenticator app (ChannelTOTP). It
// holds no state besides its configuration: every replica sharing the store
// sees the same challenges. A Manager is safe for concurrent use.
type Manager struct {
	store   storage.Challenges
	cfg     Config
	senders Senders
	rt      onboardkit.Runtime
	mac     *keyedMAC
}

// NewManager returns a Manager storing challenges in store. key is the HMAC
// server key, at least MinKeyLength (32) bytes of secret randomness;
// changing it invalidates every pending challenge. rt gives the clock and the
// random source of ids and codes (zero fields take the defaults of
// onboardkit.Runtime.WithDefaults). NewManager reports every invalid
// setting at once.
func NewManager(store storage.Challenges, key []byte, senders Senders, cfg Config, rt onboardkit.Runtime) (*Manager, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("otp: store is nil"))
	}
	if len(key) < MinKeyLength {
		errs = append(errs, fmt.Errorf("otp: the key must be at least %d bytes", MinKeyLength))
	}
	if cfg.CodeLength == 0 {
		cfg.CodeLength = DefaultCodeLength
	} else if cfg.CodeLength < 4 || cfg.CodeLength > 10 {
		errs = append(errs, errors.New("otp: Config.CodeLength must be between 4 and 10"))
	}
	def := func(d *time.Duration, v time.Duration, name string) {
		if *d == 0 {
			*d = v
		} else if *d < 0 {
			errs = append(errs, fmt.Errorf("otp: Config.%s must not be negative", name))
		}
	}
	def(&cfg.TTL, DefaultTTL, "TTL")
	def(&cfg.ResendCooldown, DefaultResendCooldown, "ResendCooldown")
	def(&cfg.DestinationWindow, DefaultDestinationWindow, "DestinationWindow")
	defInt := func(n *int, v int, name string) {
		if *n == 0 {
			*n = v
		} else if *n < 0 {
			errs = append(errs, fmt.Errorf("otp: Config.%s must not be negative", name))
		}
	}
	defInt(&cfg.MaxAttempts, DefaultMaxAttempts, "MaxAttempts")
	defInt(&cfg.MaxSends, DefaultMaxSends, "MaxSends")
	if cfg.DestinationLimit == 0 {
		cfg.DestinationLimit = DefaultDestinationLimit
	}
	if cfg.Templates == nil {
		cfg.Templates = NewTemplates()
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Manager{store: store, cfg: cfg, senders: senders, rt: rt.WithDefaults(), mac: newKeyedMAC(key)}, nil
}

// WithStore returns a shallow copy of m bound to another store, typically the
// one a storage transaction passes to its function.
func (m *Manager) WithStore(s storage.Challenges) *Manager {
	c := *m
	c.store = s
	return &c
}

// Get returns a copy of the challenge, whatever its channel and state. An
// unknown id is an invalid_code error that also wraps storage.ErrNotFound.
func (m *Manager) Get(ctx context.Context, challengeID string) (*Challenge, error) {
	c, err := m.get(ctx, challengeID)
	if err != nil {
		return nil, err
	}
	v := m.view(c)
	return &v, nil
}

// get reads a challenge. An id that is not one this package issues (26
// characters of its base32 alphabet) reads as unknown without reaching the
// store, so no input can make the store fail.
func (m *Manager) get(ctx context.Context, challengeID string) (*storage.Challenge, error) {
	if !validID(challengeID) {
		return nil, errUnknown(storage.ErrNotFound)
	}
	c, err := m.store.GetChallenge(ctx, challengeID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errUnknown(err)
	}
	if err != nil {
		return nil, fmt.Errorf("otp: get challenge: %w", err)
	}
	return c, nil
}

// load reads a challenge answered with a code, for Check and Resend:
// unknown ids, purpose mismatches and ChannelTOTP (or code-less) challenges
// all read as invalid_code.
func (m *Manager) load(ctx context.Context, challengeID string, purpose Purpose) (*storage.Challenge, error) {
	c, err := m.loadAny(ctx, challengeID, purpose)
	if err != nil {
		return nil, err
	}
	if Channel(c.Channel).IsFactor() || len(c.CodeHash) == 0 {
		return nil, errUnknown(storage.ErrNotFound)
	}
	return c, nil
}

// loadAny reads a challenge of any channel for purpose.
func (m *Manager) loadAny(ctx context.Context, challengeID string, purpose Purpose) (*storage.Challenge, error) {
	c, err := m.get(ctx, challengeID)
	if err != nil {
		return nil, err
	}
	if Purpose(c.Purpose) != purpose {
		return nil, errUnknown(storage.ErrNotFound)
	}
	return c, nil
}
