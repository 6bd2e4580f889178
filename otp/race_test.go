package otp

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/onboardkit/onboardkit"
)

// raceRightAnswers issues a challenge with issue (one of ways) and gives it
// the right answer from fifty goroutines at once: exactly one consumes it,
// every other one sees invalid_code, and a lost race is not a wrong attempt.
func raceRightAnswers(t *testing.T, issue func(*harness, testing.TB) (string, answerer)) {
	h := newHarness(t)
	id, answer := issue(h, t)
	var wins, used atomic.Int32
	race(50, func() {
		err := answer(context.Background(), rightAnswer)
		switch onboardkit.ErrorCode(err) {
		case "":
			wins.Add(1)
		case onboardkit.CodeInvalidCode:
			used.Add(1)
		default:
			t.Errorf("unexpected error: %v", err)
		}
	})
	eq(t, wins.Load(), int32(1), "winners")
	eq(t, used.Load(), int32(49), "losers")
	eq(t, h.stored(t, id).Attempts, 0, "a lost race is not a wrong attempt")
}

// raceWrongAnswers issues a challenge with issue (one of ways) and gives it
// n wrong answers at once: exactly MaxAttempts are counted, the last of them
// burns the challenge, every other answer sees too_many_attempts, remaining
// counts are each reported once, and the right answer no longer works.
func raceWrongAnswers(t *testing.T, issue func(*harness, testing.TB) (string, answerer), n int) {
	h := newHarness(t)
	id, answer := issue(h, t)
	var mu sync.Mutex
	remaining := map[int]int{}
	tooMany := 0
	race(n, func() {
		err := answer(context.Background(), wrongAnswer)
		e := onboardkit.AsError(err)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case e != nil && e.Code == onboardkit.CodeInvalidCode && e.AttemptsRemaining != nil:
			remaining[*e.AttemptsRemaining]++
		case e != nil && e.Code == onboardkit.CodeTooManyAttempts:
			tooMany++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	})
	eq(t, remaining, map[int]int{4: 1, 3: 1, 2: 1, 1: 1}, "each count reported once")
	eq(t, tooMany, n-4, "the burning attempt and every later one")
	eq(t, h.stored(t, id).Attempts, 5, "exactly MaxAttempts increments")
	okErr(t, answer(context.Background(), rightAnswer), onboardkit.CodeTooManyAttempts)
}

// race runs f in n goroutines released at once and waits for them.
func race(n int, f func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f()
		}()
	}
	close(start)
	wg.Wait()
}

// Fifty concurrent submissions of the right code: exactly one wins.
func TestConcurrentCorrectCodes(t *testing.T) {
	raceRightAnswers(t, (*harness).codeChallenge)
}

// Fifty concurrent wrong codes: exactly MaxAttempts are counted.
func TestConcurrentWrongCodes(t *testing.T) {
	raceWrongAnswers(t, (*harness).codeChallenge, 50)
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
