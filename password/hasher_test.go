package password_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/password"
)

func testHasher(t testing.TB, opts password.HasherConfig, rand ...io.Reader) *password.Hasher {
	t.Helper()
	if opts.Params == (password.Params{}) {
		opts.Params = password.TestParams()
	}
	var rt onboardkit.Runtime
	if len(rand) > 0 {
		rt.Rand = rand[0]
	}
	h, err := password.NewHasher(opts, rt)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

func TestHashDefaultParamsPHC(t *testing.T) {
	h, err := password.NewHasher(password.HasherConfig{}, onboardkit.Runtime{})
	if err != nil {
		t.Fatal(err)
	}
	if h.Params() != password.DefaultParams() {
		t.Fatalf("params %+v", h.Params())
	}
	enc, err := h.Hash(context.Background(), "correct-horse-7-battery")
	if err != nil {
		t.Fatal(err)
	}
	m := phcPattern.FindStringSubmatch(enc)
	if m == nil || m[1] != "19456" || m[2] != "2" || m[3] != "1" || len(m[4]) != 22 || len(m[5]) != 43 {
		t.Fatalf("hash %q is not the OWASP PHC form", enc)
	}
	ok, err := h.Verify(context.Background(), "correct-horse-7-battery", enc)
	if !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
	if h.NeedsRehash(enc) {
		t.Error("NeedsRehash true for current params")
	}
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := testHasher(t, password.HasherConfig{})
	a, err := h.Hash(ctx, "Blue-Ocean-77")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := h.Hash(ctx, "Blue-Ocean-77")
	if a == b {
		t.Error("two hashes of one password are equal: salt not random")
	}
	if !strings.HasPrefix(a, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q", a)
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"Blue-Ocean-77", true}, {"blue-ocean-77", false}, {"", false}, {"Blue-Ocean-77 ", false}} {
		got, err := h.Verify(ctx, tt.pw, a)
		if err != nil || got != tt.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tt.pw, got, err, tt.want)
		}
	}
	// Unicode passwords are hashed as UTF-8 bytes.
	u, _ := h.Hash(ctx, "Жёлтый-кот-42")
	if ok, _ := h.Verify(ctx, "Жёлтый-кот-42", u); !ok {
		t.Error("unicode password does not verify")
	}
}

