package onboarding

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/otp/otptest"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// fakeHasher is a fast PasswordHasher for tests: SHA-256 with a prefix. It
// counts calls so tests can prove which path ran.
type fakeHasher struct {
	hashes, verifies, dummies atomic.Int64
	rehash                    string // prefix of hashes that need a rehash
}

func (h *fakeHasher) Hash(_ context.Context, pw string) (string, error) {
	h.hashes.Add(1)
	sum := sha256.Sum256([]byte(pw))
	return "fake$" + hex.EncodeToString(sum[:]), nil
}

func (h *fakeHasher) Verify(_ context.Context, pw, encoded string) (bool, error) {
	h.verifies.Add(1)
	if !strings.HasPrefix(encoded, "fake$") && !strings.HasPrefix(encoded, "old$") {
		return false, errors.New("fake: unknown hash")
	}
	sum := sha256.Sum256([]byte(pw))
	want := encoded[strings.IndexByte(encoded, '$')+1:]
	return subtle.ConstantTimeCompare([]byte(want), []byte(hex.EncodeToString(sum[:]))) == 1, nil
}

func (h *fakeHasher) NeedsRehash(encoded string) bool {
	return h.rehash != "" && strings.HasPrefix(encoded, h.rehash)
}

func (h *fakeHasher) DummyVerify(ctx context.Context, pw string) error {
	h.dummies.Add(1)
	_, _ = h.Verify(ctx, pw, "fake$00")
	h.verifies.Add(-1)
	return nil
}

// seqReader is a deterministic random source for tests.
type seqReader struct{ r *rand.ChaCha8 }

func newSeqReader(seed byte) *seqReader {
	var s [32]byte
	s[0] = seed
	return &seqReader{r: rand.NewChaCha8(s)}
}

func (s *seqReader) Read(p []byte) (int, error) { return s.r.Read(p) }

type harness struct {
	t      testing.TB
	svc    *Service
	store  storage.Store
	clock  *clocktest.Clock
	sms    *otptest.Recorder
	email  *otptest.Recorder
	hasher *fakeHasher

	mu     sync.Mutex
	events []Event
}

// stores lists the adapters the service suite runs on.
var stores = []struct {
	name string
	new  func(t testing.TB) storage.Store
}{
	{"memory", func(testing.TB) storage.Store { return memory.New() }},
	{"postgres", func(t testing.TB) storage.Store { return postgrestest.New(t) }},
}

// eachHarness runs fn once per storage adapter with a harness on a fresh
// store.
func eachHarness(t *testing.T, fn func(t *testing.T, h *harness), mods ...func(*Config)) {
	t.Helper()
	eachStore(t, func(t *testing.T, newStore func(t *testing.T) storage.Store) {
		fn(t, newHarness(t, newStore(t), mods...))
	})
}

// eachStore runs fn once per storage adapter.
func eachStore(t *testing.T, fn func(t *testing.T, newStore func(t *testing.T) storage.Store)) {
	t.Helper()
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { fn(t, func(t *testing.T) storage.Store { return st.new(t) }) })
	}
}

const testPassword = "correct-horse-7-battery"

// testKeyring returns a one-key keyring drawn from a deterministic source.
func testKeyring(t testing.TB, id string, seed byte) *seal.LocalKeyring {
	t.Helper()
	k, _, err := seal.GenerateKey(id, newSeqReader(seed))
	require.NoError(t, err)
	ring, err := seal.NewLocalKeyring(k)
	require.NoError(t, err)
	return ring
}

func newHarness(t testing.TB, st storage.Store, mods ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, store: st, clock: clocktest.Default(), sms: otptest.NewRecorder(), email: otptest.NewRecorder(), hasher: &fakeHasher{}}
	key, err := NewSigningKey("k1", newSeqReader(9))
	require.NoError(t, err)
	cfg := Config{
		Store:   st,
		SMS:     h.sms,
		Email:   h.email,
		Secret:  []byte("0123456789abcdef0123456789abcdef"),
		Hasher:  h.hasher,
		Keyring: testKeyring(t, "k1", 3),
		Tokens:  TokenConfig{SigningKey: key},
		Clock:   h.clock,
		Rand:    newSeqReader(1),
		Hooks: []Hook{func(_ context.Context, e Event) error {
			for k := range e.Data {
				if !slices.Contains(EventDataKeys(), k) {
					t.Errorf("event %s holds data key %q, which EventDataKeys does not list", e.Type, k)
				}
			}
			if !slices.Contains(EventTypes(), e.Type) {
				t.Errorf("event type %q is not in EventTypes", e.Type)
			}
			h.mu.Lock()
			h.events = append(h.events, e)
			h.mu.Unlock()
			return nil
		}},
	}
	for _, m := range mods {
		m(&cfg)
	}
	h.svc, err = New(cfg)
	require.NoError(t, err)
	return h
}

func (h *harness) eventTypes() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, len(h.events))
	for i, e := range h.events {
		out[i] = e.Type
	}
	return out
}

var phoneSeq atomic.Int64

// newPhone returns a distinct valid French mobile number.
func newPhone() string {
	return fmt.Sprintf("+3361%07d", phoneSeq.Add(1))
}

// signUp registers a user and returns the result and the code sent.
func (h *harness) signUp(phone string) (*SignUpResult, string) {
	h.t.Helper()
	res, err := h.svc.SignUp(context.Background(), SignUpRequest{PhoneNumber: phone, Password: testPassword})
	require.NoError(h.t, err)
	return res, h.sms.LastCode(phone)
}

// confirmed signs up and confirms the phone.
func (h *harness) confirmed(phone string) *AuthResult {
	h.t.Helper()
	res, code := h.signUp(phone)
	a, err := h.svc.ConfirmPhone(context.Background(), res.Challenge.ChallengeID, code)
	require.NoError(h.t, err)
	return a
}

// withEmail signs up, confirms the phone, adds and confirms an email.
func (h *harness) withEmail(phone, email string) *AuthResult {
	h.t.Helper()
	ctx := context.Background()
	a := h.confirmed(phone)
	ch, err := h.svc.AddEmail(ctx, a.UserID, email)
	require.NoError(h.t, err)
	_, err = h.svc.ConfirmEmail(ctx, a.UserID, ch.ChallengeID, h.email.LastCode(email))
	require.NoError(h.t, err)
	return a
}

// login runs Login and answers the SMS challenge.
func (h *harness) login(username, pw, phone string) (*AuthResult, error) {
	h.t.Helper()
	ctx := context.Background()
	lr, err := h.svc.Login(ctx, LoginRequest{Username: username, Password: pw})
	if err != nil {
		return nil, err
	}
	return h.svc.VerifyLoginChallenge(ctx, lr.SessionID, h.sms.LastCode(phone))
}

func requireCode(t *testing.T, err error, code onboardkit.Code) *onboardkit.Error {
	t.Helper()
	require.Error(t, err)
	var oe *onboardkit.Error
	require.True(t, errors.As(err, &oe), "want *onboardkit.Error with code %s, got %T: %v", code, err, err)
	require.Equal(t, code, oe.Code, "error: %v", err)
	return oe
}
