package seal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit"
	"github.com/onboardkit/onboardkit/clocktest"
	"github.com/onboardkit/onboardkit/seal"
	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

// newKeys is the store of the data keys in these tests: the memory store
// (every adapter passes the storage conformance suite with sealing on).
func newKeys() *memory.Store { return memory.New() }

func ring(t testing.TB, ids ...string) *seal.LocalKeyring {
	t.Helper()
	var ks []seal.Key
	for _, id := range ids {
		k, _, err := seal.GenerateKey(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, k)
	}
	r, err := seal.NewLocalKeyring(ks...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// must returns v, and fails the test (by a panic, which the test reports)
// on an error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestSealOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := newKeys()
	s := seal.New(ring(t, "k1"), seal.Config{}, onboardkit.Runtime{})
	v := must(s.Seal(ctx, st, "u1", "profile", []byte("Jean Dupont")))
	if bytes.Contains(v.Data, []byte("Dupont")) || v.KeyRef == "" {
		t.Fatalf("not sealed: %+v", v)
	}
	if got := must(s.Open(ctx, st, "u1", "profile", v)); string(got) != "Jean Dupont" {
		t.Fatalf("opened %q", got)
	}
	again := must(s.Seal(ctx, st, "u1", "profile", []byte("Jean Dupont")))
	if bytes.Equal(again.Data, v.Data) {
		t.Fatal("two seals of one value are equal: the nonce repeats")
	}
	if got := must(s.Open(ctx, st, "u1", "x", storage.Sealed{})); got != nil {
		t.Fatal("a zero value opens to nil")
	}
}

// TestSwappedValuesDoNotOpen: a value copied to another user, another field,
// altered, or stored in clear does not open.
func TestSwappedValuesDoNotOpen(t *testing.T) {
	ctx := context.Background()
	st := newKeys()
	s := seal.New(ring(t, "k1"), seal.Config{}, onboardkit.Runtime{})
	a := must(s.Seal(ctx, st, "alice", "ssn", []byte("123-45-6789")))
	b := must(s.Seal(ctx, st, "bob", "ssn", []byte("987-65-4321")))
	tampered := a.Clone()
	tampered.Data[len(tampered.Data)-1] ^= 1
	for name, tc := range map[string]struct {
		user, field string
		v           storage.Sealed
	}{
		"another user's value": {"bob", "ssn", a},
		"to another user":      {"alice", "ssn", b},
		"another field":        {"alice", "document/1/number", a},
		"altered":              {"alice", "ssn", tampered},
		"clear":                {"alice", "ssn", storage.Sealed{Data: []byte("123-45-6789")}},
		"truncated":            {"alice", "ssn", storage.Sealed{KeyRef: a.KeyRef, Data: a.Data[:5]}},
	} {
		if _, err := s.Open(ctx, st, tc.user, tc.field, tc.v); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", name, err)
		}
	}
	// A data key moved to another user does not unwrap either.
	dk := must(st.GetDataKey(ctx, "alice"))
	dk.UserID = "mallory"
	_ = st.DeleteDataKey(ctx, "mallory")
	if err := st.CreateDataKey(ctx, dk); err != nil {
		t.Fatal(err)
	}
	if _, err := seal.New(ring(t, "k1"), seal.Config{}, onboardkit.Runtime{}).Open(ctx, st, "mallory", "ssn", a); err == nil {
		t.Fatal("a data key copied to another user opens")
	}
}

// rotation seals a value of users u1, u2 and u3 under the key k1 and
// returns the store, the values, a Sealer on a keyring whose current key is
// a new k2 (k1 kept to open), and k2.
func rotation() (*memory.Store, map[string]storage.Sealed, *seal.Sealer, seal.Key) {
	ctx := context.Background()
	st := newKeys()
	k1, _ := must2(seal.GenerateKey("k1", nil))
	k2, _ := must2(seal.GenerateKey("k2", nil))
	old := seal.New(must(seal.NewLocalKeyring(k1)), seal.Config{}, onboardkit.Runtime{})
	values := map[string]storage.Sealed{}
	for _, u := range []string{"u1", "u2", "u3"} {
		values[u] = must(old.Seal(ctx, st, u, "profile", []byte("data of "+u)))
	}
	return st, values, seal.New(must(seal.NewLocalKeyring(k1, k2)), seal.Config{}, onboardkit.Runtime{}), k2
}