func TestInjectedRand(t *testing.T) {
	ctx := context.Background()
	seed := bytes.Repeat([]byte{7}, 64)
	h1 := testHasher(t, password.HasherConfig{}, bytes.NewReader(seed))
	h2 := testHasher(t, password.HasherConfig{}, bytes.NewReader(seed))
	a, _ := h1.Hash(ctx, "pw")
	b, _ := h2.Hash(ctx, "pw")
	if a != b {
		t.Errorf("same salt source gave %q and %q", a, b)
	}
	h3 := testHasher(t, password.HasherConfig{}, bytes.NewReader(nil))
	if _, err := h3.Hash(ctx, "pw"); err == nil {
		t.Error("empty random source: no error")
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	cheap := testHasher(t, password.HasherConfig{})
	enc, _ := cheap.Hash(ctx, "pw")
	other := password.TestParams()
	other.Iterations = 2
	stronger := testHasher(t, password.HasherConfig{Params: other})
	longer := password.TestParams()
	longer.KeyLength = 64
	longKey := testHasher(t, password.HasherConfig{Params: longer})
	bc, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	for _, tt := range []struct {
		name    string
		h       *password.Hasher
		encoded string
		want    bool
	}{
		{"same params", cheap, enc, false},
		{"more iterations", stronger, enc, true},
		{"longer key", longKey, enc, true},
		{"bcrypt", cheap, string(bc), true},
		{"garbage", cheap, "garbage", true},
		{"empty", cheap, "", true},
	} {
		if got := tt.h.NeedsRehash(tt.encoded); got != tt.want {
			t.Errorf("%s: NeedsRehash = %v", tt.name, got)
		}
	}
	// A hash made with other parameters still verifies.
	if ok, err := stronger.Verify(ctx, "pw", enc); !ok || err != nil {
		t.Errorf("old-params hash: %v, %v", ok, err)
	}
}

func TestVerifyBcrypt(t *testing.T) {
	ctx := context.Background()
	h := testHasher(t, password.HasherConfig{Pepper: []byte("pepper")})
	enc, err := bcrypt.GenerateFromPassword([]byte("Migrated-Pass-1"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(ctx, "Migrated-Pass-1", string(enc)); !ok || err != nil {
		t.Errorf("bcrypt match: %v, %v", ok, err)
	}
	if ok, err := h.Verify(ctx, "migrated-pass-1", string(enc)); ok || err != nil {
		t.Errorf("bcrypt mismatch: %v, %v", ok, err)
	}
	for _, prefix := range []string{"$2b$", "$2y$"} {
		alt := prefix + string(enc[4:])
		if ok, err := h.Verify(ctx, "Migrated-Pass-1", alt); !ok || err != nil {
			t.Errorf("%s: %v, %v", prefix, ok, err)
		}
	}
	// Over 72 bytes never matches, even when the first 72 bytes do.
	long := strings.Repeat("x", 72)
	encLong, _ := bcrypt.GenerateFromPassword([]byte(long), bcrypt.MinCost)
	if ok, _ := h.Verify(ctx, long+"tail", string(encLong)); ok {
		t.Error("bcrypt truncation accepted")
	}
	// Cost over the cap is refused without computing.
	tooCostly := "$2a$17$" + string(enc[7:])
	if _, err := h.Verify(ctx, "x", tooCostly); !errors.Is(err, password.ErrInvalidHash) {
		t.Errorf("cost 17: %v", err)
	}
	if _, err := h.Verify(ctx, "x", "$2a$04$short"); !errors.Is(err, password.ErrInvalidHash) {
		t.Errorf("malformed bcrypt: %v", err)
	}
}

func TestPepper(t *testing.T) {
	ctx := context.Background()
	a := testHasher(t, password.HasherConfig{Pepper: []byte("server-secret-A")})
	b := testHasher(t, password.HasherConfig{Pepper: []byte("server-secret-B")})
	none := testHasher(t, password.HasherConfig{})
	enc, _ := a.Hash(ctx, "Blue-Ocean-77")
	if ok, _ := a.Verify(ctx, "Blue-Ocean-77", enc); !ok {
		t.Error("peppered hash does not verify with its pepper")
	}
	if ok, _ := b.Verify(ctx, "Blue-Ocean-77", enc); ok {
		t.Error("verifies with another pepper")
	}
	if ok, _ := none.Verify(ctx, "Blue-Ocean-77", enc); ok {
		t.Error("verifies without pepper")
	}
}

func TestVerifyMalformed(t *testing.T) {
	ctx := context.Background()
	h := testHasher(t, password.HasherConfig{})
	good, _ := h.Hash(ctx, "pw")
	salt := strings.Split(good, "$")[4]
	key := strings.Split(good, "$")[5]
	for _, enc := range []string{
		"",
		"$",
		"plain",
		"$argon2id$",
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=300$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=9$" + salt + "$" + key, // m < 8p
		"$argon2id$v=19$m=2097152,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$extra",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"$argon2id$v=19$m=64,t=1,p=1$$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key,       // salt too short
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA", // key too short
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:len(key)-1] + "!",
		"$argon2id$v=19$m=64,t=1,p=1,keyid=x$" + salt + "$" + key,
		good + strings.Repeat("A", 600),
	} {
		ok, err := h.Verify(ctx, "pw", enc)
		if ok || !errors.Is(err, password.ErrInvalidHash) {
			t.Errorf("Verify(%q) = %v, %v; want ErrInvalidHash", enc, ok, err)
		}
	}
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	for _, p := range []password.Params{
		{Memory: 64, Iterations: 0, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 0, SaltLength: 16, KeyLength: 32},
		{Memory: 4, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8},
		{Memory: 2 << 20, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
	} {
		if _, err := password.NewHasher(password.HasherConfig{Params: p}, onboardkit.Runtime{}); err == nil {
			t.Errorf("NewHasher(%+v): no error", p)
		}
	}
}

func TestDummyVerify(t *testing.T) {
	h := testHasher(t, password.HasherConfig{Pepper: []byte("p")})
	if err := h.DummyVerify(context.Background(), "anything"); err != nil {
		t.Fatal(err)
	}
	max := password.TestParams()
	max.SaltLength, max.KeyLength = 64, 128
	if err := testHasher(t, password.HasherConfig{Params: max}).DummyVerify(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.DummyVerify(ctx, "anything"); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

func TestHashHonoursContext(t *testing.T) {
	h := testHasher(t, password.HasherConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash: %v", err)
	}
	enc, _ := h.Hash(context.Background(), "pw")
	if _, err := h.Verify(ctx, "pw", enc); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify: %v", err)
	}
}
