package redistest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onboardkit/onboardkit/ratelimit/redisrate/redistest"
)

// outcome stands in for the test given to a helper and records how the
// helper ended it; a skip or a failure ends the helper's goroutine, as on a
// real test.
type outcome struct {
	testing.TB
	ended string // "skip", "fail" or "" (returned)
	msg   string
}

func (o *outcome) Helper() {}

func (o *outcome) Skipf(format string, args ...any)  { o.end("skip", format, args) }
func (o *outcome) Fatalf(format string, args ...any) { o.end("fail", format, args) }

func (o *outcome) end(how, format string, args []any) {
	o.ended, o.msg = how, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// outcomeOf runs helper with an outcome standing for t.
func outcomeOf(t *testing.T, helper func(tb testing.TB)) *outcome {
	o := &outcome{TB: t}
	var wg sync.WaitGroup
	wg.Go(func() { helper(o) })
	wg.Wait()
	return o
}

func TestUnsetSkipsWithHint(t *testing.T) {
	t.Setenv(redistest.EnvVar, "")
	o := outcomeOf(t, func(tb testing.TB) { redistest.Client(tb) })
	if o.ended != "skip" {
		t.Fatalf("ended %q (%s), want a skip", o.ended, o.msg)
	}
	if !strings.Contains(o.msg, redistest.EnvVar+"=redis://") {
		t.Errorf("the skip message does not say how to enable the tests: %q", o.msg)
	}
}

func TestUnreachableFails(t *testing.T) {
	for name, url := range map[string]string{
		"closed port": "redis://127.0.0.1:1/0?dial_timeout=2s&max_retries=-1",
		"not a URL":   "127.0.0.1:6379",
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(redistest.EnvVar, url)
			for helper, fn := range map[string]func(tb testing.TB){
				"Client": func(tb testing.TB) { redistest.Client(tb) },
				"Pair":   func(tb testing.TB) { redistest.Pair(tb) },
			} {
				o := outcomeOf(t, fn)
				if o.ended != "fail" {
					t.Fatalf("%s ended %q (%s), want a failure", helper, o.ended, o.msg)
				}
				if !strings.Contains(o.msg, redistest.EnvVar) {
					t.Errorf("%s: message %q does not name %s", helper, o.msg, redistest.EnvVar)
				}
			}
		})
	}
}

func TestPairSharesOneServer(t *testing.T) {
	a, b := redistest.Pair(t)
	ctx := context.Background()
	key := fmt.Sprintf("redistest:%s:%d", t.Name(), time.Now().UnixNano())
	if err := a.Set(ctx, key, "seen", 0).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Del(context.Background(), key) })
	if got, err := b.Get(ctx, key).Result(); err != nil || got != "seen" {
		t.Fatalf("the other client reads %q, %v", got, err)
	}
	if a == b {
		t.Fatal("Pair returned one client twice")
	}
}
