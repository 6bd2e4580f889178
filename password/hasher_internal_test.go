package password

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/onboardkit/onboardkit"
)

func TestConcurrencyBound(t *testing.T) {
	h, err := NewHasher(HasherConfig{Params: TestParams(), MaxConcurrent: 2}, onboardkit.Runtime{})
	if err != nil {
		t.Fatal(err)
	}
	if cap(h.sem) != 2 {
		t.Fatalf("semaphore size %d", cap(h.sem))
	}
	// Take both slots: the next Hash waits until its context ends.
	h.sem <- struct{}{}
	h.sem <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Hash with full semaphore: %v", err)
	}
	// Free one slot: a waiting Hash proceeds.
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "pw")
		done <- err
	}()
	<-h.sem
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-h.sem
	if len(h.sem) != 0 {
		t.Fatalf("slots leaked: %d", len(h.sem))
	}
}

func TestMaxConcurrent(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		name       string
		configured int
		want       int
	}{
		{"default is GOMAXPROCS", 0, procs},
		{"negative is the default", -3, procs},
		{"one", 1, 1},
		{"more than GOMAXPROCS", 4 * procs, 4 * procs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := NewHasher(HasherConfig{Params: TestParams(), MaxConcurrent: tc.configured}, onboardkit.Runtime{})
			if err != nil {
				t.Fatal(err)
			}
			if got := h.MaxConcurrent(); got != tc.want || cap(h.sem) != tc.want {
				t.Errorf("MaxConcurrent() = %d, semaphore %d; want %d", got, cap(h.sem), tc.want)
			}
		})
	}
}

// TestWaitingCallerLeavesWhenItsContextEnds: with every slot taken, a call
// waits; when its context ends it returns the context's error at once
// (synctest.Wait returns once the call has nothing left to wait for) and
// holds no slot; a call whose slot frees up proceeds.
func TestWaitingCallerLeavesWhenItsContextEnds(t *testing.T) {
	cheap, err := NewHasher(HasherConfig{Params: TestParams()}, onboardkit.Runtime{})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := cheap.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func(context.Context, *Hasher) error
	}{
		{"Hash", func(ctx context.Context, h *Hasher) error { _, err := h.Hash(ctx, "pw"); return err }},
		{"Verify argon2id", func(ctx context.Context, h *Hasher) error { _, err := h.Verify(ctx, "pw", enc); return err }},
		{"Verify bcrypt", func(ctx context.Context, h *Hasher) error { _, err := h.Verify(ctx, "pw", string(bc)); return err }},
		{"DummyVerify", func(ctx context.Context, h *Hasher) error { return h.DummyVerify(ctx, "pw") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, err := NewHasher(HasherConfig{Params: TestParams(), MaxConcurrent: 2}, onboardkit.Runtime{})
				if err != nil {
					t.Fatal(err)
				}
				h.sem <- struct{}{}
				h.sem <- struct{}{}
				ctx, cancel := context.WithCancel(context.Background())
				canceled, proceeds := make(chan error, 1), make(chan error, 1)
				go func() { canceled <- tc.call(ctx, h) }()
				go func() { proceeds <- tc.call(context.Background(), h) }()
				synctest.Wait()
				if len(canceled) != 0 || len(proceeds) != 0 {
					t.Fatal("a call ran while every slot was taken")
				}
				cancel()
				synctest.Wait()
				select {
				case err := <-canceled:
					if !errors.Is(err, context.Canceled) {
						t.Errorf("error %v, want the context's (context.Canceled)", err)
					}
				default:
					t.Fatal("still waiting after its context ended")
				}
				if len(proceeds) != 0 || len(h.sem) != 2 {
					t.Fatalf("the cancelled call freed or took a slot: %d taken", len(h.sem))
				}
				<-h.sem // a slot frees up: the other call proceeds
				if err := <-proceeds; err != nil {
					t.Fatal(err)
				}
				<-h.sem
				if len(h.sem) != 0 {
					t.Fatalf("slots leaked: %d", len(h.sem))
				}
			})
		})
	}
}

func TestDefaultConcurrency(t *testing.T) {
	h, _ := NewHasher(HasherConfig{Params: TestParams()}, onboardkit.Runtime{})
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc, err := h.Hash(context.Background(), "pw")
			if err != nil {
				t.Error(err)
				return
			}
			if ok, _ := h.Verify(context.Background(), "pw", enc); !ok {
				t.Error("no match")
			}
		}()
	}
	wg.Wait()
	if len(h.sem) != 0 {
		t.Fatalf("slots leaked: %d", len(h.sem))
	}
}
