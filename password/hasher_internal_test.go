package password

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

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

func TestDefaultConcurrency(t *testing.T) {
	h, _ := NewHasher(HasherConfig{Params: TestParams()}, onboardkit.Runtime{})
	if cap(h.sem) < 2 {
		t.Fatalf("default bound %d", cap(h.sem))
	}
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