// TestRotationAndRewrap: new data keys use the newest key; older keys
// still open; Rewrap moves every data key to the newest without touching
// the data, after which the old key can go.
func TestRotationAndRewrap(t *testing.T) {
	ctx := context.Background()
	st, values, both, k2 := rotation()
	if got := must(both.Open(ctx, st, "u1", "profile", values["u1"])); string(got) != "data of u1" {
		t.Fatal("an older key does not open")
	}
	fresh := must(both.Seal(ctx, st, "u4", "profile", []byte("new")))
	if dk := must(st.GetDataKey(ctx, "u4")); dk.KeyRef != "k2" {
		t.Fatalf("new data key wrapped by %q, want k2", dk.KeyRef)
	}
	if n := must(both.Rewrap(ctx, st)); n != 3 {
		t.Fatalf("rewrapped %d, want 3", n)
	}
	if n := must(both.Rewrap(ctx, st)); n != 0 {
		t.Fatalf("second rewrap moved %d", n)
	}
	onlyNew := seal.New(must(seal.NewLocalKeyring(k2)), seal.Config{}, onboardkit.Runtime{})
	for u, v := range values {
		if got := must(onlyNew.Open(ctx, st, u, "profile", v)); string(got) != "data of "+u {
			t.Fatalf("%s after rewrap: %q", u, got)
		}
	}
	_ = must(onlyNew.Open(ctx, st, "u4", "profile", fresh))
}

// shredAfterList is a key store in which an erasure shreds victim's data
// key right after a listing returned it.
type shredAfterList struct {
	storage.DataKeys
	victim string
}

func (s shredAfterList) ListDataKeys(ctx context.Context, after string, limit int) ([]*storage.DataKey, error) {
	page, err := s.DataKeys.ListDataKeys(ctx, after, limit)
	if err == nil {
		err = s.DeleteDataKey(ctx, s.victim)
	}
	return page, err
}

