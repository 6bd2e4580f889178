package postgrestest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/onboardkit/onboardkit/storage/postgres/postgrestest"
)

// recorder stands in for the test given to a helper and records whether it
// skipped or failed; both end the helper's goroutine, as on a real test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func run(t *testing.T, fn func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
	return r
}

func TestUnsetSkipsWithHint(t *testing.T) {
	t.Setenv(postgrestest.EnvVar, "")
	r := run(t, func(tb testing.TB) { postgrestest.New(tb) })
	if !r.skipped || r.failed {
		t.Fatalf("skipped=%v failed=%v, want a skip", r.skipped, r.failed)
	}
	if !strings.Contains(r.msg, postgrestest.EnvVar+"=postgres://") {
		t.Errorf("the skip message does not say how to enable the tests: %q", r.msg)
	}
}

func TestUnreachableFails(t *testing.T) {
	t.Setenv(postgrestest.EnvVar, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5")
	for name, fn := range map[string]func(tb testing.TB){
		"New":     func(tb testing.TB) { postgrestest.New(tb) },
		"NewPair": func(tb testing.TB) { postgrestest.NewPair(tb) },
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, fn)
			if !r.failed || r.skipped {
				t.Fatalf("skipped=%v failed=%v, want a failure", r.skipped, r.failed)
			}
			if !strings.Contains(r.msg, "unreachable") {
				t.Errorf("message %q", r.msg)
			}
		})
	}
}

func TestNewGivesAFreshMigratedSchema(t *testing.T) {
	a := postgrestest.New(t)
	b := postgrestest.New(t)
	ctx := context.Background()
	var sa, sb string
	if err := a.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&sa); err != nil {
		t.Fatal(err)
	}
	if err := b.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&sb); err != nil {
		t.Fatal(err)
	}
	if sa == sb || !strings.HasPrefix(sa, "okt_") {
		t.Fatalf("schemas %q and %q", sa, sb)
	}
	var n int
	if err := a.Pool().QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("users in a fresh schema: %d, %v", n, err)
	}
}
