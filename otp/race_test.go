package otp

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/onboardkit/onboardkit"
)

// Fifty concurrent submissions of the right code: exactly one wins.
func TestConcurrentCorrectCodes(t *testing.T) {
	h := newHarness(t)
	id, code := h.issue(t)
	var wins, used atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := h.m.Verify(context.Background(), id, code, PurposePhoneConfirmation)
			switch onboardkit.ErrorCode(err) {
			case "":
				wins.Add(1)
			case onboardkit.CodeInvalidCode:
				used.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	eq(t, wins.Load(), int32(1), "winners")
	eq(t, used.Load(), int32(49), "losers")
	eq(t, h.stored(t, id).Attempts, 0, "a lost race is not a wrong attempt")
}

// Fifty concurrent wrong codes: exactly MaxAttempts are counted, the last
// of them burns the challenge, every other submission sees
// too_many_attempts, and remaining counts are each reported once.
func TestConcurrentWrongCodes(t *testing.T) {
	h := newHarness(t)
	id, code := h.issue(t)
	bad := wrong(code)
	var mu sync.Mutex
	remaining := map[int]int{}
	tooMany := 0
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := h.m.Verify(context.Background(), id, bad, PurposePhoneConfirmation)
			var e *onboardkit.Error
			if !asErr(err, &e) {
				t.Errorf("unexpected error: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch e.Code {
			case onboardkit.CodeInvalidCode:
				remaining[*e.AttemptsRemaining]++
			case onboardkit.CodeTooManyAttempts:
				tooMany++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	eq(t, remaining, map[int]int{4: 1, 3: 1, 2: 1, 1: 1}, "each count reported once")
	eq(t, tooMany, 46, "the burning attempt and every later one")
	eq(t, h.stored(t, id).Attempts, 5, "exactly MaxAttempts increments")
	// The right code no longer works.
	_, err := h.m.Verify(context.Background(), id, code, PurposePhoneConfirmation)
	okErr(t, err, onboardkit.CodeTooManyAttempts)
}

// Concurrent resends after the cooldown: exactly one goes through.
func TestConcurrentResends(t *testing.T) {
	h := newHarness(t)
	id, _ := h.issue(t)
	h.clock.Advance(h.m.cfg.ResendCooldown)
	var ok, soon atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.m.Resend(context.Background(), id, PurposePhoneConfirmation)
			switch onboardkit.ErrorCode(err) {
			case "":
				ok.Add(1)
			case onboardkit.CodeResendTooSoon:
				soon.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	eq(t, ok.Load(), int32(1))
	eq(t, soon.Load(), int32(19))
	eq(t, h.stored(t, id).Sends, 2)
}
