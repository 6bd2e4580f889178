package password

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/onboardkit/onboardkit"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Params are argon2id parameters.
type Params struct {
	// Memory is the memory cost in KiB (argon2 m). At least 8×Parallelism.
	Memory uint32
	// Iterations is the time cost (argon2 t), at least 1.
	Iterations uint32
	// Parallelism is the number of lanes (argon2 p), at least 1.
	Parallelism uint8
	// SaltLength is the length of the random salt in bytes, 8 to 64.
	SaltLength uint32
	// KeyLength is the length of the derived key in bytes, 16 to 128.
	KeyLength uint32
}

// DefaultParams returns the OWASP recommendation for argon2id: m=19 MiB
// (19456 KiB), t=2, p=1, a 16-byte salt and a 32-byte key. One hash takes
// some tens of milliseconds and 19 MiB of memory.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// TestParams returns cheap parameters for tests (m=64 KiB, t=1, p=1, 16-byte
// salt, 32-byte key): a hash takes well under a millisecond. Never use them
// in production. Example, in another package's test:
//
//	h, _ := password.NewHasher(password.HasherConfig{Params: password.TestParams()}, onboardkit.Runtime{})
func TestParams() Params {
	return Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Limits on the parameters of a stored hash that Verify accepts, so that a
// corrupt or hostile stored hash cannot exhaust memory or CPU.
const (
	maxMemoryKiB   = 1 << 20 // 1 GiB
	maxIterations  = 64
	maxParallelism = 64
	minSaltLen     = 8
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 128
	maxBcryptCost  = 16
	maxEncodedLen  = 512
	bcryptMaxBytes = 72
)

func (p Params) validate() error {
	switch {
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("iterations %d not in [1, %d]", p.Iterations, maxIterations)
	case p.Parallelism < 1 || p.Parallelism > maxParallelism:
		return fmt.Errorf("parallelism %d not in [1, %d]", p.Parallelism, maxParallelism)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("memory %d KiB not in [8×parallelism, %d]", p.Memory, maxMemoryKiB)
	case p.SaltLength < minSaltLen || p.SaltLength > maxSaltLen:
		return fmt.Errorf("salt length %d not in [%d, %d]", p.SaltLength, minSaltLen, maxSaltLen)
	case p.KeyLength < minKeyLen || p.KeyLength > maxKeyLen:
		return fmt.Errorf("key length %d not in [%d, %d]", p.KeyLength, minKeyLen, maxKeyLen)
	}
	return nil
}

// HasherConfig configures a [Hasher]. The zero value gives the defaults.
type HasherConfig struct {
	// Params are the argon2id parameters of new hashes; the zero value means
	// DefaultParams(). Use TestParams() in tests.
	Params Params
	// Pepper, when not empty, is a server secret: the password is replaced
	// by HMAC-SHA256(Pepper, password) before argon2id. Changing it makes
	// every stored argon2id hash fail to verify. It is not applied to bcrypt
	// hashes of migrated users.
	Pepper []byte
	// MaxConcurrent bounds the number of hashes and verifications running at
	// once (each takes Params.Memory, 19 MiB at the defaults); further calls
	// wait their turn or for their context to end, whichever comes first.
	// 0 (or less) means GOMAXPROCS as NewHasher reads it: argon2id is bound
	// by the CPU, so more slots add memory, not hashes per second. The heap
	// of a burst is bounded by about MaxConcurrent × Params.Memory plus the
	// host's own baseline (see the package documentation).
	MaxConcurrent int
}

// Hasher hashes and verifies passwords: argon2id encoded as PHC strings for
// new hashes, argon2id and bcrypt for verification. It is safe for
// concurrent use.
type Hasher struct {
	params Params
	pepper []byte
	rand   io.Reader // serialised by onboardkit.Runtime.WithDefaults
	sem    chan struct{}
}

// NewHasher returns a Hasher drawing salts from rt.Rand (crypto/rand when
// unset; an injected reader need not be safe for concurrent use). It fails
// when the parameters are out of range.
func NewHasher(opts HasherConfig, rt onboardkit.Runtime) (*Hasher, error) {
	h := &Hasher{params: opts.Params, rand: rt.WithDefaults().Rand}
	if h.params == (Params{}) {
		h.params = DefaultParams()
	}
	if err := h.params.validate(); err != nil {
		return nil, fmt.Errorf("password: invalid hasher params: %w", err)
	}
	if len(opts.Pepper) > 0 {
		h.pepper = append([]byte(nil), opts.Pepper...)
	}
	n := opts.MaxConcurrent
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	h.sem = make(chan struct{}, n)
	return h, nil
}

// Params returns the parameters of new hashes.
func (h *Hasher) Params() Params { return h.params }

// MaxConcurrent returns the number of hashes and verifications that run at
// once ([HasherConfig.MaxConcurrent], or its default). With [Hasher.Params]
// it gives the memory the hasher can hold at once: MaxConcurrent ×
// Params().Memory KiB.
func (h *Hasher) MaxConcurrent() int { return cap(h.sem) }

// acquire takes a hashing slot, or returns ctx's error as soon as ctx ends
// (at once when it already has).
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

func (h *Hasher) input(password string) []byte {
	if len(h.pepper) == 0 {
		return []byte(password)
	}
	m := hmac.New(sha256.New, h.pepper)
	m.Write([]byte(password))
	return m.Sum(nil)
}

// Hash returns the PHC-encoded argon2id hash of password with a fresh salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> (base64 without padding). It
// waits for a free hashing slot or for ctx to end.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	p := h.params
	key := argon2.IDKey(h.input(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	h.release()
	return encodePHC(p, salt, key), nil
}

func encodePHC(p Params, salt, key []byte) string {
	var b strings.Builder
	b.Grow(64 + base64.RawStdEncoding.EncodedLen(len(salt)+len(key)))
	b.WriteString("$argon2id$v=19$m=")
	b.WriteString(strconv.FormatUint(uint64(p.Memory), 10))
	b.WriteString(",t=")
	b.WriteString(strconv.FormatUint(uint64(p.Iterations), 10))
	b.WriteString(",p=")
	b.WriteString(strconv.FormatUint(uint64(p.Parallelism), 10))
	b.WriteByte('$')
	b.WriteString(base64.RawStdEncoding.EncodeToString(salt))
	b.WriteByte('$')
	b.WriteString(base64.RawStdEncoding.EncodeToString(key))
	return b.String()
}

// phc is a parsed argon2id PHC string.
type phc struct {
	params    Params
	salt, key []byte
}

var b64 = base64.RawStdEncoding.Strict()

// parsePHC parses $argon2id$v=19$m=M,t=T,p=P$salt$key strictly: exactly these
// fields in this order, decimal numbers without sign or leading zeros,
// unpadded standard base64, parameters within the accepted limits.
func parsePHC(s string) (phc, error) {
	var out phc
	if len(s) > maxEncodedLen {
		return out, fmt.Errorf("%w: too long", ErrInvalidHash)
	}
	rest, ok := strings.CutPrefix(s, "$argon2id$v=19$m=")
	if !ok {
		return out, fmt.Errorf("%w: not an argon2id v=19 PHC string", ErrInvalidHash)
	}
	m, rest, err := cutNumber(rest, ",t=")
	if err != nil {
		return out, err
	}
	t, rest, err := cutNumber(rest, ",p=")
	if err != nil {
		return out, err
	}
	p, rest, err := cutNumber(rest, "$")
	if err != nil {
		return out, err
	}
	saltB64, keyB64, ok := strings.Cut(rest, "$")
	if !ok || strings.Contains(keyB64, "$") {
		return out, fmt.Errorf("%w: want salt and key fields", ErrInvalidHash)
	}
	if out.salt, err = b64.DecodeString(saltB64); err != nil {
		return out, fmt.Errorf("%w: salt: bad base64", ErrInvalidHash)
	}
	if out.key, err = b64.DecodeString(keyB64); err != nil {
		return out, fmt.Errorf("%w: key: bad base64", ErrInvalidHash)
	}
	if p > 255 {
		return out, fmt.Errorf("%w: parallelism %d", ErrInvalidHash, p)
	}
	out.params = Params{
		Memory: uint32(m), Iterations: uint32(t), Parallelism: uint8(p),
		SaltLength: uint32(len(out.salt)), KeyLength: uint32(len(out.key)),
	}
	if err := out.params.validate(); err != nil {
		return out, fmt.Errorf("%w: %v", ErrInvalidHash, err)
	}
	return out, nil
}

// cutNumber reads a decimal number of at most 10 digits up to sep.
func cutNumber(s, sep string) (uint64, string, error) {
	num, rest, ok := strings.Cut(s, sep)
	if !ok || num == "" || len(num) > 10 || (len(num) > 1 && num[0] == '0') || !allDigits(num) {
		return 0, "", fmt.Errorf("%w: bad parameter field", ErrInvalidHash)
	}
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return 0, "", fmt.Errorf("%w: bad parameter field", ErrInvalidHash)
	}
	return n, rest, nil
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

// Verify reports whether password matches encoded, an argon2id PHC string
// or a bcrypt hash ($2a$, $2b$, $2y$; bcrypt ignores the pepper, and a
// password over bcrypt's 72 bytes never matches). The comparison is in
// constant time. A malformed or unsupported hash, or one whose parameters
// exceed the limits (argon2id m ≤ 1 GiB, t ≤ 64, p ≤ 64; bcrypt cost ≤ 16),
// gives false and an error matching ErrInvalidHash; a mismatch gives false
// and nil. It waits for a free hashing slot or for ctx to end.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	if isBcrypt(encoded) {
		return h.verifyBcrypt(ctx, password, encoded)
	}
	ph, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	p := ph.params
	key := argon2.IDKey(h.input(password), ph.salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	h.release()
	return subtle.ConstantTimeCompare(key, ph.key) == 1, nil
}

func (h *Hasher) verifyBcrypt(ctx context.Context, password, encoded string) (bool, error) {
	if len(encoded) > maxEncodedLen {
		return false, fmt.Errorf("%w: too long", ErrInvalidHash)
	}
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return false, fmt.Errorf("%w: bcrypt: %v", ErrInvalidHash, err)
	}
	if cost > maxBcryptCost {
		return false, fmt.Errorf("%w: bcrypt cost %d over %d", ErrInvalidHash, cost, maxBcryptCost)
	}
	if len(password) > bcryptMaxBytes {
		return false, nil
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	err = bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password))
	h.release()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("%w: bcrypt: %v", ErrInvalidHash, err)
	}
}

// NeedsRehash reports whether encoded should be replaced by a new Hash of the
// password after a successful Verify: it is bcrypt, malformed, or argon2id
// with parameters (m, t, p, salt or key length) other than the hasher's.
func (h *Hasher) NeedsRehash(encoded string) bool {
	ph, err := parsePHC(encoded)
	return err != nil || ph.params != h.params
}

// dummyBytes are the fixed salt and expected key of DummyVerify; the result
// is ignored anyway.
var dummyBytes = func() []byte {
	b := make([]byte, maxKeyLen)
	for i := range b {
		b[i] = byte(i*37 + 11)
	}
	return b
}()

// DummyVerify costs what a Verify of password against a hash with the
// hasher's parameters costs, and verifies nothing. Call it when a login
// names an unknown user so that the response time does not tell whether the
// user exists. It returns an error only when ctx ends while waiting for a
// hashing slot.
func (h *Hasher) DummyVerify(ctx context.Context, password string) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	p := h.params
	key := argon2.IDKey(h.input(password), dummyBytes[:p.SaltLength], p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	h.release()
	subtle.ConstantTimeCompare(key, dummyBytes[:p.KeyLength])
	return nil
}