// TestRewrapBesideAnErasure: a key shredded after Rewrap listed it is
// skipped; the others move.
func TestRewrapBesideAnErasure(t *testing.T) {
	st, _, both, _ := rotation()
	n, err := both.Rewrap(context.Background(), shredAfterList{DataKeys: st, victim: "u2"})
	if err != nil || n != 2 {
		t.Fatalf("Rewrap beside an erasure = %d, %v; want 2, nil", n, err)
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// TestShredAndRetain: after Shred a value kept aside (a backup) no longer
// opens; a retained user's values open only with the retention keyring.
func TestShredAndRetain(t *testing.T) {
	ctx := context.Background()
	st := newKeys()
	clk := clocktest.Default()
	main := ring(t, "k1")
	s := seal.New(main, seal.Config{}, onboardkit.Runtime{Clock: clk})
	backup := must(s.Seal(ctx, st, "gone", "ssn", []byte("123-45-6789")))
	if err := s.Shred(ctx, st, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, st, "gone", "ssn", backup); !errors.Is(err, seal.ErrKeyDestroyed) {
		t.Fatalf("shredded: %v", err)
	}
	if err := s.Shred(ctx, st, "gone"); err != nil {
		t.Fatal("shredding twice is not an error")
	}

	kept := must(s.Seal(ctx, st, "kept", "document/1/number", []byte("12AB34567")))
	retention := ring(t, "retention-1")
	officer := s.WithRetention(retention)
	if err := s.Retain(ctx, st, "kept", nil, clk.Now().Add(time.Hour)); err == nil {
		t.Fatal("Retain without a retention keyring")
	}
	if err := s.Retain(ctx, st, "kept", retention, clk.Now().Add(5*365*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, st, "kept", "document/1/number", kept); !errors.Is(err, seal.ErrKeyDestroyed) {
		t.Fatalf("the service opens a retained value: %v", err)
	}
	if got := must(officer.Open(ctx, st, "kept", "document/1/number", kept)); string(got) != "12AB34567" {
		t.Fatalf("officer opened %q", got)
	}
	if n := must(officer.Rewrap(ctx, st)); n != 0 {
		t.Fatal("rewrap moved a retained key")
	}
}

// TestCacheExpires: an unwrapped key is kept for CacheTTL only, so another
// replica's shredding takes effect here after at most that long.
func TestCacheExpires(t *testing.T) {
	ctx := context.Background()
	st := newKeys()
	clk := clocktest.Default()
	r := ring(t, "k1")
	a := seal.New(r, seal.Config{CacheTTL: time.Minute}, onboardkit.Runtime{Clock: clk})
	b := seal.New(r, seal.Config{CacheTTL: time.Minute}, onboardkit.Runtime{Clock: clk})
	v := must(a.Seal(ctx, st, "u", "f", []byte("x")))
	_ = must(b.Open(ctx, st, "u", "f", v)) // b caches the key
	if err := a.Shred(ctx, st, "u"); err != nil {
		t.Fatal(err)
	}
	_ = must(b.Open(ctx, st, "u", "f", v)) // still cached on b
	clk.Advance(time.Minute)
	if _, err := b.Open(ctx, st, "u", "f", v); !errors.Is(err, seal.ErrKeyDestroyed) {
		t.Fatalf("after the cache TTL: %v", err)
	}
}

// TestRolledBackKeyIsNotUsed: a data key created in a unit of work that
// rolls back is never used again, though sealing a second value in the
// unit read it back and unwrapped it.
func TestRolledBackKeyIsNotUsed(t *testing.T) {
	ctx := context.Background()
	st := newKeys()
	r := ring(t, "k1")
	s := seal.New(r, seal.Config{}, onboardkit.Runtime{})
	rollback := errors.New("rollback")
	err := st.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		_ = must(s.Seal(ctx, tx, "u", "a", []byte("first")))  // creates the key
		_ = must(s.Seal(ctx, tx, "u", "b", []byte("second"))) // reads it back
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	v := must(s.Seal(ctx, st, "u", "a", []byte("kept")))
	other := seal.New(r, seal.Config{}, onboardkit.Runtime{}) // another replica
	if got := must(other.Open(ctx, st, "u", "a", v)); string(got) != "kept" {
		t.Fatalf("opened %q", got)
	}
}

// TestWriterSealsManyWithOneRead: a Writer seals several fields with the
// key it read once.
func TestWriterSealsManyWithOneRead(t *testing.T) {
	ctx := context.Background()
	st := newKeys()
	s := seal.New(ring(t, "k1"), seal.Config{}, onboardkit.Runtime{})
	w := must(s.Writer(ctx, st, "u"))
	a, b := must(w.Seal("a", []byte("1"))), must(w.Seal("b", []byte("2")))
	if a.KeyRef != b.KeyRef {
		t.Fatal("one user, two keys")
	}
	if got := must(s.Open(ctx, st, "u", "b", b)); string(got) != "2" {
		t.Fatalf("opened %q", got)
	}
}

func TestParseKeyring(t *testing.T) {
	_, line1, _ := seal.GenerateKey("k1", nil)
	_, line2, _ := seal.GenerateKey("k2", nil)
	r := must(seal.ParseKeyring("# keys, oldest first\n" + line1 + "\n\n" + line2 + "\n"))
	if r.Current() != "k2" {
		t.Fatalf("current %q", r.Current())
	}
	if r := must(seal.ParseKeyring(line1 + "," + line2)); r.Current() != "k2" {
		t.Fatal("comma-separated")
	}
	for _, bad := range []string{"", "k1", "k1:not-base64!", "k1:AAAA", line1 + "\n" + line1, "bad id:" + line1[3:]} {
		if _, err := seal.ParseKeyring(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	path := filepath.Join(t.TempDir(), "keyring")
	if err := os.WriteFile(path, []byte(line1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := must(seal.ReadKeyringFile(path)); r.Current() != "k1" {
		t.Fatal("file")
	}
	t.Setenv("SEAL_TEST_KEYRING", line1+","+line2)
	if r := must(seal.KeyringFromEnv("SEAL_TEST_KEYRING")); r.Current() != "k2" {
		t.Fatal("env")
	}
	if _, err := seal.KeyringFromEnv("SEAL_TEST_UNSET"); err == nil {
		t.Fatal("unset env")
	}
}

func BenchmarkSeal(b *testing.B) {
	ctx := context.Background()
	st := newKeys()
	s := seal.New(ring(b, "k1"), seal.Config{}, onboardkit.Runtime{})
	field := []byte("123-45-6789")
	_, _ = s.Seal(ctx, st, "u", "ssn", field)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Seal(ctx, st, "u", "ssn", field); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	st := newKeys()
	s := seal.New(ring(b, "k1"), seal.Config{}, onboardkit.Runtime{})
	v, _ := s.Seal(ctx, st, "u", "ssn", []byte("123-45-6789"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(ctx, st, "u", "ssn", v); err != nil {
			b.Fatal(err)
		}
	}
}
