package memory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/storage"
	"github.com/onboardkit/onboardkit/storage/memory"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// must fails the test on a non-nil error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantIs fails the test unless errors.Is(err, target).
func wantIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func TestUserRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	u := &storage.User{ID: "u1", Phone: "+33614125910", Email: "Ann@Example.com", EmailVerified: true,
		Profile: storage.Sealed{KeyRef: "dek/1", Data: []byte("sealed profile")}}
	must(t, s.CreateUser(ctx, u))
	if u.Version != 1 {
		t.Fatalf("Version = %d, want 1", u.Version)
	}
	u.Profile.Data[0] = 'X'

	got, err := s.GetUserByEmail(ctx, "ann@EXAMPLE.com")
	must(t, err)
	if string(got.Profile.Data) != "sealed profile" {
		t.Fatalf("Profile = %q: the caller's record leaked into the store", got.Profile.Data)
	}

	var dup *storage.DuplicateError
	err = s.CreateUser(ctx, &storage.User{ID: "u2", Email: "ANN@example.com", EmailVerified: true})
	if !errors.As(err, &dup) || dup.Field != "email" {
		t.Fatalf("got %v, want duplicate email", err)
	}

	_, err = s.GetUser(ctx, "nope")
	wantIs(t, err, storage.ErrNotFound)
}

func TestTxRollsBack(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	boom := errors.New("boom")
	err := s.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		must(t, tx.CreateUser(ctx, &storage.User{ID: "u1", Phone: "+1"}))
		must(t, tx.CreateChallenge(ctx, &storage.Challenge{ID: "c1"}))
		_, err := tx.AllocateAddressIndex(ctx, "BTC", "k")
		must(t, err)
		return boom
	})
	wantIs(t, err, boom)
	_, err = s.GetUser(ctx, "u1")
	wantIs(t, err, storage.ErrNotFound)
	_, err = s.GetUserByPhone(ctx, "+1")
	wantIs(t, err, storage.ErrNotFound)
	_, err = s.GetChallenge(ctx, "c1")
	wantIs(t, err, storage.ErrNotFound)
	i, err := s.AllocateAddressIndex(ctx, "BTC", "k")
	must(t, err)
	if i != 0 {
		t.Fatalf("index = %d, want 0: a failed Tx releases the index it took", i)
	}
}

func TestConsumeOnce(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	must(t, s.CreateChallenge(ctx, &storage.Challenge{ID: "c", CodeHash: []byte("h"), MaxAttempts: 5, ExpiresAt: t0.Add(time.Minute)}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 50 {
		wg.Go(func() {
			if s.ConsumeChallenge(ctx, "c", []byte("h"), t0) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d consumers succeeded, want 1", ok)
	}
}

func TestTxCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := memory.New().Tx(ctx, func(context.Context, storage.Store) error { ran = true; return nil })
	wantIs(t, err, context.Canceled)
	if ran {
		t.Fatal("Tx ran fn with a canceled context")
	}
}

// A Store kept past the end of its Tx falls back to the shared lock: its
// writes are plain, immediately visible writes, and using it concurrently is
// race-free (run with -race).
func TestViewAfterTx(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	var view storage.Store
	must(t, s.Tx(ctx, func(_ context.Context, tx storage.Store) error { view = tx; return nil }))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			st := storage.Store(s)
			if i%2 == 0 {
				st = view
			}
			if _, err := st.CountSend(ctx, "k", t0); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n, err := s.CountSend(ctx, "k", t0)
	must(t, err)
	if n != 21 {
		t.Fatalf("count = %d, want 21", n)
	}
	// A failing Tx started from the stale view is a new unit of work.
	boom := errors.New("boom")
	err = view.Tx(ctx, func(ctx context.Context, tx storage.Store) error {
		_, _ = tx.CountSend(ctx, "k", t0)
		return boom
	})
	wantIs(t, err, boom)
	n, err = s.CountSend(ctx, "k", t0)
	must(t, err)
	if n != 22 {
		t.Fatalf("count = %d, want 22 (the failed Tx's count rolled back)", n)
	}
}

func TestCountSendPrunesOldWindows(t *testing.T) {
	ctx := context.Background()
	s := memory.New(memory.WithSendWindowRetention(time.Hour))
	for i := range 1100 {
		_, err := s.CountSend(ctx, fmt.Sprint("k", i), t0)
		must(t, err)
	}
	// A recent window is kept while the newest window is within retention.
	_, err := s.CountSend(ctx, "k0", t0.Add(30*time.Minute))
	must(t, err)
	n, err := s.CountSend(ctx, "k0", t0)
	must(t, err)
	if n != 2 {
		t.Fatalf("count of a retained window = %d, want 2", n)
	}
	// Two hours later the first window is past retention; it is pruned
	// once enough new counters have been added.
	_, err = s.CountSend(ctx, "k1", t0.Add(2*time.Hour))
	must(t, err)
	for i := range 1000 {
		_, err := s.CountSend(ctx, fmt.Sprint("n", i), t0.Add(2*time.Hour))
		must(t, err)
	}
	n, err = s.CountSend(ctx, "k3", t0)
	must(t, err)
	if n != 1 {
		t.Fatalf("count of a pruned window = %d, want 1 (started afresh)", n)
	}
	n, err = s.CountSend(ctx, "k1", t0.Add(2*time.Hour))
	must(t, err)
	if n != 2 {
		t.Fatalf("count of the current window = %d, want 2", n)
	}
}
